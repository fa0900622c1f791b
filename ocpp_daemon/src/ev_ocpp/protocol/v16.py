# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"OCPP 1.6J: the central system's handlers and commands"
import logging

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from . import mapping
from .base import CommandNotSupported, SessionMixin

logger = logging.getLogger(__name__)

FIRMWARE_ERRORS = {'DownloadFailed', 'InstallationFailed',
    'InvalidSignature', 'SignatureVerified'}


class CentralSystem16(SessionMixin, ChargePoint):
    version = '1.6'
    actions = frozenset(a.value for a in Action)
    error_codes = {'FormatViolation': 'FormationViolation'}

    @on(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor,
            charge_point_model, **kwargs):
        info = {
            'vendor': charge_point_vendor,
            'model': charge_point_model,
            'serial_number': kwargs.get('charge_point_serial_number')
            or kwargs.get('charge_box_serial_number'),
            'firmware_version': kwargs.get('firmware_version'),
            'reason': None,
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
    async def on_authorize(self, id_tag, **kwargs):
        return call_result.Authorize(
            id_tag_info=self._id_tag_info(await self.authorize_tag(id_tag)))

    def _id_tag_info(self, result):
        info = {'status': mapping.AUTHORIZATION_STATUS[result['status']]}
        if result.get('parent_id_tag'):
            info['parent_id_tag'] = result['parent_id_tag']
        if result.get('expires_at'):
            info['expiry_date'] = result['expires_at']
        return info

    @on(Action.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start,
            timestamp, **kwargs):
        result = await self.authorize_tag(
            id_tag, fresh=self.config.authorize_fresh)
        at = mapping.utc(timestamp)
        # Stable across the charger's retries of the same start, so that
        # Tryton records it once, and the retry gets the same id back.
        key = 'start:%s:%s:%s:%s' % (self.id, connector_id, at, meter_start)
        transaction_id = self.outbox.started(key)
        if transaction_id is not None:
            return call_result.StartTransaction(
                transaction_id=transaction_id,
                id_tag_info=self._id_tag_info(result))
        transaction_id = await self.app.transaction_id()
        self.outbox.start(key, transaction_id)
        self.record('start_transaction', self.id, key, at, connector_id,
            connector_id, id_tag, meter_start, str(transaction_id))
        return call_result.StartTransaction(
            transaction_id=transaction_id,
            id_tag_info=self._id_tag_info(result))

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, transaction_id=None,
            **kwargs):
        samples = mapping.samples(meter_value)
        if transaction_id is not None and samples:
            # Two readings in one second differ by their register.
            key = 'mv:%s:%s:%s' % (transaction_id, samples[-1]['at'],
                mapping.last_energy(samples))
            self.record('meter_values', self.id, key, str(transaction_id),
                connector_id, samples)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, meter_stop, timestamp, transaction_id,
            id_tag=None, reason=None, transaction_data=None, **kwargs):
        key = 'stop:%s' % transaction_id
        self.record('stop_transaction', self.id, key, mapping.utc(timestamp),
            str(transaction_id), meter_stop, mapping.stop_reason(reason),
            id_tag, mapping.samples(transaction_data))
        if id_tag:
            # The tag was accepted at start; the stop is not the moment to
            # refuse it (OCPP 1.6 §6.49: idTagInfo is informative here).
            return call_result.StopTransaction(
                id_tag_info={'status': 'Accepted'})
        return call_result.StopTransaction()

    @on(Action.status_notification)
    def on_status_notification(self, connector_id, error_code, status,
            timestamp=None, info=None, vendor_error_code=None, **kwargs):
        at = mapping.utc(timestamp)
        key = 'status:%s:%s:%s' % (connector_id, at, status)
        details = ' '.join(filter(None, [info, vendor_error_code])) or None
        self.record('status', self.id, key, at, connector_id, connector_id,
            mapping.connector_status(status), mapping.error_code(error_code),
            details)
        return call_result.StatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, message_id=None, data=None,
            **kwargs):
        self.record('event', self.id, None, mapping.now(), 'message', 'info',
            'DataTransfer %s %s' % (vendor_id, message_id or ''), None,
            data, None)
        # No vendor extension is implemented (OCPP 1.6 §4.3).
        return call_result.DataTransfer(status='UnknownVendorId')

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, status, **kwargs):
        self.record('event', self.id, None, mapping.now(), 'diagnostics',
            'error' if status == 'UploadFailed' else 'info',
            'DiagnosticsStatusNotification: %s' % status, None, None, None)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status, **kwargs):
        self.record('event', self.id, None, mapping.now(), 'firmware',
            'error' if status in FIRMWARE_ERRORS - {'SignatureVerified'}
            else 'info',
            'FirmwareStatusNotification: %s' % status, None, None, None)
        return call_result.FirmwareStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, type, timestamp,
            tech_info=None, **kwargs):
        self.record('event', self.id, None, mapping.utc(timestamp),
            'security', 'warning', 'SecurityEvent: %s' % type, type,
            tech_info, None)
        return call_result.SecurityEventNotification()

    # Commands: the parameters are the library's snake_case arguments.

    def build_command(self, command):
        action = command['action']
        params = dict(command.get('parameters') or {})
        connector = command.get('connector')
        if action == 'reset':
            return call.Reset(type=params.get('type', 'soft').capitalize())
        if action == 'unlock_connector':
            return call.UnlockConnector(connector_id=connector or 1)
        if action == 'change_availability':
            return call.ChangeAvailability(connector_id=connector or 0,
                type=params.get('type', 'operative').capitalize())
        if action == 'remote_start':
            params.setdefault('connector_id', connector)
            return call.RemoteStartTransaction(**_clean(params))
        if action == 'remote_stop':
            return call.RemoteStopTransaction(transaction_id=int(
                    params.get('transaction_id')
                    or command['transaction_ref']))
        # A reservation made on a connector of the back office is for that
        # connector: without it ReserveNow lacked its connectorId and failed.
        if action in {'trigger_message', 'unlock_connector', 'reserve_now'}:
            params.setdefault('connector_id', connector)
        if action in COMMANDS:
            return COMMANDS[action](**_clean(params))
        raise CommandNotSupported(action)


COMMANDS = {
    'trigger_message': call.TriggerMessage,
    'get_configuration': call.GetConfiguration,
    'change_configuration': call.ChangeConfiguration,
    'clear_cache': call.ClearCache,
    'update_firmware': call.UpdateFirmware,
    'get_diagnostics': call.GetDiagnostics,
    'reserve_now': call.ReserveNow,
    'cancel_reservation': call.CancelReservation,
    'send_local_list': call.SendLocalList,
    'get_local_list_version': call.GetLocalListVersion,
    'set_charging_profile': call.SetChargingProfile,
    'clear_charging_profile': call.ClearChargingProfile,
    'get_composite_schedule': call.GetCompositeSchedule,
    'data_transfer': call.DataTransfer,
    }


def _clean(params):
    return {k: v for k, v in params.items() if v is not None}
