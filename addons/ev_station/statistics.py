# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from decimal import Decimal

from sql import Cast, Literal, Null, Union
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Round

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.statistics import (
    PeriodMixin, StatisticsMixin)
from trytond.pool import Pool
from trytond.pyson import Eval

# The sessions the statistics count: those that charged, whether or not
# they have ended.
SESSION_STATES = ['active', 'finished']


class SessionFilterMixin(StatisticsMixin):
    "Select the charging sessions of the statistics context"
    __slots__ = ()

    @classmethod
    def _where_session(cls, session, station):
        "Return the condition on the sessions that count"
        where = ((session.start_at != Null)
            & session.state.in_(SESSION_STATES)
            & cls._where_dates(session.start_at))
        company = cls._context_company()
        if company is not None:
            where &= session.company == company
        partner = cls._context_partner()
        if partner:
            where &= station.partner == partner
        return where


class ClientPeriod(PeriodMixin, SessionFilterMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.client.period'
    __string__ = "EV Clients per Period"

    registered = fields.Integer(
        "Registered Clients", help="The clients registered in the period.")
    # Not "active": ModelSQL would take it for the DeactivableMixin field.
    active_clients = fields.Integer(
        "Active Clients",
        help="The clients who started a charging session in the period.")

    @classmethod
    def table_query(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        party = Party.__table__()
        session = Session.__table__()
        station = Station.__table__()
        integer = cls.active_clients.sql_type().base

        # The ids of both kinds of event are unique and so is the smallest
        # id of each period.
        registrations = party.select(
            (party.id * 2).as_('id'),
            party.create_date.as_('at'),
            party.id.as_('registered'),
            Cast(Null, integer).as_('active_clients'),
            where=party.ev_client == Literal(True))
        starts = (session
            .join(station, condition=session.station == station.id)
            .select(
                (session.id * 2 + 1).as_('id'),
                session.start_at.as_('at'),
                Cast(Null, integer).as_('registered'),
                session.client.as_('active_clients'),
                where=cls._where_session(session, station)
                & (session.client != Null)))
        event = Union(registrations, starts, all_=True)
        date = cls._column_date(event.at)
        return event.select(
            Min(event.id).as_('id'),
            date.as_('date'),
            Count(event.registered).as_('registered'),
            Count(event.active_clients, distinct=True).as_(
                'active_clients'),
            where=cls._where_dates(event.at),
            group_by=[date.as_('date')])


class StationPartner(StatisticsMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.station.partner'
    __string__ = "EV Stations per Partner"

    company = fields.Many2One('company.company', "Company")
    partner = fields.Many2One(
        'party.party', "Partner",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    stations = fields.Integer("Stations")
    connected = fields.Integer(
        "Connected Stations", help="The stations the operator connected.")
    online = fields.Integer(
        "Online Stations",
        help="The stations whose charger holds a connection now.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('partner', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Station = pool.get('ev.station')
        station = Station.__table__()
        where = station.active == Literal(True)
        company = cls._context_company()
        if company is not None:
            where &= station.company == company
        partner = cls._context_partner()
        if partner:
            where &= station.partner == partner
        return station.select(
            Min(station.id).as_('id'),
            station.company.as_('company'),
            station.partner.as_('partner'),
            Count(station.id).as_('stations'),
            Sum(Case((station.state == 'connected', 1), else_=0)
                ).as_('connected'),
            Sum(Case((station.online == Literal(True), 1), else_=0)
                ).as_('online'),
            where=where,
            group_by=[station.company, station.partner])

    def get_rec_name(self, name):
        return self.partner.rec_name if self.partner else ''


class SessionMixin(SessionFilterMixin):
    "Sum the charging sessions of the statistics context"
    __slots__ = ()

    company = fields.Many2One('company.company', "Company")
    partner = fields.Many2One(
        'party.party', "Partner",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    currency = fields.Many2One('currency.currency', "Currency")
    sessions = fields.Integer("Sessions")
    energy_wh = fields.Integer("Energy (Wh)")
    energy = fields.Function(
        fields.Numeric("Energy (kWh)", digits=(16, 3)), 'get_energy')
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="The amount of the priced sessions.")

    @classmethod
    def table_query(cls):
        from_item, tables = cls._joins()
        return from_item.select(
            *cls._columns(tables),
            where=cls._where(tables),
            group_by=cls._group_by(tables))

    @classmethod
    def _joins(cls):
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        tables = {}
        tables['session'] = session = Session.__table__()
        tables['station'] = station = Station.__table__()
        tables['company'] = company = Company.__table__()
        tables['currency'] = currency = Currency.__table__()
        from_item = (session
            .join(station, condition=session.station == station.id)
            .join(company, condition=session.company == company.id)
            .join(currency,
                condition=currency.id == Coalesce(
                    session.currency, company.currency)))
        return from_item, tables

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        station = tables['station']
        currency = tables['currency']
        revenue = Round(
            Sum(cls.revenue.sql_cast(session.amount)), currency.digits)
        return [
            Min(session.id).as_('id'),
            session.company.as_('company'),
            station.partner.as_('partner'),
            currency.id.as_('currency'),
            Count(session.id).as_('sessions'),
            Sum(Coalesce(session.energy_wh, 0)).as_('energy_wh'),
            revenue.as_('revenue'),
            ]

    @classmethod
    def _where(cls, tables):
        return cls._where_session(tables['session'], tables['station'])

    @classmethod
    def _group_by(cls, tables):
        session = tables['session']
        station = tables['station']
        currency = tables['currency']
        return [session.company, station.partner, currency.id,
            currency.digits]

    def get_energy(self, name):
        return (Decimal(self.energy_wh or 0) / 1000).quantize(
            Decimal('0.001'))


class SessionPartner(SessionMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.session.partner'
    __string__ = "EV Sessions per Partner"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('partner', 'ASC'))

    def get_rec_name(self, name):
        return self.partner.rec_name if self.partner else ''


class SessionPeriod(PeriodMixin, SessionMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.session.period'
    __string__ = "EV Sessions per Period"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('partner', 'ASC'))

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        return super()._columns(tables) + [
            cls._column_date(session.start_at).as_('date')]

    @classmethod
    def _group_by(cls, tables):
        session = tables['session']
        return super()._group_by(tables) + [
            cls._column_date(session.start_at).as_('date')]


class SessionStation(SessionMixin, ModelSQL, ModelView):
    __name__ = 'ev.statistics.session.station'
    __string__ = "EV Sessions per Station"

    station = fields.Many2One(
        'ev.station', "Station",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('station', 'ASC'))

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        return super()._columns(tables) + [
            session.station.as_('station')]

    @classmethod
    def _group_by(cls, tables):
        session = tables['session']
        return super()._group_by(tables) + [session.station]

    def get_rec_name(self, name):
        return self.station.rec_name if self.station else ''
