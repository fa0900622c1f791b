# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from decimal import Decimal

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

# The platform is one company (the operator); its accounts are the company
# of the context's.
_company = Eval('context', {}).get('company', -1)


class Configuration(metaclass=PoolMeta):
    __name__ = 'ev.configuration'

    billing_mode = fields.Selection([
            ('session', "Invoice per Session"),
            ('period', "Invoice per Month"),
            ], "Client Invoicing",
        help="When clients get their invoice: one per charging session, or "
        "one per month for all the sessions of the month.")
    balance_account = fields.Many2One(
        'account.account', "Client Balance Account",
        domain=[
            ('type.receivable', '=', True),
            ('party_required', '=', True),
            ('company', '=', _company),
            ],
        help="The receivable account that holds the clients' prepaid "
        "balances: top-ups and card captures credit it, charges debit it.")
    balance_payment_method = fields.Many2One(
        'account.invoice.payment.method', "Balance Payment Method",
        domain=[('company', '=', _company)],
        help="Pays client invoices from the balance; its accounts must be "
        "the client balance account.")
    commission_account = fields.Many2One(
        'account.account', "Commission Revenue Account",
        domain=[
            ('type.revenue', '=', True),
            ('company', '=', _company),
            ],
        help="The platform's own revenue: commissions and partner fees.")
    settlement_journal = fields.Many2One(
        'account.journal', "Settlement Journal",
        domain=[('type', '=', 'general')],
        help="Posts the monthly fees deducted from partner settlements.")
    card_journal = fields.Many2One(
        'account.payment.journal', "Card Payment Journal",
        domain=[('process_method', '=', 'stripe')],
        help="The card acquirer account that takes top-ups and "
        "pre-authorizations.")
    payout_journal = fields.Many2One(
        'account.payment.journal', "Payout Journal",
        help="Pays partners their settlements.")
    minimum_start_amount = fields.Numeric(
        "Minimum to Start", digits=(16, 2),
        domain=['OR',
            ('minimum_start_amount', '=', None),
            ('minimum_start_amount', '>=', 0),
            ],
        help="The balance a client needs to start charging, in the "
        "company's currency.")
    preauthorization_amount = fields.Numeric(
        "Pre-authorization", digits=(16, 2),
        domain=['OR',
            ('preauthorization_amount', '=', None),
            ('preauthorization_amount', '>', 0),
            ],
        help="The amount held on a client's card when a session paid by "
        "card starts; the session stops when its cost reaches it.")

    @classmethod
    def default_billing_mode(cls):
        return 'session'

    @classmethod
    def default_minimum_start_amount(cls):
        return Decimal(100)

    @classmethod
    def default_preauthorization_amount(cls):
        return Decimal(1000)
