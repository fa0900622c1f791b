# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The websocket of a simulated charger and the frames on it"""
import asyncio
import base64
import contextvars
import json
import logging
import uuid
from urllib.parse import quote

from ocpp.exceptions import InternalError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .behaviour import Behaviour

logger = logging.getLogger(__name__)

# The follow-ups of the CALL being answered, run once its answer is sent, so
# that e.g. StartTransaction never overtakes the RemoteStartTransaction answer.
_after_answer = contextvars.ContextVar('after_answer')


class NegotiationError(Exception):
    "The CSMS accepted the websocket without an OCPP subprotocol"


class Handlers:
    "Mixin of an ocpp library ChargePoint that answers for a Charger"

    def __init__(self, charger, connection):
        super().__init__(charger.identity, connection,
            response_timeout=charger.response_timeout)
        self.charger = charger
        self._unique_id_generator = charger.new_call_id

    def refuses(self, action, status=True):
        "Tell whether to refuse action; raise to answer a CallError"
        answer = self.charger.behaviour.answer(action)
        if answer == 'error' or (answer == 'reject' and not status):
            raise InternalError(
                description='%s refused by the simulator' % action)
        return answer == 'reject'


class Connection:
    "The client side of an OCPP-J websocket, the ocpp library inside"
    subprotocol = None
    # The ocpp library ChargePoint subclass that answers the CSMS's calls.
    handlers = None

    def __init__(self, url, identity, password=None, *, ssl=None,
            behaviour=None, response_timeout=30, subprotocols=None):
        self.url = url
        self.identity = identity
        self.password = password
        self.ssl = ssl
        self.behaviour = behaviour or Behaviour()
        self.response_timeout = response_timeout
        self.subprotocols = subprotocols
        self.received = []
        self.ws = None
        self._link = None
        self._reader = None
        self._raw = asyncio.Queue()
        self._call_ids = set()
        self._tasks = set()
        self._rebooting = False

    @property
    def endpoint(self):
        "Return the websocket URL of this charger"
        return '%s/%s' % (self.url.rstrip('/'), quote(self.identity, safe=''))

    async def connect(self):
        "Open the websocket and start answering the CSMS"
        if self.connected:
            raise RuntimeError('%s is already connected' % self.identity)
        headers = {}
        if self.password is not None:
            # OCPP security profile 1: HTTP Basic with the identity as user.
            token = base64.b64encode(
                ('%s:%s' % (self.identity, self.password)).encode())
            headers['Authorization'] = 'Basic ' + token.decode()
        offered = (self.subprotocols if self.subprotocols is not None
            else [self.subprotocol])
        options = {}
        if self.ssl is not None:
            options['ssl'] = self.ssl
        # A charger talks to its CSMS directly, never through the proxy of
        # the environment, and does not compress (few chargers do).
        ws = await connect(self.endpoint, subprotocols=offered or None,
            additional_headers=headers, proxy=None, compression=None,
            **options)
        if offered and ws.subprotocol is None:
            await ws.close()
            raise NegotiationError(
                '%s: the CSMS chose none of %s' % (self.identity, offered))
        self.ws = ws
        self._link = self.handlers(self, ws)
        self._raw = asyncio.Queue()
        self._call_ids.clear()
        self._reader = asyncio.create_task(self._read(ws, self._link))

    @property
    def connected(self):
        "Tell whether the websocket is open"
        return self._reader is not None and not self._reader.done()

    async def wait_closed(self):
        "Wait until the websocket is closed, and not reopened by a reboot"
        while self._reader is not None:
            reader = self._reader
            await asyncio.shield(reader)
            while self._rebooting and self._reader is reader:
                await asyncio.sleep(0.05)
            if self._reader is reader:
                return

    async def close(self, code=1000):
        "Cancel the background work and close the websocket"
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._disconnect(code)

    async def _disconnect(self, code=1000):
        if self.ws is not None:
            await self.ws.close(code)
        if self._reader is not None:
            await self._reader

    async def _read(self, ws, link):
        "Route the frames of the CSMS until the websocket closes"
        try:
            while True:
                frame = await ws.recv()
                try:
                    await self._route(frame, link)
                except Exception:
                    logger.exception('%s: cannot route %r',
                        self.identity, frame)
        except ConnectionClosed:
            pass

    async def _route(self, frame, link):
        try:
            message = json.loads(frame)
            kind, unique_id = message[0], message[1]
        except (ValueError, TypeError, IndexError, KeyError):
            self._raw.put_nowait(frame)
            return
        if kind == 2 and len(message) == 4 and isinstance(message[2], str):
            self.received.append((message[2], message[3]))
            self._spawn(self._answer(frame, message[2], link))
        elif (kind in (3, 4) and isinstance(unique_id, str)
                and unique_id in self._call_ids):
            self._call_ids.discard(unique_id)
            await link.route_message(frame)
        else:
            # Answers to send_raw() and whatever the library would drop.
            self._raw.put_nowait(frame)

    async def _answer(self, frame, action, link):
        "Answer one CALL of the CSMS as the behaviour says"
        if self.behaviour.answer(action) == 'silent':
            return
        delay = self.behaviour.delay(action)
        if delay:
            await asyncio.sleep(delay)
        followups = []
        _after_answer.set(followups)
        try:
            await link.route_message(frame)
        finally:
            # Even when the answer could not be sent: a follow-up that
            # claimed a connector frees it when its first call fails.
            for function, args, kwargs in followups:
                self._spawn(function(*args, **kwargs))

    def after_answer(self, function, *args, **kwargs):
        "Run the coroutine function(*args, **kwargs) once the answer is sent"
        _after_answer.get().append((function, args, kwargs))

    def new_call_id(self):
        "Return a unique id for a CALL sent through the library"
        unique_id = str(uuid.uuid4())
        self._call_ids.add(unique_id)
        return unique_id

    def _spawn(self, coroutine):
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task):
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        exception = task.exception()
        level = (logging.DEBUG if isinstance(exception, ConnectionClosed)
            else logging.WARNING)
        logger.log(level, '%s: background task failed: %r',
            self.identity, exception)

    async def call(self, payload):
        "Send a CALL through the library and return its result"
        if self._link is None:
            raise ConnectionError('%s is not connected' % self.identity)
        ws, reader = self.ws, self._reader
        # Raises the OCPPError of a CallError (not swallowed, STYLE §4) and
        # TimeoutError after response_timeout.
        sent = asyncio.ensure_future(self._link.call(payload, suppress=False))
        try:
            await asyncio.wait(
                [sent, reader], return_when=asyncio.FIRST_COMPLETED)
            if sent.done():
                return sent.result()
            raise ws.close_exc
        finally:
            if not sent.done():
                sent.cancel()

    async def send_raw(self, text):
        "Send a frame as is, bypassing the ocpp library"
        await self.ws.send(text)

    async def recv_raw(self, timeout=5):
        "Return the next frame that no library call waits for"
        if not self._raw.empty():
            return self._raw.get_nowait()
        got = asyncio.ensure_future(self._raw.get())
        try:
            await asyncio.wait([got, self._reader], timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED)
            if got.done():
                return got.result()
            if self._reader.done():
                raise self.ws.close_exc
            raise TimeoutError('%s: no frame within %ss' % (
                    self.identity, timeout))
        finally:
            if not got.done():
                got.cancel()
