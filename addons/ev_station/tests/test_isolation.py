# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Record isolation: partner staff reach only their partner's network,
clients only their own data (docs/access.md has the matrix)"""
import datetime as dt
import unittest
from contextlib import contextmanager
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

T0 = dt.datetime(2026, 11, 27, 10, 0)

STAFF_ROLES = ['manager', 'technician', 'accountant']
# The models of a partner's network, as the tests reach them.
NETWORK = ['station', 'connector', 'session', 'meter_value', 'event',
    'command', 'ocpp_message']
MODELS = {
    'station': 'ev.station',
    'connector': 'ev.connector',
    'session': 'ev.session',
    'meter_value': 'ev.session.meter_value',
    'event': 'ev.station.event',
    'command': 'ev.station.command',
    'ocpp_message': 'ev.ocpp.message',
    'id_tag': 'ev.id_tag',
    }
# What partner staff may do on their own partner's records; everything
# else is refused, and nothing at all on another partner's records.
STAFF_OWN = {
    'manager': {
        'station': {'read', 'write'},
        'connector': {'read'},
        'session': {'read'},
        'meter_value': {'read'},
        'event': {'read'},
        'command': {'read', 'create'},
        'ocpp_message': set(),
        },
    'technician': {
        'station': {'read'},
        'connector': {'read'},
        'session': {'read'},
        'meter_value': {'read'},
        'event': {'read'},
        'command': {'read', 'create'},
        'ocpp_message': set(),
        },
    'accountant': {
        'station': {'read'},
        'connector': {'read'},
        'session': {'read'},
        'meter_value': {'read'},
        'event': {'read'},
        'command': {'read'},
        'ocpp_message': set(),
        },
    }
# What a client may do on the records of its own sessions; stations and
# connectors are the public map, readable whoever owns them.
CLIENT_OWN = {
    'station': {'read'},
    'connector': {'read'},
    'session': {'read'},
    'meter_value': {'read'},
    'event': set(),
    'command': set(),
    'ocpp_message': set(),
    'id_tag': {'read'},
    }


class IsolationTestCase(unittest.TestCase):
    "Test the record rules of partner staff and clients"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_station')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def _network(self, company, index):
        "Create a partner with a station and all that hangs on it"
        pool = Pool()
        Partner = pool.get('ev.partner')
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        IdTag = pool.get('ev.id_tag')
        Session = pool.get('ev.session')
        MeterValue = pool.get('ev.session.meter_value')
        Event = pool.get('ev.station.event')
        Command = pool.get('ev.station.command')
        Message = pool.get('ev.ocpp.message')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')

        partner = Partner(legal_name="Partner %s" % index,
            contact_email='partner%s@example.com' % index)
        partner.save()
        type_, = ConnectorType.search([('code', '=', 'ccs2')])
        station = Station(name="Station %s" % index,
            identity='CP-%s' % index, partner=partner.party)
        station.connectors = [Connector(number=1, evse=1, type=type_,
                max_power=Decimal('50'))]
        station.save()
        Station.connect([station])
        draft = Station(name="Draft %s" % index,
            identity='DRAFT-%s' % index, partner=partner.party)
        draft.save()
        connector, = station.connectors

        client = Party(name="Client %s" % index, ev_client=True)
        client.save()
        id_tag = IdTag(code='TAG-%s' % index, kind='rfid', party=client,
            status='accepted')
        id_tag.save()
        session = Session(station=station, connector=connector,
            id_tag=id_tag, client=client)
        session.save()
        meter_value = MeterValue(session=session, measured_at=T0,
            energy_wh=1000)
        meter_value.save()
        event = Event(station=station, connector=connector, kind='status',
            description="Available")
        event.save()
        command = Command(station=station, action='reset',
            parameters='{"type": "soft"}')
        command.save()
        message = Message(station=station, key='key-%s' % index,
            action='heartbeat', received_at=T0, payload='{}')
        message.save()

        users = {}
        for role in STAFF_ROLES:
            user = User(login='%s-%s' % (role, index), name=role,
                ev_partner=partner,
                groups=[ModelData.get_id(
                        'ev_partner', 'group_ev_partner_%s' % role)],
                companies=[company], company=company)
            user.save()
            users[role] = user.id
        user = User(login='client-%s' % index, name="Client",
            ev_party=client,
            groups=[ModelData.get_id('ev_partner', 'group_ev_client')],
            companies=[company], company=company)
        user.save()
        users['client'] = user.id
        return {
            'partner': partner,
            'party': partner.party,
            'client': client,
            'users': users,
            'draft': draft.id,
            'station': station.id,
            'connector': connector.id,
            'session': session.id,
            'meter_value': meter_value.id,
            'event': event.id,
            'command': command.id,
            'ocpp_message': message.id,
            'id_tag': id_tag.id,
            }

    def _create_values(self, name, network):
        "Return the values of a new record on the network"
        values = {
            'station': {
                'name': "New", 'identity': 'NEW-%s' % network['station'],
                'partner': network['party'].id,
                },
            'connector': {
                'station': network['station'], 'number': 9, 'evse': 9,
                'type': Pool().get('ev.connector.type').search([])[0].id,
                'max_power': Decimal('11'),
                },
            'session': {
                'station': network['station'],
                'connector': network['connector'],
                },
            'meter_value': {
                'session': network['session'], 'measured_at': T0,
                'energy_wh': 2000,
                },
            'event': {
                'station': network['station'], 'kind': 'fault',
                },
            'command': {
                'station': network['station'], 'action': 'reset',
                },
            'ocpp_message': {
                'station': network['station'], 'key': 'new',
                },
            'id_tag': {
                'code': 'NEW-TAG', 'kind': 'rfid',
                'party': network['client'].id, 'status': 'accepted',
                },
            }
        return values[name]

    def _write_values(self, name):
        "Return harmless values to write on a record of the model"
        return {
            'station': {'name': "Renamed"},
            'connector': {'max_power': Decimal('7')},
            'session': {'id_tag_code': 'X'},
            'meter_value': {'energy_wh': 5},
            'event': {'description': "Rewritten"},
            'command': {'parameters': '{}'},
            'ocpp_message': {'payload': '{"rewritten": true}'},
            'id_tag': {'note': "Rewritten"},
            }[name]

    def _attempts(self, name, network, record):
        "Yield (operation, callable) tried on record of model name"
        Model = Pool().get(MODELS[name])
        yield 'read', lambda: Model.read([record], ['id'])
        yield 'search', lambda: Model.search([('id', '=', record)])
        yield 'search_count', lambda: Model.search_count(
            [('id', '=', record)])
        yield 'write', lambda: Model.write(
            [Model(record)], self._write_values(name))
        yield 'delete', lambda: Model.delete([Model(record)])
        yield 'create', lambda: Model.create(
            [self._create_values(name, network)])

    def _check(self, name, network, record, allowed):
        "Try every operation as the current user and check the outcome"
        for operation, call in self._attempts(name, network, record):
            with self.subTest(model=name, operation=operation):
                if operation in {'search', 'search_count'}:
                    try:
                        result = call()
                    except AccessError:
                        # No read access at all: as good as nothing found.
                        self.assertNotIn('read', allowed)
                        continue
                    if operation == 'search':
                        result = len(result)
                    self.assertEqual(result, int('read' in allowed))
                elif operation in allowed:
                    call()
                else:
                    with self.assertRaises(AccessError):
                        call()

    @contextmanager
    def _as(self, user_id):
        "Run the block as the user, with access rights checked"
        transaction = Transaction()
        with transaction.set_user(user_id), \
                transaction.set_context(_check_access=True):
            yield

    @with_transaction()
    def test_staff_denied_other_partner(self):
        "Partner staff can do nothing with another partner's records"
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            for role in STAFF_ROLES:
                for name in NETWORK + ['id_tag']:
                    with self.subTest(role=role), \
                            self._as(mine['users'][role]):
                        self._check(name, other, other[name], set())
                # Nor the ID tags of the clients charging at their stations.
                with self.subTest(role=role), self._as(mine['users'][role]):
                    self._check('id_tag', mine, mine['id_tag'], set())

    @with_transaction()
    def test_staff_own_partner(self):
        "Partner staff work on their partner's records as the matrix says"
        company = create_company()
        with set_company(company):
            self._network(company, 2)
            for role in STAFF_ROLES:
                for name in NETWORK:
                    # A network per check: a successful delete or create
                    # must not change what the next check finds.
                    mine = self._network(company, '%s-%s' % (role, name))
                    with self.subTest(role=role), \
                            self._as(mine['users'][role]):
                        self._check(name, mine, mine[name],
                            STAFF_OWN[role][name])

    @with_transaction()
    def test_staff_see_only_own_partner(self):
        "Partner staff list only their partner's records"
        pool = Pool()
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            self._network(company, 2)
            for role in STAFF_ROLES:
                with self.subTest(role=role), self._as(mine['users'][role]):
                    for name in NETWORK:
                        Model = pool.get(MODELS[name])
                        expected = (
                            {mine[name]}
                            if 'read' in STAFF_OWN[role][name] else set())
                        if name == 'station':
                            expected.add(mine['draft'])
                        with self.subTest(model=name):
                            found = Model.search([])
                            self.assertEqual({r.id for r in found}, expected)
                            self.assertEqual(
                                Model.search_count([]), len(expected))

    @with_transaction()
    def test_manager_edits_description_only(self):
        "A partner manager renames a station but does not hand it over"
        pool = Pool()
        Station = pool.get('ev.station')
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            with self._as(mine['users']['manager']):
                station = Station(mine['station'])
                Station.write([station], {
                        'name': "Renamed", 'city': "Moscow",
                        'latitude': 55.75, 'longitude': 37.62,
                        'opening_hours': "24/7",
                        })
                for values in [
                        {'partner': other['party'].id},
                        {'partner': None},
                        {'state': 'draft'},
                        {'identity': 'STOLEN'},
                        {'company': company.id},
                        {'password': 'a-new-password'},
                        {'connectors': [('write', [mine['connector']], {
                                        'max_power': Decimal('1')})]},
                        {'events': [('delete', [mine['event']])]},
                        ]:
                    with self.subTest(values=values):
                        with self.assertRaises(AccessError):
                            Station.write([Station(mine['station'])], values)
            station = Station(mine['station'])
            self.assertEqual(station.name, "Renamed")
            self.assertEqual(station.partner, mine['party'])
            self.assertEqual(station.state, 'connected')

    @with_transaction()
    def test_staff_rule_checked_after_write(self):
        "The rule refuses a station moved to another partner on write"
        pool = Pool()
        Station = pool.get('ev.station')
        FieldAccess = pool.get('ir.model.field.access')
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            # Without the field access, the record rule still holds.
            FieldAccess.write(FieldAccess.search([
                        ('model', '=', 'ev.station'),
                        ('field', '=', 'partner'),
                        ]), {'active': False})
            with self._as(mine['users']['manager']):
                with self.assertRaises(AccessError) as cm:
                    Station.write([Station(mine['station'])],
                        {'partner': other['party'].id})
                self.assertIn("Partner staff: own stations",
                    cm.exception.message)

    @with_transaction()
    def test_staff_buttons_other_partner(self):
        "The buttons of partner staff work on their own records only"
        pool = Pool()
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        Session = pool.get('ev.session')
        Command = pool.get('ev.station.command')
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            buttons = [
                (Station, 'reset', 'station'),
                (Connector, 'unlock', 'connector'),
                (Connector, 'make_unavailable', 'connector'),
                (Session, 'remote_stop', 'session'),
                (Command, 'cancel', 'command'),
                (Command, 'send', 'command'),
                ]
            for role in ['manager', 'technician']:
                with self._as(mine['users'][role]):
                    for Model, button, name in buttons:
                        with self.subTest(role=role, button=button):
                            with self.assertRaises(AccessError):
                                getattr(Model, button)(
                                    [Model(other[name])])
            with self._as(mine['users']['technician']):
                Station.reset([Station(mine['station'])])
                commands = Command.search([
                        ('station', '=', mine['station']),
                        ('state', '=', 'pending'),
                        ])
                self.assertEqual(len(commands), 1)
            self.assertEqual(Command.search([
                        ('station', '=', other['station']),
                        ('state', '!=', 'draft'),
                        ]), [])

    @with_transaction()
    def test_client_own_data(self):
        "A client reads its own sessions and tags, and the public map"
        pool = Pool()
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            with self._as(mine['users']['client']):
                for name, own in CLIENT_OWN.items():
                    Model = pool.get(MODELS[name])
                    expected = {mine[name]} if own else set()
                    if name in {'station', 'connector'}:
                        # The map: every partner's connected stations.
                        expected.add(other[name])
                    with self.subTest(model=name):
                        self.assertEqual(
                            {r.id for r in Model.search([])}, expected)
        with set_company(company):
            for name, own in CLIENT_OWN.items():
                # A network per model, as some checks succeed.
                mine = self._network(company, 'client-%s' % name)
                with self._as(mine['users']['client']):
                    self._check(name, mine, mine[name], own)

    @with_transaction()
    def test_client_denied_others(self):
        "A client reaches no other client's session, meter value or tag"
        company = create_company()
        with set_company(company):
            mine = self._network(company, 1)
            other = self._network(company, 2)
            with self._as(mine['users']['client']):
                for name in ['session', 'meter_value', 'id_tag', 'event',
                        'command', 'ocpp_message']:
                    self._check(name, other, other[name], set())
                for name in ['station', 'connector']:
                    self._check(name, other, other[name], {'read'})
                # Draft stations are not on the map.
                self._check('station', other, other['draft'], set())

    @with_transaction()
    def test_staff_without_partner_see_nothing(self):
        "A user of a partner group linked to no partner sees no network"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            self._network(company, 1)
            user = User(login='orphan',
                groups=[ModelData.get_id(
                        'ev_partner', 'group_ev_partner_manager')],
                companies=[company], company=company)
            user.save()
            with self._as(user.id):
                for name in NETWORK:
                    Model = pool.get(MODELS[name])
                    with self.subTest(model=name):
                        self.assertEqual(Model.search([]), [])

    @with_transaction()
    def test_platform_staff_unrestricted(self):
        "Operator, finance and administrator see every partner's network"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            first = self._network(company, 1)
            second = self._network(company, 2)
            for role in ['operator', 'finance', 'admin']:
                user = User(login='platform-%s' % role,
                    groups=[ModelData.get_id(
                            'ev_partner', 'group_ev_%s' % role)],
                    companies=[company], company=company)
                user.save()
                with self._as(user.id):
                    for name in NETWORK + ['id_tag']:
                        Model = pool.get(MODELS[name])
                        with self.subTest(role=role, model=name):
                            found = {r.id for r in Model.search([])}
                            self.assertGreaterEqual(
                                found, {first[name], second[name]})

    @with_transaction()
    def test_logs_written_by_platform_only(self):
        "Over RPC only EV administrators change events and meter values"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            users = {}
            for role in ['operator', 'finance', 'admin']:
                user = User(login='log-%s' % role,
                    groups=[ModelData.get_id(
                            'ev_partner', 'group_ev_%s' % role)],
                    companies=[company], company=company)
                user.save()
                users[role] = user.id
            for role, name, allowed in [
                    ('operator', 'event', {'read'}),
                    ('operator', 'meter_value', {'read'}),
                    ('operator', 'ocpp_message', {'read'}),
                    ('finance', 'event', {'read'}),
                    ('finance', 'meter_value', {'read'}),
                    ('finance', 'ocpp_message', {'read'}),
                    ('admin', 'event', {'read', 'write', 'create', 'delete'}),
                    ('admin', 'meter_value',
                        {'read', 'write', 'create', 'delete'}),
                    ('admin', 'ocpp_message', {'read', 'delete'}),
                    ]:
                network = self._network(company, '%s-%s' % (role, name))
                with self.subTest(role=role), self._as(users[role]):
                    self._check(name, network, network[name], allowed)
