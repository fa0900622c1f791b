# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Signed webhook delivery with Stripe's at-least-once habits.

Each (event, endpoint) pair is a delivery row. A worker thread posts the
due ones, signs them at send time (so a late delivery still passes the
receiver's 300 s tolerance) and retries with backoff. Faults set per
account make it behave like the network on a bad day: delays, duplicates,
reordering, bad or stale signatures.
"""
import hashlib
import hmac
import json
import logging
import threading
import time

import requests

logger = logging.getLogger(__name__)

FAULTS = {
    # seconds added before the first attempt
    'delay': float,
    # every event is delivered twice
    'duplicate': bool,
    # the next N events are delivered twice
    'duplicate_next': int,
    # events are held until N are waiting, then sent newest first
    'reorder_window': int,
    # ok, bad (wrong secret) or stale (t = now - 400 s)
    'signature': str,
    }
SIGNATURES = {'ok', 'bad', 'stale'}
STALE = 400


def sign(payload, secret, timestamp):
    "The Stripe-Signature header for the payload"
    signed = ('%d.%s' % (timestamp, payload)).encode('utf-8')
    digest = hmac.new(secret.encode('utf-8'), signed, hashlib.sha256)
    return 't=%d,v1=%s' % (timestamp, digest.hexdigest())


def parse_faults(values):
    "Validate the control API's fault knobs"
    faults = {}
    for name, value in values.items():
        if name not in FAULTS:
            raise ValueError("Unknown fault: %s" % name)
        type_ = FAULTS[name]
        if type_ is bool and isinstance(value, str):
            value = value.lower() in {'1', 'true', 'yes', 'on'}
        try:
            value = type_(value)
        except (TypeError, ValueError):
            raise ValueError("Invalid value for %s: %r" % (name, value))
        if name == 'signature' and value not in SIGNATURES:
            raise ValueError("signature must be one of ok, bad or stale")
        if type_ in {int, float} and value < 0:
            raise ValueError("%s must not be negative" % name)
        faults[name] = value
    return faults


class Deliverer:

    def __init__(self, store, acquirer, retry_delays=(60, 300, 1800, 7200),
            timeout=10, poll=1.0):
        self.store = store
        self.acquirer = acquirer
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.poll = poll
        self.session = requests.Session()
        self._sending = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        acquirer.on_event = self.enqueue

    # Called by Acquirer.emit under the store lock
    def enqueue(self, account, event, endpoints):
        if not endpoints:
            return
        faults = self.store.faults(account)
        copies = 1
        if faults.get('duplicate'):
            copies = 2
        elif faults.get('duplicate_next', 0) > 0:
            copies = 2
            faults['duplicate_next'] -= 1
            self.store.set_faults(account, faults)
        window = faults.get('reorder_window', 0)
        state = 'held' if window > 1 else 'pending'
        next_at = time.time() + faults.get('delay', 0)
        for endpoint in endpoints:
            for _ in range(copies):
                cursor = self.store.execute(
                    'INSERT INTO delivery '
                    '(event, endpoint, account, next_at, ord, state) '
                    'VALUES (?, ?, ?, ?, 0, ?)',
                    (event['id'], endpoint['id'], account, next_at, state))
                self.store.execute('UPDATE delivery SET ord = seq '
                    'WHERE seq = ?', (cursor.lastrowid,))
        if state == 'held':
            held = self.store.execute(
                "SELECT COUNT(DISTINCT event) FROM delivery "
                "WHERE account = ? AND state = 'held'",
                (account,)).fetchone()[0]
            if held >= window:
                self._release(account)
        self._wake.set()

    def _release(self, account=None):
        "Send the held deliveries, newest first"
        query = "SELECT seq FROM delivery WHERE state = 'held'"
        params = ()
        if account:
            query += ' AND account = ?'
            params = (account,)
        rows = self.store.execute(
            query.replace('seq', 'seq, next_at', 1) + ' ORDER BY seq',
            params).fetchall()
        seqs = [r[0] for r in rows]
        next_at = max([r[1] for r in rows], default=0)
        for seq, ord_ in zip(seqs, reversed(seqs)):
            self.store.execute(
                "UPDATE delivery SET state = 'pending', ord = ?, "
                "next_at = ? WHERE seq = ?", (ord_, next_at, seq))

    def deliver(self, force=False):
        """Run the due tasks and post the due deliveries.
        With force, everything waiting is due now."""
        with self._sending:
            with self.store.transaction():
                self.acquirer.request = {'id': None, 'idempotency_key': None}
                tasks = self.acquirer.run_tasks(force=force)
                if force:
                    self._release()
                query = (
                    "SELECT d.seq, d.account, e.data, o.data "
                    "FROM delivery d "
                    "JOIN event e ON e.id = d.event "
                    "JOIN object o ON o.id = d.endpoint "
                    "WHERE d.state = 'pending'")
                params = ()
                if not force:
                    query += ' AND d.next_at <= ?'
                    params = (time.time(),)
                rows = self.store.execute(
                    query + ' ORDER BY d.next_at, d.ord', params).fetchall()
            results = []
            for seq, account, event, endpoint in rows:
                with self.store.transaction():
                    faults = self.store.faults(account)
                results.append(self._post(seq, json.loads(event),
                        json.loads(endpoint), faults))
            return {'tasks': tasks, 'deliveries': results}

    def _post(self, seq, event, endpoint, faults):
        # Stripe sends the event pretty-printed; the signature covers
        # these exact bytes.
        payload = json.dumps(event, indent=2)
        timestamp = int(time.time())
        secret = endpoint['secret']
        signature = faults.get('signature', 'ok')
        if signature == 'stale':
            timestamp -= STALE
        elif signature == 'bad':
            secret = 'whsec_' + 'x' * 32
        headers = {
            'Content-Type': 'application/json; charset=utf-8',
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': sign(payload, secret, timestamp),
            }
        try:
            response = self.session.post(endpoint['url'],
                data=payload.encode('utf-8'), headers=headers,
                timeout=self.timeout, allow_redirects=False)
            status = str(response.status_code)
            ok = 200 <= response.status_code < 300
        except requests.RequestException as exception:
            status = type(exception).__name__
            ok = False
        with self.store.transaction():
            attempt = self.store.execute(
                'SELECT attempt FROM delivery WHERE seq = ?',
                (seq,)).fetchone()[0] + 1
            if ok:
                state, next_at = 'delivered', time.time()
            elif attempt > len(self.retry_delays):
                state, next_at = 'failed', time.time()
                logger.warning("webhook %s to %s: giving up after %d "
                    "attempts (%s)", event['id'], endpoint['url'], attempt,
                    status)
            else:
                state = 'pending'
                next_at = time.time() + self.retry_delays[attempt - 1]
            self.store.execute(
                'UPDATE delivery SET attempt = ?, state = ?, next_at = ?, '
                'last_status = ?, signature = ? WHERE seq = ?',
                (attempt, state, next_at, status, signature, seq))
        logger.info("webhook %s %s to %s: %s", event['id'], event['type'],
            endpoint['url'], status)
        return {'event': event['id'], 'type': event['type'],
            'endpoint': endpoint['id'], 'status': status,
            'attempt': attempt, 'state': state}

    def deliveries(self, account):
        rows = self.store.execute(
            'SELECT d.seq, d.event, e.type, d.endpoint, d.attempt, d.state, '
            'd.last_status, d.signature, d.next_at FROM delivery d '
            'JOIN event e ON e.id = d.event '
            'WHERE d.account = ? ORDER BY d.seq', (account,))
        keys = ['seq', 'event', 'type', 'endpoint', 'attempt', 'state',
            'last_status', 'signature', 'next_at']
        return [dict(zip(keys, r)) for r in rows]

    # Worker thread
    def start(self):
        self._thread = threading.Thread(
            target=self._run, name='sandbox-webhooks', daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.deliver()
            except Exception:
                logger.exception("webhook delivery failed")

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=self.timeout + 5)
