# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The message centre end to end: a simulated charger's fault and its going
offline reach the operator and the owning partner's technician in sao and by
e-mail at the local SMTP server; a reset's confirmation reaches the user who
asked for it. Every part is real: trytond, the OCPP daemon, the charger."""
import time

import pytest

from ..harness import Charger, Daemon

STATION = 'VZ-MSK-002'
OPERATOR = 'operator'
TECHNICIAN = 'voltzaryad-tech'
OTHER_TECHNICIAN = 'nevaenergy'
MESSAGE_FIELDS = ['kind', 'priority', 'state', 'title', 'description',
    'resource', 'partner', 'recipients', 'occurrences', 'initiator']


def wait_for(probe, timeout=30, interval=0.2):
    "Return probe()'s first true result, waiting at most timeout seconds"
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def address(login):
    return {
        OPERATOR: 'operator@ev-platform.example',
        TECHNICIAN: 'voltzaryad-tech@voltzaryad.example',
        }[login]


@pytest.fixture(scope='module')
def daemon(platform):
    daemon = Daemon(platform, 'daemon-messages')
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def users(platform):
    return {login: platform.login(login)
        for login in [OPERATOR, TECHNICIAN, OTHER_TECHNICIAN]}


def station_messages(rpc, station_id, kind='station'):
    return rpc.model('ev.message', 'search_read', [
            ('kind', '=', kind),
            ('resource', '=', 'ev.station,%s' % station_id),
            ], 0, None, [('id', 'ASC')], MESSAGE_FIELDS)


def user_ids(rpc, logins):
    return {u['login']: u['id'] for u in rpc.model('res.user', 'search_read',
            [('login', 'in', logins)], 0, None, None, ['login'])}


def test_fault_and_offline_reach_operator_and_technician(
        platform, daemon, smtp_server, users):
    operator, technician = users[OPERATOR], users[TECHNICIAN]
    station, = operator.model('ev.station', 'search_read',
        [('identity', '=', STATION)], 0, None, None, ['name'])
    ids = user_ids(platform.login('admin', platform.admin_password),
        [OPERATOR, TECHNICIAN, OTHER_TECHNICIAN])
    before = {login: len(smtp_server.messages(address(login)))
        for login in [OPERATOR, TECHNICIAN]}

    charger = Charger(daemon, STATION, connectors=2, power_w=50_000)
    try:
        charger.boot()
        charger.call(charger.cp.status(1, 'faulted',
                error_code='ground_failure'))

        # The fault: one open message for the operator and the partner's
        # technician, in sao's notifications and by e-mail.
        fault = wait_for(lambda: [m for m in station_messages(
                    operator, station['id']) if m['state'] != 'resolved'
                and 'offline' not in (m['title'] or '').lower()])
        assert fault, "no station message for the fault"
        fault, = fault
        assert fault['priority'] in {'high', 'urgent'}
        assert ids[OPERATOR] in fault['recipients']
        assert ids[TECHNICIAN] in fault['recipients']
        assert ids[OTHER_TECHNICIAN] not in fault['recipients']
        assert station['name'] in fault['title'] + fault['description']

        for login, rpc in [(OPERATOR, operator), (TECHNICIAN, technician)]:
            notifications = rpc.model('res.notification', 'search_read',
                [('model', '=', 'ev.message'),
                    ('user', '=', ids[login])],
                0, None, None, ['records', 'label'])
            assert any('%s' % fault['id'] in n['records']
                for n in notifications), login
            mail = smtp_server.wait(address(login), before[login] + 1)[-1]
            assert station['name'] in mail.get_body(
                ('html',)).get_content(), login
            assert 'ev.message/%s' % fault['id'] in mail.get_body(
                ('html',)).get_content()
        # The technician of another network sees nothing of it.
        assert station_messages(users[OTHER_TECHNICIAN], station['id']) == []
        # The technician acknowledges it in the back office.
        technician.model('ev.message', 'acknowledge', [fault['id']])

        # The connector works again: the fault is resolved.
        charger.call(charger.cp.status(1, 'available'))
        assert wait_for(lambda: operator.model('ev.message', 'read',
                [fault['id']], ['state'])[0]['state'] == 'resolved')

        # Delivered: the e-mail log says so.
        emails = wait_for(lambda: [e for e in operator.model(
                    'ir.email', 'search_read', [
                        ('resource', '=', 'ev.message,%s' % fault['id'])],
                    0, None, None, ['ev_state', 'recipients'])
                if e['ev_state'] == 'sent'])
        assert {e['recipients'] for e in emails} >= {
            address(OPERATOR), address(TECHNICIAN)}
    finally:
        charger.close()

    # Offline: the charger is gone; past the threshold the cron posts it.
    admin = platform.login('admin', platform.admin_password)
    admin.model('ev.configuration', 'write', [1],
        {'offline_alert_after': 1})
    try:
        assert wait_for(lambda: not operator.model('ev.station', 'read',
                [station['id']], ['online'])[0]['online'])
        time.sleep(1.5)
        cron, = admin.model('ir.cron', 'search', [
                ('method', '=', 'ev.station|alert_offline')], 0, None, None)
        admin.model('ir.cron', 'run_once', [cron])
    finally:
        admin.model('ev.configuration', 'write', [1],
            {'offline_alert_after': 300})
    offline = [m for m in station_messages(operator, station['id'])
        if m['state'] != 'resolved']
    assert len(offline) == 1, offline
    offline, = offline
    assert ids[OPERATOR] in offline['recipients']
    assert ids[TECHNICIAN] in offline['recipients']
    for login in [OPERATOR, TECHNICIAN]:
        mails = smtp_server.wait(address(login), before[login] + 2)
        assert any(station['name'] in m.get_body(('html',)).get_content()
            and 'ev.message/%s' % offline['id'] in m.get_body(
                ('html',)).get_content() for m in mails), login


def test_reset_confirmation_reaches_its_initiator(
        platform, daemon, users):
    operator, technician = users[OPERATOR], users[TECHNICIAN]
    station, = technician.model('ev.station', 'search_read',
        [('identity', '=', STATION)], 0, None, None, ['name'])
    ids = user_ids(platform.login('admin', platform.admin_password),
        [OPERATOR, TECHNICIAN])
    charger = Charger(daemon, STATION, connectors=2, power_w=50_000)
    try:
        charger.boot()
        assert wait_for(lambda: technician.model('ev.station', 'read',
                [station['id']], ['online'])[0]['online'])
        technician.model('ev.station', 'reset', [station['id']])
        assert wait_for(lambda: charger.received('Reset'))

        confirmation = wait_for(lambda: technician.model('ev.message',
                'search_read', [('kind', '=', 'confirmation'),
                    ('initiator', '=', ids[TECHNICIAN])],
                0, None, None, MESSAGE_FIELDS))
        assert confirmation, "no confirmation for the reset"
        confirmation, = confirmation
        assert confirmation['recipients'] == [ids[TECHNICIAN]]
        notifications = technician.model('res.notification', 'search_read',
            [('model', '=', 'ev.message'), ('user', '=', ids[TECHNICIAN])],
            0, None, None, ['records'])
        assert any('%s' % confirmation['id'] in n['records']
            for n in notifications)
        # The operator did not start it: nothing in their notifications.
        assert not [n for n in operator.model('res.notification',
                'search_read', [('model', '=', 'ev.message'),
                    ('user', '=', ids[OPERATOR])],
                0, None, None, ['records'])
            if '%s' % confirmation['id'] in n['records']]
    finally:
        charger.close()
