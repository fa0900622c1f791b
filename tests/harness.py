# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A real platform for cross-process tests: a database with the demo loaded
and a trytond server on a free loopback port

The database backend follows TRYTOND_DATABASE_URI, as `make test` sets it:
SQLite by default, PostgreSQL with `make test DB=postgresql`.
"""
import asyncio
import base64
import configparser
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
SAO_ROOT = os.path.join(ROOT, 'var', 'sao', 'package')
MODULES = sorted(
    name for name in os.listdir(os.path.join(ROOT, 'addons'))
    if os.path.exists(os.path.join(ROOT, 'addons', name, 'tryton.cfg')))
# The instant the demo is built around: fixed, so that tests can rely on it.
DEMO_NOW = '2026-11-27T09:00:00'


def shipped_security_config():
    """Return the [session] and [password] sections of the repository's
    trytond.conf, so the tests run under the policy the platform ships"""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'trytond.conf'))
    lines = []
    for section in ['session', 'password']:
        if parser.has_section(section):
            lines.append('[%s]' % section)
            lines.extend('%s = %s' % item for item in parser.items(section))
    return '\n'.join(lines) + '\n'


def shipped_retry():
    "Return the [database] retry of the repository's trytond.conf"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'trytond.conf'))
    return parser.getint('database', 'retry', fallback=5)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Platform:
    "trytond with the demo database, started and stopped by the tests"

    def __init__(self, config=''):
        self.uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
        self.backend = urllib.parse.urlparse(self.uri).scheme
        self.folder = tempfile.mkdtemp(prefix='ev-it-')
        self.database = 'ev_it_%s' % uuid.uuid4().hex[:8]
        self.port = free_port()
        self.url = 'http://127.0.0.1:%s' % self.port
        self.process = None
        self.config = os.path.join(self.folder, 'trytond.conf')
        with open(self.config, 'w') as fp:
            fp.write('[database]\nuri = %s\npath = %s\nretry = %s\n' % (
                    self.uri, self.folder, shipped_retry()))
            fp.write('[web]\nlisten = 127.0.0.1:%s\nroot = %s\n' % (
                    self.port, SAO_ROOT))
            fp.write(shipped_security_config())
            fp.write(config)
        self.env = dict(os.environ)
        # The file is the only configuration: the environment of the test
        # run (DB_NAME, TRYTOND_DATABASE_URI, ...) is for the unit tests.
        for name in list(self.env):
            if name.startswith('TRYTOND_') or name in {'DB_NAME', 'DB_CACHE'}:
                del self.env[name]

    def _run(self, *args, **kwargs):
        result = subprocess.run(args, env=self.env, cwd=ROOT,
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            **kwargs)
        if result.returncode:
            raise RuntimeError('%s failed (%s):\n%s' % (
                    os.path.basename(args[0]), result.returncode,
                    (result.stdout + result.stderr)[-3000:]))
        return result

    def create(self):
        "Create the database, activate every ev module and load the demo"
        if self.backend == 'sqlite':
            open(os.path.join(self.folder, self.database + '.sqlite'),
                'w').close()
        else:
            self._pg_execute('CREATE DATABASE "%s" ENCODING \'UTF8\' '
                'TEMPLATE template0' % self.database)
        password_file = os.path.join(self.folder, 'admin-password')
        self.admin_password = 'admin-%s' % uuid.uuid4().hex
        with open(password_file, 'w') as fp:
            fp.write(self.admin_password + '\n')
        self.env['TRYTONPASSFILE'] = password_file
        self._run(os.path.join(BIN, 'trytond-admin'), '-c', self.config,
            '-d', self.database, '--all', '-u', *MODULES,
            '--activate-dependencies', '--email', 'admin@example.com',
            '-l', 'ru')
        self._run(sys.executable, os.path.join(ROOT, 'demo', 'load_demo.py'),
            '-c', self.config, '-d', self.database,
            '--output', self.folder, '--now', DEMO_NOW)
        self.logins = {}
        with open(os.path.join(self.folder, 'demo-logins.txt')) as fp:
            for line in fp:
                login, password = line.split()[:2]
                self.logins[login] = password

    def register_webhook(self):
        """Register the demo card account's webhook at the sandbox
        acquirer, as `make demo` does: its events are pushed to trytond"""
        self._run(sys.executable, os.path.join(ROOT, 'demo', 'webhook.py'),
            self.url, self.database,
            os.path.join(self.folder, 'admin-password'))

    def charger_passwords(self):
        "Return the demo stations' charger passwords by identity"
        with open(os.path.join(self.folder, 'demo-chargers.json')) as fp:
            return json.load(fp)

    def start(self):
        log = open(os.path.join(self.folder, 'trytond.log'), 'w')
        self.process = subprocess.Popen([
                os.path.join(BIN, 'trytond'), '-c', self.config,
                '-d', self.database],
            env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('trytond exited:\n' + self.log())
            try:
                requests.post(self.url + '/rpc/', json={
                        'id': 0, 'method': 'common.server.version',
                        'params': []}, timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError('trytond did not start:\n' + self.log())

    def log(self):
        with open(os.path.join(self.folder, 'trytond.log')) as fp:
            return fp.read()[-5000:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def destroy(self):
        self.stop()
        if self.backend != 'sqlite':
            self._pg_execute('DROP DATABASE IF EXISTS "%s"' % self.database)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_execute(self, query):
        import psycopg
        parts = urllib.parse.urlparse(self.uri)
        with psycopg.connect(
                host=parts.hostname or None, port=parts.port,
                user=parts.username, password=parts.password,
                dbname='postgres', autocommit=True) as connection:
            connection.execute(query)

    def login(self, login, password=None, language=None):
        """Return an RPC session of the user, in the user's language or in
        language when given"""
        if password is None:
            password = self.logins[login]
        return RPC(self.url, self.database, login, password, language)


class RPCError(Exception):

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class RPC:
    "The JSON-RPC protocol of trytond, as sao and proteus speak it"

    def __init__(self, url, database, login, password, language):
        self.url = '%s/%s/rpc/' % (url, database)
        self.http = requests.Session()
        self.id = 0
        user_id, session, _ = self.call('common.db.login',
            login, {'password': password}, language or 'en')
        self.user_id = user_id
        token = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, session)).encode()).decode()
        self.http.headers['Authorization'] = 'Session ' + token
        self.context = self.call(
            'model.res.user.get_preferences', True, {})
        if language:
            self.context['language'] = language

    def call(self, method, *params):
        self.id += 1
        response = self.http.post(self.url, json={
                'id': self.id, 'method': method, 'params': params},
            timeout=30)
        if response.status_code in {401, 403}:
            raise RPCError(['Unauthorized', response.status_code])
        response.raise_for_status()
        result = response.json()
        if 'error' in result:
            raise RPCError(result['error'])
        return result['result']

    def model(self, model, method, *params):
        "Call a model method with the user's context as last argument"
        return self.call('model.%s.%s' % (model, method),
            *params, self.context)


class Daemon:
    "The OCPP daemon as a process, connected to a running Platform"

    def __init__(self, platform, name='daemon-1', **settings):
        self.platform = platform
        self.name = name
        self.port = free_port()
        self.url = 'ws://127.0.0.1:%s/' % self.port
        self.process = None
        self.log_path = os.path.join(platform.folder, name + '.log')
        self.env = dict(platform.env)
        values = {
            'port': self.port,
            'daemon': name,
            'tryton_url': platform.url,
            'database': platform.database,
            'user': 'ocpp',
            'password_file': os.path.join(
                platform.folder, 'demo-ocpp-password'),
            'outbox_path': os.path.join(platform.folder, name + '.sqlite'),
            'command_poll_interval': '0.1',
            'command_timeout': '5',
            'ping_interval': '5',
            'ping_timeout': '5',
            'log_level': 'INFO',
            }
        values.update(settings)
        for key, value in values.items():
            self.env['EV_OCPP_' + key.upper()] = str(value)

    def start(self):
        self.log = open(self.log_path, 'a')
        self.process = subprocess.Popen(
            [os.path.join(BIN, 'ev-ocpp')], env=self.env, cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('ev-ocpp exited:\n' + self.read_log())
            try:
                health = requests.get('http://127.0.0.1:%s/healthz'
                    % self.port, timeout=2)
                if health.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError('ev-ocpp did not start:\n' + self.read_log())

    def health(self):
        return requests.get(
            'http://127.0.0.1:%s/healthz' % self.port, timeout=30).json()

    def read_log(self):
        with open(self.log_path) as fp:
            return fp.read()[-5000:]

    def stop(self, kill=False):
        "Stop with SIGTERM (graceful), or SIGKILL to simulate a crash"
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None


class Charger:
    """A simulated charger (ev_ocpp.simulator) on an event loop of its own
    thread, so that it answers the daemon while a browser is driven"""

    def __init__(self, daemon, identity, version='1.6', **options):
        from ev_ocpp.simulator import create_charger
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True)
        self.thread.start()
        password = daemon.platform.charger_passwords()[identity]

        async def make():
            return create_charger(
                version, daemon.url, identity, password, **options)
        self.cp = self.call(make())

    def call(self, coroutine, timeout=60):
        "Run coroutine on the charger's loop and return its result"
        return asyncio.run_coroutine_threadsafe(
            coroutine, self.loop).result(timeout)

    def boot(self, status='available'):
        "Connect, boot and report every connector in status"
        async def boot():
            await self.cp.connect()
            await self.cp.boot()
            for connector in self.cp.connectors:
                await self.cp.status(connector, status)
        self.call(boot())

    def received(self, action):
        "Return the payloads of the CSMS's requests of action"
        return [p for a, p in list(self.cp.received) if a == action]

    def close(self):
        try:
            self.call(self.cp.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
