# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""What both OCPP versions share: the charger's session with the platform

A version's ChargePoint class routes the charger's messages to handlers that
translate them into the neutral calls of docs/ocpp.md; this mixin delivers
those calls (through the outbox when they carry money or energy), runs the
remote commands and turns protocol errors into the right CALLERROR.
"""
import asyncio
import json
import logging
import re
import time

from ocpp.exceptions import NotImplementedError as OCPPNotImplemented
from ocpp.exceptions import NotSupportedError as OCPPNotSupported
from ocpp.exceptions import OCPPError
from ocpp.messages import MessageType, unpack

from .. import metrics
from ..backend.client import BackendRejected, BackendUnavailable

logger = logging.getLogger(__name__)

# The message id of a CALL frame, even when the rest of the JSON is broken.
_CALL_ID = re.compile(r'\s*\[\s*2\s*,\s*"([^"\\]{1,36})"')

# Answers that mean the charger will do what was asked.
ACCEPTED = {'Accepted', 'Unlocked', 'Scheduled', 'AcceptedCanceled'}


class CommandNotSupported(Exception):
    "The action has no equivalent in the charger's OCPP version"


class RateLimiter:
    "A token bucket: a charger may send rate messages a second, burst at once"

    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()
        self.throttled_since = None

    def delay(self):
        "Return how long to wait before handling the next message"
        now = time.monotonic()
        self.tokens = min(
            self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        if self.tokens >= 0:
            self.throttled_since = None
            return 0
        if self.throttled_since is None:
            self.throttled_since = now
        return -self.tokens / self.rate

    def flooding(self, patience=60):
        "Tell whether the charger has been throttled for patience seconds"
        return (self.throttled_since is not None
            and time.monotonic() - self.throttled_since > patience)


class SessionMixin:
    "Mixed into the ocpp library's ChargePoint of each version"

    version = None
    # The action names the version defines.
    actions = frozenset()
    # OCPP 1.6 spells FormatViolation FormationViolation (OCPP-J 1.6 §4.2.3).
    error_codes = {}

    def setup(self, app):
        self.app = app
        self.backend = app.backend
        self.outbox = app.outbox
        self.config = app.config
        self.tasks = set()
        self.limiter = RateLimiter(
            self.config.rate_limit, self.config.rate_burst)
        self.boot_info = {}

    def log_extra(self, **extra):
        extra.update(cp_id=self.id, ocpp_version=self.version)
        return extra

    # The receive loop

    async def start(self):
        while True:
            message = await self._connection.recv()
            delay = self.limiter.delay()
            if delay > 0:
                # A flooding charger is slowed down first: its messages
                # wait, and so does its socket's reader. One that keeps it
                # up for a minute is a broken charger or an attack.
                if self.limiter.flooding():
                    logger.warning('flood, closing', extra=self.log_extra())
                    await self._connection.close(1008, 'rate limit')
                    return
                await asyncio.sleep(delay)
            await self.route_message(message)

    async def route_message(self, raw_msg):
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            await self._frame_error(raw_msg, error)
            return
        # Any message proves the charger alive; a charging one may send no
        # heartbeat at all (OCPP 1.6 §4.6).
        self.seen()
        if msg.message_type_id == MessageType.Call:
            try:
                if msg.action not in self.route_map:
                    # OCPP-J §4.2.3: NotImplemented is for an action the
                    # receiver does not know, NotSupported for one it knows
                    # but does not serve; the library has them swapped.
                    if msg.action in self.actions:
                        raise OCPPNotSupported(
                            description='%s is not served' % msg.action)
                    raise OCPPNotImplemented(
                        description='unknown action %s' % msg.action)
                await self._handle_call(msg)
            except OCPPError as error:
                metrics.MESSAGES.labels(
                    self.version, msg.action, 'in', error.code).inc()
                logger.warning('%s refused: %s', msg.action, error.code,
                    extra=self.log_extra(action=msg.action,
                        unique_id=msg.unique_id))
                error.code = self.error_codes.get(error.code, error.code)
                await self._send(msg.create_call_error(error).to_json())
                self.record_protocol_error(msg.action, error, raw_msg)
            else:
                metrics.MESSAGES.labels(
                    self.version, msg.action, 'in', 'ok').inc()
        else:
            # The library's call() matches answers by message id and drops
            # one for an id it never sent, as OCPP-J says.
            self._response_queue.put_nowait(msg)

    async def _frame_error(self, raw_msg, error):
        "Answer a frame that is not OCPP-J with a CALLERROR where possible"
        unique_id = None
        try:
            frame = json.loads(raw_msg)
            if isinstance(frame, list) and len(frame) > 1:
                unique_id = str(frame[1])
        except (ValueError, TypeError):
            # Broken JSON may still start like a CALL: answer its id.
            if match := _CALL_ID.match(str(raw_msg)):
                unique_id = match.group(1)
        code = error.code = self.error_codes.get(error.code, error.code)
        metrics.MESSAGES.labels(self.version, 'unknown', 'in', code).inc()
        logger.warning('invalid frame: %s', code, extra=self.log_extra())
        self.record_protocol_error(None, error, raw_msg)
        if unique_id is not None:
            await self._send(json.dumps(
                    [MessageType.CallError, unique_id, code,
                        error.description, {}]))

    def record_protocol_error(self, action, error, raw_msg):
        text = raw_msg if isinstance(raw_msg, str) else repr(raw_msg)
        self.record('event', self.id, None, None, 'protocol', 'warning',
            '%s: %s' % (action or 'frame', error.code), error.code,
            text[:2000], None)

    # Delivery to Tryton

    def record(self, method, *args):
        "Keep a call in the outbox: it reaches Tryton even if it is down"
        return self.outbox.put(method, args)

    def seen(self):
        "Note that the charger is alive: the app tells Tryton in batches"
        self.app.alive.add(self.id)

    def notify(self, method, *args):
        "Deliver a call whose loss would not cost money, in the background"
        self.spawn(self._notify(method, args))

    async def _notify(self, method, args):
        try:
            await self.backend.call(method, *args)
        except BackendUnavailable:
            # Not worth keeping: a late 'alive' would mislead Tryton.
            pass
        except BackendRejected as exception:
            logger.error('%s refused by Tryton: %s', method, exception.error,
                extra=self.log_extra(action=method))

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def authorize_tag(self, id_tag, fresh=0):
        """Return Tryton's neutral answer for the tag, cached for outages

        With fresh, an acceptance this station got less than fresh seconds
        ago stands: a charger authorizes a driver, then starts charging a
        moment later, and the start should not wait on Tryton again.
        """
        cache = self.app.authorizations
        if fresh:
            asked = self.app.recent.get((self.id, id_tag))
            if asked and time.monotonic() - asked[1] < fresh:
                return asked[0]
        try:
            result = await self.backend.call('authorize', self.id, id_tag)
        except BackendUnavailable:
            cached = cache.get(id_tag)
            if cached and cached[1] > time.monotonic():
                return cached[0]
            status = ('accepted' if self.config.offline_authorize == 'accept'
                else 'invalid')
            return {'status': status, 'parent_id_tag': None,
                'expires_at': None}
        except BackendRejected:
            return {'status': 'invalid', 'parent_id_tag': None,
                'expires_at': None}
        if result['status'] == 'accepted':
            cache[id_tag] = (result,
                time.monotonic() + self.config.authorize_cache_ttl)
            self.app.recent[(self.id, id_tag)] = (result, time.monotonic())
        else:
            cache.pop(id_tag, None)
            self.app.recent.pop((self.id, id_tag), None)
        return result

    async def boot_station(self, key, at, info):
        "Return the registration status and heartbeat interval for a boot"
        self.boot_info = info
        try:
            result = await self.backend.call('boot', self.id, key, at, info)
        except (BackendUnavailable, BackendRejected):
            # OCPP lets a central system that cannot decide yet answer
            # Pending: the charger boots again after the interval.
            return 'pending', 60
        return result['registration_status'], result['heartbeat_interval']

    # Remote commands

    async def execute(self, command):
        "Send a station command; return (state, response, error)"
        try:
            payload = self.build_command(command)
        except CommandNotSupported:
            return 'failed', None, 'not supported by OCPP %s' % self.version
        except (TypeError, ValueError, KeyError) as exception:
            return 'failed', None, 'invalid parameters: %s' % exception
        action = type(payload).__name__
        try:
            response = await asyncio.wait_for(
                self.call(payload, suppress=False),
                self.config.command_timeout)
        except asyncio.TimeoutError:
            metrics.MESSAGES.labels(
                self.version, action, 'out', 'timeout').inc()
            return 'timed_out', None, None
        except OCPPError as error:
            metrics.MESSAGES.labels(
                self.version, action, 'out', error.code).inc()
            return 'failed', None, '%s: %s' % (error.code, error.description)
        except Exception as exception:
            logger.exception('command failed', extra=self.log_extra(
                    action=action, command=command['id']))
            return 'failed', None, str(exception)
        answer = _as_dict(response)
        status = answer.get('status')
        metrics.MESSAGES.labels(
            self.version, action, 'out', status or 'ok').inc()
        if status is None or status in ACCEPTED:
            return 'accepted', answer, None
        return 'rejected', answer, None

    def build_command(self, command):
        "Return the library payload of a neutral command"
        raise NotImplementedError

    async def close_tasks(self):
        for task in list(self.tasks):
            task.cancel()


def _as_dict(response):
    if hasattr(response, '__dataclass_fields__'):
        from ocpp.charge_point import remove_nones, serialize_as_dict
        return remove_nones(serialize_as_dict(response))
    return response or {}
