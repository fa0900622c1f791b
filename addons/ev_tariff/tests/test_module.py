# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import json
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.ev_partner.tests.tools import (
    ListViewTestMixin, TranslationTestMixin)
from trytond.modules.ev_tariff.exceptions import (
    AssignmentValidationError, TariffBoundError, TariffValidationError)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

# A Friday, 10:00 UTC.
T0 = dt.datetime(2026, 11, 27, 10, 0)


def minutes(n):
    return dt.timedelta(minutes=n)


class EvTariffTestCase(
        ListViewTestMixin, TranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test EV Tariff module"
    module = 'ev_tariff'

    def _partner(self, name="Partner"):
        Party = Pool().get('party.party')
        partner = Party(name=name, ev_partner=True)
        partner.save()
        return partner

    def _station(self, partner, identity='CP-001', connectors=(
                ('ccs2', '50'), ('type2', '22')), timezone='UTC'):
        pool = Pool()
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        station = Station(name=identity, identity=identity, partner=partner,
            timezone=timezone)
        station.connectors = [
            Connector(number=n, evse=n,
                type=ConnectorType.search([('code', '=', code)])[0],
                max_power=Decimal(power))
            for n, (code, power) in enumerate(connectors, 1)]
        station.save()
        Station.connect([station])
        return station

    def _client(self, name="Client", categories=()):
        Party = Pool().get('party.party')
        client = Party(name=name, ev_client=True,
            categories=list(categories))
        client.save()
        return client

    def _tariff(self, name, partner=None, **values):
        Tariff = Pool().get('ev.tariff')
        tariff = Tariff(name=name, partner=partner, **values)
        tariff.save()
        return tariff

    def _assign(self, tariff, location, **values):
        Assignment = Pool().get('ev.tariff.assignment')
        assignment = Assignment(tariff=tariff, location=location,
            audience=values.pop('audience', 'everyone'), **values)
        assignment.save()
        return assignment

    def _session(self, connector, client=None, start=T0, meter_start=1000,
            readings=(), stop=None, meter_stop=None):
        "Start a session, record (minutes, register) readings, stop it"
        pool = Pool()
        Session = pool.get('ev.session')
        MeterValue = pool.get('ev.session.meter_value')
        session = Session(station=connector.station, connector=connector,
            client=client)
        session.save()
        Session.start([session], at=start, meter_start=meter_start,
            transaction_ref=str(session.id))
        MeterValue.save([MeterValue(session=session,
                    measured_at=start + minutes(m), energy_wh=wh)
                for m, wh in readings])
        if stop is not None:
            Session.stop([session], at=start + minutes(stop),
                meter_stop=meter_stop)
        return Session(session.id)

    def _lines(self, session):
        return [(line.kind, line.band, line.quantity, line.amount)
            for line in session.price_lines]

    @with_transaction()
    def test_precedence(self):
        "The most specific assignment applies"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        Assignment = pool.get('ev.tariff.assignment')
        Category = pool.get('party.category')
        ConnectorType = pool.get('ev.connector.type')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            station = self._station(partner)
            other_station = self._station(partner, 'CP-002')
            ccs, type2 = station.connectors
            fleet = Category(name="Fleet")
            fleet.save()
            taxi = Category(name="Taxi", parent=fleet)
            taxi.save()
            client = self._client(categories=[taxi])
            stranger = self._client("Stranger")
            ccs_type, = ConnectorType.search([('code', '=', 'ccs2')])

            platform = self._tariff("Platform")
            platform_fleet = self._tariff("Platform fleet")
            platform_dc = self._tariff("Platform DC")
            network = self._tariff("Network", partner)
            group = self._tariff("Network fleet", partner)
            personal = self._tariff("Network client", partner)
            dc = self._tariff("Network DC", partner)
            site = self._tariff("Site", partner)
            site_client = self._tariff("Site client", partner)
            plug = self._tariff("Plug", partner)

            assignments = [
                self._assign(plug, 'connector', connector=ccs),
                self._assign(site_client, 'station', station=station,
                    audience='client', client=client),
                self._assign(site, 'station', station=station),
                self._assign(dc, 'connector_type', connector_type=ccs_type,
                    min_power=Decimal(40), max_power=Decimal(60),
                    partner=partner),
                self._assign(personal, 'partner', partner=partner,
                    audience='client', client=client),
                self._assign(group, 'partner', partner=partner,
                    audience='client_group', client_group=fleet),
                self._assign(network, 'partner', partner=partner),
                self._assign(platform_dc, 'connector_type',
                    connector_type=ccs_type),
                self._assign(platform_fleet, 'platform',
                    audience='client_group', client_group=fleet),
                self._assign(platform, 'platform'),
                ]
            expected = ["Plug", "Site client", "Site", "Network DC",
                "Network client", "Network fleet", "Network", "Platform DC",
                "Platform fleet", "Platform"]
            for assignment, name in zip(assignments, expected):
                with self.subTest(name=name):
                    self.assertEqual(
                        Tariff.find(ccs, client, T0).name, name)
                Assignment.delete([assignment])
            self.assertIsNone(Tariff.find(ccs, client, T0))

            # The AC connector, a stranger and another station.
            self._assign(site, 'station', station=station)
            self._assign(network, 'partner', partner=partner)
            self._assign(dc, 'connector_type', connector_type=ccs_type,
                min_power=Decimal(40), max_power=Decimal(60),
                partner=partner)
            self.assertEqual(Tariff.find(type2, stranger, T0).name, "Site")
            self.assertEqual(
                Tariff.find(other_station.connectors[0], None, T0).name,
                "Network DC")
            self.assertEqual(
                Tariff.find(other_station.connectors[1], None, T0).name,
                "Network")

    @with_transaction()
    def test_precedence_validity(self):
        "Assignments and tariffs apply within their dates only"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            platform = self._tariff("Platform")
            self._assign(platform, 'platform')
            winter = self._tariff("Winter", partner,
                start_date=dt.date(2026, 12, 1))
            self._assign(winter, 'partner', partner=partner)
            promo = self._tariff("Promo", partner)
            self._assign(promo, 'station', station=connector.station,
                start_date=dt.date(2026, 11, 20),
                end_date=dt.date(2026, 11, 26))

            self.assertEqual(Tariff.find(connector, None, T0).name,
                "Platform")
            self.assertEqual(Tariff.find(
                    connector, None, T0 - dt.timedelta(days=2)).name,
                "Promo")
            self.assertEqual(Tariff.find(
                    connector, None, T0 + dt.timedelta(days=4)).name,
                "Winter")
            winter.active = False
            winter.save()
            self.assertEqual(Tariff.find(
                    connector, None, T0 + dt.timedelta(days=4)).name,
                "Platform")

    @with_transaction()
    def test_assignment_local_date(self):
        "An assignment's dates are the station's local dates"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(
                partner, timezone='Europe/Moscow').connectors[0]
            self._assign(self._tariff("Platform"), 'platform')
            december = self._tariff("December", partner)
            self._assign(december, 'partner', partner=partner,
                start_date=dt.date(2026, 12, 1))
            # 21:30 UTC on 30 November is 00:30 on 1 December in Moscow.
            at = dt.datetime(2026, 11, 30, 21, 30)
            self.assertEqual(Tariff.find(connector, None, at).name,
                "December")
            self.assertEqual(Tariff.find(connector, None,
                    at - minutes(60)).name, "Platform")

    @with_transaction()
    def test_assignment_network(self):
        "A partner's tariff applies on its own network only"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            other = self._partner("Other")
            station = self._station(partner)
            other_station = self._station(other, 'OT-001')
            tariff = self._tariff("Partner", partner)
            # A platform tariff may be assigned anywhere.
            platform = self._tariff("Platform")
            self._assign(platform, 'station', station=other_station)
            self._assign(tariff, 'station', station=station)
            self.assertEqual(
                Tariff.find(station.connectors[0], None, T0), tariff)
            self.assertEqual(
                Tariff.find(other_station.connectors[0], None, T0),
                platform)
            for location, values in [
                    ('station', {'station': other_station}),
                    ('connector',
                        {'connector': other_station.connectors[0]}),
                    ('partner', {'partner': other}),
                    ('platform', {}),
                    ]:
                with self.subTest(location=location):
                    with self.assertRaises(AssignmentValidationError):
                        self._assign(tariff, location, **values)

    @with_transaction()
    def test_assignment_overlap(self):
        "Two assignments of one place and audience may not overlap"
        company = create_company()
        with set_company(company):
            partner = self._partner()
            station = self._station(partner)
            first = self._tariff("First", partner)
            second = self._tariff("Second", partner)
            self._assign(first, 'station', station=station,
                end_date=dt.date(2026, 11, 30))
            self._assign(second, 'station', station=station,
                start_date=dt.date(2026, 12, 1))
            # Another audience is another assignment.
            self._assign(second, 'station', station=station,
                audience='client', client=self._client())
            with self.assertRaises(AssignmentValidationError):
                self._assign(second, 'station', station=station,
                    start_date=dt.date(2026, 11, 30),
                    end_date=dt.date(2026, 11, 30))

    @with_transaction()
    def test_assignment_keeps_its_target_only(self):
        "A change of location drops the fields of the old one"
        Assignment = Pool().get('ev.tariff.assignment')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            station = self._station(partner)
            tariff = self._tariff("Partner", partner)
            assignment = self._assign(tariff, 'station', station=station)
            Assignment.write([assignment],
                {'location': 'partner', 'partner': partner.id})
            self.assertIsNone(assignment.station)
            self.assertEqual(assignment.partner, partner)

    @with_transaction()
    def test_versioning(self):
        "A change of price makes a new version and is logged"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        Band = pool.get('ev.tariff.band')
        AuditLog = pool.get('ev.audit.log')
        company = create_company()
        with set_company(company):
            tariff = Tariff(name="Standard", price_per_kwh=Decimal('20'),
                bands=[Band(name="Night", start_time=dt.time(23),
                        end_time=dt.time(7), price_per_kwh=Decimal('10'))])
            tariff.save()
            self.assertEqual(tariff.version, 1)

            tariff.name = "Day and night"
            tariff.save()
            self.assertEqual(tariff.version, 1)

            tariff.price_per_kwh = Decimal('22')
            tariff.save()
            self.assertEqual(tariff.version, 2)

            band, = tariff.bands
            band.price_per_kwh = Decimal('11')
            band.save()
            self.assertEqual(Tariff(tariff.id).version, 3)
            Band.delete([band])
            self.assertEqual(Tariff(tariff.id).version, 4)

            # Writing the same value again changes nothing.
            Tariff.write([tariff], {'price_per_kwh': Decimal('22')})
            self.assertEqual(Tariff(tariff.id).version, 4)

            # A price and a band written together (as the client does
            # from the form) make one version.
            Tariff.write([tariff], {
                    'price_per_kwh': Decimal('23'),
                    'bands': [('create', [{
                                    'name': "Peak",
                                    'start_time': dt.time(17),
                                    'end_time': dt.time(20),
                                    'price_per_kwh': Decimal('30'),
                                    }])],
                    })
            self.assertEqual(Tariff(tariff.id).version, 5)

            logs = AuditLog.search([
                    ('resource', '=', str(tariff)),
                    ], order=[('id', 'ASC')])
            self.assertEqual([l.action for l in logs], ['tariff'] * 6)
            self.assertIn("Peak", logs[5].new_value)
            self.assertIn("23", logs[5].new_value)
            self.assertIn("22", logs[2].new_value)
            self.assertIn("20", logs[2].old_value)
            self.assertIn("version 2", logs[2].description)
            self.assertIn("Night", logs[4].old_value)

    @with_transaction()
    def test_bounds(self):
        "Partner tariffs stay within the platform's bounds"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        Configuration = pool.get('ev.configuration')
        Band = pool.get('ev.tariff.band')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            config = Configuration(1)
            config.tariff_max_price_per_kwh = Decimal('30')
            config.tariff_max_start_fee = Decimal('100')
            config.tariff_min_idle_grace_minutes = 10
            config.save()

            tariff = self._tariff("Fair", partner,
                price_per_kwh=Decimal('30'), idle_grace_minutes=10)
            with self.assertRaises(TariffBoundError) as cm:
                tariff.price_per_kwh = Decimal('30.01')
                tariff.save()
            self.assertIn('30.01', cm.exception.message)
            tariff.price_per_kwh = Decimal('30')
            with self.assertRaises(TariffBoundError):
                tariff.start_fee = Decimal('150')
                tariff.save()
            tariff.start_fee = Decimal('0')
            tariff.save()
            with self.assertRaises(TariffBoundError):
                Tariff.write([tariff], {'idle_grace_minutes': 5})
            with self.assertRaises(TariffBoundError):
                Band.create([{
                            'tariff': tariff.id, 'name': "Peak",
                            'start_time': dt.time(17),
                            'end_time': dt.time(20),
                            'price_per_kwh': Decimal('45'),
                            }])
            # The platform's own tariffs are not bounded.
            self._tariff("Platform premium", price_per_kwh=Decimal('45'))

    @with_transaction()
    def test_band_weekdays(self):
        "A band needs a day of the week"
        Band = Pool().get('ev.tariff.band')
        company = create_company()
        with set_company(company):
            tariff = self._tariff("Standard")
            with self.assertRaises(TariffValidationError):
                Band.create([{
                            'tariff': tariff.id, 'name': "Never",
                            'start_time': dt.time(1), 'end_time': dt.time(2),
                            **{d: False for d in ['monday', 'tuesday',
                                    'wednesday', 'thursday', 'friday',
                                    'saturday', 'sunday']},
                            }])

    @with_transaction()
    def test_get_spec(self):
        "The engine's spec comes from the tariff, its bands and the station"
        pool = Pool()
        Band = pool.get('ev.tariff.band')
        company = create_company()
        with set_company(company):
            create_chart(company, tax=True)
            Tax = pool.get('account.tax')
            vat, = Tax.search([])
            partner = self._partner()
            station = self._station(partner, timezone='Europe/Moscow')
            tariff = self._tariff("Standard", partner,
                price_per_kwh=Decimal('20'), min_price=Decimal('50'),
                energy_step_wh=100, taxes=[vat], tax_included=True,
                bands=[Band(name="Weekend", start_time=dt.time(0),
                        end_time=dt.time(0), monday=False, tuesday=False,
                        wednesday=False, thursday=False, friday=False,
                        price_per_kwh=Decimal('15'))])
            spec = tariff.get_spec(station)
            self.assertEqual(spec.timezone, 'Europe/Moscow')
            self.assertEqual(spec.tax_rate, Decimal('0.2'))
            self.assertTrue(spec.tax_included)
            self.assertEqual(spec.price_per_kwh, Decimal('20'))
            self.assertEqual(spec.min_price, Decimal('50'))
            self.assertEqual(spec.energy_step_wh, 100)
            band, = spec.bands
            self.assertEqual(band.weekdays, frozenset({5, 6}))
            self.assertEqual(band.price_per_kwh, Decimal('15'))
            self.assertIsNone(band.price_per_minute)

    @with_transaction()
    def test_price_at_stop(self):
        "A session is priced at stop from its meter values, once"
        pool = Pool()
        Session = pool.get('ev.session')
        PriceLine = pool.get('ev.tariff.price_line')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            tariff = self._tariff("Standard", partner,
                start_fee=Decimal('50'), price_per_kwh=Decimal('20'),
                idle_price_per_minute=Decimal('5'), idle_grace_minutes=10)
            self._assign(tariff, 'partner', partner=partner)
            # 10 kWh in 30 minutes, then 20 minutes idle.
            session = self._session(connector, readings=[
                    (10, 4000), (20, 7000), (30, 11000), (40, 11000)],
                stop=50, meter_stop=11000)

            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.tariff, tariff)
            self.assertEqual(session.tariff_version, 1)
            self.assertEqual(self._lines(session), [
                    ('start_fee', '', Decimal(1), Decimal('50')),
                    ('energy', '', Decimal('10'), Decimal('200')),
                    ('idle_time', '', Decimal('10'), Decimal('50')),
                    ])
            self.assertEqual(session.amount, Decimal('300'))
            self.assertEqual(session.net_amount, Decimal('300'))
            self.assertEqual(session.tax_amount, Decimal('0'))
            self.assertEqual(session.charging_time, minutes(30))
            self.assertEqual(session.idle_time, minutes(20))
            self.assertEqual(session.estimated_amount, Decimal('300'))
            self.assertEqual(
                json.loads(session.tariff_snapshot)['price_per_kwh'], '20')
            priced_at = session.priced_at

            # A replayed stop (the daemon delivers at least once) and the
            # button change nothing.
            Session.stop([session], at=T0 + minutes(55), meter_stop=12000)
            Session.set_price([session])
            session = Session(session.id)
            self.assertEqual(session.priced_at, priced_at)
            self.assertEqual(session.amount, Decimal('300'))
            self.assertEqual(
                PriceLine.search([('session', '=', session.id)], count=True),
                3)

            # Editing the tariff does not change the priced session.
            tariff.price_per_kwh = Decimal('30')
            tariff.save()
            session = Session(session.id)
            self.assertEqual(session.amount, Decimal('300'))
            self.assertEqual(session.tariff_version, 1)
            self.assertEqual(tariff.version, 2)

    @with_transaction()
    def test_reservation_fee(self):
        """The reservation fee is charged to the session that follows an
        accepted, unexpired, uncancelled and unused reservation of its tag"""
        pool = Pool()
        Session = pool.get('ev.session')
        Command = pool.get('ev.station.command')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            station = self._station(partner)
            connector = station.connectors[0]
            tariff = self._tariff("Standard", partner,
                price_per_kwh=Decimal('20'), reservation_fee=Decimal('40'))
            self._assign(tariff, 'partner', partner=partner)

            def reserve(at, params, action='reserve_now', connector=None):
                Command(station=station, connector=connector, action=action,
                    parameters=json.dumps(params), state='accepted',
                    answered_at=at).save()

            def charge(tag, start, connector=connector):
                session = Session(station=station, connector=connector,
                    id_tag_code=tag)
                session.save()
                Session.start([session], at=start, meter_start=0,
                    transaction_ref=str(session.id))
                Session.stop([session], at=start + minutes(30),
                    meter_stop=1000)
                return [line.kind for line in Session(session.id).price_lines]

            # 1.6: reserved for ANNA on the first connector until 10:30.
            reserve(T0, {'id_tag': 'ANNA', 'reservation_id': 1,
                    'expiry_date': '2026-11-27T10:30:00Z'},
                connector=connector)
            self.assertEqual(charge('BORIS', T0 + minutes(5)), ['energy'])
            self.assertEqual(charge('anna', T0 + minutes(10),
                    connector=station.connectors[1]), ['energy'])
            self.assertEqual(charge('anna', T0 + minutes(20)),
                ['reservation', 'energy'])
            # Used once: the next session of the tag pays no fee.
            self.assertEqual(charge('ANNA', T0 + minutes(25)), ['energy'])

            # 2.0.1, expired before the start.
            reserve(T0 + minutes(60), {'id': 7, 'id_token': {
                        'id_token': 'CARL', 'type': 'ISO14443'},
                    'expiry_date_time': '2026-11-27T11:10:00Z'})
            self.assertEqual(charge('CARL', T0 + minutes(75)), ['energy'])

            # Cancelled before the start.
            reserve(T0 + minutes(120), {'id_tag': 'DORA',
                    'reservation_id': 9})
            reserve(T0 + minutes(125), {'reservation_id': 9},
                action='cancel_reservation')
            self.assertEqual(charge('DORA', T0 + minutes(130)), ['energy'])
            reserve(T0 + minutes(180), {'id_token': {'id_token': 'DORA'},
                    'id': 10})
            self.assertEqual(charge('DORA', T0 + minutes(190)),
                ['reservation', 'energy'])

    @with_transaction()
    def test_price_version_of_start(self):
        "A session is priced with the version in force when it started"
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            tariff = self._tariff("Standard", partner,
                price_per_kwh=Decimal('20'))
            self._assign(tariff, 'partner', partner=partner)
            session = self._session(connector, readings=[(10, 6000)])
            self.assertEqual(session.tariff_version, 1)
            self.assertEqual(
                session.get_estimate(at=T0 + minutes(15)).total,
                Decimal('100'))

            # Neither a new price nor a new, more specific assignment
            # reaches the session in progress.
            tariff.price_per_kwh = Decimal('40')
            tariff.save()
            self._assign(self._tariff("Site", partner,
                    price_per_kwh=Decimal('50')),
                'station', station=connector.station)
            Session = Pool().get('ev.session')
            Session.stop([session], at=T0 + minutes(20), meter_stop=11000)
            session = Session(session.id)
            self.assertEqual(session.tariff, tariff)
            self.assertEqual(session.tariff_version, 1)
            self.assertEqual(session.amount, Decimal('200'))

    @with_transaction()
    def test_price_client_known_at_stop(self):
        "A client told only at stop gets the client's tariff"
        pool = Pool()
        Session = pool.get('ev.session')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            client = self._client()
            network = self._tariff("Network", partner,
                price_per_kwh=Decimal('20'))
            self._assign(network, 'partner', partner=partner)
            personal = self._tariff("Personal", partner,
                price_per_kwh=Decimal('10'))
            self._assign(personal, 'partner', partner=partner,
                audience='client', client=client)
            session = self._session(connector)
            self.assertEqual(session.tariff, network)
            session.client = client
            session.save()
            Session.stop([session], at=T0 + minutes(30), meter_stop=6000)
            session = Session(session.id)
            self.assertEqual(session.tariff, personal)
            self.assertEqual(session.amount, Decimal('50'))

    @with_transaction()
    def test_price_bands_and_tax(self):
        "A session across a band is split, and tax is added"
        pool = Pool()
        Band = pool.get('ev.tariff.band')
        Tax = pool.get('account.tax')
        company = create_company()
        with set_company(company):
            create_chart(company, tax=True)
            vat, = Tax.search([])
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            tariff = self._tariff("Day and night", partner,
                price_per_kwh=Decimal('20'), taxes=[vat],
                bands=[Band(name="Night", start_time=dt.time(23),
                        end_time=dt.time(7), price_per_kwh=Decimal('10'))])
            self._assign(tariff, 'partner', partner=partner)
            # 22:30 to 23:30, 1 kWh every 10 minutes.
            start = dt.datetime(2026, 11, 27, 22, 30)
            session = self._session(connector, start=start, meter_start=0,
                readings=[(m, m * 100) for m in range(10, 60, 10)],
                stop=60, meter_stop=6000)
            self.assertEqual(self._lines(session), [
                    ('energy', '', Decimal('3'), Decimal('60')),
                    ('energy', 'Night', Decimal('3'), Decimal('30')),
                    ])
            self.assertEqual(session.net_amount, Decimal('90'))
            self.assertEqual(session.tax_amount, Decimal('18'))
            self.assertEqual(session.amount, Decimal('108'))
            self.assertEqual(
                sum(l.tax_amount for l in session.price_lines),
                Decimal('18'))
            self.assertEqual(
                [l.label for l in session.price_lines],
                ["Energy", "Energy (Night)"])

    @with_transaction()
    def test_price_without_tariff(self):
        "A session no tariff applies to is flagged, not priced"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            connector = self._station(self._partner()).connectors[0]
            session = self._session(connector, stop=30, meter_stop=5000)
            self.assertIsNone(session.amount)
            self.assertIsNone(session.priced_at)
            self.assertIn("No tariff", session.anomaly)

            # Once a tariff is there, the button prices it.
            tariff = self._tariff("Platform", price_per_kwh=Decimal('10'))
            self._assign(tariff, 'platform')
            Session.price([session])
            self.assertEqual(Session(session.id).amount, Decimal('40'))

    @with_transaction()
    def test_price_failure_keeps_stop(self):
        "A session the engine cannot price is stopped and flagged"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            self._assign(self._tariff("Platform"), 'platform')
            session = self._session(connector)
            with patch('trytond.modules.ev_tariff.engine.price',
                    side_effect=ValueError("broken spec")):
                self.assertIsNone(session.estimated_amount)
                Session.stop([session], at=T0 + minutes(30),
                    meter_stop=5000)
            session = Session(session.id)
            self.assertEqual(session.state, 'finished')
            self.assertIsNone(session.priced_at)
            self.assertIn("broken spec", session.anomaly)

    @with_transaction()
    def test_quote(self):
        "The client app gets a quote with translated lines"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            client = self._client()
            self.assertIsNone(Tariff.quote(connector.id, None, 30000, 45))
            tariff = self._tariff("Standard", partner,
                start_fee=Decimal('50'), price_per_kwh=Decimal('20'),
                price_per_minute=Decimal('1'))
            self._assign(tariff, 'partner', partner=partner)
            personal = self._tariff("Personal", partner,
                price_per_kwh=Decimal('15'))
            self._assign(personal, 'partner', partner=partner,
                audience='client', client=client)

            quote = Tariff.quote(connector.id, None, 30000, 45)
            self.assertEqual(quote['tariff'], tariff.id)
            self.assertEqual(quote['total'], Decimal('695'))
            self.assertEqual(
                [(l['kind'], l['label'], l['amount'])
                    for l in quote['lines']], [
                    ('start_fee', "Start Fee", Decimal('50')),
                    ('energy', "Energy", Decimal('600')),
                    ('charging_time', "Charging Time", Decimal('45')),
                    ])
            quote = Tariff.quote(connector.id, client.id, 30000, 45)
            self.assertEqual(quote['tariff'], personal.id)
            self.assertEqual(quote['total'], Decimal('450'))

    @with_transaction()
    def test_quote_client_user(self):
        "A client quotes for itself only"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            partner = self._partner()
            connector = self._station(partner).connectors[0]
            client = self._client()
            other = self._client("Other")
            self._assign(self._tariff("Standard", partner,
                    price_per_kwh=Decimal('20')), 'partner', partner=partner)
            self._assign(self._tariff("Personal", partner,
                    price_per_kwh=Decimal('15')), 'partner',
                partner=partner, audience='client', client=other)
            user = User(login='client', ev_party=client,
                groups=[ModelData.get_id('ev_partner', 'group_ev_client')],
                companies=[company], company=company)
            user.save()
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                quote = Tariff.quote(connector.id, other.id, 10000, 30)
            self.assertEqual(quote['total'], Decimal('200'))

    @with_transaction()
    def test_preview(self):
        "The preview prices a described session"
        pool = Pool()
        Preview = pool.get('ev.tariff.preview', type='wizard')
        company = create_company()
        with set_company(company):
            tariff = self._tariff("Standard", start_fee=Decimal('50'),
                price_per_kwh=Decimal('20'),
                idle_price_per_minute=Decimal('5'), idle_grace_minutes=10)
            session_id, _, _ = Preview.create()
            preview = Preview(session_id)
            with Transaction().set_context(
                    active_model='ev.tariff', active_id=tariff.id,
                    active_ids=[tariff.id]):
                values = preview.default_start(None)
            self.assertEqual(values['tariff'], tariff.id)
            self.assertEqual(values['total_amount'], Decimal('650'))
            start = preview.start.__class__(**{
                    k: v for k, v in values.items()
                    if k != 'lines' and not k.endswith('.')})
            start.idle_minutes = 30
            start.on_change_with_lines()
            self.assertEqual(start.total_amount, Decimal('750'))
            self.assertEqual([l.label for l in start.lines],
                ["Start Fee", "Energy", "Idle Time"])

    @with_transaction()
    def test_partner_manager_rules(self):
        "Partner managers change their own partner's tariffs only"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        Assignment = pool.get('ev.tariff.assignment')
        User = pool.get('res.user')
        Partner = pool.get('ev.partner')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            partner = Partner(legal_name="Volt", contact_email='v@x.example')
            partner.save()
            other = self._partner("Other")
            station = self._station(partner.party)
            other_station = self._station(other, 'OT-001')
            platform = self._tariff("Platform")
            own = self._tariff("Own", partner.party)
            theirs = self._tariff("Theirs", other)
            self._assign(theirs, 'station', station=other_station)
            client = self._client()
            user = User(login='manager', ev_partner=partner,
                groups=[ModelData.get_id(
                        'ev_partner', 'group_ev_partner_manager')],
                companies=[company], company=company)
            user.save()
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    sorted(t.name for t in Tariff.search([])),
                    ["Own", "Platform"])
                Tariff.write([Tariff(own.id)], {'price_per_kwh': 25})
                with self.assertRaises(AccessError):
                    Tariff.write([Tariff(platform.id)],
                        {'price_per_kwh': 25})
                with self.assertRaises(AccessError):
                    Tariff.write([Tariff(theirs.id)], {'name': "Mine"})
                with self.assertRaises(AccessError):
                    Tariff.create([{'name': "Platform?", 'partner': None}])
                new, = Tariff.create([{'name': "New"}])
                self.assertEqual(new.partner, partner.party)
                Assignment.create([{'tariff': own.id, 'location': 'station',
                            'station': station.id}])
                # The other partner's assignment is not seen.
                self.assertEqual(Assignment.search([], count=True), 1)
                with self.assertRaises(AccessError):
                    Assignment.create([{'tariff': platform.id,
                                'location': 'station',
                                'station': station.id,
                                'audience': 'client',
                                'client': client.id}])


del ModuleTestCase
