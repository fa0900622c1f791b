# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The sandbox acquirer driven by the real stripe library.

Calls go through ev_billing's routing HTTP client (an sk_sandbox_ key sends
them to [ev_billing] sandbox_url), as Tryton's own calls do.
"""
import http.server
import json
import os
import secrets
import tempfile
import threading
import time
import unittest
import urllib.parse

import requests
import stripe

import trytond.config as config
from trytond.modules.ev_billing import stripe_sandbox
from trytond.modules.ev_billing.sandbox import serve
from trytond.modules.ev_billing.sandbox.app import nest
from trytond.modules.ev_billing.sandbox.webhooks import sign

RETRY_DELAYS = (0.3, 0.6)


def wait_for(condition, timeout=10, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    return condition()


class Receiver:
    """A webhook endpoint checking signatures as Tryton's route does
    (stripe.Webhook.construct_event, 300 s tolerance)."""

    def __init__(self):
        self.secret = None
        self.received = []  # (event id, type, verified, status)
        self.events = []  # verified events, in arrival order
        self.answers = []  # statuses to answer first, then 200
        self.always = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers['Content-Length'])
                payload = self.rfile.read(length).decode('utf-8')
                status = receiver.handle(
                    payload, self.headers.get('Stripe-Signature'))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/hook' % self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, payload, header):
        with self.lock:
            try:
                event = stripe.Webhook.construct_event(
                    payload, header, self.secret)
            except (ValueError, stripe.SignatureVerificationError):
                event = json.loads(payload)
                self.received.append((event['id'], event['type'], False, 400))
                return 400
            if self.always:
                status = self.always
            elif self.answers:
                status = self.answers.pop(0)
            else:
                status = 200
            self.received.append((event.id, event.type, True, status))
            if status == 200:
                self.events.append(event)
            return status

    def types(self):
        with self.lock:
            return [e.type for e in self.events]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SandboxTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.sandbox = serve(retry_delays=RETRY_DELAYS, webhook_timeout=2,
            poll=0.05, async_delay=0.1)
        if not config.has_section('ev_billing'):
            config.add_section('ev_billing')
        cls._old_url = config.get('ev_billing', 'sandbox_url')
        config.set('ev_billing', 'sandbox_url', cls.sandbox.url)
        stripe_sandbox.install()
        cls._old_retries = stripe.max_network_retries
        stripe.max_network_retries = 0

    @classmethod
    def tearDownClass(cls):
        stripe.max_network_retries = cls._old_retries
        if cls._old_url is None:
            config.remove_section('ev_billing')
        else:
            config.set('ev_billing', 'sandbox_url', cls._old_url)
        cls.sandbox.stop()

    def setUp(self):
        # A fresh sandbox account per test: events never mix.
        self.name = 'test_%s' % secrets.token_hex(4)
        self.key = 'sk_sandbox_' + self.name
        self.pk = 'pk_sandbox_' + self.name
        self.receiver = None

    def tearDown(self):
        if self.receiver:
            self.receiver.stop()

    # Helpers
    def kw(self, **kwargs):
        return dict(kwargs, api_key=self.key)

    def control(self, method, path, **data):
        response = requests.request(method, self.sandbox.url + path,
            data=data, headers={'Authorization': 'Bearer ' + self.key})
        self.assertLess(response.status_code, 300, response.text)
        return response.json()

    def event_types(self, **params):
        return [e.type for e in reversed(list(stripe.Event.list(
                        limit=100, **self.kw(**params))))]

    def visa_payment(self, amount=4200, capture_method='automatic',
            payment_method='pm_card_visa', **kwargs):
        return stripe.PaymentIntent.create(**self.kw(
                amount=amount, currency='RUB',
                automatic_payment_methods={'enabled': True},
                capture_method=capture_method, description='Testing',
                payment_method=payment_method, confirm=True,
                off_session=True, **kwargs))

    def webhook(self, events=('*',)):
        self.receiver = Receiver()
        endpoint = stripe.WebhookEndpoint.create(**self.kw(
                url=self.receiver.url, enabled_events=list(events)))
        self.assertTrue(endpoint.secret.startswith('whsec_'))
        self.receiver.secret = endpoint.secret
        return endpoint

    def browser_confirm(self, intent, **data):
        "What the Stripe.js stand-in posts, with pk and client secret"
        kind = 'payment_intents' if intent.object == 'payment_intent' \
            else 'setup_intents'
        data.update(key=self.pk, client_secret=intent.client_secret)
        return requests.post('%s/v1/%s/%s/confirm' % (
                self.sandbox.url, kind, intent.id), data=data)

    # Keys and routing
    def test_routing_client(self):
        "Only sandbox secret keys leave api.stripe.com"
        route = stripe_sandbox.SandboxRoutingClient._route
        url = 'https://api.stripe.com/v1/payment_intents'
        self.assertEqual(
            route(url, {'Authorization': 'Bearer sk_test_123'}), url)
        self.assertEqual(
            route(url, {'Authorization': 'Bearer sk_live_123'}), url)
        self.assertEqual(route(url, {'Authorization': 'Bearer ' + self.key}),
            self.sandbox.url + '/v1/payment_intents')
        self.assertIsInstance(stripe.default_http_client,
            stripe_sandbox.SandboxRoutingClient)

    def test_authentication(self):
        with self.assertRaises(stripe.AuthenticationError):
            stripe.Customer.create(api_key='sk_sandbox_')
        with self.assertRaises(stripe.AuthenticationError):
            stripe.Customer.create(api_key='sk_sandbox_bad key!')
        response = requests.post(self.sandbox.url + '/v1/customers')
        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json()['error']['type'], 'invalid_request_error')
        # A publishable key may not create objects
        response = requests.post(self.sandbox.url + '/v1/customers',
            data={'key': self.pk})
        self.assertEqual(response.status_code, 401)
        # Accounts are separate
        customer = stripe.Customer.create(**self.kw())
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Customer.retrieve(customer.id,
                api_key='sk_sandbox_other_' + self.name)
        self.assertEqual(cm.exception.code, 'resource_missing')
        self.assertEqual(cm.exception.http_status, 404)

    def test_params_parsing(self):
        self.assertEqual(nest([
                    ('a[b][c]', '1'), ('expand[0]', 'x'),
                    ('expand[1]', 'y'), ('l[]', 'p'), ('l[]', 'q'),
                    ('m[0][n]', 'v'), ('s', 't')]), {
                'a': {'b': {'c': '1'}}, 'expand': ['x', 'y'],
                'l': ['p', 'q'], 'm': [{'n': 'v'}], 's': 't'})

    # Payment intents
    def test_payment_intent_automatic(self):
        pi = self.visa_payment()
        self.assertEqual(pi.status, 'succeeded')
        self.assertEqual(pi.amount_received, 4200)
        self.assertEqual(pi.currency, 'rub')
        self.assertEqual(pi.capture_method, 'automatic')
        self.assertTrue(pi.client_secret.startswith(pi.id + '_secret_'))
        self.assertTrue(pi.payment_method.startswith('pm_'))
        self.assertNotEqual(pi.payment_method, 'pm_card_visa')
        self.assertIsInstance(pi.latest_charge, str)

        pi = stripe.PaymentIntent.retrieve(pi.id,
            **self.kw(expand=['latest_charge']))
        charge = pi.latest_charge
        self.assertEqual(charge.object, 'charge')
        self.assertEqual(charge.payment_intent, pi.id)
        self.assertEqual((charge.amount, charge.amount_captured,
                charge.amount_refunded, charge.captured, charge.status),
            (4200, 4200, 0, True, 'succeeded'))
        # Tryton reads these keys: they must be there, even when null
        self.assertIsNone(charge.failure_code)
        self.assertIsNone(charge.failure_message)
        self.assertEqual(charge.payment_method_details.card.last4, '4242')

        other = self.visa_payment()
        first = stripe.PaymentMethod.retrieve(pi.payment_method, **self.kw())
        second = stripe.PaymentMethod.retrieve(
            other.payment_method, **self.kw())
        mastercard = stripe.PaymentMethod.retrieve(
            self.visa_payment(payment_method='pm_card_mastercard'
                ).payment_method, **self.kw())
        self.assertEqual(first.card.fingerprint, second.card.fingerprint)
        self.assertNotEqual(first.card.fingerprint,
            mastercard.card.fingerprint)
        self.assertEqual(self.event_types(type='payment_intent.*')[:2],
            ['payment_intent.created', 'payment_intent.succeeded'])
        types = self.event_types()
        self.assertLess(types.index('charge.succeeded'),
            types.index('payment_intent.succeeded'))

    def test_payment_intent_without_confirm(self):
        pi = stripe.PaymentIntent.create(**self.kw(amount=500,
                currency='eur'))
        self.assertEqual(pi.status, 'requires_payment_method')
        self.assertIsNone(pi.latest_charge)
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.PaymentIntent.confirm(pi.id, **self.kw())
        self.assertEqual(cm.exception.code, 'payment_intent_unexpected_state')
        pi = stripe.PaymentIntent.confirm(pi.id,
            **self.kw(payment_method='pm_card_visa'))
        self.assertEqual(pi.status, 'succeeded')
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.PaymentIntent.create(**self.kw(currency='eur'))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.PaymentIntent.create(**self.kw(amount=1, currency='eur',
                    unknown='x'))
        self.assertEqual(cm.exception.param, 'unknown')

    def test_manual_capture_partial(self):
        pi = self.visa_payment(capture_method='manual')
        self.assertEqual(pi.status, 'requires_capture')
        self.assertEqual(pi.amount_capturable, 4200)
        self.assertEqual(pi.amount_received, 0)
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        self.assertEqual((charge.captured, charge.amount_captured),
            (False, 0))
        self.assertIsNotNone(
            charge.payment_method_details.card.capture_before)

        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.PaymentIntent.capture(pi.id,
                **self.kw(amount_to_capture=4201))
        self.assertEqual(cm.exception.code, 'amount_too_large')
        self.assertEqual(cm.exception.param, 'amount_to_capture')

        pi = stripe.PaymentIntent.capture(pi.id,
            **self.kw(amount_to_capture=3000))
        self.assertEqual(pi.status, 'succeeded')
        self.assertEqual((pi.amount_received, pi.amount_capturable),
            (3000, 0))
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        # The rest is released, not refunded
        self.assertEqual((charge.captured, charge.amount_captured,
                charge.amount_refunded, charge.refunded),
            (True, 3000, 0, False))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.PaymentIntent.capture(pi.id, **self.kw())
        self.assertEqual(cm.exception.code, 'payment_intent_unexpected_state')
        types = self.event_types()
        self.assertEqual(
            [t for t in types if t != 'payment_intent.created'], [
                'charge.succeeded',
                'payment_intent.amount_capturable_updated',
                'charge.captured', 'payment_intent.succeeded'])
        capturable = stripe.Event.list(**self.kw(
                type='payment_intent.amount_capturable_updated'))
        self.assertEqual(
            capturable.data[0].data.object.amount_capturable, 4200)

    def test_full_capture_default_amount(self):
        pi = self.visa_payment(capture_method='manual')
        pi = stripe.PaymentIntent.capture(pi.id, **self.kw())
        self.assertEqual(pi.amount_received, 4200)

    def test_cancel_void(self):
        pi = self.visa_payment(capture_method='manual')
        pi = stripe.PaymentIntent.cancel(pi.id,
            **self.kw(cancellation_reason='abandoned'))
        self.assertEqual(pi.status, 'canceled')
        self.assertEqual(pi.cancellation_reason, 'abandoned')
        self.assertEqual(pi.amount_capturable, 0)
        self.assertIsNotNone(pi.canceled_at)
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        self.assertEqual((charge.captured, charge.amount_refunded,
                charge.refunded), (False, 4200, True))
        self.assertEqual(self.event_types()[-2:],
            ['charge.refunded', 'payment_intent.canceled'])
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.PaymentIntent.capture(pi.id, **self.kw())
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.PaymentIntent.cancel(pi.id, **self.kw())
        done = self.visa_payment()
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.PaymentIntent.cancel(done.id, **self.kw())
        self.assertEqual(cm.exception.code, 'payment_intent_unexpected_state')

    def test_expire_authorization(self):
        pi = self.visa_payment(capture_method='manual')
        self.control('POST', '/control/payment_intents/%s/expire' % pi.id)
        pi = stripe.PaymentIntent.retrieve(pi.id, **self.kw())
        self.assertEqual(
            (pi.status, pi.cancellation_reason), ('canceled', 'automatic'))

    def test_refunds(self):
        pi = self.visa_payment()
        refund = stripe.Refund.create(**self.kw(payment_intent=pi.id,
                amount=1000, reason='requested_by_customer'))
        self.assertEqual((refund.status, refund.amount, refund.charge),
            ('succeeded', 1000, pi.latest_charge))
        self.assertIsNone(refund.failure_reason)
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        self.assertEqual((charge.amount_refunded, charge.refunded),
            (1000, False))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Refund.create(**self.kw(charge=charge.id, amount=3201))
        self.assertEqual(cm.exception.code, 'amount_too_large')
        refund = stripe.Refund.create(**self.kw(charge=charge.id))
        self.assertEqual(refund.amount, 3200)
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        self.assertEqual((charge.amount_refunded, charge.refunded),
            (4200, True))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Refund.create(**self.kw(charge=charge.id, amount=1))
        self.assertEqual(cm.exception.code, 'charge_already_refunded')
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Refund.create(**self.kw(charge=charge.id, reason='bad'))
        self.assertEqual(cm.exception.param, 'reason')
        self.assertEqual(self.event_types(type='charge.refunded'),
            ['charge.refunded', 'charge.refunded'])
        refunded = stripe.Event.list(**self.kw(type='charge.refunded'))
        self.assertEqual(
            [e.data.object.amount_refunded for e in refunded],
            [4200, 1000])

        uncaptured = self.visa_payment(capture_method='manual')
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.Refund.create(**self.kw(payment_intent=uncaptured.id))
        # Partial capture: only what was captured can be refunded
        captured = stripe.PaymentIntent.capture(uncaptured.id,
            **self.kw(amount_to_capture=2000))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Refund.create(**self.kw(payment_intent=captured.id,
                    amount=2001))
        self.assertEqual(cm.exception.code, 'amount_too_large')
        self.assertEqual(stripe.Refund.create(**self.kw(
                    payment_intent=captured.id)).amount, 2000)

    def test_declines(self):
        for card, code, decline_code in [
                ('4000000000000002', 'card_declined', 'generic_decline'),
                ('4000000000009995', 'card_declined', 'insufficient_funds'),
                ('4000000000009987', 'card_declined', 'lost_card'),
                ('4000000000000069', 'expired_card', 'expired_card'),
                ('4000000000000127', 'incorrect_cvc', 'incorrect_cvc'),
                ('4000000000000119', 'processing_error', 'processing_error'),
                ('4000000000000341', 'card_declined', 'generic_decline'),
                ]:
            with self.subTest(card=card):
                pm = stripe.PaymentMethod.create(**self.kw(type='card',
                        card={'number': card, 'exp_month': 12,
                            'exp_year': 2099, 'cvc': '123'}))
                with self.assertRaises(stripe.CardError) as cm:
                    self.visa_payment(payment_method=pm.id)
                error = cm.exception
                self.assertEqual(error.http_status, 402)
                self.assertEqual(error.code, code)
                body = error.json_body['error']
                self.assertEqual(body['decline_code'], decline_code)
                self.assertEqual(body['type'], 'card_error')
                pi = body['payment_intent']
                self.assertEqual(pi['status'], 'requires_payment_method')
                self.assertEqual(pi['last_payment_error']['code'], code)
                charge = stripe.Charge.retrieve(body['charge'], **self.kw())
                self.assertEqual((charge.status, charge.failure_code,
                        charge.paid), ('failed', code, False))
                self.assertEqual(self.event_types()[-2:],
                    ['charge.failed', 'payment_intent.payment_failed'])
        with self.assertRaises(stripe.CardError) as cm:
            self.visa_payment(
                payment_method='pm_card_chargeDeclinedInsufficientFunds')
        self.assertEqual(cm.exception.json_body['error']['decline_code'],
            'insufficient_funds')

    def test_idempotency(self):
        pi = self.visa_payment(idempotency_key='payment_intent-1')
        again = self.visa_payment(idempotency_key='payment_intent-1')
        self.assertEqual(again.id, pi.id)
        self.assertEqual(
            again.last_response.headers['Idempotent-Replayed'], 'true')
        self.assertEqual(len(stripe.PaymentIntent.list(**self.kw())), 1)
        with self.assertRaises(stripe.IdempotencyError) as cm:
            self.visa_payment(amount=1, idempotency_key='payment_intent-1')
        self.assertEqual(cm.exception.http_status, 400)

        # A stored decline is replayed as it was, with no second charge
        errors = []
        for _ in range(2):
            with self.assertRaises(stripe.CardError) as cm:
                self.visa_payment(payment_method='pm_card_chargeDeclined',
                    idempotency_key='payment_intent-2')
            errors.append(cm.exception)
        self.assertEqual(errors[0].json_body, errors[1].json_body)
        self.assertEqual(errors[1].headers['Idempotent-Replayed'], 'true')
        self.assertEqual(len(stripe.Charge.list(**self.kw())), 2)

    # Customers and payment methods
    def test_customers(self):
        customer = stripe.Customer.create(**self.kw(email='a@example.com',
                name="Anna", phone='+79990000000',
                preferred_locales=['ru', 'en']))
        self.assertTrue(customer.id.startswith('cus_'))
        self.assertEqual(customer.preferred_locales, ['ru', 'en'])
        self.assertIsNone(customer.invoice_settings.default_payment_method)
        customer = stripe.Customer.retrieve(
            id=customer.id, **self.kw(expand=['sources']))
        self.assertEqual(customer.sources.object, 'list')
        self.assertEqual(list(customer.sources), [])
        stripe.Customer.modify(customer.id, **self.kw(name="Anna K."))
        self.assertEqual(stripe.Customer.retrieve(customer.id,
                **self.kw()).name, "Anna K.")

        pm = stripe.PaymentMethod.attach('pm_card_visa',
            **self.kw(customer=customer.id))
        self.assertTrue(pm.id.startswith('pm_'))
        self.assertEqual(pm.customer, customer.id)
        methods = stripe.PaymentMethod.list(
            **self.kw(customer=customer.id, type='card'))
        self.assertEqual([m.id for m in methods], [pm.id])
        self.assertEqual(
            (methods.data[0].card.brand, methods.data[0].card.last4),
            ('visa', '4242'))
        with self.assertRaises(stripe.CardError):
            stripe.PaymentMethod.attach('pm_card_chargeDeclined',
                **self.kw(customer=customer.id))
        stripe.PaymentMethod.detach(pm.id, **self.kw())
        self.assertEqual(len(stripe.PaymentMethod.list(
                    **self.kw(customer=customer.id))), 0)
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.PaymentMethod.detach(pm.id, **self.kw())

        with_card = stripe.Customer.create(**self.kw(
                payment_method='pm_card_mastercard', email='b@example.com'))
        default = with_card.invoice_settings.default_payment_method
        self.assertEqual(stripe.PaymentMethod.retrieve(default,
                **self.kw()).customer, with_card.id)

        customer.delete()
        deleted = stripe.Customer.retrieve(customer.id, **self.kw())
        self.assertTrue(deleted.deleted)
        self.assertEqual([c.id for c in stripe.Customer.list(**self.kw())],
            [with_card.id])

    def test_customer_session(self):
        customer = stripe.Customer.create(
            **self.kw(payment_method='pm_card_visa'))
        session = stripe.CustomerSession.create(**self.kw(
                customer=customer.id,
                components={'payment_element': {
                        'enabled': True,
                        'features': {
                            'payment_method_redisplay': 'enabled',
                            'payment_method_save': 'enabled',
                            'payment_method_save_usage': 'on_session',
                            'payment_method_remove': 'enabled'}}}))
        self.assertTrue(session.client_secret.startswith('cuss_secret_'))
        self.assertEqual(session.customer, customer.id)
        response = requests.get(
            self.sandbox.url + '/v1/sandbox/session_payment_methods',
            params={'key': self.pk,
                'customer_session_client_secret': session.client_secret})
        self.assertEqual(response.status_code, 200)
        self.assertEqual([m['card']['last4'] for m in response.json()['data']],
            ['4242'])
        response = requests.get(
            self.sandbox.url + '/v1/sandbox/session_payment_methods',
            params={'key': self.pk, 'customer_session_client_secret': 'x'})
        self.assertEqual(response.status_code, 404)

    def test_setup_intent(self):
        # Tryton creates it with no parameter at all
        si = stripe.SetupIntent.create(**self.kw())
        self.assertEqual(si.status, 'requires_payment_method')
        self.assertEqual(si.usage, 'off_session')
        self.assertTrue(si.client_secret.startswith(si.id + '_secret_'))
        si = stripe.SetupIntent.confirm(si.id, **self.kw(
                return_url='http://localhost/', payment_method='pm_card_visa'))
        self.assertEqual(si.status, 'succeeded')
        self.assertTrue(si.payment_method.startswith('pm_'))
        retrieved = stripe.SetupIntent.retrieve(si.id, **self.kw())
        self.assertEqual(retrieved.payment_method, si.payment_method)
        self.assertIsInstance(retrieved.created, int)
        with self.assertRaises(stripe.InvalidRequestError):
            retrieved.cancel()
        other = stripe.SetupIntent.create(**self.kw())
        other.cancel()
        self.assertEqual(stripe.SetupIntent.retrieve(other.id,
                **self.kw()).status, 'canceled')
        declined = stripe.SetupIntent.create(**self.kw())
        with self.assertRaises(stripe.CardError):
            stripe.SetupIntent.confirm(declined.id,
                **self.kw(payment_method='pm_card_chargeDeclined'))
        self.assertIn('setup_intent.succeeded', self.event_types())
        self.assertIn('setup_intent.setup_failed', self.event_types())

    # 3-D Secure
    def three_d_secure_payment(self, number, lang=None):
        pi = stripe.PaymentIntent.create(**self.kw(amount=1500,
                currency='rub', automatic_payment_methods={'enabled': True}))
        response = self.browser_confirm(pi, **{
                'payment_method_data[type]': 'card',
                'payment_method_data[card][number]': number,
                'payment_method_data[card][exp_month]': '12',
                'payment_method_data[card][exp_year]': '40',
                'payment_method_data[card][cvc]': '123',
                'return_url': 'http://shop.example/end?x=1'})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.headers['Access-Control-Allow-Origin'], '*')
        body = response.json()
        # The browser sees no private fields
        self.assertNotIn('customer', body)
        self.assertEqual(body['status'], 'requires_action')
        url = body['next_action']['redirect_to_url']['url']
        self.assertTrue(url.startswith(
                self.sandbox.url + '/3ds/' + pi.id + '?client_secret='))
        return pi, url

    def test_three_d_secure_complete(self):
        pi, url = self.three_d_secure_payment('4000002500003155')
        page = requests.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn('Complete', page.text)
        self.assertIn('Fail', page.text)
        self.assertIn('15.00 RUB', page.text)
        self.assertIn('3155', page.text)
        russian = requests.get(url, headers={'Accept-Language': 'ru-RU'})
        self.assertIn('Подтвердить', russian.text)
        self.assertIn('Отклонить', requests.get(url + '&lang=ru').text)
        self.assertEqual(requests.get(url.split('?')[0]).status_code, 404)

        response = requests.post(url.split('?')[0], data={
                'client_secret': pi.client_secret, 'action': 'complete'},
            allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        location = urllib.parse.urlsplit(response.headers['Location'])
        self.assertEqual(location.netloc, 'shop.example')
        query = urllib.parse.parse_qs(location.query)
        self.assertEqual(query['x'], ['1'])
        self.assertEqual(query['payment_intent'], [pi.id])
        self.assertEqual(
            query['payment_intent_client_secret'], [pi.client_secret])
        self.assertEqual(query['redirect_status'], ['succeeded'])
        pi = stripe.PaymentIntent.retrieve(
            pi.id, **self.kw(expand=['latest_charge']))
        self.assertEqual(pi.status, 'succeeded')
        self.assertEqual(
            pi.latest_charge.payment_method_details.card.three_d_secure
            .result, 'authenticated')
        self.assertIn('payment_intent.requires_action', self.event_types())

    def test_three_d_secure_fail(self):
        pi, url = self.three_d_secure_payment('4000002760003184')
        response = requests.post(url.split('?')[0], data={
                'client_secret': pi.client_secret, 'action': 'fail'},
            allow_redirects=False)
        query = urllib.parse.parse_qs(
            urllib.parse.urlsplit(response.headers['Location']).query)
        self.assertEqual(query['redirect_status'], ['failed'])
        pi = stripe.PaymentIntent.retrieve(pi.id, **self.kw())
        self.assertEqual(pi.status, 'requires_payment_method')
        self.assertEqual(pi.last_payment_error.code,
            'payment_intent_authentication_failure')
        self.assertIsNone(pi.latest_charge)
        self.assertEqual(self.event_types()[-1],
            'payment_intent.payment_failed')

    def test_three_d_secure_then_declined(self):
        pi, url = self.three_d_secure_payment('4000008260003178')
        response = requests.post(url.split('?')[0], data={
                'client_secret': pi.client_secret, 'action': 'complete'},
            allow_redirects=False)
        self.assertIn('redirect_status=failed', response.headers['Location'])
        pi = stripe.PaymentIntent.retrieve(pi.id, **self.kw())
        self.assertEqual(pi.status, 'requires_payment_method')
        self.assertEqual(pi.last_payment_error.decline_code,
            'insufficient_funds')
        self.assertEqual(self.event_types()[-2:],
            ['charge.failed', 'payment_intent.payment_failed'])

    def test_three_d_secure_setup(self):
        si = stripe.SetupIntent.create(**self.kw())
        response = self.browser_confirm(si,
            payment_method='pm_card_authenticationRequiredOnSetup',
            return_url='http://shop.example/end')
        body = response.json()
        self.assertEqual(body['status'], 'requires_action')
        url = body['next_action']['redirect_to_url']['url']
        response = requests.post(url.split('?')[0], data={
                'client_secret': si.client_secret, 'action': 'complete'},
            allow_redirects=False)
        query = urllib.parse.parse_qs(
            urllib.parse.urlsplit(response.headers['Location']).query)
        self.assertEqual(query['setup_intent'], [si.id])
        self.assertEqual(query['redirect_status'], ['succeeded'])
        si = stripe.SetupIntent.retrieve(si.id, **self.kw())
        self.assertEqual(si.status, 'succeeded')

        # Set up, the card pays off session without authentication
        customer = stripe.Customer.create(
            **self.kw(payment_method=si.payment_method))
        pi = self.visa_payment(customer=customer.id,
            payment_method=si.payment_method)
        self.assertEqual(pi.status, 'succeeded')
        # Not set up, it needs the customer
        with self.assertRaises(stripe.CardError) as cm:
            self.visa_payment(
                payment_method='pm_card_authenticationRequiredOnSetup')
        self.assertEqual(cm.exception.code, 'authentication_required')

    def test_off_session_authentication_required(self):
        with self.assertRaises(stripe.CardError) as cm:
            self.visa_payment(payment_method='pm_card_authenticationRequired')
        error = cm.exception
        self.assertEqual(error.code, 'authentication_required')
        body = error.json_body['error']
        self.assertEqual(body['decline_code'], 'authentication_required')
        self.assertEqual(
            body['payment_intent']['status'], 'requires_payment_method')
        self.assertNotIn('charge', body)
        self.assertEqual(self.event_types()[-1],
            'payment_intent.payment_failed')

    def test_browser_needs_client_secret(self):
        pi = stripe.PaymentIntent.create(**self.kw(amount=100,
                currency='rub'))
        response = requests.post('%s/v1/payment_intents/%s/confirm' % (
                self.sandbox.url, pi.id), data={'key': self.pk,
                'client_secret': 'pi_x_secret_y',
                'payment_method': 'pm_card_visa'})
        self.assertEqual(response.status_code, 404)
        response = requests.get('%s/v1/payment_intents/%s' % (
                self.sandbox.url, pi.id), params={'key': self.pk,
                'client_secret': pi.client_secret})
        self.assertEqual(response.json()['status'],
            'requires_payment_method')
        response = self.browser_confirm(pi, payment_method='pm_card_visa',
            return_url='http://shop.example/end')
        self.assertEqual(response.json()['status'], 'succeeded')
        response = self.browser_confirm(
            stripe.PaymentIntent.create(**self.kw(amount=100,
                    currency='rub')),
            payment_method='pm_card_chargeDeclined')
        self.assertEqual(response.status_code, 402)
        self.assertEqual(
            response.json()['error']['message'], "Your card was declined.")

    # Legacy API
    def test_legacy_unsupported(self):
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Charge.create(**self.kw(amount=100, currency='rub',
                    source='tok_visa'))
        self.assertIn('not supported in the sandbox', str(cm.exception))
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.Token.create(**self.kw(card={'number': '4242'}))
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.Customer.create(**self.kw(source='tok_visa'))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Customer.delete_source('cus_x', 'card_x', **self.kw())

    # Events
    def test_events_paging(self):
        for i in range(7):
            stripe.Customer.create(**self.kw(name=str(i)))
        everything = stripe.Event.list(**self.kw(limit=100))
        self.assertEqual(len(everything), 7)
        self.assertFalse(everything.has_more)
        names = [e.data.object.name for e in everything]
        self.assertEqual(names, ['6', '5', '4', '3', '2', '1', '0'])
        ids = [e.id for e in everything]

        page = stripe.Event.list(**self.kw(limit=3))
        self.assertEqual([e.id for e in page], ids[:3])
        self.assertTrue(page.has_more)
        page = stripe.Event.list(**self.kw(limit=3, starting_after=ids[2]))
        self.assertEqual([e.id for e in page], ids[3:6])
        self.assertTrue(page.has_more)
        page = stripe.Event.list(**self.kw(limit=3, starting_after=ids[5]))
        self.assertEqual([e.id for e in page], ids[6:])
        self.assertFalse(page.has_more)
        # ending_before: the events just newer than the cursor, newest
        # first
        page = stripe.Event.list(**self.kw(limit=2, ending_before=ids[6]))
        self.assertEqual([e.id for e in page], [ids[4], ids[5]])
        self.assertTrue(page.has_more)
        page = stripe.Event.list(**self.kw(limit=2, ending_before=ids[0]))
        self.assertEqual(list(page), [])

        # Walking like Tryton's fetch_events sees each event once, in order
        seen, cursor = [], ids[6]
        while True:
            page = stripe.Event.list(
                **self.kw(limit=2, ending_before=cursor))
            if not page:
                break
            for event in reversed(list(page)):
                seen.append(event.id)
                cursor = event.id
        self.assertEqual(seen, list(reversed(ids[:6])))
        self.assertEqual(stripe.Event.retrieve(ids[0], **self.kw()).id,
            ids[0])
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.Event.list(**self.kw(limit=101))
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.Event.list(**self.kw(ending_before='evt_unknown'))
        event = everything.data[0]
        self.assertEqual(event.api_version, '2026-03-25.dahlia')
        self.assertTrue(event.request.id.startswith('req_'))
        self.assertFalse(event.livemode)

    # Webhooks
    def test_webhook_endpoints(self):
        endpoint = self.webhook(['payment_intent.succeeded'])
        self.assertEqual(endpoint.enabled_events,
            ['payment_intent.succeeded'])
        self.assertEqual(endpoint.status, 'enabled')
        retrieved = stripe.WebhookEndpoint.retrieve(endpoint.id, **self.kw())
        self.assertEqual(retrieved.url, self.receiver.url)
        self.assertNotIn('secret', retrieved)
        self.assertEqual(
            [e.id for e in stripe.WebhookEndpoint.list(**self.kw())],
            [endpoint.id])
        self.visa_payment()
        self.assertTrue(wait_for(lambda: self.receiver.types()))
        time.sleep(0.2)
        # Only the enabled event type is sent
        self.assertEqual(self.receiver.types(), ['payment_intent.succeeded'])
        deleted = stripe.WebhookEndpoint.delete(endpoint.id, **self.kw())
        self.assertTrue(deleted.deleted)
        self.visa_payment()
        time.sleep(0.3)
        self.assertEqual(len(self.receiver.types()), 1)
        with self.assertRaises(stripe.InvalidRequestError):
            stripe.WebhookEndpoint.create(**self.kw(url='ftp://x',
                    enabled_events=['*']))

    def test_webhook_delivery_signed(self):
        self.webhook()
        pi = self.visa_payment(capture_method='manual')
        stripe.PaymentIntent.capture(pi.id, **self.kw())
        expected = self.event_types()
        self.assertTrue(wait_for(
                lambda: len(self.receiver.types()) == len(expected)))
        self.assertEqual(self.receiver.types(), expected)
        self.assertTrue(all(r[2] for r in self.receiver.received))
        succeeded = [e for e in self.receiver.events
            if e.type == 'payment_intent.succeeded'][0]
        self.assertEqual(succeeded.data.object.id, pi.id)
        self.assertEqual(succeeded.data.object.amount_received, 4200)
        self.assertEqual(
            self.receiver.events[0].pending_webhooks, 1)
        # The receiver has the event before the sandbox reads its answer
        self.assertTrue(wait_for(lambda: {d['state'] for d in self.control(
                        'GET', '/control/deliveries')['data']}
                == {'delivered'}, timeout=5))

    def test_webhook_retries(self):
        self.webhook(['payment_intent.succeeded'])
        self.receiver.answers = [500, 404]
        pi = self.visa_payment()
        self.assertTrue(wait_for(lambda: self.receiver.events, timeout=5))
        self.assertEqual([r[3] for r in self.receiver.received],
            [500, 404, 200])
        self.assertEqual(self.receiver.events[0].data.object.id, pi.id)
        self.assertTrue(wait_for(lambda: self.control(
                    'GET', '/control/deliveries')['data'][0]['state']
                == 'delivered', timeout=5))
        delivery, = self.control('GET', '/control/deliveries')['data']
        self.assertEqual(delivery['attempt'], 3)

    def test_webhook_gives_up(self):
        self.webhook(['payment_intent.succeeded'])
        self.receiver.always = 503
        self.visa_payment()
        attempts = len(RETRY_DELAYS) + 1
        self.assertTrue(wait_for(lambda: [
                    d for d in self.control('GET', '/control/deliveries')[
                        'data'] if d['state'] == 'failed'], timeout=5))
        time.sleep(max(RETRY_DELAYS) + 0.2)
        self.assertEqual(len(self.receiver.received), attempts)
        delivery, = self.control('GET', '/control/deliveries')['data']
        self.assertEqual((delivery['attempt'], delivery['last_status']),
            (attempts, '503'))

    def test_webhook_timeout_is_retried(self):
        self.webhook(['payment_intent.succeeded'])
        receiver = self.receiver
        original = receiver.handle
        calls = []

        def slow(payload, header):
            calls.append(1)
            if len(calls) == 1:
                time.sleep(2.5)  # the sandbox waits 2 s
            return original(payload, header)
        receiver.handle = slow
        self.visa_payment()

        def delivered():
            delivery, = self.control('GET', '/control/deliveries')['data']
            return delivery if delivery['state'] == 'delivered' else None
        # The receiver records the event before the sandbox reads its
        # answer (and the timed out first call records it late), so the
        # delivery's own state is what to wait for.
        delivery = wait_for(delivered, timeout=8)
        self.assertTrue(delivery)
        self.assertEqual(delivery['attempt'], 2)
        self.assertGreaterEqual(len(calls), 2)

    def test_duplicates(self):
        self.webhook(['payment_intent.succeeded'])
        faults = self.control('POST', '/control/faults', duplicate_next=1)
        self.assertEqual(faults['duplicate_next'], 1)
        first = self.visa_payment()
        second = self.visa_payment()
        self.assertTrue(wait_for(lambda: len(self.receiver.events) == 3))
        time.sleep(0.2)
        ids = [e.data.object.id for e in self.receiver.events]
        self.assertEqual(sorted(ids),
            sorted([first.id, first.id, second.id]))
        self.assertEqual(len({e.id for e in self.receiver.events}), 2)
        self.control('POST', '/control/faults', duplicate='true')
        self.visa_payment()
        self.assertTrue(wait_for(lambda: len(self.receiver.events) == 5))

    def test_reorder(self):
        self.webhook(['payment_intent.succeeded'])
        self.control('POST', '/control/faults', reorder_window=3)
        payments = [self.visa_payment(amount=100 + i) for i in range(3)]
        self.assertTrue(wait_for(lambda: len(self.receiver.events) == 3))
        self.assertEqual([e.data.object.id for e in self.receiver.events],
            [p.id for p in reversed(payments)])
        # A window not yet full is sent by flush
        late = self.visa_payment(amount=200)
        time.sleep(0.2)
        self.assertEqual(len(self.receiver.events), 3)
        result = self.control('POST', '/control/flush')
        self.assertEqual([d['status'] for d in result['deliveries']],
            ['200'])
        self.assertEqual(self.receiver.events[-1].data.object.id, late.id)

    def test_signature_faults(self):
        self.webhook(['payment_intent.succeeded'])
        for fault in ['stale', 'bad']:
            with self.subTest(fault=fault):
                self.receiver.received.clear()
                self.control('POST', '/control/faults', signature=fault)
                pi = self.visa_payment()
                self.assertTrue(wait_for(lambda: self.receiver.received))
                event_id, _, verified, status = self.receiver.received[0]
                self.assertEqual((verified, status), (False, 400))
                # Signed correctly again, the retry passes
                self.control('POST', '/control/faults', signature='ok')
                self.assertTrue(wait_for(lambda: any(
                            e.data.object.id == pi.id
                            for e in self.receiver.events), timeout=5))
        self.assertEqual(self.control('DELETE', '/control/faults'),
            {'account': self.name})
        response = requests.post(self.sandbox.url + '/control/faults',
            data={'signature': 'odd'},
            headers={'Authorization': 'Bearer ' + self.key})
        self.assertEqual(response.status_code, 400)

    def test_signature_matches_stripe(self):
        payload = '{"id": "evt_1", "object": "event"}'
        header = sign(payload, 'whsec_test', int(time.time()))
        event = stripe.Webhook.construct_event(payload, header, 'whsec_test')
        self.assertEqual(event.id, 'evt_1')
        with self.assertRaises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload,
                sign(payload, 'whsec_test', int(time.time()) - 400),
                'whsec_test')

    def test_delay_and_flush(self):
        self.webhook(['payment_intent.succeeded'])
        self.control('POST', '/control/faults', delay=60)
        self.visa_payment()
        time.sleep(0.3)
        self.assertEqual(self.receiver.received, [])
        result = self.control('POST', '/control/flush')
        self.assertEqual(len(result['deliveries']), 1)
        self.assertEqual(self.receiver.types(), ['payment_intent.succeeded'])

    # Asynchronous outcomes
    def test_refund_fails_later(self):
        pi = self.visa_payment(payment_method='pm_card_refundFail')
        refund = stripe.Refund.create(**self.kw(payment_intent=pi.id))
        self.assertEqual(refund.status, 'succeeded')
        self.control('POST', '/control/flush')
        refund = stripe.Refund.retrieve(refund.id, **self.kw())
        self.assertEqual((refund.status, refund.failure_reason),
            ('failed', 'expired_or_canceled_card'))
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        self.assertEqual((charge.amount_refunded, charge.refunded),
            (0, False))
        updated = stripe.Event.list(
            **self.kw(type='charge.refund.updated')).data[0]
        self.assertEqual(updated.data.object.id, refund.id)
        self.assertEqual(updated.data.object.status, 'failed')

    def test_disputes(self):
        pi = self.visa_payment(payment_method='pm_card_createDispute')
        self.assertTrue(wait_for(lambda: stripe.Charge.retrieve(
                    pi.latest_charge, **self.kw()).disputed, timeout=3))
        charge = stripe.Charge.retrieve(pi.latest_charge, **self.kw())
        created = stripe.Event.list(
            **self.kw(type='charge.dispute.created')).data[0].data.object
        self.assertEqual((created.charge, created.reason, created.status,
                created.amount), (charge.id, 'fraudulent', 'needs_response',
                4200))
        with self.assertRaises(stripe.InvalidRequestError) as cm:
            stripe.Refund.create(**self.kw(charge=charge.id))
        self.assertEqual(cm.exception.code, 'charge_disputed')
        dispute = stripe.Dispute.modify(charge.dispute, **self.kw(
                evidence={'uncategorized_text': 'winning_evidence'}))
        self.assertEqual(dispute.status, 'won')
        closed = stripe.Event.list(
            **self.kw(type='charge.dispute.closed')).data[0].data.object
        self.assertEqual(closed.status, 'won')

        other = self.visa_payment()
        dispute = self.control('POST', '/control/disputes',
            charge=other.latest_charge, amount=1000, reason='duplicate')
        self.assertEqual((dispute['amount'], dispute['reason']),
            (1000, 'duplicate'))
        dispute = self.control('POST',
            '/control/disputes/%s/close' % dispute['id'], status='lost')
        self.assertEqual(dispute['status'], 'lost')
        self.assertEqual(self.event_types()[-2:],
            ['charge.dispute.created', 'charge.dispute.closed'])

    # Pages
    def test_javascript(self):
        response = requests.get(self.sandbox.url + '/js/v3.js')
        self.assertEqual(response.status_code, 200)
        self.assertIn('javascript', response.headers['Content-Type'])
        self.assertIn('var BASE = "%s";' % self.sandbox.url, response.text)
        self.assertIn('window.Stripe = Stripe', response.text)
        self.assertIn('4000002500003155', response.text)
        self.assertIn('confirmSetup', response.text)
        response = requests.options(
            self.sandbox.url + '/v1/payment_intents/pi_x/confirm')
        self.assertEqual(response.status_code, 204)
        self.assertIn('Authorization',
            response.headers['Access-Control-Allow-Headers'])


class PersistenceTestCase(unittest.TestCase):

    def test_state_survives_restart(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, 'sandbox.sqlite')
            key = 'sk_sandbox_persist'
            with serve(db=path) as sandbox:
                stripe.api_base, old = sandbox.url, stripe.api_base
                try:
                    customer = stripe.Customer.create(api_key=key,
                        name="Kept")
                finally:
                    stripe.api_base = old
            with serve(db=path) as sandbox:
                response = requests.get(
                    sandbox.url + '/v1/customers/' + customer.id,
                    headers={'Authorization': 'Bearer ' + key})
                self.assertEqual(response.json()['name'], "Kept")
