# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import json
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.ev_partner.tests.tools import (
    ListViewTestMixin, TranslationTestMixin)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

T0 = dt.datetime(2026, 11, 27, 10, 0)


class EvStationTestCase(
        ListViewTestMixin, TranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test EV Station module"
    module = 'ev_station'

    def _station(self, identity='CP-001', connectors=1, **values):
        pool = Pool()
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        type_, = ConnectorType.search([('code', '=', 'ccs2')])
        partner = Party(name="Partner", ev_partner=True)
        partner.save()
        station = Station(name=identity, identity=identity,
            partner=partner, **values)
        station.connectors = [
            Connector(number=n, evse=n, type=type_,
                max_power=Decimal('50'))
            for n in range(1, connectors + 1)]
        station.save()
        return station

    def _session(self, station, **values):
        Session = Pool().get('ev.session')
        session = Session(station=station, connector=station.connectors[0],
            **values)
        session.save()
        return session

    @with_transaction()
    def test_station_identity_duplicate(self):
        "A second station with the same identity is refused by name"
        company = create_company()
        with set_company(company):
            self._station('CP-001')
            with self.assertRaises(ValidationError) as cm:
                self._station('CP-001')
            self.assertIn('CP-001', cm.exception.message)

    @with_transaction()
    def test_station_identity_invalid(self):
        "Identities that cannot stand in a URL or Basic auth are refused"
        company = create_company()
        with set_company(company):
            for identity in ['CP 1', 'CP:1', 'CP/1', 'Ш1', 'x' * 49]:
                with self.subTest(identity=identity):
                    with self.assertRaises(ValidationError):
                        self._station(identity)
            self.assertTrue(self._station('x' * 48).id)

    @with_transaction()
    def test_station_password_hashed(self):
        "The charger password is kept as a hash only"
        Station = Pool().get('ev.station')
        company = create_company()
        with set_company(company):
            station = self._station(password='s3cret-Charger')
            station = Station(station.id)
            self.assertIsNone(station.password_hash)
            self.assertNotIn('s3cret-Charger', station._password_hash())
            self.assertEqual(station.password, 'x' * 10)
            self.assertTrue(station.check_password('s3cret-Charger'))
            self.assertFalse(station.check_password('wrong'))
            self.assertFalse(station.check_password(''))

            # Saving the masked value back keeps the password.
            Station.write([station], {'password': 'x' * 10})
            self.assertTrue(station.check_password('s3cret-Charger'))

            Station.write([station], {'password': None})
            self.assertIsNone(Station(station.id)._password_hash())
            self.assertIsNone(Station(station.id).password)
            self.assertFalse(station.check_password('s3cret-Charger'))

    @with_transaction()
    def test_station_workflow(self):
        "Only connected, accepted stations may charge"
        Station = Pool().get('ev.station')
        company = create_company()
        with set_company(company):
            station = self._station()
            self.assertFalse(station.may_charge)
            Station.connect([station])
            self.assertEqual(station.state, 'connected')
            self.assertTrue(station.may_charge)
            Station.reject_registration([station])
            self.assertFalse(station.may_charge)
            Station.accept_registration([station])
            Station.disconnect([station])
            self.assertEqual(station.state, 'disconnected')
            self.assertFalse(station.may_charge)
            # connected -> draft is not a transition: it is skipped.
            Station.connect([station])
            Station.draft([station])
            self.assertEqual(station.state, 'connected')

    @with_transaction()
    def test_station_delete_only_draft(self):
        "A station that has been connected cannot be deleted"
        Station = Pool().get('ev.station')
        company = create_company()
        with set_company(company):
            station = self._station()
            Station.connect([station])
            with self.assertRaises(AccessError):
                Station.delete([station])
            Station.disconnect([station])
            Station.draft([station])
            Station.delete([station])
            self.assertEqual(Station.search([]), [])

    @with_transaction()
    def test_connector_number_unique(self):
        "Connector numbers are unique on a station"
        Connector = Pool().get('ev.connector')
        company = create_company()
        with set_company(company):
            station = self._station(connectors=2)
            with self.assertRaises(UserError):
                Connector.write([station.connectors[1]], {'number': 1})

    @with_transaction()
    def test_connector_status(self):
        "A reported status is kept with its error code and time"
        Connector = Pool().get('ev.connector')
        company = create_company()
        with set_company(company):
            station = self._station()
            connector, = station.connectors
            self.assertEqual(connector.status, 'unknown')
            Connector.set_status([connector], 'faulted',
                error_code='GroundFailure', at=T0)
            self.assertEqual(connector.status, 'faulted')
            self.assertEqual(connector.error_code, 'GroundFailure')
            self.assertEqual(connector.status_at, T0)
            Connector.set_status([connector], 'available',
                error_code='no_error')
            self.assertIsNone(connector.error_code)

    @with_transaction()
    def test_session_lifecycle(self):
        "A session is numbered, started and stopped with its energy"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            station = self._station()
            session = self._session(station)
            self.assertTrue(session.number.startswith('S'))
            Session.start([session], at=T0, meter_start=1000,
                transaction_ref='42')
            self.assertEqual(session.state, 'active')
            self.assertEqual(session.energy_wh, 0)
            Session.stop([session], at=T0 + dt.timedelta(minutes=30),
                meter_stop=13500, reason='ev_disconnected')
            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.energy_wh, 12500)
            self.assertEqual(session.duration, dt.timedelta(minutes=30))
            self.assertIsNone(session.anomaly)
            self.assertEqual(session.partner, station.partner)

            # A finished session is not started or stopped again.
            Session.start([session], meter_start=0)
            Session.stop([session], meter_stop=99999)
            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.energy_wh, 12500)

    @with_transaction()
    def test_session_meter_backwards(self):
        "A meter that goes backwards is flagged and bills no energy"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            session = self._session(self._station())
            Session.start([session], at=T0, meter_start=5000)
            Session.stop([session], at=T0, meter_stop=4000)
            self.assertEqual(session.energy_wh, 0)
            self.assertIn('4000', session.anomaly)

    @with_transaction()
    def test_session_transaction_unique(self):
        "A transaction reference is unique on a station"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            station = self._station()
            first = self._session(station)
            Session.start([first], transaction_ref='7')
            second = self._session(station)
            with self.assertRaises(UserError):
                Session.start([second], transaction_ref='7')

    @with_transaction()
    def test_session_delete_started(self):
        "Only pending sessions can be deleted"
        Session = Pool().get('ev.session')
        company = create_company()
        with set_company(company):
            session = self._session(self._station())
            Session.start([session])
            with self.assertRaises(ValidationError):
                Session.delete([session])

    @with_transaction()
    def test_command_from_buttons(self):
        "Station, connector and session buttons queue commands"
        pool = Pool()
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        Session = pool.get('ev.session')
        Command = pool.get('ev.station.command')
        company = create_company()
        with set_company(company):
            station = self._station()
            Station.connect([station])
            connector, = station.connectors
            Station.reset([station])
            Connector.unlock([connector])
            Connector.make_unavailable([connector])
            session = self._session(station)
            Session.start([session])
            Session.remote_stop([session])

            commands = Command.search([], order=[('id', 'ASC')])
            self.assertEqual(
                [(c.action, c.state) for c in commands], [
                    ('reset', 'pending'),
                    ('unlock_connector', 'pending'),
                    ('change_availability', 'pending'),
                    ('remote_stop', 'pending'),
                    ])
            self.assertEqual(commands[0].arguments, {'type': 'soft'})
            self.assertEqual(commands[2].connector, connector)
            self.assertEqual(commands[3].session, session)
            self.assertTrue(all(c.requested_at for c in commands))
            self.assertEqual(connector.availability, 'inoperative')

    @with_transaction()
    def test_command_result_idempotent(self):
        "A late or repeated answer does not change a finished command"
        Command = Pool().get('ev.station.command')
        company = create_company()
        with set_company(company):
            station = self._station()
            command, = Command.request([
                    Command(station=station, action='reset')])
            Command.set_result([command], 'sent', daemon='d1')
            self.assertEqual(command.state, 'sent')
            Command.set_result([command], 'accepted',
                response={'status': 'Accepted'})
            self.assertEqual(command.state, 'accepted')
            self.assertEqual(
                json.loads(command.response), {'status': 'Accepted'})
            answered_at = command.answered_at

            Command.set_result([command], 'timed_out')
            self.assertEqual(command.state, 'accepted')
            self.assertEqual(command.answered_at, answered_at)

    @with_transaction()
    def test_command_parameters_json(self):
        "Command parameters must be a JSON object"
        Command = Pool().get('ev.station.command')
        company = create_company()
        with set_company(company):
            station = self._station()
            for parameters in ['{bad', '[1, 2]', '"x"']:
                with self.subTest(parameters=parameters):
                    with self.assertRaises(ValidationError):
                        Command(station=station, action='reset',
                            parameters=parameters).save()

    @with_transaction()
    def test_command_disconnected_station(self):
        "A disconnected station gets safety commands, not business"
        pool = Pool()
        Station = pool.get('ev.station')
        Command = pool.get('ev.station.command')
        company = create_company()
        with set_company(company):
            station = self._station()
            Station.connect([station])
            Station.disconnect([station])
            with self.assertRaises(UserError):
                Command.request([Command(station=station,
                            action='remote_start',
                            parameters='{"id_tag": "X"}')])
            command, = Command.request([
                    Command(station=station, action='reset')])
            self.assertEqual(command.state, 'pending')

    @with_transaction()
    def test_mark_offline(self):
        "Stations silent past the timeout go offline, with an event"
        pool = Pool()
        Station = pool.get('ev.station')
        Event = pool.get('ev.station.event')
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            timeout = Configuration(1).offline_timeout
            silent = self._station('CP-SILENT')
            alive = self._station('CP-ALIVE')
            Station.write([silent], {'ocpp_daemon': 'd1'})
            Station.set_seen([silent],
                at=T0 - dt.timedelta(seconds=timeout + 1))
            Station.set_seen([alive], at=T0 - dt.timedelta(seconds=10))

            Station.mark_offline(now=T0)
            self.assertFalse(silent.online)
            self.assertIsNone(silent.ocpp_daemon)
            self.assertTrue(alive.online)
            event, = Event.search([('station', '=', silent.id)])
            self.assertEqual(event.kind, 'connection')
            self.assertIn(str(timeout), event.description)

            # Once offline, the next run changes nothing.
            Station.mark_offline(now=T0)
            self.assertEqual(Event.search_count([]), 1)

    @with_transaction()
    def test_command_time_out(self):
        "Commands left pending or sent past the timeout are timed out"
        pool = Pool()
        Command = pool.get('ev.station.command')
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            timeout = dt.timedelta(
                seconds=Configuration(1).command_timeout)
            station = self._station()
            old, sent, fresh, done = Command.request([
                    Command(station=station, action='reset')
                    for _ in range(4)])
            Command.write([old], {'requested_at': T0 - 2 * timeout})
            Command.set_result([sent], 'sent', at=T0 - 2 * timeout)
            Command.write([fresh], {'requested_at': T0})
            Command.set_result([done], 'sent', at=T0 - 2 * timeout)
            Command.set_result([done], 'accepted', at=T0 - timeout)

            Command.time_out(now=T0)
            self.assertEqual(
                [c.state for c in [old, sent, fresh, done]],
                ['timed_out', 'timed_out', 'pending', 'accepted'])

    @with_transaction()
    def test_configuration_defaults(self):
        "The station settings have working defaults"
        Configuration = Pool().get('ev.configuration')
        config = Configuration(1)
        self.assertEqual(config.unknown_station, 'refuse')
        self.assertGreater(config.heartbeat_interval, 0)
        self.assertTrue(config.session_sequence)


del ModuleTestCase
