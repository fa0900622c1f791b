# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Replay recorded Stripe responses to the stripe library.

`replay(api_key)` installs a `ReplayClient` as `stripe.default_http_client`
and restores the previous client afterwards.  The test queues the answer of
each call with `answer(method, path, recording)`; the client checks every
request the way Stripe would (bearer key, form encoding, Idempotency-Key on
POST), keeps it in `calls` so the test can assert what Tryton sent, and
answers with the recorded body and HTTP status.  Anything unexpected (an
unknown call, a wrong key, a POST without Idempotency-Key) is collected in
`errors` and answered with a Stripe-shaped 404, so a mistake never hides in
Tryton's broad `except Exception` blocks: `check()` fails the test.
"""
import copy
import json
import os
from collections import defaultdict, deque, namedtuple
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import stripe

RECORDED = os.path.join(os.path.dirname(__file__), 'stripe_recorded')
FORM = 'application/x-www-form-urlencoded'

Call = namedtuple('Call', ['method', 'path', 'query', 'params', 'headers'])


def recording(name):
    "Return the whole recorded file (with _source, status, body)"
    with open(os.path.join(RECORDED, name + '.json')) as file:
        return json.load(file)


def body(name):
    "Return a copy of the recorded body"
    return copy.deepcopy(recording(name)['body'])


def recordings():
    "Return the names of all recordings"
    return sorted(n[:-len('.json')] for n in os.listdir(RECORDED)
        if n.endswith('.json'))


def event(name_or_body, api_key=None):
    "Return the recorded event as the stripe library delivers it"
    values = (body(name_or_body) if isinstance(name_or_body, str)
        else name_or_body)
    return stripe.Event.construct_from(values, api_key)


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    if isinstance(value, dict):
        return 'object'
    return type(value).__name__


def shape_mismatches(expected, actual, path='', nullable=True):
    """Return where `actual` lacks a key of `expected` or differs in JSON type

    `null` on either side matches any type when `nullable` (Stripe sends
    null for unset attributes).  Arrays are compared through their first
    element."""
    problems = []
    e_type, a_type = _json_type(expected), _json_type(actual)
    if nullable and 'null' in {e_type, a_type}:
        return problems
    if e_type != a_type:
        return [f'{path or "."}: {a_type} instead of {e_type}']
    if e_type == 'object':
        for key, value in expected.items():
            if key not in actual:
                problems.append(f'{path}.{key}: missing')
                continue
            problems.extend(shape_mismatches(
                    value, actual[key], f'{path}.{key}', nullable))
    elif e_type == 'array' and expected and actual:
        problems.extend(shape_mismatches(
                expected[0], actual[0], f'{path}[0]', nullable))
    return problems


class ReplayClient(stripe.HTTPClient):
    name = 'replay'

    def __init__(self, api_key, api_base=None):
        super().__init__()
        self.api_key = api_key
        self.api_base = api_base or stripe.api_base
        self.calls = []
        self.errors = []
        self._answers = defaultdict(deque)

    def answer(self, method, path, name=None, body=None, status=None,
            headers=None, times=1):
        """Queue the answer to the next `times` calls of (method, path)

        `name` is a recording; `body` and `status` override it."""
        record = recording(name) if name else {}
        if body is None:
            body = record['body']
        if status is None:
            status = record.get('status', 200)
        for _ in range(times):
            self._answers[(method.upper(), path)].append(
                (copy.deepcopy(body), status, dict(headers or {})))

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        method = method.upper()
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        split = urlsplit(url)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        params = {}
        if post_data:
            if isinstance(post_data, bytes):
                post_data = post_data.decode('utf-8')
            params = dict(parse_qsl(post_data, keep_blank_values=True))
        call = Call(method, split.path, query, params, headers)
        self.calls.append(call)

        if not url.startswith(self.api_base):
            self.errors.append(f'{method} {url}: not sent to {self.api_base}')
        if headers.get('authorization') != f'Bearer {self.api_key}':
            self.errors.append(f'{method} {split.path}: authorization '
                f'{headers.get("authorization")!r}')
        if method == 'POST':
            if not headers.get('idempotency-key'):
                self.errors.append(
                    f'POST {split.path}: no Idempotency-Key')
            if headers.get('content-type') != FORM:
                self.errors.append(f'POST {split.path}: content type '
                    f'{headers.get("content-type")!r}')
        elif post_data:
            self.errors.append(f'{method} {split.path}: has a body')

        answers = self._answers.get((method, split.path))
        if not answers:
            self.errors.append(f'{method} {split.path}: no recorded answer')
            body, status, rheaders = {'error': {
                    'type': 'invalid_request_error',
                    'message': 'Unrecorded request',
                    }}, 404, {}
        else:
            body, status, rheaders = answers.popleft()
        rheaders.setdefault('request-id', 'req_replay%04d' % len(self.calls))
        rheaders.setdefault('content-type', 'application/json')
        return json.dumps(body), status, rheaders

    def request_stream(self, method, url, headers, post_data=None, *,
            _usage=None):
        raise NotImplementedError("Tryton does not stream from Stripe")

    def close(self):
        pass

    def find(self, method=None, path=None):
        "Return the calls made, filtered by method and path"
        return [c for c in self.calls
            if (method is None or c.method == method.upper())
            and (path is None or c.path == path)]

    def pending(self):
        "Return the queued answers that were not used"
        return {k: len(v) for k, v in self._answers.items() if v}

    def check(self, unused=False):
        "Raise AssertionError on a bad request or, if unused, unused answers"
        problems = list(self.errors)
        if unused and self.pending():
            problems.append(f'unused answers: {self.pending()}')
        if problems:
            raise AssertionError('\n'.join(problems))


@contextmanager
def replay(api_key, api_base=None):
    "Answer the stripe library's requests from recordings"
    previous = stripe.default_http_client
    client = ReplayClient(api_key, api_base=api_base)
    stripe.default_http_client = client
    try:
        yield client
    finally:
        stripe.default_http_client = previous
