# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The simulated charger in OCPP 2.0.1 (one connector per EVSE)"""
import itertools
import uuid

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from .base import Charger
from .connection import Handlers
from .mapping import (
    CHARGING_STATE_201, ERROR_CODE, REASON_201, STATUS_201, TRIGGER_201, camel,
    parse, plain, snake, text)
from .transaction import Transaction

# Device model variables (OCPP 2.0.1 part 2, appendix 3) that mirror a
# neutral setting.
VARIABLES = {
    ('OCPPCommCtrlr', 'HeartbeatInterval'): 'heartbeat_interval',
    ('SampledDataCtrlr', 'TxUpdatedInterval'): 'sample_interval',
    ('SampledDataCtrlr', 'TxUpdatedMeasurands'): 'measurands',
    ('AuthCtrlr', 'AuthorizeRemoteStart'): 'authorize_remote',
    ('LocalAuthListCtrlr', 'Enabled'): 'local_list_enabled',
    ('TxCtrlr', 'StopTxOnInvalidId'): 'stop_on_invalid_id',
    }
DATA_TYPES = {bool: 'boolean', int: 'integer', str: 'string'}


class Handlers201(Handlers, ChargePoint):
    "The answers of a 2.0.1 charging station to the calls of the CSMS"

    @on(Action.request_start_transaction)
    def on_request_start_transaction(self, id_token, remote_start_id,
            evse_id=None, charging_profile=None, **kwargs):
        accepted = (not self.refuses('RequestStartTransaction')
            and self.charger.remote_start(
                id_token['id_token'], evse_id, remote_start_id))
        if accepted and charging_profile:
            self.charger.profiles[charging_profile['id']] = (
                evse_id, plain(charging_profile))
        return call_result.RequestStartTransaction(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id, **kwargs):
        accepted = (not self.refuses('RequestStopTransaction')
            and self.charger.remote_stop(transaction_id))
        return call_result.RequestStopTransaction(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.reset)
    def on_reset(self, type, evse_id=None, **kwargs):
        if self.refuses('Reset'):
            return call_result.Reset(status='Rejected')
        answer = self.charger.reset(
            hard=type == 'Immediate', wait_idle=type == 'OnIdle')
        return call_result.Reset(status=camel(answer))

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id, connector_id, **kwargs):
        if self.refuses('UnlockConnector'):
            return call_result.UnlockConnector(status='UnlockFailed')
        answer = (self.charger.unlock(evse_id, stop=False)
            if connector_id == 1 else 'unknown')
        return call_result.UnlockConnector(status={
                'unlocked': 'Unlocked',
                'ongoing': 'OngoingAuthorizedTransaction',
                'unknown': 'UnknownConnector',
                }[answer])

    @on(Action.change_availability)
    def on_change_availability(self, operational_status, evse=None,
            **kwargs):
        if self.refuses('ChangeAvailability'):
            return call_result.ChangeAvailability(status='Rejected')
        answer = self.charger.change_availability(
            evse['id'] if evse else None, operational_status == 'Operative')
        return call_result.ChangeAvailability(status=camel(answer))

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kwargs):
        self.refuses('GetVariables', status=False)
        results = []
        for item in get_variable_data:
            status, value = self._get(item)
            result = {'attribute_status': status,
                'component': item['component'], 'variable': item['variable']}
            if value is not None:
                result['attribute_value'] = value
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    def _variables(self):
        "Return {(component, variable): (value, mutability)}"
        settings = self.charger.settings
        variables = {key: (text(settings[name]), 'ReadWrite')
            for key, name in VARIABLES.items()}
        variables.update({
                ('SecurityCtrlr', 'Identity'): (
                    self.charger.identity, 'ReadOnly'),
                ('SecurityCtrlr', 'SecurityProfile'): ('1', 'ReadOnly'),
                ('ChargingStation', 'Model'): (self.charger.model, 'ReadOnly'),
                ('ChargingStation', 'VendorName'): (
                    self.charger.vendor, 'ReadOnly'),
                })
        return variables

    def _get(self, item):
        variables = self._variables()
        key = (item['component']['name'], item['variable']['name'])
        if item.get('attribute_type', 'Actual') != 'Actual':
            return 'NotSupportedAttributeType', None
        if key not in variables:
            known = {c for c, _ in variables}
            return ('UnknownVariable' if key[0] in known
                else 'UnknownComponent'), None
        return 'Accepted', variables[key][0]

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        refused = self.refuses('SetVariables')
        results = []
        for item in set_variable_data:
            status = ('Rejected' if refused
                else self._set(item, item['attribute_value']))
            results.append({'attribute_status': status,
                    'component': item['component'],
                    'variable': item['variable']})
        return call_result.SetVariables(set_variable_result=results)

    def _set(self, item, value):
        settings = self.charger.settings
        key = (item['component']['name'], item['variable']['name'])
        if item.get('attribute_type', 'Actual') != 'Actual':
            return 'NotSupportedAttributeType'
        if key not in VARIABLES:
            status, _ = self._get(item)
            return 'Rejected' if status == 'Accepted' else status
        try:
            settings[VARIABLES[key]] = parse(settings[VARIABLES[key]], value)
        except ValueError:
            return 'Rejected'
        return 'Accepted'

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id, report_base, **kwargs):
        if self.refuses('GetBaseReport'):
            return call_result.GetBaseReport(status='Rejected')
        self.charger.after_answer(self.charger.report, request_id, [
                {'component': {'name': component},
                    'variable': {'name': variable},
                    'variable_attribute': [{'type': 'Actual', 'value': value,
                            'mutability': mutability}],
                    'variable_characteristics': {
                        'data_type': self._data_type(component, variable),
                        'supports_monitoring': False}}
                for (component, variable), (value, mutability)
                in self._variables().items()])
        return call_result.GetBaseReport(status='Accepted')

    def _data_type(self, component, variable):
        name = VARIABLES.get((component, variable))
        if name is None:
            return 'string'
        return DATA_TYPES[type(self.charger.settings[name])]

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, evse=None, **kwargs):
        if self.refuses('TriggerMessage'):
            return call_result.TriggerMessage(status='Rejected')
        answer = self.charger.trigger(
            requested_message, evse['id'] if evse else None)
        return call_result.TriggerMessage(status=camel(answer))

    @on(Action.update_firmware)
    def on_update_firmware(self, request_id, firmware, **kwargs):
        if self.refuses('UpdateFirmware'):
            return call_result.UpdateFirmware(status='Rejected')
        self.charger.after_answer(self.charger.update_firmware, request_id)
        return call_result.UpdateFirmware(status='Accepted')

    @on(Action.get_log)
    def on_get_log(self, log, log_type, request_id, **kwargs):
        if self.refuses('GetLog'):
            return call_result.GetLog(status='Rejected')
        self.charger.after_answer(self.charger.upload, request_id)
        return call_result.GetLog(status='Accepted',
            filename='%s-%s.log' % (snake(log_type),
                self.charger.serial_number))

    @on(Action.reserve_now)
    def on_reserve_now(self, id, expiry_date_time, id_token, evse_id=None,
            **kwargs):
        if self.refuses('ReserveNow'):
            return call_result.ReserveNow(status='Rejected')
        answer = self.charger.reserve(id, evse_id, id_token['id_token'])
        return call_result.ReserveNow(status=camel(answer))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        accepted = (not self.refuses('CancelReservation')
            and self.charger.cancel_reservation(reservation_id))
        return call_result.CancelReservation(
            status='Accepted' if accepted else 'Rejected')

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id, charging_profile, **kwargs):
        # A TxProfile only applies to a running transaction (K01.FR.09).
        if (self.refuses('SetChargingProfile')
                or (charging_profile['charging_profile_purpose']
                    == 'TxProfile'
                    and evse_id not in self.charger.transactions)):
            return call_result.SetChargingProfile(status='Rejected')
        self.charger.profiles[charging_profile['id']] = (
            evse_id, plain(charging_profile))
        return call_result.SetChargingProfile(status='Accepted')

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, charging_profile_id=None,
            charging_profile_criteria=None, **kwargs):
        criteria = charging_profile_criteria or {}
        cleared = (not self.refuses('ClearChargingProfile')
            and self.charger.clear_profiles(charging_profile_id,
                criteria.get('evse_id'),
                criteria.get('charging_profile_purpose'),
                criteria.get('stack_level')))
        return call_result.ClearChargingProfile(
            status='Accepted' if cleared else 'Unknown')

    @on(Action.send_local_list)
    def on_send_local_list(self, version_number, update_type,
            local_authorization_list=None, **kwargs):
        if (self.refuses('SendLocalList')
                or not self.charger.settings['local_list_enabled']):
            return call_result.SendLocalList(status='Failed')
        answer = self.charger.update_local_list(
            version_number, update_type == 'Full',
            [(e['id_token']['id_token'], e.get('id_token_info'))
                for e in local_authorization_list or []])
        return call_result.SendLocalList(status=camel(answer))

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        self.refuses('GetLocalListVersion', status=False)
        return call_result.GetLocalListVersion(
            version_number=self.charger.local_list_version)

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(
            status='Rejected' if self.refuses('ClearCache') else 'Accepted')

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, message_id=None, data=None,
            **kwargs):
        if self.refuses('DataTransfer'):
            return call_result.DataTransfer(status='Rejected')
        return call_result.DataTransfer(status='Accepted', data=data)


class Charger201(Charger):
    "A simulated OCPP 2.0.1 charging station, EVSE n having connector 1"
    version = '2.0.1'
    subprotocol = 'ocpp2.0.1'
    handlers = Handlers201
    token_type = 'ISO14443'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The connector status last sent, as 2.0.1 spells it.
        self.sent_status = {}
        self._event_ids = itertools.count(1)
        self._report_seq = itertools.count()

    async def boot(self, reason='PowerUp'):
        "Send BootNotification; return the status and the interval"
        result = await self.call(call.BootNotification(
                charging_station={
                    'model': self.model, 'vendor_name': self.vendor,
                    'serial_number': self.serial_number,
                    'firmware_version': self.firmware_version},
                reason=reason))
        return self._booted(snake(result.status), result.interval)

    async def heartbeat(self):
        "Send Heartbeat; return the CSMS's current time"
        result = await self.call(call.Heartbeat())
        return result.current_time

    async def status(self, connector, status, error_code=None, info=None):
        "Send StatusNotification, and NotifyEvent for an error code"
        await self.call(call.StatusNotification(
                timestamp=self.now(), connector_status=STATUS_201[status],
                evse_id=connector, connector_id=1))
        self.sent_status[connector] = STATUS_201[status]
        if connector in self.connectors:
            self.connectors[connector] = status
        if error_code and snake(error_code) != 'no_error':
            await self._problem(connector, ERROR_CODE[snake(error_code)], info)

    async def _problem(self, connector, code, info):
        # 2.0.1 has no error code in StatusNotification: a fault is the
        # Connector component's Problem variable turning true (N07).
        await self.call(call.NotifyEvent(
                generated_at=self.now(), seq_no=0, event_data=[{
                        'event_id': next(self._event_ids),
                        'timestamp': self.now(), 'trigger': 'Delta',
                        'actual_value': 'true', 'tech_code': code,
                        'tech_info': info,
                        'event_notification_type': 'HardWiredNotification',
                        'component': {'name': 'Connector', 'evse': {
                                'id': connector, 'connector_id': 1}},
                        'variable': {'name': 'Problem'}}]))

    async def session_status(self, connector, status, tx=None):
        "Send what a 2.0.1 station sends when a session changes state"
        if STATUS_201[status] != self.sent_status.get(connector):
            await self.status(connector, status)
        elif tx is not None and status == 'charging':
            await self._event(tx, 'Updated', 'ChargingStateChanged',
                charging_state=CHARGING_STATE_201[status])
            self.connectors[connector] = status
        elif connector in self.connectors:
            self.connectors[connector] = status

    async def authorize(self, id_tag):
        "Send Authorize; return the neutral status of the tag"
        result = await self.call(call.Authorize(id_token=self._token(id_tag)))
        return snake(result.id_token_info['status'])

    def _token(self, id_tag):
        return {'id_token': id_tag, 'type': self.token_type}

    async def start(self, connector, id_tag, meter_start, *,
            remote_start_id=None):
        "Send TransactionEvent Started with a transactionId of our own"
        tx = Transaction(connector, id_tag, meter_start, self.now(),
            id=str(uuid.uuid4()), remote_start_id=remote_start_id,
            reservation_id=self.take_reservation(connector, id_tag))
        # Known before the answer: a stop request may name it at once.
        self._opened(tx)
        trigger = 'Authorized' if remote_start_id is None else 'RemoteStart'
        try:
            result = await self._event(tx, 'Started', trigger,
                charging_state='EVConnected', timestamp=tx.started_at,
                meter_value=[self._reading(
                        meter_start, 'Transaction.Begin', tx.started_at)],
                id_token=self._token(id_tag),
                evse={'id': connector, 'connector_id': 1},
                reservation_id=tx.reservation_id)
        except BaseException:
            self._closed(tx, meter_start)
            raise
        if result.id_token_info:
            tx.id_tag_status = snake(result.id_token_info['status'])
        return tx

    async def _event(self, tx, event_type, trigger, *, charging_state=None,
            stopped_reason=None, timestamp=None, **fields):
        info = {'transaction_id': tx.id, 'charging_state': charging_state,
            'stopped_reason': stopped_reason}
        if event_type == 'Started':
            info['remote_start_id'] = tx.remote_start_id
        return await self.call(call.TransactionEvent(
                event_type=event_type, timestamp=timestamp or self.now(),
                trigger_reason=trigger, seq_no=tx.next_seq_no(),
                transaction_info=info, **fields))

    async def meter(self, tx, energy_wh, power_w=None, soc=None,
            trigger='MeterValuePeriodic'):
        "Send TransactionEvent Updated with the meter values"
        context = 'Trigger' if trigger == 'Trigger' else 'Sample.Periodic'
        await self._event(tx, 'Updated', trigger,
            charging_state=CHARGING_STATE_201.get(
                self.connectors.get(tx.connector)),
            meter_value=[self._reading(
                    energy_wh, context, power_w=power_w, soc=soc)])
        self._metered(tx, energy_wh)

    def _reading(self, energy_wh, context, timestamp=None, power_w=None,
            soc=None):
        values = [{'value': energy_wh, 'context': context,
                'measurand': 'Energy.Active.Import.Register',
                'location': 'Outlet', 'unit_of_measure': {'unit': 'Wh'}}]
        if power_w is not None:
            values.append({'value': power_w, 'context': context,
                    'measurand': 'Power.Active.Import',
                    'location': 'Outlet', 'unit_of_measure': {'unit': 'W'}})
        if soc is not None:
            values.append({'value': soc, 'context': context,
                    'measurand': 'SoC', 'location': 'EV',
                    'unit_of_measure': {'unit': 'Percent'}})
        return {'timestamp': timestamp or self.now(), 'sampled_value': values}

    async def stop(self, tx, meter_stop, reason='local'):
        "Send TransactionEvent Ended with the stopped reason"
        await self._event(tx, 'Ended', TRIGGER_201[reason],
            charging_state='EVConnected', stopped_reason=REASON_201[reason],
            meter_value=[self._reading(meter_stop, 'Transaction.End')])
        self._closed(tx, meter_stop)

    async def firmware_status(self, status, request_id=None):
        "Send FirmwareStatusNotification"
        await self.call(call.FirmwareStatusNotification(
                status=camel(status), request_id=request_id))

    async def upload_status(self, status, request_id=None):
        "Send LogStatusNotification"
        await self.call(call.LogStatusNotification(
                status=camel(status), request_id=request_id))

    async def report(self, request_id, report_data):
        "Send the device model in NotifyReport"
        await self.call(call.NotifyReport(
                request_id=request_id, generated_at=self.now(),
                seq_no=next(self._report_seq), report_data=report_data,
                tbc=False))

    def trigger(self, message, evse=None):
        "Send message after the answer; return the neutral answer"
        if evse and evse not in self.connectors:
            return 'rejected'
        send = {
            'BootNotification': self._send_boot,
            'Heartbeat': self.heartbeat,
            'StatusNotification': self._send_statuses,
            'MeterValues': self._send_meters,
            'TransactionEvent': self._send_transactions,
            'FirmwareStatusNotification': self._send_firmware_status,
            'LogStatusNotification': self._send_upload_status,
            }.get(message)
        if send is None:
            return 'not_implemented'
        if message in {'StatusNotification', 'MeterValues',
                'TransactionEvent'}:
            self.after_answer(send, evse)
        else:
            self.after_answer(send)
        return 'accepted'

    async def reboot_boot(self):
        "Send the BootNotification that follows a reset"
        return await self.boot(reason='RemoteReset')

    async def _send_boot(self):
        await self.boot(reason='Triggered')

    async def _send_statuses(self, evse):
        for n in [evse] if evse else sorted(self.connectors):
            await self.status(n, self.connectors[n])

    async def _send_meters(self, evse):
        for n in [evse] if evse else sorted(self.connectors):
            await self.call(call.MeterValues(evse_id=n, meter_value=[
                        self._reading(self.registers[n], 'Trigger')]))

    async def _send_transactions(self, evse):
        for n in [evse] if evse else sorted(self.transactions):
            tx = self.transactions.get(n)
            if tx is not None:
                await self.meter(tx, tx.meter, trigger='Trigger')

    async def _send_firmware_status(self):
        await self.firmware_status(self.firmware_state)

    async def _send_upload_status(self):
        await self.upload_status(self.upload_state)
