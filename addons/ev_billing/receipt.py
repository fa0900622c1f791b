# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Receipts e-mailed to the client: for each posted session invoice and
each top-up the card paid, once, in the client's language"""
import logging
from email.message import EmailMessage

from trytond.i18n import gettext
from trytond.modules.ev_partner.outbox import deliver, render
from trytond.pool import Pool
from trytond.report import Report
from trytond.tools.email_ import format_address
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)


class Receipt(Report):
    __name__ = 'ev.billing.receipt'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        # The same template for an invoice and a top-up.
        context['kind'] = (
            'invoice' if records and records[0].__class__.__name__
            == 'account.invoice' else 'topup')
        context['sessions'] = cls.sessions
        return context

    @staticmethod
    def sessions(invoice):
        "The sessions the invoice bills, oldest first"
        sessions = {l.ev_session for l in invoice.lines if l.ev_session}
        return sorted(sessions, key=lambda s: (s.start_at, s.id))


def language_of(party):
    "The language the party reads: its own, else Russian, else the default"
    Lang = Pool().get('ir.lang')
    if party.lang:
        return party.lang
    languages = Lang.search([('code', '=', 'ru')], limit=1)
    return languages[0] if languages else Lang.get()


def send_receipts(records, report, subject):
    """E-mail the receipt of each record (an invoice or a payment) to its
    party, unless the party has no e-mail or the receipt is already sent

    report is the xml id of the receipt's ir.action.report, subject a
    function of the record and its language returning the subject."""
    pool = Pool()
    Email = pool.get('ir.email')
    for record in records:
        party = record.party
        if not party.email:
            continue
        with without_check_access():
            if Email.search([('resource', '=', str(record))], limit=1):
                continue
        language = language_of(party)
        msg = EmailMessage()
        msg['To'] = format_address(party.email, party.name)
        with Transaction().set_context(language=language.code):
            msg['Subject'] = subject(record, language)
        # The report checks the reader's access to the record: the
        # receipt is the platform's, whoever posted the invoice.
        with Transaction().set_user(0):
            render(msg, report, record, language)
        deliver(msg, resource=record)
        logger.info("receipt of %s queued", record)


def invoice_subject(invoice, language):
    return gettext('ev_billing.msg_receipt_invoice_subject',
        number=invoice.number or invoice.id)


def topup_subject(payment, language):
    return gettext('ev_billing.msg_receipt_topup_subject',
        amount=language.currency(payment.amount, payment.currency))
