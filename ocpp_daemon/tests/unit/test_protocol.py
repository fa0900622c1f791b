# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"The daemon against the ocpp library's own charge point, Tryton faked"
import asyncio
import json

import pytest
from ocpp.v16 import ChargePoint as CP16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as CP201
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .fake import basic, daemon, exchange, raw


async def client(url, identity, cls, subprotocol, password='pw'):
    ws = await connect(url + identity, subprotocols=[subprotocol],
        additional_headers=basic(identity, password))
    cp = cls(identity, ws)
    task = asyncio.ensure_future(cp.start())
    return ws, cp, task


def test_session_16_goes_through_outbox(tmp_path):
    "Boot, authorize, start, meter values, stop: recorded in order"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            ws, cp, task = await client(url, 'CP1', CP16, 'ocpp1.6')
            boot = await cp.call(call16.BootNotification(
                    charge_point_model='M', charge_point_vendor='V'))
            assert boot.status == 'Accepted'
            auth = await cp.call(call16.Authorize(id_tag='TAG'))
            assert auth.id_tag_info['status'] == 'Accepted'
            start = await cp.call(call16.StartTransaction(
                    connector_id=1, id_tag='TAG', meter_start=1000,
                    timestamp='2026-11-27T10:00:00Z'))
            assert start.transaction_id == 1
            assert start.id_tag_info['status'] == 'Accepted'
            await cp.call(call16.MeterValues(connector_id=1,
                    transaction_id=start.transaction_id, meter_value=[{
                        'timestamp': '2026-11-27T10:05:00Z',
                        'sampledValue': [{'value': '2500'}]}]))
            await cp.call(call16.StopTransaction(meter_stop=4000,
                    timestamp='2026-11-27T10:30:00Z',
                    transaction_id=start.transaction_id,
                    reason='EVDisconnected'))
            for _ in range(50):
                await asyncio.sleep(0.05)
                if not app.outbox.depth():
                    break
            task.cancel()
            await ws.close()
            return app.backend
    gateway = asyncio.run(scenario())
    methods = [m for m, _ in gateway.calls if m in {
            'start_transaction', 'meter_values', 'stop_transaction'}]
    assert methods == ['start_transaction', 'meter_values',
        'stop_transaction']
    start, = gateway.made('start_transaction')
    assert start[2:] == ('2026-11-27T10:00:00Z', 1, 1, 'TAG', 1000, '1')
    meter, = gateway.made('meter_values')
    assert meter[4] == [{'at': '2026-11-27T10:05:00Z', 'energy_wh': 2500}]
    stop, = gateway.made('stop_transaction')
    assert stop[3:6] == ('1', 4000, 'ev_disconnected')


def test_retried_start_gets_same_id(tmp_path):
    "A StartTransaction the charger sends again gets the same id back"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            ws, cp, task = await client(url, 'CP1', CP16, 'ocpp1.6')
            payload = call16.StartTransaction(connector_id=1, id_tag='TAG',
                meter_start=5, timestamp='2026-11-27T10:00:00Z')
            first = await cp.call(payload)
            again = await cp.call(payload)
            other = await cp.call(call16.StartTransaction(connector_id=2,
                    id_tag='TAG', meter_start=5,
                    timestamp='2026-11-27T10:00:00Z'))
            task.cancel()
            await ws.close()
            return first, again, other
    first, again, other = asyncio.run(scenario())
    assert first.transaction_id == again.transaction_id
    assert other.transaction_id != first.transaction_id


def test_tryton_down_start_answered_then_delivered(tmp_path):
    "With Tryton down the charger still gets its answer; nothing is lost"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            ws, cp, task = await client(url, 'CP1', CP16, 'ocpp1.6')
            app.backend.down = True
            start = await cp.call(call16.StartTransaction(
                    connector_id=1, id_tag='TAG', meter_start=0,
                    timestamp='2026-11-27T10:00:00Z'))
            # Unknown to the offline cache and offline_authorize=reject.
            assert start.id_tag_info['status'] == 'Invalid'
            assert app.outbox.depth() == 1
            app.backend.down = False
            for _ in range(100):
                await asyncio.sleep(0.05)
                if not app.outbox.depth():
                    break
            task.cancel()
            await ws.close()
            return app.backend
    gateway = asyncio.run(scenario())
    assert len(gateway.made('start_transaction')) == 1


def test_session_201_transaction_events(tmp_path):
    "Started, Updated and Ended map onto start, meter values and stop"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            ws, cp, task = await client(url, 'CS1', CP201, 'ocpp2.0.1')
            boot = await cp.call(call201.BootNotification(
                    charging_station={'model': 'M', 'vendor_name': 'V'},
                    reason='PowerUp'))
            assert boot.status == 'Accepted'
            base = {'transaction_info': {'transaction_id': 'tx-1'},
                'trigger_reason': 'Authorized',
                'evse': {'id': 1, 'connector_id': 1}}
            meter = [{'timestamp': '2026-11-27T10:00:00Z', 'sampled_value': [
                        {'value': 1000.0}]}]
            result = await cp.call(call201.TransactionEvent(
                    event_type='Started', timestamp='2026-11-27T10:00:00Z',
                    seq_no=0, id_token={'id_token': 'TAG', 'type': 'ISO14443'},
                    meter_value=meter, **base))
            assert result.id_token_info['status'] == 'Accepted'
            meter[0]['sampled_value'][0]['value'] = 3000.0
            await cp.call(call201.TransactionEvent(
                    event_type='Updated', timestamp='2026-11-27T10:10:00Z',
                    seq_no=1, meter_value=meter, **base))
            meter[0]['sampled_value'][0]['value'] = 5000.0
            base['transaction_info']['stopped_reason'] = 'EVDisconnected'
            await cp.call(call201.TransactionEvent(
                    event_type='Ended', timestamp='2026-11-27T10:20:00Z',
                    seq_no=2, meter_value=meter, **base))
            for _ in range(50):
                await asyncio.sleep(0.05)
                if not app.outbox.depth():
                    break
            task.cancel()
            await ws.close()
            return app.backend
    gateway = asyncio.run(scenario())
    start, = gateway.made('start_transaction')
    assert start[1] == 'tx:tx-1:0'
    assert start[5:] == ('TAG', 1000, 'tx-1')
    stop, = gateway.made('stop_transaction')
    assert stop[3:6] == ('tx-1', 5000, 'ev_disconnected')


def test_bad_frames_16(tmp_path):
    "Invalid JSON, unknown action, schema errors: CALLERROR, still usable"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            async with raw(url, 'CP1') as ws:
                answer = await exchange(ws, '[2, "m1", "Heartbeat", {')
                assert answer == [4, 'm1', 'FormationViolation', answer[3],
                    {}]
                answer = await exchange(ws, [2, 'm2', 'Frobnicate', {}])
                assert answer[:3] == [4, 'm2', 'NotImplemented']
                answer = await exchange(ws, [2, 'm3', 'Authorize', {}])
                assert answer[:2] == [4, 'm3']
                assert answer[2] in {'ProtocolError', 'FormationViolation'}
                answer = await exchange(ws, [2, 'm4', 'StatusNotification', {
                            'connectorId': 'one', 'errorCode': 'NoError',
                            'status': 'Available'}])
                assert answer[:3] == [4, 'm4', 'TypeConstraintViolation']
                # A CALLRESULT nobody asked for is ignored...
                await ws.send(json.dumps([3, 'never-sent', {}]))
                # ...and the connection still works.
                answer = await exchange(ws, [2, 'm5', 'Heartbeat', {}])
                assert answer[:2] == [3, 'm5']
            events = app.backend
            for _ in range(50):
                await asyncio.sleep(0.05)
                if not app.outbox.depth():
                    break
            return events
    gateway = asyncio.run(scenario())
    protocol = [a for a in gateway.made('event') if a[3] == 'protocol']
    assert len(protocol) >= 4


def test_oversize_frame_closes(tmp_path):
    "A frame over the limit closes the connection with 1009"
    async def scenario():
        async with daemon(tmp_path, max_message_size=1024) as (app, url):
            async with raw(url, 'CP1') as ws:
                await ws.send(json.dumps([2, 'big', 'DataTransfer', {
                                'vendorId': 'x', 'data': 'y' * 5000}]))
                with pytest.raises(ConnectionClosed) as info:
                    await asyncio.wait_for(ws.recv(), 5)
                return info.value.rcvd.code
    assert asyncio.run(scenario()) == 1009


@pytest.mark.parametrize('identity,password,status', [
        ('CP1', 'wrong', 401), ('UNKNOWN', 'pw', 403)])
def test_refused(tmp_path, identity, password, status):
    "Wrong passwords and refused identities never get a websocket"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            with pytest.raises(InvalidStatus) as info:
                async with raw(url, identity, password=password):
                    pass
            return info.value.response.status_code
    assert asyncio.run(scenario()) == status


def test_no_subprotocol_gets_default(tmp_path):
    "A charger that offers no subprotocol is served the default version"
    async def scenario():
        async with daemon(tmp_path, default_subprotocol='ocpp1.6') as (
                app, url):
            async with connect(url + 'CP1',
                    additional_headers=basic('CP1')) as ws:
                answer = await exchange(ws, [2, 'h', 'Heartbeat', {}])
                assert answer[0] == 3
                return app.registry.get('CP1').version
    assert asyncio.run(scenario()) == '1.6'


def test_remote_command_and_not_connected(tmp_path):
    "Commands reach the charger that is held here; others are reported"
    async def scenario():
        async with daemon(tmp_path) as (app, url):
            ws, cp, task = await client(url, 'CP1', CP16, 'ocpp1.6')

            from ocpp.routing import on
            from ocpp.v16 import call_result
            from ocpp.v16.enums import Action

            @on(Action.reset)
            def on_reset(type, **kwargs):
                return call_result.Reset(status='Accepted')
            cp.route_map[Action.reset] = {'_on_action': on_reset}
            app.backend.commands = [
                {'id': 1, 'identity': 'CP1', 'action': 'reset',
                    'connector': None, 'evse': None,
                    'parameters': {'type': 'hard'}, 'transaction_ref': None},
                {'id': 2, 'identity': 'CP9', 'action': 'reset',
                    'connector': None, 'evse': None, 'parameters': {},
                    'transaction_ref': None}]
            for _ in range(100):
                await asyncio.sleep(0.05)
                if len(app.backend.results) >= 3:
                    break
            task.cancel()
            await ws.close()
            return app.backend.results
    results = asyncio.run(scenario())
    assert (2, 'not_connected', None, None) in results
    assert (1, 'sent', None, None) in results
    assert (1, 'accepted', {'status': 'Accepted'}, None) in results
