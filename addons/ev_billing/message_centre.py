# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Payment failures in the operator message centre

A declined card is an error the operator must see: a capture or a fee that
the card refused leaves the client owing the platform. A top-up the client
started in the app and could not pay is the client's own business: it is
posted for the record, low enough that no e-mail rule fires."""
from trytond.pool import Pool, PoolMeta


class Message(metaclass=PoolMeta):
    __name__ = 'ev.message'

    @classmethod
    def _resource_models(cls):
        return super()._resource_models() | {
            'account.payment', 'account.invoice', 'ev.billing.settlement'}


class Payment(metaclass=PoolMeta):
    __name__ = 'account.payment'

    @classmethod
    def fail(cls, payments):
        # Only those this call fails: upstream fails a voided hold again.
        failing = [p for p in cls.browse(payments) if p.state != 'failed']
        super().fail(payments)
        cls.ev_post_failures(
            [p for p in cls.browse(failing) if p.state == 'failed'])

    @classmethod
    def ev_post_failures(cls, payments):
        "Post an error message for each payment the acquirer refused"
        pool = Pool()
        Message = pool.get('ev.message')
        for payment in payments:
            reason = payment.ev_failure_reason
            if not reason:
                # A hold released on purpose (nothing to capture, the
                # session ended unpriced) is not a failure.
                continue
            Message.post('error',
                ('ev_billing.msg_payment_failed_subject', {
                        'payment': payment.rec_name,
                        'party': payment.party.rec_name,
                        }),
                ('ev_billing.msg_payment_failed_%s'
                    % payment.ev_failure_purpose, {
                        'party': payment.party.rec_name,
                        'amount': payment.amount,
                        'currency': payment.currency.code,
                        'reason': reason,
                        }),
                priority=payment.ev_failure_priority,
                key='payment-failed:%s' % payment.id,
                resource=payment)

    @property
    def ev_failure_reason(self):
        "The acquirer's reason for refusing the payment, if it did"
        if self.stripe_dispute_status == 'lost':
            return self.stripe_dispute_reason or self.stripe_dispute_status
        return self.stripe_error_message or self.stripe_error_code

    @property
    def ev_failure_purpose(self):
        if self.stripe_dispute_status == 'lost':
            return 'dispute'
        if self.ev_kind == 'session':
            return 'capture' if self.stripe_capture else 'hold'
        if self.ev_kind == 'topup':
            return 'fee' if self.ev_off_session else 'topup'
        return 'other'

    @property
    def ev_failure_priority(self):
        """high when the failure leaves the client owing the platform (a
        capture, a fee charged to the saved card, a lost dispute), low for
        the client's own top-up, else normal"""
        return {
            'dispute': 'high',
            'capture': 'high',
            'fee': 'high',
            'topup': 'low',
            }.get(self.ev_failure_purpose, 'normal')
