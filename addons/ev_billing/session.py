# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.modules.ev_tariff.subscription import session_date
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import BillingError

logger = logging.getLogger(__name__)


class Session(metaclass=PoolMeta):
    __name__ = 'ev.session'

    payment_method = fields.Selection([
            (None, ""),
            ('balance', "Balance"),
            ('card', "Bank Card"),
            ], "Paid by", readonly=True)
    spending_limit = Monetary(
        "Spending Limit", currency='currency', digits='currency',
        readonly=True,
        help="What the session may cost: the client's available balance "
        "when it started, or the amount held on the card. The platform "
        "stops the session remotely when its cost reaches it.")
    limit_reached_at = fields.DateTime("Limit Reached at", readonly=True)
    card_payment = fields.Many2One(
        'account.payment', "Card Payment", readonly=True,
        ondelete='RESTRICT',
        help="The pre-authorization held at the start and captured at the "
        "stop.")
    partner_amount = Monetary(
        "Partner Revenue", currency='currency', digits='currency',
        readonly=True,
        help="The partner's share of the price net of tax, collected by the "
        "platform as agent.")
    commission_amount = Monetary(
        "Platform Commission", currency='currency', digits='currency',
        readonly=True,
        help="The platform's share of the price net of tax, by the "
        "partner agreement.")
    billing_state = fields.Selection([
            (None, ""),
            ('free', "Nothing to Bill"),
            ('pending', "To Invoice"),
            ('invoiced', "Invoiced"),
            ], "Billing State", readonly=True)
    invoice_lines = fields.One2Many(
        'account.invoice.line', 'ev_session', "Invoice Lines",
        readonly=True)
    invoice = fields.Function(fields.Many2One(
            'account.invoice', "Invoice"), 'get_invoice')
    refunded_amount = fields.Function(Monetary(
            "Refunded", currency='currency', digits='currency'),
        'get_refunded_amount')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.billing_state, Index.Equality(cardinality='low')),
                where=t.billing_state == 'pending'))
        cls._buttons.update({
                'refund_wizard': {
                    'invisible': Eval('billing_state') != 'invoiced',
                    'depends': ['billing_state'],
                    },
                })

    @classmethod
    def copy(cls, sessions, default=None):
        default = default.copy() if default is not None else {}
        for name in ['payment_method', 'spending_limit', 'limit_reached_at',
                'card_payment', 'partner_amount', 'commission_amount',
                'billing_state', 'invoice_lines']:
            default.setdefault(name, None)
        return super().copy(sessions, default=default)

    def get_invoice(self, name):
        for line in self.invoice_lines:
            if line.invoice and line.invoice.total_amount >= 0:
                return line.invoice.id

    @classmethod
    def get_refunded_amount(cls, sessions, name):
        amounts = {}
        for session in sessions:
            credit_notes = {l.invoice for l in session.invoice_lines
                if l.invoice and l.invoice.total_amount < 0}
            refunded = sum((-i.total_amount for i in credit_notes), 0)
            amounts[session.id] = Decimal(refunded)
        return amounts

    # The start: how the session will be paid, and how much it may cost

    @classmethod
    def start(cls, sessions, at=None, meter_start=None,
            transaction_ref=None):
        pending = [s.id for s in sessions if s.state == 'pending']
        super().start(sessions, at=at, meter_start=meter_start,
            transaction_ref=transaction_ref)
        cls.set_payment(cls.browse(pending))

    @classmethod
    def set_payment(cls, sessions):
        "Choose how the started sessions are paid and hold their amount"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Party = pool.get('party.party')
        Payment = pool.get('account.payment')
        config = Configuration(1)
        if not config.balance_account:
            # Billing is not set up: sessions are not limited.
            return
        sessions = [s for s in sessions
            if s.state == 'active' and s.client and not s.payment_method]
        if not sessions:
            return
        with without_check_access():
            available = Party.ev_get_available(
                list({s.client for s in sessions}), exclude=sessions)
            payments = []
            for session in sessions:
                client = session.client
                if (client.ev_payment_method == 'card'
                        and config.card_journal and client.ev_card
                        and client.ev_card_method):
                    session.payment_method = 'card'
                    session.spending_limit = session.currency.round(
                        config.preauthorization_amount or Decimal(0))
                    payment = session._get_preauthorization(config)
                    payments.append(payment)
                    session.card_payment = payment
                else:
                    session.payment_method = 'balance'
                    session.spending_limit = max(
                        available.get(client.id, Decimal(0)), Decimal(0))
            Payment.save(payments)
            cls.save(sessions)
            if payments:
                # Receivable payments skip approval.
                Payment.submit(payments)
                # account_payment_stripe charges the card in a queued task,
                # after this transaction commits.
                Payment.process(payments)

    def _get_preauthorization(self, config):
        pool = Pool()
        Payment = pool.get('account.payment')
        journal = config.card_journal
        return Payment(
            company=self.company,
            kind='receivable',
            journal=journal,
            party=self.client,
            currency=journal.currency,
            amount=self.spending_limit,
            account=config.balance_account,
            reference=self.number,
            stripe_capture=False,
            stripe_customer=self.client.ev_card,
            stripe_customer_payment_method=self.client.ev_card_method,
            ev_kind='session',
            ev_session=self)

    @classmethod
    def check_limits(cls, sessions):
        """Stop remotely the sessions whose cost reached what they may
        spend"""
        to_stop = []
        with without_check_access():
            for session in cls.browse(sessions):
                if (session.state != 'active'
                        or session.spending_limit is None
                        or session.limit_reached_at):
                    continue
                breakdown = session.get_estimate()
                if breakdown is None:
                    continue
                if breakdown.total >= session.spending_limit:
                    session.limit_reached_at = utcnow()
                    session.add_anomaly(gettext(
                            'ev_billing.msg_session_limit_reached',
                            limit=session.spending_limit,
                            currency=session.currency.symbol))
                    to_stop.append(session)
            if to_stop:
                cls.save(to_stop)
                cls.remote_stop(to_stop)
        return to_stop

    # The stop: the split between partner and platform, then the charge

    @classmethod
    def set_price(cls, sessions):
        super().set_price(sessions)
        cls.bill([s for s in cls.browse(sessions)
                if s.priced_at and not s.billing_state])

    @classmethod
    def bill(cls, sessions):
        """Split the price of the priced sessions, capture their card and
        charge them (now, or at the month's invoice)"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Invoice = pool.get('account.invoice')
        config = Configuration(1)
        with without_check_access():
            sessions = [s for s in cls.browse(sessions)
                if s.priced_at and not s.billing_state]
            if not sessions:
                return
            # A replayed stop or a second pricing must never bill twice.
            lock(cls, sessions)
            sessions = [s for s in cls.browse(sessions)
                if not s.billing_state]
            to_invoice = []
            for session in sessions:
                session.set_split()
                if session.card_payment:
                    session.capture()
                if not session.amount or not session.client:
                    session.billing_state = 'free'
                elif config.billing_mode == 'period':
                    session.billing_state = 'pending'
                else:
                    to_invoice.append(session)
            cls.save(sessions)
            if to_invoice:
                invoices = cls.create_invoices(to_invoice)
                Invoice.ev_pay_from_balance(invoices)

    def set_split(self):
        "Set the partner's and the platform's shares of the net price"
        pool = Pool()
        Agreement = pool.get('ev.partner.agreement')
        Partner = pool.get('ev.partner')
        net = self.net_amount or Decimal(0)
        partner = None
        if self.station.partner:
            partners = Partner.search([
                    ('company', '=', self.company.id),
                    ('party', '=', self.station.partner.id),
                    ], limit=1)
            partner = partners[0] if partners else None
        agreement = Agreement.get_valid(
            partner, session_date(self)) if partner else None
        if agreement and net:
            commission = agreement.compute_commission(net)
        else:
            commission = Decimal(0)
            if net and not agreement:
                self.add_anomaly(gettext(
                        'ev_billing.msg_session_no_agreement',
                        station=self.station.rec_name))
        commission = self.currency.round(commission)
        self.commission_amount = commission
        self.partner_amount = net - commission

    def capture(self):
        """Capture the session's price on its pre-authorization, release the
        rest (the card is charged after this transaction commits)"""
        pool = Pool()
        Payment = pool.get('account.payment')
        payment = self.card_payment
        if payment.state not in {'submitted', 'approved', 'processing'}:
            # The hold failed: the session is charged to the balance.
            self.add_anomaly(gettext(
                    'ev_billing.msg_session_preauthorization_failed',
                    payment=payment.rec_name))
            return
        amount = min(self.amount or Decimal(0), payment.amount)
        if not amount:
            Payment.ev_void([payment])
            return
        if amount < (self.amount or 0):
            self.add_anomaly(gettext(
                    'ev_billing.msg_session_over_preauthorization',
                    amount=self.amount, held=payment.amount))
        Payment.write([payment], {'amount': amount})
        if payment.state == 'processing':
            Payment.stripe_do_capture([payment])
        else:
            # Captured as soon as the card is held.
            Payment.write([payment], {'stripe_capture': True})

    @classmethod
    def create_invoices(cls, sessions, date=None):
        "Create, post and return the client invoices of the sessions"
        # The taxes are computed once, not at every write of the invoices
        # (Invoice.update_taxes). Records keep the context they are made
        # in, and save with it: all of them are made under this key.
        with Transaction().set_context(_ev_taxes_computed=True):
            return cls._create_invoices(sessions, date=date)

    @classmethod
    def _create_invoices(cls, sessions, date=None):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        groups = {}
        for session in sessions:
            key = (session.company, session.client, session.currency)
            groups.setdefault(key, []).append(session)
        cls._create_invoice_addresses({c for _, c, _ in groups})
        invoices, taxes = [], []
        for (company, client, currency), group in groups.items():
            invoice = cls._get_invoice(company, client, currency,
                date=date)
            lines = []
            for session in group:
                lines.extend(session._get_invoice_lines(invoice))
            invoice.lines = lines
            invoices.append(invoice)
            taxes.append(sum((s.tax_amount or 0 for s in group
                        if s._get_invoice_lines_amount()), Decimal(0)))
        Invoice.save(invoices)
        with Transaction().set_context(_ev_taxes_computed=False):
            Invoice.update_taxes(invoices)
        cls._set_invoice_tax(invoices, taxes)
        Invoice.post(invoices)
        cls.write(sessions, {'billing_state': 'invoiced'})
        return invoices

    def _get_invoice_lines_amount(self):
        "Tell whether the session puts an amount on its invoice"
        return bool(self.partner_amount or self.commission_amount)

    @classmethod
    def _set_invoice_tax(cls, invoices, taxes):
        """Make the tax of each invoice the sessions' own: the invoice
        computes it once on its net, which may differ by a few kopecks from
        the tax-included prices the client was shown"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceTax = pool.get('account.invoice.tax')
        to_write = []
        # Read again: update_taxes changed the tax lines in the database.
        for invoice, tax in zip(Invoice.browse(invoices), taxes):
            lines = invoice.taxes
            # With several taxes the split between them is the invoice's.
            if len(lines) == 1 and lines[0].amount != tax:
                # Not manual: upstream would add its own line to a manual
                # one; it checks the base of the others, not their amount.
                to_write.extend([[lines[0]], {
                            'amount': invoice.currency.round(tax),
                            }])
        if to_write:
            InvoiceTax.write(*to_write)

    @classmethod
    def _create_invoice_addresses(cls, clients):
        """Give an address to the clients that have none, all at once: a
        save inside the loop of create_invoices would make every session of
        the group read again"""
        pool = Pool()
        Address = pool.get('party.address')
        # Drivers register with an e-mail, not a postal address.
        Address.save([Address(party=c) for c in clients
                if not c.address_get(type='invoice')])

    @classmethod
    def _get_invoice(cls, company, client, currency, date=None):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        # The caller gave the client an address (_create_invoice_addresses).
        address = client.address_get(type='invoice')
        with Transaction().set_context(company=company.id):
            today = Date.today()
        invoice = Invoice(
            company=company,
            type='out',
            party=client,
            invoice_address=address,
            currency=currency,
            account=client.account_receivable_used,
            invoice_date=date or today,
            payment_term=None)
        invoice.set_journal()
        return invoice

    def _get_invoice_lines(self, invoice, rate=Decimal(1)):
        """Return the lines that bill rate of the session on invoice: the
        partner's share, collected as agent, and the platform's commission
        """
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Line = pool.get('account.invoice.line')
        config = Configuration(1)
        partner_party = self.station.partner
        round_ = self.currency.round
        partner_amount = round_((self.partner_amount or 0) * rate)
        net = round_((self.net_amount or 0) * rate)
        commission = net - partner_amount
        taxes = list(self.tariff.taxes) if self.tariff else []
        payable = partner_party.account_payable_used
        if not payable:
            raise BillingError(gettext(
                    'ev_billing.msg_partner_payable_missing',
                    partner=partner_party.rec_name))
        if not config.commission_account:
            raise BillingError(gettext(
                    'ev_billing.msg_commission_account_missing'))
        values = dict(
            invoice=invoice, type='line', quantity=1, currency=self.currency,
            company=self.company, ev_session=self, ev_station=self.station,
            taxes=taxes)
        lines = []
        if partner_amount:
            lines.append(Line(
                    account=payable, unit_price=partner_amount,
                    ev_partner_party=partner_party,
                    description=gettext('ev_billing.msg_line_partner_share',
                        session=self.number, station=self.station.rec_name,
                        partner=partner_party.rec_name),
                    **values))
        if commission:
            lines.append(Line(
                    account=config.commission_account, unit_price=commission,
                    description=gettext('ev_billing.msg_line_commission',
                        session=self.number, station=self.station.rec_name),
                    **values))
        return lines

    @classmethod
    def invoice_pending(cls, date=None, company=None):
        "Invoice the sessions waiting for the month's invoice"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        domain = [('billing_state', '=', 'pending')]
        if date:
            domain.append(('stop_at', '<', date))
        if company:
            domain.append(('company', '=', company.id))
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        with without_check_access():
            # A month holds some 100,000 sessions: their ids are read with
            # SQL, and the invoices are made a group of clients at a time,
            # since browsing or saving that many records at once costs far
            # more than in groups (trytond's instances check the whole list
            # of ids they are read with). One transaction all the same: the
            # month is invoiced whole or not at all, and trytond's restarts
            # for its locks (sessions, journal period, sequences) happen in
            # the first group, before the work is done.
            query = cls.search(domain, order=[('id', 'ASC')], query=True)
            cursor.execute(*table.select(table.id, table.client,
                    where=table.id.in_(query), order_by=[table.id.asc]))
            rows = cursor.fetchall()
            if not rows:
                return []
            lock(cls, [id_ for id_, _ in rows])
            by_client = {}
            for id_, client in rows:
                by_client.setdefault(client, []).append(id_)
            invoices = []
            invoice_date = None
            for group in cls._invoice_groups(
                    by_client.values(), cls._invoice_group_size):
                sessions = [s for s in cls.browse(group)
                    if s.billing_state == 'pending']
                if not sessions:
                    continue
                # Dated the last day of the month they bill, so that the
                # month's partner settlement takes them.
                if date and not invoice_date:
                    zone = ZoneInfo(sessions[0].company.timezone or 'UTC')
                    invoice_date = (date.replace(tzinfo=dt.timezone.utc)
                        .astimezone(zone) - dt.timedelta(seconds=1)).date()
                group_invoices = cls.create_invoices(
                    sessions, date=invoice_date)
                Invoice.ev_pay_from_balance(group_invoices)
                invoices.extend(i.id for i in group_invoices)
        return Invoice.browse(invoices)

    # Sessions invoiced together by invoice_pending: the time of posting a
    # group grows with the square of its size (bench/billing.py).
    _invoice_group_size = 100

    @staticmethod
    def _invoice_groups(client_sessions, size):
        """Yield the session ids of whole clients, about size sessions at a
        time, in the order of their first session"""
        group = []
        for ids in client_sessions:
            group.extend(ids)
            if len(group) >= size:
                yield sorted(group)
                group = []
        if group:
            yield sorted(group)

    @classmethod
    def cron_invoice_pending(cls):
        "Invoice, on the first of the month, the sessions of the months past"
        pool = Pool()
        Date = pool.get('ir.date')
        Company = pool.get('company.company')
        Configuration = pool.get('ev.configuration')
        if Configuration(1).billing_mode != 'period':
            return
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                today = Date.today()
            first = today.replace(day=1)
            # The month ends at midnight in the company's time zone.
            zone = ZoneInfo(company.timezone or 'UTC')
            start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
            cls.invoice_pending(
                date=start.astimezone(dt.timezone.utc).replace(tzinfo=None),
                company=company)

    # Refunds

    @classmethod
    @ModelView.button_action('ev_billing.wizard_session_refund')
    def refund_wizard(cls, sessions):
        pass

    def refund(self, amount, reason=None):
        """Credit the client amount (tax included) of the session, to their
        balance, and return the posted credit note"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        with without_check_access():
            lock(self.__class__, [self])
            session = self.__class__(self.id)
            if session.billing_state != 'invoiced':
                raise BillingError(gettext(
                        'ev_billing.msg_session_refund_not_invoiced',
                        session=session.rec_name))
            left = (session.amount or 0) - session.refunded_amount
            if amount <= 0 or amount > left:
                raise BillingError(gettext(
                        'ev_billing.msg_session_refund_amount',
                        session=session.rec_name, amount=amount, left=left))
            rate = amount / session.amount
            self._create_invoice_addresses([session.client])
            invoice = self._get_invoice(
                session.company, session.client, session.currency)
            invoice.description = reason
            lines = session._get_invoice_lines(invoice, rate=rate)
            for line in lines:
                line.unit_price = -line.unit_price
            invoice.lines = lines
            invoice.save()
            Invoice.update_taxes([invoice])
            net = sum((l.unit_price for l in lines), Decimal(0))
            self._set_invoice_tax([invoice], [-amount - net])
            Invoice.post([invoice])
            Invoice.ev_pay_from_balance([invoice])
        return invoice
