# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""What the sandbox acquirer does with intents, charges and refunds.

The state machine and the JSON follow Stripe's API (version
2026-03-25.dahlia, the one account_payment_stripe asks for), limited to
what the platform uses. Every change records the events Stripe would
send; webhooks.py delivers them.
"""
import datetime as dt
import time
import urllib.parse

from . import cards
from .store import new_id, public

API_VERSION = '2026-03-25.dahlia'
CAPTURE_WINDOW = 7 * 24 * 60 * 60
CANCELABLE = {
    'requires_payment_method', 'requires_capture', 'requires_confirmation',
    'requires_action'}
CONFIRMABLE = {
    'requires_payment_method', 'requires_confirmation', 'requires_action'}
REFUND_REASONS = {'duplicate', 'fraudulent', 'requested_by_customer'}
CANCELLATION_REASONS = {
    'duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'}
AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
    "PaymentIntent again.")
SETUP_AUTHENTICATION_FAILED = (
    "The latest attempt to set up the payment method has failed because "
    "authentication failed.")


class StripeError(Exception):
    "An error answered with Stripe's JSON shape and HTTP status"

    def __init__(self, status, type_, message, code=None, param=None,
            **extra):
        super().__init__(message)
        self.status = status
        self.error = {'type': type_, 'message': message}
        if code:
            self.error['code'] = code
            self.error['doc_url'] = (
                'https://stripe.com/docs/error-codes/%s'
                % code.replace('_', '-'))
        if param:
            self.error['param'] = param
        self.error.update(extra)

    @property
    def body(self):
        return {'error': self.error}


def invalid(message, param=None, code=None, status=400):
    return StripeError(status, 'invalid_request_error', message,
        code=code, param=param)


def missing(kind, id_, param='id'):
    return invalid("No such %s: '%s'" % (kind, id_), param=param,
        code='resource_missing', status=404)


def boolean(value, param):
    if value is None or isinstance(value, bool):
        return value
    if value in {'true', 'false'}:
        return value == 'true'
    raise invalid("Invalid boolean: %s" % value, param=param)


def integer(value, param, minimum=None):
    if value is None:
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise invalid("Invalid integer: %s" % value, param=param)
    if minimum is not None and value < minimum:
        raise invalid(
            "This value must be greater than or equal to %s." % minimum,
            param=param)
    return value


def check_params(params, allowed):
    for name in params:
        if name not in allowed and name != 'expand':
            raise invalid("Received unknown parameter: %s" % name,
                param=name)


def now():
    return int(time.time())


class Acquirer:
    """One sandbox: handlers take the account name and the parsed
    parameters, change the store and return Stripe objects."""

    def __init__(self, store, async_delay=1.0):
        self.store = store
        self.async_delay = async_delay
        # Set by the app for the request in progress (under the lock)
        self.request = {'id': None, 'idempotency_key': None}
        self.base_url = 'http://127.0.0.1:8010'
        self.on_event = None

    # Events
    def emit(self, account, type_, obj, previous=None):
        endpoints = self.endpoints_for(account, type_)
        event = {
            'id': new_id('evt_'),
            'object': 'event',
            'api_version': API_VERSION,
            'created': now(),
            'data': {'object': public(obj)},
            'livemode': False,
            'pending_webhooks': len(endpoints),
            'request': dict(self.request),
            'type': type_,
            }
        if previous:
            event['data']['previous_attributes'] = previous
        self.store.add_event(account, event)
        if self.on_event:
            self.on_event(account, event, endpoints)
        return event

    def endpoints_for(self, account, type_):
        return self.store.find(account, 'webhook_endpoint',
            lambda e: e['status'] == 'enabled' and (
                '*' in e['enabled_events'] or type_ in e['enabled_events']))

    def schedule(self, account, action, target, delay=None):
        if delay is None:
            delay = self.async_delay
        self.store.execute(
            'INSERT INTO task (account, due, action, target) '
            'VALUES (?, ?, ?, ?)', (account, time.time() + delay, action,
                target))

    def run_tasks(self, force=False):
        "Run the due asynchronous changes (refund failures, disputes)"
        rows = self.store.execute(
            'SELECT seq, account, action, target FROM task '
            + ('' if force else 'WHERE due <= ? ') + 'ORDER BY seq',
            () if force else (time.time(),)).fetchall()
        for seq, account, action, target in rows:
            self.store.execute('DELETE FROM task WHERE seq = ?', (seq,))
            getattr(self, '_task_' + action)(account, target)
        return len(rows)

    # Lookups
    def _get(self, account, kind, id_, param='id'):
        obj = self.store.get(id_, account, kind)
        if obj is None:
            raise missing(kind, id_, param)
        return obj

    def _put(self, account, obj):
        return self.store.put(account, obj)

    # Payment methods
    def _new_payment_method(self, account, number, exp_month=None,
            exp_year=None, cvc=None, billing_details=None):
        behaviour = cards.card(number)
        number = ''.join(c for c in str(number) if c.isdigit())
        today = dt.date.today()
        exp_month = integer(exp_month, 'card[exp_month]') or today.month
        exp_year = integer(exp_year, 'card[exp_year]') or today.year + 1
        if exp_year < 100:
            exp_year += 2000
        if not 1 <= exp_month <= 12:
            raise StripeError(402, 'card_error',
                "Your card's expiration month is invalid.",
                code='invalid_expiry_month', param='exp_month')
        if (exp_year, exp_month) < (today.year, today.month):
            raise StripeError(402, 'card_error',
                "Your card's expiration year is invalid.",
                code='invalid_expiry_year', param='exp_year')
        details = {'address': {
                'city': None, 'country': None, 'line1': None, 'line2': None,
                'postal_code': None, 'state': None},
            'email': None, 'name': None, 'phone': None, 'tax_id': None}
        for key in ('email', 'name', 'phone'):
            if (billing_details or {}).get(key):
                details[key] = billing_details[key]
        pm = {
            'id': new_id('pm_'),
            'object': 'payment_method',
            'allow_redisplay': 'unspecified',
            'billing_details': details,
            'card': {
                'brand': behaviour['brand'],
                'checks': {
                    'address_line1_check': None,
                    'address_postal_code_check': None,
                    'cvc_check': 'pass' if cvc else None,
                    },
                'country': 'US',
                'display_brand': behaviour['brand'],
                'exp_month': exp_month,
                'exp_year': exp_year,
                'fingerprint': cards.fingerprint(number),
                'funding': behaviour.get('funding', 'credit'),
                'generated_from': None,
                'last4': number[-4:],
                'networks': {
                    'available': [behaviour['brand']], 'preferred': None},
                'regulated_status': 'unregulated',
                'three_d_secure_usage': {'supported': True},
                'wallet': None,
                },
            'created': now(),
            'customer': None,
            'livemode': False,
            'metadata': {},
            'type': 'card',
            # Only test numbers ever reach the sandbox; the number picks the
            # outcome of every later payment.
            '_number': number,
            '_setup': False,
            }
        return self._put(account, pm)

    def _payment_method(self, account, params, param='payment_method'):
        "The payment method given by id, magic id or payment_method_data"
        id_ = params.get(param)
        if id_:
            if id_ in cards.MAGIC_PAYMENT_METHODS:
                return self._new_payment_method(
                    account, cards.MAGIC_PAYMENT_METHODS[id_])
            return self._get(account, 'payment_method', id_, param)
        data = params.get('payment_method_data')
        if data:
            if data.get('type') != 'card':
                raise invalid(
                    "The payment method type provided is not supported "
                    "in the sandbox.", param='payment_method_data[type]')
            card = data.get('card') or {}
            if not card.get('number'):
                raise invalid("Missing required param: "
                    "payment_method_data[card][number].",
                    param='payment_method_data[card][number]',
                    code='parameter_missing')
            return self._new_payment_method(
                account, card['number'], card.get('exp_month'),
                card.get('exp_year'), card.get('cvc'),
                data.get('billing_details'))
        return None

    def create_payment_method(self, account, params):
        check_params(params, {'type', 'card', 'billing_details', 'metadata'})
        if params.get('type') != 'card':
            raise invalid("Only type=card is supported in the sandbox.",
                param='type')
        card = params.get('card') or {}
        if not card.get('number'):
            raise invalid("Missing required param: card[number].",
                param='card[number]', code='parameter_missing')
        return self._new_payment_method(account, card['number'],
            card.get('exp_month'), card.get('exp_year'), card.get('cvc'),
            params.get('billing_details'))

    def retrieve_payment_method(self, account, id_, params):
        if id_ in cards.MAGIC_PAYMENT_METHODS:
            return self._new_payment_method(
                account, cards.MAGIC_PAYMENT_METHODS[id_])
        return self._get(account, 'payment_method', id_)

    def list_payment_methods(self, account, params):
        customer = params.get('customer')
        type_ = params.get('type')
        if customer:
            self._get(account, 'customer', customer, 'customer')
        return self.store.find(account, 'payment_method',
            lambda p: ((not customer or p['customer'] == customer)
                and (not type_ or p['type'] == type_)
                and (customer or p['customer'])))

    def attach_payment_method(self, account, id_, params):
        check_params(params, {'customer'})
        customer = params.get('customer')
        if not customer:
            raise invalid("Missing required param: customer.",
                param='customer', code='parameter_missing')
        self._get(account, 'customer', customer, 'customer')
        pm = self.retrieve_payment_method(account, id_, params)
        self._check_attachable(pm, customer)
        pm['customer'] = customer
        self._put(account, pm)
        self.emit(account, 'payment_method.attached', pm)
        return pm

    def _check_attachable(self, pm, customer=None):
        if pm['customer'] and pm['customer'] != customer:
            raise invalid(
                "The payment method you provided has already been attached "
                "to a customer.", code='payment_method_unexpected_state')
        behaviour = cards.card(pm['_number'])
        if behaviour['outcome'] in {cards.DECLINE, cards.INVALID_NUMBER}:
            # Attaching verifies the card, as Stripe does.
            raise StripeError(402, 'card_error', behaviour['message'],
                code=behaviour['code'],
                decline_code=behaviour['decline_code'])

    def detach_payment_method(self, account, id_, params):
        check_params(params, set())
        pm = self._get(account, 'payment_method', id_)
        if not pm['customer']:
            raise invalid(
                "The payment method you provided is not attached to a "
                "customer so detachment is impossible.",
                code='payment_method_unexpected_state')
        previous = {'customer': pm['customer']}
        pm['customer'] = None
        self._put(account, pm)
        self.emit(account, 'payment_method.detached', pm, previous)
        return pm

    # Customers
    CUSTOMER_PARAMS = {
        'email', 'name', 'phone', 'description', 'metadata',
        'preferred_locales', 'invoice_settings', 'address'}

    def create_customer(self, account, params):
        check_params(params, self.CUSTOMER_PARAMS
            | {'payment_method', 'source'})
        if params.get('source'):
            raise invalid("Sources and tokens are not supported in the "
                "sandbox: use payment methods.", param='source')
        pm = None
        if params.get('payment_method'):
            pm = self.retrieve_payment_method(
                account, params['payment_method'], {})
            self._check_attachable(pm)
        customer = {
            'id': new_id('cus_', 14),
            'object': 'customer',
            'address': None,
            'balance': 0,
            'created': now(),
            'currency': None,
            'default_source': None,
            'delinquent': False,
            'description': None,
            'discount': None,
            'email': None,
            'invoice_prefix': new_id('', 8).upper(),
            'invoice_settings': {
                'custom_fields': None,
                'default_payment_method': None,
                'footer': None,
                'rendering_options': None,
                },
            'livemode': False,
            'metadata': {},
            'name': None,
            'phone': None,
            'preferred_locales': [],
            'shipping': None,
            'tax_exempt': 'none',
            'test_clock': None,
            }
        self._update_customer(customer, params)
        self._put(account, customer)
        self.emit(account, 'customer.created', customer)
        if pm:
            pm = self.attach_payment_method(account, pm['id'],
                {'customer': customer['id']})
            customer['invoice_settings']['default_payment_method'] = pm['id']
            self._put(account, customer)
        return customer

    def _update_customer(self, customer, params):
        for key in ('email', 'name', 'phone', 'description', 'address'):
            if key in params:
                customer[key] = params[key] or None
        if 'metadata' in params:
            customer['metadata'].update(params['metadata'] or {})
        if 'preferred_locales' in params:
            locales = params['preferred_locales'] or []
            if isinstance(locales, dict):
                locales = list(locales.values())
            customer['preferred_locales'] = locales
        settings = params.get('invoice_settings') or {}
        if 'default_payment_method' in settings:
            customer['invoice_settings']['default_payment_method'] = (
                settings['default_payment_method'] or None)

    def retrieve_customer(self, account, id_, params):
        customer = self._get(account, 'customer', id_)
        if customer.get('deleted'):
            return {'id': id_, 'object': 'customer', 'deleted': True}
        return customer

    def update_customer(self, account, id_, params):
        check_params(params, self.CUSTOMER_PARAMS)
        customer = self._get(account, 'customer', id_)
        if customer.get('deleted'):
            raise missing('customer', id_)
        previous = {k: customer.get(k) for k in params if k in customer}
        self._update_customer(customer, params)
        self._put(account, customer)
        self.emit(account, 'customer.updated', customer, previous)
        return customer

    def delete_customer(self, account, id_, params):
        customer = self._get(account, 'customer', id_)
        if customer.get('deleted'):
            raise missing('customer', id_)
        customer['deleted'] = True
        self._put(account, customer)
        for pm in self.store.find(account, 'payment_method',
                lambda p: p['customer'] == id_):
            pm['customer'] = None
            self._put(account, pm)
        self.emit(account, 'customer.deleted', customer)
        return {'id': id_, 'object': 'customer', 'deleted': True}

    def list_customers(self, account, params):
        email = params.get('email')
        return self.store.find(account, 'customer',
            lambda c: not c.get('deleted')
            and (not email or c['email'] == email))

    def create_customer_session(self, account, params):
        check_params(params, {'customer', 'components'})
        customer = params.get('customer')
        if not customer:
            raise invalid("Missing required param: customer.",
                param='customer', code='parameter_missing')
        self._get(account, 'customer', customer, 'customer')
        session = {
            'id': new_id('cuss_'),
            'object': 'customer_session',
            'client_secret': new_id('cuss_secret_', 40),
            'components': params.get('components') or {},
            'created': now(),
            'customer': customer,
            'expires_at': now() + 30 * 60,
            'livemode': False,
            }
        return self._put(account, session)

    def session_payment_methods(self, account, secret):
        "Saved cards the Stripe.js stand-in may show for a customer session"
        sessions = self.store.find(account, 'customer_session',
            lambda s: s['client_secret'] == secret)
        if not sessions or sessions[0]['expires_at'] < now():
            raise missing('customer_session', secret,
                'customer_session_client_secret')
        return self.list_payment_methods(account,
            {'customer': sessions[0]['customer'], 'type': 'card'})

    # Payment intents
    PI_PARAMS = {
        'amount', 'currency', 'automatic_payment_methods', 'capture_method',
        'confirm', 'customer', 'description', 'metadata', 'off_session',
        'payment_method', 'payment_method_data', 'payment_method_types',
        'return_url', 'setup_future_usage', 'statement_descriptor',
        'statement_descriptor_suffix', 'receipt_email',
        'confirmation_method', 'payment_method_options', 'use_stripe_sdk',
        'error_on_requires_action', 'mandate_data'}

    def create_payment_intent(self, account, params):
        check_params(params, self.PI_PARAMS)
        amount = integer(params.get('amount'), 'amount', 1)
        if amount is None:
            raise invalid("Missing required param: amount.", param='amount',
                code='parameter_missing')
        currency = (params.get('currency') or '').lower()
        if len(currency) != 3 or not currency.isalpha():
            raise invalid("Invalid currency: %s." % currency,
                param='currency')
        capture_method = params.get('capture_method') or 'automatic_async'
        if capture_method not in {'automatic', 'automatic_async', 'manual'}:
            raise invalid("Invalid capture_method: %s" % capture_method,
                param='capture_method')
        confirm = boolean(params.get('confirm'), 'confirm')
        off_session = params.get('off_session')
        # Tryton's checkout sends off_session=false without confirm, which
        # Stripe accepts; only a true one needs the confirmation.
        if boolean(off_session, 'off_session') and not confirm:
            raise invalid("You can only pass in off_session when confirm "
                "is true.", param='off_session')
        customer = params.get('customer')
        if customer:
            obj = self._get(account, 'customer', customer, 'customer')
            if obj.get('deleted'):
                raise missing('customer', customer, 'customer')
        automatic = (params.get('automatic_payment_methods') or {})
        pi_id = new_id('pi_')
        pi = {
            'id': pi_id,
            'object': 'payment_intent',
            'amount': amount,
            'amount_capturable': 0,
            'amount_details': {'tip': {}},
            'amount_received': 0,
            'application': None,
            'application_fee_amount': None,
            'automatic_payment_methods': (
                {'allow_redirects': 'always', 'enabled': True}
                if boolean(automatic.get('enabled'),
                    'automatic_payment_methods[enabled]') else None),
            'canceled_at': None,
            'cancellation_reason': None,
            'capture_method': capture_method,
            'client_secret': '%s_secret_%s' % (pi_id, new_id('', 25)),
            'confirmation_method': (
                params.get('confirmation_method') or 'automatic'),
            'created': now(),
            'currency': currency,
            'customer': customer,
            'description': params.get('description'),
            'last_payment_error': None,
            'latest_charge': None,
            'livemode': False,
            'metadata': params.get('metadata') or {},
            'next_action': None,
            'on_behalf_of': None,
            'payment_method': None,
            'payment_method_options': {'card': {
                    'installments': None, 'mandate_options': None,
                    'network': None, 'request_three_d_secure': 'automatic'}},
            'payment_method_types': ['card'],
            'processing': None,
            'receipt_email': params.get('receipt_email'),
            'setup_future_usage': params.get('setup_future_usage'),
            'shipping': None,
            'statement_descriptor': params.get('statement_descriptor'),
            'statement_descriptor_suffix': None,
            'status': 'requires_payment_method',
            'transfer_data': None,
            'transfer_group': None,
            '_return_url': params.get('return_url'),
            }
        pm = self._payment_method(account, params)
        if pm:
            pi['payment_method'] = pm['id']
            pi['status'] = 'requires_confirmation'
        self._put(account, pi)
        self.emit(account, 'payment_intent.created', pi)
        if confirm:
            return self._confirm(account, pi, pm, off_session, params)
        return pi

    def retrieve_payment_intent(self, account, id_, params):
        return self._get(account, 'payment_intent', id_)

    def list_payment_intents(self, account, params):
        customer = params.get('customer')
        return self.store.find(account, 'payment_intent',
            lambda p: not customer or p['customer'] == customer)

    def update_payment_intent(self, account, id_, params):
        check_params(params, {'amount', 'description', 'metadata',
                'payment_method', 'customer', 'receipt_email',
                'setup_future_usage'})
        pi = self._get(account, 'payment_intent', id_)
        if pi['status'] not in {
                'requires_payment_method', 'requires_confirmation',
                'requires_action'}:
            raise self._unexpected(pi, 'update')
        if 'amount' in params:
            pi['amount'] = integer(params['amount'], 'amount', 1)
        for key in ('description', 'receipt_email', 'setup_future_usage'):
            if key in params:
                pi[key] = params[key] or None
        if 'customer' in params:
            if params['customer']:
                self._get(account, 'customer', params['customer'],
                    'customer')
            pi['customer'] = params['customer'] or None
        if 'metadata' in params:
            pi['metadata'].update(params['metadata'] or {})
        if params.get('payment_method'):
            pm = self._payment_method(account, params)
            pi['payment_method'] = pm['id']
            pi['status'] = 'requires_confirmation'
        return self._put(account, pi)

    def _unexpected(self, intent, action):
        kind = intent['object'].replace('_', '')
        kind = 'PaymentIntent' if kind == 'paymentintent' else 'SetupIntent'
        return StripeError(400, 'invalid_request_error',
            "You cannot %s this %s because it has a status of %s."
            % (action, kind, intent['status']),
            code='%s_unexpected_state' % intent['object'],
            **{intent['object']: public(intent)})

    def confirm_payment_intent(self, account, id_, params):
        check_params(params, {'payment_method', 'payment_method_data',
                'return_url', 'off_session', 'client_secret',
                'setup_future_usage', 'payment_method_options',
                'use_stripe_sdk', 'error_on_requires_action', 'mandate_data',
                'receipt_email', 'payment_method_types'})
        pi = self._get(account, 'payment_intent', id_)
        if pi['status'] not in CONFIRMABLE:
            if pi['status'] in {'succeeded', 'requires_capture'}:
                raise StripeError(400, 'invalid_request_error',
                    "You cannot confirm this PaymentIntent because it has "
                    "already succeeded after being previously confirmed.",
                    code='payment_intent_unexpected_state',
                    payment_intent=public(pi))
            raise self._unexpected(pi, 'confirm')
        pm = self._payment_method(account, params)
        if pm is None and pi['payment_method']:
            pm = self._get(account, 'payment_method', pi['payment_method'])
        if pm is None:
            raise StripeError(400, 'invalid_request_error',
                "You cannot confirm this PaymentIntent because it's missing "
                "a payment method. To confirm the PaymentIntent with %s, "
                "specify a payment method attached to this customer along "
                "with the customer ID." % (pi['customer'] or 'a customer'),
                code='payment_intent_unexpected_state',
                payment_intent=public(pi))
        if params.get('return_url'):
            pi['_return_url'] = params['return_url']
        if params.get('setup_future_usage'):
            pi['setup_future_usage'] = params['setup_future_usage']
        return self._confirm(account, pi, pm, params.get('off_session'),
            params)

    def _confirm(self, account, pi, pm, off_session, params):
        off_session = off_session not in {None, 'false', False}
        pi['payment_method'] = pm['id']
        pi['last_payment_error'] = None
        pi['next_action'] = None
        behaviour = cards.card(pm['_number'])
        outcome = behaviour['outcome']
        needs_authentication = (
            outcome in {cards.THREE_DS_ALWAYS, cards.THREE_DS_DECLINE}
            or (outcome == cards.THREE_DS_SETUP
                and not (off_session and pm.get('_setup'))))
        if outcome == cards.INVALID_NUMBER:
            return self._decline(account, pi, pm, behaviour, charge=False)
        if needs_authentication:
            if off_session:
                behaviour = {
                    'code': 'authentication_required',
                    'decline_code': 'authentication_required',
                    'message': cards.MESSAGES['authentication_required'],
                    }
                return self._decline(account, pi, pm, behaviour,
                    charge=False)
            return self._require_action(account, pi)
        return self._authorize(account, pi, pm, behaviour)

    def _require_action(self, account, intent):
        url = '%s/3ds/%s?%s' % (self.base_url, intent['id'],
            urllib.parse.urlencode({
                    'client_secret': intent['client_secret']}))
        intent['status'] = 'requires_action'
        intent['next_action'] = {
            'type': 'redirect_to_url',
            'redirect_to_url': {
                'return_url': intent.get('_return_url'),
                'url': url,
                },
            }
        self._put(account, intent)
        self.emit(account, '%s.requires_action' % intent['object'], intent)
        return intent

    def _new_charge(self, account, pi, pm, status, captured, outcome,
            failure=None):
        card = pm['card']
        charge = {
            'id': new_id('ch_'),
            'object': 'charge',
            'amount': pi['amount'],
            'amount_captured': pi['amount'] if captured else 0,
            'amount_refunded': 0,
            'application': None,
            'application_fee': None,
            'application_fee_amount': None,
            'balance_transaction': (
                new_id('txn_') if captured else None),
            'billing_details': pm['billing_details'],
            'calculated_statement_descriptor': 'EV SANDBOX',
            'captured': captured,
            'created': now(),
            'currency': pi['currency'],
            'customer': pi['customer'],
            'description': pi['description'],
            'dispute': None,
            'disputed': False,
            'failure_balance_transaction': None,
            'failure_code': failure and failure['code'],
            'failure_message': failure and failure['message'],
            'fraud_details': {},
            'livemode': False,
            'metadata': dict(pi['metadata']),
            'on_behalf_of': None,
            'outcome': outcome,
            'paid': status == 'succeeded',
            'payment_intent': pi['id'],
            'payment_method': pm['id'],
            'payment_method_details': {
                'card': {
                    'amount_authorized': (
                        pi['amount'] if status == 'succeeded' else None),
                    'brand': card['brand'],
                    'capture_before': (
                        now() + CAPTURE_WINDOW
                        if status == 'succeeded' and not captured
                        else None),
                    'checks': card['checks'],
                    'country': card['country'],
                    'exp_month': card['exp_month'],
                    'exp_year': card['exp_year'],
                    'fingerprint': card['fingerprint'],
                    'funding': card['funding'],
                    'last4': card['last4'],
                    'network': card['brand'],
                    'three_d_secure': (
                        {'authentication_flow': 'challenge',
                            'result': 'authenticated', 'version': '2.2.0'}
                        if pi.get('_authenticated') else None),
                    },
                'type': 'card',
                },
            'receipt_email': pi['receipt_email'],
            'receipt_url': None,
            'refunded': False,
            'review': None,
            'shipping': None,
            'status': status,
            'transfer_data': None,
            'transfer_group': None,
            }
        return self._put(account, charge)

    def _decline(self, account, pi, pm, behaviour, charge=True):
        error = {
            'type': 'card_error',
            'code': behaviour['code'],
            'doc_url': 'https://stripe.com/docs/error-codes/%s'
            % behaviour['code'].replace('_', '-'),
            'message': behaviour['message'],
            'payment_method': public(pm),
            }
        if behaviour.get('decline_code'):
            error['decline_code'] = behaviour['decline_code']
        ch = None
        if charge:
            ch = self._new_charge(account, pi, pm, 'failed', False, {
                    'network_status': 'declined_by_network',
                    'reason': behaviour.get('decline_code'),
                    'risk_level': 'normal',
                    'seller_message': (
                        "The bank did not return any further details "
                        "with this decline."),
                    'type': 'issuer_declined',
                    }, failure=behaviour)
            error['charge'] = ch['id']
            pi['latest_charge'] = ch['id']
        pi['status'] = 'requires_payment_method'
        pi['payment_method'] = None
        pi['next_action'] = None
        pi['last_payment_error'] = error
        self._put(account, pi)
        if ch:
            self.emit(account, 'charge.failed', ch)
        self.emit(account, 'payment_intent.payment_failed', pi)
        extra = {k: v for k, v in error.items()
            if k not in {'type', 'code', 'message', 'doc_url'}}
        raise StripeError(402, 'card_error', error['message'],
            code=error['code'], payment_intent=public(pi), **extra)

    def _authorize(self, account, pi, pm, behaviour):
        outcome = behaviour['outcome']
        if outcome in {cards.DECLINE, cards.CHARGE_FAIL,
                cards.THREE_DS_DECLINE}:
            return self._decline(account, pi, pm, behaviour)
        automatic = pi['capture_method'] != 'manual'
        charge = self._new_charge(account, pi, pm, 'succeeded', automatic, {
                'network_status': 'approved_by_network',
                'reason': None,
                'risk_level': 'normal',
                'risk_score': 20,
                'seller_message': 'Payment complete.',
                'type': 'authorized',
                })
        pi['latest_charge'] = charge['id']
        pi['next_action'] = None
        if automatic:
            pi['status'] = 'succeeded'
            pi['amount_received'] = pi['amount']
        else:
            pi['status'] = 'requires_capture'
            pi['amount_capturable'] = pi['amount']
        if pi.get('setup_future_usage') and pi['customer'] \
                and not pm['customer']:
            pm['customer'] = pi['customer']
            pm['_setup'] = True
            self._put(account, pm)
            self.emit(account, 'payment_method.attached', pm)
        self._put(account, pi)
        self.emit(account, 'charge.succeeded', charge)
        if automatic:
            self.emit(account, 'payment_intent.succeeded', pi)
            if outcome == cards.DISPUTE:
                self.schedule(account, 'dispute', charge['id'])
        else:
            self.emit(account, 'payment_intent.amount_capturable_updated',
                pi, {'amount_capturable': 0})
        return pi

    def authenticate(self, account, intent_id, complete):
        "The 3-D Secure page's answer"
        intent = self.store.get(intent_id, account)
        if intent['status'] != 'requires_action':
            return intent
        pm = self._get(account, 'payment_method', intent['payment_method'])
        intent['next_action'] = None
        if intent['object'] == 'setup_intent':
            if complete:
                return self._setup_succeeded(account, intent, pm)
            intent['status'] = 'requires_payment_method'
            intent['payment_method'] = None
            intent['last_setup_error'] = {
                'type': 'invalid_request_error',
                'code': 'setup_intent_authentication_failure',
                'message': SETUP_AUTHENTICATION_FAILED,
                'payment_method': public(pm),
                }
            self._put(account, intent)
            self.emit(account, 'setup_intent.setup_failed', intent)
            return intent
        if complete:
            intent['_authenticated'] = True
            try:
                return self._authorize(
                    account, intent, pm, cards.card(pm['_number']))
            except StripeError:
                return self.store.get(intent_id, account)
        intent['status'] = 'requires_payment_method'
        intent['payment_method'] = None
        intent['last_payment_error'] = {
            'type': 'invalid_request_error',
            'code': 'payment_intent_authentication_failure',
            'doc_url': ('https://stripe.com/docs/error-codes/'
                'payment-intent-authentication-failure'),
            'message': AUTHENTICATION_FAILED,
            'payment_method': public(pm),
            }
        self._put(account, intent)
        self.emit(account, 'payment_intent.payment_failed', intent)
        return intent

    def capture_payment_intent(self, account, id_, params):
        check_params(params, {'amount_to_capture', 'metadata',
                'statement_descriptor', 'final_capture'})
        pi = self._get(account, 'payment_intent', id_)
        if pi['status'] != 'requires_capture':
            raise self._unexpected(pi, 'capture')
        amount = integer(params.get('amount_to_capture'),
            'amount_to_capture', 1)
        if amount is None:
            amount = pi['amount_capturable']
        if amount > pi['amount_capturable']:
            raise invalid(
                "The amount to capture (%s) is greater than the amount "
                "capturable (%s)." % (amount, pi['amount_capturable']),
                param='amount_to_capture', code='amount_too_large')
        charge = self._get(account, 'charge', pi['latest_charge'])
        # The part not captured is released, not refunded: Stripe leaves
        # amount_refunded alone (Tryton computes captured - refunded).
        charge['captured'] = True
        charge['amount_captured'] = amount
        charge['balance_transaction'] = new_id('txn_')
        charge['payment_method_details']['card']['capture_before'] = None
        self._put(account, charge)
        pi['status'] = 'succeeded'
        pi['amount_received'] = amount
        pi['amount_capturable'] = 0
        self._put(account, pi)
        self.emit(account, 'charge.captured', charge)
        self.emit(account, 'payment_intent.succeeded', pi)
        pm = self.store.get(charge['payment_method'], account)
        if pm and cards.card(pm['_number'])['outcome'] == cards.DISPUTE:
            self.schedule(account, 'dispute', charge['id'])
        return pi

    def cancel_payment_intent(self, account, id_, params):
        check_params(params, {'cancellation_reason'})
        pi = self._get(account, 'payment_intent', id_)
        if pi['status'] not in CANCELABLE:
            raise StripeError(400, 'invalid_request_error',
                "You cannot cancel this PaymentIntent because it has a "
                "status of %s. Only a PaymentIntent with one of the "
                "following statuses may be canceled: requires_payment_method,"
                " requires_capture, requires_confirmation, requires_action, "
                "processing." % pi['status'],
                code='payment_intent_unexpected_state',
                payment_intent=public(pi))
        reason = params.get('cancellation_reason')
        if reason and reason not in CANCELLATION_REASONS:
            raise invalid("Invalid cancellation_reason: %s" % reason,
                param='cancellation_reason')
        return self._cancel(account, pi, reason)

    def _cancel(self, account, pi, reason):
        if pi['status'] == 'requires_capture':
            # The authorization is released; Stripe shows the uncaptured
            # charge as refunded.
            charge = self._get(account, 'charge', pi['latest_charge'])
            charge['amount_refunded'] = charge['amount']
            charge['refunded'] = True
            self._put(account, charge)
            self.emit(account, 'charge.refunded', charge,
                {'amount_refunded': 0, 'refunded': False})
        pi['status'] = 'canceled'
        pi['amount_capturable'] = 0
        pi['next_action'] = None
        pi['canceled_at'] = now()
        pi['cancellation_reason'] = reason
        self._put(account, pi)
        self.emit(account, 'payment_intent.canceled', pi)
        return pi

    def expire_payment_intent(self, account, id_):
        "The authorization window closed (sandbox control)"
        pi = self._get(account, 'payment_intent', id_)
        if pi['status'] != 'requires_capture':
            raise self._unexpected(pi, 'expire')
        return self._cancel(account, pi, 'automatic')

    # Setup intents
    def create_setup_intent(self, account, params):
        check_params(params, {'customer', 'payment_method', 'usage',
                'confirm', 'return_url', 'payment_method_types',
                'metadata', 'description', 'automatic_payment_methods',
                'payment_method_data', 'payment_method_options'})
        customer = params.get('customer')
        if customer:
            self._get(account, 'customer', customer, 'customer')
        si_id = new_id('seti_')
        si = {
            'id': si_id,
            'object': 'setup_intent',
            'application': None,
            'automatic_payment_methods': {
                'allow_redirects': 'always', 'enabled': True},
            'cancellation_reason': None,
            'client_secret': '%s_secret_%s' % (si_id, new_id('', 32)),
            'created': now(),
            'customer': customer,
            'description': params.get('description'),
            'last_setup_error': None,
            'latest_attempt': None,
            'livemode': False,
            'mandate': None,
            'metadata': params.get('metadata') or {},
            'next_action': None,
            'on_behalf_of': None,
            'payment_method': None,
            'payment_method_types': ['card'],
            'single_use_mandate': None,
            'status': 'requires_payment_method',
            'usage': params.get('usage') or 'off_session',
            '_return_url': params.get('return_url'),
            }
        pm = self._payment_method(account, params)
        if pm:
            si['payment_method'] = pm['id']
            si['status'] = 'requires_confirmation'
        self._put(account, si)
        self.emit(account, 'setup_intent.created', si)
        if boolean(params.get('confirm'), 'confirm'):
            return self.confirm_setup_intent(account, si_id, {})
        return si

    def retrieve_setup_intent(self, account, id_, params):
        return self._get(account, 'setup_intent', id_)

    def confirm_setup_intent(self, account, id_, params):
        check_params(params, {'payment_method', 'payment_method_data',
                'return_url', 'client_secret', 'use_stripe_sdk',
                'mandate_data', 'payment_method_options'})
        si = self._get(account, 'setup_intent', id_)
        if si['status'] not in CONFIRMABLE:
            raise self._unexpected(si, 'confirm')
        pm = self._payment_method(account, params)
        if pm is None and si['payment_method']:
            pm = self._get(account, 'payment_method', si['payment_method'])
        if pm is None:
            raise StripeError(400, 'invalid_request_error',
                "You cannot confirm this SetupIntent because it's missing a "
                "payment method.", code='setup_intent_unexpected_state',
                setup_intent=public(si))
        if params.get('return_url'):
            si['_return_url'] = params['return_url']
        si['payment_method'] = pm['id']
        si['last_setup_error'] = None
        behaviour = cards.card(pm['_number'])
        outcome = behaviour['outcome']
        if outcome in {cards.DECLINE, cards.INVALID_NUMBER}:
            si['status'] = 'requires_payment_method'
            si['payment_method'] = None
            error = {
                'type': 'card_error', 'code': behaviour['code'],
                'message': behaviour['message'],
                'payment_method': public(pm)}
            if behaviour.get('decline_code'):
                error['decline_code'] = behaviour['decline_code']
            si['last_setup_error'] = error
            self._put(account, si)
            self.emit(account, 'setup_intent.setup_failed', si)
            extra = {k: v for k, v in error.items()
                if k not in {'type', 'code', 'message'}}
            raise StripeError(402, 'card_error', error['message'],
                code=error['code'], setup_intent=public(si), **extra)
        if outcome in {cards.THREE_DS_SETUP, cards.THREE_DS_ALWAYS,
                cards.THREE_DS_DECLINE}:
            return self._require_action(account, si)
        return self._setup_succeeded(account, si, pm)

    def _setup_succeeded(self, account, si, pm):
        pm['_setup'] = True
        if si['customer'] and not pm['customer']:
            pm['customer'] = si['customer']
            self._put(account, pm)
            self.emit(account, 'payment_method.attached', pm)
        self._put(account, pm)
        si['status'] = 'succeeded'
        si['next_action'] = None
        si['payment_method'] = pm['id']
        self._put(account, si)
        self.emit(account, 'setup_intent.succeeded', si)
        return si

    def cancel_setup_intent(self, account, id_, params):
        check_params(params, {'cancellation_reason'})
        si = self._get(account, 'setup_intent', id_)
        if si['status'] in {'succeeded', 'canceled'}:
            raise self._unexpected(si, 'cancel')
        si['status'] = 'canceled'
        si['next_action'] = None
        si['cancellation_reason'] = params.get('cancellation_reason')
        self._put(account, si)
        self.emit(account, 'setup_intent.canceled', si)
        return si

    # Charges and refunds
    def retrieve_charge(self, account, id_, params):
        return self._get(account, 'charge', id_)

    def list_charges(self, account, params):
        pi = params.get('payment_intent')
        return self.store.find(account, 'charge',
            lambda c: not pi or c['payment_intent'] == pi)

    def create_refund(self, account, params):
        check_params(params, {'charge', 'payment_intent', 'amount', 'reason',
                'metadata', 'instructions_email'})
        if params.get('charge'):
            charge = self._get(account, 'charge', params['charge'], 'charge')
        elif params.get('payment_intent'):
            pi = self._get(account, 'payment_intent',
                params['payment_intent'], 'payment_intent')
            if not pi['latest_charge'] or pi['status'] != 'succeeded':
                raise StripeError(400, 'invalid_request_error',
                    "This PaymentIntent does not have a successful charge "
                    "to refund.", code='charge_not_refundable',
                    param='payment_intent')
            charge = self._get(account, 'charge', pi['latest_charge'])
        else:
            raise invalid("One of the following params should be provided "
                "for this request: payment_intent or charge.",
                code='parameter_missing')
        reason = params.get('reason')
        if reason and reason not in REFUND_REASONS:
            raise invalid("Invalid reason: must be one of duplicate, "
                "fraudulent, or requested_by_customer", param='reason')
        if charge['status'] != 'succeeded' or not charge['captured']:
            raise StripeError(400, 'invalid_request_error',
                "Charge %s has not been captured: cancel the PaymentIntent "
                "to release the authorization." % charge['id'],
                code='charge_not_refundable', param='charge')
        if charge['disputed']:
            raise StripeError(400, 'invalid_request_error',
                "Charge %s has been charged back; cannot issue a refund."
                % charge['id'], code='charge_disputed', param='charge')
        remaining = charge['amount_captured'] - charge['amount_refunded']
        if remaining <= 0:
            raise StripeError(400, 'invalid_request_error',
                "Charge %s has already been refunded." % charge['id'],
                code='charge_already_refunded', param='charge')
        amount = integer(params.get('amount'), 'amount', 1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise invalid(
                "Refund amount (%s) is greater than unrefunded amount on "
                "charge (%s)" % (amount, remaining), param='amount',
                code='amount_too_large')
        refund = {
            'id': new_id('re_'),
            'object': 'refund',
            'amount': amount,
            'balance_transaction': new_id('txn_'),
            'charge': charge['id'],
            'created': now(),
            'currency': charge['currency'],
            'destination_details': {'card': {
                    'reference_status': 'pending',
                    'reference_type': 'acquirer_reference_number',
                    'type': 'refund'}, 'type': 'card'},
            'failure_reason': None,
            'metadata': params.get('metadata') or {},
            'payment_intent': charge['payment_intent'],
            'reason': reason,
            'receipt_number': None,
            'source_transfer_reversal': None,
            'status': 'succeeded',
            'transfer_reversal': None,
            }
        self._put(account, refund)
        previous = {'amount_refunded': charge['amount_refunded'],
            'refunded': charge['refunded']}
        charge['amount_refunded'] += amount
        charge['refunded'] = (
            charge['amount_refunded'] >= charge['amount_captured'])
        self._put(account, charge)
        self.emit(account, 'refund.created', refund)
        self.emit(account, 'charge.refunded', charge, previous)
        pm = self.store.get(charge['payment_method'], account)
        if pm and cards.card(pm['_number'])['outcome'] == cards.REFUND_FAIL:
            self.schedule(account, 'refund_fail', refund['id'])
        return refund

    def _task_refund_fail(self, account, refund_id):
        refund = self.store.get(refund_id, account)
        if refund['status'] != 'succeeded':
            return
        refund['status'] = 'failed'
        refund['failure_reason'] = 'expired_or_canceled_card'
        refund['failure_balance_transaction'] = new_id('txn_')
        self._put(account, refund)
        charge = self.store.get(refund['charge'], account)
        charge['amount_refunded'] -= refund['amount']
        charge['refunded'] = False
        self._put(account, charge)
        self.emit(account, 'charge.refund.updated', refund,
            {'status': 'succeeded'})
        self.emit(account, 'refund.updated', refund, {'status': 'succeeded'})
        self.emit(account, 'refund.failed', refund)

    def retrieve_refund(self, account, id_, params):
        return self._get(account, 'refund', id_)

    def list_refunds(self, account, params):
        charge = params.get('charge')
        pi = params.get('payment_intent')
        return self.store.find(account, 'refund',
            lambda r: (not charge or r['charge'] == charge)
            and (not pi or r['payment_intent'] == pi))

    # Disputes
    def _task_dispute(self, account, charge_id):
        self.create_dispute(account, {'charge': charge_id})

    def create_dispute(self, account, params):
        "A cardholder disputes a charge (sandbox control)"
        charge = self._get(account, 'charge', params.get('charge'), 'charge')
        if charge['dispute']:
            raise invalid("Charge %s is already disputed." % charge['id'],
                param='charge')
        if not charge['captured']:
            raise invalid("Charge %s is not captured." % charge['id'],
                param='charge')
        amount = integer(params.get('amount'), 'amount', 1) or (
            charge['amount_captured'] - charge['amount_refunded'])
        dispute = {
            'id': new_id('dp_'),
            'object': 'dispute',
            'amount': amount,
            'balance_transactions': [],
            'charge': charge['id'],
            'created': now(),
            'currency': charge['currency'],
            'evidence': {'uncategorized_text': None},
            'evidence_details': {
                'due_by': now() + 7 * 24 * 60 * 60,
                'has_evidence': False,
                'past_due': False,
                'submission_count': 0,
                },
            'is_charge_refundable': False,
            'livemode': False,
            'metadata': {},
            'payment_intent': charge['payment_intent'],
            'reason': params.get('reason') or 'fraudulent',
            'status': 'needs_response',
            }
        self._put(account, dispute)
        charge['dispute'] = dispute['id']
        charge['disputed'] = True
        self._put(account, charge)
        self.emit(account, 'charge.dispute.created', dispute)
        return dispute

    def retrieve_dispute(self, account, id_, params):
        return self._get(account, 'dispute', id_)

    def update_dispute(self, account, id_, params):
        "Stripe's test evidence texts decide the dispute"
        check_params(params, {'evidence', 'metadata', 'submit'})
        dispute = self._get(account, 'dispute', id_)
        text = (params.get('evidence') or {}).get('uncategorized_text')
        dispute['evidence']['uncategorized_text'] = text
        if text == 'winning_evidence':
            return self.close_dispute(account, id_, 'won')
        if text == 'losing_evidence':
            return self.close_dispute(account, id_, 'lost')
        return self._put(account, dispute)

    def close_dispute(self, account, id_, status='lost'):
        if status not in {'won', 'lost'}:
            raise invalid("Invalid status: %s" % status, param='status')
        dispute = self._get(account, 'dispute', id_)
        if dispute['status'] in {'won', 'lost'}:
            raise invalid("This dispute is already closed.")
        previous = {'status': dispute['status']}
        dispute['status'] = status
        self._put(account, dispute)
        self.emit(account, 'charge.dispute.closed', dispute, previous)
        return dispute

    # Webhook endpoints
    def create_webhook_endpoint(self, account, params):
        check_params(params, {'url', 'enabled_events', 'description',
                'metadata', 'api_version', 'connect'})
        url = params.get('url')
        if not url or not url.startswith(('http://', 'https://')):
            raise invalid("Invalid URL: %s" % url, param='url')
        events = params.get('enabled_events')
        if not events:
            raise invalid("Missing required param: enabled_events.",
                param='enabled_events', code='parameter_missing')
        if isinstance(events, str):
            events = [events]
        endpoint = {
            'id': new_id('we_'),
            'object': 'webhook_endpoint',
            'api_version': params.get('api_version'),
            'application': None,
            'created': now(),
            'description': params.get('description'),
            'enabled_events': list(events),
            'livemode': False,
            'metadata': params.get('metadata') or {},
            'secret': new_id('whsec_', 32),
            'status': 'enabled',
            'url': url,
            }
        self._put(account, endpoint)
        return endpoint

    def retrieve_webhook_endpoint(self, account, id_, params):
        endpoint = dict(self._get(account, 'webhook_endpoint', id_))
        # Stripe shows the secret only when the endpoint is created.
        endpoint.pop('secret')
        return endpoint

    def list_webhook_endpoints(self, account, params):
        result = []
        for endpoint in self.store.find(account, 'webhook_endpoint',
                lambda e: not e.get('deleted')):
            endpoint.pop('secret')
            result.append(endpoint)
        return result

    def update_webhook_endpoint(self, account, id_, params):
        check_params(params, {'url', 'enabled_events', 'description',
                'metadata', 'disabled'})
        endpoint = self._get(account, 'webhook_endpoint', id_)
        if params.get('url'):
            endpoint['url'] = params['url']
        if params.get('enabled_events'):
            endpoint['enabled_events'] = list(params['enabled_events'])
        if 'disabled' in params:
            endpoint['status'] = (
                'disabled' if boolean(params['disabled'], 'disabled')
                else 'enabled')
        self._put(account, endpoint)
        return self.retrieve_webhook_endpoint(account, id_, {})

    def delete_webhook_endpoint(self, account, id_, params):
        endpoint = self._get(account, 'webhook_endpoint', id_)
        self.store.execute('DELETE FROM object WHERE id = ?', (id_,))
        self.store.execute(
            "UPDATE delivery SET state = 'canceled' "
            "WHERE endpoint = ? AND state IN ('pending', 'held')",
            (endpoint['id'],))
        return {'id': id_, 'object': 'webhook_endpoint', 'deleted': True}
