# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The security policy the platform ships in trytond.conf, checked against a
running trytond: the password policy, login throttling and session expiry
(docs/security.md)"""
import base64
import configparser
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

from ..harness import ROOT, RPCError

STRONG = 'Tq8-vLp3!xZr'


def shipped(section, option):
    "Return an option of the repository's trytond.conf"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'trytond.conf'))
    return parser.get(section, option)


class Database:
    "Direct access to the platform's database, to age sessions and count"

    def __init__(self, platform):
        self.platform = platform

    def connect(self):
        platform = self.platform
        if platform.backend == 'sqlite':
            return sqlite3.connect(os.path.join(
                    platform.folder, platform.database + '.sqlite'),
                timeout=30)
        import psycopg
        parts = urllib.parse.urlparse(platform.uri)
        return psycopg.connect(host=parts.hostname or None, port=parts.port,
            user=parts.username, password=parts.password,
            dbname=platform.database)

    def execute(self, query, params=()):
        if self.platform.backend != 'sqlite':
            query = query.replace('?', '%s')
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(query, params)
            rows = cursor.fetchall() if cursor.description else None
            connection.commit()
            return rows
        finally:
            connection.close()

    def timestamp(self, value):
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        return value

    def age_session(self, key, seconds, created_only=False):
        "Move the session key seconds into the past"
        (create_date, write_date), = self.execute(
            'SELECT create_date, write_date FROM ir_session WHERE key = ?',
            (key,))
        shift = dt.timedelta(seconds=seconds)
        create_date = self.timestamp(create_date) - shift
        if not created_only:
            write_date = self.timestamp(write_date or create_date) - shift
        if self.platform.backend == 'sqlite':
            create_date = create_date.isoformat(' ')
            write_date = write_date and self.timestamp(write_date).isoformat(
                ' ')
        self.execute(
            'UPDATE ir_session SET create_date = ?, write_date = ? '
            'WHERE key = ?', (create_date, write_date, key))

    def login_attempts(self, login):
        (count,), = self.execute(
            'SELECT COUNT(*) FROM res_user_login_attempt WHERE login = ?',
            (login,))
        return count


def call(platform, method, *params, session=None, auth=None):
    "Post one JSON-RPC call; return the HTTP response"
    headers = {}
    if session:
        headers['Authorization'] = session
    return requests.post('%s/%s/rpc/' % (platform.url, platform.database),
        json={'id': 1, 'method': method, 'params': params},
        headers=headers, timeout=60)


def login(platform, login, password):
    "Log in; return the response and the Authorization header value"
    response = call(platform, 'common.db.login', login,
        {'password': password}, 'en')
    if response.status_code != 200:
        return response, None, None
    user_id, key, _ = response.json()['result']
    token = base64.b64encode(
        ('%s:%s:%s' % (login, user_id, key)).encode()).decode()
    return response, 'Session ' + token, key


@pytest.fixture
def new_user(platform):
    "Return a function creating a throw-away user; return (login, password)"
    admin = platform.login('admin', platform.admin_password)

    def create(prefix):
        name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
        admin.model('res.user', 'create', [{
                    'login': name, 'name': name, 'password': STRONG,
                    }])
        return name, STRONG
    return create


def error_message(info):
    kind, (message, *_) = info.value.error
    return kind, message


# Password policy

def test_weak_password_refused(platform):
    "The operator cannot take a short, common or plain password"
    operator = platform.login('operator', language='en')
    current = platform.logins['operator']
    length = int(shipped('password', 'length'))
    for password, text in [
            ('Sh0rt!', 'at least %s characters' % length),
            ('Password12345', 'too common'),
            ('aaaaaaaaaaaabbbb', 'different characters'),
            ('operator', 'at least'),
            ]:
        with pytest.raises(RPCError) as info:
            operator.model('res.user', 'set_preferences', {
                    'password': password, 'ev_current_password': current})
        kind, message = error_message(info)
        assert kind == 'UserError', password
        assert text in message, (password, message)
    # The password is unchanged.
    platform.login('operator')


def test_weak_password_refused_in_russian(platform):
    "The refusal is in the user's language"
    operator = platform.login('operator', language='ru')
    with pytest.raises(RPCError) as info:
        operator.model('res.user', 'set_preferences', {
                'password': 'Password12345',
                'ev_current_password': platform.logins['operator']})
    _, message = error_message(info)
    assert message == (
        'Этот пароль слишком распространён: он есть в списке '
        'запрещённых паролей.')


def test_current_password_required(platform):
    "Changing the password needs the right current password"
    database = Database(platform)
    operator = platform.login('operator', language='en')
    for current, text in [
            (None, 'Enter your current password'),
            ('not-the-password', 'current password is not correct'),
            ]:
        values = {'password': STRONG}
        if current:
            values['ev_current_password'] = current
        with pytest.raises(RPCError) as info:
            operator.model('res.user', 'set_preferences', values)
        assert text in error_message(info)[1]
    # The wrong one counts as a failed login; a login clears it.
    assert database.login_attempts('operator') == 1
    platform.login('operator')
    assert database.login_attempts('operator') == 0


def test_password_changed(platform, new_user):
    "With the current password a strong new one is taken"
    name, password = new_user('it-password')
    user = platform.login(name, password)
    new = 'Wm4#kRz8-qYe'
    user.model('res.user', 'set_preferences', {
            'password': new, 'ev_current_password': password})
    with pytest.raises(RPCError):
        platform.login(name, password)
    platform.login(name, new)


def test_demo_passwords_follow_policy(platform):
    "The passwords demo/load_demo.py gave the demo users pass the policy"
    passwords = list(platform.logins.values())
    with open(os.path.join(platform.folder, 'demo-ocpp-password')) as fp:
        passwords.append(fp.read().strip())
    # Checked in a separate process: the policy reads the trytond
    # configuration, which the tests in this process must not change.
    script = (
        'import sys\n'
        'from trytond import config\n'
        'config.update_etc(sys.argv[1])\n'
        'from trytond.modules.ev_partner.profile import '
        'check_password_policy\n'
        'for line in sys.stdin:\n'
        '    check_password_policy(line.rstrip("\\n"))\n')
    result = subprocess.run(
        [sys.executable, '-c', script, os.path.join(ROOT, 'trytond.conf')],
        input='\n'.join(passwords) + '\n', cwd=ROOT, capture_output=True,
        text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


# Login throttling

def test_login_throttled(platform, new_user):
    "After max_attempt failed logins even the right password gets 429"
    database = Database(platform)
    name, password = new_user('it-throttle')
    max_attempt = int(shipped('session', 'max_attempt'))
    # trytond delays the answer to the n-th failure by up to 2^n s; the
    # failures are sent without waiting for the answers, one after the
    # other has been counted.
    answers = []

    def wrong():
        try:
            answers.append(login(platform, name, 'wrong-password')[0]
                .status_code)
        except requests.RequestException as exception:
            answers.append(exception)
    threads = []
    for n in range(1, max_attempt + 2):
        thread = threading.Thread(target=wrong, daemon=True)
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 30
        while database.login_attempts(name) < n:
            assert time.monotonic() < deadline, 'attempt %s not counted' % n
            time.sleep(0.05)
    response, _, _ = login(platform, name, password)
    assert response.status_code == 429
    for thread in threads:
        thread.join(60)
    assert answers == [401] * (max_attempt + 1)
    # Other logins are not affected.
    platform.login('operator')


# Session expiry

def test_session_idle_timeout(platform, new_user):
    "A session idle longer than timeout may no longer change anything"
    database = Database(platform)
    name, password = new_user('it-idle')
    timeout = int(shipped('session', 'timeout'))
    _, session, key = login(platform, name, password)
    database.age_session(key, timeout + 60)
    # Reading goes on until max_age ...
    response = call(platform, 'model.res.user.get_preferences', True, {},
        session=session)
    assert response.status_code == 200
    # ... but the preferences need a fresh session: sao asks the password.
    response = call(platform, 'model.res.user.set_preferences',
        {'theme': 'dark'}, {}, session=session)
    assert response.status_code == 401
    # and the stale session is gone.
    response = call(platform, 'model.res.user.get_preferences', True, {},
        session=session)
    assert response.status_code == 401


def test_session_max_age(platform, new_user):
    "A session older than max_age is refused, however active"
    database = Database(platform)
    name, password = new_user('it-age')
    max_age = int(shipped('session', 'max_age'))
    _, session, key = login(platform, name, password)
    response = call(platform, 'model.res.user.get_preferences', True, {},
        session=session)
    assert response.status_code == 200
    database.age_session(key, max_age + 60, created_only=True)
    response = call(platform, 'model.res.user.get_preferences', True, {},
        session=session)
    assert response.status_code == 401
    _, session, _ = login(platform, name, password)
    assert call(platform, 'model.res.user.get_preferences', True, {},
        session=session).status_code == 200
