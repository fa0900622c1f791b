# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import logging
import uuid
from decimal import Decimal

import stripe

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.account_payment_stripe.payment import STRIPE_VERSION
from trytond.modules.ev_partner.outbox import deliver
from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.report import get_email
from trytond.rpc import RPC
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction, without_check_access

from .exceptions import BillingError
from .receipt import send_receipts, topup_subject

logger = logging.getLogger(__name__)


class Payment(metaclass=PoolMeta):
    __name__ = 'account.payment'

    ev_kind = fields.Selection([
            (None, ""),
            ('topup', "Balance Top-up"),
            ('session', "Charging Session"),
            ('payout', "Partner Payout"),
            ], "EV Purpose", readonly=True)
    ev_session = fields.Many2One(
        'ev.session', "Charging Session", readonly=True,
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('ev_session'),
            })
    ev_settlement = fields.Many2One(
        'ev.billing.settlement', "Settlement", readonly=True,
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('ev_settlement'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.ev_session, Index.Range())))
        cls.__rpc__.update({
                'ev_topup': RPC(readonly=False),
                })

    @classmethod
    def copy(cls, payments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('ev_kind', None)
        default.setdefault('ev_session', None)
        default.setdefault('ev_settlement', None)
        return super().copy(payments, default=default)

    def _get_clearing_move(self, date=None):
        move = super()._get_clearing_move(date=date)
        if move and self.ev_session:
            # Money received at a station is part of its breakdown.
            for line in move.lines:
                line.ev_session = self.ev_session
                line.ev_station = self.ev_session.station
        return move

    @classmethod
    def succeed(cls, payments):
        pool = Pool()
        Move = pool.get('account.move')
        Settlement = pool.get('ev.billing.settlement')
        super().succeed(payments)
        payments = cls.browse(payments)
        # The books must show a top-up or a capture the moment it is
        # final; account_payment_clearing leaves its move in draft.
        Move.post([p.clearing_move for p in payments
                if p.ev_kind and p.clearing_move
                and p.clearing_move.state == 'draft'])
        Settlement.ev_payout_done(
            [p.ev_settlement for p in payments if p.ev_settlement])
        topups = [p for p in payments
            if p.ev_kind == 'topup' and p.state == 'succeeded']
        if topups:
            # The client's receipt, after the commit (receipt.py).
            cls.__queue__.ev_send_receipts(topups)

    @classmethod
    def ev_send_receipts(cls, payments):
        "E-mail the receipts of the top-ups the card paid, once"
        send_receipts([p for p in cls.browse(payments)
                if p.ev_kind == 'topup' and p.state == 'succeeded'],
            'ev_billing.report_receipt_topup', topup_subject)

    @classmethod
    def fail(cls, payments):
        pool = Pool()
        Session = pool.get('ev.session')
        # Only those this call fails: upstream fails a voided hold again
        # on payment_intent.canceled.
        failing = [p for p in cls.browse(payments) if p.state != 'failed']
        super().fail(payments)
        sessions = [p.ev_session for p in failing
            if p.ev_kind == 'session' and p.ev_session
            and p.ev_session.state == 'active'
            and not p.ev_session.limit_reached_at]
        if sessions:
            # No money is held for the session: it must not go on.
            with without_check_access():
                for session in sessions:
                    session.limit_reached_at = utcnow()
                    session.add_anomaly(gettext(
                            'ev_billing.msg_session_card_refused'))
                Session.save(sessions)
                Session.remote_stop(sessions)

    @property
    def ev_off_session(self):
        "Tell whether the card is charged without the client there to pay"
        # A session's hold, or a subscription fee charged to the saved
        # card; top-ups from the app go through the checkout page.
        return self.ev_kind == 'session' or (self.ev_kind == 'topup'
            and bool(self.stripe_customer_payment_method))

    def _send_email_checkout(self, from_=None):
        """Send the link to pay again as upstream does, through the
        platform's outbox: logged with its delivery state, not kept (the
        link pays the client's debt)"""
        # No one is there to pay again by a link: the payment fails
        # (StripeAccount.webhook), and the client tops up in the app.
        if self.ev_off_session:
            return
        pool = Pool()
        Language = pool.get('ir.lang')
        from_cfg = config.get('email', 'from')
        self.stripe_checkout([self])
        emails = self._emails_checkout()
        if not emails:
            logger.warning("Could not send checkout email for %d", self.id)
            return
        languages = [self.party.lang or Language.get()]
        with Transaction().set_user(0):
            msg, title = get_email(
                'account.payment.stripe.email_checkout', self, languages)
        set_from_header(msg, from_cfg, from_ or from_cfg)
        msg['To'] = emails
        msg['Subject'] = title
        deliver(msg, resource=self, keep=False)

    @classmethod
    def ev_void(cls, payments):
        "Release the amount held and fail the payments"
        for payment in payments:
            if (payment.stripe_payment_intent_id
                    and not payment.stripe_captured):
                try:
                    stripe.PaymentIntent.cancel(
                        payment.stripe_payment_intent_id,
                        api_key=payment.journal.stripe_account.secret_key,
                        stripe_version=STRIPE_VERSION)
                except stripe.InvalidRequestError as error:
                    # Already canceled or never confirmed: nothing held.
                    logger.info("void of %s: %s", payment.id, error)
        cls.fail(payments)

    @classmethod
    def ev_topup(cls, amount):
        """Create a top-up of the calling client's balance and return the
        URL of the card checkout page"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Party = pool.get('party.party')
        Rule = pool.get('ir.rule')
        config = Configuration(1)
        # The calling client, or the one the client app acts for.
        client = Rule._get_ev_party()
        if not client or client < 0:
            raise BillingError(gettext('ev_billing.msg_topup_no_client'))
        client = Party(client)
        journal = config.card_journal
        if not journal or not config.balance_account:
            raise BillingError(gettext('ev_billing.msg_topup_not_configured'))
        try:
            amount = journal.currency.round(Decimal(str(amount)))
        except ArithmeticError:
            amount = Decimal(0)
        if amount <= 0:
            raise BillingError(gettext(
                    'ev_billing.msg_topup_amount', amount=amount))
        with without_check_access():
            payment = cls(
                company=journal.company, kind='receivable', journal=journal,
                party=client, currency=journal.currency, amount=amount,
                account=config.balance_account, ev_kind='topup',
                stripe_capture=True)
            payment.save()
            # Receivable payments skip approval. Processing it at once lets
            # the acquirer's confirmation succeed it, with no one in the
            # back office (upstream charges nothing for an intent the
            # checkout page confirms).
            cls.submit([payment])
            cls.stripe_checkout([payment])
            cls.process([payment])
            payment = cls(payment.id)
            return {
                'payment': payment.id,
                'amount': str(amount),
                'url': payment.stripe_checkout_url,
                }


# The events account_payment_stripe handles (Account.webhook).
WEBHOOK_EVENTS = [
    'charge.succeeded', 'charge.captured', 'charge.expired', 'charge.failed',
    'charge.pending', 'charge.refunded', 'charge.refund.updated',
    'charge.dispute.created', 'charge.dispute.closed',
    'source.chargeable', 'source.failed', 'source.canceled',
    'payment_intent.succeeded', 'payment_intent.amount_capturable_updated',
    'payment_intent.payment_failed', 'payment_intent.canceled',
    ]


class StripeAccount(metaclass=PoolMeta):
    __name__ = 'account.payment.stripe.account'

    ev_webhook = fields.Char(
        "Registered Webhook", readonly=True, strip=False,
        help="The acquirer's identifier of the webhook endpoint registered "
        "by the Register Webhook button.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Without a signing secret upstream accepts unsigned webhooks.
        cls.webhook_signing_secret.states['required'] = Bool(
            Eval('webhook_identifier'))
        cls._buttons.update({
                'ev_register_webhook': {
                    'icon': 'tryton-launch',
                    },
                })

    @classmethod
    @ModelView.button
    def ev_register_webhook(cls, accounts):
        """Register the account's webhook endpoint at the acquirer, with the
        events Tryton handles, and keep its signing secret

        Instead of copying the URL into the acquirer's dashboard and its
        secret back: the acquirer then pushes its events, and the cron that
        pulls them leaves the account alone."""
        for account in accounts:
            if not account.webhook_identifier:
                account.webhook_identifier = uuid.uuid4().hex
            url = account.on_change_with_webhook_endpoint()
            if account.ev_webhook:
                try:
                    endpoint = stripe.WebhookEndpoint.retrieve(
                        account.ev_webhook, api_key=account.secret_key,
                        stripe_version=STRIPE_VERSION)
                except stripe.InvalidRequestError:
                    # Removed at the acquirer: register it again.
                    endpoint = None
                if (endpoint and endpoint.url == url
                        and account.webhook_signing_secret):
                    continue
                if endpoint:
                    stripe.WebhookEndpoint.delete(
                        account.ev_webhook, api_key=account.secret_key,
                        stripe_version=STRIPE_VERSION)
            try:
                endpoint = stripe.WebhookEndpoint.create(
                    url=url, enabled_events=WEBHOOK_EVENTS,
                    api_version=STRIPE_VERSION,
                    description="Tryton %s" % Transaction().database.name,
                    api_key=account.secret_key,
                    stripe_version=STRIPE_VERSION)
            except stripe.StripeError as error:
                raise BillingError(gettext(
                        'ev_billing.msg_webhook_register_failed',
                        account=account.rec_name,
                        error=error.user_message or str(error)))
            account.ev_webhook = endpoint.id
            account.webhook_signing_secret = endpoint.secret
        cls.save(accounts)

    def webhook(self, event):
        """Handle each event once: Stripe delivers at least once, and a
        replay must change nothing (upstream keeps no event ids)"""
        pool = Pool()
        Event = pool.get('ev.billing.stripe.event')
        Payment = pool.get('account.payment')
        event_id = getattr(event, 'id', None)
        if not event_id:
            return super().webhook(event)
        # One event of the account at a time: two deliveries of the same
        # event must not both pass the check below.
        lock(self.__class__, [self])
        if Event.search([
                    ('account', '=', self.id),
                    ('event', '=', event_id),
                    ], limit=1):
            return True
        if event.type == 'charge.refunded':
            charge = event.data.object
            if not charge['captured'] and charge['payment_intent']:
                # A released hold: upstream would set the payment's amount
                # to captured − refunded, below zero, fail to save, and
                # never get past this event.
                released = Payment.search([
                        ('stripe_payment_intent_id', '=',
                            charge['payment_intent']),
                        ('state', 'not in', ['failed', 'succeeded']),
                        ])
                if released:
                    Payment.fail(released)
                Event.create([Event.values_of(self, event, 'stale')])
                return True
        if event.type == 'payment_intent.amount_capturable_updated':
            # Late after the capture, it would bring a succeeded payment
            # back to processing.
            intent = event.data.object
            if Payment.search([
                        ('stripe_payment_intent_id', '=', intent['id']),
                        ('state', 'in', ['succeeded', 'failed']),
                        ], limit=1):
                Event.create([Event.values_of(self, event, 'stale')])
                return True
        result = super().webhook(event)
        if event.type == 'payment_intent.payment_failed':
            # Upstream keeps a declined intent processing and e-mails a
            # checkout link; an off-session charge cannot wait for the
            # client.
            intent = event.data.object
            holds = [p for p in Payment.search([
                        ('stripe_payment_intent_id', '=', intent['id']),
                        ('ev_kind', 'in', ['session', 'topup']),
                        ('state', 'in', ['submitted', 'processing']),
                        ])
                if p.ev_off_session]
            if holds:
                Payment.ev_void(holds)
        if result is not False:
            Event.create([Event.values_of(self, event,
                        'handled' if result else 'ignored')])
        return result


class StripeCustomer(metaclass=PoolMeta):
    __name__ = 'account.payment.stripe.customer'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'ev_save_card': RPC(readonly=False),
                })

    @classmethod
    def ev_save_card(cls):
        """Start saving a bank card for the calling client and return the
        URL of the acquirer's page where the client enters it"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Party = pool.get('party.party')
        Rule = pool.get('ir.rule')
        # The calling client, or the one the client app acts for.
        client = Rule._get_ev_party()
        if not client or client < 0:
            raise BillingError(gettext('ev_billing.msg_card_no_client'))
        with without_check_access():
            # The records are read without the client's access checks.
            client = Party(client)
            journal = Configuration(1).card_journal
            if not journal or not journal.stripe_account:
                raise BillingError(
                    gettext('ev_billing.msg_card_not_configured'))
            account = journal.stripe_account
            # A client has one acquirer customer: a card saved again is
            # attached to it and replaces the client's card (ev_use_card).
            if (client.ev_card and client.ev_card.active
                    and client.ev_card.stripe_account == account):
                customer = client.ev_card
            else:
                customers = cls.search([
                        ('party', '=', client.id),
                        ('stripe_account', '=', account.id),
                        ], order=[('id', 'DESC')], limit=1)
                if customers:
                    customer, = customers
                else:
                    customer = cls(party=client, stripe_account=account)
                    customer.save()
            # Upstream reuses the setup intent still waiting for a card.
            cls.stripe_checkout([customer])
            customer = cls(customer.id)
            return {
                'customer': customer.id,
                'url': customer.stripe_checkout_url,
                }

    @classmethod
    def stripe_intent_update(cls, customers=None):
        # Upstream commits after each customer and tells nobody which setup
        # succeeded: the card a client has just saved becomes the one the
        # sessions hold, without a step in the app or in the back office.
        if customers is None:
            customers = cls.search([
                    ('stripe_setup_intent_id', '!=', None),
                    ])
        for customer in customers:
            intent_id = customer.stripe_setup_intent_id
            super().stripe_intent_update([customer])
            customer = cls(customer.id)
            if (intent_id and not customer.stripe_setup_intent_id
                    and customer.stripe_customer_id):
                customer.ev_use_card(intent_id)
                Transaction().commit()

    def ev_use_card(self, setup_intent_id):
        "Make the card saved by the setup intent the client's card"
        party = self.party
        if not party.ev_client or not self.active:
            return
        try:
            intent = stripe.SetupIntent.retrieve(
                setup_intent_id, api_key=self.stripe_account.secret_key,
                stripe_version=STRIPE_VERSION)
        except stripe.StripeError as e:
            # The client can still choose the card in the back office or
            # save it again.
            logger.warning(str(e))
            return
        if intent.status != 'succeeded' or not intent.payment_method:
            return
        method = intent.payment_method
        if not isinstance(method, str):
            method = method.id
        party.ev_card = self
        party.ev_card_method = method
        # Which card pays, as the client knows it: read once here rather
        # than from the acquirer at each look at the account.
        party.ev_card_brand = party.ev_card_last4 = None
        try:
            card = getattr(stripe.PaymentMethod.retrieve(
                    method, api_key=self.stripe_account.secret_key,
                    stripe_version=STRIPE_VERSION), 'card', None)
        except stripe.StripeError as e:
            logger.warning(str(e))
            card = None
        if card:
            party.ev_card_brand = getattr(card, 'brand', None)
            party.ev_card_last4 = getattr(card, 'last4', None)
        party.save()


class StripeEvent(ModelSQL, ModelView):
    "A card acquirer's event the platform has handled"
    __name__ = 'ev.billing.stripe.event'
    __string__ = "Card Acquirer Event"

    account = fields.Many2One(
        'account.payment.stripe.account', "Account", required=True,
        readonly=True, ondelete='CASCADE')
    event = fields.Char("Event", required=True, readonly=True, strip=False)
    type = fields.Char("Type", readonly=True)
    object = fields.Char("Object", readonly=True, strip=False)
    result = fields.Selection([
            ('handled', "Handled"),
            ('ignored', "No Handler"),
            ('stale', "Stale, Skipped"),
            ], "Result", readonly=True)
    received_at = fields.DateTime("Received at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('event_unique', Unique(t, t.account, t.event),
                'ev_billing.msg_stripe_event_unique'),
            ]
        cls._order = [('received_at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def values_of(cls, account, event, result):
        try:
            object_id = event.data.object['id']
        except (AttributeError, KeyError, TypeError):
            object_id = None
        return {
            'account': account.id,
            'event': event.id,
            'type': event.type,
            'object': object_id,
            'result': result,
            'received_at': utcnow(),
            }
