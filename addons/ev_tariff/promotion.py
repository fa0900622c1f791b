# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Promo codes: sale_promotion_coupon's promotions, coupons and numbers,
redeemed by clients on their charging sessions"""
import secrets
from decimal import Decimal

from sql.aggregate import Count, Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import engine
from .exceptions import PromoCodeError
from .subscription import _client, session_date
from .tariff import _number

DISCOUNTS = [
    (None, ""),
    ('percentage', "Percentage"),
    ('fixed', "Fixed Amount"),
    ('free_kwh', "Free Energy"),
    ('free_start_fee', "Free Start Fee"),
    ]
# Generated codes leave out the characters a client mistakes for others
# (0/O, 1/I/L) when typing them from a leaflet.
CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'


def normalize(code):
    "Return the code as it is stored: codes are case-insensitive"
    return (code or '').strip().upper()


class Promotion(metaclass=PoolMeta):
    __name__ = 'sale.promotion'

    ev_discount = fields.Selection(
        DISCOUNTS, "Charging Discount", sort=False,
        help="Makes the promotion a promo code for charging sessions: "
        "what its codes take off a session's price.\n"
        "A charging promotion never applies to sales.")
    ev_rate = fields.Numeric(
        "Discount Rate", digits=(16, 4),
        domain=[If(Eval('ev_discount') == 'percentage',
                [('ev_rate', '>', 0), ('ev_rate', '<=', 1)],
                [])],
        states={
            'required': Eval('ev_discount') == 'percentage',
            'invisible': Eval('ev_discount') != 'percentage',
            })
    ev_amount = Monetary(
        "Discount Amount", currency='currency', digits='currency',
        domain=[If(Eval('ev_discount') == 'fixed',
                [('ev_amount', '>', 0)],
                [])],
        states={
            'required': Eval('ev_discount') == 'fixed',
            'invisible': Eval('ev_discount') != 'fixed',
            },
        help="Taken off the session's price, tax included when the "
        "tariff's prices are.")
    ev_energy_wh = fields.Integer(
        "Free Energy (Wh)",
        domain=[If(Eval('ev_discount') == 'free_kwh',
                [('ev_energy_wh', '>', 0)],
                [])],
        states={
            'required': Eval('ev_discount') == 'free_kwh',
            'invisible': Eval('ev_discount') != 'free_kwh',
            },
        help="The first Wh of the session are free.")
    ev_first_session = fields.Boolean(
        "First Session Only",
        states={
            'invisible': ~Eval('ev_discount'),
            },
        help="Only a client who has never finished a session may use it.")
    ev_partners = fields.Many2Many(
        'sale.promotion-ev.partner.party', 'promotion', 'party',
        "Partners",
        domain=[('ev_partner', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'},
        states={
            'invisible': ~Eval('ev_discount'),
            },
        help="The networks where the codes apply; with no partner nor "
        "station, everywhere.")
    ev_stations = fields.Many2Many(
        'sale.promotion-ev.station', 'promotion', 'station', "Stations",
        states={
            'invisible': ~Eval('ev_discount'),
            })
    ev_client_groups = fields.Many2Many(
        'sale.promotion-ev.client.category', 'promotion', 'category',
        "Client Groups",
        states={
            'invisible': ~Eval('ev_discount'),
            },
        help="Only clients of these groups may use the codes; with none, "
        "every client may.")
    ev_redemptions = fields.One2Many(
        'ev.promotion.redemption', 'promotion', "Uses", readonly=True,
        states={
            'invisible': ~Eval('ev_discount'),
            })
    ev_applied = fields.Function(
        fields.Integer("Applied"), 'get_ev_usage')
    ev_reserved = fields.Function(
        fields.Integer("Reserved",
            help="Redeemed by clients and not yet applied to a priced "
            "session."),
        'get_ev_usage')
    ev_discount_total = fields.Function(Monetary(
            "Discount Given", currency='currency', digits='currency',
            help="What the codes took off priced sessions, net of tax."),
        'get_ev_usage')

    @classmethod
    def default_ev_first_session(cls):
        return False

    @fields.depends('ev_discount', 'formula')
    def on_change_ev_discount(self):
        if self.ev_discount and not self.formula:
            self.formula = 'unit_price'

    def match(self, pattern):
        # A charging promotion discounts sessions, never sale lines.
        if self.ev_discount:
            return False
        return super().match(pattern)

    @classmethod
    def get_ev_usage(cls, promotions, names):
        pool = Pool()
        Redemption = pool.get('ev.promotion.redemption')
        table = Redemption.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {p.id: 0 for p in promotions} for n in names}
        if 'ev_discount_total' in result:
            result['ev_discount_total'] = {
                p.id: Decimal(0) for p in promotions}
        currencies = {p.id: p.currency or p.company.currency
            for p in promotions}
        for sub_ids in grouped_slice(promotions, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.promotion, table.state, Count(table.id),
                    Sum(table.discount),
                    where=table.promotion.in_(
                        list(map(int, sub_ids)))
                    & table.state.in_(['reserved', 'applied']),
                    group_by=[table.promotion, table.state]))
            for promotion, state, count, discount in cursor:
                if state == 'applied':
                    if 'ev_applied' in result:
                        result['ev_applied'][promotion] = count
                    if 'ev_discount_total' in result:
                        # SQLite sums numerics as floats.
                        result['ev_discount_total'][promotion] = (
                            currencies[promotion].round(
                                Decimal(str(discount or 0))))
                elif 'ev_reserved' in result:
                    result['ev_reserved'][promotion] = count
        return result

    def ev_covers(self, station):
        "Tell whether the codes apply at the station"
        if not self.ev_partners and not self.ev_stations:
            return True
        return (station in self.ev_stations
            or (station.partner is not None
                and station.partner in self.ev_partners))

    def ev_offered_to(self, party):
        "Tell whether the client may use the codes"
        pool = Pool()
        Assignment = pool.get('ev.tariff.assignment')
        if not self.ev_client_groups:
            return True
        groups = Assignment._client_groups(party)
        return any(g.id in groups for g in self.ev_client_groups)

    def ev_allowance(self, source):
        "Return the engine Allowance a code of the promotion gives"
        if self.ev_discount == 'percentage':
            return engine.Allowance('percentage', source, rate=self.ev_rate)
        elif self.ev_discount == 'fixed':
            return engine.Allowance('fixed', source, amount=self.ev_amount)
        elif self.ev_discount == 'free_kwh':
            return engine.Allowance('free_kwh', source,
                quantity_wh=self.ev_energy_wh)
        elif self.ev_discount == 'free_start_fee':
            return engine.Allowance('free_start_fee', source)

    def ev_describe(self):
        "Return the translated description of the discount"
        if self.ev_discount == 'percentage':
            return gettext('ev_tariff.msg_promo_describe_percentage',
                rate=_number(self.ev_rate * 100))
        elif self.ev_discount == 'fixed':
            return gettext('ev_tariff.msg_promo_describe_fixed',
                amount=_number(self.ev_amount),
                currency=self.currency.code if self.currency else '')
        elif self.ev_discount == 'free_kwh':
            return gettext('ev_tariff.msg_promo_describe_free_kwh',
                energy=_number(Decimal(self.ev_energy_wh) / 1000))
        elif self.ev_discount == 'free_start_fee':
            return gettext('ev_tariff.msg_promo_describe_free_start_fee')
        return ''


class Promotion_Party(ModelSQL):
    __name__ = 'sale.promotion-ev.partner.party'
    __string__ = "Sale Promotion - EV Partner"

    promotion = fields.Many2One(
        'sale.promotion', "Promotion", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')


class Promotion_Station(ModelSQL):
    __name__ = 'sale.promotion-ev.station'
    __string__ = "Sale Promotion - EV Station"

    promotion = fields.Many2One(
        'sale.promotion', "Promotion", required=True, ondelete='CASCADE')
    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE')


class Promotion_Category(ModelSQL):
    __name__ = 'sale.promotion-ev.client.category'
    __string__ = "Sale Promotion - EV Client Group"

    promotion = fields.Many2One(
        'sale.promotion', "Promotion", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'party.category', "Client Group", required=True, ondelete='CASCADE')


class PromotionCoupon(metaclass=PoolMeta):
    __name__ = 'sale.promotion.coupon'

    ev_client_limit = fields.Integer(
        "Uses per Client",
        help="How many times one client may use the codes of the coupon, "
        "all its numbers together.\n0 or below for no limit.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'ev_generate': {},
                })

    @classmethod
    def default_ev_client_limit(cls):
        return 1

    @classmethod
    @ModelView.button_action('ev_tariff.wizard_generate_codes')
    def ev_generate(cls, coupons):
        pass


class PromotionCouponNumber(metaclass=PoolMeta):
    __name__ = 'sale.promotion.coupon.number'

    ev_redemptions = fields.One2Many(
        'ev.promotion.redemption', 'number', "Uses", readonly=True)
    ev_uses = fields.Function(
        fields.Integer("Uses",
            help="Redeemed and not cancelled: reserved or applied."),
        'get_ev_uses')

    @classmethod
    def get_ev_uses(cls, numbers, name):
        pool = Pool()
        Redemption = pool.get('ev.promotion.redemption')
        table = Redemption.__table__()
        cursor = Transaction().connection.cursor()
        uses = {n.id: 0 for n in numbers}
        for sub_ids in grouped_slice(numbers, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.number, Count(table.id),
                    where=table.number.in_(list(map(int, sub_ids)))
                    & table.state.in_(['reserved', 'applied']),
                    group_by=[table.number]))
            uses.update(cursor)
        return uses

    @classmethod
    def _ev_normalize(cls, values):
        pool = Pool()
        Coupon = pool.get('sale.promotion.coupon')
        if values.get('number') and values.get('coupon'):
            with without_check_access():
                coupon = Coupon(values['coupon'])
                if coupon.promotion.ev_discount:
                    values['number'] = normalize(values['number'])
        return values

    @classmethod
    def create(cls, vlist):
        vlist = [cls._ev_normalize(v.copy()) for v in vlist]
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for numbers, values in zip(actions, actions):
            if 'number' in values:
                # Each number may belong to a coupon of its own.
                for number in numbers:
                    args.extend(([number], cls._ev_normalize(dict(values,
                                    coupon=values.get(
                                        'coupon', number.coupon.id)))))
            else:
                args.extend((numbers, values))
        super().write(*args)

    @classmethod
    def ev_lookup(cls, code, date):
        "Return the number of the charging promotion matching code on date"
        code = normalize(code)
        if not code:
            return None
        # Numbers out of their dates are inactive: they are found all the
        # same to tell the client why they are refused.
        with Transaction().set_context(active_test=False):
            numbers = cls.search([
                    ('number', '=', code),
                    ('coupon.promotion.ev_discount', '!=', None),
                    ], order=[('id', 'DESC')])
        # A code may be reused in another period: the one of the date
        # first, else the nearest one to explain why it is refused.
        for number in numbers:
            if ((not number.start_date or number.start_date <= date)
                    and (not number.end_date or number.end_date >= date)):
                return number
        return numbers[0] if numbers else None


class GenerateCodesStart(ModelView):
    __name__ = 'ev.promotion.generate_codes.start'
    __string__ = "Generate Promo Codes"

    quantity = fields.Integer(
        "Quantity", required=True,
        domain=[('quantity', '>', 0), ('quantity', '<=', 10000)])
    prefix = fields.Char(
        "Prefix", help="Put in front of every code, e.g. SPRING-.")
    length = fields.Integer(
        "Length", required=True,
        domain=[('length', '>=', 6), ('length', '<=', 20)],
        help="Random characters of each code, after the prefix.")
    start_date = fields.Date("Start Date")
    end_date = fields.Date(
        "End Date",
        domain=[If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')),
                ())])

    @classmethod
    def default_quantity(cls):
        return 100

    @classmethod
    def default_length(cls):
        return 8


class GenerateCodes(Wizard):
    "Generate random, unique codes on a coupon"
    __name__ = 'ev.promotion.generate_codes'

    start = StateView('ev.promotion.generate_codes.start',
        'ev_tariff.generate_codes_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()

    def transition_generate(self):
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        coupon = self.record
        promotion = coupon.promotion
        prefix = normalize(self.start.prefix)
        # Numbers are dated within their promotion (sale_promotion_coupon
        # would refuse them otherwise).
        start_date = max(filter(None,
                [self.start.start_date, promotion.start_date]), default=None)
        end_date = min(filter(None,
                [self.start.end_date, promotion.end_date]), default=None)
        wanted = self.start.quantity
        codes = set()
        while len(codes) < wanted:
            batch = {prefix + ''.join(secrets.choice(CODE_ALPHABET)
                    for _ in range(self.start.length))
                for _ in range(wanted - len(codes))}
            # Never a code some number already has, of any coupon.
            existing = set()
            for sub in grouped_slice(list(batch), backend.MAX_QUERY_PARAMS):
                with Transaction().set_context(active_test=False):
                    existing.update(n.number for n in Number.search([
                                ('number', 'in', list(sub)),
                                ]))
            codes |= batch - existing
        Number.save([Number(coupon=coupon, company=coupon.company,
                    number=code, start_date=start_date, end_date=end_date)
                for code in sorted(codes)])
        return 'end'


class Redemption(Workflow, ModelSQL, ModelView):
    __name__ = 'ev.promotion.redemption'
    __string__ = "EV Promo Code Use"
    _rec_name = 'code'

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    number = fields.Many2One(
        'sale.promotion.coupon.number', "Code Number", required=True,
        ondelete='RESTRICT', readonly=True)
    code = fields.Char("Code", required=True, readonly=True)
    coupon = fields.Many2One(
        'sale.promotion.coupon', "Coupon", required=True,
        ondelete='RESTRICT', readonly=True)
    promotion = fields.Many2One(
        'sale.promotion', "Promotion", required=True, ondelete='RESTRICT',
        readonly=True)
    party = fields.Many2One(
        'party.party', "Client", required=True, ondelete='RESTRICT',
        readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'})
    session = fields.Many2One(
        'ev.session', "Session", ondelete='RESTRICT', readonly=True,
        help="The session the code discounts; none while it waits for the "
        "client's next session.")
    redeemed_at = fields.DateTime("Redeemed at", required=True,
        readonly=True)
    applied_at = fields.DateTime("Applied at", readonly=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    discount = Monetary(
        "Discount", currency='currency', digits='currency', readonly=True,
        help="What the code took off the session's price, net of tax.")
    state = fields.Selection([
            ('reserved', "Reserved"),
            ('applied', "Applied"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.party, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t,
                    (t.number, Index.Range()),
                    where=t.state.in_(['reserved', 'applied'])),
                Index(t, (t.session, Index.Range())),
                })
        cls._order = [('redeemed_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('reserved', 'applied'),
            ('reserved', 'cancelled'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state') != 'reserved',
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'check_code': RPC(readonly=True),
                'redeem': RPC(readonly=False),
                'my_codes': RPC(readonly=True),
                'withdraw': RPC(readonly=False),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'reserved'

    @fields.depends('session', '_parent_session.currency', 'promotion',
        '_parent_promotion.currency', 'company', '_parent_company.currency')
    def on_change_with_currency(self, name=None):
        if self.session and self.session.currency:
            return self.session.currency
        if self.promotion and self.promotion.currency:
            return self.promotion.currency
        if self.company:
            return self.company.currency

    @classmethod
    def check_modification(cls, mode, redemptions, values=None,
            external=False):
        super().check_modification(
            mode, redemptions, values=values, external=external)
        if external and (mode in {'create', 'delete'}
                or (mode == 'write'
                    and values != {'state': 'cancelled'})):
            # A use is what the client was given: it changes only through
            # the client app, the sessions and the Cancel button.
            raise PromoCodeError(gettext(
                    'ev_tariff.msg_promo_use_readonly'))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, redemptions):
        pass

    # The checks, in the order a client is told of them.

    @classmethod
    def _refusal(cls, number, code, party, date, session=None,
            station=None, excluded_session=None, redemption=None):
        """Return the translated reason why party may not use the code
        number on date (at station, or for the session), or None

        The use of the redemption, already counted, is left out."""
        pool = Pool()
        Session = pool.get('ev.session')
        lang = pool.get('ir.lang').get()
        if number is None or not number.coupon.promotion.ev_discount:
            return gettext('ev_tariff.msg_promo_unknown', code=code)
        promotion = number.coupon.promotion
        if not promotion.active:
            return gettext('ev_tariff.msg_promo_inactive', code=code)
        starts = [d for d in [number.start_date, promotion.start_date] if d]
        ends = [d for d in [number.end_date, promotion.end_date] if d]
        if starts and max(starts) > date:
            return gettext('ev_tariff.msg_promo_not_started', code=code,
                date=lang.strftime(max(starts)))
        if ends and min(ends) < date:
            return gettext('ev_tariff.msg_promo_expired', code=code,
                date=lang.strftime(min(ends)))
        if not promotion.ev_offered_to(party):
            return gettext('ev_tariff.msg_promo_not_offered', code=code)
        station = station or (session.station if session else None)
        if station and not promotion.ev_covers(station):
            return gettext('ev_tariff.msg_promo_station', code=code,
                station=station.name)
        coupon = number.coupon
        others = [('id', '!=', redemption.id)] if redemption else []
        used = cls.search(others + [
                ('number', '=', number.id),
                ('state', 'in', ['reserved', 'applied']),
                ] + ([('party', '=', party.id)] if coupon.per_party else []),
            count=True)
        if coupon.number_of_use > 0 and used >= coupon.number_of_use:
            return gettext('ev_tariff.msg_promo_used_up', code=code)
        if coupon.ev_client_limit and coupon.ev_client_limit > 0:
            mine = cls.search(others + [
                    ('coupon', '=', coupon.id),
                    ('party', '=', party.id),
                    ('state', 'in', ['reserved', 'applied']),
                    ], count=True)
            if mine >= coupon.ev_client_limit:
                return gettext('ev_tariff.msg_promo_client_limit', code=code)
        if promotion.ev_first_session:
            domain = [
                ('client', '=', party.id),
                ('state', '=', 'finished'),
                ]
            if excluded_session:
                domain.append(('id', '!=', excluded_session.id))
            if Session.search(domain, count=True):
                return gettext('ev_tariff.msg_promo_first_session',
                    code=code)
        return None

    @classmethod
    def _today(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def check_code(cls, code, connector=None):
        """Tell the calling client whether the code may be redeemed (on the
        connector): a dictionary with 'valid' and the 'reason' if not"""
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        Connector = pool.get('ev.connector')
        party = _client()
        if party is None:
            return {'valid': False, 'code': normalize(code),
                'reason': gettext('ev_tariff.msg_promo_client_only')}
        station = None
        if connector is not None:
            # The client must see the connector (the map).
            station = Connector(int(connector)).station
        with without_check_access():
            date = cls._today()
            number = Number.ev_lookup(code, date)
            reason = cls._refusal(number, normalize(code), party, date,
                station=Pool().get('ev.station')(station.id)
                if station else None)
            result = {'valid': reason is None, 'code': normalize(code)}
            if reason:
                result['reason'] = reason
            else:
                promotion = number.coupon.promotion
                result['promotion'] = promotion.name
                result['description'] = promotion.ev_describe()
                result['kind'] = promotion.ev_discount
            return result

    @classmethod
    def redeem(cls, code, session=None):
        """Redeem the code for the calling client: on its session in
        progress, or for its next session

        Raise PromoCodeError with the reason when refused."""
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        Session = pool.get('ev.session')
        party = _client()
        code = normalize(code)
        if party is None:
            raise PromoCodeError(gettext('ev_tariff.msg_promo_client_only'))
        with without_check_access():
            date = cls._today()
            number = Number.ev_lookup(code, date)
            if number is None:
                raise PromoCodeError(gettext(
                        'ev_tariff.msg_promo_unknown', code=code))
            if session is not None:
                sessions = Session.search([
                        ('id', '=', int(session)),
                        ('client', '=', party.id),
                        ('state', 'in', ['pending', 'active']),
                        ])
                if not sessions:
                    raise PromoCodeError(gettext(
                            'ev_tariff.msg_promo_session_not_yours'))
                session, = sessions
            # Limits hold under concurrency: whoever comes second waits
            # for the first to commit and counts its use.
            lock(Number, [number])
            if session is not None:
                lock(Session, [session])
                if cls.search([
                            ('session', '=', session.id),
                            ('state', 'in', ['reserved', 'applied']),
                            ], count=True):
                    raise PromoCodeError(gettext(
                            'ev_tariff.msg_promo_session_has_code'))
            elif cls.search([
                        ('party', '=', party.id),
                        ('number', '=', number.id),
                        ('session', '=', None),
                        ('state', '=', 'reserved'),
                        ], count=True):
                raise PromoCodeError(gettext(
                        'ev_tariff.msg_promo_pending', code=code))
            reason = cls._refusal(number, code, party, date,
                session=session, excluded_session=session)
            if reason:
                raise PromoCodeError(reason)
            redemption = cls(company=number.company, number=number,
                code=number.number, coupon=number.coupon,
                promotion=number.coupon.promotion, party=party,
                session=session, redeemed_at=utcnow())
            redemption.save()
            return redemption.ev_dict()

    def ev_dict(self):
        "Return the use as the client app shows it"
        return {
            'id': self.id,
            'code': self.code,
            'promotion': self.promotion.name,
            'description': self.promotion.ev_describe(),
            'state': self.state,
            'session': self.session.id if self.session else None,
            'redeemed_at': self.redeemed_at,
            'applied_at': self.applied_at,
            'discount': self.discount,
            }

    @classmethod
    def my_codes(cls):
        "Return the calling client's codes, newest first"
        party = _client()
        if party is None:
            return []
        with without_check_access():
            return [r.ev_dict() for r in cls.search([
                        ('party', '=', party.id),
                        ('state', 'in', ['reserved', 'applied']),
                        ])]

    @classmethod
    def withdraw(cls, redemption):
        "Give back a code the calling client redeemed and has not used"
        party = _client()
        with without_check_access():
            found = cls.search([
                    ('id', '=', int(redemption)),
                    ('party', '=', party.id if party else -1),
                    ('state', '=', 'reserved'),
                    ('session', '=', None),
                    ])
            if not found:
                raise PromoCodeError(gettext(
                        'ev_tariff.msg_promo_not_withdrawable'))
            cls.cancel(found)

    # Sessions

    @classmethod
    def bind(cls, sessions):
        """Give each started session the oldest code its client redeemed
        for a next session that is valid there"""
        clients = {s.client.id for s in sessions if s.client}
        if not clients:
            return
        with without_check_access():
            waiting = cls.search([
                    ('party', 'in', list(clients)),
                    ('session', '=', None),
                    ('state', '=', 'reserved'),
                    ], order=[('redeemed_at', 'ASC'), ('id', 'ASC')])
            if not waiting:
                return
            # Two sessions of one client starting at once take one code
            # each at most, never the same.
            lock(cls, waiting)
            waiting = [r for r in cls.browse(waiting)
                if r.session is None and r.state == 'reserved']
            bound = {r.session.id for r in cls.search([
                        ('session', 'in', [s.id for s in sessions]),
                        ('state', 'in', ['reserved', 'applied']),
                        ])}
            to_save = []
            for session in sessions:
                if not session.client or session.id in bound:
                    continue
                date = session_date(session)
                for redemption in waiting:
                    if (redemption.party != session.client
                            or redemption.session is not None):
                        continue
                    reason = cls._refusal(redemption.number,
                        redemption.code, session.client, date,
                        session=session, excluded_session=session,
                        redemption=redemption)
                    if reason is None:
                        redemption.session = session
                        to_save.append(redemption)
                        break
            cls.save(to_save)

    @classmethod
    def release(cls, sessions):
        "Give back the codes of sessions that failed to the client"
        with without_check_access():
            redemptions = cls.search([
                    ('session', 'in', [s.id for s in sessions]),
                    ('state', '=', 'reserved'),
                    ])
            cls.write(redemptions, {'session': None})

    @classmethod
    def of_session(cls, session):
        "Return the code the session uses, or None"
        with without_check_access():
            found = cls.search([
                    ('session', '=', session.id),
                    ('state', 'in', ['reserved', 'applied']),
                    ], limit=1)
            return found[0] if found else None

    @classmethod
    def waiting(cls, party, station, date):
        "Return the code that would apply to party's next session there"
        if not party:
            return None
        with without_check_access():
            for redemption in cls.search([
                        ('party', '=', party.id),
                        ('session', '=', None),
                        ('state', '=', 'reserved'),
                        ], order=[('redeemed_at', 'ASC'), ('id', 'ASC')]):
                if cls._refusal(redemption.number, redemption.code, party,
                        date, station=station,
                        redemption=redemption) is None:
                    return redemption

    def ev_allowance(self):
        return self.promotion.ev_allowance(self.code)

    def set_applied(self, breakdown):
        "Record what the code took off the priced session"
        self.discount = -sum((line.amount for line in breakdown.lines
                if line.kind == 'discount' and line.source == self.code),
            Decimal(0))
        self.applied_at = utcnow()
        self.state = 'applied'
