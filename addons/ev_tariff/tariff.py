# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.rpc import RPC
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateView, Wizard

from . import engine
from .exceptions import TariffBoundError, TariffValidationError

# Unit prices carry more digits than the currency: 0.0125 per minute is a
# real price. Line amounts are rounded to the currency by the engine.
PRICE_DIGITS = (16, 4)

ROUNDINGS = [
    ('half_up', "Half Up"),
    ('up', "Up"),
    ('down', "Down"),
    ]

WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday',
    'saturday', 'sunday']

# What a priced session depends on: a change to any of them makes a new
# version of the tariff (the bands count too, see Band).
PRICE_FIELDS = ['currency', 'start_fee', 'price_per_kwh', 'price_per_minute',
    'idle_price_per_minute', 'idle_grace_minutes', 'reservation_fee',
    'min_price', 'max_price', 'energy_step_wh', 'time_step_seconds',
    'rounding', 'taxes', 'tax_included']
# Also written to the audit log, without making a new version.
AUDIT_FIELDS = PRICE_FIELDS + [
    'name', 'partner', 'start_date', 'end_date', 'active']

# The prices the platform owner may cap for partner tariffs: the field of
# the tariff (and of its bands) and the bound on ev.configuration.
BOUNDS = [
    ('price_per_kwh', 'tariff_max_price_per_kwh'),
    ('price_per_minute', 'tariff_max_price_per_minute'),
    ('idle_price_per_minute', 'tariff_max_idle_price_per_minute'),
    ('start_fee', 'tariff_max_start_fee'),
    ('reservation_fee', 'tariff_max_reservation_fee'),
    ]


def _positive(name):
    return ['OR', (name, '=', None), (name, '>=', 0)]


def _number(value):
    "Return the Decimal as text without trailing zeros nor exponent"
    return '{:f}'.format(value.normalize()) if value else '0'


def local_date(at, timezone):
    "Return the date of the UTC instant at in the time zone"
    zone = tz.ZoneInfo(timezone) if timezone else tz.UTC
    return at.replace(tzinfo=tz.UTC).astimezone(zone).date()


class Tariff(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.tariff'
    __string__ = "EV Tariff"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT')
    name = fields.Char("Name", required=True)
    partner = fields.Many2One(
        'party.party', "Owner Partner", ondelete='RESTRICT',
        domain=[('ev_partner', '=', True)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The charging partner whose network the tariff is for.\n"
        "Leave empty for a tariff of the platform, which may apply on "
        "every network.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, ondelete='RESTRICT')
    start_fee = Monetary(
        "Start Fee", currency='currency', digits='currency', required=True,
        domain=[('start_fee', '>=', 0)],
        help="Charged once for each session.")
    price_per_kwh = fields.Numeric(
        "Price per kWh", digits=PRICE_DIGITS, required=True,
        domain=[('price_per_kwh', '>=', 0)])
    price_per_minute = fields.Numeric(
        "Price per Charging Minute", digits=PRICE_DIGITS, required=True,
        domain=[('price_per_minute', '>=', 0)],
        help="Charged for each minute the vehicle draws energy.")
    idle_price_per_minute = fields.Numeric(
        "Price per Idle Minute", digits=PRICE_DIGITS, required=True,
        domain=[('idle_price_per_minute', '>=', 0)],
        help="Charged for each minute the vehicle stays plugged in without "
        "charging, once the grace period is over.")
    idle_grace_minutes = fields.Integer(
        "Idle Grace (min)", required=True,
        domain=[('idle_grace_minutes', '>=', 0)],
        help="The idle minutes that are free, counted from the first "
        "minute without charging.")
    reservation_fee = Monetary(
        "Reservation Fee", currency='currency', digits='currency',
        required=True,
        domain=[('reservation_fee', '>=', 0)],
        help="Charged once for a session that follows a reservation.")
    min_price = Monetary(
        "Minimum Price", currency='currency', digits='currency',
        domain=[
            _positive('min_price'),
            If(Bool(Eval('min_price')) & Bool(Eval('max_price')),
                ('min_price', '<=', Eval('max_price')),
                ()),
            ],
        help="The least a session costs, before tax.")
    max_price = Monetary(
        "Maximum Price", currency='currency', digits='currency',
        domain=[_positive('max_price')],
        help="The most a session costs, before tax.")
    energy_step_wh = fields.Integer(
        "Energy Step (Wh)", required=True,
        domain=[('energy_step_wh', '>', 0)],
        help="Energy is billed in whole steps, rounded up.")
    time_step_seconds = fields.Integer(
        "Time Step (s)", required=True,
        domain=[('time_step_seconds', '>', 0)],
        help="Charging and idle time are billed in whole steps, rounded up.")
    rounding = fields.Selection(
        ROUNDINGS, "Rounding", required=True,
        help="How each line amount is rounded to the currency.")
    taxes = fields.Many2Many(
        'ev.tariff-account.tax', 'tariff', 'tax', "Taxes",
        domain=[
            ('parent', '=', None),
            ('company', '=', Eval('company', -1)),
            ['OR',
                ('group', '=', None),
                ('group.kind', 'in', ['sale', 'both']),
                ],
            ],
        help="The percentage taxes on the price of a session.")
    tax_included = fields.Boolean(
        "Prices Include Tax",
        help="Check when the prices above are gross, tax included.")
    start_date = fields.Date(
        "Start Date",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ])
    end_date = fields.Date("End Date")
    bands = fields.One2Many(
        'ev.tariff.band', 'tariff', "Bands",
        help="Times of day and week with prices of their own.")
    assignments = fields.One2Many(
        'ev.tariff.assignment', 'tariff', "Assignments",
        help="Where and to whom the tariff applies.")
    version = fields.Integer(
        "Version", readonly=True,
        help="Goes up with every change of price: a priced session keeps "
        "the version it was priced with.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.partner, Index.Range())))
        cls._order.insert(0, ('name', 'ASC'))
        cls._buttons.update({
                'preview': {
                    'icon': 'tryton-launch',
                    },
                })
        cls.__rpc__.update({
                'quote': RPC(readonly=True),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_partner(cls):
        pool = Pool()
        User = pool.get('res.user')
        # Partner staff make tariffs for their own network.
        parties = User.get_ev_partner_parties()
        if parties:
            return parties[0]

    @classmethod
    def default_start_fee(cls):
        return Decimal(0)

    @classmethod
    def default_price_per_kwh(cls):
        return Decimal(0)

    @classmethod
    def default_price_per_minute(cls):
        return Decimal(0)

    @classmethod
    def default_idle_price_per_minute(cls):
        return Decimal(0)

    @classmethod
    def default_idle_grace_minutes(cls):
        return 0

    @classmethod
    def default_reservation_fee(cls):
        return Decimal(0)

    @classmethod
    def default_energy_step_wh(cls):
        return 1

    @classmethod
    def default_time_step_seconds(cls):
        return 60

    @classmethod
    def default_rounding(cls):
        return 'half_up'

    @classmethod
    def default_tax_included(cls):
        return False

    @classmethod
    def default_version(cls):
        return 1

    @fields.depends('company', 'currency')
    def on_change_company(self):
        if self.company and not self.currency:
            self.currency = self.company.currency

    @classmethod
    def copy(cls, tariffs, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('version', 1)
        default.setdefault('assignments')
        return super().copy(tariffs, default=default)

    @classmethod
    def validate_fields(cls, tariffs, field_names):
        super().validate_fields(tariffs, field_names)
        cls.check_bounds(tariffs, field_names)

    @classmethod
    def check_bounds(cls, tariffs, field_names=None):
        "Check the prices of partner tariffs against the platform's bounds"
        if field_names and not (field_names & (
                    {f for f, _ in BOUNDS}
                    | {'partner', 'currency', 'idle_grace_minutes'})):
            return
        for tariff in tariffs:
            tariff._check_bounds(tariff)

    def _check_bounds(self, record):
        """Raise when a price of record (the tariff or one of its bands) is
        above the platform's bound for partner tariffs"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Currency = pool.get('currency.currency')
        if not self.partner:
            # The platform's own tariffs are the platform's business.
            return
        config = Configuration(1)
        for name, bound_name in BOUNDS:
            value = getattr(record, name, None)
            bound = getattr(config, bound_name, None)
            if value is None or bound is None:
                continue
            company_currency = self.company.currency
            if company_currency != self.currency:
                with Transaction().set_context(date=utcnow().date()):
                    bound = Currency.compute(
                        company_currency, bound, self.currency, round=False)
            if value > bound:
                raise TariffBoundError(gettext(
                        'ev_tariff.msg_tariff_bound_exceeded',
                        tariff=self.rec_name,
                        field=record.__names__(name)['field'],
                        value=_number(value), bound=_number(bound)))
        grace = config.tariff_min_idle_grace_minutes
        if (grace is not None and record is self
                and (self.idle_grace_minutes or 0) < grace):
            raise TariffBoundError(gettext(
                    'ev_tariff.msg_tariff_grace_below',
                    tariff=self.rec_name, grace=grace))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        # The bands of a new tariff make its first version, not a second.
        with Transaction().set_context(_ev_tariff_new=True):
            tariffs = super().create(vlist)
        for tariff in tariffs:
            AuditLog.log('tariff', [tariff],
                description=tariff._audit_description(),
                new=tariff._audit_text(tariff._audit_values()))
        return tariffs

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        tariffs = sum((list(records) for records, _ in zip(actions, actions)),
            [])
        olds = {t.id: t._audit_values() for t in tariffs}
        bands = {t.id: t._audit_bands() for t in tariffs}
        # The bands written with the tariff count with it: one version.
        with Transaction().set_context(_ev_tariff_write=list(olds)):
            super().write(*args)
        cls._audit_changes(cls.browse(list(olds)), olds, bands=bands)

    @classmethod
    def delete(cls, tariffs):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        for tariff in tariffs:
            AuditLog.log('tariff', [None],
                description=tariff._audit_description(),
                old=tariff._audit_text(tariff._audit_values()))
        super().delete(tariffs)

    @classmethod
    def _audit_changes(cls, tariffs, olds, bands=None):
        """Make a new version of the tariffs whose prices changed and log
        what changed"""
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        for tariff in tariffs:
            old = olds.get(tariff.id)
            if old is None:
                continue
            new = tariff._audit_values()
            changed = [n for n in new if new[n] != old.get(n)]
            if bands is not None and tariff.id in bands:
                old['bands'], new['bands'] = bands[tariff.id], (
                    tariff._audit_bands())
                if old['bands'] != new['bands']:
                    changed.append('bands')
            if not changed:
                continue
            if set(changed) & (set(PRICE_FIELDS) | {'bands'}):
                # Through super(): a new version is not a change.
                super().write([tariff], {'version': (tariff.version or 1) + 1})
            AuditLog.log('tariff', [tariff],
                description=tariff._audit_description(),
                old=tariff._audit_text({n: old[n] for n in changed}),
                new=tariff._audit_text({n: new[n] for n in changed}))

    def _audit_values(self):
        "Return the values of the audited fields, as text"
        values = {}
        for name in AUDIT_FIELDS:
            value = getattr(self, name, None)
            if name == 'taxes':
                value = ', '.join(sorted(t.rec_name for t in value or []))
            elif isinstance(value, ModelSQL):
                value = value.rec_name
            elif isinstance(value, Decimal):
                value = _number(value)
            elif value is None:
                value = ''
            values[name] = str(value)
        return values

    def _audit_bands(self):
        return '; '.join(b._audit_text() for b in self.bands)

    def _audit_description(self):
        return gettext('ev_tariff.msg_tariff_audit',
            tariff=self.rec_name, version=self.version or 1)

    @classmethod
    def _audit_text(cls, values):
        names = cls.fields_get(list(values) + ['bands'])
        return '; '.join('%s: %s' % (names[n]['string'], v)
            for n, v in values.items())[:1000]

    def get_tax_rate(self, date=None):
        "Return the sum of the percentage taxes of the tariff at date"
        if date is None:
            date = utcnow().date()
        rate = Decimal(0)

        def add(taxes):
            nonlocal rate
            for tax in taxes:
                if tax.start_date and tax.start_date > date:
                    continue
                if tax.end_date and tax.end_date < date:
                    continue
                if tax.type == 'percentage' and tax.rate:
                    rate += tax.rate
                add(tax.childs)
        add(self.taxes)
        return rate

    def get_spec(self, station=None, date=None):
        "Return the engine's TariffSpec of the tariff at station"
        timezone = None
        if station:
            timezone = station.timezone
        if not timezone:
            timezone = self.company.timezone or 'UTC'
        return engine.TariffSpec(
            currency_digits=self.currency.digits,
            start_fee=self.start_fee or Decimal(0),
            price_per_kwh=self.price_per_kwh or Decimal(0),
            price_per_minute=self.price_per_minute or Decimal(0),
            idle_price_per_minute=self.idle_price_per_minute or Decimal(0),
            idle_grace_minutes=self.idle_grace_minutes or 0,
            reservation_fee=self.reservation_fee or Decimal(0),
            min_price=self.min_price,
            max_price=self.max_price,
            energy_step_wh=self.energy_step_wh or 1,
            time_step_seconds=self.time_step_seconds or 1,
            rounding=self.rounding or 'half_up',
            timezone=timezone,
            bands=tuple(b.get_spec() for b in self.bands),
            tax_rate=self.get_tax_rate(date),
            tax_included=bool(self.tax_included))

    def is_valid(self, date):
        "Tell whether the tariff is valid on date"
        return (self.active
            and (not self.start_date or self.start_date <= date)
            and (not self.end_date or self.end_date >= date))

    @classmethod
    def find(cls, connector, client=None, at=None):
        "Return the tariff that applies on connector for client at (UTC)"
        pool = Pool()
        Assignment = pool.get('ev.tariff.assignment')
        assignment = Assignment.find(connector, client=client, at=at)
        if assignment:
            return assignment.tariff

    @classmethod
    def quote(cls, connector, client=None, energy_wh=0, minutes=0):
        """Return what energy_wh delivered in minutes costs on connector now

        For the client app, before a session starts: a dictionary with the
        tariff, the currency, the lines (with translated labels) and the
        totals; None when no tariff applies."""
        pool = Pool()
        Connector = pool.get('ev.connector')
        Party = pool.get('party.party')
        Rule = pool.get('ir.rule')
        connector = Connector(int(connector))
        # The caller must be allowed to see the connector (the map).
        connector.station
        party = Rule._get_ev_party()
        if party and party > 0:
            # A client quotes for itself, whatever it asks.
            client = Party(party)
        elif client is not None:
            client = Party(int(client))
            client.rec_name
        return cls._quote(connector, client, energy_wh, minutes)

    @classmethod
    def _quote(cls, connector, client, energy_wh, minutes, extra=()):
        """Return the quote of Tariff.quote for client, without access
        checks: the cheapest of the client's allowances, with the engine
        allowances of extra added (a code not reserved yet)"""
        pool = Pool()
        Connector = pool.get('ev.connector')
        Assignment = pool.get('ev.tariff.assignment')
        PriceLine = pool.get('ev.tariff.price_line')
        at = utcnow()
        with without_check_access():
            connector = Connector(connector.id)
            assignment = Assignment.find(connector, client=client, at=at)
            if not assignment:
                return None
            tariff = assignment.tariff
            spec = tariff.get_spec(connector.station, at.date())
            breakdown = None
            for allowances in cls._quote_options(
                    connector, client, tariff, at):
                quoted = engine.quote(spec, at,
                    max(int(energy_wh or 0), 0), max(int(minutes or 0), 0),
                    allowances=tuple(allowances) + tuple(extra))
                if breakdown is None or quoted.total < breakdown.total:
                    breakdown = quoted
            return {
                'tariff': tariff.id,
                'tariff_name': tariff.name,
                'tariff_version': tariff.version,
                'currency': tariff.currency.code,
                'lines': [PriceLine.line_dict(line, tariff.currency)
                    for line in breakdown.lines],
                'net': breakdown.net,
                'tax': breakdown.tax,
                'total': breakdown.total,
                }

    @classmethod
    def _quote_options(cls, connector, client, tariff, at):
        """Yield the allowances a quote for client may be priced with: the
        code waiting for its next session, without and with each of its
        subscriptions that applies there (the cheapest is quoted, as the
        session will be priced)"""
        pool = Pool()
        Redemption = pool.get('ev.promotion.redemption')
        Subscription = pool.get('sale.subscription')
        station = connector.station
        date = local_date(at, station.timezone)
        redemption = Redemption.waiting(client, station, date)
        promo = [redemption.ev_allowance()] if redemption else []
        yield promo
        for subscription in Subscription.ev_find(client, station, date):
            yield subscription.ev_allowances(date) + promo

    @classmethod
    @ModelView.button_action('ev_tariff.wizard_preview')
    def preview(cls, tariffs):
        pass


class Tariff_Tax(ModelSQL):
    __name__ = 'ev.tariff-account.tax'
    __string__ = "EV Tariff - Tax"

    tariff = fields.Many2One(
        'ev.tariff', "Tariff", required=True, ondelete='CASCADE')
    tax = fields.Many2One(
        'account.tax', "Tax", required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('tariff')


class Band(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'ev.tariff.band'
    __string__ = "EV Tariff Band"

    tariff = fields.Many2One(
        'ev.tariff', "Tariff", required=True, ondelete='CASCADE')
    name = fields.Char(
        "Name", required=True,
        help="Shown on the session's price lines, e.g. \"Night\".")
    monday = fields.Boolean("Monday")
    tuesday = fields.Boolean("Tuesday")
    wednesday = fields.Boolean("Wednesday")
    thursday = fields.Boolean("Thursday")
    friday = fields.Boolean("Friday")
    saturday = fields.Boolean("Saturday")
    sunday = fields.Boolean("Sunday")
    start_time = fields.Time(
        "Start Time", required=True,
        help="In the station's local time.")
    end_time = fields.Time(
        "End Time", required=True,
        help="In the station's local time, excluded. "
        "A time before the start means the band runs past midnight: "
        "the days are those on which it starts.")
    price_per_kwh = fields.Numeric(
        "Price per kWh", digits=PRICE_DIGITS,
        domain=[_positive('price_per_kwh')],
        help="Leave empty to keep the tariff's price.")
    price_per_minute = fields.Numeric(
        "Price per Charging Minute", digits=PRICE_DIGITS,
        domain=[_positive('price_per_minute')],
        help="Leave empty to keep the tariff's price.")
    idle_price_per_minute = fields.Numeric(
        "Price per Idle Minute", digits=PRICE_DIGITS,
        domain=[_positive('idle_price_per_minute')],
        help="Leave empty to keep the tariff's price.")
    weekdays = fields.Function(
        fields.Char("Days"), 'get_weekdays')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('tariff')

    @classmethod
    def default_monday(cls):
        return True

    default_tuesday = default_wednesday = default_thursday = default_monday
    default_friday = default_saturday = default_sunday = default_monday

    def get_weekdays(self, name):
        labels = self.fields_get(WEEKDAYS)
        return ', '.join(labels[d]['string'][:2] for d in WEEKDAYS
            if getattr(self, d))

    def get_spec(self):
        "Return the engine's Band"
        return engine.Band(
            weekdays=frozenset(i for i, d in enumerate(WEEKDAYS)
                if getattr(self, d)),
            start=self.start_time,
            end=self.end_time,
            price_per_kwh=self.price_per_kwh,
            price_per_minute=self.price_per_minute,
            idle_price_per_minute=self.idle_price_per_minute,
            name=self.name)

    def _audit_text(self):
        def price(value):
            return '-' if value is None else _number(value)
        return '%s %s %s-%s %s/%s/%s' % (
            self.name, self.weekdays,
            self.start_time.strftime('%H:%M') if self.start_time else '',
            self.end_time.strftime('%H:%M') if self.end_time else '',
            price(self.price_per_kwh), price(self.price_per_minute),
            price(self.idle_price_per_minute))

    @classmethod
    def validate_fields(cls, bands, field_names):
        super().validate_fields(bands, field_names)
        cls.check_weekdays(bands, field_names)
        cls.check_bounds(bands, field_names)

    @classmethod
    def check_weekdays(cls, bands, field_names=None):
        if field_names and not (field_names & set(WEEKDAYS)):
            return
        for band in bands:
            if not any(getattr(band, d) for d in WEEKDAYS):
                raise TariffValidationError(gettext(
                        'ev_tariff.msg_band_no_weekday',
                        band=band.name, tariff=band.tariff.rec_name))

    @classmethod
    def check_bounds(cls, bands, field_names=None):
        if field_names and not (field_names & {
                    'tariff', 'price_per_kwh', 'price_per_minute',
                    'idle_price_per_minute'}):
            return
        for band in bands:
            band.tariff._check_bounds(band)

    @classmethod
    def _bands_changed(cls, tariffs, olds):
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        context = Transaction().context
        if context.get('_ev_tariff_new'):
            return
        writing = set(context.get('_ev_tariff_write') or [])
        tariffs = Tariff.browse(list({t.id for t in tariffs} - writing))
        Tariff._audit_changes(tariffs,
            {t.id: t._audit_values() for t in tariffs}, bands=olds)

    @classmethod
    def _band_texts(cls, tariffs):
        return {t.id: t._audit_bands() for t in tariffs}

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        tariffs = Tariff.browse(
            list({v['tariff'] for v in vlist if v.get('tariff')}))
        olds = cls._band_texts(tariffs)
        bands = super().create(vlist)
        cls._bands_changed(tariffs, olds)
        return bands

    @classmethod
    def write(cls, *args):
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        actions = iter(args)
        ids = set()
        for bands, values in zip(actions, actions):
            ids |= {b.tariff.id for b in bands}
            if values.get('tariff'):
                ids.add(values['tariff'])
        tariffs = Tariff.browse(list(ids))
        olds = cls._band_texts(tariffs)
        super().write(*args)
        cls._bands_changed(tariffs, olds)

    @classmethod
    def delete(cls, bands):
        pool = Pool()
        Tariff = pool.get('ev.tariff')
        tariffs = Tariff.browse(list({b.tariff.id for b in bands}))
        olds = cls._band_texts(tariffs)
        super().delete(bands)
        cls._bands_changed(tariffs, olds)


class Preview(Wizard):
    __name__ = 'ev.tariff.preview'
    __string__ = "EV Tariff Preview"

    start = StateView('ev.tariff.preview.start',
        'ev_tariff.preview_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        tariff = self.record if self.model and self.model.__name__ == (
            'ev.tariff') else None
        at = utcnow().replace(second=0, microsecond=0)
        values = {
            'start_at': at,
            'energy': Decimal(30),
            'charging_minutes': 45,
            'idle_minutes': 0,
            'reserved': False,
            }
        if tariff:
            values['tariff'] = tariff.id
            values['currency'] = tariff.currency.id
        preview = self.start.__class__(**values)
        preview.compute()
        # A One2Many default is a list of values, not on_change changes.
        values['lines'] = [{
                'label': l.label, 'kind': l.kind, 'band': l.band,
                'quantity': l.quantity, 'unit': l.unit,
                'unit_price': l.unit_price, 'amount': l.amount,
                'source': l.source,
                'currency': l.currency.id if l.currency else None,
                } for l in preview.lines]
        for name in ['net_amount', 'tax_amount', 'total_amount']:
            values[name] = getattr(preview, name)
        return values


class PreviewStart(ModelView):
    __name__ = 'ev.tariff.preview.start'
    __string__ = "EV Tariff Preview"

    tariff = fields.Many2One('ev.tariff', "Tariff", required=True)
    station = fields.Many2One(
        'ev.station', "Station",
        help="The station whose time zone places the bands; "
        "leave empty for the company's.")
    start_at = fields.DateTime("Start", required=True)
    energy = fields.Numeric(
        "Energy (kWh)", digits=(16, 3), required=True,
        domain=[('energy', '>=', 0)])
    charging_minutes = fields.Integer(
        "Charging Minutes", required=True,
        domain=[('charging_minutes', '>=', 0)])
    idle_minutes = fields.Integer(
        "Idle Minutes", required=True,
        domain=[('idle_minutes', '>=', 0)],
        help="Minutes plugged in after charging ends.")
    reserved = fields.Boolean(
        "Reserved", help="The session follows a reservation.")
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    lines = fields.One2Many(
        'ev.tariff.preview.line', None, "Lines", readonly=True)
    net_amount = Monetary(
        "Net", currency='currency', digits='currency', readonly=True)
    tax_amount = Monetary(
        "Tax", currency='currency', digits='currency', readonly=True)
    total_amount = Monetary(
        "Total", currency='currency', digits='currency', readonly=True)

    @fields.depends('tariff')
    def on_change_tariff(self):
        self.currency = self.tariff.currency if self.tariff else None

    @fields.depends('tariff', 'station', 'start_at', 'energy',
        'charging_minutes', 'idle_minutes', 'reserved', 'currency',
        methods=['compute'])
    def on_change_with_lines(self):
        self.compute()
        return self.lines

    @fields.depends(methods=['on_change_with_lines'])
    def on_change_with_net_amount(self):
        self.on_change_with_lines()
        return self.net_amount

    @fields.depends(methods=['on_change_with_lines'])
    def on_change_with_tax_amount(self):
        self.on_change_with_lines()
        return self.tax_amount

    @fields.depends(methods=['on_change_with_lines'])
    def on_change_with_total_amount(self):
        self.on_change_with_lines()
        return self.total_amount

    @fields.depends('tariff', 'station', 'start_at', 'energy',
        'charging_minutes', 'idle_minutes', 'reserved')
    def compute(self):
        "Price the session described and set the lines and totals"
        pool = Pool()
        Line = pool.get('ev.tariff.preview.line')
        PriceLine = pool.get('ev.tariff.price_line')
        self.lines = []
        self.net_amount = self.tax_amount = self.total_amount = None
        if not self.tariff or not self.start_at:
            return
        start = self.start_at.replace(microsecond=0)
        charging = dt.timedelta(minutes=max(self.charging_minutes or 0, 0))
        idle = dt.timedelta(minutes=max(self.idle_minutes or 0, 0))
        energy = int((self.energy or 0) * 1000)
        samples = [engine.Sample(start, 0),
            engine.Sample(start + charging, energy)]
        timeline = [engine.StatusChange(start, 'charging')]
        if idle:
            samples.append(engine.Sample(start + charging + idle, energy))
            timeline.append(engine.StatusChange(start + charging, 'idle'))
        spec = self.tariff.get_spec(self.station, start.date())
        breakdown = engine.price(spec, start, start + charging + idle,
            samples=tuple(samples), timeline=tuple(timeline),
            reserved=bool(self.reserved))
        currency = self.tariff.currency
        lines = []
        for line in breakdown.lines:
            values = PriceLine.line_dict(line, currency)
            lines.append(Line(
                    label=values['label'], kind=line.kind, band=line.band,
                    quantity=line.quantity, unit=line.unit,
                    unit_price=line.unit_price, amount=line.amount,
                    source=line.source, currency=currency))
        self.lines = lines
        self.net_amount = breakdown.net
        self.tax_amount = breakdown.tax
        self.total_amount = breakdown.total


class PreviewLine(ModelView):
    __name__ = 'ev.tariff.preview.line'
    __string__ = "EV Tariff Preview Line"

    label = fields.Char("Description", readonly=True)
    kind = fields.Selection('get_kinds', "Kind", readonly=True)
    band = fields.Char("Band", readonly=True)
    quantity = fields.Numeric("Quantity", digits=(16, 3), readonly=True)
    unit = fields.Selection('get_units', "Unit", readonly=True)
    unit_price = fields.Numeric(
        "Unit Price", digits=PRICE_DIGITS, readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    source = fields.Char("Source", readonly=True)

    @classmethod
    def get_kinds(cls):
        pool = Pool()
        PriceLine = pool.get('ev.tariff.price_line')
        return PriceLine.fields_get(['kind'])['kind']['selection']

    @classmethod
    def get_units(cls):
        pool = Pool()
        PriceLine = pool.get('ev.tariff.price_line')
        return PriceLine.fields_get(['unit'])['unit']['selection']
