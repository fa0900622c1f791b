# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Unit tests of the tariff engine: worked examples and properties (no DB)"
import datetime as dt
import math
import unittest
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trytond.modules.ev_tariff.engine import (
    Allowance, Band, Sample, StatusChange, TariffSpec, breakdown_from_json,
    breakdown_to_json, price, quote, segments, spec_from_json, spec_to_json,
    validate_spec)

D = Decimal
ALL_DAYS = frozenset(range(7))
UTC = dt.timezone.utc


def utc(*args):
    return dt.datetime(*args)


def minutes(value):
    return dt.timedelta(minutes=value)


def lines_of(breakdown, kind=None):
    "(kind, band, quantity, amount) of the lines, to compare at a glance"
    return [(l.kind, l.band, l.quantity, l.amount) for l in breakdown.lines
        if kind is None or l.kind == kind]


def charging_from(start, *changes):
    "A timeline charging from start then (minutes after start, status)"
    return (StatusChange(start, 'charging'),) + tuple(
        StatusChange(start + minutes(m), s) for m, s in changes)


def constant_power(start, stop, watts, every=60, meter_start=0):
    "Samples every `every` minutes at a constant power"
    samples, at = [], start
    while at <= stop:
        wh = meter_start + watts * int((at - start).total_seconds()) // 3600
        samples.append(Sample(at, wh))
        at += minutes(every)
    return tuple(samples)


class MoscowBandsMidnightTestCase(unittest.TestCase):
    "A session crossing a price band and midnight in Europe/Moscow"

    spec = TariffSpec(
        start_fee=D('50'), price_per_kwh=D('15'), price_per_minute=D('2'),
        timezone='Europe/Moscow', tax_rate=D('0.20'),
        bands=(
            # Thursday evening only; end 00:00 means up to midnight
            Band(frozenset({3}), dt.time(22), dt.time(0),
                price_per_kwh=D('20'), name="evening"),
            Band(ALL_DAYS, dt.time(0), dt.time(7),
                price_per_kwh=D('7.5'), price_per_minute=D('1'),
                name="night"),
            ))
    # Thursday 2026-12-03 21:40 MSK (18:40 UTC) to Friday 00:40 MSK.
    start = utc(2026, 12, 3, 18, 40)
    stop = utc(2026, 12, 3, 21, 40)
    samples = (
        Sample(utc(2026, 12, 3, 18, 40), 100000),
        # 30 minutes: 20 at the base price, 10 in the evening band
        Sample(utc(2026, 12, 3, 19, 10), 106000),
        Sample(utc(2026, 12, 3, 20, 50), 126000),
        # 10 minutes before midnight, 10 after
        Sample(utc(2026, 12, 3, 21, 10), 130000),
        Sample(utc(2026, 12, 3, 21, 40), 136000),
        )

    def test_price(self):
        breakdown = price(self.spec, self.start, self.stop, self.samples,
            charging_from(self.start))
        self.assertEqual(lines_of(breakdown), [
                ('start_fee', '', D('1'), D('50.00')),
                ('energy', '', D('4.000'), D('60.00')),
                ('energy', "evening", D('24.000'), D('480.00')),
                ('energy', "night", D('8.000'), D('60.00')),
                # the evening band has no minute price: the base applies
                ('charging_time', '', D('140'), D('280.00')),
                ('charging_time', "night", D('40'), D('40.00')),
                ])
        self.assertEqual(breakdown.net, D('970.00'))
        self.assertEqual(breakdown.tax, D('194.00'))
        self.assertEqual(breakdown.total, D('1164.00'))
        self.assertEqual(breakdown.energy_wh, 36000)
        self.assertEqual(breakdown.charging_seconds, 3 * 3600)
        self.assertEqual(breakdown.idle_seconds, 0)

    def test_segments(self):
        parts = segments(self.spec, self.start, self.stop, self.samples,
            charging_from(self.start))
        self.assertEqual(
            [(p.start, p.end, p.band, p.energy_wh) for p in parts], [
                (self.start, utc(2026, 12, 3, 19), None, 4000),
                (utc(2026, 12, 3, 19), utc(2026, 12, 3, 21), 0, 24000),
                (utc(2026, 12, 3, 21), self.stop, 1, 8000),
                ])

    def test_weekday_is_the_day_the_band_starts(self):
        "A day later (Friday evening) the Thursday band does not apply"
        day = dt.timedelta(days=1)
        breakdown = price(self.spec, self.start + day, self.stop + day,
            [Sample(s.at + day, s.energy_wh) for s in self.samples])
        self.assertEqual(lines_of(breakdown, 'energy'), [
                ('energy', '', D('28.000'), D('420.00')),
                ('energy', "night", D('8.000'), D('60.00')),
                ])

    def test_band_crossing_midnight_keeps_its_weekday(self):
        "Monday 22:00-02:00 applies on Tuesday 01:00, not Monday 01:00"
        spec = TariffSpec(price_per_kwh=D('10'), timezone='Europe/Moscow',
            bands=(Band(frozenset({0}), dt.time(22), dt.time(2),
                    price_per_kwh=D('1'), name="late"),))

        def at_one_am(day):
            # 01:00-01:30 MSK = 22:00-22:30 UTC the day before
            start = dt.datetime.combine(day, dt.time(22)) - dt.timedelta(
                days=1)
            return price(spec, start, start + minutes(30), [
                    Sample(start, 0), Sample(start + minutes(30), 1000)])
        tuesday, monday = dt.date(2026, 12, 8), dt.date(2026, 12, 7)
        self.assertEqual(at_one_am(tuesday).net, D('1.00'))
        self.assertEqual(at_one_am(monday).net, D('10.00'))

    def test_first_band_wins(self):
        spec = TariffSpec(price_per_kwh=D('10'), bands=(
                Band(ALL_DAYS, dt.time(10), dt.time(12),
                    price_per_kwh=D('3'), name="a"),
                Band(ALL_DAYS, dt.time(11), dt.time(13),
                    price_per_kwh=D('5'), name="b")))
        start = utc(2026, 6, 1, 10)
        breakdown = price(spec, start, start + minutes(240),
            constant_power(start, start + minutes(240), 1000))
        self.assertEqual(lines_of(breakdown, 'energy'), [
                ('energy', "a", D('2.000'), D('6.00')),
                ('energy', "b", D('1.000'), D('5.00')),
                ('energy', '', D('1.000'), D('10.00')),
                ])


class BerlinDSTTestCase(unittest.TestCase):
    "Bands in local time across the DST changes of Europe/Berlin"

    spec = TariffSpec(
        price_per_kwh=D('0.40'), price_per_minute=D('0.05'),
        timezone='Europe/Berlin',
        bands=(Band(ALL_DAYS, dt.time(22), dt.time(6),
                price_per_kwh=D('0.20'), name="night"),))

    def test_spring_forward(self):
        "Night of 2026-03-28/29 lasts 7 hours: 21:00-04:00 UTC"
        start, stop = utc(2026, 3, 28, 21), utc(2026, 3, 29, 5)
        breakdown = price(self.spec, start, stop,
            constant_power(start, stop, 7000))
        self.assertEqual(lines_of(breakdown), [
                ('energy', "night", D('49.000'), D('9.80')),
                ('energy', '', D('7.000'), D('2.80')),
                ('charging_time', '', D('480'), D('24.00')),
                ])
        self.assertEqual(breakdown.net, D('36.60'))

    def test_fall_back(self):
        "Night of 2026-10-24/25 lasts 9 hours: 20:00-05:00 UTC"
        start, stop = utc(2026, 10, 24, 20), utc(2026, 10, 25, 6)
        breakdown = price(self.spec, start, stop,
            constant_power(start, stop, 7000))
        self.assertEqual(lines_of(breakdown, 'energy'), [
                ('energy', "night", D('63.000'), D('12.60')),
                ('energy', '', D('7.000'), D('2.80')),
                ])
        self.assertEqual(breakdown.net, D('45.40'))

    def test_band_starting_in_the_gap(self):
        "02:30 does not exist on 2026-03-29: the band starts at the jump"
        spec = TariffSpec(price_per_minute=D('1'), timezone='Europe/Berlin',
            bands=(Band(frozenset({6}), dt.time(2, 30), dt.time(4),
                    price_per_minute=D('3'), name="gap"),))
        start, stop = utc(2026, 3, 29, 0), utc(2026, 3, 29, 3)
        parts = segments(spec, start, stop)
        self.assertEqual([(p.start, p.end, p.band) for p in parts], [
                (start, utc(2026, 3, 29, 1), None),
                # 03:00 CEST (the jump) to 04:00 CEST
                (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2), 0),
                (utc(2026, 3, 29, 2), stop, None),
                ])
        self.assertEqual(price(spec, start, stop).net, D('300.00'))

    def test_ambiguous_time_is_its_first_occurrence(self):
        "02:30 happens twice on 2026-10-25: the band starts at the first"
        spec = TariffSpec(timezone='Europe/Berlin', bands=(
                Band(frozenset({6}), dt.time(2, 30), dt.time(3),
                    price_per_minute=D('1'), name="twice"),))
        start, stop = utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)
        parts = segments(spec, start, stop)
        # 02:30 CEST = 00:30 UTC, 03:00 CET = 02:00 UTC
        self.assertEqual([(p.start, p.end, p.band) for p in parts], [
                (start, utc(2026, 10, 25, 0, 30), None),
                (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2), 0),
                (utc(2026, 10, 25, 2), stop, None),
                ])


class MeterTestCase(unittest.TestCase):
    "Energy from the meter samples"

    spec = TariffSpec(price_per_kwh=D('10'), bands=(Band(ALL_DAYS,
                dt.time(12, 1), dt.time(13), price_per_kwh=D('20'),
                name="peak"),))
    start = utc(2026, 6, 1, 12)

    def test_interpolation(self):
        "1000 Wh over 3 minutes, 1 before the band: exact thirds"
        stop = self.start + minutes(3)
        samples = [Sample(self.start, 0), Sample(stop, 1000)]
        parts = segments(self.spec, self.start, stop, samples)
        self.assertEqual([p.energy_wh for p in parts],
            [Fraction(1000, 3), Fraction(2000, 3)])
        # each line is rounded up to the 1 Wh step on its own
        self.assertEqual(lines_of(price(self.spec, self.start, stop,
                    samples), 'energy'), [
                ('energy', '', D('0.334'), D('3.34')),
                ('energy', "peak", D('0.667'), D('13.34')),
                ])

    def test_decreasing_reading(self):
        "A meter cannot give energy back: a lower reading counts as flat"
        stop = self.start + minutes(2)
        samples = [Sample(self.start, 5000),
            Sample(self.start + minutes(0.5), 7000),
            Sample(self.start + minutes(0.5), 6500),
            # lower than before, across the band boundary at 12:01
            Sample(self.start + minutes(1.5), 6000),
            Sample(stop, 8000)]
        parts = segments(self.spec, self.start, stop, samples)
        self.assertEqual([p.energy_wh for p in parts], [2000, 1000])
        breakdown = price(self.spec, self.start, stop, samples)
        self.assertEqual(breakdown.energy_wh, 3000)
        self.assertEqual(breakdown.net, D('40.00'))

    def test_samples_outside_the_session(self):
        "Interpolated at start and stop"
        samples = [Sample(self.start - minutes(10), 0),
            Sample(self.start + minutes(10), 2000)]
        breakdown = price(TariffSpec(price_per_kwh=D('1')), self.start,
            self.start + minutes(5), samples)
        self.assertEqual(breakdown.energy_wh, 500)
        self.assertEqual(breakdown.net, D('0.50'))


class IdleTestCase(unittest.TestCase):
    "Idle fees only after the grace period"

    spec = TariffSpec(price_per_kwh=D('10'),
        idle_price_per_minute=D('10'), idle_grace_minutes=15)
    start = utc(2026, 6, 1, 12)

    def price(self, stop_minutes, *changes):
        stop = self.start + minutes(stop_minutes)
        return price(self.spec, self.start, stop,
            [Sample(self.start, 0), Sample(self.start + minutes(60), 20000)],
            charging_from(self.start, *changes))

    def test_within_grace(self):
        breakdown = self.price(75, (60, 'idle'))
        self.assertEqual(lines_of(breakdown), [
                ('energy', '', D('20.000'), D('200.00'))])
        self.assertEqual(breakdown.idle_seconds, 15 * 60)
        self.assertEqual(breakdown.idle_billed_seconds, 0)

    def test_after_grace(self):
        breakdown = self.price(100, (60, 'idle'))
        self.assertEqual(lines_of(breakdown, 'idle_time'), [
                ('idle_time', '', D('25'), D('250.00'))])
        self.assertEqual(breakdown.net, D('450.00'))

    def test_step_after_grace(self):
        "One second after the grace is one whole minute"
        breakdown = price(self.spec, self.start,
            self.start + dt.timedelta(minutes=75, seconds=1),
            timeline=charging_from(self.start, (60, 'idle')))
        self.assertEqual(lines_of(breakdown), [
                ('idle_time', '', D('1'), D('10.00'))])

    def test_grace_is_used_once(self):
        "Charging again within the grace does not start a new one"
        breakdown = self.price(
            110, (60, 'idle'), (70, 'charging'), (80, 'idle'))
        self.assertEqual(breakdown.idle_seconds, 40 * 60)
        # 60-70 is free, 80-110 is billed (the grace ended at 75)
        self.assertEqual(lines_of(breakdown, 'idle_time'), [
                ('idle_time', '', D('30'), D('300.00'))])

    def test_band_idle_price(self):
        spec = TariffSpec(idle_price_per_minute=D('10'),
            idle_grace_minutes=10, bands=(Band(ALL_DAYS, dt.time(13),
                    dt.time(14), idle_price_per_minute=D('2'),
                    name="afternoon"),))
        breakdown = price(spec, self.start, self.start + minutes(90),
            timeline=charging_from(self.start, (30, 'idle')))
        self.assertEqual(lines_of(breakdown), [
                ('idle_time', '', D('20'), D('200.00')),
                ('idle_time', "afternoon", D('30'), D('60.00')),
                ])


class BoundsTestCase(unittest.TestCase):
    "min_price and max_price bound the net after discounts"

    spec = TariffSpec(price_per_kwh=D('10'), min_price=D('100'),
        max_price=D('500'))
    start = utc(2026, 6, 1, 12)

    def price(self, wh, *allowances):
        stop = self.start + minutes(60)
        return price(self.spec, self.start, stop,
            [Sample(self.start, 0), Sample(stop, wh)],
            allowances=allowances)

    def test_minimum(self):
        breakdown = self.price(5000)
        self.assertEqual(lines_of(breakdown), [
                ('energy', '', D('5.000'), D('50.00')),
                ('minimum', '', D('1'), D('50.00'))])
        self.assertEqual(breakdown.net, D('100.00'))

    def test_maximum(self):
        breakdown = self.price(60000)
        self.assertEqual(lines_of(breakdown, 'maximum'), [
                ('maximum', '', D('1'), D('-100.00'))])
        self.assertEqual(breakdown.net, D('500.00'))

    def test_between(self):
        breakdown = self.price(30000)
        self.assertEqual(breakdown.net, D('300.00'))
        self.assertEqual(len(breakdown.lines), 1)

    def test_minimum_after_discount(self):
        breakdown = self.price(20000, Allowance('fixed', 'promo:A',
                amount=D('150')))
        self.assertEqual(lines_of(breakdown)[1:], [
                ('discount', '', D('1'), D('-150.00')),
                ('minimum', '', D('1'), D('50.00'))])
        self.assertEqual(breakdown.net, D('100.00'))

    def test_maximum_after_discount(self):
        breakdown = self.price(80000, Allowance('percentage', 'promo:B',
                rate=D('0.25')))
        self.assertEqual(lines_of(breakdown)[1:], [
                ('discount', '', D('1'), D('-200.00')),
                ('maximum', '', D('1'), D('-100.00'))])
        self.assertEqual(breakdown.net, D('500.00'))

    def test_empty_session_pays_the_minimum(self):
        self.assertEqual(self.price(0).net, D('100.00'))


class StepRoundingTestCase(unittest.TestCase):
    "Steps rounded up per line, amounts rounded per `rounding`"
    start = utc(2026, 6, 1, 12)

    def energy(self, unit_price, rounding, wh=1, step=1000, digits=2):
        spec = TariffSpec(price_per_kwh=D(unit_price), rounding=rounding,
            energy_step_wh=step, currency_digits=digits)
        stop = self.start + minutes(10)
        return price(spec, self.start, stop,
            [Sample(self.start, 0), Sample(stop, wh)])

    def test_energy_step(self):
        breakdown = self.energy('10', 'half_up', wh=1234, step=500)
        self.assertEqual(lines_of(breakdown), [
                ('energy', '', D('1.500'), D('15.00'))])
        self.assertEqual(breakdown.energy_wh, 1234)
        self.assertEqual(
            self.energy('10', 'half_up', wh=1500, step=500).net, D('15.00'))

    def test_rounding_modes(self):
        expected = {
            # price: half_up, up, down
            '10.005': ('10.01', '10.01', '10.00'),
            '10.002': ('10.00', '10.01', '10.00'),
            '10.007': ('10.01', '10.01', '10.00'),
            '10.000': ('10.00', '10.00', '10.00'),
            }
        for unit_price, amounts in expected.items():
            for rounding, amount in zip(('half_up', 'up', 'down'), amounts):
                with self.subTest(price=unit_price, rounding=rounding):
                    self.assertEqual(
                        self.energy(unit_price, rounding).net, D(amount))

    def test_currency_digits(self):
        self.assertEqual(self.energy('10.5', 'half_up', digits=0).net,
            D('11'))
        self.assertEqual(self.energy('10.5', 'down', digits=0).net, D('10'))
        self.assertEqual(self.energy('10.0005', 'up', digits=3).net,
            D('10.001'))

    def test_time_step(self):
        spec = TariffSpec(price_per_minute=D('1'), time_step_seconds=300)
        for seconds, amount in ((300, '5.00'), (301, '10.00'), (1, '5.00')):
            with self.subTest(seconds=seconds):
                breakdown = price(spec, self.start,
                    self.start + dt.timedelta(seconds=seconds))
                self.assertEqual(breakdown.net, D(amount))
        self.assertEqual(price(spec, self.start, self.start).lines, ())

    def test_time_step_in_seconds(self):
        "A 1 s step shows 4 decimals of minutes; the amount uses seconds"
        spec = TariffSpec(price_per_minute=D('6'), time_step_seconds=1)
        breakdown = price(spec, self.start,
            self.start + dt.timedelta(seconds=70))
        self.assertEqual(lines_of(breakdown), [
                ('charging_time', '', D('1.1667'), D('7.00'))])

    def test_step_per_band_line(self):
        "Each band line is rounded up on its own"
        spec = TariffSpec(price_per_minute=D('1'), bands=(Band(ALL_DAYS,
                    dt.time(12, 1), dt.time(13), price_per_minute=D('2'),
                    name="b"),))
        start = utc(2026, 6, 1, 12, 0, 30)
        breakdown = price(spec, start, start + minutes(1))
        self.assertEqual(lines_of(breakdown), [
                ('charging_time', '', D('1'), D('1.00')),
                ('charging_time', "b", D('1'), D('2.00'))])

    def test_percentage_rounding(self):
        spec = TariffSpec(price_per_kwh=D('100.10'))
        stop = self.start + minutes(10)
        samples = [Sample(self.start, 0), Sample(stop, 1000)]
        promo = Allowance('percentage', 'promo:P', rate=D('0.15'))
        for rounding, discount in (
                ('half_up', '-15.02'), ('up', '-15.02'), ('down', '-15.01')):
            with self.subTest(rounding=rounding):
                breakdown = price(TariffSpec(price_per_kwh=D('100.10'),
                        rounding=rounding), self.start, stop, samples,
                    allowances=[promo])
                self.assertEqual(breakdown.lines[-1].amount, D(discount))
        self.assertEqual(price(spec, self.start, stop, samples,
                allowances=[promo]).allowance_used,
            (('percentage', D('15.02')),))

    def test_tax(self):
        spec = TariffSpec(price_per_kwh=D('10'), tax_rate=D('0.2'),
            rounding='down')
        stop = self.start + minutes(10)
        breakdown = price(spec, self.start, stop,
            [Sample(self.start, 0), Sample(stop, 1234)])
        self.assertEqual((breakdown.net, breakdown.tax, breakdown.total),
            (D('12.34'), D('2.46'), D('14.80')))

    def test_tax_included(self):
        spec = TariffSpec(start_fee=D('50'), price_per_kwh=D('12'),
            tax_rate=D('0.20'), tax_included=True, min_price=D('240'))
        stop = self.start + minutes(10)
        breakdown = price(spec, self.start, stop,
            [Sample(self.start, 0), Sample(stop, 10000)])
        self.assertEqual(
            [(l.kind, l.unit_price, l.amount) for l in breakdown.lines], [
                ('start_fee', D('41.666667'), D('41.67')),
                ('energy', D('10.000000'), D('100.00')),
                # 240 with tax is 200.00 net
                ('minimum', D('58.33'), D('58.33')),
                ])
        self.assertEqual((breakdown.net, breakdown.tax, breakdown.total),
            (D('200.00'), D('40.00'), D('240.00')))


class AllowanceTestCase(unittest.TestCase):
    "Subscriptions and promo codes: discount lines and what they used"

    spec = TariffSpec(start_fee=D('50'), price_per_kwh=D('10'),
        price_per_minute=D('2'), idle_price_per_minute=D('5'),
        bands=(Band(ALL_DAYS, dt.time(13), dt.time(14),
                price_per_kwh=D('5'), name="cheap"),))
    # 12:00-14:00 UTC: 6 kWh at 10 then 8 kWh at 5, idle from 13:30
    start = utc(2026, 6, 1, 12)
    stop = utc(2026, 6, 1, 14)
    samples = (Sample(start, 0), Sample(utc(2026, 6, 1, 13), 6000),
        Sample(utc(2026, 6, 1, 13, 30), 14000))
    timeline = charging_from(start, (90, 'idle'))

    def price(self, *allowances):
        return price(self.spec, self.start, self.stop, self.samples,
            self.timeline, allowances)

    def test_without(self):
        breakdown = self.price()
        self.assertEqual(lines_of(breakdown), [
                ('start_fee', '', D('1'), D('50.00')),
                ('energy', '', D('6.000'), D('60.00')),
                ('energy', "cheap", D('8.000'), D('40.00')),
                ('charging_time', '', D('90'), D('180.00')),
                ('idle_time', '', D('30'), D('150.00')),
                ])
        self.assertEqual(breakdown.net, D('480.00'))

    def test_free_kwh_running_out(self):
        "10 kWh left: the first 6 at 10, then 4 of the 8 at 5"
        breakdown = self.price(
            Allowance('free_kwh', 'subscription:7', quantity_wh=10000))
        self.assertEqual(
            [(l.band, l.quantity, l.unit_price, l.amount, l.source)
                for l in breakdown.lines if l.kind == 'discount'], [
                ('', D('6.000'), D('-10'), D('-60.00'), 'subscription:7'),
                ("cheap", D('4.000'), D('-5'), D('-20.00'),
                    'subscription:7'),
                ])
        self.assertEqual(breakdown.net, D('400.00'))
        self.assertEqual(breakdown.allowance_used, (('free_kwh', 10000),))

    def test_free_kwh_more_than_used(self):
        breakdown = self.price(
            Allowance('free_kwh', 'subscription:7', quantity_wh=50000))
        self.assertEqual(breakdown.net, D('380.00'))
        self.assertEqual(breakdown.allowance_used, (('free_kwh', 14000),))

    def test_two_free_kwh_follow_each_other(self):
        breakdown = self.price(
            Allowance('free_kwh', 'subscription:7', quantity_wh=3000),
            Allowance('free_kwh', 'promo:KWH', quantity_wh=5000))
        self.assertEqual(
            [(l.band, l.amount, l.source) for l in breakdown.lines
                if l.kind == 'discount'], [
                ('', D('-30.00'), 'subscription:7'),
                ('', D('-30.00'), 'promo:KWH'),
                ("cheap", D('-10.00'), 'promo:KWH'),
                ])
        self.assertEqual(breakdown.allowance_used,
            (('free_kwh', 3000), ('free_kwh', 5000)))

    def test_free_kwh_skips_free_energy(self):
        "Energy priced at zero is not taken from the allowance"
        spec = TariffSpec(price_per_kwh=D('10'), bands=(Band(ALL_DAYS,
                    dt.time(12), dt.time(13), price_per_kwh=D('0'),
                    name="free"),))
        breakdown = price(spec, self.start, self.stop, self.samples,
            allowances=[Allowance('free_kwh', 's', quantity_wh=5000)])
        self.assertEqual(breakdown.allowance_used, (('free_kwh', 5000),))
        self.assertEqual(lines_of(breakdown), [
                ('energy', '', D('8.000'), D('80.00')),
                ('discount', '', D('5.000'), D('-50.00')),
                ])

    def test_free_minutes(self):
        "Charging time only, never idle time"
        breakdown = self.price(
            Allowance('free_minutes', 'subscription:7', minutes=100))
        self.assertEqual(lines_of(breakdown, 'discount'), [
                ('discount', '', D('90'), D('-180.00'))])
        self.assertEqual(breakdown.allowance_used,
            (('free_minutes', D('90.00')),))
        breakdown = self.price(
            Allowance('free_minutes', 'subscription:7', minutes=30))
        self.assertEqual(breakdown.net, D('420.00'))
        self.assertEqual(breakdown.allowance_used,
            (('free_minutes', D('30.00')),))

    def test_percentage(self):
        breakdown = self.price(
            Allowance('percentage', 'promo:TEN', rate=D('0.10')))
        self.assertEqual(lines_of(breakdown, 'discount'), [
                ('discount', '', D('1'), D('-48.00'))])
        self.assertEqual(breakdown.net, D('432.00'))

    def test_fixed(self):
        breakdown = self.price(
            Allowance('fixed', 'promo:HUNDRED', amount=D('100')))
        self.assertEqual(breakdown.net, D('380.00'))
        self.assertEqual(breakdown.allowance_used,
            (('fixed', D('100.00')),))
        breakdown = self.price(
            Allowance('fixed', 'promo:BIG', amount=D('1000')))
        self.assertEqual(breakdown.net, D('0.00'))
        self.assertEqual(breakdown.allowance_used,
            (('fixed', D('480.00')),))

    def test_free_start_fee(self):
        breakdown = self.price(Allowance('free_start_fee', 'subscription:7'),
            Allowance('free_start_fee', 'promo:START'))
        self.assertEqual(lines_of(breakdown, 'discount'), [
                ('discount', '', D('1'), D('-50.00'))])
        self.assertEqual(breakdown.allowance_used,
            (('free_start_fee', 1), ('free_start_fee', 0)))
        self.assertEqual(breakdown.net, D('430.00'))

    def test_free_units_before_percentages(self):
        "Whatever the order given; the usage keeps the order given"
        free = Allowance('free_kwh', 'subscription:7', quantity_wh=6000)
        percent = Allowance('percentage', 'promo:HALF', rate=D('0.5'))
        first = self.price(percent, free)
        second = self.price(free, percent)
        self.assertEqual(first.lines, second.lines)
        self.assertEqual(first.net, D('210.00'))
        self.assertEqual(first.allowance_used,
            (('percentage', D('210.00')), ('free_kwh', 6000)))

    def test_reservation(self):
        spec = TariffSpec(reservation_fee=D('30'), price_per_kwh=D('1'))
        self.assertEqual(lines_of(price(spec, self.start, self.stop,
                    reserved=True)), [('reservation', '', D('1'), D('30.00'))])
        self.assertEqual(price(spec, self.start, self.stop).lines, ())


class QuoteEstimateTestCase(unittest.TestCase):

    spec = MoscowBandsMidnightTestCase.spec

    def test_quote(self):
        "30 kWh in 45 minutes from Thursday 21:30 MSK"
        breakdown = quote(self.spec, utc(2026, 12, 3, 18, 30), 30000, 45)
        self.assertEqual(lines_of(breakdown), [
                ('start_fee', '', D('1'), D('50.00')),
                ('energy', '', D('20.000'), D('300.00')),
                ('energy', "evening", D('10.000'), D('200.00')),
                ('charging_time', '', D('45'), D('90.00')),
                ])
        self.assertEqual(breakdown.total, D('768.00'))

    def test_quote_with_allowance(self):
        breakdown = quote(self.spec, utc(2026, 12, 3, 10), 30000, 45,
            [Allowance('free_start_fee', 'promo:S')])
        self.assertEqual(breakdown.net, D('540.00'))

    def test_live_estimate(self):
        "stop_at None: up to the last sample or status change"
        case = MoscowBandsMidnightTestCase
        live = price(self.spec, case.start, None, case.samples[:3])
        self.assertEqual(live, price(self.spec, case.start,
                utc(2026, 12, 3, 20, 50), case.samples[:3]))
        self.assertEqual(live.energy_wh, 26000)


class ValidationJsonTestCase(unittest.TestCase):

    def test_invalid(self):
        with self.assertRaises(TypeError):
            TariffSpec(price_per_kwh=1.5)
        for spec in (
                TariffSpec(price_per_kwh=D('-1')),
                TariffSpec(energy_step_wh=0),
                TariffSpec(rounding='half_even'),
                TariffSpec(timezone='Mars/Olympus'),
                TariffSpec(min_price=D('10'), max_price=D('5')),
                TariffSpec(bands=(Band(frozenset({7}), dt.time(1),
                            dt.time(2)),)),
                ):
            with self.subTest(spec=spec), self.assertRaises(ValueError):
                validate_spec(spec)
        start = utc(2026, 1, 1)
        with self.assertRaises(ValueError):
            price(TariffSpec(), start, start,
                timeline=[StatusChange(start, 'Charging')])
        with self.assertRaises(ValueError):
            price(TariffSpec(), start, start,
                allowances=[Allowance('percentage', 'p', rate=D('1.5'))])

    def test_spec_json(self):
        spec = MoscowBandsMidnightTestCase.spec
        text = spec_to_json(spec)
        self.assertEqual(spec_from_json(text), spec)
        self.assertEqual(spec_to_json(spec_from_json(text)), text)
        self.assertIn('"price_per_kwh": "7.5"', text)
        self.assertIn('"start": "22:00:00"', text)
        with self.assertRaises(ValueError):
            spec_from_json('{"surprise": 1}')

    def test_breakdown_json(self):
        breakdown = AllowanceTestCase('test_without').price(
            Allowance('free_minutes', 's', minutes=3),
            Allowance('fixed', 'f', amount=D('1')))
        self.assertEqual(
            breakdown_from_json(breakdown_to_json(breakdown)), breakdown)

    def test_unit_prices_as_written(self):
        "Equal specs written differently keep their own unit prices"
        start = utc(2026, 6, 1)
        for text in ('12', '12.00', '12.0', '12'):
            with self.subTest(price=text):
                line, = price(TariffSpec(price_per_kwh=D(text)), start,
                    start + minutes(1), [Sample(start, 0),
                        Sample(start + minutes(1), 1000)]).lines
                self.assertEqual(str(line.unit_price), text)

    def test_input_types(self):
        "Aware instants are converted, microseconds dropped"
        spec = TariffSpec(price_per_minute=D('1'))
        aware = dt.datetime(2026, 6, 1, 15, tzinfo=ZoneInfo('Europe/Moscow'))
        self.assertEqual(
            price(spec, aware, aware + minutes(10)),
            price(spec, utc(2026, 6, 1, 12, 0, 0, 999),
                utc(2026, 6, 1, 12, 10, 0, 1)))


# --- properties -----------------------------------------------------------

ZONES = ('UTC', 'Europe/Moscow', 'Asia/Kolkata', 'Europe/Berlin',
    'America/New_York', 'Australia/Lord_Howe')
FIXED_ZONES = ZONES[:3]     # no DST: the wall clock is a simple oracle
# instants near DST changes of the zones above, and ordinary ones
ANCHORS = (utc(2026, 3, 29, 0), utc(2026, 10, 25, 0), utc(2026, 3, 8, 6),
    utc(2026, 11, 1, 5), utc(2026, 4, 4, 14), utc(2026, 10, 3, 15),
    utc(2026, 6, 1, 0), utc(2026, 12, 31, 20))
ROUNDING_ORACLE = {
    'half_up': lambda x: math.floor(x + Fraction(1, 2)),
    'up': math.ceil,
    'down': math.floor,
    }

prices = st.decimals(min_value=0, max_value=50, places=3,
    allow_nan=False, allow_infinity=False)
band_prices = st.one_of(st.none(), prices)
times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30]),
    st.sampled_from([0, 0, 0, 17]))
bands = st.builds(Band,
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    start=times, end=times, price_per_kwh=band_prices,
    price_per_minute=band_prices, idle_price_per_minute=band_prices,
    name=st.sampled_from(['a', 'b', 'c', '']))


@st.composite
def specs(draw, zones=ZONES):
    low = draw(st.one_of(st.none(), prices.map(lambda p: p * 10)))
    high = draw(st.one_of(st.none(), prices.map(lambda p: p * 20)))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return TariffSpec(
        currency_digits=draw(st.integers(0, 3)),
        start_fee=draw(prices), price_per_kwh=draw(prices),
        price_per_minute=draw(prices),
        idle_price_per_minute=draw(prices),
        idle_grace_minutes=draw(st.integers(0, 30)),
        reservation_fee=draw(prices), min_price=low, max_price=high,
        energy_step_wh=draw(st.sampled_from([1, 10, 100, 250, 1000])),
        time_step_seconds=draw(st.sampled_from([1, 30, 60, 300, 900])),
        rounding=draw(st.sampled_from(['half_up', 'up', 'down'])),
        timezone=draw(st.sampled_from(zones)),
        bands=tuple(draw(st.lists(bands, max_size=3))),
        tax_rate=draw(st.sampled_from([D(0), D('0.2'), D('0.1'),
                    D('0.075')])),
        tax_included=draw(st.booleans()))


@st.composite
def sessions(draw):
    "(start, stop, sample increments, timeline) in whole seconds"
    start = draw(st.sampled_from(ANCHORS)) + dt.timedelta(
        seconds=draw(st.integers(-12 * 3600, 12 * 3600)))
    duration = draw(st.integers(0, 30 * 3600))
    stop = start + dt.timedelta(seconds=duration)
    offsets = sorted(set(draw(st.lists(
                    st.integers(0, duration), max_size=12))) | {0})
    increments = draw(st.lists(st.integers(0, 40000),
            min_size=len(offsets), max_size=len(offsets)))
    changes = draw(st.lists(st.tuples(st.integers(0, duration),
                st.sampled_from(['charging', 'idle'])), max_size=6))
    meter_start = draw(st.integers(0, 10 ** 6))
    return start, stop, offsets, increments, changes, meter_start


def make_samples(start, offsets, increments, meter_start):
    total, result = meter_start, []
    for offset, increment in zip(offsets, increments):
        # the first increment is before the first sample: not metered
        total += increment if result else 0
        result.append(Sample(start + dt.timedelta(seconds=offset), total))
    return result


def make_timeline(start, changes):
    return [StatusChange(start + dt.timedelta(seconds=o), s)
        for o, s in changes]


allowances = st.lists(st.one_of(
        st.builds(Allowance, kind=st.just('free_kwh'),
            source=st.just('s:1'), quantity_wh=st.integers(0, 60000)),
        st.builds(Allowance, kind=st.just('free_minutes'),
            source=st.just('s:1'), minutes=st.integers(0, 300)),
        st.builds(Allowance, kind=st.just('free_start_fee'),
            source=st.just('p:S')),
        st.builds(Allowance, kind=st.just('percentage'),
            source=st.just('p:P'), rate=st.decimals(min_value=0,
                max_value=1, places=2)),
        st.builds(Allowance, kind=st.just('fixed'), source=st.just('p:F'),
            amount=prices)), max_size=4)

SETTINGS = settings(deadline=None, max_examples=150,
    suppress_health_check=[HealthCheck.too_slow])


def round_oracle(value, spec):
    "value (Fraction or Decimal) rounded as documented, independently"
    value = Fraction(value)
    scale = 10 ** spec.currency_digits
    sign = -1 if value < 0 else 1
    whole = ROUNDING_ORACLE[spec.rounding](abs(value) * scale)
    return Decimal(sign * whole) / scale


def band_at(spec, instant):
    "The band in force by the wall clock (fixed-offset zones only)"
    wall = instant.replace(tzinfo=UTC).astimezone(
        ZoneInfo(spec.timezone)).replace(tzinfo=None)
    for index, band in enumerate(spec.bands):
        begin, end = band.start, band.end
        clock = wall.time()
        if end > begin:
            if wall.weekday() in band.weekdays and begin <= clock < end:
                return index
        else:
            if wall.weekday() in band.weekdays and clock >= begin:
                return index
            yesterday = (wall.weekday() - 1) % 7
            if yesterday in band.weekdays and clock < end:
                return index
    return None


class PropertyTestCase(unittest.TestCase):

    @SETTINGS
    @given(specs(), sessions(), allowances, st.booleans(),
        st.lists(st.integers(0, 20000), min_size=13, max_size=13))
    def test_monotonic_energy(self, spec, session, allowed, reserved, more):
        "More energy at any time never costs less"
        start, stop, offsets, increments, changes, meter = session
        timeline = make_timeline(start, changes)
        grown = [i + m for i, m in zip(increments, more)]
        less = price(spec, start, stop,
            make_samples(start, offsets, increments, meter), timeline,
            allowed, reserved)
        more = price(spec, start, stop,
            make_samples(start, offsets, grown, meter), timeline, allowed,
            reserved)
        self.assertGreaterEqual(more.energy_wh, less.energy_wh)
        self.assertGreaterEqual(more.net, less.net)
        self.assertGreaterEqual(more.total, less.total)

    @SETTINGS
    @given(specs(), sessions(), allowances, st.integers(0, 20 * 3600))
    def test_monotonic_time(self, spec, session, allowed, extra):
        "A later stop never costs less"
        start, stop, offsets, increments, changes, meter = session
        samples = make_samples(start, offsets, increments, meter)
        timeline = make_timeline(start, changes)
        shorter = price(spec, start, stop, samples, timeline, allowed)
        longer = price(spec, start, stop + dt.timedelta(seconds=extra),
            samples, timeline, allowed)
        self.assertGreaterEqual(longer.net, shorter.net)
        self.assertGreaterEqual(longer.total, shorter.total)

    @SETTINGS
    @given(specs(), sessions())
    def test_splits_sum_to_totals(self, spec, session):
        start, stop, offsets, increments, changes, meter = session
        samples = make_samples(start, offsets, increments, meter)
        timeline = make_timeline(start, changes)
        parts = segments(spec, start, stop, samples, timeline)
        energy = samples[-1].energy_wh - samples[0].energy_wh
        seconds = int((stop - start).total_seconds())
        self.assertEqual(sum(p.energy_wh for p in parts), energy)
        self.assertEqual(sum(p.seconds for p in parts), seconds)
        for before, after in zip(parts, parts[1:]):
            self.assertEqual(before.end, after.start)
        if parts:
            self.assertEqual((parts[0].start, parts[-1].end), (start, stop))
        breakdown = price(spec, start, stop, samples, timeline)
        self.assertEqual(breakdown.energy_wh, energy)
        self.assertEqual(
            breakdown.charging_seconds + breakdown.idle_seconds, seconds)
        # billed quantities: each line is its band's raw part, stepped up
        raw = {}
        for part in parts:
            band = part.band
            key = spec.bands[band].name if band is not None and (
                spec.bands[band].price_per_kwh is not None) else ''
            raw[key] = raw.get(key, 0) + part.energy_wh
        for line in breakdown.lines:
            if line.kind != 'energy':
                continue
            wh = line.quantity * 1000
            self.assertEqual(wh % spec.energy_step_wh, 0)
            if len({b.name for b in spec.bands}) == len(spec.bands) and (
                    '' not in {b.name for b in spec.bands}):
                self.assertGreaterEqual(wh, raw[line.band])
                self.assertLess(wh, raw[line.band] + spec.energy_step_wh)

    @SETTINGS
    @given(specs(zones=FIXED_ZONES), sessions())
    def test_bands_by_wall_clock(self, spec, session):
        "Without DST, each segment's band is the first by the wall clock"
        start, stop, offsets, increments, changes, meter = session
        parts = segments(spec, start, stop)
        for part in parts:
            self.assertEqual(part.band, band_at(spec, part.start))
            self.assertEqual(part.band,
                band_at(spec, part.end - dt.timedelta(seconds=1)))

    @SETTINGS
    @given(specs(), sessions(), allowances, st.booleans())
    def test_rounding_and_bounds(self, spec, session, allowed, reserved):
        "Amounts as documented; net = lines; min <= net <= max; tax"
        start, stop, offsets, increments, changes, meter = session
        breakdown = price(spec, start, stop,
            make_samples(start, offsets, increments, meter),
            make_timeline(start, changes), allowed, reserved)
        quantum = Decimal(1).scaleb(-spec.currency_digits)
        for line in breakdown.lines:
            self.assertEqual(line.amount, line.amount.quantize(quantum))
            if line.kind == 'energy':
                self.assertEqual(line.amount, round_oracle(
                        line.quantity * line.unit_price, spec))
            elif line.kind in ('charging_time', 'idle_time') and (
                    line.quantity == line.quantity.to_integral_value()):
                self.assertEqual(line.amount, round_oracle(
                        line.quantity * line.unit_price, spec))
            elif line.kind == 'discount':
                self.assertLess(line.amount, 0)
            if line.kind in ('energy', 'charging_time', 'idle_time'):
                self.assertGreater(line.unit_price, 0)
                self.assertGreater(line.amount, -1)
        self.assertEqual(breakdown.net,
            sum(line.amount for line in breakdown.lines))
        self.assertGreaterEqual(breakdown.net, 0)
        net_min = net_max = None
        divisor = 1 + spec.tax_rate if spec.tax_included else 1
        if spec.min_price is not None:
            net_min = round_oracle(spec.min_price / divisor, spec)
            self.assertGreaterEqual(breakdown.net, net_min)
        if spec.max_price is not None:
            net_max = round_oracle(spec.max_price / divisor, spec)
            self.assertLessEqual(breakdown.net, net_max)
        kinds = [line.kind for line in breakdown.lines]
        self.assertLessEqual(kinds.count('minimum') + kinds.count('maximum'),
            1)
        if 'minimum' in kinds:
            self.assertEqual(breakdown.net, net_min)
        if 'maximum' in kinds:
            self.assertEqual(breakdown.net, net_max)
        self.assertEqual(breakdown.tax,
            round_oracle(breakdown.net * spec.tax_rate, spec))
        self.assertEqual(breakdown.total, breakdown.net + breakdown.tax)

    @SETTINGS
    @given(specs(), sessions(), allowances)
    def test_allowances(self, spec, session, allowed):
        "Discounts only lower the price, by what they report"
        start, stop, offsets, increments, changes, meter = session
        samples = make_samples(start, offsets, increments, meter)
        timeline = make_timeline(start, changes)
        full = price(spec, start, stop, samples, timeline)
        reduced = price(spec, start, stop, samples, timeline, allowed)
        self.assertLessEqual(reduced.net, full.net)
        self.assertEqual(len(reduced.allowance_used), len(allowed))
        by_source = {}
        for line in reduced.lines:
            if line.kind == 'discount':
                by_source[line.source] = by_source.get(
                    line.source, 0) - line.amount
        for allowance, (kind, used) in zip(allowed, reduced.allowance_used):
            self.assertEqual(kind, allowance.kind)
            if kind == 'free_kwh':
                self.assertLessEqual(used, allowance.quantity_wh)
                self.assertLessEqual(used, full.energy_wh)
            elif kind == 'free_minutes':
                self.assertLessEqual(used, allowance.minutes)
                # minutes with 2 decimals, rounded up
                self.assertLess(used * 60, full.charging_seconds + 1)
        if not allowed:
            self.assertEqual(reduced, full)
        charges = sum(l.amount for l in reduced.lines
            if l.kind not in ('discount', 'minimum', 'maximum'))
        self.assertLessEqual(sum(by_source.values(), 0), charges)

    @SETTINGS
    @given(specs(), sessions(), allowances, st.randoms())
    def test_deterministic(self, spec, session, allowed, rnd):
        "Same input, same output, whatever the order of the samples"
        start, stop, offsets, increments, changes, meter = session
        samples = make_samples(start, offsets, increments, meter)
        timeline = make_timeline(start, changes)
        first = price(spec, start, stop, samples, timeline, allowed)
        text = breakdown_to_json(first)
        self.assertEqual(breakdown_to_json(
                price(spec, start, stop, samples, timeline, allowed)), text)
        rnd.shuffle(samples)
        rnd.shuffle(timeline)
        self.assertEqual(breakdown_to_json(
                price(spec, start, stop, samples, timeline, allowed)), text)
        self.assertEqual(breakdown_from_json(text), first)

    @SETTINGS
    @given(specs())
    def test_json_round_trip(self, spec):
        text = spec_to_json(spec)
        again = spec_from_json(text)
        self.assertEqual(again, spec)
        self.assertEqual(spec_to_json(again), text)
        for a, b in zip(again.bands, spec.bands):
            self.assertEqual(str(a.price_per_kwh), str(b.price_per_kwh))
        self.assertEqual(str(again.start_fee), str(spec.start_fee))

    @SETTINGS
    @given(specs(), st.sampled_from(ANCHORS), st.integers(0, 80000),
        st.integers(0, 600))
    def test_quote_is_a_session(self, spec, at, energy, duration):
        "A quote prices the even session it describes"
        stop = at + minutes(duration) if duration else at + dt.timedelta(
            seconds=1)
        self.assertEqual(quote(spec, at, energy, duration),
            price(spec, at, stop, [Sample(at, 0), Sample(stop, energy)],
                [StatusChange(at, 'charging')]))
