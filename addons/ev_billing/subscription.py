# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Subscription fees collected like sessions: sale_subscription makes the
invoices of the plans' fees in draft; billing posts them and pays them from
the client's balance, charging the saved card first for card clients"""
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    @classmethod
    def generate_invoice(cls, date=None):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        # Upstream does not return what it made: the invoices are those
        # created after the last one that exists now.
        last = Invoice.search([], order=[('id', 'DESC')], limit=1)
        super().generate_invoice(date=date)
        invoices = Invoice.search([
                ('id', '>', last[0].id if last else 0),
                ('type', '=', 'out'),
                ('state', '=', 'draft'),
                ('lines.origin.subscription.ev_plan', '!=', None,
                    'sale.subscription.line'),
                ], order=[('id', 'ASC')])
        if invoices:
            cls.ev_collect(invoices)

    @classmethod
    def ev_collect(cls, invoices):
        """Post the plans' fee invoices and pay them from the balance; for
        clients who pay by card the card is charged the same amount into
        the balance"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Invoice = pool.get('account.invoice')
        Payment = pool.get('account.payment')
        config = Configuration(1)
        if not config.balance_account:
            # Billing is not set up: finance collects them by hand.
            return
        Invoice.post(invoices)
        payments = []
        for invoice in invoices:
            client = invoice.party
            if (client.ev_payment_method == 'card' and config.card_journal
                    and client.ev_card and client.ev_card_method
                    and invoice.total_amount > 0):
                journal = config.card_journal
                # A top-up charged off-session: the balance then pays the
                # invoice as for every client, so it has no special case.
                payments.append(Payment(
                        company=invoice.company, kind='receivable',
                        journal=journal, party=client,
                        currency=invoice.currency,
                        amount=invoice.total_amount,
                        account=config.balance_account,
                        reference=invoice.number, ev_kind='topup',
                        stripe_capture=True,
                        stripe_customer=client.ev_card,
                        stripe_customer_payment_method=client.ev_card_method,
                        ))
        if payments:
            Payment.save(payments)
            # Receivable payments skip approval; the card is charged in a
            # queued task after the commit. A decline leaves the balance
            # below zero, which refuses the next start until it is settled.
            Payment.submit(payments)
            Payment.process(payments)
        with Transaction().set_context(
                company=invoices[0].company.id):
            Invoice.ev_pay_from_balance(invoices)
