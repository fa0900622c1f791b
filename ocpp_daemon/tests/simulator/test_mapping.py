# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Neutral keys and their OCPP spellings"""
from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

from ev_ocpp.simulator import mapping

# The keys of ev.connector status and ev.session stop_reason (ev_station).
STATUSES = {'available', 'preparing', 'charging', 'suspended_ev',
    'suspended_evse', 'finishing', 'occupied', 'reserved', 'unavailable',
    'faulted'}
STOP_REASONS = {'local', 'remote', 'ev_disconnected', 'de_authorized',
    'emergency_stop', 'energy_limit', 'hard_reset', 'soft_reset', 'reboot',
    'power_loss', 'unlock_command', 'timeout', 'other'}


def test_every_neutral_key_has_valid_spellings():
    "Each status and stop reason maps to a value of the OCPP enums"
    assert set(mapping.STATUS_16) == set(mapping.STATUS_201) == STATUSES
    assert set(mapping.STATUS_16.values()) <= set(v16.ChargePointStatus)
    assert set(mapping.STATUS_201.values()) <= set(
        v201.ConnectorStatusEnumType)
    assert set(mapping.REASON_16) == set(mapping.REASON_201) == set(
        mapping.TRIGGER_201) == STOP_REASONS
    assert set(mapping.REASON_16.values()) <= set(v16.Reason)
    assert set(mapping.REASON_201.values()) <= set(v201.ReasonEnumType)
    assert set(mapping.TRIGGER_201.values()) <= set(
        v201.TriggerReasonEnumType)
    assert set(mapping.ERROR_CODE.values()) == set(v16.ChargePointErrorCode)


def test_snake_and_camel():
    "OCPP values become the neutral keys Tryton stores, and back"
    assert [mapping.snake(v) for v in [
            'Accepted', 'ConcurrentTx', 'NotAllowedTypeEVSE', 'DeAuthorized',
            'EVDisconnected', 'SuspendedEVSE']] == [
        'accepted', 'concurrent_tx', 'not_allowed_type_evse',
        'de_authorized', 'ev_disconnected', 'suspended_evse']
    assert mapping.camel('version_mismatch') == 'VersionMismatch'
    assert mapping.snake(v16.Reason.de_authorized) == 'de_authorized'
    for key in STOP_REASONS - {'energy_limit', 'timeout'}:
        assert mapping.snake(mapping.REASON_16[key]) == key
