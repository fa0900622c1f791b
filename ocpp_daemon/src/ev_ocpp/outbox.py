# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The durable outbox: transaction messages survive a daemon restart and
Tryton downtime

A charger's StartTransaction, MeterValues, StopTransaction and
TransactionEvent are written here before the charger gets its answer, then
delivered to Tryton at least once, in order, each with an idempotency key
that Tryton deduplicates. The 1.6 transaction ids that the daemon hands out
come from ranges reserved in Tryton and kept here.
"""
import asyncio
import json
import logging
import os
import random
import sqlite3
import time
import uuid

from . import metrics
from .backend.client import BackendError, BackendRejected, BackendUnavailable

logger = logging.getLogger(__name__)

SCHEMA = '''
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    args TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    dead INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS message_live ON message (dead, id);
CREATE TABLE IF NOT EXISTS started (
    key TEXT PRIMARY KEY,
    transaction_id INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS started_created ON started (created);
CREATE TABLE IF NOT EXISTS transaction_range (
    first INTEGER NOT NULL,
    last INTEGER NOT NULL
);
'''


class Outbox:

    def __init__(self, path, sync='full'):
        if path != ':memory:':
            os.makedirs(os.path.dirname(os.path.abspath(path)),
                exist_ok=True)
        # One connection, used from the event loop thread only: every write
        # is a short transaction, faster than a hop to a thread.
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute('PRAGMA journal_mode=WAL')
        self.db.execute('PRAGMA synchronous=%s' % sync.upper())
        self.db.executescript(SCHEMA)
        self.wakeup = asyncio.Event()

    def close(self):
        self.db.close()

    def put(self, method, args):
        """Store a facade call; args[1] is its idempotency key, filled in
        here when None"""
        args = list(args)
        if args[1] is None:
            args[1] = 'ob-' + uuid.uuid4().hex
        self.db.execute(
            'INSERT INTO message (method, args, created) VALUES (?, ?, ?)',
            (method, json.dumps(args), time.time()))
        self.wakeup.set()
        metrics.OUTBOX_DEPTH.inc()
        return args[1]

    def pending(self, limit=100):
        "Return the (id, method, args) to deliver, oldest first"
        rows = self.db.execute(
            'SELECT id, method, args FROM message WHERE dead = 0 '
            'ORDER BY id LIMIT ?', (limit,)).fetchall()
        return [(id_, method, json.loads(args)) for id_, method, args in rows]

    def done(self, id_):
        self.db.execute('DELETE FROM message WHERE id = ?', (id_,))
        metrics.OUTBOX_DEPTH.dec()

    def attempted(self, id_, error):
        self.db.execute(
            'UPDATE message SET attempts = attempts + 1, error = ? '
            'WHERE id = ?', (error, id_))

    def bury(self, id_, error):
        "Keep a message Tryton refused for good, for an operator to look at"
        self.db.execute(
            'UPDATE message SET dead = 1, error = ? WHERE id = ?',
            (error, id_))
        metrics.OUTBOX_DEPTH.dec()

    def depth(self):
        return self.db.execute(
            'SELECT COUNT(*) FROM message WHERE dead = 0').fetchone()[0]

    def dead_letters(self):
        return self.db.execute(
            'SELECT id, method, args, error FROM message WHERE dead = 1 '
            'ORDER BY id').fetchall()

    # 1.6 transaction ids

    def started(self, key):
        "Return the transaction id given to the start with key, or None"
        row = self.db.execute(
            'SELECT transaction_id FROM started WHERE key = ?',
            (key,)).fetchone()
        return row[0] if row else None

    def start(self, key, transaction_id):
        "Remember the id given to a start, for the charger's retries"
        # A retry comes within minutes; a week is plenty.
        self.db.execute('DELETE FROM started WHERE created < ?',
            (time.time() - 7 * 24 * 3600,))
        self.db.execute(
            'INSERT OR REPLACE INTO started (key, transaction_id, created) '
            'VALUES (?, ?, ?)', (key, transaction_id, time.time()))

    def add_transaction_range(self, first, last):
        self.db.execute(
            'INSERT INTO transaction_range (first, last) VALUES (?, ?)',
            (first, last))

    def transaction_ids_left(self):
        return self.db.execute(
            'SELECT COALESCE(SUM(last - first + 1), 0) '
            'FROM transaction_range').fetchone()[0]

    def next_transaction_id(self):
        "Return a transaction id no other daemon hands out, or None"
        self.db.execute('BEGIN IMMEDIATE')
        try:
            row = self.db.execute(
                'SELECT rowid, first, last FROM transaction_range '
                'ORDER BY first LIMIT 1').fetchone()
            if row is None:
                self.db.execute('ROLLBACK')
                return None
            rowid, first, last = row
            if first == last:
                self.db.execute(
                    'DELETE FROM transaction_range WHERE rowid = ?', (rowid,))
            else:
                self.db.execute(
                    'UPDATE transaction_range SET first = ? WHERE rowid = ?',
                    (first + 1, rowid))
            self.db.execute('COMMIT')
        except BaseException:
            self.db.execute('ROLLBACK')
            raise
        return first


class Courier:
    "Delivers the outbox to Tryton, in order, retrying while it is down"

    def __init__(self, outbox, backend, config):
        self.outbox = outbox
        self.backend = backend
        self.config = config
        self.delay = 0
        self.backend_up = True

    async def run(self):
        metrics.OUTBOX_DEPTH.set(self.outbox.depth())
        while True:
            # Cleared before delivering, so that a message put meanwhile
            # wakes the next round up.
            self.outbox.wakeup.clear()
            if await self.deliver():
                await self.outbox.wakeup.wait()
            else:
                # Tryton is down: back off, with jitter so that several
                # daemons do not hammer it in step.
                self.delay = min(max(self.delay * 2, 0.25), 15)
                await asyncio.sleep(self.delay * random.uniform(0.8, 1.2))

    async def deliver(self, limit=1000):
        "Deliver what is waiting; return False when Tryton is unavailable"
        while rows := self.outbox.pending(limit):
            # One lane per charger, in order within it; lanes in parallel,
            # as many as the backend has workers, so that one busy charger
            # does not hold the others back.
            lanes = {}
            for row in rows:
                lanes.setdefault(str(row[2][0]), []).append(row)
            gate = asyncio.Semaphore(self.config.backend_workers)
            results = await asyncio.gather(
                *(self._lane(lane, gate) for lane in lanes.values()))
            if not all(results):
                return False
            if not self.backend_up:
                logger.info('Tryton is back')
            self.backend_up = True
            self.delay = 0
        return True

    async def _lane(self, rows, gate):
        "Deliver the rows of one charger in order; False if Tryton is down"
        async with gate:
            for id_, method, args in rows:
                try:
                    await self.backend.call(method, *args)
                except BackendUnavailable as exception:
                    self.outbox.attempted(id_, str(exception))
                    if self.backend_up:
                        logger.warning('Tryton unavailable: %s', exception)
                    self.backend_up = False
                    return False
                except BackendRejected as exception:
                    logger.error('Tryton refused %s: %s', method,
                        exception.error, extra={'action': method})
                    self.outbox.bury(id_, json.dumps(exception.error))
                    await self.report(method, exception.error, args)
                else:
                    self.outbox.done(id_)
        return True

    async def report(self, method, error, args):
        "Tell Tryton of a dead letter; the outbox keeps it whatever happens"
        try:
            await self.backend.report_failure(
                self.config.daemon, method, error, args)
        except BackendError as exception:
            logger.warning('cannot report the dead letter %s: %s', method,
                exception, extra={'action': method})

    async def flush(self, timeout):
        "Deliver what is waiting within timeout seconds; return the rest"
        try:
            await asyncio.wait_for(self.deliver(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.outbox.depth()
