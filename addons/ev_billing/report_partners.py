# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from sql import Literal, Null, Union
from sql.aggregate import Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Round

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_station.statistics import SessionFilterMixin
from trytond.pool import Pool
from trytond.pyson import Eval

from .report_context import ReportMixin
from .report_xlsx import XlsxReport

_AMOUNTS = [
    'net_amount', 'partner_amount', 'commission_amount', 'settled_amount',
    'fee_amount', 'payout_amount', 'paid_amount']


class PartnerReport(ReportMixin, SessionFilterMixin, ModelSQL, ModelView):
    __name__ = 'ev.billing.report.partner'
    __string__ = "EV Partner Income and Platform Commission"

    partner = fields.Many2One(
        'party.party', "Partner",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    sessions = fields.Integer("Sessions")
    net_amount = Monetary(
        "Revenue net of Tax", currency='currency', digits='currency',
        help="The price net of tax of the partner's sessions.")
    partner_amount = Monetary(
        "Partner Revenue", currency='currency', digits='currency',
        help="The partner's share of the revenue net of tax.")
    commission_amount = Monetary(
        "Platform Commission", currency='currency', digits='currency',
        help="The platform's share of the revenue net of tax.")
    settled_amount = Monetary(
        "Settled", currency='currency', digits='currency',
        help="The partner revenue of the sessions already in a confirmed "
        "settlement.")
    unsettled_amount = fields.Function(Monetary(
            "Unsettled", currency='currency', digits='currency',
            help="The partner revenue still to settle."),
        'get_unsettled_amount')
    fee_amount = Monetary(
        "Monthly Fees", currency='currency', digits='currency',
        help="The fees of the settlements that end in the period.")
    payout_amount = Monetary(
        "Payouts", currency='currency', digits='currency',
        help="What the settlements that end in the period pay the partner: "
        "their partner revenue less the fees.")
    paid_amount = Monetary(
        "Paid Out", currency='currency', digits='currency',
        help="The payouts already paid.")
    platform_amount = fields.Function(Monetary(
            "Platform Income", currency='currency', digits='currency',
            help="The commission and the monthly fees."),
        'get_platform_amount')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('partner', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = Currency.__table__()
        event = Union(cls._sessions(), cls._settlements(), all_=True)
        columns = [
            Min(event.id).as_('id'),
            event.company.as_('company'),
            event.currency.as_('currency'),
            event.partner.as_('partner'),
            event.date.as_('date'),
            Sum(event.sessions).as_('sessions'),
            ]
        for name in _AMOUNTS:
            field = getattr(cls, name)
            columns.append(Round(
                    Sum(field.sql_cast(getattr(event, name))),
                    currency.digits).as_(name))
        return event.join(currency,
            condition=event.currency == currency.id
            ).select(*columns,
            group_by=[
                event.company, event.currency, currency.digits,
                event.partner, event.date])

    @classmethod
    def _sessions(cls):
        "Return the query of the partners' shares of the sessions"
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Company = pool.get('company.company')
        MoveLine = pool.get('account.move.line')
        session = Session.__table__()
        station = Station.__table__()
        company = Company.__table__()
        line = MoveLine.__table__()
        settled = line.select(line.ev_session,
            where=(line.ev_session != Null) & (line.ev_settlement != Null))
        partner_amount = Coalesce(session.partner_amount, 0)
        where = (cls._where_session(session, station)
            & (session.state == 'finished')
            & (station.partner != Null))
        if cls._context_station():
            where &= session.station == cls._context_station()
        if cls._context_client():
            where &= session.client == cls._context_client()
        return (session
            .join(station, condition=session.station == station.id)
            .join(company, condition=session.company == company.id)
            .select(
                (session.id * 2).as_('id'),
                session.company.as_('company'),
                Coalesce(session.currency, company.currency).as_('currency'),
                station.partner.as_('partner'),
                cls._column_date(session.start_at).as_('date'),
                Literal(1).as_('sessions'),
                Coalesce(session.net_amount, 0).as_('net_amount'),
                partner_amount.as_('partner_amount'),
                Coalesce(session.commission_amount, 0).as_(
                    'commission_amount'),
                Case((session.id.in_(settled), partner_amount),
                    else_=0).as_('settled_amount'),
                Literal(0).as_('fee_amount'),
                Literal(0).as_('payout_amount'),
                Literal(0).as_('paid_amount'),
                where=where))

    @classmethod
    def _settlements(cls):
        "Return the query of the fees and payouts of the settlements"
        pool = Pool()
        Settlement = pool.get('ev.billing.settlement')
        Line = pool.get('ev.billing.settlement.line')
        Partner = pool.get('ev.partner')
        settlement = Settlement.__table__()
        line = Line.__table__()
        partner = Partner.__table__()
        lines = line.select(
            line.settlement.as_('settlement'),
            Sum(Coalesce(line.partner_amount, 0)).as_('partner_amount'),
            group_by=[line.settlement])
        fee = Coalesce(settlement.fee_amount, 0)
        payout = Coalesce(lines.partner_amount, 0) - fee
        where = (settlement.state.in_(['confirmed', 'paid'])
            & cls._where_days(settlement.end_date))
        company = cls._context_company()
        if company is not None:
            where &= settlement.company == company
        if cls._context_partner():
            where &= partner.party == cls._context_partner()
        if cls._context_station() or cls._context_client():
            # A settlement is the partner's, not a station's or a client's.
            where &= Literal(False)
        return (settlement
            .join(partner, condition=settlement.partner == partner.id)
            .join(lines, type_='LEFT',
                condition=lines.settlement == settlement.id)
            .select(
                (settlement.id * 2 + 1).as_('id'),
                settlement.company.as_('company'),
                settlement.currency.as_('currency'),
                partner.party.as_('partner'),
                cls._column_day(settlement.end_date).as_('date'),
                Literal(0).as_('sessions'),
                Literal(0).as_('net_amount'),
                Literal(0).as_('partner_amount'),
                Literal(0).as_('commission_amount'),
                Literal(0).as_('settled_amount'),
                fee.as_('fee_amount'),
                payout.as_('payout_amount'),
                Case((settlement.state == 'paid', payout),
                    else_=0).as_('paid_amount'),
                where=where))

    def get_unsettled_amount(self, name):
        return (self.partner_amount or 0) - (self.settled_amount or 0)

    def get_platform_amount(self, name):
        return (self.commission_amount or 0) + (self.fee_amount or 0)

    def get_rec_name(self, name):
        return self.partner.rec_name if self.partner else ''


class PartnerReportXlsx(XlsxReport):
    __name__ = 'ev.billing.report.partner.xlsx'
    _model = 'ev.billing.report.partner'
    _title = 'ev_billing.act_report_partner'
    _columns = [
        ('date', 'date', None),
        ('partner', 'text', None),
        ('sessions', 'integer', 'sum'),
        ('net_amount', 'money', 'sum'),
        ('partner_amount', 'money', 'sum'),
        ('commission_amount', 'money', 'sum'),
        ('fee_amount', 'money', 'sum'),
        ('platform_amount', 'money', 'sum'),
        ('settled_amount', 'money', 'sum'),
        ('unsettled_amount', 'money', 'sum'),
        ('payout_amount', 'money', 'sum'),
        ('paid_amount', 'money', 'sum'),
        ('currency', 'text', None),
        ]
