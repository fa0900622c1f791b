# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"An asyncio client of the ev.ocpp.gateway facade (docs/ocpp.md)"
import asyncio
import base64
import concurrent.futures
import itertools
import logging
import threading
import time

import requests

from .. import metrics

logger = logging.getLogger(__name__)


# The JSON-RPC errors that Tryton will give again for the same call.
FINAL = {'UserError', 'UserWarning'}


class BackendError(Exception):
    "Tryton could not be asked"


class BackendUnavailable(BackendError):
    "Tryton is down, slow or failing: the same call may succeed later"


class BackendRejected(BackendError):
    "Tryton refused the call: it will refuse it again"

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class Backend:
    "The facade's methods as coroutines, run on a pool of HTTP sessions"

    def __init__(self, config):
        self.config = config
        self.url = '%s/%s/rpc/' % (
            config.tryton_url.rstrip('/'), config.database)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=config.backend_workers,
            thread_name_prefix='backend')
        self._local = threading.local()
        self._lock = threading.Lock()
        self._authorization = None
        self._context = {}
        self._ids = itertools.count(1)

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _http(self):
        # requests.Session is not thread-safe: one per worker thread.
        session = getattr(self._local, 'session', None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _post(self, method, params, authorization):
        headers = {}
        if authorization:
            headers['Authorization'] = authorization
        try:
            response = self._http().post(self.url, json={
                    'id': next(self._ids), 'method': method,
                    'params': params},
                headers=headers, timeout=self.config.backend_timeout)
        except requests.RequestException as exception:
            raise BackendUnavailable(str(exception)) from exception
        if response.status_code in {401, 403}:
            return None
        if response.status_code >= 400:
            # A 404 is a database trytond cannot open (yet), a 5xx or 429 a
            # server in trouble: all may pass, and giving up would lose data.
            raise BackendUnavailable('HTTP %s' % response.status_code)
        try:
            result = response.json()
        except ValueError as exception:
            raise BackendUnavailable('invalid JSON') from exception
        if 'error' in result:
            error = result['error']
            # Only the facade's own refusals are final (docs/ocpp.md); an
            # unexpected exception in trytond is retried.
            if isinstance(error, list) and error and error[0] in FINAL:
                raise BackendRejected(error)
            raise BackendUnavailable(str(error)[:500])
        return result

    def _login(self):
        with self._lock:
            result = self._post('common.db.login', [
                    self.config.user, {'password': self.config.password},
                    'en'], None)
            if result is None:
                raise BackendUnavailable('login refused for %s'
                    % self.config.user)
            user_id, session, _ = result['result']
            token = '%s:%s:%s' % (self.config.user, user_id, session)
            self._authorization = 'Session ' + base64.b64encode(
                token.encode()).decode()
            return self._authorization

    def _call(self, method, args):
        authorization = self._authorization or self._login()
        params = list(args) + [self._context]
        result = self._post(method, params, authorization)
        if result is None:
            # The session expired or the server restarted: log in again.
            result = self._post(method, params, self._login())
            if result is None:
                raise BackendUnavailable('unauthorized')
        return result['result']

    async def call(self, method, *args):
        "Call the facade method and return its result"
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        try:
            return await loop.run_in_executor(self._pool, self._call,
                'model.ev.ocpp.gateway.' + method, args)
        finally:
            metrics.BACKEND_SECONDS.labels(method).observe(
                time.perf_counter() - start)

    async def report_failure(self, daemon, method, error, payload=None):
        """Tell Tryton that it refused a call of the daemon for good: it
        reaches the operators' message centre"""
        return await self.call('report_failure', daemon, method, error,
            payload)

    async def ping(self):
        "Return True when Tryton answers and accepts the daemon's login"
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._login)
        except BackendError:
            return False
        return True
