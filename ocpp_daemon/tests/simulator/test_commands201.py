# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The simulator's answers to the OCPP 2.0.1 calls of a CSMS"""
import asyncio

from ocpp.v201 import call

from ev_ocpp.simulator import create_charger

from .csms import CentralSystem, run


async def charger(csms, identity, **options):
    "Return a connected 2.0.1 charger and its CSMS side"
    cp = create_charger('2.0.1', csms.url, identity, speed=1000, **options)
    await cp.connect()
    return cp, await csms.station(identity)


def test_request_start_and_stop():
    "RequestStart authorizes and starts a session, RequestStop ends it"
    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-R2',
                settings={'authorize_remote': True})
            started = await station.call(call.RequestStartTransaction(
                    id_token={'id_token': 'TAG', 'type': 'ISO14443'},
                    remote_start_id=7, evse_id=1))
            await station.wait_for('TransactionEvent', 2)
            tx = cp.transactions[1]
            stopped = await station.call(call.RequestStopTransaction(
                    transaction_id=tx.id))
            await station.wait_for('StatusNotification', 2)
            await cp.close()
            return station, started, stopped, tx

    station, started, stopped, tx = run(scenario())
    assert (started.status, stopped.status) == ('Accepted', 'Accepted')
    assert station.actions() == [
        'StatusNotification', 'Authorize', 'TransactionEvent',
        'TransactionEvent', 'TransactionEvent', 'StatusNotification']
    begin, charging, ended = station.payloads('TransactionEvent')
    assert (begin['trigger_reason'],
        begin['transaction_info']['remote_start_id']) == ('RemoteStart', 7)
    assert charging['transaction_info']['charging_state'] == 'Charging'
    assert (ended['trigger_reason'],
        ended['transaction_info']['stopped_reason'],
        ended['transaction_info']['transaction_id']) == (
        'RemoteStop', 'Remote', tx.id)


def test_variables_and_report():
    "GetVariables, SetVariables and GetBaseReport use the device model"
    def item(component, variable, **extra):
        return dict(component={'name': component},
            variable={'name': variable}, **extra)

    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-V')
            set_ = await station.call(call.SetVariables(set_variable_data=[
                        item('OCPPCommCtrlr', 'HeartbeatInterval',
                            attribute_value='90'),
                        item('AuthCtrlr', 'AuthorizeRemoteStart',
                            attribute_value='yes'),
                        item('SecurityCtrlr', 'Identity',
                            attribute_value='X'),
                        item('Lamp', 'Colour', attribute_value='red')]))
            got = await station.call(call.GetVariables(get_variable_data=[
                        item('OCPPCommCtrlr', 'HeartbeatInterval'),
                        item('SecurityCtrlr', 'Colour'),
                        item('OCPPCommCtrlr', 'HeartbeatInterval',
                            attribute_type='Target')]))
            report = await station.call(call.GetBaseReport(
                    request_id=3, report_base='FullInventory'))
            notify, = await station.wait_for('NotifyReport')
            await cp.close()
            return cp, set_, got, report, notify

    cp, set_, got, report, notify = run(scenario())
    assert [r['attribute_status'] for r in set_.set_variable_result] == [
        'Accepted', 'Rejected', 'Rejected', 'UnknownComponent']
    assert cp.settings['heartbeat_interval'] == 90
    results = got.get_variable_result
    assert [r['attribute_status'] for r in results] == [
        'Accepted', 'UnknownVariable', 'NotSupportedAttributeType']
    assert results[0]['attribute_value'] == '90'
    assert report.status == 'Accepted'
    assert (notify['request_id'], notify['tbc']) == (3, False)
    rows = {(r['component']['name'], r['variable']['name']): r
        for r in notify['report_data']}
    assert rows['SecurityCtrlr', 'Identity']['variable_attribute'][0] == {
        'type': 'Actual', 'value': 'SIM-V', 'mutability': 'ReadOnly'}
    assert rows['AuthCtrlr', 'AuthorizeRemoteStart'][
        'variable_characteristics']['data_type'] == 'boolean'


def test_other_calls():
    "Every other 2.0.1 call gets a station's answer and its follow-ups"
    token = {'id_token': 'R', 'type': 'ISO14443'}
    calls = [
        (call.ClearCache(), 'Accepted'),
        (call.DataTransfer(vendor_id='ev', data={'n': 1}), 'Accepted'),
        (call.TriggerMessage(requested_message='StatusNotification',
                evse={'id': 1}), 'Accepted'),
        (call.TriggerMessage(requested_message='SignV2GCertificate'),
            'NotImplemented'),
        (call.UpdateFirmware(request_id=4, firmware={
                    'location': 'https://fw.example/2.bin',
                    'retrieve_date_time': '2026-11-27T10:00:00Z'}),
            'Accepted'),
        (call.GetLog(log={'remote_location': 'ftp://logs.example/'},
                log_type='DiagnosticsLog', request_id=5), 'Accepted'),
        (call.ReserveNow(id=9, expiry_date_time='2026-11-27T11:00:00Z',
                id_token=token, evse_id=1), 'Accepted'),
        (call.CancelReservation(reservation_id=9), 'Accepted'),
        (call.SendLocalList(version_number=2, update_type='Full',
                local_authorization_list=[{'id_token': token,
                        'id_token_info': {'status': 'Accepted'}}]),
            'Accepted'),
        (call.SetChargingProfile(evse_id=1, charging_profile={
                    'id': 11, 'stack_level': 0,
                    'charging_profile_purpose': 'TxDefaultProfile',
                    'charging_profile_kind': 'Absolute',
                    'charging_schedule': [{'id': 1,
                            'charging_rate_unit': 'W',
                            'charging_schedule_period': [
                                {'start_period': 0, 'limit': 7400}]}]}),
            'Accepted'),
        (call.ClearChargingProfile(charging_profile_id=11), 'Accepted'),
        (call.UnlockConnector(evse_id=1, connector_id=1), 'Unlocked'),
        (call.UnlockConnector(evse_id=3, connector_id=1), 'UnknownConnector'),
        (call.ChangeAvailability(operational_status='Inoperative',
                evse={'id': 1}), 'Accepted'),
        (call.RequestStartTransaction(id_token=token, remote_start_id=1),
            'Rejected'),
        ]

    async def scenario():
        async with CentralSystem() as csms:
            cp, station = await charger(csms, 'SIM-O2')
            answers = [await station.call(payload) for payload, _ in calls]
            version = await station.call(call.GetLocalListVersion())
            await station.wait_for('FirmwareStatusNotification', 4)
            await station.wait_for('LogStatusNotification', 2)
            await station.wait_for('StatusNotification', 4)
            reset = await station.call(call.Reset(type='Immediate'))
            while csms.stations['SIM-O2'] is station:
                await asyncio.sleep(0.01)
            rebooted = csms.stations['SIM-O2']
            await rebooted.wait_for('StatusNotification')
            await cp.close()
            return station, rebooted, answers, version, reset

    station, rebooted, answers, version, reset = run(scenario())
    for (payload, status), answer in zip(calls, answers):
        assert answer.status == status, payload
    assert answers[1].data == {'n': 1}
    assert answers[5].filename == 'diagnostics_log-SIM-O2.log'
    assert version.version_number == 2
    assert reset.status == 'Accepted'
    assert [p['request_id'] for p in station.payloads(
            'FirmwareStatusNotification')] == [4] * 4
    assert [p['status'] for p in station.payloads(
            'LogStatusNotification')] == ['Uploading', 'Uploaded']
    assert [p['connector_status'] for p in station.payloads(
            'StatusNotification')] == [
        'Available', 'Reserved', 'Available', 'Unavailable']
    boot, = rebooted.payloads('BootNotification')
    assert boot['reason'] == 'RemoteReset'
    status, = rebooted.payloads('StatusNotification')
    assert status['connector_status'] == 'Unavailable'
