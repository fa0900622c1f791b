# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from ev_ocpp.protocol import mapping


def test_samples_16_units_and_phases():
    "kWh becomes Wh, per-phase power adds up, current takes the highest"
    entries = [{
            'timestamp': '2026-11-27T10:05:00+03:00',
            'sampled_value': [
                {'value': '12.5', 'unit': 'kWh'},
                {'value': '7000', 'measurand': 'Power.Active.Import',
                    'phase': 'L1'},
                {'value': '7100', 'measurand': 'Power.Active.Import',
                    'phase': 'L2'},
                {'value': '31.5', 'measurand': 'Current.Import',
                    'phase': 'L1', 'unit': 'A'},
                {'value': '32', 'measurand': 'Current.Import',
                    'phase': 'L2', 'unit': 'A'},
                {'value': '57', 'measurand': 'SoC', 'unit': 'Percent'},
                {'value': '5', 'measurand': 'Temperature'},
                ]}]
    sample, = mapping.samples(entries)
    assert sample == {'at': '2026-11-27T07:05:00Z', 'energy_wh': 12500,
        'power_w': 14100, 'current_a': 32.0, 'soc': 57}


def test_samples_201_unit_of_measure():
    "2.0.1 numbers with a multiplier"
    entries = [{'timestamp': '2026-11-27T10:05:00Z', 'sampled_value': [
                {'value': 12.5, 'measurand': 'Energy.Active.Import.Register',
                    'unit_of_measure': {'unit': 'kWh', 'multiplier': 0}},
                {'value': 22, 'measurand': 'Power.Active.Import',
                    'unit_of_measure': {'unit': 'W', 'multiplier': 3}},
                ]}]
    assert mapping.samples(entries) == [{'at': '2026-11-27T10:05:00Z',
            'energy_wh': 12500, 'power_w': 22000}]


def test_samples_skip_garbage():
    "Unparsable values and unknown units are dropped, not fatal"
    entries = [{'timestamp': 'yesterday', 'sampled_value': [
                {'value': 'n/a'}, {'value': '3', 'unit': 'varh'}]}]
    assert mapping.samples(entries) == []


def test_neutral_names():
    assert mapping.connector_status('SuspendedEVSE') == 'suspended_evse'
    assert mapping.connector_status('Bogus') == 'unknown'
    assert mapping.stop_reason('EVDisconnected') == 'ev_disconnected'
    assert mapping.stop_reason(None) == 'local'
    assert mapping.stop_reason('SOCLimitReached') == 'other'
    assert mapping.error_code('NoError') is None
    assert mapping.snake('EVConnected') == 'ev_connected'
    assert mapping.snake('PowerUp') == 'power_up'


def test_rate_limiter_throttles_then_gives_up(monkeypatch):
    "A burst passes, a flood is slowed, a flood kept up is detected"
    from ev_ocpp.protocol import base
    now = [1000.0]
    monkeypatch.setattr(base.time, 'monotonic', lambda: now[0])
    limiter = base.RateLimiter(rate=2, burst=3)
    assert [limiter.delay() for _ in range(3)] == [0, 0, 0]
    assert limiter.delay() == 0.5
    assert not limiter.flooding()
    for _ in range(200):
        now[0] += 0.5
        limiter.delay()
        limiter.tokens -= 1     # the flooder sends faster than it may
    assert limiter.flooding()
    now[0] += 300
    assert limiter.delay() == 0
    assert not limiter.flooding()
