# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import json
import logging
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from . import engine
from .subscription import session_date

logger = logging.getLogger(__name__)

LINE_KINDS = [
    ('start_fee', "Start Fee"),
    ('reservation', "Reservation Fee"),
    ('energy', "Energy"),
    ('charging_time', "Charging Time"),
    ('idle_time', "Idle Time"),
    ('discount', "Discount"),
    ('minimum', "Minimum Price Adjustment"),
    ('maximum', "Maximum Price Adjustment"),
    ]
UNITS = [
    ('kWh', "kWh"),
    ('min', "min"),
    ('unit', "unit"),
    ]


class Session(metaclass=PoolMeta):
    __name__ = 'ev.session'

    tariff = fields.Many2One(
        'ev.tariff', "Tariff", readonly=True, ondelete='RESTRICT',
        help="The tariff in force when the session started.")
    tariff_version = fields.Integer(
        "Tariff Version", readonly=True,
        help="The version of the tariff the session is priced with.")
    tariff_snapshot = fields.Text(
        "Tariff Snapshot", readonly=True,
        help="The prices of that version, as the pricing engine read them: "
        "a later change of the tariff does not reach the session.")
    priced_at = fields.DateTime(
        "Priced at", readonly=True,
        help="When the final price was computed; a session is priced once.")
    price_lines = fields.One2Many(
        'ev.tariff.price_line', 'session', "Price Lines", readonly=True)
    net_amount = Monetary(
        "Net Amount", currency='currency', digits='currency', readonly=True)
    tax_amount = Monetary(
        "Tax Amount", currency='currency', digits='currency', readonly=True)
    charging_time = fields.TimeDelta(
        "Charging Time", readonly=True,
        help="The time the vehicle drew energy, as priced.")
    idle_time = fields.TimeDelta(
        "Idle Time", readonly=True,
        help="The time the vehicle stayed plugged in without charging.")
    estimated_amount = fields.Function(Monetary(
            "Estimated Amount", currency='currency', digits='currency',
            help="What the session costs so far, tax included; the final "
            "amount once priced."),
        'get_estimated_amount')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'price': {
                    'invisible': ((Eval('state') != 'finished')
                        | Eval('priced_at')),
                    'depends': ['state', 'priced_at'],
                    },
                })

    @classmethod
    def copy(cls, sessions, default=None):
        default = default.copy() if default is not None else {}
        for name in ['tariff', 'tariff_version', 'tariff_snapshot',
                'priced_at', 'price_lines', 'net_amount', 'tax_amount',
                'charging_time', 'idle_time']:
            default.setdefault(name)
        return super().copy(sessions, default=default)

    @classmethod
    def get_estimated_amount(cls, sessions, name):
        amounts = {}
        now = utcnow()
        for session in sessions:
            amount = session.amount
            if amount is None and session.state == 'active':
                try:
                    breakdown = session.get_estimate(at=now)
                except ValueError:
                    logger.exception("estimate of session %s failed",
                        session.id)
                    breakdown = None
                if breakdown:
                    amount = breakdown.total
            amounts[session.id] = amount
        return amounts

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        reassigned = []
        for sessions, values in zip(actions, actions):
            if 'client' in values:
                reassigned.extend(s.id for s in sessions
                    if s.state == 'active'
                    and (s.client.id if s.client else None)
                    != values['client'])
        super().write(*args)
        if reassigned:
            # OCPP 2.0.1 may tell the ID token, hence the client, after
            # the start: the client's tariff and waiting promo code apply
            # from the start.
            cls.set_tariff(cls.browse(reassigned))
            Pool().get('ev.promotion.redemption').bind(
                cls.browse(reassigned))

    @classmethod
    def start(cls, sessions, at=None, meter_start=None,
            transaction_ref=None):
        pending = [s.id for s in sessions if s.state == 'pending']
        super().start(sessions, at=at, meter_start=meter_start,
            transaction_ref=transaction_ref)
        cls.set_tariff(cls.browse(pending))
        Pool().get('ev.promotion.redemption').bind(
            [s for s in cls.browse(pending) if s.state == 'active'])

    @classmethod
    def fail(cls, sessions):
        super().fail(sessions)
        # The client keeps the code for a session that really charges.
        Pool().get('ev.promotion.redemption').release(
            [s for s in cls.browse(sessions) if s.state == 'failed'])

    @classmethod
    def stop(cls, sessions, at=None, meter_stop=None, reason=None):
        active = [s.id for s in sessions if s.state == 'active']
        super().stop(sessions, at=at, meter_stop=meter_stop, reason=reason)
        # Only the sessions this call stopped: a replayed stop finds them
        # finished and priced already.
        cls.set_price(cls.browse(active))

    def _find_tariff(self):
        "Return the tariff that applies to the session"
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        if not self.connector or not self.start_at:
            return None
        return Tariff.find(self.connector, client=self.client,
            at=self.start_at)

    @classmethod
    def set_tariff(cls, sessions):
        """Fix the tariff of the started sessions: the version in force at
        the start is the one the session is priced with"""
        with without_check_access():
            sessions = cls.browse(sessions)
            for session in sessions:
                if session.state != 'active':
                    continue
                tariff = session._find_tariff()
                if tariff:
                    session._snapshot(tariff)
                else:
                    session.tariff = session.tariff_version = None
                    session.tariff_snapshot = None
            cls.save(sessions)

    def _snapshot(self, tariff):
        spec = tariff.get_spec(self.station, self.start_at.date())
        self.tariff = tariff
        self.tariff_version = tariff.version
        self.tariff_snapshot = engine.spec_to_json(spec)
        self.currency = tariff.currency
        return spec

    def _get_spec(self):
        """Return the spec the session is priced with: the snapshot taken
        at the start, or one of the tariff that applies if none applied
        then"""
        if self.tariff_snapshot:
            return engine.spec_from_json(self.tariff_snapshot)
        tariff = self._find_tariff()
        if tariff:
            return self._snapshot(tariff)

    def _get_samples(self, stop_at):
        """Return the engine's samples and status timeline of the session
        up to stop_at, from the meter values

        The energy of a reading is counted from the start register and
        kept within the energy of the session. An interval between two
        readings is charging when the energy grew over it or the reading
        that closes it reports power; otherwise the vehicle was idle."""
        start, energy = self.start_at, self.energy_wh or 0
        points = [(start, 0, None)]
        if self.meter_start is not None:
            for value in self.meter_values:
                if (value.energy_wh is None
                        or not (start < value.measured_at < stop_at)):
                    continue
                reading = max(value.energy_wh - self.meter_start, 0)
                if self.state == 'finished':
                    reading = min(reading, energy)
                points.append((value.measured_at, reading, value.power_w))
        points.sort(key=lambda p: p[0])
        if self.state == 'finished' or stop_at == self.stop_at:
            points.append((stop_at, energy, None))
        samples = [engine.Sample(at, wh) for at, wh, _ in points]
        timeline = []
        status = None
        for (at, wh, _), (_, next_wh, power) in zip(points, points[1:]):
            current = ('charging' if next_wh > wh or (power or 0) > 0
                else 'idle')
            if current != status:
                timeline.append(engine.StatusChange(at, current))
                status = current
        if not timeline:
            timeline.append(engine.StatusChange(start,
                    'charging' if energy else 'idle'))
        return tuple(samples), tuple(timeline)

    def _get_options(self, subscriptions=None):
        """Return the promo code the session uses (or None) and the
        candidate allowances: without a subscription, then with each of
        the client's subscriptions that applies, as (subscription,
        allowances) pairs

        The session is priced with the candidate that costs the least: a
        client with two plans pays what the better one gives."""
        pool = Pool()
        Redemption = pool.get('ev.promotion.redemption')
        Subscription = pool.get('sale.subscription')
        redemption = Redemption.of_session(self) if self.id else None
        promo = (redemption.ev_allowance(),) if redemption else ()
        options = [(None, promo)]
        date = session_date(self)
        if subscriptions is None:
            subscriptions = Subscription.ev_find(
                self.client, self.station, date)
        for subscription in subscriptions:
            options.append((subscription,
                    tuple(subscription.ev_allowances(date)) + promo))
        return redemption, options

    def _price(self, spec, stop_at, samples, timeline, subscriptions=None):
        """Return the best breakdown of the session up to stop_at, the
        promo code, the subscription and the allowances it was priced
        with"""
        redemption, options = self._get_options(subscriptions)
        reserved = self._get_reserved()
        best = None
        for subscription, allowances in options:
            breakdown = engine.price(spec, self.start_at, stop_at,
                samples=samples, timeline=timeline,
                allowances=allowances, reserved=reserved)
            if best is None or breakdown.total < best[0].total:
                best = (breakdown, redemption, subscription, allowances)
        return best

    def _get_reserved(self):
        """Tell whether the session follows a reservation of its connector
        for its ID tag: an accepted ReserveNow, not cancelled nor used by
        an earlier session, whose expiry the start did not pass"""
        pool = Pool()
        Command = pool.get('ev.station.command')
        if not self.start_at or not self.id_tag_code or not self.station:
            return False
        with without_check_access():
            reservations = Command.search([
                    ('station', '=', self.station.id),
                    ('action', '=', 'reserve_now'),
                    ('state', '=', 'accepted'),
                    ('answered_at', '<=', self.start_at),
                    ('answered_at', '>=',
                        self.start_at - dt.timedelta(days=1)),
                    ], order=[('answered_at', 'DESC'), ('id', 'DESC')])
            for reservation in reservations:
                if (reservation.connector and self.connector
                        and reservation.connector != self.connector):
                    continue
                params = _params(reservation)
                tag = params.get('id_tag') or (
                    params.get('id_token') or {}).get('id_token')
                if (tag or '').upper() != self.id_tag_code.upper():
                    continue
                expiry = _instant(params.get('expiry_date')
                    or params.get('expiry_date_time'))
                if expiry and expiry < self.start_at:
                    continue
                if self._reservation_ended(reservation, params):
                    continue
                return True
        return False

    def _reservation_ended(self, reservation, params):
        "Tell whether the reservation was cancelled or used before"
        pool = Pool()
        Command = pool.get('ev.station.command')
        ident = params.get('reservation_id', params.get('id'))
        for cancel in [] if ident is None else Command.search([
                    ('station', '=', self.station.id),
                    ('action', '=', 'cancel_reservation'),
                    ('state', '=', 'accepted'),
                    ('answered_at', '>=', reservation.answered_at),
                    ('answered_at', '<=', self.start_at),
                    ]):
            if _params(cancel).get('reservation_id') == ident:
                return True
        domain = [
            ('station', '=', self.station.id),
            ('start_at', '>=', reservation.answered_at),
            ('start_at', '<', self.start_at),
            ('state', '!=', 'failed'),
            ('id', '!=', self.id),
            ]
        if reservation.connector:
            domain.append(('connector', '=', reservation.connector.id))
        return any((s.id_tag_code or '').upper() == self.id_tag_code.upper()
            for s in self.search(domain))

    def get_estimate(self, at=None):
        """Return the engine Breakdown of the session so far (the final one
        once finished), or None when no tariff applies"""
        if not self.start_at:
            return None
        with without_check_access():
            session = self.__class__(self.id) if self.id else self
            spec = session._get_spec()
            if spec is None:
                return None
            stop_at = session.stop_at or at or utcnow()
            samples, timeline = session._get_samples(stop_at)
            # Up to now, or to the last reading of a charger ahead of us.
            stop_at = max([stop_at] + [s.at for s in samples])
            breakdown, *_ = session._price(spec, stop_at, samples, timeline)
            return breakdown

    @classmethod
    @ModelView.button
    def price(cls, sessions):
        cls.set_price(sessions)

    @classmethod
    def set_price(cls, sessions):
        "Price the finished sessions that are not priced yet"
        pool = Pool()
        PriceLine = pool.get('ev.tariff.price_line')
        Subscription = pool.get('sale.subscription')
        Usage = pool.get('ev.subscription.usage')
        Redemption = pool.get('ev.promotion.redemption')
        with without_check_access():
            sessions = [s for s in cls.browse(sessions)
                if s.state == 'finished' and not s.priced_at]
            if not sessions:
                return
            # Two deliveries of the same stop must not price twice, and
            # two sessions of one client stopping at once must not both
            # take the last included kWh of a subscription.
            lock(cls, sessions)
            # Found once: the locked ones are those the pricing uses.
            found = {s.id: Subscription.ev_find(
                    s.client, s.station, session_date(s)) for s in sessions}
            lock(Subscription, {sub for subs in found.values()
                    for sub in subs})
            sessions = [s for s in cls.browse(sessions) if not s.priced_at]
            lines, usages, redemptions = [], [], []
            for session in sessions:
                spec = session._get_spec()
                if spec is None:
                    session.add_anomaly(gettext(
                            'ev_tariff.msg_session_no_tariff'))
                    continue
                samples, timeline = session._get_samples(session.stop_at)
                try:
                    breakdown, redemption, subscription, allowances = (
                        session._price(spec, session.stop_at, samples,
                            timeline, subscriptions=found[session.id]))
                except ValueError as error:
                    # The stop must be recorded whatever: an operator
                    # prices the session once the tariff is fixed.
                    logger.exception("pricing of session %s failed",
                        session.id)
                    session.add_anomaly(gettext(
                            'ev_tariff.msg_session_pricing_failed',
                            error=error))
                    continue
                lines.extend(session._set_breakdown(spec, breakdown))
                if subscription:
                    usage = Subscription.ev_record_usage(session,
                        subscription, allowances, breakdown,
                        session_date(session))
                    if usage:
                        usages.append(usage)
                if redemption:
                    redemption.set_applied(breakdown)
                    redemptions.append(redemption)
            PriceLine.save(lines)
            Usage.save(usages)
            Redemption.save(redemptions)
            cls.save(sessions)

    def _set_breakdown(self, spec, breakdown):
        "Set the price of the breakdown and return its unsaved lines"
        pool = Pool()
        PriceLine = pool.get('ev.tariff.price_line')
        self.priced_at = utcnow()
        self.net_amount = breakdown.net
        self.tax_amount = breakdown.tax
        self.amount = breakdown.total
        self.charging_time = dt.timedelta(seconds=breakdown.charging_seconds)
        self.idle_time = dt.timedelta(seconds=breakdown.idle_seconds)
        taxes = PriceLine.split_tax(breakdown, spec)
        return [PriceLine(session=self, sequence=i, kind=line.kind,
                band=line.band, quantity=line.quantity, unit=line.unit,
                unit_price=line.unit_price, amount=line.amount,
                tax_amount=tax, source=line.source)
            for i, (line, tax) in enumerate(
                zip(breakdown.lines, taxes), 1)]


class PriceLine(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'ev.tariff.price_line'
    __string__ = "EV Session Price Line"

    session = fields.Many2One(
        'ev.session', "Session", required=True, ondelete='CASCADE',
        readonly=True)
    kind = fields.Selection(
        LINE_KINDS, "Kind", required=True, readonly=True, sort=False)
    band = fields.Char(
        "Band", readonly=True,
        help="The band of the tariff whose price applied, if not the "
        "tariff's own.")
    label = fields.Function(fields.Char("Description"), 'get_label')
    quantity = fields.Numeric(
        "Quantity", digits=(16, 4), required=True, readonly=True)
    unit = fields.Selection(UNITS, "Unit", required=True, readonly=True)
    unit_price = fields.Numeric(
        "Unit Price", required=True, readonly=True,
        help="Net of tax.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        readonly=True, help="Net of tax.")
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    source = fields.Char(
        "Source", readonly=True,
        help="What gave the discount: a subscription or a promo code.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('session')

    @fields.depends('session', '_parent_session.currency')
    def on_change_with_currency(self, name=None):
        return self.session.currency if self.session else None

    def get_label(self, name):
        return self.label_of(self.kind, self.band)

    @classmethod
    def label_of(cls, kind, band):
        "Return the translated description of a line of kind in band"
        kinds = dict(cls.fields_get(['kind'])['kind']['selection'])
        label = kinds.get(kind, kind)
        if band:
            label = gettext('ev_tariff.msg_price_line_band',
                kind=label, band=band)
        return label

    @classmethod
    def line_dict(cls, line, currency):
        "Return the engine Line as a dictionary for the client app"
        units = dict(cls.fields_get(['unit'])['unit']['selection'])
        return {
            'kind': line.kind,
            'label': cls.label_of(line.kind, line.band),
            'band': line.band,
            'quantity': line.quantity,
            'unit': line.unit,
            'unit_label': units.get(line.unit, line.unit),
            'unit_price': line.unit_price,
            'amount': line.amount,
            'source': line.source,
            }

    @classmethod
    def split_tax(cls, breakdown, spec):
        """Return the tax of each line of the breakdown: each line's own,
        rounded, with the rounding difference on the largest line so that
        they add up to the breakdown's tax"""
        quantum = Decimal(1).scaleb(-spec.currency_digits)
        taxes = [(line.amount * spec.tax_rate).quantize(quantum)
            for line in breakdown.lines]
        difference = breakdown.tax - sum(taxes, Decimal(0))
        if difference and taxes:
            largest = max(range(len(taxes)),
                key=lambda i: abs(breakdown.lines[i].amount))
            taxes[largest] += difference
        return taxes


def _params(command):
    "Return the parameters of the command as a dictionary"
    try:
        params = json.loads(command.parameters or '{}')
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def _instant(value):
    "Return the ISO 8601 text as a naive UTC datetime, or None"
    if not value:
        return None
    try:
        instant = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        return None
    if instant.tzinfo:
        instant = instant.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return instant
