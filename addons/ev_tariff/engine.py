# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The tariff engine: prices a charging session (pure, deterministic, Decimal)

No Tryton import: the models build a `TariffSpec` from a tariff version and
call `price()` at stop (or for a live estimate) and `quote()` before start.
The spec is stored on the session as `spec_to_json()`, so editing a tariff
never changes a session already priced.

Units: money is `Decimal`, energy integer Wh, instants naive UTC `datetime`
(aware ones are converted to UTC). Instants and band times are taken to the
second (microseconds are dropped), so every duration is whole seconds.

Semantics (docs and tests rely on them):

- **Meter and status.** Samples are cumulative meter readings; energy between
  two samples is spread linearly over the time between them, a decreasing
  reading counts as the highest one before it (a meter cannot give energy
  back), nothing is metered before the first or after the last sample,
  and samples outside [start, stop] are interpolated at the bounds. The status
  timeline says from when the connector is 'charging' or 'idle'; before the
  first change the session is 'charging' (of two changes at one instant,
  'idle' holds). The order of samples and changes in the input is
  irrelevant.
- **Bands.** A band applies on the local days (station time zone) in
  `weekdays`, from `start` to `end`; `end <= start` means it crosses midnight
  into the next day (the weekday is that of the day the band starts;
  `end == start` is 24 hours). Local times are turned into instants with
  zoneinfo: an ambiguous time (clocks going back) is its first occurrence, a
  time that does not exist (clocks going forward) is the instant of the jump.
  Where bands overlap the first in `spec.bands` wins; outside every band, and
  for a band price left None, the base price applies.
- **Splitting.** The session is cut at band boundaries, status changes and
  the end of the idle grace period (`segments()`); each segment's seconds
  and energy go to the band in force; the parts add up exactly to the totals
  (energy is kept as an exact Fraction).
- **Lines.** A start fee (and a reservation fee when `reserved`); one energy,
  charging time and idle time line per band (base prices: band ''), in the
  order the bands first occur. Idle time is billed after the grace period,
  which starts at the first idle instant of the session and is used once.
  A line appears only for a non-zero unit price and quantity. Each line's
  quantity is rounded UP to whole steps (`energy_step_wh`,
  `time_step_seconds`) on its own, so a session that crosses a band boundary
  may pay one step more than its total rounded up: rounding the total instead
  and billing the excess at one band's price (as OCPI does) can make a
  session with more energy cost less. A line's amount is quantity x unit
  price rounded to `currency_digits` by `rounding`: 'half_up', 'up' (away
  from zero) or 'down' (toward zero), as Decimal's ROUND_HALF_UP, ROUND_UP,
  ROUND_DOWN. Energy quantities are kWh with 3 decimals; time quantities are
  minutes (4 decimals shown when a step is not whole minutes; the amount is
  computed from the exact seconds).
- **Allowances** (subscriptions, promo codes) give negative 'discount' lines
  carrying their `source`. They apply in two stages, each allowance in the
  order given within its stage: first the free units ('free_kwh',
  'free_minutes', 'free_start_fee'), which waive the first chargeable units
  of the session in time order (units priced at zero are not taken from the
  allowance; free minutes cover charging time, never idle time), then
  'percentage' and 'fixed', each on what remains and never below zero.
  Free units are applied before percentages so that the price can never
  fall when energy or time grow. A free-unit discount is the line amount
  without the allowance minus the line amount with it, one discount line per
  band, so quantity x unit price may differ from it in the last digit.
  `Breakdown.allowance_used` has one pair per allowance, in the order given:
  ('free_kwh', Wh int), ('free_minutes', minutes Decimal with 2 decimals,
  rounded up), ('free_start_fee', 0 or 1), ('percentage', amount),
  ('fixed', amount).
- **Minimum and maximum** bound the net after discounts, with a 'minimum' or
  'maximum' line for the difference (a session with nothing to pay still
  pays the minimum).
- **Tax.** `tax = net x tax_rate` rounded by `rounding`; total = net + tax.
  With `tax_included` every amount of the spec (prices, fees, minimum,
  maximum) and every 'fixed' allowance includes tax: unit prices are turned
  into net ones (price / (1 + rate), to currency_digits + 4 decimals) and
  fees, minimum, maximum and fixed amounts into net amounts before pricing,
  so lines are always net of tax.
- **Monotonic and deterministic.** Price never decreases as energy or time
  grow (same timeline otherwise); same input, same output.
"""
import datetime
import functools
import json
import math
from dataclasses import dataclass, fields
from decimal import (
    ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Context, Decimal,
    localcontext)
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    'Band', 'TariffSpec', 'Sample', 'StatusChange', 'Allowance', 'Line',
    'Breakdown', 'Segment', 'price', 'quote', 'segments', 'validate_spec',
    'spec_to_json', 'spec_from_json', 'breakdown_to_json',
    'breakdown_from_json', 'ROUNDINGS', 'STATUSES', 'ALLOWANCE_KINDS',
    'LINE_KINDS']

UTC = datetime.timezone.utc
ROUNDINGS = ('half_up', 'up', 'down')
STATUSES = ('charging', 'idle')
ALLOWANCE_KINDS = (
    'free_kwh', 'free_minutes', 'free_start_fee', 'percentage', 'fixed')
LINE_KINDS = (
    'start_fee', 'reservation', 'energy', 'charging_time', 'idle_time',
    'discount', 'minimum', 'maximum')
_FREE_UNITS = {'free_kwh', 'free_minutes', 'free_start_fee'}
_MODES = {
    'half_up': ROUND_HALF_UP,
    'up': ROUND_UP,
    'down': ROUND_DOWN,
    }
# Wide enough that no product of realistic prices and quantities is ever
# rounded before the deliberate quantize, whatever the caller's context.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_SIXTY = Decimal(60)
_THOUSAND = Decimal(1000)
_KWH = Decimal('0.001')
_MINUTE_QUANTUM = Decimal('0.0001')
_USED_MINUTES = Decimal('0.01')
_SECOND = datetime.timedelta(seconds=1)
_DAY = datetime.timedelta(days=1)


def _decimal(value, name):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        # A float is not exact: 0.1 would be 0.1000000000000000055...
        raise TypeError('%s must be a Decimal, int or str, not %r'
            % (name, value))
    return Decimal(value)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Band:
    weekdays: frozenset
    start: datetime.time
    end: datetime.time
    price_per_kwh: Decimal | None = None
    price_per_minute: Decimal | None = None
    idle_price_per_minute: Decimal | None = None
    name: str = ''

    def __post_init__(self):
        _set(self, 'weekdays', frozenset(self.weekdays))
        for name in (
                'price_per_kwh', 'price_per_minute',
                'idle_price_per_minute'):
            _set(self, name, _decimal(getattr(self, name), name))


@dataclass(frozen=True)
class TariffSpec:
    currency_digits: int = 2
    start_fee: Decimal = _ZERO
    price_per_kwh: Decimal = _ZERO
    price_per_minute: Decimal = _ZERO
    idle_price_per_minute: Decimal = _ZERO
    idle_grace_minutes: int = 0
    reservation_fee: Decimal = _ZERO
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    energy_step_wh: int = 1
    time_step_seconds: int = 60
    rounding: str = 'half_up'
    timezone: str = 'UTC'
    bands: tuple = ()
    tax_rate: Decimal = _ZERO
    tax_included: bool = False

    def __post_init__(self):
        for name in (
                'start_fee', 'price_per_kwh', 'price_per_minute',
                'idle_price_per_minute', 'reservation_fee', 'min_price',
                'max_price', 'tax_rate'):
            _set(self, name, _decimal(getattr(self, name), name))
        _set(self, 'bands', tuple(self.bands))


@dataclass(frozen=True)
class Sample:
    at: datetime.datetime
    energy_wh: int


@dataclass(frozen=True)
class StatusChange:
    at: datetime.datetime
    status: str


@dataclass(frozen=True)
class Allowance:
    kind: str
    source: str
    quantity_wh: int = 0
    minutes: int = 0
    rate: Decimal = _ZERO
    amount: Decimal = _ZERO

    def __post_init__(self):
        _set(self, 'rate', _decimal(self.rate, 'rate'))
        _set(self, 'amount', _decimal(self.amount, 'amount'))


@dataclass(frozen=True)
class Line:
    kind: str
    band: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    source: str = ''


@dataclass(frozen=True)
class Breakdown:
    lines: tuple
    net: Decimal
    tax: Decimal
    total: Decimal
    energy_wh: int
    charging_seconds: int
    idle_seconds: int
    allowance_used: tuple
    # Added to the interface: the idle seconds billed (after the grace).
    idle_billed_seconds: int = 0


@dataclass(frozen=True)
class Segment:
    "A part of the session with one band, one status and linear energy"
    start: datetime.datetime
    end: datetime.datetime
    band: int | None            # index in spec.bands of the band in force
    status: str
    billable: bool              # False for idle time within the grace
    energy_wh: Fraction

    @property
    def seconds(self):
        return int((self.end - self.start).total_seconds())


# --- validation -----------------------------------------------------------

def validate_spec(spec):
    "Raise ValueError when the spec cannot be priced"
    _validate(spec)


@functools.lru_cache(maxsize=256)
def _validate(spec):
    if not isinstance(spec.currency_digits, int) or not (
            0 <= spec.currency_digits <= 8):
        raise ValueError('currency_digits must be an int in 0..8')
    for name in (
            'start_fee', 'price_per_kwh', 'price_per_minute',
            'idle_price_per_minute', 'reservation_fee', 'tax_rate'):
        value = getattr(spec, name)
        if value is None or not value.is_finite() or value < 0:
            raise ValueError('%s must be a Decimal >= 0' % name)
    for name in ('min_price', 'max_price'):
        value = getattr(spec, name)
        if value is not None and (not value.is_finite() or value < 0):
            raise ValueError('%s must be None or a Decimal >= 0' % name)
    if (spec.min_price is not None and spec.max_price is not None
            and spec.min_price > spec.max_price):
        raise ValueError('min_price must not exceed max_price')
    for name in ('energy_step_wh', 'time_step_seconds'):
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool) or (
                value < 1):
            raise ValueError('%s must be an int >= 1' % name)
    if not isinstance(spec.idle_grace_minutes, int) or (
            spec.idle_grace_minutes < 0):
        raise ValueError('idle_grace_minutes must be an int >= 0')
    if spec.rounding not in _MODES:
        raise ValueError('rounding must be one of %s' % ', '.join(ROUNDINGS))
    _zone(spec.timezone)
    for band in spec.bands:
        if not isinstance(band, Band):
            raise ValueError('bands must hold Band instances')
        if not band.weekdays or not all(
                isinstance(d, int) and 0 <= d <= 6 for d in band.weekdays):
            raise ValueError('band weekdays must be ints in 0..6')
        for value in (band.start, band.end):
            if not isinstance(value, datetime.time) or value.tzinfo:
                raise ValueError('band start and end must be naive times')
        for name in (
                'price_per_kwh', 'price_per_minute',
                'idle_price_per_minute'):
            value = getattr(band, name)
            if value is not None and (not value.is_finite() or value < 0):
                raise ValueError('band %s must be None or >= 0' % name)
    return True


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError('unknown time zone %r' % (name,))


def _check_allowance(allowance):
    if allowance.kind not in ALLOWANCE_KINDS:
        raise ValueError('unknown allowance kind %r' % (allowance.kind,))
    if allowance.quantity_wh < 0 or allowance.minutes < 0:
        raise ValueError('allowance quantities must be >= 0')
    if not (0 <= allowance.rate <= 1):
        raise ValueError('allowance rate must be in 0..1')
    if allowance.amount < 0:
        raise ValueError('allowance amount must be >= 0')


# --- prepared spec: net prices, rounding ----------------------------------

class _Prepared:
    "The spec's prices turned net of tax, computed once per spec"
    __slots__ = (
        'quantum', 'mode', 'start_fee', 'reservation_fee', 'min_price',
        'max_price', 'energy', 'charging', 'idle', 'divisor')

    def __init__(self, spec):
        self.quantum = Decimal(1).scaleb(-spec.currency_digits)
        self.mode = _MODES[spec.rounding]
        self.divisor = None
        if spec.tax_included and spec.tax_rate:
            self.divisor = 1 + spec.tax_rate
        unit = Decimal(1).scaleb(-(spec.currency_digits + 4))

        def net_price(value):
            if value is None or self.divisor is None:
                return value
            return (value / self.divisor).quantize(
                unit, rounding=ROUND_HALF_UP)

        self.start_fee = net_price(spec.start_fee)
        self.reservation_fee = net_price(spec.reservation_fee)
        self.min_price = self.net_amount(spec.min_price)
        self.max_price = self.net_amount(spec.max_price)
        # key None: base prices; key i: spec.bands[i]
        self.energy = {None: net_price(spec.price_per_kwh)}
        self.charging = {None: net_price(spec.price_per_minute)}
        self.idle = {None: net_price(spec.idle_price_per_minute)}
        for i, band in enumerate(spec.bands):
            self.energy[i] = net_price(band.price_per_kwh)
            self.charging[i] = net_price(band.price_per_minute)
            self.idle[i] = net_price(band.idle_price_per_minute)

    def round(self, value):
        return value.quantize(self.quantum, rounding=self.mode)

    def net_amount(self, value):
        "An amount of the spec (tax included or not) as a net amount"
        if value is None:
            return None
        if self.divisor is not None:
            value = value / self.divisor
        return self.round(value)


def _prepare(spec):
    # Not cached: equal specs may write their Decimals differently ('12'
    # and '12.00'), and the lines show the spec's own unit prices.
    with localcontext(_CONTEXT):
        return _Prepared(spec)


# --- time: local band occurrences -----------------------------------------

def _naive_utc(value):
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.microsecond:
        value = value.replace(microsecond=0)
    return value


def _wall(instant, tz):
    return instant.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


@functools.lru_cache(maxsize=8192)
def _local_to_utc(tzname, local):
    """The instant of the local wall time: the first one when ambiguous, the
    instant of the jump when it does not exist"""
    tz = ZoneInfo(tzname)
    instant = local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    if _wall(instant, tz) == local:
        return instant
    # In a gap fold=0 takes the offset before the jump (a later instant)
    # and fold=1 the one after (an earlier instant); the wall time grows
    # through the gap, so bisect for its first instant at or after `local`.
    low = local.replace(tzinfo=tz, fold=1).astimezone(UTC).replace(
        tzinfo=None)
    high = instant
    while high - low > _SECOND:
        middle = low + datetime.timedelta(
            seconds=int((high - low).total_seconds()) // 2)
        if _wall(middle, tz) >= local:
            high = middle
        else:
            low = middle
    return high


def _occurrences(spec, band, start, stop, first_day, last_day):
    "UTC intervals of the band that overlap [start, stop)"
    begin = band.start.replace(microsecond=0)
    end = band.end.replace(microsecond=0)
    span = 1 if end <= begin else 0
    result = []
    day = first_day
    while day <= last_day:
        if day.weekday() in band.weekdays:
            s = _local_to_utc(
                spec.timezone, datetime.datetime.combine(day, begin))
            e = _local_to_utc(spec.timezone, datetime.datetime.combine(
                    day + datetime.timedelta(days=span), end))
            if s < e and s < stop and e > start:
                result.append((s, e))
        day += _DAY
    return result


# --- splitting ------------------------------------------------------------

class _Meter:
    "Cumulative energy as a function of time, from the samples"
    __slots__ = ('times', 'values')

    def __init__(self, samples):
        ordered = sorted(
            (_naive_utc(s.at), int(s.energy_wh)) for s in samples)
        times, values = [], []
        if ordered:
            last, base = ordered[0]
            top = base
            times.append(last)
            values.append(0)
            for at, energy in ordered:
                if energy > top:
                    top = energy
                if at == last:
                    values[-1] = top - base
                else:
                    times.append(at)
                    values.append(top - base)
                    last = at
        self.times = times
        self.values = values

    def __call__(self, instant):
        "Energy (Wh, Fraction or int) metered up to the instant"
        times = self.times
        if not times or instant <= times[0]:
            return 0
        if instant >= times[-1]:
            return self.values[-1]
        i = _bisect_right(times, instant)
        t0, t1 = times[i - 1], times[i]
        v0, v1 = self.values[i - 1], self.values[i]
        if v0 == v1 or instant == t0:
            return v0
        elapsed = int((instant - t0).total_seconds())
        whole = int((t1 - t0).total_seconds())
        return v0 + Fraction((v1 - v0) * elapsed, whole)


def _bisect_right(items, value):
    low, high = 0, len(items)
    while low < high:
        middle = (low + high) // 2
        if value < items[middle]:
            high = middle
        else:
            low = middle + 1
    return low


def _stop(start, stop_at, samples, timeline):
    if stop_at is not None:
        return max(start, _naive_utc(stop_at))
    stop = start
    for item in list(samples) + list(timeline):
        stop = max(stop, _naive_utc(item.at))
    return stop


def _statuses(timeline):
    # Sorted on the status too, so that the order of the input never
    # matters: of two changes at the same instant 'idle' wins.
    changes = sorted((_naive_utc(c.at), c.status) for c in timeline)
    for _, status in changes:
        if status not in STATUSES:
            raise ValueError('unknown status %r' % (status,))
    return changes


def segments(spec, start_at, stop_at, samples=(), timeline=()):
    "The session cut at band boundaries, status changes and the grace end"
    _validate(spec)
    start = _naive_utc(start_at)
    stop = _stop(start, stop_at, samples, timeline)
    return _segments(spec, start, stop, _Meter(samples), _statuses(timeline))


def _segments(spec, start, stop, meter, changes):
    if stop <= start:
        return []
    cuts = {start, stop}
    # Status in force at each instant: the last change at or before it.
    status = 'charging'
    inside = []
    for at, value in changes:
        if at <= start:
            status = value
        elif at < stop:
            inside.append((at, value))
            cuts.add(at)
    first_idle = start if status == 'idle' else next(
        (at for at, value in inside if value == 'idle'), None)
    grace_end = None
    if first_idle is not None:
        grace_end = first_idle + datetime.timedelta(
            minutes=spec.idle_grace_minutes)
        if start < grace_end < stop:
            cuts.add(grace_end)
    occurrences = []
    if spec.bands:
        tz = ZoneInfo(spec.timezone)
        first_day = _wall(start, tz).date() - _DAY
        last_day = _wall(stop, tz).date()
        for band in spec.bands:
            found = _occurrences(
                spec, band, start, stop, first_day, last_day)
            occurrences.append(found)
            for s, e in found:
                if s > start:
                    cuts.add(s)
                if e < stop:
                    cuts.add(e)
    cuts = sorted(cuts)
    result = []
    change = 0
    previous = meter(start)
    for a, b in zip(cuts, cuts[1:]):
        while change < len(inside) and inside[change][0] <= a:
            status = inside[change][1]
            change += 1
        band = None
        for index, found in enumerate(occurrences):
            if any(s <= a < e for s, e in found):
                band = index
                break
        billable = status == 'charging' or (
            grace_end is not None and a >= grace_end)
        energy = meter(b)
        result.append(Segment(a, b, band, status, billable,
                Fraction(energy - previous)))
        previous = energy
    return result


# --- pricing --------------------------------------------------------------

def _ceil_step(quantity, step):
    "The quantity rounded up to whole steps (an int)"
    if quantity <= 0:
        return 0
    if isinstance(quantity, int):
        return -(-quantity // step) * step
    quantity = Fraction(quantity)
    return -(-quantity.numerator // (quantity.denominator * step)) * step


class _Component:
    "The billable quantities of one kind of line, per band key"

    def __init__(self, kind, unit, prices, step, per):
        self.kind = kind
        self.unit = unit
        self.prices = prices      # key -> net unit price or None
        self.step = step
        self.per = per            # quantity units per priced unit
        self.raw = {}             # key -> raw quantity, in first-use order

    def key(self, band):
        if band is not None and self.prices[band] is not None:
            return band
        return None

    def add(self, band, quantity):
        key = self.key(band)
        self.raw[key] = self.raw.get(key, 0) + quantity
        return key

    def price(self, key):
        return self.prices[key]

    def billed(self, quantity):
        return _ceil_step(quantity, self.step)

    def amount(self, prep, key, quantity):
        "Rounded amount of the raw quantity (after steps) at the key's price"
        billed = self.billed(quantity)
        return prep.round(Decimal(billed) * self.price(key) / self.per)

    def shown(self, billed):
        value = Decimal(billed) / self.per
        if self.unit == 'kWh':
            return value.quantize(_KWH)
        if billed % 60:
            return value.quantize(_MINUTE_QUANTUM, rounding=ROUND_HALF_UP)
        return Decimal(billed // 60)


def _band_name(spec, key):
    return '' if key is None else spec.bands[key].name


def price(spec, start_at, stop_at, samples=(), timeline=(), allowances=(),
        reserved=False):
    """The breakdown of the session; stop_at None prices up to the last
    sample or status change (a live estimate), a stop before the start is
    the start"""
    _validate(spec)
    for allowance in allowances:
        _check_allowance(allowance)
    prep = _prepare(spec)
    start = _naive_utc(start_at)
    stop = _stop(start, stop_at, samples, timeline)
    meter = _Meter(samples)
    changes = _statuses(timeline)
    with localcontext(_CONTEXT):
        parts = _segments(spec, start, stop, meter, changes)
        return _price(
            spec, prep, meter, start, stop, parts, tuple(allowances),
            reserved)


def _price(spec, prep, meter, start, stop, parts, allowances, reserved):
    energy = _Component(
        'energy', 'kWh', prep.energy, spec.energy_step_wh, _THOUSAND)
    charging = _Component(
        'charging_time', 'min', prep.charging, spec.time_step_seconds,
        _SIXTY)
    idle = _Component(
        'idle_time', 'min', prep.idle, spec.time_step_seconds, _SIXTY)
    # Chronological chargeable units for the free allowances
    energy_units, charging_units = [], []
    charging_seconds = idle_seconds = idle_billed = 0
    for part in parts:
        seconds = part.seconds
        key = energy.add(part.band, part.energy_wh)
        if part.energy_wh and energy.price(key):
            energy_units.append([key, part.energy_wh])
        if part.status == 'charging':
            charging_seconds += seconds
            key = charging.add(part.band, seconds)
            if seconds and charging.price(key):
                charging_units.append([key, seconds])
        else:
            idle_seconds += seconds
            if part.billable:
                idle_billed += seconds
                idle.add(part.band, seconds)
    lines = []
    fee_lines = {}
    for kind, unit_price, wanted in (
            ('start_fee', prep.start_fee, True),
            ('reservation', prep.reservation_fee, reserved)):
        if wanted and unit_price:
            line = Line(kind, '', _ONE, 'unit', unit_price,
                prep.round(unit_price))
            fee_lines[kind] = line
            lines.append(line)
    components = (energy, charging, idle)
    for component in components:
        for key, quantity in component.raw.items():
            unit_price = component.price(key)
            billed = component.billed(quantity)
            if not unit_price or not billed:
                continue
            lines.append(Line(component.kind, _band_name(spec, key),
                    component.shown(billed), component.unit, unit_price,
                    component.amount(prep, key, quantity)))
    subtotal = sum((line.amount for line in lines), _ZERO)

    used = [None] * len(allowances)
    discounts = []
    remaining = {  # what the free units have left to pay, per key
        'energy': dict(energy.raw),
        'charging_time': dict(charging.raw),
        }
    start_fee_waived = False
    stages = (
        [i for i, a in enumerate(allowances) if a.kind in _FREE_UNITS],
        [i for i, a in enumerate(allowances) if a.kind not in _FREE_UNITS])
    for i in stages[0] + stages[1]:
        allowance = allowances[i]
        kind = allowance.kind
        if kind in ('free_kwh', 'free_minutes'):
            if kind == 'free_kwh':
                component, units = energy, energy_units
                left = Fraction(allowance.quantity_wh)
            else:
                component, units = charging, charging_units
                left = Fraction(allowance.minutes * 60)
            covered = {}
            for unit in units:
                if not left:
                    break
                take = min(left, unit[1])
                if take:
                    unit[1] -= take
                    left -= take
                    covered[unit[0]] = covered.get(unit[0], 0) + take
            owed = remaining[component.kind]
            total = 0
            for key in component.raw:
                if key not in covered:
                    continue
                before = owed[key]
                after = before - covered[key]
                owed[key] = after
                total += covered[key]
                amount = (component.amount(prep, key, after)
                    - component.amount(prep, key, before))
                if amount:
                    waived = (component.billed(before)
                        - component.billed(after))
                    discounts.append(Line('discount',
                            _band_name(spec, key), component.shown(waived),
                            component.unit, -component.price(key), amount,
                            allowance.source))
                    subtotal += amount
            if kind == 'free_kwh':
                used[i] = (kind, min(allowance.quantity_wh, math.ceil(total)))
            else:
                used[i] = (kind, (Decimal(int(total)) / _SIXTY).quantize(
                        _USED_MINUTES, rounding=ROUND_UP))
        elif kind == 'free_start_fee':
            line = fee_lines.get('start_fee')
            if line and line.amount and not start_fee_waived:
                start_fee_waived = True
                discounts.append(Line('discount', '', _ONE, 'unit',
                        -line.amount, -line.amount, allowance.source))
                subtotal -= line.amount
                used[i] = (kind, 1)
            else:
                used[i] = (kind, 0)
        else:
            if kind == 'percentage':
                amount = prep.round(subtotal * allowance.rate)
            else:
                amount = prep.net_amount(allowance.amount)
            amount = min(amount, subtotal)
            if amount:
                discounts.append(Line('discount', '', _ONE, 'unit', -amount,
                        -amount, allowance.source))
                subtotal -= amount
            used[i] = (kind, amount)
    lines.extend(discounts)

    net = subtotal
    if prep.min_price is not None and net < prep.min_price:
        adjust = prep.min_price - net
        lines.append(Line('minimum', '', _ONE, 'unit', adjust, adjust))
        net = prep.min_price
    elif prep.max_price is not None and net > prep.max_price:
        adjust = prep.max_price - net
        lines.append(Line('maximum', '', _ONE, 'unit', adjust, adjust))
        net = prep.max_price
    tax = prep.round(net * spec.tax_rate)
    total_energy = meter(stop) - meter(start)
    return Breakdown(
        lines=tuple(lines),
        net=net,
        tax=tax,
        total=net + tax,
        energy_wh=int(total_energy),
        charging_seconds=charging_seconds,
        idle_seconds=idle_seconds,
        allowance_used=tuple(used),
        idle_billed_seconds=idle_billed)


def quote(spec, at, energy_wh, minutes, allowances=()):
    """What energy_wh in minutes costs from `at`: the energy spread evenly,
    all charging, no idle (0 minutes counts as one second)"""
    start = _naive_utc(at)
    seconds = max(1, math.ceil(Fraction(str(minutes)) * 60))
    stop = start + datetime.timedelta(seconds=seconds)
    return price(spec, start, stop,
        samples=(Sample(start, 0), Sample(stop, int(energy_wh))),
        timeline=(StatusChange(start, 'charging'),),
        allowances=allowances)


# --- JSON -----------------------------------------------------------------

_SPEC_DECIMALS = {
    'start_fee', 'price_per_kwh', 'price_per_minute',
    'idle_price_per_minute', 'reservation_fee', 'min_price', 'max_price',
    'tax_rate'}
_BAND_DECIMALS = {
    'price_per_kwh', 'price_per_minute', 'idle_price_per_minute'}


def _text(value):
    return None if value is None else str(value)


def _band_to_dict(band):
    return {
        'weekdays': sorted(band.weekdays),
        'start': band.start.isoformat(),
        'end': band.end.isoformat(),
        'price_per_kwh': _text(band.price_per_kwh),
        'price_per_minute': _text(band.price_per_minute),
        'idle_price_per_minute': _text(band.idle_price_per_minute),
        'name': band.name,
        }


def spec_to_json(spec):
    "The spec as JSON text (Decimals as strings, times ISO, keys sorted)"
    data = {}
    for field in fields(TariffSpec):
        value = getattr(spec, field.name)
        if field.name in _SPEC_DECIMALS:
            value = _text(value)
        elif field.name == 'bands':
            value = [_band_to_dict(b) for b in value]
        data[field.name] = value
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def spec_from_json(text):
    "The spec of spec_to_json's text"
    data = json.loads(text)
    known = {f.name for f in fields(TariffSpec)}
    unknown = set(data) - known
    if unknown:
        raise ValueError('unknown spec keys: %s' % ', '.join(sorted(unknown)))
    values = {}
    for name, value in data.items():
        if name in _SPEC_DECIMALS:
            value = None if value is None else Decimal(value)
        elif name == 'bands':
            value = tuple(Band(
                    weekdays=frozenset(b['weekdays']),
                    start=datetime.time.fromisoformat(b['start']),
                    end=datetime.time.fromisoformat(b['end']),
                    name=b.get('name', ''),
                    **{k: None if b.get(k) is None else Decimal(b[k])
                        for k in _BAND_DECIMALS})
                for b in value)
        values[name] = value
    return TariffSpec(**values)


def breakdown_to_json(breakdown):
    "The breakdown as JSON text, to store on the session"
    data = {f.name: getattr(breakdown, f.name) for f in fields(Breakdown)}
    data['lines'] = [{f.name: _text(getattr(line, f.name))
            if isinstance(getattr(line, f.name), Decimal)
            else getattr(line, f.name) for f in fields(Line)}
        for line in breakdown.lines]
    for name in ('net', 'tax', 'total'):
        data[name] = str(data[name])
    data['allowance_used'] = [
        [kind, str(value) if isinstance(value, Decimal) else value]
        for kind, value in breakdown.allowance_used]
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def breakdown_from_json(text):
    "The breakdown of breakdown_to_json's text"
    data = json.loads(text)
    lines = tuple(Line(
            kind=d['kind'], band=d['band'], quantity=Decimal(d['quantity']),
            unit=d['unit'], unit_price=Decimal(d['unit_price']),
            amount=Decimal(d['amount']), source=d.get('source', ''))
        for d in data['lines'])
    used = []
    for kind, value in data['allowance_used']:
        if kind in ('free_minutes', 'percentage', 'fixed'):
            value = Decimal(value)
        used.append((kind, value))
    return Breakdown(
        lines=lines,
        net=Decimal(data['net']),
        tax=Decimal(data['tax']),
        total=Decimal(data['total']),
        energy_wh=data['energy_wh'],
        charging_seconds=data['charging_seconds'],
        idle_seconds=data['idle_seconds'],
        allowance_used=tuple(used),
        idle_billed_seconds=data.get('idle_billed_seconds', 0))
