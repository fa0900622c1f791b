# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""An OCPP 1.6 session of the simulator, seen from a CSMS"""
import base64

from ev_ocpp.simulator import create_charger

from .csms import CentralSystem, run


def values(meter_value):
    "Return {measurand: value} of one 1.6 meterValue"
    return {v['measurand']: v['value'] for v in meter_value['sampled_value']}


def test_run_session():
    "A driver's session sends the 1.6 messages in order with sound values"
    async def scenario():
        async with CentralSystem(passwords={'SIM-1': 's3cret'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-1', 's3cret',
                speed=600, register_wh=1000)
            await cp.connect()
            assert await cp.boot() == ('accepted', 300)
            station = await csms.station('SIM-1')
            tx = await cp.run_session(1, 'TAG-1', minutes=5, power_w=12_000,
                interval_s=60, soc=20)
            await cp.close()
            return csms, station, tx

    csms, station, tx = run(scenario())
    assert csms.usernames['SIM-1'] == 'SIM-1'
    assert csms.authorization['SIM-1'] == 'Basic ' + base64.b64encode(
        b'SIM-1:s3cret').decode()
    assert station.actions() == [
        'BootNotification', 'StatusNotification', 'Authorize',
        'StartTransaction', 'StatusNotification',
        'MeterValues', 'MeterValues', 'MeterValues', 'MeterValues',
        'StopTransaction', 'StatusNotification', 'StatusNotification']
    assert [p['status'] for p in station.payloads('StatusNotification')] == [
        'Preparing', 'Charging', 'Finishing', 'Available']
    start, = station.payloads('StartTransaction')
    assert (start['connector_id'], start['id_tag'], start['meter_start']) == (
        1, 'TAG-1', 1000)
    assert tx.id == 101
    meters = station.payloads('MeterValues')
    assert {m['transaction_id'] for m in meters} == {101}
    readings = [values(m['meter_value'][0]) for m in meters]
    assert [r['Energy.Active.Import.Register'] for r in readings] == [
        '1200', '1400', '1600', '1800']
    assert {r['Power.Active.Import'] for r in readings} == {'12000'}
    socs = [int(r['SoC']) for r in readings]
    assert socs == sorted(socs) and socs[0] >= 20
    stop, = station.payloads('StopTransaction')
    assert (stop['transaction_id'], stop['meter_stop'], stop['reason']) == (
        101, 2000, 'Local')
    begin, end = stop['transaction_data']
    assert values(begin) == {'Energy.Active.Import.Register': '1000'}
    assert values(end) == {'Energy.Active.Import.Register': '2000'}
    assert begin['sampled_value'][0]['context'] == 'Transaction.Begin'
    assert tx.meter == 2000


def test_explicit_messages():
    "Each call of the API sends its 1.6 message with mapped spellings"
    async def scenario():
        async with CentralSystem(tags={'BAD': 'Blocked'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-2', connectors=2)
            await cp.connect()
            await cp.heartbeat()
            await cp.status(2, 'faulted', 'ground_failure', info='RCD')
            assert await cp.authorize('BAD') == 'blocked'
            tx = await cp.start(1, 'GOOD', 500)
            await cp.meter(tx, 700, power_w=7400)
            await cp.meter(tx, 900)
            await cp.stop(tx, 950, 'ev_disconnected')
            await cp.close()
            return await csms.station('SIM-2'), cp, tx

    station, cp, tx = run(scenario())
    assert station.actions() == [
        'Heartbeat', 'StatusNotification', 'Authorize', 'StartTransaction',
        'MeterValues', 'MeterValues', 'StopTransaction']
    status, = station.payloads('StatusNotification')
    assert (status['connector_id'], status['status'], status['error_code'],
        status['info']) == (2, 'Faulted', 'GroundFailure', 'RCD')
    assert cp.connectors == {1: 'available', 2: 'faulted'}
    first, second = station.payloads('MeterValues')
    assert values(first['meter_value'][0]) == {
        'Energy.Active.Import.Register': '700', 'Power.Active.Import': '7400'}
    assert values(second['meter_value'][0]) == {
        'Energy.Active.Import.Register': '900'}
    stop, = station.payloads('StopTransaction')
    assert (stop['transaction_id'], stop['reason'], stop['id_tag']) == (
        tx.id, 'EVDisconnected', 'GOOD')
    assert cp.transactions == {} and cp.registers[1] == 950


def test_refused_tag_stops_at_once():
    "A tag the CSMS refuses at StartTransaction ends the session DeAuthorized"
    async def scenario():
        async with CentralSystem(tags={'LATE': 'Invalid'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-3', speed=600)
            await cp.connect()
            tx = await cp.run_session(1, 'LATE', authorize=False)
            await cp.close()
            return await csms.station('SIM-3'), tx

    station, tx = run(scenario())
    assert tx.id_tag_status == 'invalid'
    assert station.actions() == [
        'StatusNotification', 'StartTransaction', 'StopTransaction',
        'StatusNotification', 'StatusNotification']
    stop, = station.payloads('StopTransaction')
    assert (stop['reason'], stop['meter_stop']) == ('DeAuthorized', 0)


def test_unauthorized_tag_never_starts():
    "A tag refused by Authorize sends no StartTransaction"
    async def scenario():
        async with CentralSystem(tags={'BAD': 'Blocked'}) as csms:
            cp = create_charger('1.6', csms.url, 'SIM-4')
            await cp.connect()
            tx = await cp.run_session(1, 'BAD')
            await cp.close()
            return await csms.station('SIM-4'), tx

    station, tx = run(scenario())
    assert tx is None
    assert station.actions() == [
        'StatusNotification', 'Authorize', 'StatusNotification']
    assert [p['status'] for p in station.payloads('StatusNotification')] == [
        'Preparing', 'Available']
