# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Neutral snake_case values and their OCPP 1.6 and 2.0.1 spellings"""
import re
from decimal import Decimal

# 1.6 has no Occupied: a plugged-in cable before a session is Preparing.
STATUS_16 = {
    'available': 'Available',
    'preparing': 'Preparing',
    'charging': 'Charging',
    'suspended_ev': 'SuspendedEV',
    'suspended_evse': 'SuspendedEVSE',
    'finishing': 'Finishing',
    'occupied': 'Preparing',
    'reserved': 'Reserved',
    'unavailable': 'Unavailable',
    'faulted': 'Faulted',
    }

# 2.0.1 StatusNotification only tells whether the connector is in use; the
# charging state travels in TransactionEvent (OCPP 2.0.1 part 2, G01, E01).
STATUS_201 = {
    'available': 'Available',
    'preparing': 'Occupied',
    'charging': 'Occupied',
    'suspended_ev': 'Occupied',
    'suspended_evse': 'Occupied',
    'finishing': 'Occupied',
    'occupied': 'Occupied',
    'reserved': 'Reserved',
    'unavailable': 'Unavailable',
    'faulted': 'Faulted',
    }

CHARGING_STATE_201 = {
    'preparing': 'EVConnected',
    'charging': 'Charging',
    'suspended_ev': 'SuspendedEV',
    'suspended_evse': 'SuspendedEVSE',
    'finishing': 'EVConnected',
    'occupied': 'EVConnected',
    }

ERROR_CODES = [
    'ConnectorLockFailure', 'EVCommunicationError', 'GroundFailure',
    'HighTemperature', 'InternalError', 'LocalListConflict', 'NoError',
    'OtherError', 'OverCurrentFailure', 'OverVoltage', 'PowerMeterFailure',
    'PowerSwitchFailure', 'ReaderFailure', 'ResetFailure', 'UnderVoltage',
    'WeakSignal',
    ]

REASON_16 = {
    'local': 'Local',
    'remote': 'Remote',
    'ev_disconnected': 'EVDisconnected',
    'de_authorized': 'DeAuthorized',
    'emergency_stop': 'EmergencyStop',
    'energy_limit': 'Other',
    'hard_reset': 'HardReset',
    'soft_reset': 'SoftReset',
    'reboot': 'Reboot',
    'power_loss': 'PowerLoss',
    'unlock_command': 'UnlockCommand',
    'timeout': 'Other',
    'other': 'Other',
    }

REASON_201 = {
    'local': 'Local',
    'remote': 'Remote',
    'ev_disconnected': 'EVDisconnected',
    'de_authorized': 'DeAuthorized',
    'emergency_stop': 'EmergencyStop',
    'energy_limit': 'EnergyLimitReached',
    'hard_reset': 'ImmediateReset',
    'soft_reset': 'Reboot',
    'reboot': 'Reboot',
    'power_loss': 'PowerLoss',
    'unlock_command': 'Other',
    'timeout': 'Timeout',
    'other': 'Other',
    }

# What made the 2.0.1 transaction end (E06 "Stop Transaction options").
TRIGGER_201 = {
    'local': 'StopAuthorized',
    'remote': 'RemoteStop',
    'ev_disconnected': 'EVCommunicationLost',
    'de_authorized': 'Deauthorized',
    'emergency_stop': 'AbnormalCondition',
    'energy_limit': 'EnergyLimitReached',
    'hard_reset': 'ResetCommand',
    'soft_reset': 'ResetCommand',
    'reboot': 'ResetCommand',
    'power_loss': 'AbnormalCondition',
    'unlock_command': 'UnlockCommand',
    'timeout': 'EVConnectTimeout',
    'other': 'AbnormalCondition',
    }


def snake(value):
    "Return the neutral snake_case key of an OCPP CamelCase value"
    value = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', value)
    value = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', value)
    return value.lower()


def camel(key):
    "Return the OCPP spelling of a neutral key made of plain words"
    return ''.join(word.capitalize() for word in key.split('_'))


def text(value):
    "Return a setting as OCPP configuration text"
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def parse(old, value):
    "Return value converted to the type of old; raise ValueError if wrong"
    if isinstance(old, bool):
        if value.lower() not in {'true', 'false'}:
            raise ValueError(value)
        return value.lower() == 'true'
    if isinstance(old, int):
        if int(value) < 0:
            raise ValueError(value)
        return int(value)
    return value


def plain(data):
    "Return data with the Decimals of the ocpp library made floats"
    # The library parses 1.6 charging profiles with Decimal, but cannot
    # validate an answer that holds them (json.dumps in validate_payload).
    if isinstance(data, Decimal):
        return float(data)
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


ERROR_CODE = {snake(code): code for code in ERROR_CODES}
