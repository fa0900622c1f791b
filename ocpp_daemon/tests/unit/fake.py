# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A stand-in for the ev.ocpp.gateway facade, for the daemon's unit tests

The integration tests (tests/ocpp) run the real Tryton; these check the
daemon's own logic fast.
"""
import asyncio
import base64
import contextlib
import json
import socket

from websockets.asyncio.client import connect

from ev_ocpp.app import App
from ev_ocpp.backend.client import BackendUnavailable
from ev_ocpp.config import Config


class FakeGateway:

    def __init__(self):
        self.calls = []
        self.commands = []
        self.results = []
        self.down = False
        self.next_id = 1

    async def call(self, method, *args):
        if self.down:
            raise BackendUnavailable('down')
        self.calls.append((method, args))
        if method == 'connect':
            identity, password = args[0], args[1]['password']
            if identity == 'UNKNOWN':
                return {'accepted': False, 'reason': 'unknown'}
            if password != 'pw':
                return {'accepted': False, 'reason': 'password'}
            return {'accepted': True, 'registration_status': 'accepted',
                'heartbeat_interval': 300}
        if method == 'boot':
            return {'registration_status': 'accepted',
                'heartbeat_interval': 300}
        if method == 'authorize':
            return {'status': 'accepted' if args[1] == 'TAG' else 'invalid',
                'parent_id_tag': None, 'expires_at': None}
        if method == 'reserve_transaction_ids':
            first = self.next_id
            self.next_id += args[1]
            return [first, self.next_id - 1]
        if method == 'pending_commands':
            commands, self.commands = self.commands, []
            return commands
        if method == 'command_result':
            self.results.append(args[:4])
        return {}

    async def ping(self):
        return not self.down

    def close(self):
        pass

    def made(self, method):
        return [args for m, args in self.calls if m == method]


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def daemon(tmp_path, gateway=None, **settings):
    "Run the daemon with a fake gateway; yield (app, url)"
    gateway = gateway or FakeGateway()
    port = free_port()
    values = dict(port=port, outbox_path=str(tmp_path / 'outbox.sqlite'),
        daemon='test-daemon', command_poll_interval=0.05,
        command_timeout=2, ping_interval=0)
    values.update(settings)
    app = App(Config(**values), backend=gateway)
    task = asyncio.ensure_future(app.run())
    for _ in range(100):
        await asyncio.sleep(0.02)
        if app.server is not None:
            break
    try:
        yield app, 'ws://127.0.0.1:%s/' % port
    finally:
        app.stop()
        await asyncio.wait_for(task, 10)


def basic(identity, password='pw'):
    token = base64.b64encode(('%s:%s' % (identity, password)).encode())
    return {'Authorization': 'Basic ' + token.decode()}


@contextlib.asynccontextmanager
async def raw(url, identity, subprotocol='ocpp1.6', password='pw'):
    "A raw websocket to the daemon, for frames the library would not send"
    async with connect(url + identity, subprotocols=[subprotocol],
            additional_headers=basic(identity, password)) as ws:
        yield ws


async def exchange(ws, frame):
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 5))
