# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A minimal central system on the ocpp library that records every call"""
import asyncio
import itertools
import json
from datetime import datetime, timezone

from ocpp import v16, v201
from ocpp.routing import on
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201
from websockets.asyncio.server import basic_auth, serve
from websockets.exceptions import ConnectionClosed


def run(coroutine):
    "Run coroutine in a new event loop, failing after 3 seconds"
    return asyncio.run(asyncio.wait_for(coroutine, 3))


def now():
    "Return the CSMS's clock as an OCPP timestamp"
    return datetime.now(timezone.utc).isoformat().replace('+00:00', 'Z')


class Recording:
    "Mixin that records the calls of a charger and can leave some unanswered"

    def __init__(self, identity, ws, csms):
        super().__init__(identity, ws, response_timeout=csms.response_timeout)
        self.csms = csms
        self.messages = []

    async def route_message(self, raw):
        try:
            message = json.loads(raw)
            silent = message[0] == 2 and message[2] in self.csms.silent
        except (ValueError, LookupError, TypeError):
            silent = False
        if silent:
            self.messages.append((message[2], message[3]))
            return
        await super().route_message(raw)

    def record(self, action, payload):
        "Record a call of the charger"
        self.messages.append((action, payload))

    def actions(self):
        "Return the actions received, in order"
        return [action for action, _ in self.messages]

    def payloads(self, action):
        "Return the payloads received for action, in order"
        return [p for a, p in self.messages if a == action]

    async def wait_for(self, action, count=1, timeout=2):
        "Wait until count calls of action arrived; return their payloads"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.payloads(action)) < count:
            if loop.time() > deadline:
                raise TimeoutError('%s x%s not received: %s' % (
                        action, count, self.actions()))
            await asyncio.sleep(0.01)
        return self.payloads(action)


class Station16(Recording, v16.ChargePoint):
    "The CSMS side of one OCPP 1.6 connection"

    @on(Action16.boot_notification)
    def on_boot(self, **payload):
        self.record('BootNotification', payload)
        return v16.call_result.BootNotification(current_time=now(),
            interval=self.csms.interval, status=self.csms.boot_status)

    @on(Action16.heartbeat)
    def on_heartbeat(self, **payload):
        self.record('Heartbeat', payload)
        return v16.call_result.Heartbeat(current_time=now())

    @on(Action16.status_notification)
    def on_status(self, **payload):
        self.record('StatusNotification', payload)
        return v16.call_result.StatusNotification()

    @on(Action16.authorize)
    def on_authorize(self, **payload):
        self.record('Authorize', payload)
        return v16.call_result.Authorize(
            id_tag_info={'status': self.csms.tag_status(payload['id_tag'])})

    @on(Action16.start_transaction)
    def on_start(self, **payload):
        self.record('StartTransaction', payload)
        return v16.call_result.StartTransaction(
            transaction_id=next(self.csms.transaction_ids),
            id_tag_info={'status': self.csms.tag_status(payload['id_tag'])})

    @on(Action16.meter_values)
    def on_meter_values(self, **payload):
        self.record('MeterValues', payload)
        return v16.call_result.MeterValues()

    @on(Action16.stop_transaction)
    def on_stop(self, **payload):
        self.record('StopTransaction', payload)
        return v16.call_result.StopTransaction()

    @on(Action16.firmware_status_notification)
    def on_firmware_status(self, **payload):
        self.record('FirmwareStatusNotification', payload)
        return v16.call_result.FirmwareStatusNotification()

    @on(Action16.diagnostics_status_notification)
    def on_diagnostics_status(self, **payload):
        self.record('DiagnosticsStatusNotification', payload)
        return v16.call_result.DiagnosticsStatusNotification()


class Station201(Recording, v201.ChargePoint):
    "The CSMS side of one OCPP 2.0.1 connection"

    @on(Action201.boot_notification)
    def on_boot(self, **payload):
        self.record('BootNotification', payload)
        return v201.call_result.BootNotification(current_time=now(),
            interval=self.csms.interval, status=self.csms.boot_status)

    @on(Action201.heartbeat)
    def on_heartbeat(self, **payload):
        self.record('Heartbeat', payload)
        return v201.call_result.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    def on_status(self, **payload):
        self.record('StatusNotification', payload)
        return v201.call_result.StatusNotification()

    @on(Action201.authorize)
    def on_authorize(self, **payload):
        self.record('Authorize', payload)
        status = self.csms.tag_status(payload['id_token']['id_token'])
        return v201.call_result.Authorize(id_token_info={'status': status})

    @on(Action201.transaction_event)
    def on_transaction_event(self, **payload):
        self.record('TransactionEvent', payload)
        if 'id_token' not in payload:
            return v201.call_result.TransactionEvent()
        status = self.csms.tag_status(payload['id_token']['id_token'])
        return v201.call_result.TransactionEvent(
            id_token_info={'status': status})

    @on(Action201.meter_values)
    def on_meter_values(self, **payload):
        self.record('MeterValues', payload)
        return v201.call_result.MeterValues()

    @on(Action201.notify_event)
    def on_notify_event(self, **payload):
        self.record('NotifyEvent', payload)
        return v201.call_result.NotifyEvent()

    @on(Action201.notify_report)
    def on_notify_report(self, **payload):
        self.record('NotifyReport', payload)
        return v201.call_result.NotifyReport()

    @on(Action201.firmware_status_notification)
    def on_firmware_status(self, **payload):
        self.record('FirmwareStatusNotification', payload)
        return v201.call_result.FirmwareStatusNotification()

    @on(Action201.log_status_notification)
    def on_log_status(self, **payload):
        self.record('LogStatusNotification', payload)
        return v201.call_result.LogStatusNotification()


class CentralSystem:
    "Serves chargers on a free loopback port; use as an async context"

    def __init__(self, passwords=None, boot_status='Accepted', interval=300,
            tags=None, silent=(), response_timeout=1):
        self.passwords = passwords
        self.boot_status = boot_status
        self.interval = interval
        self.tags = tags or {}
        self.silent = set(silent)
        self.response_timeout = response_timeout
        self.transaction_ids = itertools.count(101)
        self.stations = {}
        self.authorization = {}
        self.usernames = {}
        self.server = None

    def tag_status(self, id_tag):
        "Return the authorization status of an id tag"
        return self.tags.get(id_tag, 'Accepted')

    async def __aenter__(self):
        options = {}
        if self.passwords is not None:
            options['process_request'] = basic_auth(
                realm='ocpp', check_credentials=self._check)
        self.server = await serve(self._handle, '127.0.0.1', 0,
            subprotocols=['ocpp2.0.1', 'ocpp1.6'], **options)
        port = self.server.sockets[0].getsockname()[1]
        self.url = 'ws://127.0.0.1:%s' % port
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()

    def _check(self, username, password):
        return self.passwords.get(username) == password

    async def _handle(self, ws):
        identity = ws.request.path.strip('/')
        station = {'ocpp1.6': Station16, 'ocpp2.0.1': Station201}[
            ws.subprotocol](identity, ws, self)
        self.stations[identity] = station
        self.authorization[identity] = ws.request.headers.get(
            'Authorization')
        self.usernames[identity] = getattr(ws, 'username', None)
        try:
            await station.start()
        except ConnectionClosed:
            pass

    async def station(self, identity, timeout=2):
        "Wait until identity is connected; return its CSMS side"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while identity not in self.stations:
            if loop.time() > deadline:
                raise TimeoutError('%s did not connect' % identity)
            await asyncio.sleep(0.01)
        return self.stations[identity]
