# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import urllib.parse

import trytond.config as config
from trytond.model import ModelView, fields
from trytond.modules.ev_partner.outbox import deliver
from trytond.pool import PoolMeta
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction
from trytond.url import http_base

THEMES = [
    ('light', "Light"),
    ('dark', "Dark"),
    ]


def app_url():
    "Return the absolute URL of the client app of the current database"
    url = config.get('ev_portal_pwa', 'app_url', default=None)
    if url:
        return url
    return '%s/%s/ev/app/' % (
        http_base().rstrip('/'),
        urllib.parse.quote(Transaction().database.name))


def _send_email(from_, users, email_func):
    """web_user's own, through the outbox: logged, sent after the commit;
    the link is one-time, so the message is not kept to send again"""
    from_cfg = config.get('email', 'from')
    for user in users:
        msg, title = email_func(user)
        set_from_header(msg, from_cfg, from_ or from_cfg)
        msg['To'] = user.email
        msg['Subject'] = title
        deliver(msg, resource=user, keep=False)


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    ev_theme = fields.Selection(THEMES, "Theme", required=True,
        help="The colours of the client app.")
    ev_sounds = fields.Boolean("Sounds",
        help="The client app plays a sound on session events.")
    ev_notify_system = fields.Boolean("System Notifications",
        help="The client app also shows its notifications as the device's "
        "own (the browser asks the client's permission first).")
    ev_notified_until = fields.DateTime("Notifications Read until",
        readonly=True,
        help="The client has read the notifications of the app up to this "
        "time: those after it are unread.")

    @classmethod
    def default_ev_theme(cls):
        return 'light'

    @classmethod
    def default_ev_sounds(cls):
        return True

    @classmethod
    def default_ev_notify_system(cls):
        return False

    @classmethod
    @ModelView.button
    def validate_email(cls, users, from_=None):
        # Upstream's, with _send_email above.
        for user in users:
            user.set_email_token()
        cls.save(users)
        _send_email(from_, users, cls.get_email_validation)

    @classmethod
    @ModelView.button
    def reset_password(cls, users, from_=None):
        # Upstream's, with _send_email above.
        now = dt.datetime.now()
        # Prevent abusive reset
        users = [u for u in users
            if not (u.reset_password_token_expire
                and u.reset_password_token_expire > now)]
        for user in users:
            user.set_reset_password_token()
        cls.save(users)
        _send_email(from_, users, cls.get_email_reset_password)

    def get_email_validation_url(self, url=None):
        # The link opens the app, which confirms the address through the
        # API: the token travels in the fragment, never to a server log.
        if url is None and not config.get('web', 'email_validation_url'):
            return '%s#/confirm?%s' % (app_url(), urllib.parse.urlencode({
                        'token': self.email_token}))
        return super().get_email_validation_url(url=url)

    def get_email_reset_password_url(self, url=None):
        if url is None and not config.get('web', 'reset_password_url'):
            return '%s#/reset?%s' % (app_url(), urllib.parse.urlencode({
                        'email': self.email,
                        'token': self.reset_password_token,
                        }))
        return super().get_email_reset_password_url(url=url)
