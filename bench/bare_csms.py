# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The baseline: a bare central system on the `ocpp` library that persists
nothing, under the same load as the daemon

    python bench/bare_csms.py PORT
"""
import asyncio
import datetime as dt
import itertools
import sys

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

_transactions = itertools.count(1)


def now():
    return dt.datetime.now(dt.timezone.utc).isoformat()


class Bare(ChargePoint):

    @on(Action.boot_notification)
    def on_boot(self, **kwargs):
        return call_result.BootNotification(
            current_time=now(), interval=300, status='Accepted')

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=now())

    @on(Action.start_transaction)
    def on_start(self, **kwargs):
        return call_result.StartTransaction(
            transaction_id=next(_transactions),
            id_tag_info={'status': 'Accepted'})

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop(self, **kwargs):
        return call_result.StopTransaction()


async def handler(ws):
    try:
        await Bare(ws.request.path.strip('/'), ws).start()
    except ConnectionClosed:
        pass


async def main(port):
    async with serve(handler, '127.0.0.1', port, subprotocols=['ocpp1.6'],
            ping_interval=None):
        await asyncio.Future()


if __name__ == '__main__':
    import logging
    logging.getLogger('ocpp').setLevel(logging.WARNING)
    asyncio.run(main(int(sys.argv[1])))
