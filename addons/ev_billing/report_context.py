# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Cast, Literal

from trytond import backend
from trytond.model import fields
from trytond.modules.ev_partner.statistics import (
    Context, PeriodMixin, _date)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

_PERIOD_DELTAS = {
    'day': relativedelta(days=1),
    'week': relativedelta(weeks=1),
    'month': relativedelta(months=1),
    'year': relativedelta(years=1),
    }


class ReportContext(Context):
    __name__ = 'ev.billing.report.context'
    __string__ = "EV Billing Report Context"

    company = fields.Many2One('company.company', "Company", required=True)
    station = fields.Many2One(
        'ev.station', "Station",
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('partner'),
                ('partner', '=', Eval('partner', -1)),
                ()),
            ],
        help="Show only the figures of this station.")
    # Not "client": sao puts its bus client id under that context key.
    client_party = fields.Many2One(
        'party.party', "Client",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        domain=[('ev_client', '=', True)],
        help="Show only the payments of this client.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.partner.context = {'company': Eval('company', -1)}
        cls.partner.depends = {'company'}

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_partner(cls):
        pool = Pool()
        User = pool.get('res.user')
        partner = super().default_partner()
        if partner is None:
            # Partner staff see their own network: say so in the filters.
            parties = User.get_ev_partner_parties()
            if len(parties) == 1:
                partner = parties[0]
        return partner

    @classmethod
    def default_station(cls):
        return Transaction().context.get('station')

    @classmethod
    def default_client_party(cls):
        return Transaction().context.get('client_party')


class ReportMixin(PeriodMixin):
    """Read the filters of the billing report context and the bounds of the
    periods"""
    __slots__ = ()

    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")

    @classmethod
    def _context_station(cls):
        return Transaction().context.get('station')

    @classmethod
    def _context_client(cls):
        return Transaction().context.get('client_party')

    @classmethod
    def _where_days(cls, column):
        "Return the condition that the date column is in the dates"
        context = Transaction().context
        where = Literal(True)
        from_date = _date(context.get('from_date'))
        if from_date:
            where &= column >= from_date
        to_date = _date(context.get('to_date'))
        if to_date:
            where &= column <= to_date
        return where

    @classmethod
    def _column_day(cls, column):
        "Return the first day of the period of the date column"
        if backend.name != 'sqlite':
            # DATE_TRUNC of a date takes the time zone of the connection.
            column = Cast(column, 'TIMESTAMP')
        return cls._column_date(column)

    def get_bounds(self):
        """Return the first day and the day after the last of the row's
        period, within the dates of the context"""
        context = Transaction().context
        start = self.date
        end = start + _PERIOD_DELTAS[self._period()]
        from_date = _date(context.get('from_date'))
        if from_date and from_date > start:
            start = from_date
        to_date = _date(context.get('to_date'))
        if to_date and to_date + dt.timedelta(days=1) < end:
            end = to_date + dt.timedelta(days=1)
        return start, end
