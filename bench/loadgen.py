# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A light OCPP 1.6J load generator: many chargers in one process

Each charger is a bare websocket that sends pre-built frames and times the
CALL → CALLRESULT round trip; no schema validation on this side, so that
the generator is not what limits the figures.
"""
import asyncio
import base64
import itertools
import json
import time

from websockets.asyncio.client import connect

_ids = itertools.count(1)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))
    return values[index]


class LoadCharger:

    def __init__(self, url, identity, password=None):
        self.url = url
        self.identity = identity
        self.password = password
        self.ws = None
        self.waiting = {}
        self.reader = None

    async def connect(self):
        headers = {}
        if self.password:
            token = base64.b64encode(('%s:%s' % (
                        self.identity, self.password)).encode()).decode()
            headers['Authorization'] = 'Basic ' + token
        self.ws = await connect(self.url + self.identity,
            subprotocols=['ocpp1.6'], additional_headers=headers,
            ping_interval=None, max_queue=4, open_timeout=60)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        async for frame in self.ws:
            message = json.loads(frame)
            if message[0] in (3, 4):
                future = self.waiting.pop(message[1], None)
                if future and not future.done():
                    future.set_result(message)
            elif message[0] == 2:
                # Answer whatever the central system asks with Accepted.
                await self.ws.send(json.dumps(
                        [3, message[1], {'status': 'Accepted'}]))

    async def call(self, action, payload, timeout=30):
        "Send a CALL; return (answer, seconds)"
        unique_id = str(next(_ids))
        future = asyncio.get_running_loop().create_future()
        self.waiting[unique_id] = future
        start = time.perf_counter()
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        answer = await asyncio.wait_for(future, timeout)
        return answer, time.perf_counter() - start

    async def close(self):
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()


def now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def boot_payload():
    return {'chargePointVendor': 'Bench', 'chargePointModel': 'Load'}


def start_payload(connector, id_tag, meter_start):
    return {'connectorId': connector, 'idTag': id_tag,
        'meterStart': meter_start, 'timestamp': now()}


def meter_payload(connector, transaction_id, energy_wh):
    return {'connectorId': connector, 'transactionId': transaction_id,
        'meterValue': [{'timestamp': now(), 'sampledValue': [
                    {'value': str(energy_wh)}]}]}


def stop_payload(transaction_id, meter_stop):
    return {'transactionId': transaction_id, 'meterStop': meter_stop,
        'timestamp': now(), 'reason': 'EVDisconnected'}
