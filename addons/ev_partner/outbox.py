# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The e-mail outbox: every e-mail the platform sends, logged with its
delivery state

trytond sends e-mail after the commit and only logs a failure; here the
result of each delivery is written back to its ir.email, a failure reaches
the message centre, and a kept message can be sent again."""
import logging
from email import message_from_bytes, policy
from email.utils import formatdate, make_msgid

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import get_email
from trytond.sendmail import SMTPDataManager, get_smtp_server, send_message
from trytond.transaction import Transaction, without_check_access
from trytond.url import host

from .exceptions import EmailResendError
from .tools import utcnow

logger = logging.getLogger(__name__)


def sender():
    return (config.get('notification_email', 'from')
        or config.get('email', 'from'))


def render(msg, report, record, language):
    """Fill msg with the HTML (and text) of the e-mail template report
    (an ir.action.report xml id) for record, in language (ir.lang)"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    ActionReport = pool.get('ir.action.report')
    module, name = report.split('.', 1)
    action = ActionReport(ModelData.get_id(module, name))
    # As root: the report checks that the user may read the record, and
    # the e-mail may come from a user who may not (the OCPP daemon, a
    # client's request): the caller chose the record and its recipients.
    with Transaction().set_user(0):
        content, _ = get_email(action, record, [language])
    # Fill the caller's message in place: it keeps its own headers (To,
    # Subject, ...) and takes the template's body and MIME headers.
    for name in ['Content-Type', 'Content-Transfer-Encoding',
            'MIME-Version', 'Content-Language']:
        del msg[name]
    for name, value in content.items():
        if name.lower().startswith(('content-', 'mime-')):
            msg[name] = value
    msg.set_payload(content.get_payload())
    return msg


def deliver(msg, resource=None, keep=True, **values):
    """Send msg after the commit and log it as an ir.email

    keep=False does not store the message itself: an e-mail that carries a
    secret (a one-time link) can be logged but not resent."""
    pool = Pool()
    Email = pool.get('ir.email')
    if not msg['From'] and sender():
        msg['From'] = sender()
    if not msg['Message-ID']:
        msg['Message-ID'] = make_msgid(domain=host())
    if not msg['Date']:
        msg['Date'] = formatdate()
    if not msg['Auto-Submitted']:
        msg['Auto-Submitted'] = 'auto-generated'
    if resource is None:
        # ir.email requires a resource: the user the e-mail was sent for.
        resource = 'res.user,%s' % Transaction().user
    email = Email.from_message(msg, resource=resource,
        ev_state='queued', ev_attempts=0,
        ev_mime=msg.as_bytes() if keep else None, **values)
    with without_check_access():
        email.save()
    transaction = Transaction()
    manager = transaction.join(OutboxDataManager(transaction.database.name))
    manager.put(None, None, msg)
    manager.emails.append(email.id)
    return email


class OutboxDataManager(SMTPDataManager):
    "Send after the commit, then write each delivery's result back"

    def __init__(self, database_name, uri=None):
        super().__init__(uri=uri)
        self.database_name = database_name
        self.emails = []

    def __eq__(self, other):
        if not isinstance(other, OutboxDataManager):
            return NotImplemented
        return (self.uri == other.uri
            and self.database_name == other.database_name)

    def tpc_vote(self, trans):
        # Not super(): a server that can't be reached fails the deliveries,
        # not the transaction that asked for them.
        if self._server is None:
            try:
                self._server = get_smtp_server(self.uri, strict=True)
            except Exception as exception:
                self._error = str(exception) or exception.__class__.__name__
                logger.warning("SMTP server unreachable: %s", self._error)

    def tpc_finish(self, trans):
        results = {}
        error = getattr(self, '_error', None)
        for email_id, (from_addr, to_addrs, msg) in zip(
                self.emails, self.queue):
            if self._server is None:
                results[email_id] = error or 'SMTP server unreachable'
                continue
            try:
                new_server = send_message(msg, from_addr, to_addrs,
                    server=self._server, strict=True)
                if new_server:
                    self._server = new_server
                results[email_id] = None
            except Exception as exception:
                logger.warning("e-mail %s not sent", email_id, exc_info=True)
                results[email_id] = (
                    str(exception) or exception.__class__.__name__)
        if self._server is not None:
            try:
                self._server.quit()
            except Exception:
                pass
        self._finish()
        self.emails = []
        if results:
            record_results(self.database_name, results)

    def _finish(self):
        super()._finish()
        self._error = None


def record_results(database_name, results):
    "Write the delivery results {email id: error or None} in a new transaction"
    context = Transaction().context
    try:
        with Transaction(new=True).start(database_name, 0, context={
                    'language': context.get('language'),
                    }):
            Email = Pool().get('ir.email')
            Email.ev_record(results)
    except Exception:
        logger.error("cannot record the delivery of e-mails %s",
            list(results), exc_info=True)


class Email(metaclass=PoolMeta):
    __name__ = 'ir.email'

    ev_state = fields.Selection([
            (None, ""),
            ('queued', "Queued"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "Delivery", readonly=True,
        help="Empty for the e-mails sent before the outbox kept a state.")
    ev_attempts = fields.Integer("Attempts", readonly=True)
    ev_sent_at = fields.DateTime("Sent at", readonly=True)
    ev_error = fields.Text("Delivery Error", readonly=True,
        states={
            'invisible': ~Eval('ev_error'),
            })
    ev_mime = fields.Binary("Message", readonly=True,
        help="The message as sent, kept to send it again; empty for "
        "messages that carry a secret.")
    ev_resendable = fields.Function(
        fields.Boolean("Resendable"), 'get_ev_resendable')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'ev_resend': {
                    'invisible': ~Eval('ev_resendable'),
                    'depends': ['ev_resendable'],
                    },
                })

    def get_rec_name(self, name):
        # Upstream has none: a message about an e-mail showed "(1)".
        return self.subject or super().get_rec_name(name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('subject', *clause[1:])]

    def get_ev_resendable(self, name):
        return bool(self.ev_mime) and self.ev_state in {'sent', 'failed'}

    @classmethod
    def ev_record(cls, results):
        "Record the delivery results and report the failures"
        pool = Pool()
        Message = pool.get('ev.message')
        now = utcnow()
        emails = cls.browse(list(results))
        to_write = []
        failed = []
        for email in emails:
            error = results[email.id]
            values = {
                'ev_state': 'failed' if error else 'sent',
                'ev_attempts': (email.ev_attempts or 0) + 1,
                'ev_error': error,
                }
            if not error:
                values['ev_sent_at'] = now
            else:
                failed.append(email)
            to_write.extend(([email], values))
        if to_write:
            cls.write(*to_write)
        for email in failed:
            # One open message per outage: the log lists every e-mail.
            Message.post('error',
                ('ev_partner.msg_email_failed_subject', {}),
                ('ev_partner.msg_email_failed_body', {
                        'subject': email.subject or '',
                        'recipients': email.recipients or '',
                        'error': results[email.id],
                        }),
                priority='high', key='email-delivery', resource=email)

    @classmethod
    @ModelView.button
    def ev_resend(cls, emails):
        "Send the kept messages again"
        transaction = Transaction()
        manager = transaction.join(
            OutboxDataManager(transaction.database.name))
        for email in emails:
            if not email.ev_resendable:
                raise EmailResendError(gettext(
                        'ev_partner.msg_email_not_resendable',
                        email=email.subject or email.id))
            msg = message_from_bytes(email.ev_mime, policy=policy.default)
            manager.put(None, None, msg)
            manager.emails.append(email.id)
        with without_check_access():
            cls.write(emails, {'ev_state': 'queued', 'ev_error': None})
