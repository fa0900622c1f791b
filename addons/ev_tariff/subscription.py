# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Subscriptions (абонементы): plans the platform sells, run by Tryton's
sale_subscription, which invoices their fee every period"""
import datetime as dt
from decimal import Decimal

from sql.aggregate import Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import lock
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from . import engine
from .exceptions import SubscriptionError, SubscriptionValidationError
from .tariff import local_date


def _client():
    "Return the client party the caller acts for, or None"
    pool = Pool()
    Party = pool.get('party.party')
    Rule = pool.get('ir.rule')
    party = Rule._get_ev_party()
    if party and party > 0:
        return Party(party)


class Plan(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.subscription.plan'
    __string__ = "EV Subscription Plan"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT')
    name = fields.Char("Name", required=True, translate=True)
    description = fields.Text(
        "Description", translate=True,
        help="What the client app shows of the plan.")
    service = fields.Many2One(
        'sale.subscription.service', "Service", required=True,
        ondelete='RESTRICT',
        help="The subscription service invoiced every period: its "
        "consumption recurrence is the plan's period.")
    recurrence = fields.Function(fields.Many2One(
            'sale.subscription.recurrence.rule.set', "Period"),
        'on_change_with_recurrence')
    fee = Monetary(
        "Fee", currency='currency', digits='currency', required=True,
        domain=[('fee', '>=', 0)],
        help="What the client pays every period, net of tax: the taxes of "
        "the service's product are added on the invoice.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, ondelete='RESTRICT')
    included_energy_wh = fields.Integer(
        "Included Energy (Wh)", required=True,
        domain=[('included_energy_wh', '>=', 0)],
        help="The energy every period includes at no charge.")
    included_energy = fields.Function(fields.Numeric(
            "Included Energy", digits=(16, 3),
            help="The kWh every period includes at no charge."),
        'get_included_energy', setter='set_included_energy')
    included_minutes = fields.Integer(
        "Included Minutes", required=True,
        domain=[('included_minutes', '>=', 0)],
        help="The minutes of charging every period includes at no charge "
        "(idle time is never included).")
    discount_rate = fields.Numeric(
        "Discount", digits=(16, 4), required=True,
        domain=[('discount_rate', '>=', 0), ('discount_rate', '<=', 1)],
        help="The discount on what the included energy and minutes do not "
        "cover.")
    waive_start_fee = fields.Boolean(
        "Waive Start Fee",
        help="Sessions under the plan pay no start fee.")
    partners = fields.Many2Many(
        'ev.subscription.plan-party.party', 'plan', 'party', "Partners",
        domain=[('ev_partner', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'},
        help="The networks where the plan applies; with no partner nor "
        "station, it applies everywhere.")
    stations = fields.Many2Many(
        'ev.subscription.plan-ev.station', 'plan', 'station', "Stations",
        help="Stations where the plan applies beyond its partners' "
        "networks.")
    client_groups = fields.Many2Many(
        'ev.subscription.plan-party.category', 'plan', 'category',
        "Client Groups",
        help="Only clients of these groups may buy the plan; with none, "
        "every client may.")
    subscriptions = fields.One2Many(
        'sale.subscription', 'ev_plan', "Subscriptions", readonly=True)
    running = fields.Function(
        fields.Integer("Running Subscriptions"), 'get_counts')
    subscribers = fields.Function(
        fields.Integer("Subscribers Ever"), 'get_counts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]
        cls.__rpc__.update({
                'get_offers': RPC(readonly=True),
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_included_energy_wh(cls):
        return 0

    @classmethod
    def default_included_minutes(cls):
        return 0

    @classmethod
    def default_discount_rate(cls):
        return Decimal(0)

    @classmethod
    def default_waive_start_fee(cls):
        return False

    @fields.depends('service')
    def on_change_with_recurrence(self, name=None):
        if self.service:
            return self.service.consumption_recurrence

    def get_included_energy(self, name):
        return (Decimal(self.included_energy_wh or 0) / 1000).quantize(
            Decimal('0.001'))

    @classmethod
    def set_included_energy(cls, plans, name, value):
        wh = int((Decimal(value or 0) * 1000).to_integral_value())
        cls.write(plans, {'included_energy_wh': wh})

    @fields.depends('included_energy')
    def on_change_included_energy(self):
        self.included_energy_wh = int(
            (Decimal(self.included_energy or 0) * 1000).to_integral_value())

    @classmethod
    def get_counts(cls, plans, names):
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        table = Subscription.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {p.id: 0 for p in plans} for n in names}
        for sub_ids in grouped_slice(plans, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.ev_plan, table.state, table.party,
                    where=table.ev_plan.in_(list(map(int, sub_ids)))
                    & table.state.in_(['running', 'closed'])))
            parties = {}
            for plan, state, party in cursor:
                if state == 'running' and 'running' in result:
                    result['running'][plan] += 1
                parties.setdefault(plan, set()).add(party)
            if 'subscribers' in result:
                for plan, plan_parties in parties.items():
                    result['subscribers'][plan] = len(plan_parties)
        return result

    @classmethod
    def validate_fields(cls, plans, field_names):
        super().validate_fields(plans, field_names)
        if field_names & {'service'}:
            for plan in plans:
                product = plan.service.product
                if not product.salable or not product.sale_uom:
                    raise SubscriptionValidationError(gettext(
                            'ev_tariff.msg_plan_service_not_salable',
                            plan=plan.rec_name,
                            product=product.rec_name))
                if not plan.service.consumption_recurrence:
                    raise SubscriptionValidationError(gettext(
                            'ev_tariff.msg_plan_service_recurrence',
                            plan=plan.rec_name,
                            service=plan.service.rec_name))

    def covers(self, station):
        "Tell whether the plan applies at the station"
        if not self.partners and not self.stations:
            return True
        return (station in self.stations
            or (station.partner is not None
                and station.partner in self.partners))

    def may_buy(self, party):
        "Tell whether the client may buy the plan"
        pool = Pool()
        Assignment = pool.get('ev.tariff.assignment')
        if not self.active:
            return False
        if not self.client_groups:
            return True
        groups = Assignment._client_groups(party)
        return any(g.id in groups for g in self.client_groups)

    def offer_dict(self):
        "Return the plan as the client app shows it"
        return {
            'id': self.id,
            'name': self.name,
            'description': self.description or '',
            'fee': self.fee,
            'currency': self.currency.code,
            'period': self.recurrence.rec_name if self.recurrence else '',
            'included_energy_wh': self.included_energy_wh,
            'included_minutes': self.included_minutes,
            'discount_rate': self.discount_rate,
            'waive_start_fee': bool(self.waive_start_fee),
            'partners': [p.rec_name for p in self.partners],
            'stations': [s.rec_name for s in self.stations],
            }

    @classmethod
    def get_offers(cls):
        "Return the plans the calling client may buy"
        party = _client()
        if party is None:
            # The back office reads plans as its rights allow.
            return [p.offer_dict() for p in cls.search([])]
        with without_check_access():
            return [p.offer_dict() for p in cls.search([])
                if p.may_buy(party)]


class Plan_Party(ModelSQL):
    __name__ = 'ev.subscription.plan-party.party'
    __string__ = "EV Subscription Plan - Partner"

    plan = fields.Many2One(
        'ev.subscription.plan', "Plan", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')


class Plan_Station(ModelSQL):
    __name__ = 'ev.subscription.plan-ev.station'
    __string__ = "EV Subscription Plan - Station"

    plan = fields.Many2One(
        'ev.subscription.plan', "Plan", required=True, ondelete='CASCADE')
    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE')


class Plan_Category(ModelSQL):
    __name__ = 'ev.subscription.plan-party.category'
    __string__ = "EV Subscription Plan - Client Group"

    plan = fields.Many2One(
        'ev.subscription.plan', "Plan", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'party.category', "Client Group", required=True, ondelete='CASCADE')


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    ev_plan = fields.Many2One(
        'ev.subscription.plan', "Charging Plan", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The charging plan the subscription gives the client: it "
        "applies to the client's sessions while the subscription runs.")
    ev_usages = fields.One2Many(
        'ev.subscription.usage', 'subscription', "Charging Usage",
        readonly=True)
    ev_period_start = fields.Function(
        fields.Date("Period Start"), 'get_ev_period')
    ev_period_end = fields.Function(
        fields.Date("Period End",
            help="The last day of the current period."),
        'get_ev_period')
    ev_energy_used_wh = fields.Function(
        fields.Integer("Energy Used (Wh)",
            help="The included energy the sessions of the current period "
            "used."),
        'get_ev_usage')
    ev_energy_left_wh = fields.Function(
        fields.Integer("Energy Left (Wh)"), 'get_ev_usage')
    ev_minutes_used = fields.Function(
        fields.Numeric("Minutes Used", digits=(16, 2)), 'get_ev_usage')
    ev_minutes_left = fields.Function(
        fields.Numeric("Minutes Left", digits=(16, 2)), 'get_ev_usage')
    ev_renews = fields.Function(
        fields.Boolean("Renews",
            help="The subscription goes on into the next period unless it "
            "has an end date."),
        'get_ev_renews')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.party, Index.Range()),
                (t.ev_plan, Index.Range()),
                where=t.state == 'running'))
        cls._buttons.update({
                'ev_stop_renewal': {
                    'invisible': ((Eval('state') != 'running')
                        | ~Eval('ev_plan') | Eval('end_date')),
                    'depends': ['state', 'ev_plan', 'end_date'],
                    },
                })
        cls.__rpc__.update({
                'ev_purchase': RPC(readonly=False),
                'ev_my_subscriptions': RPC(readonly=True),
                'ev_cancel_renewal': RPC(readonly=False),
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="ev_charging"]', 'states', {
                    'invisible': ~Eval('ev_plan'),
                    }),
            ]

    @classmethod
    def copy(cls, subscriptions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('ev_usages')
        return super().copy(subscriptions, default=default)

    def ev_period(self, date):
        """Return the first and the last day of the period of the
        subscription that contains date, or None before the start"""
        start = self.invoice_start_date or self.start_date
        if not start or date < start or not self.invoice_recurrence:
            return None
        rules = self.invoice_recurrence.rruleset(start)
        at = dt.datetime.combine(date, dt.time())
        begin = rules.before(at, inc=True)
        begin = begin.date() if begin else start
        following = rules.after(at, inc=False)
        end = (following.date() - dt.timedelta(days=1)
            if following else None)
        if self.end_date and (end is None or end > self.end_date):
            end = self.end_date
        return begin, end

    def _ev_today(self):
        pool = Pool()
        Date = pool.get('ir.date')
        return Transaction().context.get('date') or Date.today()

    @classmethod
    def get_ev_period(cls, subscriptions, names):
        result = {n: {} for n in names}
        for subscription in subscriptions:
            period = None
            if subscription.ev_plan:
                period = subscription.ev_period(subscription._ev_today())
            begin, end = period or (None, None)
            if 'ev_period_start' in result:
                result['ev_period_start'][subscription.id] = begin
            if 'ev_period_end' in result:
                result['ev_period_end'][subscription.id] = end
        return result

    @classmethod
    def get_ev_usage(cls, subscriptions, names):
        result = {n: {} for n in names}
        for subscription in subscriptions:
            plan = subscription.ev_plan
            period = (subscription.ev_period(subscription._ev_today())
                if plan else None)
            energy, minutes = (subscription.ev_used(period[0])
                if period else (0, Decimal(0)))
            values = {
                'ev_energy_used_wh': energy if plan else None,
                'ev_minutes_used': minutes if plan else None,
                'ev_energy_left_wh': (
                    max(plan.included_energy_wh - energy, 0)
                    if plan else None),
                'ev_minutes_left': (
                    max(plan.included_minutes - minutes, 0)
                    if plan else None),
                }
            for name in names:
                result[name][subscription.id] = values[name]
        return result

    def get_ev_renews(self, name):
        return bool(self.ev_plan and self.state == 'running'
            and not self.end_date)

    def ev_used(self, period_start):
        "Return the energy (Wh) and minutes used in the period"
        pool = Pool()
        Usage = pool.get('ev.subscription.usage')
        usage = Usage.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*usage.select(
                Sum(usage.energy_wh), Sum(usage.minutes),
                where=(usage.subscription == self.id)
                & (usage.period_start == period_start)))
        energy, minutes = cursor.fetchone()
        return int(energy or 0), Decimal(str(minutes or 0))

    def ev_applies(self, station, date):
        "Tell whether the subscription applies at the station on date"
        return bool(self.ev_plan
            and self.state == 'running'
            and self.start_date <= date
            and (not self.end_date or date <= self.end_date)
            and self.ev_plan.covers(station))

    def ev_source(self):
        "Return how a price line names the subscription"
        if self.number:
            return '%s (%s)' % (self.ev_plan.name, self.number)
        return self.ev_plan.name

    def ev_allowances(self, date):
        "Return the engine Allowances the subscription gives on date"
        plan = self.ev_plan
        period_start, _ = self.ev_period(date)
        energy, minutes = self.ev_used(period_start)
        source = self.ev_source()
        allowances = []
        if plan.included_energy_wh:
            allowances.append(engine.Allowance('free_kwh', source,
                    quantity_wh=max(plan.included_energy_wh - energy, 0)))
        if plan.included_minutes:
            # The engine takes whole minutes: what is left of a started
            # minute is not given away.
            left = max(Decimal(plan.included_minutes) - minutes, 0)
            allowances.append(engine.Allowance('free_minutes', source,
                    minutes=int(left)))
        if plan.waive_start_fee:
            allowances.append(engine.Allowance('free_start_fee', source))
        if plan.discount_rate:
            allowances.append(engine.Allowance('percentage', source,
                    rate=plan.discount_rate))
        return allowances

    @classmethod
    def ev_find(cls, party, station, date):
        """Return the running subscriptions of the client that apply at the
        station on date"""
        if not party:
            return []
        with without_check_access():
            subscriptions = cls.search([
                    ('party', '=', party.id),
                    ('ev_plan', '!=', None),
                    ('state', '=', 'running'),
                    ('start_date', '<=', date),
                    ['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', date),
                        ],
                    ], order=[('start_date', 'ASC'), ('id', 'ASC')])
            return [s for s in subscriptions if s.ev_applies(station, date)]

    @classmethod
    def ev_record_usage(cls, session, subscription, allowances, breakdown,
            date):
        "Return the unsaved usage of the subscription by the priced session"
        pool = Pool()
        Usage = pool.get('ev.subscription.usage')
        source = subscription.ev_source().strip()
        energy, minutes = 0, Decimal(0)
        for allowance, used in zip(allowances, breakdown.allowance_used):
            if allowance.source != source or used is None:
                continue
            kind, value = used
            if kind == 'free_kwh':
                energy += int(value)
            elif kind == 'free_minutes':
                minutes += Decimal(value)
        discount = -sum((line.amount for line in breakdown.lines
                if line.kind == 'discount' and line.source == source),
            Decimal(0))
        if not (energy or minutes or discount):
            return None
        period_start, _ = subscription.ev_period(date)
        return Usage(subscription=subscription, session=session,
            period_start=period_start, energy_wh=energy, minutes=minutes,
            discount=discount)

    @classmethod
    @ModelView.button
    def ev_stop_renewal(cls, subscriptions):
        """End the subscriptions with their current period: they are not
        invoiced nor applied after"""
        pool = Pool()
        Line = pool.get('sale.subscription.line')
        lines = []
        for subscription in subscriptions:
            if subscription.state != 'running' or subscription.end_date:
                continue
            period = subscription.ev_period(subscription._ev_today())
            if not period or not period[1]:
                continue
            subscription.end_date = period[1]
            for line in subscription.lines:
                if not line.end_date or line.end_date > period[1]:
                    line.end_date = period[1]
                    lines.append(line)
        Line.save(lines)
        cls.save(subscriptions)

    @classmethod
    def ev_purchase(cls, plan):
        """Buy the plan for the calling client: a running subscription from
        today, renewed every period until the client stops it

        The fee is invoiced by sale_subscription's invoicing; billing
        collects it."""
        pool = Pool()
        Plan = pool.get('ev.subscription.plan')
        Line = pool.get('sale.subscription.line')
        Address = pool.get('party.address')
        party = _client()
        if party is None:
            raise SubscriptionError(gettext(
                    'ev_tariff.msg_subscription_client_only'))
        with without_check_access():
            plans = Plan.search([('id', '=', int(plan))])
            if not plans or not plans[0].may_buy(party):
                raise SubscriptionError(gettext(
                        'ev_tariff.msg_subscription_plan_unavailable'))
            plan, = plans
            # Two purchases at once must not make two subscriptions.
            lock(Pool().get('party.party'), [party])
            today = Pool().get('ir.date').today()
            if cls.search([
                        ('party', '=', party.id),
                        ('ev_plan', '=', plan.id),
                        ('state', 'in', ['draft', 'quotation', 'running']),
                        ['OR',
                            ('end_date', '=', None),
                            ('end_date', '>=', today),
                            ],
                        ]):
                raise SubscriptionError(gettext(
                        'ev_tariff.msg_subscription_already',
                        plan=plan.name))
            address = party.address_get(type='invoice')
            if not address:
                address = Address(party=party)
                address.save()
            subscription = cls(
                company=plan.company, party=party, invoice_address=address,
                currency=plan.currency, start_date=today,
                invoice_recurrence=plan.service.consumption_recurrence,
                payment_term=party.customer_payment_term,
                ev_plan=plan, description=plan.name)
            subscription.save()
            line = Line(subscription=subscription, service=plan.service,
                quantity=1, start_date=today)
            line.on_change_service()
            line.unit_price = plan.fee
            line.save()
            cls.quote([subscription])
            cls.run([subscription])
            return subscription.ev_dict()

    def ev_dict(self):
        "Return the subscription as the client app shows it"
        return {
            'id': self.id,
            'number': self.number,
            'plan': self.ev_plan.offer_dict() if self.ev_plan else None,
            'state': self.state,
            'start_date': self.start_date,
            'end_date': self.end_date,
            'renews': self.ev_renews,
            'period_start': self.ev_period_start,
            'period_end': self.ev_period_end,
            'energy_used_wh': self.ev_energy_used_wh,
            'energy_left_wh': self.ev_energy_left_wh,
            'minutes_used': self.ev_minutes_used,
            'minutes_left': self.ev_minutes_left,
            }

    @classmethod
    def ev_my_subscriptions(cls):
        "Return the calling client's charging subscriptions, newest first"
        party = _client()
        if party is None:
            return []
        with without_check_access():
            subscriptions = cls.search([
                    ('party', '=', party.id),
                    ('ev_plan', '!=', None),
                    ('state', 'in', ['running', 'closed']),
                    ])
            return [s.ev_dict() for s in subscriptions]

    @classmethod
    def ev_cancel_renewal(cls, subscription):
        "Stop the renewal of the calling client's subscription"
        party = _client()
        with without_check_access():
            found = cls.search([
                    ('id', '=', int(subscription)),
                    ('party', '=', party.id if party else -1),
                    ('ev_plan', '!=', None),
                    ])
            if not found or found[0].state != 'running':
                raise SubscriptionError(gettext(
                        'ev_tariff.msg_subscription_not_running'))
            cls.ev_stop_renewal(found)
            return found[0].ev_dict()


class SubscriptionUsage(ModelSQL, ModelView):
    __name__ = 'ev.subscription.usage'
    __string__ = "EV Subscription Usage"

    subscription = fields.Many2One(
        'sale.subscription', "Subscription", required=True,
        ondelete='RESTRICT', readonly=True)
    session = fields.Many2One(
        'ev.session', "Session", required=True, ondelete='RESTRICT',
        readonly=True)
    period_start = fields.Date(
        "Period Start", required=True, readonly=True,
        help="The first day of the subscription's period the session "
        "counts in.")
    energy_wh = fields.Integer(
        "Energy (Wh)", required=True, readonly=True,
        help="The included energy the session used.")
    minutes = fields.Numeric(
        "Minutes", digits=(16, 2), required=True, readonly=True,
        help="The included minutes the session used.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    discount = Monetary(
        "Discount", currency='currency', digits='currency', required=True,
        readonly=True,
        help="What the subscription took off the session's price, net of "
        "tax.")
    session_start = fields.Function(
        fields.DateTime("Session Start"), 'get_session_field')
    station = fields.Function(
        fields.Many2One('ev.station', "Station"), 'get_session_field')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_unique', Unique(t, t.subscription, t.session),
                'ev_tariff.msg_subscription_usage_unique'),
            ]
        cls._sql_indexes.add(
            Index(t,
                (t.subscription, Index.Range()),
                (t.period_start, Index.Range())))
        cls._order = [('period_start', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('subscription')

    @fields.depends('subscription', '_parent_subscription.currency')
    def on_change_with_currency(self, name=None):
        return self.subscription.currency if self.subscription else None

    def get_session_field(self, name):
        if name == 'session_start':
            return self.session.start_at
        return self.session.station.id

    @classmethod
    def check_modification(cls, mode, usages, values=None, external=False):
        super().check_modification(
            mode, usages, values=values, external=external)
        if external:
            # Usage is what the client was given: it changes only with a
            # new pricing of the session, never by hand.
            raise SubscriptionError(gettext(
                    'ev_tariff.msg_subscription_usage_readonly'))


def session_date(session):
    "Return the local date the session counts on for subscriptions"
    return local_date(session.start_at, session.station.timezone)
