# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import Index, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    # The per-station dimension of the books: every amount a session
    # brings in carries its station, so revenue, commission and partner
    # liabilities add up per station and for the whole platform alike.
    ev_station = fields.Many2One(
        'ev.station', "Station", readonly=True, ondelete='RESTRICT')
    ev_session = fields.Many2One(
        'ev.session', "Charging Session", readonly=True,
        ondelete='RESTRICT')
    ev_settlement = fields.Many2One(
        'ev.billing.settlement', "Partner Settlement", readonly=True,
        ondelete='RESTRICT',
        help="The settlement that paid this amount to the partner.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ev_station, Index.Range())),
                Index(t, (t.ev_session, Index.Range())),
                Index(t, (t.ev_settlement, Index.Range())),
                })
        # Settling marks posted lines; it changes no amount.
        cls._check_modify_exclude |= {'ev_settlement'}


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    ev_session = fields.Many2One(
        'ev.session', "Charging Session", readonly=True,
        ondelete='RESTRICT')
    ev_station = fields.Many2One(
        'ev.station', "Station", readonly=True, ondelete='RESTRICT')
    ev_partner_party = fields.Many2One(
        'party.party', "Collected for", readonly=True, ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'},
        help="The partner for whom the platform collects this line, as its "
        "agent: the amount is the partner's, owed to them.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.ev_session, Index.Range())))

    @classmethod
    def _account_domain(cls, type_):
        domain = super()._account_domain(type_)
        if type_ == 'out':
            # The partner's share of a session is not the platform's
            # revenue: it goes straight to the partner's payable.
            domain = domain + [('type.payable', '=', True)]
        return domain

    def get_move_lines(self):
        lines = super().get_move_lines()
        for line in lines:
            line.ev_session = self.ev_session
            line.ev_station = self.ev_station
            if self.ev_partner_party and line.account.party_required:
                line.party = self.ev_partner_party
        return lines


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['ev.billing.settlement']
