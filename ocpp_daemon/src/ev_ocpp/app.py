# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"The daemon's lifecycle: serve, deliver, poll commands, stop cleanly"
import asyncio
import logging
import signal
import ssl

from ocpp.exceptions import InternalError
from websockets.asyncio.server import serve

from . import metrics
from .backend.client import Backend, BackendError, BackendUnavailable
from .commands import CommandPoller
from .outbox import Courier, Outbox
from .protocol import mapping
from .registry import Registry
from .server import Endpoint

logger = logging.getLogger(__name__)


class App:

    def __init__(self, config, backend=None):
        self.config = config
        self.backend = backend or Backend(config)
        self.outbox = Outbox(config.outbox_path, config.outbox_sync)
        self.courier = Courier(self.outbox, self.backend, config)
        self.registry = Registry()
        self.endpoint = Endpoint(self)
        self.commands = CommandPoller(self)
        # id tag → (Tryton's answer, monotonic expiry): answers Authorize
        # while Tryton is unreachable.
        self.authorizations = {}
        # (identity, id tag) → (accepted answer, monotonic time asked): an
        # Authorize just before a start answers the start (authorize_fresh).
        self.recent = {}
        # Identities heard from since the last report to Tryton.
        self.alive = set()
        self.tasks = set()
        self._refilling = None
        self.stopping = asyncio.Event()
        self.server = None

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def health(self):
        return {
            'daemon': self.config.daemon,
            'connected': len(self.registry),
            'outbox': self.outbox.depth(),
            'backend': self.courier.backend_up,
            'transaction_ids': self.outbox.transaction_ids_left(),
            }

    async def disconnected(self, identity, at):
        try:
            await self.backend.call(
                'disconnect', identity, self.config.daemon, at)
        except BackendError as exception:
            # The next message of a charger that came back corrects it; one
            # that did not is marked offline by Tryton's cron when silent.
            logger.warning('cannot record the disconnection: %s', exception,
                extra={'cp_id': identity})

    async def report_alive(self):
        "Tell Tryton which chargers were heard from, one call per period"
        while True:
            await asyncio.sleep(self.config.seen_interval)
            identities, self.alive = sorted(self.alive), set()
            if not identities:
                continue
            try:
                await self.backend.call('seen', self.config.daemon,
                    identities, mapping.now())
            except BackendError as exception:
                # Lossy on purpose: the next period says it again.
                logger.debug('cannot report the chargers alive: %s',
                    exception)

    # 1.6 transaction ids, from ranges reserved in Tryton

    async def transaction_id(self):
        "Return a fresh 1.6 transaction id"
        if self.outbox.transaction_ids_left() < (
                self.config.transaction_id_block // 2):
            if self._refilling is None or self._refilling.done():
                self._refilling = self.spawn(self.refill_transaction_ids())
        transaction_id = self.outbox.next_transaction_id()
        if transaction_id is None:
            await asyncio.shield(self._refilling)
            transaction_id = self.outbox.next_transaction_id()
        if transaction_id is None:
            # The charger keeps the StartTransaction and sends it again.
            raise InternalError(description='no transaction id available')
        return transaction_id

    async def refill_transaction_ids(self):
        try:
            first, last = await self.backend.call('reserve_transaction_ids',
                self.config.daemon, self.config.transaction_id_block)
        except BackendError as exception:
            logger.warning('cannot reserve transaction ids: %s', exception)
            return
        self.outbox.add_transaction_range(first, last)

    # Running

    def ssl_context(self):
        if not self.config.tls:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # OCPP security profile 2 asks for TLS 1.2 at least.
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        return context

    async def run(self):
        "Serve until stop() is called or a signal arrives"
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, self.stop)
            except (NotImplementedError, RuntimeError):
                pass
        metrics.serve(self.config.metrics_port, self.config.metrics_host)
        if self.outbox.transaction_ids_left() < (
                self.config.transaction_id_block // 2):
            await self.refill_transaction_ids()
        endpoint = self.endpoint
        async with serve(endpoint.handler, self.config.host,
                self.config.port,
                process_request=endpoint.process_request,
                select_subprotocol=endpoint.select_subprotocol,
                subprotocols=['ocpp2.0.1', 'ocpp1.6'],
                max_size=self.config.max_message_size,
                ping_interval=self.config.ping_interval or None,
                ping_timeout=self.config.ping_timeout or None,
                ssl=self.ssl_context(),
                server_header=None) as server:
            self.server = server
            logger.info('listening on %s:%s as %s', self.config.host,
                self.config.port, self.config.daemon)
            workers = [self.spawn(self.courier.run()),
                self.spawn(self.commands.run()),
                self.spawn(self.report_alive())]
            await self.stopping.wait()
            logger.info('stopping')
            # Stop accepting, close the chargers with 1001 Going Away: they
            # reconnect, to this daemon or another.
            server.close(close_connections=True)
            await server.wait_closed()
            for worker in workers:
                worker.cancel()
        left = await self.courier.flush(self.config.shutdown_timeout)
        if left:
            logger.warning('%s messages stay in the outbox for the next '
                'start', left)
        for task in list(self.tasks):
            task.cancel()
        self.outbox.close()
        self.backend.close()

    def stop(self):
        self.stopping.set()


async def wait_backend(backend, attempts=None):
    "Wait until Tryton accepts the daemon's login"
    attempt = 0
    while not await backend.ping():
        attempt += 1
        if attempts and attempt >= attempts:
            raise BackendUnavailable('Tryton did not answer')
        await asyncio.sleep(min(attempt, 5))
