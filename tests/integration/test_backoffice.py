# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The back office as its users reach it: trytond over HTTP with the demo
data, each user logged in with the password the demo printed"""
import requests

import pytest

from ..harness import RPCError

STATION_FIELDS = ['name', 'identity', 'partner', 'state', 'online',
    'connectors', 'latitude', 'longitude', 'password', 'password_hash']


def test_sao_is_served(platform):
    "The web client and its vendor files are served on the same port"
    page = requests.get(platform.url + '/', timeout=10)
    assert page.status_code == 200
    assert 'tryton-sao' in page.text
    for path in ['/dist/tryton-sao.js', '/dist/tryton-sao.css',
            '/node_modules/jquery/dist/jquery.min.js']:
        response = requests.get(platform.url + path, timeout=10)
        assert response.status_code == 200, path
        assert len(response.content) > 10_000, path


def test_operator_menu_in_russian(platform):
    "The operator works in Russian and sees the EV menu translated"
    operator = platform.login('operator', language='ru')
    assert operator.context['language'] == 'ru'
    roots = operator.model('ir.ui.menu', 'search_read',
        [('parent', '=', None)], 0, None, None, ['name'])
    names = [r['name'] for r in roots]
    assert 'Электрозарядная сеть' in names
    root, = [r for r in roots if r['name'] == 'Электрозарядная сеть']
    children = operator.model('ir.ui.menu', 'search_read',
        [('parent', '=', root['id'])], 0, None, None, ['name'])
    labels = {c['name'] for c in children}
    # Stations, sessions, commands, events, partners, clients, ID tags.
    assert len(labels) >= 7, labels
    untranslated = {label for label in labels if label.isascii()}
    assert not untranslated, untranslated


def test_operator_sees_demo_stations(platform):
    "The demo network: a dozen stations of three partners, 2-4 connectors"
    operator = platform.login('operator', language='ru')
    stations = operator.model('ev.station', 'search_read',
        [], 0, None, None, STATION_FIELDS)
    assert len(stations) == 12
    assert len({s['partner'] for s in stations}) == 3
    assert {s['state'] for s in stations} == {'connected'}
    for station in stations:
        assert 2 <= len(station['connectors']) <= 4, station['identity']
        assert 55 < station['latitude'] < 61
        assert 30 < station['longitude'] < 38
        # The hash of the charger password never leaves the server.
        assert station['password'] == 'x' * 10
        assert station['password_hash'] is None
    connectors = operator.model('ev.connector', 'search_read',
        [], 0, None, None, ['station', 'number', 'type.code', 'status'])
    assert len(connectors) == sum(len(s['connectors']) for s in stations)
    assert {c['type.']['code'] for c in connectors} >= {
        'ccs2', 'type2', 'chademo'}
    assert 'faulted' in {c['status'] for c in connectors}


def test_operator_duplicate_identity_translated(platform):
    "A duplicate identity is refused over RPC in the user's language"
    operator = platform.login('operator', language='ru')
    station, = operator.model('ev.station', 'search_read',
        [('identity', '=', 'VZ-MSK-001')], 0, None, None,
        ['partner', 'company'])
    with pytest.raises(RPCError) as info:
        operator.model('ev.station', 'create', [{
                    'name': "Копия", 'identity': 'VZ-MSK-001',
                    'partner': station['partner'],
                    'company': station['company'],
                    }])
    kind, (message, *_) = info.value.error
    assert kind == 'UserError'
    assert 'VZ-MSK-001' in message
    assert 'Тверская' in message
    assert not message.isascii()


def test_operator_creates_and_connects_station(platform):
    "An operator registers a new station and connects it"
    operator = platform.login('operator')
    partner, = operator.model('party.party', 'search',
        [('name', 'like', '%ВольтЗаряд%')], 0, 1, None)
    type2, = operator.model('ev.connector.type', 'search',
        [('code', '=', 'type2')], 0, 1, None)
    station_id, = operator.model('ev.station', 'create', [{
                'name': "Новая станция", 'identity': 'VZ-MSK-099',
                'partner': partner,
                'company': operator.context['company'],
                'password': 'a-charger-password',
                'connectors': [('create', [{
                                'number': 1, 'evse': 1, 'type': type2,
                                'max_power': '22'}])],
                }])
    operator.model('ev.station', 'connect', [station_id])
    station, = operator.model('ev.station', 'read', [station_id],
        ['state', 'connector_count'])
    assert station['state'] == 'connected'
    assert station['connector_count'] == 1


@pytest.mark.parametrize('login', ['voltzaryad', 'nevaenergy', 'ecodrive',
        'finance'])
def test_read_only_roles_cannot_change_stations(platform, login):
    "Partner staff and finance cannot re-identify, delete or disconnect"
    user = platform.login(login)
    station_ids = user.model('ev.station', 'search', [], 0, None, None)
    assert station_ids
    for method, args in [
            ('write', ([station_ids[0]], {'identity': 'HACKED'})),
            ('delete', ([station_ids[0]],)),
            ('disconnect', ([station_ids[0]],)),
            ]:
        with pytest.raises(RPCError) as info:
            user.model('ev.station', method, *args)
        assert info.value.error[0] in {'UserError', 'AccessError'}, method
    station, = user.model('ev.station', 'read', station_ids[:1],
        ['identity'])
    assert station['identity'] != 'HACKED'


def test_technician_requests_reset(platform):
    "A partner technician may ask a charger to reset"
    technician = platform.login('nevaenergy')
    station_id, = technician.model('ev.station', 'search',
        [('identity', '=', 'NE-SPB-001')], 0, 1, None)
    technician.model('ev.station', 'reset', [station_id])
    commands = technician.model('ev.station.command', 'search_read',
        [('station', '=', station_id)], 0, None, None,
        ['action', 'state', 'user'])
    assert [(c['action'], c['state'], c['user']) for c in commands] == [
        ('reset', 'pending', technician.user_id)]


def test_wrong_password_refused(platform):
    "A wrong password does not open a session"
    with pytest.raises(RPCError) as info:
        platform.login('operator', 'not-the-password')
    assert info.value.error == ['Unauthorized', 401]
