# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The tariff engine benchmark: `make bench-tariff` (docs/benchmarks.md)

Prices a fixed, seeded mix of realistic sessions with the pure engine
(addons/ev_tariff/engine.py) in one process and prints how many sessions a
second it prices. No database: the inputs are built before the clock starts;
each session is priced from its stored spec snapshot (spec_from_json), as
the daemon's stop does.
"""
import argparse
import datetime as dt
import json
import platform as host
import random
import statistics
import sys
import time
from decimal import Decimal

from trytond.modules.ev_tariff.engine import (
    Allowance, Band, Sample, StatusChange, TariffSpec, price, quote,
    spec_from_json, spec_to_json)

D = Decimal
WEEKDAYS = frozenset(range(5))
ALL_DAYS = frozenset(range(7))

# A busy city tariff: three bands (one across midnight), idle fee after a
# grace, steps, VAT included, a minimum and a maximum.
SPEC = TariffSpec(
    currency_digits=2, start_fee=D('30'), price_per_kwh=D('19.90'),
    price_per_minute=D('0.50'), idle_price_per_minute=D('10'),
    idle_grace_minutes=15, reservation_fee=D('50'), min_price=D('50'),
    max_price=D('5000'), energy_step_wh=100, time_step_seconds=60,
    rounding='half_up', timezone='Europe/Moscow', tax_rate=D('0.20'),
    tax_included=True,
    bands=(
        Band(WEEKDAYS, dt.time(8), dt.time(11), price_per_kwh=D('24.90'),
            name="morning peak"),
        Band(WEEKDAYS, dt.time(17), dt.time(21), price_per_kwh=D('24.90'),
            price_per_minute=D('1'), name="evening peak"),
        Band(ALL_DAYS, dt.time(23), dt.time(7), price_per_kwh=D('12.90'),
            price_per_minute=D('0'), idle_price_per_minute=D('2'),
            name="night"),
        ))


def build_sessions(count, seed, sample_seconds):
    "Seeded sessions: (start, stop, samples, timeline, allowances, reserved)"
    rnd = random.Random(seed)
    year = dt.datetime(2026, 1, 1)
    sessions = []
    for n in range(count):
        start = year + dt.timedelta(seconds=rnd.randrange(365 * 86400))
        charging = rnd.randrange(10 * 60, 4 * 3600)
        idle = rnd.choice([0, 0, rnd.randrange(60, 3600)])
        stop = start + dt.timedelta(seconds=charging + idle)
        power = rnd.choice([7400, 11000, 22000, 50000, 150000])
        meter = rnd.randrange(10 ** 7)
        samples, at = [], 0
        while at < charging:
            samples.append(Sample(start + dt.timedelta(seconds=at),
                    meter + power * at // 3600))
            at += sample_seconds
        samples.append(Sample(start + dt.timedelta(seconds=charging),
                meter + power * charging // 3600))
        timeline = [StatusChange(start, 'charging')]
        if rnd.random() < 0.2:      # a pause while the battery balances
            pause = start + dt.timedelta(seconds=charging // 2)
            timeline += [StatusChange(pause, 'idle'), StatusChange(
                    pause + dt.timedelta(seconds=120), 'charging')]
        if idle:
            timeline.append(StatusChange(
                    start + dt.timedelta(seconds=charging), 'idle'))
        allowances = []
        if rnd.random() < 0.3:      # a subscription
            allowances += [
                Allowance('free_kwh', 'subscription:%d' % n,
                    quantity_wh=rnd.randrange(0, 50000)),
                Allowance('free_start_fee', 'subscription:%d' % n),
                Allowance('percentage', 'subscription:%d' % n,
                    rate=D('0.10'))]
        if rnd.random() < 0.1:      # a promo code
            allowances.append(Allowance('fixed', 'promo:WINTER',
                    amount=D('100')))
        sessions.append((start, stop, tuple(samples), tuple(timeline),
                tuple(allowances), rnd.random() < 0.1))
    return sessions


def run(sessions, snapshot):
    "Price every session; the per-session times in seconds"
    times = []
    clock = time.perf_counter
    for start, stop, samples, timeline, allowances, reserved in sessions:
        t0 = clock()
        price(spec_from_json(snapshot), start, stop, samples, timeline,
            allowances, reserved)
        times.append(clock() - t0)
    return times


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sessions', type=int, default=20000)
    parser.add_argument('--seed', type=int, default=5)
    parser.add_argument('--sample-seconds', type=int, default=60,
        help="meter sample interval (OCPP MeterValueSampleInterval)")
    parser.add_argument('--repeat', type=int, default=3,
        help="runs; the best is reported")
    parser.add_argument('--output', help="write the figures as JSON here")
    args = parser.parse_args(argv)

    sessions = build_sessions(args.sessions, args.seed, args.sample_seconds)
    snapshot = spec_to_json(SPEC)
    samples = statistics.mean(len(s[2]) for s in sessions)
    run(sessions[:200], snapshot)   # warm the caches (zones, band edges)
    best = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        times = run(sessions, snapshot)
        elapsed = time.perf_counter() - t0
        if best is None or elapsed < best[0]:
            best = (elapsed, times)
    elapsed, times = best
    t0 = time.perf_counter()
    quotes = 0
    for start, *_ in sessions:
        quote(SPEC, start, 30000, 45)
        quotes += 1
    quote_elapsed = time.perf_counter() - t0
    figures = {
        'sessions': len(sessions),
        'samples_per_session': round(samples, 1),
        'seconds': round(elapsed, 3),
        'sessions_per_second': round(len(sessions) / elapsed),
        'p50_ms': round(percentile(times, 0.5) * 1000, 3),
        'p99_ms': round(percentile(times, 0.99) * 1000, 3),
        'quotes_per_second': round(quotes / quote_elapsed),
        'python': sys.version.split()[0],
        'machine': host.machine(),
        }
    print("tariff engine: %(sessions)d sessions, %(samples_per_session)s "
        "meter samples each on average" % figures)
    print("  %(sessions_per_second)d sessions priced per second "
        "(p50 %(p50_ms)s ms, p99 %(p99_ms)s ms per session, one core)"
        % figures)
    print("  %(quotes_per_second)d quotes per second "
        "(30 kWh in 45 minutes)" % figures)
    if args.output:
        with open(args.output, 'w') as file:
            json.dump(figures, file, indent=2)
            file.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
