# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import asyncio

from ev_ocpp.backend.client import BackendRejected, BackendUnavailable
from ev_ocpp.config import Config
from ev_ocpp.outbox import Courier, Outbox


class FlakyBackend:
    "Stands for Tryton: down for the first calls, then up"

    def __init__(self, down=0, refuse=(), report_down=False):
        self.down = down
        self.refuse = set(refuse)
        self.calls = []
        self.reports = []
        self.report_down = report_down

    async def call(self, method, *args):
        if self.down:
            self.down -= 1
            raise BackendUnavailable('down')
        if args[1] in self.refuse:
            raise BackendRejected(['UserError', ['bad']])
        self.calls.append((method, args[1]))
        return {}

    async def report_failure(self, daemon, method, error, payload=None):
        if self.report_down:
            raise BackendUnavailable('down')
        self.reports.append((daemon, method, error, payload))
        return {}


def test_outbox_survives_restart(tmp_path):
    "What was put is still there after the process is gone"
    path = str(tmp_path / 'outbox.sqlite')
    outbox = Outbox(path)
    key = outbox.put('start_transaction', ['CP1', None, 'x'])
    outbox.put('stop_transaction', ['CP1', 'stop:1', 'y'])
    outbox.close()
    outbox = Outbox(path)
    assert [(m, a[1]) for _, m, a in outbox.pending()] == [
        ('start_transaction', key), ('stop_transaction', 'stop:1')]
    assert key.startswith('ob-')


def test_courier_keeps_order_through_outage(tmp_path):
    "Messages arrive once each, in order, after Tryton comes back"
    outbox = Outbox(str(tmp_path / 'o.sqlite'))
    backend = FlakyBackend(down=3)
    courier = Courier(outbox, backend, Config())
    for key in ['a', 'b', 'c']:
        outbox.put('meter_values', ['CP1', key])

    async def run():
        task = asyncio.ensure_future(courier.run())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not outbox.depth():
                break
        task.cancel()
    asyncio.run(run())
    assert backend.calls == [
        ('meter_values', 'a'), ('meter_values', 'b'), ('meter_values', 'c')]
    assert outbox.depth() == 0


def test_courier_buries_refused(tmp_path):
    "A message Tryton refuses for good does not block the others"
    outbox = Outbox(str(tmp_path / 'o.sqlite'))
    backend = FlakyBackend(refuse={'b'})
    courier = Courier(outbox, backend, Config())
    for key in ['a', 'b', 'c']:
        outbox.put('event', ['CP1', key])
    assert asyncio.run(courier.deliver())
    assert [k for _, k in backend.calls] == ['a', 'c']
    dead, = outbox.dead_letters()
    assert 'bad' in dead[3]


def test_courier_reports_dead_letters(tmp_path):
    "Each message Tryton refuses for good is reported to Tryton"
    outbox = Outbox(str(tmp_path / 'o.sqlite'))
    backend = FlakyBackend(refuse={'b', 'c'})
    courier = Courier(outbox, backend, Config(daemon='d1'))
    outbox.put('event', ['CP1', 'a'])
    outbox.put('event', ['CP1', 'b', 'x'])
    outbox.put('stop_transaction', ['CP2', 'c'])
    assert asyncio.run(courier.deliver())
    assert backend.reports == [
        ('d1', 'event', ['UserError', ['bad']], ['CP1', 'b', 'x']),
        ('d1', 'stop_transaction', ['UserError', ['bad']], ['CP2', 'c']),
        ]
    assert len(outbox.dead_letters()) == 2


def test_courier_report_failure_not_fatal(tmp_path):
    "A report that cannot reach Tryton leaves the dead letter kept"
    outbox = Outbox(str(tmp_path / 'o.sqlite'))
    backend = FlakyBackend(refuse={'a'}, report_down=True)
    courier = Courier(outbox, backend, Config())
    outbox.put('event', ['CP1', 'a'])
    outbox.put('event', ['CP1', 'b'])
    assert asyncio.run(courier.deliver())
    assert backend.calls == [('event', 'b')]
    assert backend.reports == []
    dead, = outbox.dead_letters()
    assert dead[1] == 'event'
    assert outbox.depth() == 0


def test_transaction_ids(tmp_path):
    "Ids come from the reserved ranges, each once, across restarts"
    path = str(tmp_path / 'o.sqlite')
    outbox = Outbox(path)
    assert outbox.next_transaction_id() is None
    outbox.add_transaction_range(10, 12)
    outbox.add_transaction_range(100, 100)
    assert outbox.next_transaction_id() == 10
    outbox.close()
    outbox = Outbox(path)
    assert [outbox.next_transaction_id() for _ in range(4)] == [
        11, 12, 100, None]
    assert outbox.transaction_ids_left() == 0
