# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Set up the books of an EV charging platform with proteus: shared by the
scenarios, the benchmark and the demo"""
from decimal import Decimal

from proteus import Model


def create_billing_accounts(accounts, config=None):
    """Add to a chart made by account's create_chart the accounts billing
    needs, and return them in accounts"""
    Account = Model.get('account.account', config=config)
    receivable = accounts['receivable']
    revenue = accounts['revenue']
    cash = accounts['cash']

    def account(name, like, **values):
        new = Account(name=name, type=like.type, parent=like.parent,
            **values)
        new.save()
        return new

    accounts['ev_balance'] = account("Client Balances", receivable,
        reconcile=True, party_required=True)
    accounts['ev_commission'] = account("Platform Commission", revenue)
    accounts['ev_card_clearing'] = account("Card Acquirer Clearing", cash,
        reconcile=True)
    accounts['ev_bank_clearing'] = account("Partner Payouts Clearing", cash,
        reconcile=True)
    return accounts


def setup_billing(company, accounts, stripe_key='sandbox_ev',
        billing_mode='session', minimum=Decimal('100'),
        preauthorization=Decimal('1000'), config=None):
    """Create the journals, payment methods and card account billing needs,
    and fill the EV configuration; return the configuration"""
    Journal = Model.get('account.journal', config=config)
    PaymentMethod = Model.get('account.invoice.payment.method', config=config)
    PaymentJournal = Model.get('account.payment.journal', config=config)
    StripeAccount = Model.get('account.payment.stripe.account', config=config)
    Configuration = Model.get('ev.configuration', config=config)

    balance_journal = Journal(name="Client Balances", code='BAL',
        type='cash')
    balance_journal.save()
    card_journal_move = Journal(name="Card Payments", code='CARD',
        type='cash')
    card_journal_move.save()
    payout_journal_move = Journal(name="Partner Payouts", code='PAY',
        type='cash')
    payout_journal_move.save()
    settlement_journal = Journal(name="Partner Settlements", code='SET',
        type='general')
    settlement_journal.save()

    method = PaymentMethod(name="Client balance", company=company,
        journal=balance_journal,
        debit_account=accounts['ev_balance'],
        credit_account=accounts['ev_balance'])
    method.save()

    stripe_account = StripeAccount(name="Card acquirer (sandbox)",
        secret_key='sk_%s' % stripe_key,
        publishable_key='pk_%s' % stripe_key)
    stripe_account.save()
    card_journal = PaymentJournal(name="Bank cards", process_method='stripe',
        currency=company.currency, stripe_account=stripe_account,
        clearing_account=accounts['ev_card_clearing'],
        clearing_journal=card_journal_move)
    card_journal.save()
    payout_journal = PaymentJournal(name="Partner payouts",
        process_method='manual', currency=company.currency,
        clearing_account=accounts['ev_bank_clearing'],
        clearing_journal=payout_journal_move)
    payout_journal.save()

    configuration = Configuration(1)
    configuration.billing_mode = billing_mode
    configuration.balance_account = accounts['ev_balance']
    configuration.balance_payment_method = method
    configuration.commission_account = accounts['ev_commission']
    configuration.settlement_journal = settlement_journal
    configuration.card_journal = card_journal
    configuration.payout_journal = payout_journal
    configuration.minimum_start_amount = minimum
    configuration.preauthorization_amount = preauthorization
    configuration.save()
    return configuration
