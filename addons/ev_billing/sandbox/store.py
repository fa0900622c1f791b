# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The sandbox's own state: one SQLite file (or memory) behind one lock.

Objects are kept as JSON documents, as Stripe returns them; keys starting
with "_" are internal and never leave the sandbox. A single lock around
each request keeps the API serial, like one Stripe account would look to
its caller, and lets the webhook worker run beside the HTTP threads.
"""
import contextlib
import json
import secrets
import sqlite3
import string
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS object (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS object_kind ON object (account, kind, seq);
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_account ON event (account, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (account, key));
CREATE TABLE IF NOT EXISTS delivery (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    account TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    ord REAL NOT NULL,
    state TEXT NOT NULL,
    last_status TEXT,
    signature TEXT);
CREATE INDEX IF NOT EXISTS delivery_due ON delivery (state, next_at, ord);
CREATE TABLE IF NOT EXISTS task (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    due REAL NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fault (
    account TEXT PRIMARY KEY,
    data TEXT NOT NULL);
"""
ALPHABET = string.ascii_letters + string.digits
IDEMPOTENCY_TTL = 24 * 60 * 60


def new_id(prefix, length=24):
    return prefix + ''.join(secrets.choice(ALPHABET) for _ in range(length))


def public(data):
    "The document without its internal keys"
    if isinstance(data, dict):
        return {k: public(v) for k, v in data.items()
            if not k.startswith('_')}
    if isinstance(data, list):
        return [public(v) for v in data]
    return data


class Store:

    def __init__(self, path=':memory:'):
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        self.connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None)
        if path != ':memory:':
            self.connection.execute('PRAGMA journal_mode=WAL')
        self.connection.executescript(SCHEMA)

    @contextlib.contextmanager
    def transaction(self):
        "Hold the lock and commit at the end (or roll back on error)"
        with self.lock:
            outer = self._depth == 0
            self._depth += 1
            if outer:
                self.connection.execute('BEGIN IMMEDIATE')
            try:
                yield self
            except BaseException:
                if outer:
                    self.connection.execute('ROLLBACK')
                raise
            else:
                if outer:
                    self.connection.execute('COMMIT')
            finally:
                self._depth -= 1

    def execute(self, query, params=()):
        return self.connection.execute(query, params)

    def close(self):
        with self.lock:
            self.connection.close()

    # Objects
    def get(self, id_, account=None, kind=None):
        row = self.execute(
            'SELECT account, kind, data FROM object WHERE id = ?',
            (id_,)).fetchone()
        if not row:
            return None
        if account is not None and row[0] != account:
            return None
        if kind is not None and row[1] != kind:
            return None
        return json.loads(row[2])

    def account_of(self, id_):
        row = self.execute(
            'SELECT account FROM object WHERE id = ?', (id_,)).fetchone()
        return row[0] if row else None

    def put(self, account, data):
        "Insert or replace the document (its kind is data['object'])"
        row = self.execute(
            'SELECT seq FROM object WHERE id = ?', (data['id'],)).fetchone()
        if row:
            self.execute('UPDATE object SET data = ? WHERE id = ?',
                (json.dumps(data), data['id']))
        else:
            seq = self.execute(
                'SELECT COALESCE(MAX(seq), 0) + 1 FROM object').fetchone()[0]
            self.execute(
                'INSERT INTO object (id, account, kind, seq, data) '
                'VALUES (?, ?, ?, ?, ?)',
                (data['id'], account, data['object'], seq,
                    json.dumps(data)))
        return data

    def find(self, account, kind, where=None):
        "Documents of kind, newest first, filtered by the where callable"
        rows = self.execute(
            'SELECT data FROM object WHERE account = ? AND kind = ? '
            'ORDER BY seq DESC', (account, kind))
        result = [json.loads(r[0]) for r in rows]
        if where:
            result = [r for r in result if where(r)]
        return result

    # Events
    def add_event(self, account, event):
        self.execute(
            'INSERT INTO event (id, account, type, data) VALUES (?, ?, ?, ?)',
            (event['id'], account, event['type'], json.dumps(event)))

    def event(self, account, id_):
        row = self.execute(
            'SELECT data FROM event WHERE account = ? AND id = ?',
            (account, id_)).fetchone()
        return json.loads(row[0]) if row else None

    def event_seq(self, account, id_):
        row = self.execute(
            'SELECT seq FROM event WHERE account = ? AND id = ?',
            (account, id_)).fetchone()
        return row[0] if row else None

    def events(self, account, after=None, before=None, limit=10,
            ascending=False, types=None):
        "Events with seq in (after, before), limit + 1 rows to see more"
        query = 'SELECT data FROM event WHERE account = ?'
        params = [account]
        if after is not None:
            query += ' AND seq > ?'
            params.append(after)
        if before is not None:
            query += ' AND seq < ?'
            params.append(before)
        if types:
            clauses = []
            for type_ in types:
                if type_.endswith('*'):
                    clauses.append('type LIKE ?')
                    params.append(type_[:-1] + '%')
                else:
                    clauses.append('type = ?')
                    params.append(type_)
            query += ' AND (%s)' % ' OR '.join(clauses)
        query += ' ORDER BY seq %s LIMIT ?' % ('ASC' if ascending else 'DESC')
        params.append(limit + 1)
        return [json.loads(r[0]) for r in self.execute(query, params)]

    # Idempotency
    def idempotent(self, account, key):
        self.execute('DELETE FROM idempotency WHERE created < ?',
            (time.time() - IDEMPOTENCY_TTL,))
        return self.execute(
            'SELECT fingerprint, status, body FROM idempotency '
            'WHERE account = ? AND key = ?', (account, key)).fetchone()

    def remember(self, account, key, fingerprint, status, body):
        self.execute(
            'INSERT OR REPLACE INTO idempotency '
            '(account, key, fingerprint, status, body, created) '
            'VALUES (?, ?, ?, ?, ?, ?)',
            (account, key, fingerprint, status, body, time.time()))

    # Faults
    def faults(self, account):
        row = self.execute(
            'SELECT data FROM fault WHERE account = ?', (account,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_faults(self, account, faults):
        self.execute(
            'INSERT OR REPLACE INTO fault (account, data) VALUES (?, ?)',
            (account, json.dumps(faults)))
