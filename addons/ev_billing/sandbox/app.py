# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The sandbox's HTTP face: Stripe's wire format on /v1/, pages and
controls.

Stripe's conventions kept here because the stripe library depends on them:
form-encoded bracket parameters, JSON answers, the error shape and the
HTTP status that picks the exception class, Idempotency-Key replay.
"""
import base64
import hashlib
import json
import logging
import re
import urllib.parse

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from . import pages
from .acquirer import StripeError, invalid, missing
from .store import new_id, public
from .webhooks import parse_faults

logger = logging.getLogger(__name__)

KEY = re.compile(r'^(sk|rk|pk)_sandbox_([A-Za-z0-9_\-]{1,64})$')
EXPANDABLE = {
    'latest_charge', 'payment_method', 'customer', 'charge',
    'payment_intent', 'default_payment_method', 'dispute', 'sources',
    'invoice_settings'}
CORS = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': (
        'Authorization, Content-Type, Idempotency-Key, Stripe-Version'),
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Expose-Headers': 'Request-Id, Idempotent-Replayed',
    }
# Calls a browser may make with the publishable key and a client secret
PUBLISHABLE = {
    'retrieve_payment_intent', 'confirm_payment_intent',
    'retrieve_setup_intent', 'confirm_setup_intent',
    'session_payment_methods'}


def R(path, endpoint, methods):
    return Rule(path, endpoint=endpoint, methods=methods)


URLS = Map([
    R('/', 'index', ['GET']),
    R('/v1/payment_intents', 'create_payment_intent', ['POST']),
    R('/v1/payment_intents', 'list_payment_intents', ['GET']),
    R('/v1/payment_intents/<id_>', 'retrieve_payment_intent', ['GET']),
    R('/v1/payment_intents/<id_>', 'update_payment_intent', ['POST']),
    R('/v1/payment_intents/<id_>/confirm', 'confirm_payment_intent',
        ['POST']),
    R('/v1/payment_intents/<id_>/capture', 'capture_payment_intent',
        ['POST']),
    R('/v1/payment_intents/<id_>/cancel', 'cancel_payment_intent',
        ['POST']),
    R('/v1/setup_intents', 'create_setup_intent', ['POST']),
    R('/v1/setup_intents/<id_>', 'retrieve_setup_intent', ['GET']),
    R('/v1/setup_intents/<id_>/confirm', 'confirm_setup_intent', ['POST']),
    R('/v1/setup_intents/<id_>/cancel', 'cancel_setup_intent', ['POST']),
    R('/v1/customers', 'create_customer', ['POST']),
    R('/v1/customers', 'list_customers', ['GET']),
    R('/v1/customers/<id_>', 'retrieve_customer', ['GET']),
    R('/v1/customers/<id_>', 'update_customer', ['POST']),
    R('/v1/customers/<id_>', 'delete_customer', ['DELETE']),
    R('/v1/customers/<id_>/payment_methods', 'customer_payment_methods',
        ['GET']),
    R('/v1/customers/<id_>/sources/<source>', 'unsupported', ['DELETE']),
    R('/v1/customers/<id_>/sources', 'unsupported', ['POST']),
    R('/v1/customer_sessions', 'create_customer_session', ['POST']),
    R('/v1/payment_methods', 'create_payment_method', ['POST']),
    R('/v1/payment_methods', 'list_payment_methods', ['GET']),
    R('/v1/payment_methods/<id_>', 'retrieve_payment_method', ['GET']),
    R('/v1/payment_methods/<id_>/attach', 'attach_payment_method',
        ['POST']),
    R('/v1/payment_methods/<id_>/detach', 'detach_payment_method',
        ['POST']),
    R('/v1/charges', 'unsupported', ['POST']),
    R('/v1/charges', 'list_charges', ['GET']),
    R('/v1/charges/<id_>', 'retrieve_charge', ['GET']),
    R('/v1/charges/<id_>/capture', 'unsupported', ['POST']),
    R('/v1/tokens', 'unsupported', ['POST']),
    R('/v1/sources', 'unsupported', ['POST']),
    R('/v1/refunds', 'create_refund', ['POST']),
    R('/v1/refunds', 'list_refunds', ['GET']),
    R('/v1/refunds/<id_>', 'retrieve_refund', ['GET']),
    R('/v1/disputes/<id_>', 'retrieve_dispute', ['GET']),
    R('/v1/disputes/<id_>', 'update_dispute', ['POST']),
    R('/v1/disputes/<id_>/close', 'accept_dispute', ['POST']),
    R('/v1/events', 'list_events', ['GET']),
    R('/v1/events/<id_>', 'retrieve_event', ['GET']),
    R('/v1/webhook_endpoints', 'create_webhook_endpoint', ['POST']),
    R('/v1/webhook_endpoints', 'list_webhook_endpoints', ['GET']),
    R('/v1/webhook_endpoints/<id_>', 'retrieve_webhook_endpoint', ['GET']),
    R('/v1/webhook_endpoints/<id_>', 'update_webhook_endpoint', ['POST']),
    R('/v1/webhook_endpoints/<id_>', 'delete_webhook_endpoint',
        ['DELETE']),
    # Not Stripe: what the Stripe.js stand-in reads to show saved cards
    R('/v1/sandbox/session_payment_methods', 'session_payment_methods',
        ['GET']),
    R('/js/v3.js', 'javascript', ['GET']),
    R('/js/v3', 'javascript', ['GET']),
    R('/3ds/<id_>', 'three_d_secure', ['GET', 'POST']),
    R('/control/faults', 'get_faults', ['GET']),
    R('/control/faults', 'set_faults', ['POST']),
    R('/control/faults', 'reset_faults', ['DELETE']),
    R('/control/flush', 'flush', ['POST']),
    R('/control/deliveries', 'deliveries', ['GET']),
    R('/control/disputes', 'control_create_dispute', ['POST']),
    R('/control/disputes/<id_>/close', 'control_close_dispute', ['POST']),
    R('/control/payment_intents/<id_>/expire', 'control_expire', ['POST']),
    ], strict_slashes=False)


def nest(pairs):
    """Turn Stripe's a[b][0]=v pairs into nested dicts and lists.

    Lists come as a[0]=x (the stripe library) or a[]=x (browsers)."""
    root = {}
    for key, value in pairs:
        match = re.match(r'^([^\[]+)((?:\[[^\]]*\])*)$', key)
        if not match:
            root[key] = value
            continue
        path = [match.group(1)] + re.findall(r'\[([^\]]*)\]',
            match.group(2))
        node = root
        for i, name in enumerate(path):
            if name == '':
                name = str(len(node))
            if i == len(path) - 1:
                node[name] = value
            else:
                child = node.get(name)
                if not isinstance(child, dict):
                    child = node[name] = {}
                node = child
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class SandboxApp:

    def __init__(self, store, acquirer, deliverer, public_url=None):
        self.store = store
        self.acquirer = acquirer
        self.deliverer = deliverer
        self.public_url = public_url

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        if request.method == 'OPTIONS':
            return Response(status=204, headers=CORS)
        adapter = URLS.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except (NotFound, MethodNotAllowed):
            if request.path.startswith('/v1/'):
                return self.json(invalid(
                        "Unrecognized request URL (%s: %s). Please see "
                        "https://stripe.com/docs or we can help at "
                        "https://support.stripe.com/." % (
                            request.method, request.path),
                        status=404).body, 404)
            return Response('Not Found', status=404, headers=CORS)
        except HTTPException as exception:
            return exception.get_response()
        base_url = self.public_url or request.host_url.rstrip('/')
        try:
            if endpoint in {'javascript', 'index'}:
                return getattr(self, endpoint)(request, base_url)
            if endpoint == 'three_d_secure':
                return self.three_d_secure(request, base_url, **values)
            return self.api(request, endpoint, values, base_url)
        except StripeError as error:
            return self.json(error.body, error.status)
        except Exception:
            logger.exception("sandbox error on %s %s", request.method,
                request.path)
            return self.json({'error': {
                        'type': 'api_error',
                        'message': "An unknown error occurred in the "
                        "sandbox."}}, 500)

    def json(self, body, status=200, headers=None):
        headers = dict(CORS, **(headers or {}))
        return Response(json.dumps(body, indent=2), status=status,
            headers=headers, content_type='application/json')

    def params(self, request):
        if request.method == 'POST':
            if request.mimetype == 'application/json':
                data = request.get_json(silent=True) or {}
                return data, sorted(
                    (k, json.dumps(v)) for k, v in data.items())
            pairs = list(request.form.items(multi=True))
        else:
            pairs = list(request.args.items(multi=True))
        return nest(pairs), sorted(pairs)

    def authenticate(self, request, params):
        "The account and whether a secret key was used"
        auth = request.headers.get('Authorization', '')
        key = None
        if auth.startswith('Bearer '):
            key = auth[len('Bearer '):].strip()
        elif auth.startswith('Basic '):
            try:
                key = base64.b64decode(auth[6:]).decode().split(':')[0]
            except ValueError:
                key = None
        if not key:
            key = params.pop('key', None)
        if not key:
            raise StripeError(401, 'invalid_request_error',
                "You did not provide an API key. You need to provide your "
                "API key in the Authorization header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        match = KEY.match(key)
        if not match:
            raise StripeError(401, 'invalid_request_error',
                "Invalid API Key provided: %s" % (
                    key[:8] + '*' * 4 + key[-4:] if len(key) > 12
                    else '*' * len(key)))
        return match.group(2), match.group(1) != 'pk'

    def api(self, request, endpoint, values, base_url):
        params, pairs = self.params(request)
        account, secret = self.authenticate(request, params)
        params.pop('key', None)
        request_id = new_id('req_', 14)
        idempotency_key = request.headers.get('Idempotency-Key')
        headers = {'Request-Id': request_id,
            'Stripe-Version': request.headers.get(
                'Stripe-Version', '2026-03-25.dahlia')}
        if idempotency_key and request.method == 'POST':
            headers['Idempotency-Key'] = idempotency_key
            fingerprint = hashlib.sha256(json.dumps(
                    [request.method, request.path,
                        [p for p in pairs if p[0] != 'key']]).encode()
                ).hexdigest()
        else:
            idempotency_key = None
        if not secret and endpoint not in PUBLISHABLE:
            raise StripeError(401, 'invalid_request_error',
                "This API call cannot be made with a publishable API key. "
                "Please use a secret API key.")
        if endpoint == 'flush':
            # It posts webhooks, so it must not hold the store lock.
            return self.json(self.deliverer.deliver(force=True), 200,
                headers)
        with self.store.transaction():
            if idempotency_key:
                stored = self.store.idempotent(account, idempotency_key)
                if stored:
                    if stored[0] != fingerprint:
                        return self.json({'error': {
                                    'type': 'idempotency_error',
                                    'message': "Keys for idempotent "
                                    "requests can only be used with the "
                                    "same parameters they were first used "
                                    "with. Try using a key other than '%s' "
                                    "if you meant to execute a different "
                                    "request." % idempotency_key,
                                    }}, 400, headers)
                    headers['Idempotent-Replayed'] = 'true'
                    headers['Original-Request'] = json.loads(
                        stored[2]).get('_request', request_id)
                    body = json.loads(stored[2])
                    body.pop('_request', None)
                    return self.json(body, stored[1], headers)
            self.acquirer.request = {
                'id': request_id, 'idempotency_key': idempotency_key}
            self.acquirer.base_url = base_url
            try:
                status, body = 200, self.call(
                    request, endpoint, values, account, secret, params)
            except StripeError as error:
                # Card declines change the intent: keep those changes.
                status, body = error.status, error.body
            finally:
                self.acquirer.request = {'id': None, 'idempotency_key': None}
            if idempotency_key and status != 401:
                self.store.remember(account, idempotency_key, fingerprint,
                    status, json.dumps(dict(body, _request=request_id)))
        return self.json(body, status, headers)

    def call(self, request, endpoint, values, account, secret, params):
        acquirer = self.acquirer
        expand = params.pop('expand', None) or []
        if isinstance(expand, str):
            expand = [expand]
        id_ = values.get('id_')
        if not secret:
            self.check_client_secret(account, endpoint, id_, params)
        if endpoint == 'unsupported':
            raise invalid("Charges, sources and tokens are not supported in "
                "the sandbox: use PaymentIntents and PaymentMethods.")
        if endpoint.startswith('list_') or endpoint in {
                'customer_payment_methods', 'session_payment_methods'}:
            if endpoint == 'list_events':
                return self.list_events(account, params, expand)
            if endpoint == 'customer_payment_methods':
                items = acquirer.list_payment_methods(account,
                    dict(params, customer=id_))
            elif endpoint == 'session_payment_methods':
                items = acquirer.session_payment_methods(account,
                    params.get('customer_session_client_secret'))
            else:
                items = getattr(acquirer, endpoint)(account, params)
            return self.page(account, items, request.path, params, expand)
        if endpoint.startswith('control_') or endpoint in {
                'get_faults', 'set_faults', 'reset_faults', 'deliveries',
                'accept_dispute', 'retrieve_event'}:
            return getattr(self, endpoint)(account, id_, params)
        method = getattr(acquirer, endpoint)
        if id_ is not None:
            result = method(account, id_, params)
        else:
            result = method(account, params)
        if not secret:
            result = self.for_browser(result)
        return self.expand(account, public(result), expand)

    def check_client_secret(self, account, endpoint, id_, params):
        if endpoint == 'session_payment_methods':
            return
        secret = params.pop('client_secret', None)
        intent = self.store.get(id_, account) if id_ else None
        if not intent or intent.get('client_secret') != secret:
            kind = 'payment_intent' if 'payment' in endpoint \
                else 'setup_intent'
            raise missing(kind, id_)

    def for_browser(self, intent):
        "What Stripe.js may see of an intent"
        keep = {'id', 'object', 'amount', 'currency', 'status',
            'client_secret', 'next_action', 'last_payment_error',
            'last_setup_error', 'payment_method', 'capture_method',
            'created', 'description', 'livemode', 'usage',
            'cancellation_reason'}
        if intent.get('object') == 'payment_method':
            return intent
        return {k: v for k, v in intent.items() if k in keep}

    def expand(self, account, obj, paths):
        for path in paths:
            self._expand(account, obj, path.split('.'), path)
        return obj

    def _expand(self, account, obj, parts, path):
        head, rest = parts[0], parts[1:]
        if obj.get('object') == 'list' and head == 'data':
            for item in obj['data']:
                self._expand(account, item, rest, path)
            return
        if head not in EXPANDABLE or head not in obj and head != 'sources':
            raise invalid("This property cannot be expanded (%s)." % path,
                param='expand')
        if head == 'sources':
            if obj.get('object') == 'customer':
                obj['sources'] = {'object': 'list', 'data': [],
                    'has_more': False,
                    'url': '/v1/customers/%s/sources' % obj['id']}
            return
        value = obj.get(head)
        if isinstance(value, str):
            doc = self.store.get(value, account)
            if doc:
                obj[head] = public(doc)
        if rest and isinstance(obj.get(head), dict):
            self._expand(account, obj[head], rest, path)

    def page(self, account, items, url, params, expand):
        "Stripe's list object with limit, starting_after and ending_before"
        limit = self.limit(params)
        ids = [i['id'] for i in items]
        after, before = params.get('starting_after'), params.get(
            'ending_before')
        if after:
            if after not in ids:
                raise missing('object', after, 'starting_after')
            items = items[ids.index(after) + 1:]
            chunk = items[:limit]
        elif before:
            if before not in ids:
                raise missing('object', before, 'ending_before')
            items = items[:ids.index(before)]
            chunk = items[-limit:]
        else:
            chunk = items[:limit]
        return self.expand(account, {
                'object': 'list',
                'data': [public(i) for i in chunk],
                'has_more': len(items) > len(chunk),
                'url': url,
                }, expand)

    def limit(self, params):
        limit = params.get('limit', 10)
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise invalid("Invalid integer: %s" % limit, param='limit')
        if not 1 <= limit <= 100:
            raise invalid("This value must be between 1 and 100.",
                param='limit')
        return limit

    def list_events(self, account, params, expand):
        """Newest first; ending_before gives the events just newer than
        the cursor (what Tryton's fetch_events walks with)."""
        limit = self.limit(params)
        types = params.get('types') or (
            [params['type']] if params.get('type') else None)
        after, before = params.get('starting_after'), params.get(
            'ending_before')
        if before:
            seq = self.store.event_seq(account, before)
            if seq is None:
                raise missing('event', before, 'ending_before')
            rows = self.store.events(account, after=seq, limit=limit,
                ascending=True, types=types)
            has_more = len(rows) > limit
            rows = list(reversed(rows[:limit]))
        else:
            seq = None
            if after:
                seq = self.store.event_seq(account, after)
                if seq is None:
                    raise missing('event', after, 'starting_after')
            rows = self.store.events(account, before=seq, limit=limit,
                types=types)
            has_more = len(rows) > limit
            rows = rows[:limit]
        return {'object': 'list', 'data': rows, 'has_more': has_more,
            'url': '/v1/events'}

    def retrieve_event(self, account, id_, params):
        event = self.store.event(account, id_)
        if event is None:
            raise missing('event', id_)
        return event

    def accept_dispute(self, account, id_, params):
        return self.acquirer.close_dispute(account, id_, 'lost')

    # Controls
    def get_faults(self, account, id_, params):
        return dict(self.store.faults(account), account=account)

    def set_faults(self, account, id_, params):
        try:
            faults = parse_faults(params)
        except ValueError as exception:
            raise invalid(str(exception))
        current = self.store.faults(account)
        current.update(faults)
        self.store.set_faults(account, current)
        return dict(current, account=account)

    def reset_faults(self, account, id_, params):
        self.store.set_faults(account, {})
        return {'account': account}

    def deliveries(self, account, id_, params):
        return {'object': 'list',
            'data': self.deliverer.deliveries(account),
            'has_more': False, 'url': '/control/deliveries'}

    def control_create_dispute(self, account, id_, params):
        return self.acquirer.create_dispute(account, params)

    def control_close_dispute(self, account, id_, params):
        return self.acquirer.close_dispute(
            account, id_, params.get('status', 'lost'))

    def control_expire(self, account, id_, params):
        return self.acquirer.expire_payment_intent(account, id_)

    # Pages
    def index(self, request, base_url):
        return self.json({'object': 'sandbox', 'livemode': False,
                'url': base_url, 'javascript': base_url + '/js/v3.js'})

    def javascript(self, request, base_url):
        return Response(pages.javascript(base_url), headers=dict(CORS,
                **{'Cache-Control': 'no-cache'}),
            content_type='application/javascript; charset=utf-8')

    def three_d_secure(self, request, base_url, id_):
        secret = request.values.get('client_secret')
        with self.store.transaction():
            account = self.store.account_of(id_)
            intent = self.store.get(id_, account) if account else None
            if not intent or intent.get('client_secret') != secret:
                return Response('Not Found', status=404)
            lang = pages.language(request)
            if request.method == 'GET':
                pm = self.store.get(intent['payment_method'] or '', account)
                last4 = pm['card']['last4'] if pm else None
                return Response(pages.three_d_secure(intent, lang, last4),
                    content_type='text/html; charset=utf-8')
            self.acquirer.base_url = base_url
            intent = self.acquirer.authenticate(account, id_,
                request.form.get('action') == 'complete')
        return_url = intent.get('_return_url')
        succeeded = intent['status'] in {
            'succeeded', 'requires_capture', 'processing'}
        if not return_url:
            return Response(pages.done(intent, lang),
                content_type='text/html; charset=utf-8')
        kind = intent['object']
        query = urllib.parse.urlencode({
                kind: intent['id'],
                kind + '_client_secret': intent['client_secret'],
                'redirect_status': 'succeeded' if succeeded else 'failed',
                })
        separator = '&' if '?' in return_url else '?'
        return redirect(return_url + separator + query, code=302)
