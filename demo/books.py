# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The demo's books: Tryton's minimal chart of accounts, fiscal years, VAT,
and what ev_billing needs (client balances, commission, card acquirer,
payouts), with the ORM inside load_demo.py's transaction"""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool

# The sandbox acquirer's account: keys of the sk_sandbox_/pk_sandbox_ kind
# are routed to it (addons/ev_billing/doc/sandbox.rst); they are not
# secrets, the sandbox accepts any.
SANDBOX_KEY = 'sandbox_demo'


def setup_books(company, today):
    "Create the books of company and fill the EV configuration"
    pool = Pool()
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    PaymentMethod = pool.get('account.invoice.payment.method')
    PaymentJournal = pool.get('account.payment.journal')
    StripeAccount = pool.get('account.payment.stripe.account')
    Configuration = pool.get('ev.configuration')

    _create_chart(company)
    # The demo is built around `today` (tests fix it), but invoices and
    # top-ups made while it runs are dated by the clock.
    for year in sorted({(today - dt.timedelta(days=200)).year, today.year,
                dt.date.today().year}):
        _create_fiscalyear(company, year)
    tax = _create_vat(company)

    def like(*clause):
        accounts = Account.search([
                clause,
                ('company', '=', company.id),
                ('closed', '!=', True),
                ], limit=1)
        return accounts[0]

    receivable = like('type.receivable', '=', True)
    revenue = like('type.revenue', '=', True)
    # The chart's cash account, as account's own tests find it.
    cash = like('code', '=', '1.1.1')

    def account(name, model, **values):
        new = Account(name=name, type=model.type, parent=model.parent,
            company=company, **values)
        new.save()
        return new

    balance = account("Балансы клиентов", receivable, reconcile=True,
        party_required=True)
    commission = account("Комиссия платформы", revenue)
    card_clearing = account("Расчёты с эквайером", cash, reconcile=True)
    bank_clearing = account("Выплаты партнёрам (в пути)", cash,
        reconcile=True)

    def journal(name, code, type_):
        new = Journal(name=name, code=code, type=type_)
        new.save()
        return new

    balance_journal = journal("Балансы клиентов", 'BAL', 'cash')
    card_moves = journal("Платежи картой", 'CARD', 'cash')
    payout_moves = journal("Выплаты партнёрам", 'PAY', 'cash')
    settlement_journal = journal("Взаиморасчёты с партнёрами", 'SET',
        'general')
    method = PaymentMethod(name="Баланс клиента", company=company,
        journal=balance_journal, debit_account=balance,
        credit_account=balance)
    method.save()
    stripe_account = StripeAccount(name="Эквайер (песочница)",
        secret_key='sk_' + SANDBOX_KEY, publishable_key='pk_' + SANDBOX_KEY)
    stripe_account.save()
    card_journal = PaymentJournal(name="Банковские карты",
        process_method='stripe', currency=company.currency,
        company=company, stripe_account=stripe_account,
        clearing_account=card_clearing, clearing_journal=card_moves)
    card_journal.save()
    payout_journal = PaymentJournal(name="Выплаты партнёрам",
        process_method='manual', currency=company.currency,
        company=company, clearing_account=bank_clearing,
        clearing_journal=payout_moves)
    payout_journal.save()

    _enable_crons(company)

    config = Configuration(1)
    # One invoice a month per client: the history bills in a few
    # invoices, and the current month waits for its month-end run.
    config.billing_mode = 'period'
    config.balance_account = balance
    config.balance_payment_method = method
    config.commission_account = commission
    config.settlement_journal = settlement_journal
    config.card_journal = card_journal
    config.payout_journal = payout_journal
    config.minimum_start_amount = Decimal(100)
    config.preauthorization_amount = Decimal(1000)
    config.save()
    return tax


def _create_chart(company):
    pool = Pool()
    AccountTemplate = pool.get('account.account.template')
    ModelData = pool.get('ir.model.data')
    CreateChart = pool.get('account.create_chart', type='wizard')
    Account = pool.get('account.account')
    template = AccountTemplate(ModelData.get_id(
            'account', 'account_template_root_en'))
    session_id, _, _ = CreateChart.create()
    wizard = CreateChart(session_id)
    wizard.account.account_template = template
    wizard.account.company = company
    wizard.transition_create_account()
    properties = wizard.states['properties']
    for name, value in properties.get_defaults(wizard, 'properties',
            list(wizard.properties._fields.keys())).items():
        if name in wizard.properties._fields:
            setattr(wizard.properties, name, value)
    for kind in ['receivable', 'payable']:
        field = 'account_%s' % kind
        if not getattr(wizard.properties, field):
            account, = Account.search([
                    ('type.%s' % kind, '=', True),
                    ('party_required', '=', True),
                    ('company', '=', company.id),
                    ], limit=1)
            setattr(wizard.properties, field, account)
    wizard.transition_create_properties()
    CreateChart.delete(session_id)


def _create_fiscalyear(company, year):
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    SequenceType = pool.get('ir.sequence.type')

    def sequence(type_name, name):
        type_, = SequenceType.search([('name', '=', type_name)], limit=1)
        new = Sequence(name=name, sequence_type=type_, company=company)
        new.save()
        return new

    InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')
    invoices = sequence("Invoice", "Счета %s" % year)
    fiscalyear = FiscalYear(name=str(year), company=company,
        start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
        move_sequence=sequence("Account Move", str(year)),
        invoice_sequences=[InvoiceSequence(company=company,
                out_invoice_sequence=invoices,
                in_invoice_sequence=invoices,
                out_credit_note_sequence=invoices,
                in_credit_note_sequence=invoices)])
    fiscalyear.save()
    FiscalYear.create_period([fiscalyear])


def _create_vat(company):
    pool = Pool()
    Account = pool.get('account.account')
    Tax = pool.get('account.tax')
    # The chart's current tax account, as account's own tests use it.
    payable, = Account.search([
            ('code', '=', '6.3.6'),
            ('company', '=', company.id),
            ])
    tax = Tax(name="НДС 20 %", description="НДС 20 %", type='percentage',
        rate=Decimal('0.20'), company=company, invoice_account=payable,
        credit_note_account=payable)
    tax.save()
    return tax


def _enable_crons(company):
    """Run the card acquirer's, the subscriptions' and billing's scheduled
    tasks for company; the demo pulls the acquirer's events every minute
    until demo/webhook.py registers the push"""
    pool = Pool()
    Cron = pool.get('ir.cron')
    crons = Cron.search([('method', 'in', [
                    'account.payment|stripe_charge',
                    'account.payment|stripe_capture_',
                    'account.payment.stripe.refund|stripe_create',
                    'account.payment.stripe.customer|stripe_create',
                    'account.payment.stripe.customer|stripe_intent_update',
                    'account.payment.stripe.customer|stripe_delete',
                    'account.payment.stripe.account|fetch_events',
                    'ev.session|cron_invoice_pending',
                    'ev.billing.settlement|cron_settle',
                    'sale.subscription.line|generate_consumption',
                    'sale.subscription|generate_invoice',
                    ])])
    Cron.write(crons, {'companies': [('add', [company.id])]})
    Cron.write([c for c in crons if c.method in {
                    'account.payment.stripe.account|fetch_events',
                    'account.payment|stripe_capture_',
                    'account.payment.stripe.customer|stripe_intent_update',
                    }], {'interval_number': 1, 'interval_type': 'minutes'})
