# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Send sandbox Stripe accounts to the sandbox acquirer.

account_payment_stripe calls the stripe library with each account's secret
key and never sets a base URL; the library only has a process-wide one. So
the sandbox is chosen per call, by key: an HTTP client that moves requests
made with an ``sk_sandbox_`` key from api.stripe.com to the sandbox and
leaves every other key alone. Real and sandbox accounts then share one
code path and can live in the same database.
"""
import stripe

import trytond.config as config
from trytond.pool import PoolMeta

STRIPE_API = 'https://api.stripe.com'
STRIPE_JS = 'https://js.stripe.com/v3/'
SANDBOX_KEYS = ('sk_sandbox_', 'rk_sandbox_', 'pk_sandbox_')


def is_sandbox_key(key):
    return bool(key) and key.startswith(SANDBOX_KEYS)


def sandbox_url():
    "Where trytond reaches the sandbox (read per call: tests change it)"
    return config.get(
        'ev_billing', 'sandbox_url', default='http://127.0.0.1:8010'
        ).rstrip('/')


def sandbox_public_url():
    "Where the customer's browser reaches the sandbox"
    return (config.get('ev_billing', 'sandbox_public_url')
        or sandbox_url()).rstrip('/')


class SandboxRoutingClient(stripe.RequestsClient):

    def request(self, method, url, headers, post_data=None):
        return super().request(
            method, self._route(url, headers), headers, post_data)

    def request_stream(self, method, url, headers, post_data=None):
        return super().request_stream(
            method, self._route(url, headers), headers, post_data)

    @staticmethod
    def _route(url, headers):
        authorization = (headers or {}).get('Authorization', '')
        if (authorization.startswith('Bearer sk_sandbox_')
                and url.startswith(STRIPE_API + '/')):
            return sandbox_url() + url[len(STRIPE_API):]
        return url


def install():
    if not isinstance(stripe.default_http_client, SandboxRoutingClient):
        stripe.default_http_client = SandboxRoutingClient(
            verify_ssl_certs=stripe.verify_ssl_certs, proxy=stripe.proxy)


install()


class CheckoutPage(metaclass=PoolMeta):
    __name__ = 'account.payment.stripe.checkout'

    @classmethod
    def _execute(cls, records, header, data, action):
        # Stripe.js would talk to api.stripe.com with the publishable key:
        # a sandbox account gets the sandbox's stand-in instead, and the
        # upstream template stays as it is.
        extension, content = super()._execute(records, header, data, action)
        account = records[0].stripe_account if records else None
        if account and is_sandbox_key(account.secret_key):
            script = sandbox_public_url() + '/js/v3.js'
            if isinstance(content, str):
                content = content.replace(STRIPE_JS, script)
            else:
                content = bytes(content).replace(
                    STRIPE_JS.encode(), script.encode())
        return extension, content
