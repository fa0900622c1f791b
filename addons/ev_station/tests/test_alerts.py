# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The stations' messages in the message centre: faults, silence, failed
firmware, confirmations of commands and the daemon's dead letters"""
import datetime as dt
import unittest
from contextlib import contextmanager
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

T0 = dt.datetime(2026, 11, 27, 10, 0)


def iso(value):
    return value.isoformat() + 'Z'


class AlertTestCase(unittest.TestCase):
    "Test what the stations post to the message centre"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_station')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def partner(self, index, company):
        "Create a partner and its technician; return (party, user)"
        pool = Pool()
        Partner = pool.get('ev.partner')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        partner = Partner(legal_name="Partner %s" % index,
            contact_email='partner%s@example.com' % index)
        partner.save()
        user = User(login='technician-%s' % index, name="Technician",
            ev_partner=partner,
            groups=[ModelData.get_id(
                    'ev_partner', 'group_ev_partner_technician')],
            companies=[company], company=company)
        user.save()
        return partner.party, user

    def operator(self, company, login='operator'):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user = User(login=login, name="Operator",
            groups=[ModelData.get_id('ev_partner', 'group_ev_operator')],
            companies=[company], company=company)
        user.save()
        return user

    def station(self, identity, party, connectors=2, connect=True):
        "Create a connected station of party, online through daemon d1"
        pool = Pool()
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        type_, = ConnectorType.search([('code', '=', 'ccs2')])
        station = Station(name=identity, identity=identity, partner=party,
            password='s3cret')
        station.connectors = [
            Connector(number=n, evse=n, type=type_, max_power=Decimal('50'))
            for n in range(1, connectors + 1)]
        station.save()
        Station.connect([station])
        if connect:
            self.gateway().connect(
                identity, 's3cret', 'd1', '1.6', '127.0.0.1')
        return Station(station.id)

    def gateway(self):
        return Pool().get('ev.ocpp.gateway')

    def messages(self, *domain):
        Message = Pool().get('ev.message')
        return Message.search(list(domain), order=[('id', 'ASC')])

    @contextmanager
    def as_user(self, user):
        "Run the block as the user, with access rights checked"
        transaction = Transaction()
        with transaction.set_user(user.id), \
                transaction.set_context(_check_access=True):
            yield

    @with_transaction()
    def test_resource_models(self):
        "Messages may concern the stations and what hangs on them"
        Message = Pool().get('ev.message')
        models = {m for m, _ in Message.get_resources()}
        for name in ['ev.station', 'ev.session', 'ev.connector',
                'ev.station.command', 'ev.station.event', 'ev.partner']:
            self.assertIn(name, models)

    @with_transaction()
    def test_fault(self):
        "A Faulted connector posts one message until it works again"
        pool = Pool()
        Notification = pool.get('res.notification')
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            _, other = self.partner(2, company)
            operator = self.operator(company)
            station = self.station('CP-001', party)
            gateway = self.gateway()

            gateway.status('CP-001', 'k1', iso(T0), 1, None, 'faulted',
                'ConnectorLockFailure', 'lock jammed')
            message, = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.key, 'station-fault:%s:1' % station.id)
            self.assertEqual(message.priority, 'high')
            self.assertEqual(message.state, 'new')
            self.assertEqual(message.resource, station)
            self.assertEqual(message.partner, party)
            self.assertIn('ConnectorLockFailure', message.subject)
            self.assertIn('CP-001', message.subject)
            self.assertIn('lock jammed', message.body)
            # The platform's staff and the partner's technician.
            self.assertLessEqual(
                {operator.id, technician.id},
                {u.id for u in message.recipients})
            self.assertNotIn(other, message.recipients)
            self.assertEqual(Notification.search_count(
                    [('user', '=', technician.id)]), 1)
            self.assertEqual(Notification.search_count(
                    [('user', '=', other.id)]), 0)

            # The same fault again only counts.
            gateway.status('CP-001', 'k2', iso(T0 + dt.timedelta(minutes=1)),
                1, None, 'faulted', 'ConnectorLockFailure', None)
            message, = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.occurrences, 2)
            self.assertEqual(Notification.search_count(
                    [('user', '=', technician.id)]), 1)

            # Another connector's status leaves it open.
            gateway.status('CP-001', 'k3', iso(T0 + dt.timedelta(minutes=2)),
                2, None, 'available', None, None)
            self.assertEqual(message.state, 'new')

            gateway.status('CP-001', 'k4', iso(T0 + dt.timedelta(minutes=3)),
                1, None, 'available', 'no_error', None)
            message, = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.state, 'resolved')

            # A new fault is a new message.
            gateway.status('CP-001', 'k5', iso(T0 + dt.timedelta(minutes=4)),
                0, None, 'faulted', 'GroundFailure', None)
            _, message = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.key, 'station-fault:%s:0' % station.id)
            self.assertEqual(message.state, 'new')

    @with_transaction()
    def test_fault_event(self):
        "A fault event the daemon reports posts a station message"
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            station = self.station('CP-001', party)
            self.gateway().event('CP-001', 'e1', iso(T0), 'fault', 'warning',
                'Connector.Problem = true', 'E42', None, None)
            message, = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.key, 'station-fault:%s:0' % station.id)
            self.assertIn('E42', message.subject)

    @with_transaction()
    def test_offline(self):
        "A station offline longer than the threshold posts once"
        pool = Pool()
        Station = pool.get('ev.station')
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            station = self.station('CP-001', party)
            self.assertIsNone(station.offline_since)
            self.assertEqual(Configuration(1).offline_alert_after, 300)

            Station.set_seen([station], online=False, at=T0)
            self.assertEqual(station.offline_since, T0)
            # Going offline again keeps the first time.
            Station.set_seen([station], online=False, at=T0 + dt.timedelta(
                    minutes=1))
            self.assertEqual(station.offline_since, T0)

            Station.alert_offline(now=T0 + dt.timedelta(seconds=299))
            self.assertEqual(self.messages(), [])

            Station.alert_offline(now=T0 + dt.timedelta(seconds=301))
            message, = self.messages()
            self.assertEqual(message.kind, 'station')
            self.assertEqual(message.priority, 'high')
            self.assertEqual(message.key, 'station-offline:%s' % station.id)
            self.assertIn(technician, message.recipients)
            self.assertIn('CP-001', message.subject)

            Station.alert_offline(now=T0 + dt.timedelta(minutes=7))
            message, = self.messages()
            self.assertEqual(message.occurrences, 1)

            # Resolved by hand, it is not posted again for this outage.
            message.resolve([message])
            Station.alert_offline(now=T0 + dt.timedelta(minutes=8))
            self.assertEqual(len(self.messages()), 1)
            message.reopen([message])

            self.gateway().heartbeat('CP-001')
            message, = self.messages()
            self.assertEqual(message.state, 'resolved')
            self.assertIsNone(station.offline_since)
            self.assertTrue(station.online)

    @with_transaction()
    def test_offline_disconnected_and_silent(self):
        "A closed connection and silence set the time the station left"
        pool = Pool()
        Station = pool.get('ev.station')
        Configuration = pool.get('ev.configuration')
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            station = self.station('CP-001', party)
            self.gateway().disconnect('CP-001', 'd1')
            self.assertFalse(station.online)
            self.assertTrue(station.offline_since)

            other = self.station('CP-002', party)
            timeout = Configuration(1).offline_timeout
            now = other.last_seen_at + dt.timedelta(seconds=timeout + 1)
            Station.mark_offline(now=now)
            self.assertFalse(other.online)
            self.assertEqual(other.offline_since, now)

            # A station the operator disconnected is not watched.
            Station.disconnect([other])
            Station.alert_offline(now=now + dt.timedelta(hours=1))
            message, = self.messages(('kind', '=', 'station'))
            self.assertEqual(message.resource, station)

    @with_transaction()
    def test_offline_cron(self):
        "The cron record runs the alert"
        pool = Pool()
        Station = pool.get('ev.station')
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            station = self.station('CP-001', party)
            Station.set_seen([station], online=False,
                at=utcnow() - dt.timedelta(minutes=10))
            cron = Cron(ModelData.get_id('ev_station', 'cron_alert_offline'))
            self.assertEqual(cron.method, 'ev.station|alert_offline')
            Cron.run_once([cron])
            message, = self.messages()
            self.assertEqual(message.key, 'station-offline:%s' % station.id)

    @with_transaction()
    def test_firmware_and_diagnostics(self):
        "Failed firmware updates and diagnostics uploads post a message"
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            station = self.station('CP-001', party)
            gateway = self.gateway()
            gateway.event('CP-001', None, iso(T0), 'firmware', 'info',
                'FirmwareStatusNotification: Downloading', None, None, None)
            self.assertEqual(self.messages(), [])

            gateway.event('CP-001', None, iso(T0), 'firmware', 'error',
                'FirmwareStatusNotification: InstallationFailed', None, None,
                None)
            message, = self.messages()
            self.assertEqual(message.kind, 'station')
            self.assertEqual(message.priority, 'normal')
            self.assertEqual(message.resource, station)
            self.assertIn('InstallationFailed', message.subject)
            self.assertIn(technician, message.recipients)

            gateway.event('CP-001', None, iso(T0), 'firmware', 'info',
                'FirmwareStatusNotification: Installed', None, None, None)
            message, = self.messages()
            self.assertEqual(message.state, 'resolved')

            gateway.event('CP-001', None, iso(T0), 'diagnostics', 'error',
                'DiagnosticsStatusNotification: UploadFailed', None, None,
                None)
            _, message = self.messages()
            self.assertEqual(
                message.key, 'station-diagnostics:%s' % station.id)
            self.assertIn('UploadFailed', message.subject)

    def commands(self, station=None):
        Command = Pool().get('ev.station.command')
        domain = [('station', '=', station.id)] if station else []
        return Command.search(domain, order=[('id', 'ASC')])

    def answer(self, command, state, error=None):
        gateway = self.gateway()
        gateway.command_result(command.id, 'sent', None, None, 'd1')
        return gateway.command_result(command.id, state, None, error, 'd1')

    @with_transaction()
    def test_confirmation(self):
        "The user who sent a command hears how it ended, he only"
        pool = Pool()
        Station = pool.get('ev.station')
        Notification = pool.get('res.notification')
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            operator = self.operator(company)
            station = self.station('CP-001', party)
            with Transaction().set_user(technician.id):
                Station.reset([station])
            command, = self.commands()
            self.assertEqual(command.user, technician)
            self.assertIsNone(command.batch)

            self.gateway().command_result(command.id, 'sent', None, None,
                'd1')
            self.assertEqual(self.messages(), [])
            self.gateway().command_result(command.id, 'rejected',
                {'status': 'Rejected'}, None, 'd1')
            message, = self.messages()
            self.assertEqual(message.kind, 'confirmation')
            self.assertEqual(message.initiator, technician)
            self.assertEqual(list(message.recipients), [technician])
            self.assertEqual(message.resource, command)
            self.assertEqual(message.priority, 'high')
            self.assertEqual(message.state, 'new')
            self.assertIn('Rejected', message.subject)
            self.assertEqual(Notification.search_count(
                    [('user', '=', operator.id)]), 0)
            self.assertEqual(Notification.search_count(
                    [('user', '=', technician.id)]), 1)

            # A late repeat of the answer changes nothing.
            self.gateway().command_result(command.id, 'accepted', None, None,
                'd1')
            self.assertEqual(len(self.messages()), 1)

            # Success is read, not acted upon.
            with Transaction().set_user(operator.id):
                Station.reset([station])
            command = self.commands()[-1]
            self.answer(command, 'accepted')
            _, message = self.messages()
            self.assertEqual(message.initiator, operator)
            self.assertEqual(message.state, 'resolved')
            self.assertEqual(message.priority, 'normal')

    @with_transaction()
    def test_confirmation_nobody(self):
        "The root, the daemon and reads get no confirmation"
        pool = Pool()
        Station = pool.get('ev.station')
        Command = pool.get('ev.station.command')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            station = self.station('CP-001', party)
            with Transaction().set_user(0):
                Station.reset([station])
            with Transaction().set_user(
                    ModelData.get_id('ev_station', 'user_ocpp')):
                Station.reset([station])
            with Transaction().set_user(technician.id):
                Command.request([Command(station=station,
                            action='trigger_message')])
            commands = self.commands()
            self.assertEqual(len(commands), 3)
            for command in commands:
                self.answer(command, 'accepted')
            # Nobody is told, and a timed out command neither.
            with Transaction().set_user(0):
                Station.reset([station])
            Command.time_out(now=utcnow() + dt.timedelta(hours=1))
            self.assertEqual(self.messages(), [])

    @with_transaction()
    def test_confirmation_batch(self):
        "One click on several stations gets one summary, after the last"
        pool = Pool()
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            operator = self.operator(company)
            stations = [self.station('CP-%s' % i, party) for i in range(3)]
            with Transaction().set_user(operator.id):
                Station.reset(stations)
            commands = self.commands()
            self.assertEqual(len(commands), 3)
            batch = commands[0].batch
            self.assertTrue(batch)
            self.assertEqual({c.batch for c in commands}, {batch})

            self.answer(commands[0], 'accepted')
            self.answer(commands[1], 'rejected', error='busy')
            self.assertEqual(self.messages(), [])
            self.answer(commands[2], 'accepted')
            message, = self.messages()
            self.assertEqual(message.kind, 'confirmation')
            self.assertEqual(message.key, 'command-batch:%s' % batch)
            self.assertEqual(list(message.recipients), [operator])
            self.assertIn('2 succeeded, 1 failed', message.subject)
            self.assertIn('busy', message.body)
            self.assertIn('CP-1', message.body)
            self.assertEqual(message.priority, 'high')

    @with_transaction()
    def test_confirmation_disconnected(self):
        "Disconnecting stations is confirmed to whoever did it, once"
        pool = Pool()
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            operator = self.operator(company)
            stations = [self.station('CP-%s' % i, party, connect=False)
                for i in range(2)]
            with Transaction().set_user(operator.id):
                Station.disconnect(stations)
                # Again: nothing more to disconnect, nothing posted.
                Station.disconnect(stations)
            message, = self.messages(('kind', '=', 'confirmation'))
            self.assertEqual(list(message.recipients), [operator])
            self.assertEqual(message.initiator, operator)
            self.assertEqual(message.state, 'resolved')
            self.assertIn('2', message.subject)
            self.assertIn('CP-0', message.body)
            self.assertIn('CP-1', message.body)
            # The root user (a script, the set-up) is told nothing.
            more = self.station('CP-9', party, connect=False)
            with Transaction().set_user(0):
                Station.disconnect([more])
            self.assertEqual(
                len(self.messages(('kind', '=', 'confirmation'))), 1)

    @with_transaction()
    def test_confirmation_batch_cancelled(self):
        "A batch whose last command is cancelled is summarised too"
        pool = Pool()
        Station = pool.get('ev.station')
        Command = pool.get('ev.station.command')
        company = create_company()
        with set_company(company):
            party, _ = self.partner(1, company)
            operator = self.operator(company)
            stations = [self.station('CP-%s' % i, party) for i in range(2)]
            with Transaction().set_user(operator.id):
                Station.reset(stations)
            first, second = self.commands()
            self.answer(first, 'accepted')
            self.assertEqual(self.messages(), [])
            Command.cancel([second])
            message, = self.messages()
            self.assertIn('1 succeeded, 1 failed', message.subject)

    @with_transaction()
    def test_report_failure(self):
        "A dead letter of the daemon is a system error for the operators"
        company = create_company()
        with set_company(company):
            party, technician = self.partner(1, company)
            operator = self.operator(company)
            station = self.station('CP-001', party)
            result = self.gateway().report_failure('d1', 'stop_transaction',
                ['UserError', ['The meter value is invalid.', '']],
                ['CP-001', 'ob-1', '2026-11-27T10:00:00Z', '42'])
            self.assertEqual(result, {})
            message, = self.messages()
            self.assertEqual(message.kind, 'error')
            self.assertEqual(message.priority, 'high')
            self.assertEqual(message.key, 'ocpp-dead:d1:stop_transaction')
            self.assertEqual(message.resource, station)
            self.assertIn('The meter value is invalid.', message.body)
            self.assertIn('ob-1', message.body)
            self.assertIn(operator, message.recipients)
            self.assertNotIn(technician, message.recipients)

            # The same failure again counts; no charger named is fine.
            self.gateway().report_failure('d1', 'stop_transaction', 'bad')
            message, = self.messages()
            self.assertEqual(message.occurrences, 2)

    @with_transaction()
    def test_technician_reads_own_network(self):
        "A technician reads his network's station messages only"
        pool = Pool()
        Message = pool.get('ev.message')
        company = create_company()
        with set_company(company):
            party1, technician1 = self.partner(1, company)
            party2, _ = self.partner(2, company)
            self.station('CP-1', party1)
            self.station('CP-2', party2)
            gateway = self.gateway()
            for identity in ['CP-1', 'CP-2']:
                gateway.status(identity, 'k', iso(T0), 1, None, 'faulted',
                    'OtherError', None)
            mine, = self.messages(('partner', '=', party1.id))
            theirs, = self.messages(('partner', '=', party2.id))
            gateway.report_failure('d1', 'event', 'bad', None)
            error, = self.messages(('kind', '=', 'error'))

            with self.as_user(technician1):
                self.assertEqual(Message.search([]), [mine])
                Message.read([mine.id], ['subject'])
                for other in [theirs, error]:
                    with self.assertRaises(AccessError):
                        Message.read([other.id], ['subject'])

    @with_transaction()
    def test_summary(self):
        "The daily summary counts the sessions, energy and offline stations"
        pool = Pool()
        Message = pool.get('ev.message')
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            party1, _ = self.partner(1, company)
            party2, _ = self.partner(2, company)
            station1 = self.station('CP-1', party1)
            station2 = self.station('CP-2', party2)
            Station.set_seen([station2], online=False)
            for station, energy in [(station1, 12345), (station2, 1000)]:
                session = Session(station=station,
                    connector=station.connectors[0])
                session.save()
                Session.start([session], at=T0, meter_start=0,
                    transaction_ref=str(station.id))
                Session.stop([session], at=T0 + dt.timedelta(hours=1),
                    meter_stop=energy)

            lines = dict(Message._summary_lines(T0.date(), party1))
            self.assertEqual(lines['ev_station.msg_summary_sessions'],
                {'sessions': 1, 'energy': '12.3'})
            self.assertEqual(lines['ev_station.msg_summary_offline'],
                {'offline': 0, 'stations': 1})
            lines = dict(Message._summary_lines(T0.date(), None))
            self.assertEqual(lines['ev_station.msg_summary_sessions'],
                {'sessions': 2, 'energy': '13.3'})
            self.assertEqual(lines['ev_station.msg_summary_offline'],
                {'offline': 1, 'stations': 2})
            lines = dict(Message._summary_lines(
                    T0.date() + dt.timedelta(days=1), None))
            self.assertEqual(
                lines['ev_station.msg_summary_sessions']['sessions'], 0)
