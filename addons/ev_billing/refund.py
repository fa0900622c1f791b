# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateAction, StateView, Wizard


class RefundStart(ModelView):
    "Refund a charging session"
    __name__ = 'ev.session.refund.start'

    session = fields.Many2One('ev.session', "Session", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency",
        readonly=True)
    left = Monetary("Refundable", currency='currency', digits='currency',
        readonly=True)
    amount = Monetary("Amount", currency='currency', digits='currency',
        required=True,
        domain=[
            ('amount', '>', 0),
            ('amount', '<=', Eval('left', 0)),
            ],
        help="Tax included, credited to the client's balance.")
    reason = fields.Char("Reason", required=True)


class Refund(Wizard):
    "Refund a charging session"
    __name__ = 'ev.session.refund'

    start = StateView('ev.session.refund.start',
        'ev_billing.session_refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateAction('account_invoice.act_invoice_out_form')

    def default_start(self, fields):
        session = self.record
        return {
            'session': session.id,
            'currency': session.currency.id,
            'left': (session.amount or 0) - session.refunded_amount,
            'amount': (session.amount or 0) - session.refunded_amount,
            }

    def do_refund(self, action):
        pool = Pool()
        Session = pool.get('ev.session')
        session = Session(self.record.id)
        invoice = session.refund(self.start.amount, self.start.reason)
        action['res_id'] = [invoice.id]
        action['views'].reverse()
        return action, {}
