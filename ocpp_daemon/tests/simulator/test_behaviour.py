# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Configured refusals, delays and silences, raw frames and credentials"""
import asyncio
import json

import pytest
from ocpp.exceptions import InternalError
from ocpp.v16 import call
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ev_ocpp.simulator import Behaviour, NegotiationError, create_charger

from .csms import CentralSystem, run


def test_reject_error_delay_silence():
    "Each configured answer reaches the CSMS as configured"
    behaviour = Behaviour(
        answers={'RemoteStartTransaction': 'reject', 'ClearCache': 'error',
            'Reset': 'silent'},
        delays={'DataTransfer': 0.2})

    async def scenario():
        async with CentralSystem(response_timeout=0.3) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-X', behaviour=behaviour)
            await cp.connect()
            station = await csms.station('SIM-X')
            rejected = await station.call(call.RemoteStartTransaction(
                    id_tag='T', connector_id=1))
            with pytest.raises(InternalError):
                await station.call(call.ClearCache(), suppress=False)
            with pytest.raises(TimeoutError):
                await station.call(call.Reset(type='Hard'))
            began = asyncio.get_running_loop().time()
            echoed = await station.call(call.DataTransfer(
                    vendor_id='ev', data='x'))
            waited = asyncio.get_running_loop().time() - began
            # Still working after all that: a later change is honoured.
            behaviour.set('ClearCache', 'accept')
            cleared = await station.call(call.ClearCache())
            await asyncio.sleep(0.05)
            await cp.close()
            return cp, station, rejected, echoed, waited, cleared

    cp, station, rejected, echoed, waited, cleared = run(scenario())
    assert rejected.status == 'Rejected'
    assert 'StartTransaction' not in station.actions()
    assert (echoed.status, echoed.data) == ('Accepted', 'x')
    assert waited >= 0.2
    assert cleared.status == 'Accepted'
    assert [a for a, _ in cp.received] == [
        'RemoteStartTransaction', 'ClearCache', 'Reset', 'DataTransfer',
        'ClearCache']
    assert cp.connected is False


def test_reject_without_status_is_call_error():
    "Refusing a call whose answer has no status answers a CallError"
    behaviour = Behaviour().set('GetConfiguration', 'reject')

    async def scenario():
        async with CentralSystem() as csms:
            cp = create_charger('1.6', csms.url, 'SIM-Y', behaviour=behaviour)
            await cp.connect()
            station = await csms.station('SIM-Y')
            try:
                with pytest.raises(InternalError):
                    await station.call(call.GetConfiguration(), suppress=False)
            finally:
                await cp.close()

    run(scenario())


def test_unknown_answer():
    "A misspelt answer is refused when configured"
    with pytest.raises(ValueError):
        Behaviour(answers={'Reset': 'maybe'})
    with pytest.raises(ValueError):
        Behaviour().set('Reset', 'maybe')


def test_csms_silence_times_out():
    "A CSMS that does not answer makes the call raise TimeoutError"
    async def scenario():
        async with CentralSystem(silent={'Heartbeat'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-T',
                response_timeout=0.2)
            await cp.connect()
            try:
                with pytest.raises(TimeoutError):
                    await cp.heartbeat()
            finally:
                await cp.close()

    run(scenario())


def test_call_fails_when_csms_closes():
    "A pending call ends with ConnectionClosed when the CSMS hangs up"
    async def scenario():
        async with CentralSystem(silent={'Heartbeat'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-H')
            await cp.connect()
            station = await csms.station('SIM-H')
            pending = asyncio.ensure_future(cp.heartbeat())
            await station.wait_for('Heartbeat')
            await station._connection.close(1001)
            with pytest.raises(Exception) as raised:
                await pending
            await cp.close()
            return raised.value, cp.ws.close_code

    error, code = run(scenario())
    assert type(error).__name__.startswith('ConnectionClosed')
    assert code == 1001


def test_raw_frames():
    "send_raw and recv_raw bypass the library in both directions"
    async def scenario():
        async with CentralSystem() as csms:
            cp = create_charger('1.6', csms.url, 'SIM-W')
            await cp.connect()
            await cp.send_raw('{not json')
            await cp.send_raw('[2,"raw-1","NoSuchAction",{}]')
            unknown = json.loads(await cp.recv_raw())
            await cp.send_raw('[2,"raw-2","Heartbeat",{"extra":1}]')
            invalid = json.loads(await cp.recv_raw())
            # The library still works beside raw frames.
            await cp.heartbeat()
            with pytest.raises(TimeoutError):
                await cp.recv_raw(timeout=0.05)
            await cp.close()
            return unknown, invalid

    unknown, invalid = run(scenario())
    assert unknown[:3] == [4, 'raw-1', 'NotSupported']
    assert invalid[:2] == [4, 'raw-2']
    assert invalid[2] in {'FormationViolation', 'PropertyConstraintViolation',
        'FormatViolation'}


def test_oversize_frame():
    "A frame over the CSMS's limit ends the connection with 1009"
    async def scenario():
        async with CentralSystem() as csms:
            cp = create_charger('1.6', csms.url, 'SIM-Z')
            await cp.connect()
            await cp.send_raw('[2,"big","DataTransfer",{"vendorId":"ev",'
                '"data":"%s"}]' % ('x' * 2 ** 21))
            with pytest.raises(ConnectionClosed):
                await cp.recv_raw()
            await cp.close()
            return cp.ws.close_code

    assert run(scenario()) == 1009


def test_wrong_password_refused():
    "The CSMS's HTTP 401 surfaces as InvalidStatus from connect()"
    async def scenario():
        async with CentralSystem(passwords={'SIM-P': 'right'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-P', 'wrong')
            with pytest.raises(InvalidStatus) as raised:
                await cp.connect()
            return raised.value.response.status_code

    assert run(scenario()) == 401


def test_no_common_subprotocol():
    "The charger leaves a CSMS that agrees on no OCPP version"
    async def scenario():
        async with CentralSystem() as csms:
            cp = create_charger('1.6', csms.url, 'SIM-N',
                subprotocols=['ocpp9.9'])
            with pytest.raises(InvalidStatus) as refused:
                await cp.connect()
        # A lax server may accept the handshake without a subprotocol.
        async with serve(lambda ws: ws.wait_closed(), '127.0.0.1', 0,
                select_subprotocol=lambda ws, offered: None) as server:
            port = server.sockets[0].getsockname()[1]
            cp = create_charger('1.6', 'ws://127.0.0.1:%s' % port, 'SIM-N')
            with pytest.raises(NegotiationError):
                await cp.connect()
        return refused.value.response.status_code

    assert run(scenario()) == 400
