# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from decimal import Decimal

from sql import Literal
from sql.aggregate import Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import BillingError


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    ev_payment_method = fields.Selection([
            ('balance', "Balance"),
            ('card', "Bank Card"),
            ], "Pays Charging by",
        states={
            'invisible': ~Eval('ev_client'),
            },
        help="Balance: sessions are charged to the prepaid balance.\n"
        "Bank Card: each session holds an amount on the saved card and "
        "captures its price at the stop.")
    ev_card = fields.Many2One(
        'account.payment.stripe.customer', "Saved Card",
        domain=[('party', '=', Eval('id', -1))],
        states={
            'invisible': ~Eval('ev_client'),
            })
    ev_card_method = fields.Char(
        "Card Payment Method", strip=False,
        states={
            'invisible': ~Eval('ev_card'),
            },
        help="The acquirer's identifier of the saved card.")
    ev_card_brand = fields.Char(
        "Card Brand", readonly=True,
        states={
            'invisible': ~Eval('ev_card'),
            },
        help="The saved card's network, as the acquirer names it.")
    ev_card_last4 = fields.Char(
        "Card Last Digits", readonly=True, size=4,
        states={
            'invisible': ~Eval('ev_card'),
            },
        help="The last four digits of the saved card, so that the client "
        "knows which card pays.")
    ev_currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'get_ev_currency')
    ev_balance = fields.Function(Monetary(
            "Balance", currency='ev_currency', digits='ev_currency',
            states={
                'invisible': ~Eval('ev_client'),
                },
            help="Top-ups and card captures, less what was charged, plus "
            "refunds, as posted in the books."),
        'get_ev_balance')
    ev_available = fields.Function(Monetary(
            "Available Balance", currency='ev_currency',
            digits='ev_currency',
            states={
                'invisible': ~Eval('ev_client'),
                },
            help="The balance less the sessions still to be invoiced and "
            "the cost so far of the sessions in progress."),
        'get_ev_available')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'ev_my_account': RPC(),
                'ev_set_payment_method': RPC(readonly=False),
                })

    @classmethod
    def default_ev_payment_method(cls):
        return 'balance'

    def get_ev_currency(self, name):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def get_ev_balance(cls, parties, name):
        return cls.ev_get_balance(parties)

    @classmethod
    def get_ev_available(cls, parties, name):
        return cls.ev_get_available(parties)

    @classmethod
    def ev_get_balance(cls, parties):
        """Return the posted balance of the parties' prepaid accounts in the
        company's currency"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        balances = {p.id: Decimal(0) for p in parties}
        account = Configuration(1).balance_account
        if not account:
            return balances
        # The account's company: the gateway's user may have none.
        company_id = account.company.id
        currency = account.company.currency
        line = Line.__table__()
        move = Move.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.join(move,
                    condition=line.move == move.id
                    ).select(line.party,
                    Sum(line.credit - line.debit),
                    where=(line.account == account.id)
                    & line.party.in_(list(sub))
                    & (move.state == 'posted')
                    & (move.company == Literal(company_id)),
                    group_by=line.party))
            for party_id, balance in cursor:
                # SQLite sums numerics as floats.
                balances[party_id] = currency.round(Decimal(str(balance)))
        return balances

    @classmethod
    def ev_get_available(cls, parties, exclude=()):
        """Return the balance the parties may still spend: the posted
        balance less the sessions to be invoiced and the running ones"""
        pool = Pool()
        Session = pool.get('ev.session')
        available = cls.ev_get_balance(parties)
        exclude = {s.id for s in exclude}
        with without_check_access():
            sessions = Session.search([
                    ('client', 'in', [p.id for p in parties]),
                    ['OR',
                        ('billing_state', '=', 'pending'),
                        [
                            ('state', '=', 'active'),
                            ('payment_method', '=', 'balance'),
                            ],
                        ],
                    ])
            for session in sessions:
                if session.id in exclude:
                    continue
                if session.state == 'active':
                    breakdown = session.get_estimate()
                    amount = breakdown.total if breakdown else 0
                else:
                    amount = session.amount or 0
                available[session.client.id] -= amount
        return available

    def ev_may_start(self):
        "Return the message that refuses a start to the client, or None"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        config = Configuration(1)
        if self.ev_payment_method == 'card':
            if not (config.card_journal and self.ev_card
                    and self.ev_card_method):
                return 'ev_billing.msg_start_no_card'
            if config.balance_account and self._ev_in_debt():
                return 'ev_billing.msg_start_debt'
            return None
        minimum = config.minimum_start_amount or Decimal(0)
        if not config.balance_account:
            return None
        available = self.ev_get_available([self])[self.id]
        if available < minimum or available <= 0:
            return 'ev_billing.msg_start_balance_low'
        return None

    def _ev_in_debt(self):
        """Tell whether a card client owes the platform: a declined
        subscription fee, or a price above the card's hold, left the
        balance below zero, and no card charge is on its way to cover it"""
        pool = Pool()
        Payment = pool.get('account.payment')
        if self.ev_get_balance([self])[self.id] >= 0:
            return False
        with without_check_access():
            return not Payment.search([
                    ('party', '=', self.id),
                    ('ev_kind', '=', 'topup'),
                    ('state', 'in', ['submitted', 'approved', 'processing']),
                    ], limit=1)

    @classmethod
    def _ev_caller(cls):
        """Return the client party of the calling user, or the one the
        client app acts for"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        party = Rule._get_ev_party()
        if not party or party < 0:
            raise BillingError(gettext('ev_billing.msg_account_no_client'))
        return cls(party)

    @classmethod
    def ev_my_account(cls, limit=20):
        """Return the calling client's balance, how they pay, and their
        latest payments and invoices with their settlement state"""
        pool = Pool()
        Payment = pool.get('account.payment')
        Invoice = pool.get('account.invoice')
        client = cls._ev_caller()
        limit = max(1, min(int(limit or 20), 100))
        with without_check_access():
            client = cls(client.id)
            currency = client.ev_currency
            if currency is None:
                account = pool.get('ev.configuration')(1).balance_account
                currency = account.company.currency if account else None
            payments = Payment.search([
                    ('party', '=', client.id),
                    ('kind', '=', 'receivable'),
                    ('ev_kind', '!=', None),
                    ], order=[('id', 'DESC')], limit=limit)
            invoices = Invoice.search([
                    ('party', '=', client.id),
                    ('type', '=', 'out'),
                    ('state', 'in', ['posted', 'paid']),
                    ], order=[('id', 'DESC')], limit=limit)
            return {
                'currency': currency.code if currency else None,
                'balance': str(cls.ev_get_balance([client])[client.id]),
                'available': str(
                    cls.ev_get_available([client])[client.id]),
                'payment_method': client.ev_payment_method,
                'card_saved': bool(client.ev_card and client.ev_card_method),
                'card': {
                    'brand': client.ev_card_brand,
                    'last4': client.ev_card_last4,
                    } if (client.ev_card and client.ev_card_method
                    and client.ev_card_last4) else None,
                'payments': [{
                        'id': p.id,
                        'date': p.date.isoformat() if p.date else None,
                        'kind': p.ev_kind,
                        'amount': str(p.amount),
                        'state': p.state,
                        'session': p.ev_session.id if p.ev_session else None,
                        } for p in payments],
                'invoices': [{
                        'id': i.id,
                        'number': i.number,
                        'date': i.invoice_date.isoformat()
                        if i.invoice_date else None,
                        'total': str(i.total_amount),
                        'tax': str(i.tax_amount),
                        'state': i.state,
                        'sessions': sorted({l.ev_session.id
                                for l in i.lines if l.ev_session}),
                        } for i in invoices],
                }

    @classmethod
    def ev_set_payment_method(cls, method):
        "Choose how the calling client pays for charging"
        client = cls._ev_caller()
        if method not in {'balance', 'card'}:
            raise BillingError(gettext(
                    'ev_billing.msg_account_payment_method', method=method))
        with without_check_access():
            client = cls(client.id)
            if method == 'card' and not (
                    client.ev_card and client.ev_card_method):
                raise BillingError(gettext('ev_billing.msg_start_no_card'))
            client.ev_payment_method = method
            client.save()
        return method
