# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The simulator's answers to the OCPP 1.6 calls of a CSMS"""
import asyncio

from ocpp.v16 import call

from ev_ocpp.simulator import create_charger

from .csms import CentralSystem, run


async def charger(csms, identity, **options):
    "Return a connected 1.6 charger and its CSMS side"
    cp = create_charger('1.6', csms.url, identity, speed=1000, **options)
    await cp.connect()
    return cp, await csms.station(identity)


def test_remote_start_and_stop():
    "RemoteStart authorizes and starts a session, RemoteStop stops it"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-R',
                settings={'authorize_remote': True})
            started = await station.call(call.RemoteStartTransaction(
                    id_tag='TAG-R', connector_id=1))
            start, = await station.wait_for('StartTransaction')
            await station.wait_for('StatusNotification', 2)
            tx = cp.transactions[1]
            stopped = await station.call(call.RemoteStopTransaction(
                    transaction_id=tx.id))
            stop, = await station.wait_for('StopTransaction')
            await station.wait_for('StatusNotification', 4)
            unknown = await station.call(call.RemoteStopTransaction(
                    transaction_id=999))
            await cp.close()
            return cp, station, started, stopped, unknown, start, stop

    cp, station, started, stopped, unknown, start, stop = run(scenario())
    assert (started.status, stopped.status, unknown.status) == (
        'Accepted', 'Accepted', 'Rejected')
    assert station.actions() == [
        'StatusNotification', 'Authorize', 'StartTransaction',
        'StatusNotification', 'StopTransaction', 'StatusNotification',
        'StatusNotification']
    assert (start['id_tag'], start['connector_id']) == ('TAG-R', 1)
    assert (stop['transaction_id'], stop['reason']) == (101, 'Remote')
    assert [a for a, _ in cp.received] == [
        'RemoteStartTransaction', 'RemoteStopTransaction',
        'RemoteStopTransaction']
    assert cp.received[0][1] == {'idTag': 'TAG-R', 'connectorId': 1}


def test_remote_start_on_busy_connector():
    "A second remote start on a charging connector is rejected"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-B')
            first = await station.call(call.RemoteStartTransaction(
                    id_tag='A', connector_id=1))
            second = await station.call(call.RemoteStartTransaction(
                    id_tag='B', connector_id=1))
            await station.wait_for('StartTransaction')
            await cp.close()
            return first.status, second.status

    assert run(scenario()) == ('Accepted', 'Rejected')


def test_unlock_stops_and_availability():
    "Unlock stops the transaction; Inoperative waits for the session's end"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-U', connectors=2)
            tx = await cp.start(1, 'TAG', 0)
            scheduled = await station.call(call.ChangeAvailability(
                    connector_id=1, type='Inoperative'))
            unlocked = await station.call(call.UnlockConnector(
                    connector_id=1))
            stop, = await station.wait_for('StopTransaction')
            accepted = await station.call(call.ChangeAvailability(
                    connector_id=2, type='Inoperative'))
            await station.wait_for('StatusNotification', 3)
            await cp.close()
            return (scheduled.status, unlocked.status, accepted.status,
                stop, tx, station.payloads('StatusNotification'))

    scheduled, unlocked, accepted, stop, tx, statuses = run(scenario())
    assert (scheduled, unlocked, accepted) == (
        'Scheduled', 'Unlocked', 'Accepted')
    assert (stop['transaction_id'], stop['reason']) == (tx.id, 'UnlockCommand')
    assert sorted((s['connector_id'], s['status']) for s in statuses) == [
        (1, 'Finishing'), (1, 'Unavailable'), (2, 'Unavailable')]
    assert [s['status'] for s in statuses if s['connector_id'] == 1] == [
        'Finishing', 'Unavailable']


def test_configuration():
    "GetConfiguration and ChangeConfiguration work on the settings"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-C')
            changes = [(await station.call(call.ChangeConfiguration(
                            key=key, value=value))).status
                for key, value in [('HeartbeatInterval', '60'),
                    ('AuthorizeRemoteTxRequests', 'maybe'),
                    ('NumberOfConnectors', '3'), ('Colour', 'red')]]
            got = await station.call(call.GetConfiguration(
                    key=['HeartbeatInterval', 'Colour']))
            everything = await station.call(call.GetConfiguration())
            await cp.close()
            return cp, changes, got, everything

    cp, changes, got, everything = run(scenario())
    assert changes == ['Accepted', 'Rejected', 'Rejected', 'NotSupported']
    assert cp.settings['heartbeat_interval'] == 60
    assert got.configuration_key == [
        {'key': 'HeartbeatInterval', 'readonly': False, 'value': '60'}]
    assert got.unknown_key == ['Colour']
    keys = {k['key']: k for k in everything.configuration_key}
    assert keys['NumberOfConnectors'] == {
        'key': 'NumberOfConnectors', 'readonly': True, 'value': '1'}
    assert keys['AuthorizeRemoteTxRequests']['value'] == 'false'


def test_other_calls():
    "Every other 1.6 call gets a charger's answer and its follow-ups"
    calls = [
        (call.ClearCache(), 'Accepted'),
        (call.DataTransfer(vendor_id='ev', data='ping'), 'Accepted'),
        (call.TriggerMessage(requested_message='StatusNotification',
                connector_id=1), 'Accepted'),
        (call.TriggerMessage(requested_message='Heartbeat'), 'Accepted'),
        (call.TriggerMessage(requested_message='MeterValues'), 'Accepted'),
        (call.UpdateFirmware(location='http://fw.example/1.1.bin',
                retrieve_date='2026-11-27T10:00:00Z'), None),
        (call.GetDiagnostics(location='ftp://logs.example/'), None),
        (call.ReserveNow(connector_id=1, expiry_date='2026-11-27T11:00:00Z',
                id_tag='R', reservation_id=5), 'Accepted'),
        (call.ReserveNow(connector_id=1, expiry_date='2026-11-27T11:00:00Z',
                id_tag='S', reservation_id=6), 'Occupied'),
        (call.RemoteStartTransaction(id_tag='S', connector_id=1), 'Rejected'),
        (call.CancelReservation(reservation_id=5), 'Accepted'),
        (call.CancelReservation(reservation_id=5), 'Rejected'),
        (call.SendLocalList(list_version=3, update_type='Full',
                local_authorization_list=[{'id_tag': 'L1',
                        'id_tag_info': {'status': 'Accepted'}}]),
            'Accepted'),
        (call.SendLocalList(list_version=2, update_type='Differential'),
            'VersionMismatch'),
        (call.SetChargingProfile(connector_id=1, cs_charging_profiles={
                    'charging_profile_id': 8, 'stack_level': 0,
                    'charging_profile_purpose': 'TxDefaultProfile',
                    'charging_profile_kind': 'Absolute',
                    'charging_schedule': {'charging_rate_unit': 'A',
                        'charging_schedule_period': [
                            {'start_period': 0, 'limit': 16.0}]}}),
            'Accepted'),
        (call.GetCompositeSchedule(connector_id=1, duration=3600),
            'Accepted'),
        (call.ClearChargingProfile(id=8), 'Accepted'),
        (call.ClearChargingProfile(id=8), 'Unknown'),
        ]

    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-O')
            answers = [await station.call(payload) for payload, _ in calls]
            version = await station.call(call.GetLocalListVersion())
            await station.wait_for('FirmwareStatusNotification', 4)
            await station.wait_for('DiagnosticsStatusNotification', 2)
            reset = await station.call(call.Reset(type='Soft'))
            assert reset.status == 'Accepted'
            # The charger reboots: it reconnects and boots again.
            while csms.stations['SIM-O'] is station:
                await asyncio.sleep(0.01)
            rebooted = csms.stations['SIM-O']
            await rebooted.wait_for('StatusNotification')
            await cp.close()
            return cp, station, rebooted, answers, version

    cp, station, rebooted, answers, version = run(scenario())
    for (payload, status), answer in zip(calls, answers):
        assert getattr(answer, 'status', None) == status, payload
    assert answers[1].data == 'ping'
    assert answers[6].file_name == 'diagnostics-SIM-O.log'
    schedule = answers[15].charging_schedule
    assert schedule['charging_rate_unit'] == 'A'
    assert schedule['charging_schedule_period'] == [
        {'start_period': 0, 'limit': 16.0}]
    assert version.list_version == 3
    assert [p['status'] for p in station.payloads(
            'FirmwareStatusNotification')] == [
        'Downloading', 'Downloaded', 'Installing', 'Installed']
    assert [p['status'] for p in station.payloads(
            'DiagnosticsStatusNotification')] == ['Uploading', 'Uploaded']
    assert [p['status'] for p in station.payloads('StatusNotification')] == [
        'Available', 'Reserved', 'Available']
    assert station.payloads('MeterValues')[0]['meter_value'][0][
        'sampled_value'][0]['context'] == 'Trigger'
    assert rebooted.actions() == ['BootNotification', 'StatusNotification']
    assert cp.local_list == {'L1': {'status': 'Accepted'}}


def test_hard_reset_during_session():
    "A hard reset stops the session with HardReset, then reboots"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-H2')
            await station.call(call.RemoteStartTransaction(id_tag='T'))
            await station.wait_for('StartTransaction')
            reset = await station.call(call.Reset(type='Hard'))
            stop, = await station.wait_for('StopTransaction')
            while csms.stations['SIM-H2'] is station:
                await asyncio.sleep(0.01)
            rebooted = csms.stations['SIM-H2']
            await rebooted.wait_for('StatusNotification')
            await cp.close()
            return reset.status, stop, rebooted.actions()

    status, stop, actions = run(scenario())
    assert (status, stop['reason']) == ('Accepted', 'HardReset')
    assert actions == ['BootNotification', 'StatusNotification']
