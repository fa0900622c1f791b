# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Unit tests of the statistics of clients, partners, stations and sessions"
import datetime as dt
import unittest
from decimal import Decimal

from lxml import etree

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)


def at(month, day, hour=12, minute=0):
    "Return the naive UTC time of the day of 2026"
    return dt.datetime(2026, month, day, hour, minute)


class StatisticsTestCase(unittest.TestCase):
    "Test the statistics of the EV charging platform"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_station')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def set_create_date(self, records, value):
        table = records[0].__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date], [value],
                where=table.id.in_([r.id for r in records])))

    def network(self):
        """Build two partners with stations, three clients and sessions over
        January and February 2026"""
        pool = Pool()
        Partner = pool.get('ev.partner')
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Session = pool.get('ev.session')

        partners = Partner.create([{
                    'legal_name': name,
                    'contact_email': '%s@example.com' % name.lower(),
                    } for name in ['Alpha', 'Beta', 'Gamma', 'Delta']])
        alpha, beta, gamma, delta = partners
        Partner.review([alpha, beta])
        Partner.connect([alpha])
        for partner, applied in zip(partners, [
                    at(1, 5), at(1, 20), at(2, 10), at(2, 11)]):
            partner.applied_at = applied
        alpha.connected_at = at(2, 2)
        Partner.save(partners)

        type_, = ConnectorType.search([('code', '=', 'ccs2')])

        def station(identity, partner, connect=True, online=False):
            station = Station(
                name=identity, identity=identity, partner=partner.party,
                connectors=[Connector(
                        number=1, evse=1, type=type_,
                        max_power=Decimal('50'))])
            station.save()
            if connect:
                Station.connect([station])
                station.online = online
                station.save()
            return station
        a1 = station('A-1', alpha, online=True)
        a2 = station('A-2', alpha)
        station('A-3', alpha, connect=False)
        b1 = station('B-1', beta)

        clients = Party.create([
                {'name': "Client %s" % i, 'ev_client': True}
                for i in range(1, 4)])
        c1, c2, c3 = clients
        self.set_create_date([c1], at(1, 3))
        self.set_create_date([c2, c3], at(2, 1, 0, 0))

        def session(station, client, start, energy, amount, state):
            return {
                'station': station.id,
                'connector': station.connectors[0].id,
                'client': client.id if client else None,
                'start_at': start,
                'energy_wh': energy,
                'amount': amount,
                'state': state,
                }
        Session.create([
                session(a1, c1, at(1, 10), 10000, Decimal('5.00'),
                    'finished'),
                # The last half hour of January (UTC), a Saturday
                session(a2, c2, at(1, 31, 23, 30), 2500, Decimal('1.25'),
                    'finished'),
                # The first quarter of February (UTC), a Sunday: not priced
                session(a1, c1, at(2, 1, 0, 15), 7345, None, 'active'),
                session(a1, c3, at(2, 14), 1000, Decimal('0.50'),
                    'failed'),
                session(b1, c2, at(2, 3), 20000, Decimal('12.00'),
                    'finished'),
                session(b1, c3, at(2, 20), 5555, Decimal('3.33'),
                    'finished'),
                session(b1, None, at(1, 5), 1500, Decimal('0.75'),
                    'finished'),
                # Never started
                {
                    'station': b1.id,
                    'connector': b1.connectors[0].id,
                    'client': c1.id,
                    },
                ])
        return alpha, beta

    @with_transaction()
    def test_session_currency(self):
        "Sessions take the company currency; a copy is not priced"
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            self.network()
            station, = Station.search([('identity', '=', 'B-1')])
        # As the gateway does: the company is given, not in the context.
        session, = Session.create([{
                    'company': company.id,
                    'station': station.id,
                    'connector': station.connectors[0].id,
                    }])
        self.assertEqual(session.currency, company.currency)
        session.amount = Decimal('4.20')
        session.save()
        copy, = Session.copy([session])
        self.assertIsNone(copy.amount)
        self.assertEqual(copy.currency, company.currency)

    def context(self, **values):
        values.setdefault('from_date', JAN)
        values.setdefault('to_date', dt.date(2026, 2, 28))
        values.setdefault('period', 'month')
        return Transaction().set_context(**values)

    def rows(self, model, fields, domain=None):
        Model = Pool().get(model)
        records = Model.search(domain or [])
        return sorted(
            tuple(getattr(r, f) for f in fields) for r in records)

    @with_transaction()
    def test_sessions_per_partner(self):
        "Sessions, energy and revenue per partner"
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            currency = company.currency
            fields = ['partner', 'sessions', 'energy_wh', 'energy',
                'revenue', 'currency']
            with self.context():
                self.assertEqual(
                    self.rows('ev.statistics.session.partner', fields), [
                        (alpha.party, 3, 19845, Decimal('19.845'),
                            Decimal('6.25'), currency),
                        (beta.party, 3, 27055, Decimal('27.055'),
                            Decimal('16.08'), currency),
                        ])
            with self.context(from_date=FEB):
                self.assertEqual(
                    self.rows('ev.statistics.session.partner', fields), [
                        (alpha.party, 1, 7345, Decimal('7.345'), None,
                            currency),
                        (beta.party, 2, 25555, Decimal('25.555'),
                            Decimal('15.33'), currency),
                        ])
            # The days are whole UTC days: the last half hour counts.
            with self.context(to_date=dt.date(2026, 1, 31),
                    partner=alpha.party.id):
                self.assertEqual(
                    self.rows('ev.statistics.session.partner', fields), [
                        (alpha.party, 2, 12500, Decimal('12.500'),
                            Decimal('6.25'), currency),
                        ])

    @with_transaction()
    def test_sessions_per_period(self):
        "Sessions, energy and revenue per partner and month, week or day"
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            fields = ['date', 'partner', 'sessions', 'energy', 'revenue']
            with self.context():
                self.assertEqual(
                    self.rows('ev.statistics.session.period', fields), [
                        (JAN, alpha.party, 2, Decimal('12.500'),
                            Decimal('6.25')),
                        (JAN, beta.party, 1, Decimal('1.500'),
                            Decimal('0.75')),
                        (FEB, alpha.party, 1, Decimal('7.345'), None),
                        (FEB, beta.party, 2, Decimal('25.555'),
                            Decimal('15.33')),
                        ])
            # ISO weeks start on Monday: Saturday 31 January and Sunday
            # 1 February are in the same week.
            with self.context(period='week', partner=alpha.party.id):
                self.assertEqual(
                    self.rows('ev.statistics.session.period', fields), [
                        (dt.date(2026, 1, 5), alpha.party, 1,
                            Decimal('10.000'), Decimal('5.00')),
                        (dt.date(2026, 1, 26), alpha.party, 2,
                            Decimal('9.845'), Decimal('1.25')),
                        ])
            with self.context(period='day', partner=alpha.party.id):
                self.assertEqual(
                    self.rows('ev.statistics.session.period',
                        ['date', 'sessions']), [
                        (dt.date(2026, 1, 10), 1),
                        (dt.date(2026, 1, 31), 1),
                        (dt.date(2026, 2, 1), 1),
                        ])
            with self.context(period='year'):
                self.assertEqual(
                    self.rows('ev.statistics.session.period',
                        ['date', 'partner', 'sessions']), [
                        (JAN, alpha.party, 3),
                        (JAN, beta.party, 3),
                        ])

    @with_transaction()
    def test_sessions_per_station(self):
        "Sessions, energy and revenue per station"
        SessionStation = Pool().get('ev.statistics.session.station')
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            with self.context():
                self.assertEqual(
                    sorted(
                        (r.station.identity, r.partner, r.sessions,
                            r.energy, r.revenue)
                        for r in SessionStation.search([])), [
                        ('A-1', alpha.party, 2, Decimal('17.345'),
                            Decimal('5.00')),
                        ('A-2', alpha.party, 1, Decimal('2.500'),
                            Decimal('1.25')),
                        ('B-1', beta.party, 3, Decimal('27.055'),
                            Decimal('16.08')),
                        ])

    @with_transaction()
    def test_stations_per_partner(self):
        "Stations, connected and online per partner"
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            fields = ['partner', 'stations', 'connected', 'online']
            with self.context():
                self.assertEqual(
                    self.rows('ev.statistics.station.partner', fields), [
                        (alpha.party, 3, 2, 1),
                        (beta.party, 1, 1, 0),
                        ])
            with self.context(partner=beta.party.id):
                self.assertEqual(
                    self.rows('ev.statistics.station.partner', fields), [
                        (beta.party, 1, 1, 0),
                        ])

    @with_transaction()
    def test_clients_per_period(self):
        "Clients registered and active per month"
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            fields = ['date', 'registered', 'active_clients']
            with self.context():
                self.assertEqual(
                    self.rows('ev.statistics.client.period', fields), [
                        (JAN, 1, 2),
                        (FEB, 2, 3),
                        ])
            # The partner filter applies to the sessions only.
            with self.context(partner=alpha.party.id):
                self.assertEqual(
                    self.rows('ev.statistics.client.period', fields), [
                        (JAN, 1, 2),
                        (FEB, 2, 1),
                        ])
            with self.context(from_date=FEB):
                self.assertEqual(
                    self.rows('ev.statistics.client.period', fields), [
                        (FEB, 2, 3),
                        ])

    @with_transaction()
    def test_partners_per_state_and_period(self):
        "Partners per state, applied and connected per month"
        company = create_company()
        with set_company(company):
            self.network()
            self.assertEqual(
                self.rows('ev.statistics.partner.state',
                    ['state', 'partners']), [
                    ('application', 2),
                    ('connected', 1),
                    ('review', 1),
                    ])
            with self.context():
                self.assertEqual(
                    self.rows('ev.statistics.partner.period',
                        ['date', 'applied', 'connected']), [
                        (JAN, 2, 0),
                        (FEB, 2, 1),
                        ])

    @with_transaction()
    def test_empty_context(self):
        "The statistics compute without a context, as the menus open them"
        pool = Pool()
        company = create_company()
        with set_company(company):
            self.network()
            for model in [
                    'ev.statistics.client.period',
                    'ev.statistics.station.partner',
                    'ev.statistics.session.partner',
                    'ev.statistics.session.period',
                    'ev.statistics.session.station',
                    'ev.statistics.partner.state',
                    'ev.statistics.partner.period',
                    ]:
                with self.subTest(model=model):
                    Model = pool.get(model)
                    records = Model.search([])
                    self.assertTrue(records)
                    Model.read([r.id for r in records], list(Model._fields))

    def partner_user(self, company, partner, group='partner_technician'):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user = User(
            login='staff-%s' % partner.id, ev_partner=partner,
            company=company, companies=[company],
            groups=[ModelData.get_id('ev_partner', 'group_ev_%s' % group)])
        user.save()
        return user

    @with_transaction()
    def test_partner_staff_own_network(self):
        "Partner staff read the figures of their own partner only"
        pool = Pool()
        ClientPeriod = pool.get('ev.statistics.client.period')
        PartnerState = pool.get('ev.statistics.partner.state')
        PartnerPeriod = pool.get('ev.statistics.partner.period')
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            user = self.partner_user(company, alpha)
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True), \
                    self.context():
                for model in [
                        'ev.statistics.station.partner',
                        'ev.statistics.session.partner',
                        'ev.statistics.session.period',
                        'ev.statistics.session.station',
                        ]:
                    with self.subTest(model=model):
                        Model = pool.get(model)
                        records = Model.search([])
                        self.assertTrue(records)
                        self.assertEqual(
                            {r.partner for r in records}, {alpha.party})
                        # Nor by asking for the other partner
                        with Transaction().set_context(
                                partner=beta.party.id):
                            self.assertEqual(Model.search([]), [])
                        rows = Model.read(
                            [r.id for r in records], ['partner'])
                        self.assertEqual(
                            {r['partner'] for r in rows},
                            {alpha.party.id})
                for Model in [ClientPeriod, PartnerState, PartnerPeriod]:
                    with self.subTest(model=Model.__name__):
                        with self.assertRaises(AccessError):
                            Model.search([])

    @with_transaction()
    def test_partner_staff_other_rows_unreadable(self):
        "Partner staff cannot read a row of another partner by its id"
        pool = Pool()
        SessionPartner = pool.get('ev.statistics.session.partner')
        company = create_company()
        with set_company(company):
            alpha, beta = self.network()
            with self.context():
                other, = SessionPartner.search(
                    [('partner', '=', beta.party.id)])
            user = self.partner_user(company, alpha, 'partner_accountant')
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True), \
                    self.context():
                with self.assertRaises(AccessError):
                    SessionPartner.read([other.id], ['sessions'])

    @with_transaction()
    def test_board_panels(self):
        "The dashboard shows each user the panels they may read"
        pool = Pool()
        View = pool.get('ir.ui.view')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            alpha, _ = self.network()
            staff = self.partner_user(company, alpha, 'partner_manager')
            operator = User(
                login='operator', company=company, companies=[company],
                groups=[ModelData.get_id('ev_partner', 'group_ev_operator')])
            operator.save()
            board = View(ModelData.get_id(
                    'ev_station', 'statistics_board_view'))

            def panels(user):
                with Transaction().set_user(user.id), \
                        Transaction().set_context(_check_access=True):
                    arch = board.view_get()['arch']
                return [a.get('name').split('.')[-1]
                    for a in etree.fromstring(arch).iter('action')]
            base = ['act_statistics_board_sessions',
                'act_statistics_board_energy',
                'act_statistics_board_revenue',
                'act_statistics_board_stations']
            self.assertEqual(panels(operator), base + [
                    'act_statistics_board_clients',
                    'act_statistics_board_partner_states'])
            self.assertEqual(panels(staff), base)
            # The cache of the view keeps every panel.
            self.assertEqual(panels(operator), base + [
                    'act_statistics_board_clients',
                    'act_statistics_board_partner_states'])
