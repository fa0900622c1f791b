# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Strict record isolation over RPC: partner staff and clients, logged in as
themselves, try to read, search, change, delete and create the records of
another partner or client (docs/access.md)

The administrator gives two demo partners one user per staff role, and two
demo clients a user each; every attempt on the other side's records must be
refused (an AccessError, or nothing found), in both directions.

Tariffs (docs/access.md §5): each side gets a tariff of its partner with a
band and an assignment on one of its stations, and the platform a tariff
with a band; the assignments are dated in the past so that they never price
a session of another test."""
import itertools

import pytest

from ..harness import RPCError

STAFF = ['manager', 'technician', 'accountant']
ROLES = STAFF + ['client']
OPERATIONS = ['read', 'search', 'search_count', 'write', 'delete', 'create']


def rpc_date(year, month, day):
    "Return the date as trytond's JSON-RPC encodes it"
    return {'__class__': 'date', 'year': year, 'month': month, 'day': day}


def rpc_time(hour):
    "Return the time of day as trytond's JSON-RPC encodes it"
    return {'__class__': 'time', 'hour': hour, 'minute': 0, 'second': 0,
        'microsecond': 0}


def rpc_decimal(text):
    "Return the number as trytond's JSON-RPC encodes a Decimal"
    return {'__class__': 'Decimal', 'decimal': text}


MODELS = {
    'station': 'ev.station',
    'connector': 'ev.connector',
    'session': 'ev.session',
    'event': 'ev.station.event',
    'command': 'ev.station.command',
    'id_tag': 'ev.id_tag',
    'tariff': 'ev.tariff',
    'band': 'ev.tariff.band',
    'assignment': 'ev.tariff.assignment',
    'price_line': 'ev.tariff.price_line',
    }
# The records of a partner, as the administrator finds them.
OWN_DOMAIN = {
    'station': lambda party: [('partner', '=', party)],
    'connector': lambda party: [('station.partner', '=', party)],
    'session': lambda party: [('station.partner', '=', party)],
    'event': lambda party: [('station.partner', '=', party)],
    'command': lambda party: [('station.partner', '=', party)],
    # Partner staff read the platform's tariffs too: they may apply on
    # their network.
    'tariff': lambda party: ['OR',
        ('partner', '=', party), ('partner', '=', None)],
    'band': lambda party: ['OR',
        ('tariff.partner', '=', party), ('tariff.partner', '=', None)],
    # The assignments located on the partner's network, whoever's tariff.
    'assignment': lambda party: ['OR',
        ('partner', '=', party),
        ('station.partner', '=', party),
        ('connector.station.partner', '=', party),
        ],
    'price_line': lambda party: [('session.station.partner', '=', party)],
    }
# Harmless changes, checked unchanged afterwards.
WRITE = {
    'station': {'name': "Isolation"},
    'connector': {'max_power': '1'},
    'session': {'id_tag_code': 'ISOLATION'},
    'event': {'description': "Isolation"},
    'command': {'parameters': '{"isolation": true}'},
    'id_tag': {'note': "Isolation"},
    'tariff': {'description': "Isolation"},
    'band': {'name': "Isolation"},
    'assignment': {'end_date': rpc_date(2000, 6, 30)},
    'price_line': {'band': "Isolation"},
    }
# What the staff of a partner may do on their own partner's records.
STAFF_OWN = {
    'manager': {
        'station': {'write'},
        'command': {'create'},
        'tariff': {'write', 'create', 'delete'},
        'band': {'write', 'create', 'delete'},
        'assignment': {'write', 'create', 'delete'},
        },
    'technician': {'command': {'create'}},
    'accountant': {},
    }
# Stations and connectors are the public map: a client reads them all.
PUBLIC = {'station', 'connector'}


def password(index):
    "A password that passes the shipped policy"
    return 'Iso#%02d-Qz8w-Lp3k' % index


def assert_access_error(error):
    """Check that the RPC error is trytond's refusal of access

    Over RPC every UserError, AccessError included, is a "UserError"; the
    access errors are those that say "not allowed" (the test users work in
    English)."""
    kind, (message, *_) = error
    assert kind == 'UserError', error
    assert 'not allowed' in message, error


def assert_refused(network, user, model, method, *args):
    """Check that the call of the user is refused with an access error; a
    record created nonetheless is deleted, so that it misleads no other
    test"""
    try:
        result = user.model(model, method, *args)
    except RPCError as exception:
        assert_access_error(exception.error)
    else:
        if method == 'create':
            network.admin.model(model, 'delete', result)
        pytest.fail("%s %s was allowed: %r" % (method, model, result))


class Network:
    "Two partners and two clients, with a user for each role on each side"

    def __init__(self, platform):
        self.platform = platform
        self.admin = platform.login('admin', platform.admin_password)
        self.company = self.admin.context['company']
        self.english, = self.admin.model('ir.lang', 'search',
            [('code', '=', 'en')], 0, 1, None)
        self.sides = [{}, {}]
        self.users = {}
        self._find_records()
        self._tariff_records()
        self._create_users()
        self.sessions = {}

    def _find_records(self):
        admin = self.admin
        # Two partners whose stations have sessions of two distinct clients.
        sessions = admin.model('ev.session', 'search_read',
            [('client', '!=', None)], 0, None, [('id', 'ASC')],
            ['partner', 'client', 'station', 'connector'])
        by_party = {}
        for session in sessions:
            by_party.setdefault(session['partner'], []).append(session)
        assert len(by_party) >= 2, "the demo has sessions at two partners"
        parties = sorted(by_party)[:2]
        first = by_party[parties[0]][0]
        second = next(s for s in by_party[parties[1]]
            if s['client'] != first['client'])
        for side, party, session in zip(
                self.sides, parties, [first, second]):
            side['party'] = party
            side['partner'] = self._ev_partner(party)
            side['session'] = session['id']
            side['station'] = session['station']
            side['connector'] = session['connector']
            side['client'] = session['client']
            tags = admin.model('ev.id_tag', 'search',
                [('party', '=', session['client'])], 0, 1, None)
            assert tags, "the demo clients have ID tags"
            side['id_tag'] = tags[0]
            side['event'] = self._first_or_create('ev.station.event',
                party, {'station': session['station'], 'kind': 'status',
                    'description': "Isolation test"})
            side['command'] = self._first_or_create('ev.station.command',
                party, {'station': session['station'], 'action': 'reset'})

    def _tariff_records(self):
        """Give each side a tariff with a band, an assignment of it on the
        side's station and a price line of the side's session; and the
        platform a tariff with a band"""
        admin = self.admin
        company, = admin.model('company.company', 'read', [self.company],
            ['currency'])
        self.currency = company['currency']
        for number, side in enumerate(self.sides):
            side['currency'] = self.currency
            side['tariff'], side['band'] = self._tariff(
                "Isolation %s" % number, side['party'])
            side['assignment'], = admin.model('ev.tariff.assignment',
                'create', [{
                        'company': self.company, 'tariff': side['tariff'],
                        'location': 'station', 'station': side['station'],
                        'audience': 'everyone',
                        'start_date': rpc_date(2000, 1, 1),
                        'end_date': rpc_date(2000, 12, 31),
                        }])
            lines = admin.model('ev.tariff.price_line', 'search',
                [('session', '=', side['session'])], 0, 1, None)
            assert lines, "the demo sessions are priced"
            side['price_line'] = lines[0]
        self.platform_tariff, self.platform_band = self._tariff(
            "Isolation platform", None)

    def _tariff(self, name, party):
        "Create a tariff of the party with one band; return both ids"
        tariff, = self.admin.model('ev.tariff', 'create', [{
                    'name': name, 'partner': party,
                    'company': self.company, 'currency': self.currency,
                    'price_per_kwh': rpc_decimal('20'),
                    'idle_grace_minutes': 15,
                    'bands': [('create', [{
                                    'name': "Night",
                                    'start_time': rpc_time(23),
                                    'end_time': rpc_time(7),
                                    'price_per_kwh': rpc_decimal('10'),
                                    }])],
                    }])
        band, = self.admin.model('ev.tariff.band', 'search',
            [('tariff', '=', tariff)], 0, None, None)
        return tariff, band

    def _ev_partner(self, party):
        "Return the partner registration of the party, made if missing"
        admin = self.admin
        partners = admin.model('ev.partner', 'search',
            [('party', '=', party)], 0, 1, None)
        if partners:
            return partners[0]
        name, = admin.model('party.party', 'read', [party], ['name'])
        partner, = admin.model('ev.partner', 'create', [{
                    'legal_name': name['name'], 'party': party,
                    'company': self.company,
                    'contact_email': 'isolation@example.com',
                    }])
        admin.model('ev.partner', 'review', [partner])
        admin.model('ev.partner', 'connect', [partner])
        return partner

    def _first_or_create(self, model, party, values):
        records = self.admin.model(model, 'search',
            [('station.partner', '=', party)], 0, 1, None)
        if records:
            return records[0]
        record, = self.admin.model(model, 'create', [values])
        return record

    def _group(self, name):
        "Return the id of the group named name in English"
        context = dict(self.admin.context, language='en')
        group, = self.admin.call('model.res.group.search',
            [('name', '=', name)], 0, None, None, context)
        return group

    def _create_users(self):
        index = itertools.count(1)
        for number, side in enumerate(self.sides):
            for role in ROLES:
                login = 'isolation-%s-%s' % (role, number)
                values = {
                    'login': login,
                    'name': "Isolation %s %s" % (role, number),
                    'password': password(next(index)),
                    'companies': [('add', [self.company])],
                    'company': self.company,
                    'language': self.english,
                    }
                if role == 'client':
                    values['ev_party'] = side['client']
                    values['groups'] = [
                        ('add', [self._group("EV Client")])]
                else:
                    values['ev_partner'] = side['partner']
                    values['groups'] = [('add', [
                                self._group("EV Partner %s" % role.title())])]
                self.admin.model('res.user', 'create', [values])
                self.users[role, number] = (login, values['password'])

    def login(self, role, number):
        "Return the RPC session of the role on side number"
        key = role, number
        if key not in self.sessions:
            self.sessions[key] = self.platform.login(*self.users[key])
        return self.sessions[key]

    def create_values(self, name, side):
        "Return the values of a new record hanging on the side's records"
        values = {
            'station': {
                'name': "Isolation", 'identity': 'ISOLATION-1',
                'partner': side['party'], 'company': self.company,
                },
            'connector': {
                'station': side['station'], 'number': 99, 'evse': 99,
                'type': self.admin.model('ev.connector.type', 'search',
                    [], 0, 1, None)[0],
                'max_power': '11',
                },
            'session': {
                'station': side['station'], 'connector': side['connector'],
                'company': self.company,
                },
            'event': {'station': side['station'], 'kind': 'fault'},
            'command': {'station': side['station'], 'action': 'reset'},
            'id_tag': {
                'code': 'ISOLATION-TAG', 'kind': 'rfid',
                'party': side['client'], 'status': 'accepted',
                'company': self.company,
                },
            'tariff': {
                'name': "Isolation new", 'partner': side['party'],
                'company': self.company, 'currency': side['currency'],
                'idle_grace_minutes': 15,
                },
            'band': {
                'tariff': side['tariff'], 'name': "Isolation new",
                'start_time': rpc_time(8), 'end_time': rpc_time(9),
                },
            'assignment': {
                'company': self.company, 'tariff': side['tariff'],
                'location': 'station', 'station': side['station'],
                'audience': 'everyone',
                'start_date': rpc_date(2001, 1, 1),
                'end_date': rpc_date(2001, 12, 31),
                },
            'price_line': {
                'session': side['session'], 'kind': 'discount',
                'quantity': rpc_decimal('1'), 'unit': 'unit',
                'unit_price': rpc_decimal('0'), 'amount': rpc_decimal('0'),
                },
            }
        return values[name]


@pytest.fixture(scope='module')
def network(platform):
    return Network(platform)


def attempt(network, user, name, operation, side):
    "Run the operation as user on the side's record of model name"
    model, record = MODELS[name], side[name]
    if operation == 'read':
        return user.model(model, 'read', [record], ['id'])
    elif operation == 'search':
        return user.model(model, 'search', [('id', '=', record)], 0, None,
            None)
    elif operation == 'search_count':
        return user.model(model, 'search_count', [('id', '=', record)], 0,
            None)
    elif operation == 'write':
        return user.model(model, 'write', [record], WRITE[name])
    elif operation == 'delete':
        return user.model(model, 'delete', [record])
    elif operation == 'create':
        return user.model(model, 'create',
            [network.create_values(name, side)])


def assert_denied(network, user, name, operation, side):
    "Check that the attempt is refused and changed nothing"
    model, record = MODELS[name], side[name]
    fields = list(WRITE[name])
    before = network.admin.model(model, 'read', [record], fields)
    try:
        result = attempt(network, user, name, operation, side)
    except RPCError as exception:
        assert_access_error(exception.error)
    else:
        if operation == 'create':
            network.admin.model(model, 'delete', result)
        # Searches may answer with nothing instead of an error.
        assert operation in {'search', 'search_count'}, (
            "%s %s was allowed: %r" % (operation, model, result))
        assert not result, result
    after = network.admin.model(model, 'read', [record], fields)
    assert after == before


def denied_cases():
    cases = []
    for role, name, operation in itertools.product(
            ROLES, MODELS, OPERATIONS):
        if role == 'client' and name in PUBLIC and operation in {
                'read', 'search', 'search_count'}:
            continue
        cases.append(pytest.param(role, name, operation,
                id='%s-%s-%s' % (role, name, operation)))
    return cases


@pytest.mark.parametrize('role,name,operation', denied_cases())
def test_other_side_denied(network, role, name, operation):
    "Nothing of the other partner or client is reachable, both ways"
    for number in [0, 1]:
        user = network.login(role, number)
        other = network.sides[1 - number]
        assert_denied(network, user, name, operation, other)


@pytest.mark.parametrize('role', STAFF)
@pytest.mark.parametrize('name', list(OWN_DOMAIN))
def test_staff_see_exactly_own_partner(network, role, name):
    "Partner staff list all of their partner's records and nothing else"
    for number, side in enumerate(network.sides):
        user = network.login(role, number)
        model = MODELS[name]
        found = user.model(model, 'search', [], 0, None, None)
        expected = network.admin.model(model, 'search',
            OWN_DOMAIN[name](side['party']), 0, None, None)
        assert expected
        assert sorted(found) == sorted(expected)
        assert user.model(model, 'search_count', [], 0, None) == len(
            expected)
        rows = user.model(model, 'read', expected, ['id'])
        assert len(rows) == len(expected)


@pytest.mark.parametrize('role', STAFF)
@pytest.mark.parametrize('name', list(OWN_DOMAIN))
def test_staff_own_changes(network, role, name):
    "Partner staff change their own records only as the matrix allows"
    allowed = STAFF_OWN[role].get(name, set())
    user = network.login(role, 0)
    side = network.sides[0]
    model, record = MODELS[name], side[name]
    if 'write' in allowed:
        before, = network.admin.model(model, 'read', [record],
            list(WRITE[name]))
        user.model(model, 'write', [record], WRITE[name])
        network.admin.model(model, 'write', [record],
            {k: v for k, v in before.items() if k != 'id'})
    else:
        assert_denied(network, user, name, 'write', side)
    if 'delete' in allowed:
        # A record of its own: the side's record stays for the others.
        record, = network.admin.model(model, 'create',
            [network.create_values(name, side)])
        user.model(model, 'delete', [record])
        assert network.admin.model(model, 'search',
            [('id', '=', record)], 0, None, None) == []
    else:
        assert_denied(network, user, name, 'delete', side)
    if 'create' in allowed:
        created, = user.model(model, 'create',
            [network.create_values(name, side)])
        network.admin.model(model, 'delete', [created])
    else:
        assert_refused(network, user, model, 'create',
            [network.create_values(name, side)])


@pytest.mark.parametrize('role', STAFF)
def test_staff_no_id_tags_nor_ocpp(network, role):
    "Partner staff reach no ID tag and no raw OCPP message"
    user = network.login(role, 0)
    for model in ['ev.id_tag', 'ev.ocpp.message']:
        try:
            found = user.model(model, 'search', [], 0, None, None)
        except RPCError as exception:
            assert_access_error(exception.error)
        else:
            assert found == []


def test_manager_cannot_hand_station_over(network):
    "A partner manager cannot give a station to the other partner"
    user = network.login('manager', 0)
    mine, other = network.sides
    for values in [{'partner': other['party']}, {'partner': None},
            {'state': 'draft'}, {'identity': 'ISOLATION-STOLEN'}]:
        with pytest.raises(RPCError) as info:
            user.model('ev.station', 'write', [mine['station']], values)
        assert_access_error(info.value.error)
    station, = network.admin.model('ev.station', 'read',
        [mine['station']], ['partner', 'state'])
    assert station['partner'] == mine['party']
    assert station['state'] == 'connected'


@pytest.mark.parametrize('role', ['manager', 'technician'])
@pytest.mark.parametrize('model,button,name', [
        ('ev.station', 'reset', 'station'),
        ('ev.connector', 'unlock', 'connector'),
        ('ev.session', 'remote_stop', 'session'),
        ('ev.station.command', 'cancel', 'command'),
        ])
def test_buttons_other_partner(network, role, model, button, name):
    "The buttons of partner staff refuse the other partner's records"
    for number in [0, 1]:
        user = network.login(role, number)
        other = network.sides[1 - number]
        with pytest.raises(RPCError) as info:
            user.model(model, button, [other[name]])
        assert_access_error(info.value.error)


@pytest.mark.parametrize('role', STAFF)
def test_staff_preview_own_and_platform_tariffs(network, role):
    """Partner staff preview the prices of their own and the platform's
    tariffs, not of the other partner's (the calculator changes nothing)"""
    for number in [0, 1]:
        user = network.login(role, number)
        for tariff in [network.sides[number]['tariff'],
                network.platform_tariff]:
            assert user.model('ev.tariff', 'preview', [tariff])
        assert_refused(network, user, 'ev.tariff', 'preview',
            [network.sides[1 - number]['tariff']])


@pytest.mark.parametrize('name', ['session', 'id_tag', 'price_line'])
def test_client_sees_own_only(network, name):
    """A client lists its own sessions, ID tags and price lines and nothing
    else"""
    field = {
        'session': 'client',
        'id_tag': 'party',
        'price_line': 'session.client',
        }[name]
    for number, side in enumerate(network.sides):
        user = network.login('client', number)
        model = MODELS[name]
        found = user.model(model, 'search', [], 0, None, None)
        expected = network.admin.model(model, 'search',
            [(field, '=', side['client'])], 0, None, None)
        assert side[name] in found
        assert sorted(found) == sorted(expected)


@pytest.mark.parametrize('name', ['event', 'command'])
def test_client_no_station_internals(network, name):
    "A client sees no event nor command, not even of its own sessions"
    user = network.login('client', 0)
    assert user.model(MODELS[name], 'search', [], 0, None, None) == []


def test_client_reads_the_map(network):
    "A client reads every partner's connected stations and connectors"
    user = network.login('client', 0)
    stations = user.model('ev.station', 'search_read', [], 0, None, None,
        ['partner', 'state', 'connectors'])
    assert {s['partner'] for s in stations} >= {
        side['party'] for side in network.sides}
    assert {s['state'] for s in stations} <= {'connected', 'disconnected'}
    connectors = user.model('ev.connector', 'search', [], 0, None, None)
    assert set(connectors) == {
        c for s in stations for c in s['connectors']}


def test_client_context_cannot_borrow_party(network):
    "A client cannot read another client's data by naming its party"
    admin = network.admin
    # A client of its own, so that no cached rule of another test hides
    # what the context would do.
    party, = admin.model('party.party', 'create', [{
                'name': "Isolation borrower", 'ev_client': True}])
    login = 'isolation-borrower'
    admin.model('res.user', 'create', [{
                'login': login, 'name': "Isolation borrower",
                'password': password(99), 'ev_party': party,
                'language': network.english,
                'companies': [('add', [network.company])],
                'company': network.company,
                'groups': [('add', [network._group("EV Client")])],
                }])
    user = network.platform.login(login, password(99))
    other = network.sides[1]
    for key in ['ev_portal_party', '_ev_portal_party']:
        context = dict(user.context, **{key: other['client']})
        for name in ['session', 'id_tag']:
            found = user.call('model.%s.search' % MODELS[name],
                [('id', '=', other[name])], 0, None, None, context)
            assert found == [], (key, name)


@pytest.mark.parametrize('role', STAFF)
def test_staff_platform_tariff_read_only(network, role):
    """Partner staff read the platform's tariffs and their bands, and
    change, delete or create none, nor a band of one"""
    admin = network.admin
    tariff, band = network.platform_tariff, network.platform_band
    fields = ['description', 'partner', 'version', 'bands']
    before = admin.model('ev.tariff', 'read', [tariff], fields)
    bands = admin.model('ev.tariff.band', 'read', [band], ['name'])
    for number, side in enumerate(network.sides):
        user = network.login(role, number)
        assert user.model('ev.tariff', 'read', [tariff], ['partner']) == [
            {'id': tariff, 'partner': None}]
        assert user.model('ev.tariff.band', 'search',
            [('tariff', '=', tariff)], 0, None, None) == [band]
        new_tariff = dict(network.create_values('tariff', side),
            partner=None)
        new_band = dict(network.create_values('band', side), tariff=tariff)
        for model, method, args in [
                ('ev.tariff', 'write', ([tariff], WRITE['tariff'])),
                ('ev.tariff', 'write', ([tariff],
                        {'partner': side['party']})),
                ('ev.tariff', 'delete', ([tariff],)),
                ('ev.tariff', 'create', ([new_tariff],)),
                ('ev.tariff.band', 'write', ([band], WRITE['band'])),
                ('ev.tariff.band', 'delete', ([band],)),
                ('ev.tariff.band', 'create', ([new_band],)),
                ]:
            assert_refused(network, user, model, method, *args)
    assert admin.model('ev.tariff', 'read', [tariff], fields) == before
    assert admin.model('ev.tariff.band', 'read', [band], ['name']) == bands


def test_manager_cannot_hand_tariff_over(network):
    """A partner manager cannot give a tariff, band or assignment to the
    other partner or the platform, nor take the other partner's"""
    user = network.login('manager', 0)
    admin = network.admin
    mine, other = network.sides
    fields = ['partner', 'bands', 'assignments', 'version']
    before = admin.model('ev.tariff', 'read',
        [mine['tariff'], other['tariff']], fields)
    for name, values in [
            ('tariff', {'partner': other['party']}),
            ('tariff', {'partner': None}),
            ('tariff', {'bands': [('add', [other['band']])]}),
            ('tariff', {'assignments': [('add', [other['assignment']])]}),
            ('band', {'tariff': other['tariff']}),
            ('band', {'tariff': network.platform_tariff}),
            ('assignment', {'tariff': other['tariff']}),
            ('assignment', {'tariff': network.platform_tariff}),
            ('assignment', {'station': other['station']}),
            ]:
        assert_refused(network, user, MODELS[name], 'write', [mine[name]],
            values)
    assert admin.model('ev.tariff', 'read',
        [mine['tariff'], other['tariff']], fields) == before
    assert admin.model('ev.tariff.assignment', 'read', [mine['assignment']],
        ['tariff', 'station']) == [{'id': mine['assignment'],
            'tariff': mine['tariff'], 'station': mine['station']}]


def assignment_values(network, number, location, network_, tariff):
    """Return the values of an assignment, made by the manager of side
    number, of the tariff ('own', 'other' or 'platform') at the location on
    the network ('own', 'other' or 'platform': a connector type on the whole
    platform)"""
    sides = {'own': network.sides[number], 'other': network.sides[1 - number]}
    side = sides.get(network_, sides['own'])
    values = {
        'company': network.company,
        'tariff': (network.platform_tariff if tariff == 'platform'
            else sides[tariff]['tariff']),
        'location': location,
        # A client of its own and a period of its own: it overlaps no
        # other assignment.
        'audience': 'client', 'client': side['client'],
        'start_date': rpc_date(2002, 1, 1),
        'end_date': rpc_date(2002, 12, 31),
        }
    if location == 'connector':
        values['connector'] = side['connector']
    elif location == 'station':
        values['station'] = side['station']
    elif location in {'partner', 'connector_type'}:
        values['partner'] = (
            None if network_ == 'platform' else side['party'])
    if location == 'connector_type':
        connector, = network.admin.model('ev.connector', 'read',
            [side['connector']], ['type'])
        values['connector_type'] = connector['type']
    return values


@pytest.mark.parametrize('location',
    ['connector', 'station', 'partner', 'connector_type'])
def test_manager_assigns_own_tariff_on_own_network(network, location):
    "A partner manager assigns the partner's tariff on its network"
    for number in [0, 1]:
        user = network.login('manager', number)
        values = assignment_values(network, number, location, 'own', 'own')
        assignment, = user.model('ev.tariff.assignment', 'create', [values])
        try:
            assert user.model('ev.tariff.assignment', 'search',
                [('id', '=', assignment)], 0, None, None) == [assignment]
            user.model('ev.tariff.assignment', 'delete', [assignment])
        finally:
            network.admin.model('ev.tariff.assignment', 'delete',
                network.admin.model('ev.tariff.assignment', 'search',
                    [('id', '=', assignment)], 0, None, None))


@pytest.mark.parametrize('location,network_,tariff', [
        # The partner's tariff outside its network
        ('connector', 'other', 'own'),
        ('station', 'other', 'own'),
        ('partner', 'other', 'own'),
        ('connector_type', 'other', 'own'),
        ('connector_type', 'platform', 'own'),
        ('platform', 'platform', 'own'),
        # A tariff of the platform, even on the partner's network
        ('station', 'own', 'platform'),
        ('partner', 'own', 'platform'),
        # The other partner's tariff
        ('station', 'other', 'other'),
        ('partner', 'other', 'other'),
        ])
def test_manager_assigns_nowhere_else(network, location, network_, tariff):
    """A partner manager assigns neither its tariff outside its network nor
    a tariff of the platform or the other partner, in both directions"""
    for number in [0, 1]:
        user = network.login('manager', number)
        assert_refused(network, user, 'ev.tariff.assignment', 'create',
            [assignment_values(network, number, location, network_,
                    tariff)])


@pytest.mark.parametrize('name', ['tariff', 'band', 'assignment'])
def test_client_no_tariffs(network, name):
    """A client reads no tariff, band nor assignment at all, not even the
    platform's or those of its own sessions' network"""
    records = {
        'tariff': [network.platform_tariff, network.sides[0]['tariff']],
        'band': [network.platform_band, network.sides[0]['band']],
        'assignment': [network.sides[0]['assignment']],
        }
    user = network.login('client', 0)
    model = MODELS[name]
    assert_refused(network, user, model, 'search', [], 0, None, None)
    assert_refused(network, user, model, 'search_count', [], 0, None)
    for record in records[name]:
        assert_refused(network, user, model, 'read', [record], ['id'])
    if name == 'tariff':
        # Nor through its own session.
        session = network.sides[0]['session']
        assert network.admin.model('ev.session', 'read', [session],
            ['tariff'])[0]['tariff']
        assert_refused(network, user, 'ev.session', 'read', [session],
            ['tariff.name'])
