# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The simulated charger in OCPP 1.6J"""
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from .base import Charger
from .connection import Handlers
from .mapping import (
    ERROR_CODE, REASON_16, STATUS_16, camel, parse, plain, snake, text)
from .transaction import Transaction

# Configuration keys (OCPP 1.6 §9) that mirror a neutral setting.
KEYS = {
    'HeartbeatInterval': 'heartbeat_interval',
    'MeterValueSampleInterval': 'sample_interval',
    'MeterValuesSampledData': 'measurands',
    'AuthorizeRemoteTxRequests': 'authorize_remote',
    'LocalAuthListEnabled': 'local_list_enabled',
    'StopTransactionOnInvalidId': 'stop_on_invalid_id',
    }
FEATURES = ('Core,FirmwareManagement,LocalAuthListManagement,Reservation,'
    'SmartCharging,RemoteTrigger')


class Handlers16(Handlers, ChargePoint):
    "The answers of a 1.6 charger to the calls of the CSMS"

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag, connector_id=None,
            charging_profile=None, **kwargs):
        accepted = (not self.refuses('RemoteStartTransaction')
            and self.charger.remote_start(id_tag, connector_id))
        if accepted and charging_profile:
            self.charger.profiles[charging_profile['charging_profile_id']] = (
                connector_id, plain(charging_profile))
        return call_result.RemoteStartTransaction(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id, **kwargs):
        accepted = (not self.refuses('RemoteStopTransaction')
            and self.charger.remote_stop(transaction_id))
        return call_result.RemoteStopTransaction(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        if self.refuses('Reset'):
            return call_result.Reset(status='Rejected')
        self.charger.reset(hard=type == 'Hard')
        return call_result.Reset(status='Accepted')

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kwargs):
        if self.refuses('UnlockConnector'):
            return call_result.UnlockConnector(status='UnlockFailed')
        unlocked = self.charger.unlock(connector_id) == 'unlocked'
        return call_result.UnlockConnector(
            status='Unlocked' if unlocked else 'NotSupported')

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        if self.refuses('ChangeAvailability'):
            return call_result.ChangeAvailability(status='Rejected')
        answer = self.charger.change_availability(
            connector_id, type == 'Operative')
        return call_result.ChangeAvailability(status=camel(answer))

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        settings = self.charger.settings
        if self.refuses('ChangeConfiguration'):
            return call_result.ChangeConfiguration(status='Rejected')
        if key not in KEYS:
            status = ('Rejected' if key in self._read_only()
                else 'NotSupported')
            return call_result.ChangeConfiguration(status=status)
        try:
            settings[KEYS[key]] = parse(settings[KEYS[key]], value)
        except ValueError:
            return call_result.ChangeConfiguration(status='Rejected')
        return call_result.ChangeConfiguration(status='Accepted')

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kwargs):
        self.refuses('GetConfiguration', status=False)
        read_only = self._read_only()
        known, unknown = [], []
        for name in key or [*KEYS, *read_only]:
            if name in KEYS:
                known.append({'key': name, 'readonly': False,
                        'value': text(self.charger.settings[KEYS[name]])})
            elif name in read_only:
                known.append({'key': name, 'readonly': True,
                        'value': read_only[name]})
            else:
                unknown.append(name)
        return call_result.GetConfiguration(
            configuration_key=known, unknown_key=unknown or None)

    def _read_only(self):
        return {
            'NumberOfConnectors': str(len(self.charger.connectors)),
            'SupportedFeatureProfiles': FEATURES,
            }

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(
            status='Rejected' if self.refuses('ClearCache') else 'Accepted')

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None,
            **kwargs):
        if self.refuses('TriggerMessage'):
            return call_result.TriggerMessage(status='Rejected')
        answer = self.charger.trigger(requested_message, connector_id)
        return call_result.TriggerMessage(status=camel(answer))

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, message_id=None, data=None,
            **kwargs):
        if self.refuses('DataTransfer'):
            return call_result.DataTransfer(status='Rejected')
        return call_result.DataTransfer(status='Accepted', data=data)

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **kwargs):
        self.refuses('UpdateFirmware', status=False)
        self.charger.after_answer(self.charger.update_firmware)
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location, **kwargs):
        self.refuses('GetDiagnostics', status=False)
        self.charger.after_answer(self.charger.upload)
        return call_result.GetDiagnostics(
            file_name='diagnostics-%s.log' % self.charger.serial_number)

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id, expiry_date, id_tag,
            reservation_id, **kwargs):
        if self.refuses('ReserveNow'):
            return call_result.ReserveNow(status='Rejected')
        answer = self.charger.reserve(
            reservation_id, connector_id or None, id_tag)
        return call_result.ReserveNow(status=camel(answer))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        accepted = (not self.refuses('CancelReservation')
            and self.charger.cancel_reservation(reservation_id))
        return call_result.CancelReservation(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type,
            local_authorization_list=None, **kwargs):
        if self.refuses('SendLocalList'):
            return call_result.SendLocalList(status='Failed')
        if not self.charger.settings['local_list_enabled']:
            return call_result.SendLocalList(status='NotSupported')
        answer = self.charger.update_local_list(
            list_version, update_type == 'Full',
            [(e['id_tag'], e.get('id_tag_info'))
                for e in local_authorization_list or []])
        return call_result.SendLocalList(status=camel(answer))

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        self.refuses('GetLocalListVersion', status=False)
        # -1 tells that the charger has no local list (1.6 §6.27).
        version = (self.charger.local_list_version
            if self.charger.settings['local_list_enabled'] else -1)
        return call_result.GetLocalListVersion(list_version=version)

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles,
            **kwargs):
        profile = cs_charging_profiles
        # A TxProfile only applies to a running transaction (1.6 §5.16.3).
        if (self.refuses('SetChargingProfile')
                or (profile['charging_profile_purpose'] == 'TxProfile'
                    and connector_id not in self.charger.transactions)):
            return call_result.SetChargingProfile(status='Rejected')
        self.charger.profiles[profile['charging_profile_id']] = (
            connector_id, plain(profile))
        return call_result.SetChargingProfile(status='Accepted')

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, id=None, connector_id=None,
            charging_profile_purpose=None, stack_level=None, **kwargs):
        cleared = (not self.refuses('ClearChargingProfile')
            and self.charger.clear_profiles(id, connector_id,
                charging_profile_purpose, stack_level))
        return call_result.ClearChargingProfile(
            status='Accepted' if cleared else 'Unknown')

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id, duration,
            charging_rate_unit=None, **kwargs):
        charger = self.charger
        if (self.refuses('GetCompositeSchedule')
                or (connector_id and connector_id not in charger.connectors)):
            return call_result.GetCompositeSchedule(status='Rejected')
        profiles = sorted((p for c, p in charger.profiles.values()
                if c in {0, connector_id}),
            key=lambda p: p.get('stack_level', 0))
        if profiles:
            schedule = profiles[-1]['charging_schedule']
            unit = schedule['charging_rate_unit']
            periods = schedule['charging_schedule_period']
        else:
            unit = charging_rate_unit or 'W'
            # Three phases at 230 V when the CSMS asks in amperes.
            limit = (charger.power_w if unit == 'W'
                else round(charger.power_w / 690, 1))
            periods = [{'start_period': 0, 'limit': limit}]
        return call_result.GetCompositeSchedule(
            status='Accepted', connector_id=connector_id,
            schedule_start=charger.now(),
            charging_schedule={
                'duration': duration,
                'start_schedule': charger.now(),
                'charging_rate_unit': unit,
                'charging_schedule_period': periods,
                })


class Charger16(Charger):
    "A simulated OCPP 1.6J charge point"
    version = '1.6'
    subprotocol = 'ocpp1.6'
    handlers = Handlers16

    async def boot(self):
        "Send BootNotification; return the status and the interval"
        result = await self.call(call.BootNotification(
                charge_point_model=self.model,
                charge_point_vendor=self.vendor,
                charge_point_serial_number=self.serial_number,
                firmware_version=self.firmware_version))
        return self._booted(snake(result.status), result.interval)

    async def heartbeat(self):
        "Send Heartbeat; return the CSMS's current time"
        result = await self.call(call.Heartbeat())
        return result.current_time

    async def status(self, connector, status, error_code=None, info=None):
        "Send StatusNotification for a neutral connector status"
        await self.call(call.StatusNotification(
                connector_id=connector,
                error_code=ERROR_CODE[snake(error_code or 'no_error')],
                status=STATUS_16[status], timestamp=self.now(), info=info))
        if connector in self.connectors:
            self.connectors[connector] = status

    async def authorize(self, id_tag):
        "Send Authorize; return the neutral status of the tag"
        result = await self.call(call.Authorize(id_tag=id_tag))
        return snake(result.id_tag_info['status'])

    async def start(self, connector, id_tag, meter_start, *,
            remote_start_id=None):
        "Send StartTransaction; return the transaction the CSMS numbered"
        tx = Transaction(connector, id_tag, meter_start, self.now(),
            reservation_id=self.take_reservation(connector, id_tag))
        result = await self.call(call.StartTransaction(
                connector_id=connector, id_tag=id_tag,
                meter_start=meter_start, timestamp=tx.started_at,
                reservation_id=tx.reservation_id))
        tx.id = result.transaction_id
        tx.id_tag_status = snake(result.id_tag_info['status'])
        self._opened(tx)
        return tx

    async def meter(self, tx, energy_wh, power_w=None, soc=None):
        "Send MeterValues of a transaction"
        await self._meter_values(tx.connector, tx, energy_wh, power_w, soc)

    async def _meter_values(self, connector, tx, energy_wh, power_w=None,
            soc=None, context='Sample.Periodic'):
        await self.call(call.MeterValues(
                connector_id=connector,
                transaction_id=tx.id if tx else None,
                meter_value=[self._reading(energy_wh, context, power_w, soc)]))
        if tx:
            self._metered(tx, energy_wh)

    def _reading(self, energy_wh, context, power_w=None, soc=None,
            timestamp=None):
        values = [{'value': str(energy_wh), 'context': context,
                'measurand': 'Energy.Active.Import.Register',
                'location': 'Outlet', 'unit': 'Wh'}]
        if power_w is not None:
            values.append({'value': str(power_w), 'context': context,
                    'measurand': 'Power.Active.Import',
                    'location': 'Outlet', 'unit': 'W'})
        if soc is not None:
            values.append({'value': str(soc), 'context': context,
                    'measurand': 'SoC', 'location': 'EV',
                    'unit': 'Percent'})
        return {'timestamp': timestamp or self.now(), 'sampled_value': values}

    async def stop(self, tx, meter_stop, reason='local'):
        "Send StopTransaction with the begin and end readings"
        await self.call(call.StopTransaction(
                meter_stop=meter_stop, timestamp=self.now(),
                transaction_id=tx.id, reason=REASON_16[reason],
                id_tag=tx.id_tag, transaction_data=[
                    self._reading(tx.meter_start, 'Transaction.Begin',
                        timestamp=tx.started_at),
                    self._reading(meter_stop, 'Transaction.End'),
                    ]))
        self._closed(tx, meter_stop)

    async def firmware_status(self, status, request_id=None):
        "Send FirmwareStatusNotification"
        await self.call(call.FirmwareStatusNotification(status=camel(status)))

    async def upload_status(self, status, request_id=None):
        "Send DiagnosticsStatusNotification"
        await self.call(
            call.DiagnosticsStatusNotification(status=camel(status)))

    def trigger(self, message, connector=None):
        "Send message after the answer; return the neutral answer"
        if connector and connector not in self.connectors:
            return 'rejected'
        send = {
            'BootNotification': self.boot,
            'Heartbeat': self.heartbeat,
            'StatusNotification': self._send_statuses,
            'MeterValues': self._send_meters,
            'FirmwareStatusNotification': self._send_firmware_status,
            'DiagnosticsStatusNotification': self._send_upload_status,
            }.get(message)
        if send is None:
            return 'not_implemented'
        if message in {'StatusNotification', 'MeterValues'}:
            self.after_answer(send, connector)
        else:
            self.after_answer(send)
        return 'accepted'

    async def _send_statuses(self, connector):
        for n in [connector] if connector else sorted(self.connectors):
            await self.status(n, self.connectors[n])

    async def _send_meters(self, connector):
        for n in [connector] if connector else sorted(self.connectors):
            await self._meter_values(n, self.transactions.get(n),
                self.registers[n], context='Trigger')

    async def _send_firmware_status(self):
        await self.firmware_status(self.firmware_state)

    async def _send_upload_status(self):
        await self.upload_status(self.upload_state)
