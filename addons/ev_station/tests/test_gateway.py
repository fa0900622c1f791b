# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Unit tests of ev.ocpp.gateway, the facade the OCPP daemon calls"
import datetime as dt
import json
import threading
import unittest
from decimal import Decimal
from unittest.mock import patch

from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, RequiredValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.ev_partner.tools import utcnow
from trytond.modules.ev_station.exceptions import ConcurrentInsertError
from trytond.modules.ev_station.gateway import format_utc, parse_utc
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction, TransactionError

T0 = dt.datetime(2026, 11, 27, 10, 0)


def iso(value):
    return value.isoformat() + 'Z'


class GatewayMixin:
    "Build stations, tags and sessions the way the platform has them"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_station')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def station(self, identity='CP-001', connectors=2, password='s3cret',
            connect=True, **values):
        pool = Pool()
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        type_, = ConnectorType.search([('code', '=', 'ccs2')])
        partner = Party(name="Partner", ev_partner=True)
        partner.save()
        station = Station(name=identity, identity=identity, partner=partner,
            password=password, **values)
        station.connectors = [
            Connector(number=n, evse=n, type=type_, max_power=Decimal('50'))
            for n in range(1, connectors + 1)]
        station.save()
        if connect:
            Station.connect([station])
        return station

    def tag(self, code='TAG-1', **values):
        pool = Pool()
        Party = pool.get('party.party')
        IdTag = pool.get('ev.id_tag')
        client = Party(name="Client %s" % code, ev_client=True)
        client.save()
        tag = IdTag(code=code, party=client, **values)
        tag.save()
        return tag

    def gateway(self):
        return Pool().get('ev.ocpp.gateway')

    def connect(self, station, daemon='d1', password='s3cret', **kwargs):
        return self.gateway().connect(
            station.identity, password, daemon, '1.6', '127.0.0.1', **kwargs)

    def count(self, model, domain=None):
        return len(Pool().get(model).search(domain or []))


class GatewayTestCase(GatewayMixin, unittest.TestCase):
    "Test the OCPP facade"

    def test_parse_utc(self):
        "ISO 8601 times become naive UTC"
        self.assertEqual(parse_utc('2026-11-27T10:00:00Z'), T0)
        self.assertEqual(parse_utc('2026-11-27T13:00:00+03:00'), T0)
        self.assertEqual(parse_utc('2026-11-27T10:00:00'), T0)
        self.assertEqual(
            parse_utc('2026-11-27T10:00:00.250Z'),
            T0.replace(microsecond=250000))
        self.assertIsNone(parse_utc(None))
        self.assertIsNone(parse_utc(''))
        for value in ['yesterday', '27/11/2026', 42]:
            with self.subTest(value=value):
                with self.assertRaises(UserError):
                    parse_utc(value)
        self.assertEqual(format_utc(T0), '2026-11-27T10:00:00Z')
        self.assertIsNone(format_utc(None))

    @with_transaction()
    def test_connect_accepted(self):
        "A known station with the right password connects"
        pool = Pool()
        Event = pool.get('ev.station.event')
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            station = self.station()
            interval = Configuration(1).heartbeat_interval
            result = self.connect(station)
            self.assertEqual(result, {
                    'accepted': True,
                    'reason': None,
                    'registration_status': 'accepted',
                    'heartbeat_interval': interval,
                    })
            self.assertTrue(station.online)
            self.assertEqual(station.ocpp_daemon, 'd1')
            self.assertEqual(station.ocpp_version, '1.6')
            self.assertTrue(station.last_seen_at)
            event, = Event.search([('station', '=', station.id)])
            self.assertEqual(event.kind, 'connection')
            self.assertIn('d1', event.description)

            station.heartbeat_interval = 60
            station.save()
            self.assertEqual(
                self.connect(station)['heartbeat_interval'], 60)

            # The password wrapped so that trytond's log hides it.
            self.assertTrue(self.connect(
                    station, password={'password': 's3cret'})['accepted'])
            self.assertFalse(self.connect(
                    station, password={'password': 'bad'})['accepted'])

            # A draft station (not yet in service) may connect too.
            draft = self.station('CP-002', connect=False)
            self.assertTrue(self.connect(draft)['accepted'])

    @with_transaction()
    def test_connect_refused(self):
        "Disconnected, archived stations and wrong passwords are refused"
        pool = Pool()
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            station = self.station()
            for password in ['wrong', '', None]:
                with self.subTest(password=password):
                    result = self.connect(station, password=password)
                    self.assertEqual(result, {
                            'accepted': False,
                            'reason': 'password',
                            'registration_status': None,
                            'heartbeat_interval': None,
                            })
            Station.disconnect([station])
            self.assertEqual(
                self.connect(station)['reason'], 'disconnected')
            Station.connect([station])
            station.active = False
            station.save()
            self.assertEqual(self.connect(station)['reason'], 'inactive')

            # No password on the station: nothing matches.
            bare = self.station('CP-002', password=None)
            self.assertEqual(
                self.connect(bare, password=None)['reason'], 'password')

            self.assertFalse(Station(station.id).online)
            self.assertIsNone(Station(station.id).ocpp_daemon)
            with self.assertRaises(UserError):
                self.gateway().connect('CP-001', 's3cret', None, '1.6', None)

    @with_transaction()
    def test_connect_unknown_refuse(self):
        "An unknown charger is refused when the configuration says so"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            self.assertEqual(Configuration(1).unknown_station, 'refuse')
            result = self.gateway().connect(
                'NEW-1', 'pw', 'd1', '2.0.1', '10.0.0.1')
            self.assertEqual(result['accepted'], False)
            self.assertEqual(result['reason'], 'unknown')
            self.assertEqual(self.count('ev.station'), 0)

    @with_transaction()
    def test_connect_unknown_pending(self):
        "An unknown charger registers itself as a pending draft station"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Station = pool.get('ev.station')
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            config = Configuration(1)
            config.unknown_station = 'pending'
            config.save()

            result = Gateway.connect('NEW-1', 'pw', 'd1', '2.0.1', '10.0.0.1')
            self.assertEqual(result['accepted'], True)
            self.assertEqual(result['registration_status'], 'pending')
            station, = Station.search([('identity', '=', 'NEW-1')])
            self.assertEqual(station.state, 'draft')
            self.assertEqual(station.registration_status, 'pending')
            self.assertEqual(station.company, company)
            self.assertIsNone(station.partner)
            self.assertEqual(station.ocpp_daemon, 'd1')
            self.assertEqual(station.ocpp_version, '2.0.1')
            self.assertTrue(station.online)
            self.assertTrue(station.check_password('pw'))
            event, = Event.search([
                    ('station', '=', station.id),
                    ('severity', '=', 'warning'),
                    ])
            self.assertIn('10.0.0.1', event.description)

            # Its boot gets the pending answer until an operator decides.
            result = Gateway.boot('NEW-1', 'b1', iso(T0), {
                    'vendor': 'ACME', 'model': 'X'})
            self.assertEqual(result['registration_status'], 'pending')

            # The next connection is a known station: password checked.
            self.assertEqual(
                Gateway.connect('NEW-1', 'bad', 'd1', '2.0.1', None)[
                    'reason'], 'password')
            self.assertTrue(
                Gateway.connect('NEW-1', 'pw', 'd1', '2.0.1', None)[
                    'accepted'])
            self.assertEqual(self.count('ev.station'), 1)

            # The owner is required to put it in service.
            with self.assertRaises(RequiredValidationError):
                Station.connect([station])

            # Identities that cannot be a station are refused.
            result = Gateway.connect('BAD ID', 'pw', 'd1', '1.6', None)
            self.assertEqual(result['reason'], 'unknown')

    @with_transaction()
    def test_disconnect_only_by_holder(self):
        "Only the daemon that holds the connection takes a station offline"
        pool = Pool()
        Station = pool.get('ev.station')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station, daemon='d1')
            # The charger reconnects through another daemon before the
            # first one notices the old socket closed.
            self.connect(station, daemon='d2')
            self.assertEqual(Gateway.disconnect(
                    'CP-001', 'd1', iso(T0)), {})
            station = Station(station.id)
            self.assertTrue(station.online)
            self.assertEqual(station.ocpp_daemon, 'd2')

            Gateway.disconnect('CP-001', 'd2', iso(T0))
            station = Station(station.id)
            self.assertFalse(station.online)
            self.assertIsNone(station.ocpp_daemon)
            self.assertEqual(Gateway.disconnect('UNKNOWN', 'd2', None), {})

    @with_transaction()
    def test_seen(self):
        "One call marks alive the stations the daemon holds, no others"
        pool = Pool()
        Station = pool.get('ev.station')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            held = self.station('CP-001')
            other = self.station('CP-002')
            self.connect(held, daemon='d1')
            self.connect(other, daemon='d2')
            held = Station(held.id)
            # connect() records the real time: report an hour past it.
            later = held.last_seen_at.replace(microsecond=0) + dt.timedelta(
                hours=1)
            Gateway.seen('d1', ['CP-001', 'CP-002', 'UNKNOWN'], iso(later))
            held, other = Station(held.id), Station(other.id)
            self.assertEqual(held.last_seen_at, later)
            self.assertNotEqual(other.last_seen_at, later)
            # An older report never moves last seen back.
            Gateway.seen('d1', ['CP-001'], iso(later - dt.timedelta(
                        minutes=1)))
            self.assertEqual(Station(held.id).last_seen_at, later)
            with self.assertRaises(UserError):
                Gateway.seen('d1', 'CP-001', iso(T0))

    @with_transaction()
    def test_boot(self):
        "A boot records the charger data and answers the registration"
        pool = Pool()
        Station = pool.get('ev.station')
        Event = pool.get('ev.station.event')
        Message = pool.get('ev.ocpp.message')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station(heartbeat_interval=120)
            self.connect(station)
            info = {
                'vendor': 'ABB', 'model': 'Terra 54',
                'serial_number': 'SN-1', 'firmware_version': '1.2.3',
                'reason': 'power_up',
                }
            result = Gateway.boot('CP-001', 'boot-1', iso(T0), info)
            self.assertEqual(result, {
                    'registration_status': 'accepted',
                    'heartbeat_interval': 120,
                    })
            station = Station(station.id)
            self.assertEqual(
                (station.vendor, station.model, station.serial_number,
                    station.firmware_version),
                ('ABB', 'Terra 54', 'SN-1', '1.2.3'))
            event, = Event.search([('kind', '=', 'boot')])
            self.assertEqual(event.occurred_at, T0)
            self.assertEqual(json.loads(event.payload), info)
            message, = Message.search([])
            self.assertEqual(message.action, 'boot')
            self.assertEqual(message.key, 'boot-1')
            self.assertEqual(message.result_value, result)

            # A replay returns the stored answer and changes nothing.
            Station.reject_registration([station])
            replay = Gateway.boot('CP-001', 'boot-1', iso(T0), {
                    'vendor': 'Other'})
            self.assertEqual(replay, result)
            self.assertEqual(Station(station.id).vendor, 'ABB')
            self.assertEqual(self.count('ev.station.event',
                    [('kind', '=', 'boot')]), 1)
            self.assertEqual(self.count('ev.ocpp.message'), 1)

            # A new boot gets the new answer.
            self.assertEqual(Gateway.boot('CP-001', 'boot-2', iso(T0), {})[
                    'registration_status'], 'rejected')

            # Without a key (a live boot), the call is done every time.
            for _ in range(2):
                self.assertEqual(Gateway.boot('CP-001', None, iso(T0), {})[
                        'registration_status'], 'rejected')
            self.assertEqual(self.count('ev.station.event',
                    [('kind', '=', 'boot')]), 4)
            self.assertEqual(self.count('ev.ocpp.message'), 2)
            with self.assertRaises(UserError):
                Gateway.boot('NOPE', 'boot-3', iso(T0), {})

    @with_transaction()
    def test_heartbeat(self):
        "A heartbeat moves the last seen time forward only"
        pool = Pool()
        Station = pool.get('ev.station')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            later = (utcnow() + dt.timedelta(hours=1)).replace(microsecond=0)
            self.assertEqual(Gateway.heartbeat('CP-001', iso(later)), {})
            self.assertTrue(Station(station.id).online)
            self.assertEqual(Station(station.id).last_seen_at, later)
            Gateway.heartbeat('CP-001', iso(later - dt.timedelta(hours=2)))
            self.assertEqual(Station(station.id).last_seen_at, later)

    @with_transaction()
    def test_authorize(self):
        "Authorize answers the effective status of the tag"
        pool = Pool()
        IdTag = pool.get('ev.id_tag')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            self.station()
            now = utcnow()
            accepted = self.tag('ACC-1')
            blocked = self.tag('BLK-1', status='blocked')
            self.tag('EXP-1', expires_at=now - dt.timedelta(days=1))
            fleet = self.tag('FLEET-0', expires_at=now + dt.timedelta(days=9))
            self.tag('FLEET-1', parent=fleet,
                expires_at=now + dt.timedelta(days=30))
            archived = self.tag('OLD-1')
            archived.active = False
            archived.save()

            def authorize(code):
                return Gateway.authorize('CP-001', code)

            self.assertEqual(authorize('ACC-1'), {
                    'status': 'accepted',
                    'parent_id_tag': None,
                    'expires_at': None,
                    })
            self.assertEqual(authorize('acc-1')['status'], 'accepted')
            self.assertEqual(authorize('BLK-1')['status'], 'blocked')
            self.assertEqual(authorize('EXP-1')['status'], 'expired')
            self.assertEqual(authorize('OLD-1')['status'], 'blocked')
            self.assertEqual(authorize('NOPE')['status'], 'invalid')
            self.assertEqual(authorize('')['status'], 'invalid')
            self.assertEqual(authorize('ACC_1')['status'], 'invalid')
            self.assertEqual(authorize('FLEET-1'), {
                    'status': 'accepted',
                    'parent_id_tag': 'FLEET-0',
                    'expires_at': format_utc(
                        now + dt.timedelta(days=9)),
                    })
            # A blocked parent blocks its cards.
            IdTag.write([fleet], {'status': 'blocked'})
            self.assertEqual(authorize('FLEET-1')['status'], 'blocked')
            IdTag.write([blocked], {'status': 'accepted'})
            self.assertEqual(authorize('BLK-1')['status'], 'accepted')

            # Charging elsewhere: concurrent_tx; here it may stop.
            other = self.station('CP-002')
            self.connect(other)
            Gateway.start_transaction('CP-002', 'k1', iso(T0), 1, None,
                'ACC-1', 0, '100')
            self.assertEqual(authorize('ACC-1')['status'], 'concurrent_tx')
            self.assertEqual(
                Gateway.authorize('CP-002', 'ACC-1')['status'], 'accepted')
            self.assertEqual(accepted.effective_status, 'accepted')

    @with_transaction()
    def test_session_flow(self):
        "Start, meter values and stop make a finished session with energy"
        pool = Pool()
        Session = pool.get('ev.session')
        MeterValue = pool.get('ev.session.meter_value')
        Connector = pool.get('ev.connector')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station)
            tag = self.tag('ACC-1')

            # As the daemon sends it for OCPP 1.6: the connectorId as EVSE.
            result = Gateway.start_transaction('CP-001', 'start-1', iso(T0),
                2, 2, 'ACC-1', 10000, 1001)
            session, = Session.search([])
            self.assertEqual(result, {
                    'session': session.id, 'id_tag_status': 'accepted'})
            self.assertEqual(session.state, 'active')
            self.assertEqual(session.connector.number, 2)
            self.assertEqual(session.transaction_ref, '1001')
            self.assertEqual(session.meter_start, 10000)
            self.assertEqual(session.start_at, T0)
            self.assertEqual(session.id_tag, tag)
            self.assertEqual(session.client, tag.party)
            self.assertEqual(session.company, company)
            self.assertIsNone(session.anomaly)

            samples = [
                {'at': iso(T0 + dt.timedelta(minutes=5)),
                    'energy_wh': 11000, 'power_w': 12000,
                    'current_a': 17.4, 'voltage_v': 230.1, 'soc': 40},
                {'at': iso(T0 + dt.timedelta(minutes=10)),
                    'energy_wh': 12500, 'soc': 45},
                ]
            result = Gateway.meter_values('CP-001', 'mv-1', '1001', 2,
                samples)
            self.assertEqual(result, {'session': session.id})
            values = MeterValue.search([('session', '=', session.id)])
            self.assertEqual(
                [(v.energy_wh, v.power_w, v.soc) for v in values],
                [(11000, 12000, 40), (12500, None, 45)])
            self.assertEqual(values[0].current_a, 17.4)
            self.assertEqual(Session(session.id).energy_wh, 2500)

            # Readings without a transaction go to the running session.
            Gateway.meter_values('CP-001', 'mv-2', None, 2, [
                    {'at': iso(T0 + dt.timedelta(minutes=15)),
                        'energy_wh': 13000}])
            self.assertEqual(Session(session.id).energy_wh, 3000)
            self.assertEqual(Gateway.meter_values('CP-001', 'mv-3', None,
                    1, [{'energy_wh': 5}]), {'session': None})

            result = Gateway.stop_transaction('CP-001', 'stop-1',
                iso(T0 + dt.timedelta(minutes=30)), '1001', 14000,
                'ev_disconnected', 'ACC-1', [
                    {'at': iso(T0 + dt.timedelta(minutes=30)),
                        'energy_wh': 14000}])
            self.assertEqual(result, {'session': session.id})
            session = Session(session.id)
            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.stop_at, T0 + dt.timedelta(minutes=30))
            self.assertEqual(session.meter_stop, 14000)
            self.assertEqual(session.energy_wh, 4000)
            self.assertEqual(session.stop_reason, 'ev_disconnected')
            self.assertEqual(len(session.meter_values), 4)
            self.assertIsNone(session.anomaly)

            # Every keyed call replayed: same answers, nothing new.
            counts = {m: self.count(m) for m in [
                    'ev.session', 'ev.session.meter_value',
                    'ev.station.event', 'ev.ocpp.message', 'ev.connector']}
            self.assertEqual(Gateway.start_transaction('CP-001', 'start-1',
                    iso(T0), 2, 2, 'ACC-1', 10000, 1001),
                {'session': session.id, 'id_tag_status': 'accepted'})
            self.assertEqual(Gateway.meter_values('CP-001', 'mv-1', '1001',
                    2, samples), {'session': session.id})
            self.assertEqual(Gateway.stop_transaction('CP-001', 'stop-1',
                    iso(T0), '1001', 99999, 'local', None, []),
                {'session': session.id})
            self.assertEqual(counts, {m: self.count(m) for m in counts})
            session = Session(session.id)
            self.assertEqual(
                (session.energy_wh, session.stop_reason),
                (4000, 'ev_disconnected'))
            self.assertEqual(Connector(session.connector.id).status,
                'unknown')

    @with_transaction()
    def test_start_refused_tag(self):
        "A refused tag still records the session, with the refusal"
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station)
            self.tag('BLK-1', status='blocked')
            self.tag('ACC-1')

            result = Gateway.start_transaction('CP-001', 's1', iso(T0), 1,
                None, 'UNKNOWN', 0, '1')
            self.assertEqual(result['id_tag_status'], 'invalid')
            session = Session(result['session'])
            self.assertEqual(session.state, 'active')
            self.assertIsNone(session.id_tag)
            self.assertEqual(session.id_tag_code, 'UNKNOWN')
            self.assertIn('UNKNOWN', session.anomaly)

            result = Gateway.start_transaction('CP-001', 's2', iso(T0), 2,
                None, 'BLK-1', 0, '2')
            self.assertEqual(result['id_tag_status'], 'blocked')
            self.assertIn('BLK-1', Session(result['session']).anomaly)

            # The same tag on a second connector: concurrent.
            Gateway.start_transaction('CP-001', 's3', iso(T0), 1, None,
                'ACC-1', 0, '3')
            result = Gateway.start_transaction('CP-001', 's4', iso(T0), 2,
                None, 'ACC-1', 0, '4')
            self.assertEqual(result['id_tag_status'], 'concurrent_tx')
            self.assertEqual(self.count('ev.session'), 4)

            # A station out of service: recorded, flagged.
            Station.disconnect([station])
            result = Gateway.start_transaction('CP-001', 's5', iso(T0), 1,
                None, 'ACC-1', 0, '5')
            self.assertIn('CP-001', Session(result['session']).anomaly)

    @with_transaction()
    def test_partner_suspended_cascade(self):
        "A suspended partner's stations refuse new sessions, finish others"
        pool = Pool()
        Partner = pool.get('ev.partner')
        Session = pool.get('ev.session')
        Command = pool.get('ev.station.command')
        AuditLog = pool.get('ev.audit.log')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            partner = Partner(party=station.partner, legal_name="Volt LLC",
                contact_email='volt@example.com')
            partner.save()
            Partner.review([partner])
            Partner.connect([partner])
            self.connect(station)
            self.tag('ACC-1')
            self.tag('ACC-2')
            running = Gateway.start_transaction('CP-001', 's1', iso(T0), 1,
                None, 'ACC-1', 0, '1')
            self.assertEqual(running['id_tag_status'], 'accepted')

            Partner.suspend([partner])
            self.assertEqual(station.__class__(station.id).partner_state,
                'suspended')
            self.assertFalse(station.__class__(station.id).may_charge)
            # The charger is told to show itself out of service.
            command, = Command.search([
                    ('station', '=', station.id),
                    ('action', '=', 'change_availability'),
                    ])
            self.assertEqual(json.loads(command.parameters),
                {'type': 'inoperative'})
            self.assertEqual(command.state, 'pending')
            self.assertEqual(
                Gateway.authorize('CP-001', 'ACC-2')['status'], 'blocked')
            refused = Gateway.start_transaction('CP-001', 's2', iso(T0), 2,
                None, 'ACC-2', 0, '2')
            self.assertEqual(refused['id_tag_status'], 'blocked')
            with self.assertRaises(UserError):
                Command.request([Command(station=station,
                            action='remote_start',
                            parameters=json.dumps({'id_tag': 'ACC-2'}))])
            # The session that was running finishes normally.
            Gateway.stop_transaction('CP-001', 'stop-1',
                iso(T0 + dt.timedelta(minutes=20)), '1', 5000, 'local',
                'ACC-1', [])
            session = Session(running['session'])
            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.energy_wh, 5000)
            self.assertIsNone(session.anomaly)

            Partner.connect([partner])
            self.assertTrue(station.__class__(station.id).may_charge)
            self.assertEqual(
                Gateway.authorize('CP-001', 'ACC-2')['status'], 'accepted')
            self.assertEqual(Command.search([
                        ('station', '=', station.id),
                        ('action', '=', 'change_availability'),
                        ], order=[('id', 'DESC')])[0].parameters,
                json.dumps({'type': 'operative'}))
            self.assertEqual(
                [(l.action, l.new_value) for l in AuditLog.search([
                            ('resource', '=', str(partner)),
                            ], order=[('id', 'ASC')])],
                [('partner_state', 'Under Review'),
                    ('partner_state', 'Connected'),
                    ('partner_state', 'Suspended'),
                    ('partner_state', 'Connected')])

    @with_transaction()
    def test_start_same_transaction_other_key(self):
        "A transaction told twice under two keys is one session"
        pool = Pool()
        Session = pool.get('ev.session')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station)
            first = Gateway.start_transaction('CP-001', 'a', iso(T0), 1,
                None, 'X', 0, 'uuid-1')
            second = Gateway.start_transaction('CP-001', 'b', iso(T0), 1,
                None, 'X', 0, 'uuid-1')
            self.assertEqual(first['session'], second['session'])
            self.assertEqual(len(Session.search([])), 1)

    @with_transaction()
    def test_start_unknown_connector(self):
        "A connector the platform does not know is created and flagged"
        pool = Pool()
        Connector = pool.get('ev.connector')
        Event = pool.get('ev.station.event')
        Session = pool.get('ev.session')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station(connectors=1)
            self.connect(station)
            result = Gateway.start_transaction('CP-001', 's1', iso(T0), 3,
                None, 'X', 0, '1')
            connector = Session(result['session']).connector
            self.assertEqual((connector.number, connector.evse), (3, 3))
            self.assertEqual(connector.type.code, 'type2')
            self.assertEqual(connector.max_power, Decimal('43'))
            event, = Event.search([('severity', '=', 'warning')])
            self.assertEqual(event.connector, connector)
            self.assertEqual(len(Connector.search([])), 2)

            # Several connectors and none named: the daemon must say.
            with self.assertRaises(UserError):
                Gateway.start_transaction('CP-001', 's2', iso(T0), None,
                    None, 'X', 0, '2')

    @with_transaction()
    def test_meter_values_backwards(self):
        "A register going backwards is stored and flagged, energy >= 0"
        pool = Pool()
        Session = pool.get('ev.session')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station)
            result = Gateway.start_transaction('CP-001', 's1', iso(T0), 1,
                None, 'X', 5000, '1')
            session_id = result['session']

            def sample(minutes, energy):
                return {'at': iso(T0 + dt.timedelta(minutes=minutes)),
                    'energy_wh': energy}

            Gateway.meter_values('CP-001', 'm1', '1', 1, [
                    sample(1, 6000), sample(2, 5500)])
            session = Session(session_id)
            self.assertEqual(session.energy_wh, 500)
            self.assertIn('5500', session.anomaly)
            self.assertIn('6000', session.anomaly)
            self.assertEqual(len(session.meter_values), 2)

            Gateway.meter_values('CP-001', 'm2', '1', 1, [sample(3, 4000)])
            session = Session(session_id)
            self.assertEqual(session.energy_wh, 0)
            # The unknown tag, and two readings going backwards.
            self.assertEqual(len(session.anomaly.splitlines()), 3,
                msg=session.anomaly)

    @with_transaction()
    def test_meter_values_unknown_transaction(self):
        "Meter values of an unknown transaction leave a warning"
        pool = Pool()
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            self.station()
            result = Gateway.meter_values('CP-001', 'm1', '77', 1, [
                    {'at': iso(T0), 'energy_wh': 1}])
            self.assertEqual(result, {'session': None})
            event, = Event.search([])
            self.assertEqual(
                (event.kind, event.severity), ('transaction', 'warning'))
            self.assertEqual(self.count('ev.session.meter_value'), 0)

    @with_transaction()
    def test_stop_unknown_transaction(self):
        "Stopping an unknown transaction records an error event once"
        pool = Pool()
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            self.station()
            for _ in range(2):
                result = Gateway.stop_transaction('CP-001', 'stop-9',
                    iso(T0), '999', 100, 'local', None, [])
                self.assertEqual(result, {'session': None})
            event, = Event.search([])
            self.assertEqual(
                (event.kind, event.severity), ('transaction', 'error'))
            self.assertIn('999', event.description)

    @with_transaction()
    def test_ocpp201_flow(self):
        "OCPP 2.0.1: no meter start or stop, token told later, EVSEs"
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station(connectors=1)
            type_, = ConnectorType.search([('code', '=', 'type2')])
            # EVSE 1 has two connectors: numbers 1 and 2.
            Connector.create([{
                        'station': station.id, 'number': 2, 'evse': 1,
                        'type': type_.id, 'max_power': Decimal('22')}])
            Gateway.connect('CP-001', 's3cret', 'd1', '2.0.1', None)
            self.assertEqual(Station(station.id).ocpp_version, '2.0.1')
            tag = self.tag('APP-1')

            result = Gateway.start_transaction('CP-001', 'e1', iso(T0), 2, 1,
                None, None, 'f0e1-uuid')
            session = Session(result['session'])
            self.assertEqual(session.connector.number, 2)
            self.assertIsNone(session.meter_start)
            self.assertEqual(result['id_tag_status'], 'invalid')

            Gateway.meter_values('CP-001', 'e2', 'f0e1-uuid', None, [
                    {'at': iso(T0), 'energy_wh': 2000},
                    {'at': iso(T0 + dt.timedelta(minutes=5)),
                        'energy_wh': 2600}])
            session = Session(session.id)
            self.assertEqual(session.meter_start, 2000)
            self.assertEqual(session.energy_wh, 600)

            Gateway.stop_transaction('CP-001', 'e3',
                iso(T0 + dt.timedelta(minutes=10)), 'f0e1-uuid', None,
                'local', 'APP-1', [
                    {'at': iso(T0 + dt.timedelta(minutes=10)),
                        'energy_wh': 3100}])
            session = Session(session.id)
            self.assertEqual(session.state, 'finished')
            self.assertEqual(session.meter_stop, 3100)
            self.assertEqual(session.energy_wh, 1100)
            self.assertEqual(session.id_tag, tag)
            self.assertEqual(session.client, tag.party)

    @with_transaction()
    def test_status(self):
        "Status notifications update connectors and leave events"
        pool = Pool()
        Connector = pool.get('ev.connector')
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            self.connect(station)
            one, two = station.connectors

            def status(key, at, connector, value, error_code=None,
                    evse=None, info=None):
                return Gateway.status('CP-001', key, iso(at), connector,
                    evse, value, error_code, info)

            self.assertEqual(status('s1', T0, 1, 'charging', 'no_error'), {})
            one = Connector(one.id)
            self.assertEqual((one.status, one.status_at, one.error_code),
                ('charging', T0, None))
            event, = Event.search([('kind', '!=', 'connection')])
            self.assertEqual(
                (event.kind, event.severity, event.connector),
                ('status', 'info', one))
            self.assertIn('Charging', event.description)

            status('s2', T0, 2, 'faulted', 'ground_failure', info='GF 12')
            two = Connector(two.id)
            self.assertEqual((two.status, two.error_code, two.status_info),
                ('faulted', 'ground_failure', 'GF 12'))
            event = Event.search([], limit=1, order=[('id', 'DESC')])[0]
            self.assertEqual((event.kind, event.severity, event.error_code),
                ('fault', 'error', 'ground_failure'))
            # An error code without a fault is a fault event too.
            status('s3', T0, 1, 'charging', 'high_temperature')
            event = Event.search([], limit=1, order=[('id', 'DESC')])[0]
            self.assertEqual(event.kind, 'fault')

            # An older report delivered late does not undo a newer one.
            status('s4', T0 - dt.timedelta(minutes=1), 1, 'available')
            self.assertEqual(Connector(one.id).status, 'charging')

            # Connector 0 is the station: an event, connectors untouched...
            status('s5', T0, 0, 'available')
            self.assertEqual(
                [c.status for c in Connector.search([])],
                ['charging', 'faulted'])
            event = Event.search([], limit=1, order=[('id', 'DESC')])[0]
            self.assertIsNone(event.connector)
            # ...unless the whole station is out.
            status('s6', T0 + dt.timedelta(minutes=1), 0, 'unavailable')
            self.assertEqual(
                [c.status for c in Connector.search([])],
                ['unavailable', 'unavailable'])

            # OCPP 1.6 numbers connectors on the station: the daemon sends
            # the connectorId as the EVSE too.
            status('s7', T0 + dt.timedelta(minutes=2), 2, 'preparing',
                evse=2)
            self.assertEqual(Connector(two.id).status, 'preparing')
            self.assertEqual(Connector(one.id).status, 'unavailable')

            # OCPP 2.0.1 counts connectors within their EVSE.
            Gateway.connect('CP-001', 's3cret', 'd1', '2.0.1', None)
            status('s7b', T0 + dt.timedelta(minutes=3), 1, 'available',
                evse=2)
            self.assertEqual(Connector(two.id).status, 'available')
            self.assertEqual(Connector(one.id).status, 'unavailable')

            # Replay: nothing new.
            events = self.count('ev.station.event')
            status('s7', T0 + dt.timedelta(minutes=9), 1, 'faulted',
                evse=2)
            self.assertEqual(Connector(two.id).status, 'available')
            self.assertEqual(self.count('ev.station.event'), events)

            # A connector the platform does not know is created.
            status('s8', T0, 1, 'available', evse=3)
            three, = Connector.search([('number', '=', 3)])
            self.assertEqual((three.evse, three.status), (3, 'available'))

            with self.assertRaises(UserError):
                status('s9', T0, 1, 'bogus')

    @with_transaction()
    def test_event(self):
        "Events keep their payload and are recorded once per key"
        pool = Pool()
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            payload = {'status': 'Installed', 'requestId': 7}
            for _ in range(2):
                self.assertEqual(Gateway.event('CP-001', 'fw-1', iso(T0),
                        'firmware', 'info', "Firmware installed", None,
                        payload, 2), {})
            event, = Event.search([])
            self.assertEqual(
                (event.kind, event.occurred_at, event.connector),
                ('firmware', T0, station.connectors[1]))
            self.assertEqual(json.loads(event.payload), payload)

            Gateway.event('CP-001', 'sec-1', None, 'security', 'warning',
                "Invalid certificate", 'InvalidCsmsCertificate', 'raw', None)
            event = Event.search([('kind', '=', 'security')])[0]
            self.assertEqual(event.payload, 'raw')
            self.assertEqual(event.error_code, 'InvalidCsmsCertificate')

            # A key belongs to one action.
            with self.assertRaises(UserError):
                Gateway.status('CP-001', 'fw-1', iso(T0), 1, None,
                    'available', None, None)

    @with_transaction()
    def test_reserve_transaction_ids(self):
        "Reserved ranges follow each other and never overlap"
        Gateway = self.gateway()
        first = Gateway.reserve_transaction_ids('d1', 10)
        second = Gateway.reserve_transaction_ids('d2', 5)
        third = Gateway.reserve_transaction_ids('d1', 1)
        self.assertEqual(first[1] - first[0], 9)
        self.assertEqual(second, [first[1] + 1, first[1] + 5])
        self.assertEqual(third, [second[1] + 1, second[1] + 1])
        for count in [0, -1, 10001, '5', None, True]:
            with self.subTest(count=count):
                with self.assertRaises(UserError):
                    Gateway.reserve_transaction_ids('d1', count)

    @with_transaction()
    def test_pending_commands(self):
        "Each daemon gets the pending commands of its stations, oldest first"
        pool = Pool()
        Command = pool.get('ev.station.command')
        Connector = pool.get('ev.connector')
        Session = pool.get('ev.session')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            one = self.station('CP-001')
            two = self.station('CP-002')
            self.connect(one, daemon='d1')
            Gateway.connect('CP-002', 's3cret', 'd2', '2.0.1', None)
            started = Gateway.start_transaction('CP-001', 's', iso(T0), 1,
                None, 'X', 0, '42')

            Connector.unlock([one.connectors[1]])
            Session.remote_stop([Session(started['session'])])
            Connector.unlock([two.connectors[1]])
            draft = Command(station=one, action='reset')
            draft.save()

            commands = Gateway.pending_commands('d1', 10)
            self.assertEqual([c['action'] for c in commands],
                ['unlock_connector', 'remote_stop'])
            unlock, stop = commands
            self.assertEqual(unlock['identity'], 'CP-001')
            self.assertEqual((unlock['connector'], unlock['evse']), (2, 2))
            self.assertEqual(unlock['parameters'], {})
            self.assertIsNone(unlock['transaction_ref'])
            self.assertEqual(stop['transaction_ref'], '42')
            self.assertEqual(len(Gateway.pending_commands('d1', 1)), 1)

            # OCPP 2.0.1: the connector counted within its EVSE.
            command, = Gateway.pending_commands('d2', None)
            self.assertEqual((command['connector'], command['evse']), (1, 2))
            self.assertEqual(Gateway.pending_commands('d3', 10), [])

            # The commands of a station no daemon holds are not connected.
            orphan = self.station('CP-003')
            Connector.unlock([orphan.connectors[0]])
            Gateway.pending_commands('d1', 10)
            command, = Command.search([('station', '=', orphan.id)])
            self.assertEqual(command.state, 'not_connected')
            self.assertTrue(command.answered_at)
            Gateway.disconnect('CP-002', 'd2', None)
            self.assertEqual(Gateway.pending_commands('d2', 10), [])
            self.assertEqual(
                len(Command.search([('state', '=', 'not_connected')])), 2)

            # Once sent, a command is no longer pending.
            Gateway.command_result(unlock['id'], 'sent', None, None, 'd1')
            self.assertEqual(
                [c['id'] for c in Gateway.pending_commands('d1', 10)],
                [stop['id']])

    @with_transaction()
    def test_command_result(self):
        "Command results go through the workflow: late answers are ignored"
        pool = Pool()
        Command = pool.get('ev.station.command')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            command, = Command.request([
                    Command(station=station, action='reset')])
            self.assertEqual(Gateway.command_result(
                    command.id, 'sent', None, None, 'd1'), {'state': 'sent'})
            self.assertEqual(Gateway.command_result(
                    command.id, 'accepted', {'status': 'Accepted'}, None,
                    'd1'), {'state': 'accepted'})
            self.assertEqual(Gateway.command_result(
                    command.id, 'timed_out', None, 'late', 'd1'),
                {'state': 'accepted'})
            command = Command(command.id)
            self.assertEqual(command.daemon, 'd1')
            self.assertEqual(json.loads(command.response),
                {'status': 'Accepted'})
            self.assertIsNone(command.error)

            for args in [(command.id, 'cancelled'), (command.id, 'bogus'),
                    (-1, 'sent'), ('x', 'sent')]:
                with self.subTest(args=args):
                    with self.assertRaises(UserError):
                        Gateway.command_result(*args, None, None, 'd1')

    @with_transaction()
    def test_key_claim_conflict(self):
        "A key stored by a concurrent call restarts the transaction"
        pool = Pool()
        Message = pool.get('ev.ocpp.message')
        company = create_company()
        with set_company(company):
            station = self.station()
            Message.claim(station, 'k', 'event', {})
            # As if the other transaction committed after our snapshot.
            with patch.object(Message, 'search', return_value=[]):
                with self.assertRaises(ConcurrentInsertError) as cm:
                    Message.claim(station, 'k', 'event', {})
            self.assertIsInstance(cm.exception, TransactionError)

    @with_transaction()
    def test_technical_user(self):
        "The daemon's user calls the facade and reads nothing else"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Station = pool.get('ev.station')
        Session = pool.get('ev.session')
        Event = pool.get('ev.station.event')
        Gateway = self.gateway()
        company = create_company()
        with set_company(company):
            station = self.station()
            ocpp = User(ModelData.get_id('ev_station', 'user_ocpp'))
            self.assertEqual(ocpp.login, 'ocpp')
            self.assertTrue(ocpp.active)
            operator = User(login='op', name="Operator", groups=[
                    ModelData.get_id('ev_partner', 'group_ev_operator')])
            operator.save()

        transaction = Transaction()
        with transaction.set_user(ocpp.id), \
                transaction.set_context(_check_access=True):
            self.assertTrue(Gateway.connect(
                    'CP-001', 's3cret', 'd1', '1.6', None)['accepted'])
            Gateway.heartbeat('CP-001', None)
            Gateway.start_transaction('CP-001', 'k1', iso(T0), 1, None,
                'X', 0, '1')
            Gateway.authorize('CP-001', 'X')
            Gateway.pending_commands('d1', 10)
            for Model in [Station, Session, Event]:
                with self.subTest(model=Model.__name__):
                    with self.assertRaises(AccessError):
                        Model.search([])
            with self.assertRaises(AccessError):
                Station.read([station.id], ['name'])
            with self.assertRaises(AccessError):
                Station.write([station], {'name': "Hacked"})

        with transaction.set_user(operator.id), \
                transaction.set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Gateway.heartbeat('CP-001', None)
            with self.assertRaises(AccessError):
                Gateway.authorize('CP-001', 'X')
            self.assertTrue(Station.search([]))

        # The daemon's records show it as their author.
        event, = Event.search([('kind', '=', 'connection')])
        self.assertEqual(event.create_uid, ocpp)


@unittest.skipIf(backend.name == 'sqlite',
    "SQLite has a single writer: nothing runs concurrently")
class GatewayConcurrencyTestCase(GatewayMixin, unittest.TestCase):
    "Run facade calls in concurrent, committed transactions"

    def run_concurrently(self, func, count=4):
        "Run func in count threads as the dispatcher would; return results"
        results = [None] * count
        barrier = threading.Barrier(count)

        def target(index):
            extras = {}
            barrier.wait()
            while True:
                try:
                    with Transaction().start(
                            DB_NAME, 0, context={}, **extras) as transaction:
                        try:
                            results[index] = func()
                            transaction.commit()
                        except TransactionError as e:
                            transaction.rollback()
                            e.fix(extras)
                            continue
                except backend.DatabaseOperationalError:
                    continue
                break
        threads = [threading.Thread(target=target, args=(i,))
            for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def test_reserve_concurrent(self):
        "Concurrent reservations get disjoint ranges"
        def reserve():
            return self.gateway().reserve_transaction_ids('d', 25)
        ranges = self.run_concurrently(reserve)
        numbers = [n for first, last in ranges
            for n in range(first, last + 1)]
        self.assertEqual(len(numbers), 100)
        self.assertEqual(len(set(numbers)), 100)

    def test_keyed_concurrent(self):
        "The same keyed call at once does the work once"
        with Transaction().start(DB_NAME, 0) as transaction:
            company = create_company()
            with set_company(company):
                self.station('CP-CONC', connectors=1)
            transaction.commit()

        def meter_values():
            return self.gateway().event('CP-CONC', 'same-key', iso(T0),
                'message', 'info', "Once", None, None, None)
        results = self.run_concurrently(meter_values)
        self.assertEqual(results, [{}] * 4)
        with Transaction().start(DB_NAME, 0):
            self.assertEqual(self.count('ev.station.event',
                    [('station.identity', '=', 'CP-CONC')]), 1)
            self.assertEqual(self.count('ev.ocpp.message',
                    [('key', '=', 'same-key')]), 1)
