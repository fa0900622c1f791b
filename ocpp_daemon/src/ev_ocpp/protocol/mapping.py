# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Pure translations between OCPP spellings and the platform's neutral keys

Only the daemon knows OCPP's CamelCase: Tryton stores snake_case keys.
"""
import datetime as dt
import re

_CAMEL = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')

# OCPP 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType.
CONNECTOR_STATUS = {
    'Available': 'available',
    'Preparing': 'preparing',
    'Charging': 'charging',
    'SuspendedEV': 'suspended_ev',
    'SuspendedEVSE': 'suspended_evse',
    'Finishing': 'finishing',
    'Occupied': 'occupied',
    'Reserved': 'reserved',
    'Unavailable': 'unavailable',
    'Faulted': 'faulted',
    }

# OCPP 1.6 Reason and 2.0.1 ReasonEnumType; reasons the platform does not
# name become 'other' (the raw text stays in the event log).
STOP_REASON = {
    'Local': 'local',
    'Remote': 'remote',
    'EVDisconnected': 'ev_disconnected',
    'DeAuthorized': 'de_authorized',
    'EmergencyStop': 'emergency_stop',
    'EnergyLimitReached': 'energy_limit',
    'HardReset': 'hard_reset',
    'SoftReset': 'soft_reset',
    'ImmediateReset': 'hard_reset',
    'Reboot': 'reboot',
    'PowerLoss': 'power_loss',
    'UnlockCommand': 'unlock_command',
    'Timeout': 'timeout',
    }

AUTHORIZATION_STATUS = {
    'accepted': 'Accepted',
    'blocked': 'Blocked',
    'expired': 'Expired',
    'invalid': 'Invalid',
    'concurrent_tx': 'ConcurrentTx',
    }

REGISTRATION_STATUS = {
    'accepted': 'Accepted',
    'pending': 'Pending',
    'rejected': 'Rejected',
    }

# Measurand → (sample key, {unit: factor to the platform's unit})
MEASURANDS = {
    'Energy.Active.Import.Register': ('energy_wh', {'Wh': 1, 'kWh': 1000}),
    'Power.Active.Import': ('power_w', {'W': 1, 'kW': 1000}),
    'Current.Import': ('current_a', {'A': 1}),
    'Voltage': ('voltage_v', {'V': 1}),
    'SoC': ('soc', {'Percent': 1}),
    }
DEFAULT_UNITS = {
    'energy_wh': 'Wh', 'power_w': 'W', 'current_a': 'A', 'voltage_v': 'V',
    'soc': 'Percent'}
INTEGER_KEYS = {'energy_wh', 'power_w', 'soc'}


def snake(name):
    "Return the neutral key of an OCPP CamelCase name"
    return _CAMEL.sub('_', name).lower() if name else name


def connector_status(status):
    return CONNECTOR_STATUS.get(status, 'unknown')


def stop_reason(reason):
    return STOP_REASON.get(reason or 'Local', 'other')


def error_code(code):
    "Return the error code to record, None for NoError"
    if not code or code == 'NoError':
        return None
    return code


def utc(timestamp=None):
    "Return an OCPP timestamp as an ISO UTC string, now when empty"
    if not timestamp:
        return dt.datetime.now(dt.timezone.utc).isoformat(
            timespec='seconds').replace('+00:00', 'Z')
    try:
        value = dt.datetime.fromisoformat(timestamp.replace('Z', '+00:00'))
    except (ValueError, AttributeError):
        # A charger with a broken clock still gets its data recorded.
        return utc()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    # The charger's own precision is kept: idempotency keys are built on it.
    return value.astimezone(dt.timezone.utc).isoformat().replace(
        '+00:00', 'Z')


def now():
    "Return the current time as an OCPP dateTime"
    return utc()


def samples(meter_values):
    """Return the neutral samples of OCPP meterValue entries

    1.6 sends values as strings with a 'unit', 2.0.1 as numbers with
    'unitOfMeasure'; the payloads here are in the library's snake_case.
    """
    result = []
    for entry in meter_values or []:
        sample = {'at': utc(entry.get('timestamp'))}
        phased = {}
        for value in entry.get('sampled_value') or []:
            measurand = value.get('measurand', 'Energy.Active.Import.Register')
            if measurand not in MEASURANDS:
                continue
            key, units = MEASURANDS[measurand]
            unit = value.get('unit')
            multiplier = 0
            if 'unit_of_measure' in value:
                unit = value['unit_of_measure'].get('unit')
                multiplier = value['unit_of_measure'].get('multiplier', 0)
            unit = unit or DEFAULT_UNITS[key]
            if unit not in units:
                continue
            try:
                number = float(value['value'])
            except (KeyError, TypeError, ValueError):
                continue
            number *= units[unit] * 10 ** multiplier
            phase = value.get('phase')
            if phase and not phase.endswith('-N') and phase != 'N':
                phased.setdefault(key, []).append(number)
            elif phase:
                phased.setdefault(key + '/N', []).append(number)
            else:
                sample[key] = number
        for key, values in phased.items():
            base = key.split('/')[0]
            if base in sample:
                continue
            # Per-phase power and energy add up; current and voltage do not.
            if base in {'energy_wh', 'power_w'} and '/' not in key:
                sample[base] = sum(values)
            else:
                sample[base] = max(values)
        for key in list(sample):
            if key in INTEGER_KEYS:
                sample[key] = int(round(sample[key]))
        if len(sample) > 1:
            result.append(sample)
    return result


def last_energy(samples_):
    "Return the last energy register of the samples, or None"
    for sample in reversed(samples_):
        if sample.get('energy_wh') is not None:
            return sample['energy_wh']
    return None
