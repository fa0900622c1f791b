# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Literal, Null, Union
from sql.aggregate import Count, Min, Sum
from sql.functions import DateTrunc, Function

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .partner import STATES

PERIODS = [
    ('day', "Day"),
    ('week', "Week"),
    ('month', "Month"),
    ('year', "Year"),
    ]


class _SQLiteDate(Function):
    __slots__ = ()
    _function = 'DATE'


def _date(value):
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return value


class Context(ModelView):
    __name__ = 'ev.statistics.context'
    __string__ = "EV Statistics Context"

    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection(
        PERIODS, "Period", required=True, sort=False,
        help="The length of the periods the figures are grouped by; "
        "periods start and end at midnight UTC.")
    partner = fields.Many2One(
        'party.party', "Partner",
        domain=[('ev_partner', '=', True)],
        help="Show only the figures of this partner's network.")

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return Date.today().replace(day=1) - relativedelta(years=1)

    @classmethod
    def default_to_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'to_date' in context:
            return context['to_date']
        return Date.today()

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')

    @classmethod
    def default_partner(cls):
        return Transaction().context.get('partner')


class StatisticsMixin:
    "Read the statistics context: dates, period, partner and company"
    __slots__ = ()

    @classmethod
    def _context_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def _context_partner(cls):
        return Transaction().context.get('partner')

    @classmethod
    def _period(cls):
        period = Transaction().context.get('period')
        if period not in dict(PERIODS):
            period = 'month'
        return period

    @classmethod
    def _where_dates(cls, column):
        "Return the condition that the timestamp column is in the dates"
        context = Transaction().context
        where = Literal(True)
        from_date = _date(context.get('from_date'))
        if from_date:
            where &= column >= dt.datetime.combine(from_date, dt.time())
        to_date = _date(context.get('to_date'))
        if to_date:
            # The dates are whole UTC days: to_date is included.
            where &= column < dt.datetime.combine(
                to_date + dt.timedelta(days=1), dt.time())
        return where


class PeriodMixin(StatisticsMixin):
    "Group the rows by the period of the statistics context"
    __slots__ = ()

    date = fields.Date(
        "Period", help="The first day of the period (UTC).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'ASC'))

    def get_rec_name(self, name):
        pool = Pool()
        Lang = pool.get('ir.lang')
        return Lang.get().strftime(self.date) if self.date else ''

    @classmethod
    def _column_date(cls, column):
        "Return the first day of the period of the timestamp column (UTC)"
        period = cls._period()
        if period == 'week' and backend.name == 'sqlite':
            # SQLite's DATE_TRUNC does not know weeks: the Monday on or
            # before the day, as PostgreSQL's ISO weeks start.
            date = _SQLiteDate(column, 'weekday 0', '-6 days')
        else:
            date = DateTrunc(period, column)
        return cls.date.sql_cast(date)


class PartnerState(StatisticsMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.partner.state'
    __string__ = "EV Partners per State"

    company = fields.Many2One('company.company', "Company")
    state = fields.Selection(STATES, "State", sort=False)
    partners = fields.Integer("Partners")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('state', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Partner = pool.get('ev.partner')
        partner = Partner.__table__()
        where = Literal(True)
        company = cls._context_company()
        if company is not None:
            where &= partner.company == company
        return partner.select(
            Min(partner.id).as_('id'),
            partner.company.as_('company'),
            partner.state.as_('state'),
            Count(partner.id).as_('partners'),
            where=where,
            group_by=[partner.company, partner.state])


class PartnerPeriod(PeriodMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.partner.period'
    __string__ = "EV Partners per Period"

    company = fields.Many2One('company.company', "Company")
    applied = fields.Integer(
        "Applications", help="The partners who applied in the period.")
    connected = fields.Integer(
        "Connections",
        help="The partners connected in the period (their last connection).")

    @classmethod
    def table_query(cls):
        pool = Pool()
        Partner = pool.get('ev.partner')
        applied = Partner.__table__()
        connected = Partner.__table__()
        company = cls._context_company()

        def events(partner, column, kind):
            where = column != Null
            if company is not None:
                where &= partner.company == company
            # Each partner gives at most one event of each kind: the ids
            # stay unique and so does the smallest id of each period.
            return partner.select(
                (partner.id * 2 + kind).as_('id'),
                partner.company.as_('company'),
                column.as_('at'),
                Literal(1 - kind).as_('applied'),
                Literal(kind).as_('connected'),
                where=where)
        event = Union(
            events(applied, applied.applied_at, 0),
            events(connected, connected.connected_at, 1),
            all_=True)
        date = cls._column_date(event.at)
        return event.select(
            Min(event.id).as_('id'),
            event.company.as_('company'),
            date.as_('date'),
            Sum(event.applied).as_('applied'),
            Sum(event.connected).as_('connected'),
            where=cls._where_dates(event.at),
            group_by=[event.company, date.as_('date')])
