# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The card acquirer pushes its events to a real trytond: finance registers
the webhook with one button, a client tops up on the checkout page, and the
balance is credited by the acquirer's signed webhook alone (no cron pulls
events in these tests, and no one processes the payment in the back
office)"""
import time
import uuid
from decimal import Decimal

import pytest
import requests

from ..harness import RPCError

SANDBOX_KEY = 'sk_sandbox_demo'


def money(value):
    if isinstance(value, dict):
        return Decimal(value['decimal'])
    return Decimal(str(value))


@pytest.fixture(scope='module')
def admin(platform):
    return platform.login('admin', platform.admin_password)


@pytest.fixture(scope='module')
def card_account(admin):
    "The demo's card account, its webhook registered at the acquirer"
    account_id, = admin.model('account.payment.stripe.account', 'search',
        [('secret_key', '=', SANDBOX_KEY)])
    admin.model('account.payment.stripe.account', 'ev_register_webhook',
        [account_id])
    account, = admin.model('account.payment.stripe.account', 'read',
        [account_id], ['webhook_identifier', 'webhook_endpoint',
            'webhook_signing_secret', 'ev_webhook'])
    return account


def acquirer(card_acquirer, method, path, **data):
    response = requests.request(method, card_acquirer.url + path,
        data=data, headers={'Authorization': 'Bearer ' + SANDBOX_KEY},
        timeout=10)
    response.raise_for_status()
    return response.json()


def test_webhook_registered(platform, card_acquirer, card_account):
    """The acquirer knows the endpoint of this database and account, with
    the events Tryton handles; the signing secret is kept"""
    assert card_account['ev_webhook'].startswith('we_')
    assert card_account['webhook_signing_secret'].startswith('whsec_')
    url = card_account['webhook_endpoint']
    assert url == '%s/%s/account_payment_stripe/webhook/%s' % (
        platform.url, platform.database, card_account['webhook_identifier'])
    endpoints = acquirer(card_acquirer, 'GET', '/v1/webhook_endpoints')
    endpoint, = [e for e in endpoints['data']
        if e['id'] == card_account['ev_webhook']]
    assert endpoint['url'] == url
    assert 'payment_intent.succeeded' in endpoint['enabled_events']


def test_register_again_keeps_the_endpoint(admin, card_acquirer,
        card_account):
    "A second click changes nothing: one endpoint, the same secret"
    admin.model('account.payment.stripe.account', 'ev_register_webhook',
        [card_account['id']])
    account, = admin.model('account.payment.stripe.account', 'read',
        [card_account['id']], ['ev_webhook', 'webhook_signing_secret'])
    assert account['ev_webhook'] == card_account['ev_webhook']
    assert (account['webhook_signing_secret']
        == card_account['webhook_signing_secret'])
    endpoints = acquirer(card_acquirer, 'GET', '/v1/webhook_endpoints')
    assert len(endpoints['data']) == 1


@pytest.fixture(scope='module')
def client(platform, admin):
    "A new client of the app, with a login"
    name = 'webhook-%s' % uuid.uuid4().hex[:6]
    party_id, = admin.model('party.party', 'create',
        [{'name': name, 'ev_client': True}])
    # The group's name in English: the admin works in Russian.
    group_id, = admin.call('model.res.group.search',
        [('name', '=', "EV Client")], 0, None, None,
        dict(admin.context, language='en'))
    password = uuid.uuid4().hex
    admin.model('res.user', 'create', [{
                'name': name, 'login': name, 'password': password,
                'ev_party': party_id, 'groups': [('add', [group_id])],
                }])
    return platform.login(name, password), party_id


def test_topup_credited_by_the_webhook(admin, card_acquirer, card_account,
        client):
    """The client pays a top-up on the checkout page: the acquirer's
    payment_intent.succeeded, pushed and signed, credits the balance once"""
    session, _ = client
    before = money(session.model('party.party', 'ev_my_account')['balance'])
    checkout = session.model('account.payment', 'ev_topup', '750')
    payment, = admin.model('account.payment', 'read', [checkout['payment']],
        ['state', 'stripe_payment_intent_id'])
    assert payment['state'] == 'processing'
    # What the checkout page's Stripe.js does with the card.
    acquirer(card_acquirer, 'POST', '/v1/payment_intents/%s/confirm'
        % payment['stripe_payment_intent_id'],
        payment_method='pm_card_visa', return_url='http://localhost/')
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        account = session.model('party.party', 'ev_my_account')
        if money(account['balance']) != before:
            break
        time.sleep(0.3)
    assert money(account['balance']) == before + Decimal('750')
    payment, = admin.model('account.payment', 'read', [checkout['payment']],
        ['state'])
    assert payment['state'] == 'succeeded'
    # Each event was handled once, as the acquirer delivered it.
    events = admin.model('ev.billing.stripe.event', 'search_read',
        [('account', '=', card_account['id'])], 0, None, None,
        ['event', 'result'])
    assert events
    assert len({e['event'] for e in events}) == len(events)


def test_unsigned_webhook_refused(platform, card_account):
    "A request without the acquirer's signature changes nothing"
    response = requests.post(card_account['webhook_endpoint'],
        json={'id': 'evt_forged', 'object': 'event',
            'type': 'payment_intent.succeeded',
            'data': {'object': {'id': 'pi_forged'}}},
        headers={'Stripe-Signature': 't=%d,v1=%s' % (time.time(), '0' * 64)},
        timeout=10)
    assert response.status_code == 400


def test_only_admins_register(platform, card_account):
    "Finance may not change the card account's webhook"
    finance = platform.login('finance')
    with pytest.raises(RPCError):
        finance.model('account.payment.stripe.account',
            'ev_register_webhook', [card_account['id']])
