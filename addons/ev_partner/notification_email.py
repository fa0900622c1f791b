# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The e-mails of notification_email's triggers (the partner lifecycle of
notification.xml) go through the outbox like every other e-mail"""
import trytond.config as config
from trytond.pool import PoolMeta
from trytond.tools.email_ import has_rcpt

from .outbox import deliver


class Email(metaclass=PoolMeta):
    __name__ = 'notification.email'

    def send_email(self, records, trigger):
        # As upstream, with the outbox instead of a bare send.
        from_ = (config.get('notification_email', 'from')
            or config.get('email', 'from'))
        for record in records:
            to, to_languages = self._get_to(record)
            cc, cc_languages = self._get_cc(record)
            bcc, bcc_languages = self._get_bcc(record)
            languages = to_languages | cc_languages | bcc_languages
            msg = self.get_email(record, from_, to, cc, bcc, languages)
            if has_rcpt(msg):
                deliver(msg, resource=record,
                    notification_email=trigger.notification_email,
                    notification_trigger=trigger)
