# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import dualmethod
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import BillingError
from .receipt import invoice_subject, send_receipts


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @dualmethod
    def update_taxes(cls, invoices, exception=False):
        # Upstream computes the taxes of a draft invoice again at every
        # write (and checks them at posting), each time over all its lines.
        # The month-end invoices of Session.create_invoices have a line per
        # session: it computes their taxes once, under this key, and the
        # lines do not change in between.
        if Transaction().context.get('_ev_taxes_computed'):
            return
        super().update_taxes(invoices, exception=exception)

    @classmethod
    def post(cls, invoices):
        super().post(invoices)
        receipts = [i for i in cls.browse([i.id for i in invoices])
            if i.ev_receipt_due]
        if receipts:
            # After the commit, in a task of its own: a receipt that cannot
            # be made must not stop the billing of a session.
            cls.__queue__.ev_send_receipts(receipts)

    @property
    def ev_receipt_due(self):
        "Tell whether the client gets a receipt of the posted invoice"
        return (self.type == 'out' and self.state == 'posted'
            and self.total_amount > 0
            and any(l.ev_session for l in self.lines))

    @classmethod
    def ev_send_receipts(cls, invoices):
        "E-mail the receipts of the client's session invoices, once"
        send_receipts([i for i in cls.browse(invoices) if i.ev_receipt_due],
            'ev_billing.report_receipt_invoice', invoice_subject)

    @classmethod
    def ev_pay_from_balance(cls, invoices):
        """Pay the posted client invoices (and credit notes) from the
        clients' prepaid balance, and reconcile them

        The balance may go below zero: the client then owes it, and cannot
        start a session until a top-up covers it."""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Date = pool.get('ir.date')
        Line = pool.get('account.move.line')
        method = Configuration(1).balance_payment_method
        if not method:
            raise BillingError(gettext(
                    'ev_billing.msg_balance_payment_method_missing'))
        reconciled = []
        for invoice in cls.browse(invoices):
            if invoice.state != 'posted' or not invoice.amount_to_pay:
                continue
            with Transaction().set_context(company=invoice.company.id):
                today = Date.today()
            # Negative for a credit note: it pays back into the balance.
            amount = invoice.amount_to_pay
            lines = invoice.pay_invoice(
                amount, method, max(today, invoice.invoice_date),
                description=invoice.number)
            to_reconcile = list(invoice.lines_to_pay) + list(lines)
            if not sum(l.debit - l.credit for l in to_reconcile):
                Line.reconcile(to_reconcile)
                reconciled.append(invoice)
        # Upstream marks them paid in a queued task; the client sees the
        # receipt at once, and a month-end run outside a request too.
        cls.process(reconciled)
