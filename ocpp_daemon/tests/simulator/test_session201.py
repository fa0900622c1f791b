# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""An OCPP 2.0.1 session of the simulator, seen from a CSMS"""
import uuid

from ev_ocpp.simulator import create_charger

from .csms import CentralSystem, run


def values(event):
    "Return {measurand: value} of the first meterValue of an event"
    return {v['measurand']: v['value']
        for v in event['meter_value'][0]['sampled_value']}


def test_run_session():
    "A driver's session sends the 2.0.1 messages in order with sound values"
    async def scenario():
        async with CentralSystem(passwords={'SIM-2': 'pw'}) as csms:
            cp = create_charger('2.0.1', csms.url, 'SIM-2', 'pw',
                speed=600, register_wh=5000)
            await cp.connect()
            assert await cp.boot() == ('accepted', 300)
            station = await csms.station('SIM-2')
            tx = await cp.run_session(1, 'TAG-2', minutes=5, power_w=6000,
                interval_s=60, soc=50)
            await cp.close()
            return csms, station, tx

    csms, station, tx = run(scenario())
    assert csms.usernames['SIM-2'] == 'SIM-2'
    assert station.actions() == [
        'BootNotification', 'StatusNotification', 'Authorize'] + [
        'TransactionEvent'] * 7 + ['StatusNotification']
    boot, = station.payloads('BootNotification')
    assert boot['charging_station']['serial_number'] == 'SIM-2'
    first, last = station.payloads('StatusNotification')
    assert (first['connector_status'], first['evse_id'],
        first['connector_id']) == ('Occupied', 1, 1)
    assert last['connector_status'] == 'Available'
    authorize, = station.payloads('Authorize')
    assert authorize['id_token'] == {'id_token': 'TAG-2', 'type': 'ISO14443'}
    events = station.payloads('TransactionEvent')
    assert [e['seq_no'] for e in events] == list(range(7))
    assert {e['transaction_info']['transaction_id'] for e in events} == {
        tx.id}
    uuid.UUID(tx.id)
    started, charging, *meters, ended = events
    assert (started['event_type'], started['trigger_reason']) == (
        'Started', 'Authorized')
    assert started['evse'] == {'id': 1, 'connector_id': 1}
    assert started['id_token']['id_token'] == 'TAG-2'
    assert values(started) == {'Energy.Active.Import.Register': 5000}
    assert (charging['trigger_reason'],
        charging['transaction_info']['charging_state']) == (
        'ChargingStateChanged', 'Charging')
    assert {m['trigger_reason'] for m in meters} == {'MeterValuePeriodic'}
    readings = [values(m) for m in meters]
    assert [r['Energy.Active.Import.Register'] for r in readings] == [
        5100, 5200, 5300, 5400]
    assert {r['Power.Active.Import'] for r in readings} == {6000}
    assert [r['SoC'] for r in readings] == sorted(r['SoC'] for r in readings)
    assert (ended['event_type'], ended['trigger_reason'],
        ended['transaction_info']['stopped_reason']) == (
        'Ended', 'StopAuthorized', 'Local')
    assert values(ended) == {'Energy.Active.Import.Register': 5500}
    assert ended['meter_value'][0]['sampled_value'][0]['context'] == (
        'Transaction.End')


def test_explicit_messages():
    "The API's calls send 2.0.1 messages; a fault also sends NotifyEvent"
    async def scenario():
        async with CentralSystem(tags={'OLD': 'Expired'}) as csms:
            cp = create_charger('2.0.1', csms.url, 'SIM-3')
            await cp.connect()
            await cp.heartbeat()
            await cp.status(1, 'faulted', 'over_voltage', info='410 V')
            assert await cp.authorize('OLD') == 'expired'
            tx = await cp.start(1, 'NEW', 0)
            await cp.meter(tx, 250, soc=30)
            await cp.stop(tx, 300, 'energy_limit')
            await cp.close()
            return await csms.station('SIM-3'), tx

    station, tx = run(scenario())
    assert station.actions() == [
        'Heartbeat', 'StatusNotification', 'NotifyEvent', 'Authorize',
        'TransactionEvent', 'TransactionEvent', 'TransactionEvent']
    event, = station.payloads('NotifyEvent')
    data, = event['event_data']
    assert (data['tech_code'], data['tech_info'], data['actual_value'],
        data['component']['evse']['id'], data['variable']['name']) == (
        'OverVoltage', '410 V', 'true', 1, 'Problem')
    started, updated, ended = station.payloads('TransactionEvent')
    assert [e['seq_no'] for e in (started, updated, ended)] == [0, 1, 2]
    assert values(updated) == {
        'Energy.Active.Import.Register': 250, 'SoC': 30}
    assert (ended['trigger_reason'],
        ended['transaction_info']['stopped_reason']) == (
        'EnergyLimitReached', 'EnergyLimitReached')
    assert tx.id_tag_status == 'accepted'
