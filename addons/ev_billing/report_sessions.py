# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from sql.aggregate import Sum
from sql.conditionals import Coalesce
from sql.functions import Round

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_station.statistics import SessionMixin
from trytond.pyson import Eval

from .report_context import ReportMixin
from .report_xlsx import XlsxReport


class SessionRowMixin(ReportMixin, SessionMixin):
    """Sum the finished charging sessions per station and period, with the
    billing filters"""
    __slots__ = ()

    station = fields.Many2One(
        'ev.station', "Station",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'ASC'), ('partner', 'ASC'), ('station', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def _where(cls, tables):
        session = tables['session']
        # Only a finished session has its price and its split.
        where = super()._where(tables) & (session.state == 'finished')
        station = cls._context_station()
        if station:
            where &= session.station == station
        client = cls._context_client()
        if client:
            where &= session.client == client
        return where

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        return super()._columns(tables) + [
            session.station.as_('station'),
            cls._column_date(session.start_at).as_('date'),
            ]

    @classmethod
    def _group_by(cls, tables):
        session = tables['session']
        return super()._group_by(tables) + [
            session.station,
            cls._column_date(session.start_at).as_('date'),
            ]

    @classmethod
    def _sum(cls, field, column, tables):
        "Return the sum of the money column rounded to the currency"
        currency = tables['currency']
        return Round(
            Sum(Coalesce(field.sql_cast(column), 0)), currency.digits)

    def get_rec_name(self, name):
        return self.station.rec_name if self.station else ''


class SessionReport(SessionRowMixin, ModelSQL, ModelView):
    __name__ = 'ev.billing.report.session'
    __string__ = "EV Sessions by Station and Period"

    net_amount = Monetary(
        "Amount net of Tax", currency='currency', digits='currency')
    tax_amount = Monetary("Tax", currency='currency', digits='currency')
    partner_amount = Monetary(
        "Partner Revenue", currency='currency', digits='currency',
        help="The partners' share of the amounts net of tax.")
    commission_amount = Monetary(
        "Platform Commission", currency='currency', digits='currency',
        help="The platform's share of the amounts net of tax.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.revenue.string = "Amount"
        cls.revenue.help = "The price of the sessions, tax included."

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        return super()._columns(tables) + [
            cls._sum(cls.net_amount, session.net_amount, tables).as_(
                'net_amount'),
            cls._sum(cls.tax_amount, session.tax_amount, tables).as_(
                'tax_amount'),
            cls._sum(cls.partner_amount, session.partner_amount,
                tables).as_('partner_amount'),
            cls._sum(cls.commission_amount, session.commission_amount,
                tables).as_('commission_amount'),
            ]


class SessionReportXlsx(XlsxReport):
    __name__ = 'ev.billing.report.session.xlsx'
    _model = 'ev.billing.report.session'
    _title = 'ev_billing.act_report_session'
    _columns = [
        ('date', 'date', None),
        ('partner', 'text', None),
        ('station', 'text', None),
        ('sessions', 'integer', 'sum'),
        ('energy', 'kwh', 'sum'),
        ('net_amount', 'money', 'sum'),
        ('tax_amount', 'money', 'sum'),
        ('revenue', 'money', 'sum'),
        ('partner_amount', 'money', 'sum'),
        ('commission_amount', 'money', 'sum'),
        ('currency', 'text', None),
        ]
