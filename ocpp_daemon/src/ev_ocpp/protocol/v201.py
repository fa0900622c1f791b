# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"OCPP 2.0.1: the CSMS's handlers and commands"
import itertools
import json
import logging

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from . import mapping
from .base import CommandNotSupported, SessionMixin

logger = logging.getLogger(__name__)

ERROR_STATES = {'DownloadFailed', 'InstallationFailed', 'InvalidSignature',
    'UploadFailure', 'BadMessage', 'PermissionDenied',
    'InstallVerificationFailed', 'InvalidCertificate', 'RevokedCertificate'}

_request_ids = itertools.count(1)


class CentralSystem201(SessionMixin, ChargePoint):
    version = '2.0.1'
    actions = frozenset(a.value for a in Action)

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station, reason, **kwargs):
        info = {
            'vendor': charging_station.get('vendor_name'),
            'model': charging_station.get('model'),
            'serial_number': charging_station.get('serial_number'),
            'firmware_version': charging_station.get('firmware_version'),
            'reason': mapping.snake(reason),
            }
        status, interval = await self.boot_station(None, mapping.now(), info)
        return call_result.BootNotification(
            current_time=mapping.now(), interval=interval,
            status=mapping.REGISTRATION_STATUS[status])

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        # route_message noted the charger alive, as for any message.
        return call_result.Heartbeat(current_time=mapping.now())

    @on(Action.authorize)
    async def on_authorize(self, id_token, **kwargs):
        result = await self.authorize_tag(id_token['id_token'])
        return call_result.Authorize(id_token_info=self._token_info(result))

    def _token_info(self, result):
        info = {'status': mapping.AUTHORIZATION_STATUS[result['status']]}
        if result.get('expires_at'):
            info['cache_expiry_date_time'] = result['expires_at']
        if result.get('parent_id_tag'):
            info['group_id_token'] = {
                'id_token': result['parent_id_tag'], 'type': 'Central'}
        return info

    @on(Action.status_notification)
    def on_status_notification(self, timestamp, connector_status, evse_id,
            connector_id, **kwargs):
        at = mapping.utc(timestamp)
        key = 'status:%s:%s:%s:%s' % (
            evse_id, connector_id, at, connector_status)
        self.record('status', self.id, key, at, connector_id, evse_id,
            mapping.connector_status(connector_status), None, None)
        return call_result.StatusNotification()

    @on(Action.transaction_event)
    async def on_transaction_event(self, event_type, timestamp,
            trigger_reason, seq_no, transaction_info, id_token=None,
            evse=None, meter_value=None, **kwargs):
        at = mapping.utc(timestamp)
        transaction_ref = transaction_info['transaction_id']
        # The station numbers its transaction events (seqNo): a replay after
        # a reconnection carries the same key and Tryton drops it.
        key = 'tx:%s:%s' % (transaction_ref, seq_no)
        samples = mapping.samples(meter_value)
        evse = evse or {}
        evse_id = evse.get('id')
        connector = evse.get('connector_id') or (1 if evse_id else None)
        id_tag = id_token['id_token'] if id_token else None
        result = None
        if id_tag and event_type != 'Ended':
            result = await self.authorize_tag(
                id_tag, fresh=self.config.authorize_fresh)
        if event_type == 'Started':
            # None when the station sent no reading: Tryton then starts the
            # session at its first register, not at zero.
            self.record('start_transaction', self.id, key, at, connector,
                evse_id, id_tag, mapping.last_energy(samples),
                transaction_ref)
            if samples:
                self.record('meter_values', self.id, key + ':mv',
                    transaction_ref, connector, samples)
        elif event_type == 'Updated':
            if samples:
                self.record('meter_values', self.id, key, transaction_ref,
                    connector, samples)
        else:
            self.record('stop_transaction', self.id, key, at,
                transaction_ref, mapping.last_energy(samples),
                mapping.stop_reason(transaction_info.get('stopped_reason')),
                id_tag, samples)
        if result is not None:
            return call_result.TransactionEvent(
                id_token_info=self._token_info(result))
        return call_result.TransactionEvent()

    @on(Action.meter_values)
    def on_meter_values(self, evse_id, meter_value, **kwargs):
        # Readings outside a transaction (clock-aligned) belong to no
        # session; transaction readings come in TransactionEvent.
        return call_result.MeterValues()

    @on(Action.notify_report)
    def on_notify_report(self, request_id, generated_at, seq_no, **kwargs):
        report = kwargs.get('report_data') or []
        self.record('event', self.id, 'report:%s:%s' % (request_id, seq_no),
            mapping.utc(generated_at), 'message', 'info',
            'NotifyReport %s/%s: %s variables' % (
                request_id, seq_no, len(report)),
            None, json.dumps(report)[:20000], None)
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(self, generated_at, seq_no, event_data, **kwargs):
        for event in event_data:
            problem = event.get('trigger') == 'Alerting' or event.get(
                'tech_code')
            self.record('event', self.id, 'event:%s:%s' % (
                    generated_at, event.get('event_id')),
                mapping.utc(event.get('timestamp') or generated_at),
                'fault' if problem else 'message',
                'warning' if problem else 'info',
                '%s.%s = %s' % (
                    event.get('component', {}).get('name'),
                    event.get('variable', {}).get('name'),
                    event.get('actual_value')),
                event.get('tech_code'), json.dumps(event)[:2000],
                (event.get('component', {}).get('evse') or {}).get(
                    'connector_id'))
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, type, timestamp,
            tech_info=None, **kwargs):
        self.record('event', self.id, None, mapping.utc(timestamp),
            'security', 'warning', 'SecurityEvent: %s' % type, type,
            tech_info, None)
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status, **kwargs):
        self.record('event', self.id, None, mapping.now(), 'firmware',
            'error' if status in ERROR_STATES else 'info',
            'FirmwareStatusNotification: %s' % status, None, None, None)
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, status, **kwargs):
        self.record('event', self.id, None, mapping.now(), 'diagnostics',
            'error' if status in ERROR_STATES else 'info',
            'LogStatusNotification: %s' % status, None, None, None)
        return call_result.LogStatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, message_id=None, data=None,
            **kwargs):
        self.record('event', self.id, None, mapping.now(), 'message', 'info',
            'DataTransfer %s %s' % (vendor_id, message_id or ''), None,
            json.dumps(data) if data is not None else None, None)
        return call_result.DataTransfer(status='UnknownVendorId')

    # Commands: the parameters are the library's snake_case arguments.

    def build_command(self, command):
        action = command['action']
        params = {k: v for k, v in (command.get('parameters') or {}).items()
            if v is not None}
        connector = command.get('connector')
        evse = command.get('evse') or connector
        if action == 'reset':
            kind = params.get('type', 'soft')
            return call.Reset(
                type='Immediate' if kind in {'hard', 'immediate'}
                else 'OnIdle')
        if action == 'unlock_connector':
            return call.UnlockConnector(
                evse_id=evse or 1, connector_id=connector or 1)
        if action == 'change_availability':
            status = params.get('type', 'operative').capitalize()
            payload = {'operational_status': status}
            if evse:
                payload['evse'] = {'id': evse}
            return call.ChangeAvailability(**payload)
        if action == 'remote_start':
            id_tag = params.pop('id_tag', None)
            if id_tag:
                params['id_token'] = {'id_token': id_tag, 'type': 'Central'}
            params.setdefault('remote_start_id', next(_request_ids))
            if evse:
                params.setdefault('evse_id', evse)
            return call.RequestStartTransaction(**params)
        if action == 'remote_stop':
            return call.RequestStopTransaction(
                transaction_id=params.get('transaction_id')
                or command['transaction_ref'])
        if action == 'trigger_message':
            if evse and 'evse' not in params:
                params['evse'] = {'id': evse}
            return call.TriggerMessage(**params)
        if action == 'reserve_now' and evse:
            # The EVSE of the back office's connector: without it the
            # station reserved any of its EVSEs.
            params.setdefault('evse_id', evse)
        if action in {'get_base_report', 'update_firmware', 'get_log'}:
            params.setdefault('request_id', next(_request_ids))
        if action in COMMANDS:
            return COMMANDS[action](**params)
        raise CommandNotSupported(action)


COMMANDS = {
    'get_variables': call.GetVariables,
    'set_variables': call.SetVariables,
    'get_base_report': call.GetBaseReport,
    'clear_cache': call.ClearCache,
    'update_firmware': call.UpdateFirmware,
    'get_log': call.GetLog,
    'reserve_now': call.ReserveNow,
    'cancel_reservation': call.CancelReservation,
    'send_local_list': call.SendLocalList,
    'get_local_list_version': call.GetLocalListVersion,
    'set_charging_profile': call.SetChargingProfile,
    'clear_charging_profile': call.ClearChargingProfile,
    'get_composite_schedule': call.GetCompositeSchedule,
    'data_transfer': call.DataTransfer,
    }
