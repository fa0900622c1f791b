# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client app: its static files at /<database>/ev/app/ and its JSON API
at /<database>/ev/api/v1/

Each request runs in a transaction of the root user, which only reads and
writes the caller's own web user, session and party. Everything else a
client reads runs as the technical user ev_portal (group EV Client) with the
client's party in the private context key "_ev_portal_party": the EV Client
record rules then confine every query to the client's own data.
"""
import datetime as dt
import functools
import json
import logging
import math
import os
import re
import secrets
import types
import urllib.parse
from contextlib import contextmanager
from decimal import Decimal

from werkzeug.utils import send_file

import trytond.config as config
from trytond import backend
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.modules.ev_partner.partner import EMAIL_RE
from trytond.modules.ev_partner.routes import RateLimiter
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, set_max_request_size, with_pool,
    with_transaction)
from trytond.tools import safe_join
from trytond.tools.email_ import (
    EmailNotValidError, normalize_email, validate_email)
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

from . import openapi
from .exceptions import (
    ApiError, BadRequestError, ForbiddenError, LoginError, NotFoundError,
    NotLoggedInError, TooManyRequestsError)
from .web_user import THEMES

logger = logging.getLogger(__name__)

LANGUAGES = ['ru', 'en']
DEFAULT_LANGUAGE = 'ru'
API_PREFIX = '/<database_name>/ev/api/v1/'
APP_PREFIX = '/<database_name>/ev/app/'
SESSION_COOKIE = 'ev_session'
CSRF_COOKIE = 'ev_csrf'
CSRF_HEADER = 'X-CSRF-Token'
SAFE_METHODS = {'GET', 'HEAD', 'OPTIONS'}
MAX_REQUEST_SIZE = 64 * 1024
MAX_TEXT_LENGTH = 200
# The session the price of a station is quoted for, unless asked otherwise.
QUOTE_ENERGY_WH = 10000
QUOTE_MINUTES = 60

DIST = os.path.join(os.path.dirname(__file__), 'web', 'dist')
CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.webmanifest': 'application/manifest+json',
    '.json': 'application/json',
    '.map': 'application/json',
    '.txt': 'text/plain; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.webp': 'image/webp',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
    '.mp3': 'audio/mpeg',
    '.ogg': 'audio/ogg',
    '.wav': 'audio/wav',
    }

API_HEADERS = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    }

# What the API names the fields, and the field whose label errors show.
LABELS = {
    'email': ('web.user', 'email'),
    'password': ('web.user', 'password'),
    'name': ('party.party', 'name'),
    'phone': ('party.party', 'phone'),
    'language': ('party.party', 'lang'),
    'theme': ('web.user', 'ev_theme'),
    'sounds': ('web.user', 'ev_sounds'),
    'notify_system': ('web.user', 'ev_notify_system'),
    'token': ('web.user', 'email_token'),
    'lat': ('ev.station', 'latitude'),
    'lon': ('ev.station', 'longitude'),
    }

# Connector states that mean a vehicle holds the connector.
BUSY = {'preparing', 'charging', 'suspended_ev', 'suspended_evse',
    'finishing', 'occupied', 'reserved'}


class PortalRateLimiter(RateLimiter):
    "A RateLimiter set in the [ev_portal_pwa] section of the configuration"

    @property
    def limit(self):
        return config.getint('ev_portal_pwa', '%s_limit' % self.name,
            default=self.default_limit)

    @property
    def period(self):
        return config.getint('ev_portal_pwa', '%s_period' % self.name,
            default=self.default_period)


# Per client address, on top of web_user's attempts per e-mail address.
login_limiter = PortalRateLimiter('login', 20, 300)
# The requests that send e-mails or guess tokens.
register_limiter = PortalRateLimiter('register', 10, 3600)
reset_limiter = PortalRateLimiter('reset', 10, 3600)
# Per client: each request and message to support notifies the operators
# (and e-mails them): a script must not flood their inbox.
support_limiter = PortalRateLimiter('support', 10, 3600)
support_message_limiter = PortalRateLimiter('support_message', 60, 3600)


def tile_url():
    return config.get('ev_portal_pwa', 'tile_url',
        default='https://tile.openstreetmap.org/{z}/{x}/{y}.png')


def tile_attribution():
    return config.get('ev_portal_pwa', 'tile_attribution',
        default='© OpenStreetMap contributors')


def tile_origins():
    "Return the origins of the tile servers, as CSP sources"
    origins = []
    for url in tile_url().split():
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {'http', 'https'} or not parts.netloc:
            continue
        # A {s} sub-domain template becomes a wildcard.
        netloc = re.sub(r'\{[^}]*\}', '*', parts.netloc)
        origins.append('%s://%s' % (parts.scheme, netloc))
    return origins


def app_csp():
    tiles = ' '.join(tile_origins())
    return '; '.join([
            "default-src 'self'",
            "script-src 'self'",
            # Leaflet positions its layers with style attributes.
            "style-src 'self' 'unsafe-inline'",
            ("img-src 'self' data: blob: %s" % tiles).strip(),
            ("connect-src 'self' %s" % tiles).strip(),
            "font-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "media-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            ])


def app_headers():
    return {
        # Revalidated on each load; the service worker keeps the copies.
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': app_csp(),
        # Tile servers (OpenStreetMap's policy) want the site's origin.
        'Referrer-Policy': 'strict-origin-when-cross-origin',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Permissions-Policy': 'geolocation=(self), camera=(), microphone=()',
        }


def negotiate_language(request):
    "Return the language of an anonymous request: Accept-Language or ru"
    if request.accept_languages:
        code = request.accept_languages.best_match(LANGUAGES)
        if code:
            return code
    return DEFAULT_LANGUAGE


def jsonable(value):
    "Return value with Decimal as text and timestamps in UTC with Z"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec='seconds') + 'Z'
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_response(data, status=HTTPStatus.OK):
    if data is None:
        response = Response(None, status)
    else:
        response = Response(
            json.dumps(jsonable(data), ensure_ascii=False), status,
            content_type='application/json')
    response.headers.update(API_HEADERS)
    return response


def error(cls, msg_id, **kwargs):
    "Return the exception cls with the translated message of msg_id"
    exception = cls(gettext('ev_portal_pwa.%s' % msg_id, **kwargs))
    exception.code = msg_id
    return exception


def error_response(exception):
    if isinstance(exception, ApiError):
        status = exception.status
    elif isinstance(exception, AccessError):
        status = HTTPStatus.FORBIDDEN
    else:
        status = HTTPStatus.BAD_REQUEST
    # trytond's own exceptions have a numeric code: their class names it.
    code = (exception.code if isinstance(exception, ApiError)
        and exception.code else exception.__class__.__name__)
    return json_response({
            'error': {
                'code': code,
                'message': exception.message,
                },
            }, status)


def rollback():
    "Undo what the request wrote, e-mails included"
    transaction = Transaction()
    transaction.rollback()
    transaction.tasks.clear()


def label(pool, name):
    model, field = LABELS.get(name, (None, None))
    if model:
        return pool.get(model).fields_get([field])[field]['string']
    return name


def read_json(request):
    "Return the JSON object of the request body"
    try:
        data = json.loads(request.get_data(cache=True) or b'null')
    except (ValueError, exceptions.HTTPException) as exception:
        raise error(BadRequestError, 'msg_api_unreadable') from exception
    if not isinstance(data, dict):
        raise error(BadRequestError, 'msg_api_unreadable')
    return data


def text(pool, data, name, required=True, strip=True):
    "Return the text value of name in data, or raise a 400"
    value = data.get(name)
    if value is None or value == '':
        if required:
            raise error(BadRequestError, 'msg_api_value_required',
                field=label(pool, name))
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, name), value=str(value)[:MAX_TEXT_LENGTH])
    if strip:
        value = value.strip()
        if not value and required:
            raise error(BadRequestError, 'msg_api_value_required',
                field=label(pool, name))
    return value or None


def choice(pool, data, name, choices):
    value = data.get(name)
    if value not in choices:
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, name), value=str(value)[:MAX_TEXT_LENGTH])
    return value


def email_value(pool, data):
    email = text(pool, data, 'email')
    try:
        # Without the email_validator package, trytond checks nothing.
        if not EMAIL_RE.match(email):
            raise EmailNotValidError(email)
        validate_email(email)
    except EmailNotValidError as exception:
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, 'email'), value=email) from exception
    return normalize_email(email).lower()


def ev_path(request, suffix=''):
    "Return the path of /<database>/ev/ as the browser sends it"
    # The characters a path segment holds unencoded (RFC 3986 pchar).
    database = urllib.parse.quote(
        request.view_args['database_name'], safe=":@!$&'()*+,;=")
    return '%s/%s/ev/%s' % (request.script_root, database, suffix)


def cookie_path(request):
    return ev_path(request)


def set_cookie(request, response, name, value, httponly, max_age=None):
    response.set_cookie(name, value, max_age=max_age,
        path=cookie_path(request), secure=request.scheme == 'https',
        httponly=httponly, samesite='Lax')


def delete_cookie(request, response, name, httponly):
    response.delete_cookie(name, path=cookie_path(request),
        secure=request.scheme == 'https', httponly=httponly, samesite='Lax')


def check_csrf(request):
    "Refuse a request whose CSRF header does not repeat the CSRF cookie"
    cookie = request.cookies.get(CSRF_COOKIE) or ''
    header = request.headers.get(CSRF_HEADER) or ''
    if not cookie or not secrets.compare_digest(
            cookie.encode('utf-8'), header.encode('utf-8')):
        raise error(ForbiddenError, 'msg_api_csrf')


def session_max_age(pool):
    return int(pool.get('web.user.session').timeout().total_seconds())


def current_user(pool, request):
    "Return the web user of the session cookie, or None"
    Session = pool.get('web.user.session')
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    user = Session.get_user(key)
    if not user or not user.active or not user.email_valid \
            or not user.party:
        return None
    if not Transaction().readonly:
        # Sliding expiry: the session lasts while the client uses it.
        Session.reset(key)
    return user


def user_language(user):
    lang = user.party.lang if user and user.party else None
    if lang and lang.code in LANGUAGES:
        return lang.code
    return DEFAULT_LANGUAGE


def profile(user):
    "Return the profile of the web user as GET me answers it"
    party = user.party
    return {
        'email': user.email,
        'name': party.name,
        'phone': party.phone or None,
        'language': user_language(user),
        'theme': user.ev_theme or 'light',
        'sounds': bool(user.ev_sounds),
        'notify_system': bool(user.ev_notify_system),
        }


@contextmanager
def as_client(pool, user):
    """Run as the technical user ev_portal, confined by the EV Client record
    rules to the party of the web user (to public data without one)"""
    ModelData = pool.get('ir.model.data')
    Company = pool.get('company.company')
    portal = ModelData.get_id('ev_portal_pwa', 'user_portal')
    companies = [c.id for c in Company.search([], order=[('id', 'ASC')])]
    transaction = Transaction()
    context = {
        '_check_access': True,
        '_ev_portal_party': user.party.id if user and user.party else None,
        'company': companies[0] if companies else None,
        '_companies': companies,
        }
    with transaction.set_user(portal), transaction.set_context(context):
        yield


def api(path, methods=('GET',), login=False, readonly=None):
    """Route an API handler: JSON errors, CSRF check, the client's web user
    (required when login) and its language"""
    def decorator(func):
        @app.route(API_PREFIX + path, methods=list(methods))
        @set_max_request_size(MAX_REQUEST_SIZE)
        @with_pool
        @with_transaction(readonly=readonly, context={
                '_skip_warnings': True})
        @functools.wraps(func)
        def wrapper(request, pool, **kwargs):
            transaction = Transaction()
            language = negotiate_language(request)
            try:
                with transaction.set_context(language=language):
                    if request.method not in SAFE_METHODS:
                        check_csrf(request)
                    user = current_user(pool, request)
                    if user:
                        language = user_language(user)
                    elif login:
                        raise error(NotLoggedInError, 'msg_api_not_logged_in')
                with transaction.set_context(language=language):
                    response = func(request, pool, user, **kwargs)
            except UserError as exception:
                rollback()
                with transaction.set_context(language=language):
                    response = error_response(exception)
            except (backend.DatabaseOperationalError, TransactionError):
                raise
            except Exception:
                logger.exception("API request %s %s failed",
                    request.method, request.path)
                rollback()
                with transaction.set_context(language=language):
                    response = json_response({
                            'error': {
                                'code': 'internal_error',
                                'message': gettext(
                                    'ev_portal_pwa.msg_api_internal_error'),
                                },
                            }, HTTPStatus.INTERNAL_SERVER_ERROR)
            # A response a shared cache may keep must not carry a cookie
            # (another client would get it): the next request sets it.
            if not request.cookies.get(CSRF_COOKIE) \
                    and 'public' not in response.headers.get(
                        'Cache-Control', '') \
                    and CSRF_COOKIE not in str(
                        response.headers.getlist('Set-Cookie')):
                set_cookie(request, response, CSRF_COOKIE,
                    secrets.token_urlsafe(32), httponly=False,
                    max_age=session_max_age(pool))
            return response
        return wrapper
    return decorator


# The app

@app.route(APP_PREFIX, methods=['GET', 'HEAD'])
@with_pool
def app_index(request, pool):
    "Serve index.html at the root of the app"
    # Not a default of app_file: werkzeug would redirect index.html here,
    # and a service worker may not answer navigations with a redirect.
    return serve_app_file(request, pool, 'index.html')


@app.route(APP_PREFIX + '<path:path>', methods=['GET', 'HEAD'])
@with_pool
def app_file(request, pool, path):
    "Serve the client app as npm run build left it in web/dist"
    return serve_app_file(request, pool, path)


def serve_app_file(request, pool, path):
    filename = safe_join(DIST, path)
    extension = os.path.splitext(path)[1].lower()
    if (not filename or extension not in CONTENT_TYPES
            or any(p.startswith('.') for p in path.split('/'))
            or not os.path.isfile(filename)):
        return app_not_found(request, pool, path)
    response = send_file(filename, request.environ,
        mimetype=CONTENT_TYPES[extension], conditional=True, etag=True)
    response.headers.update(app_headers())
    # send_file adds a charset of its own to text types.
    response.headers['Content-Type'] = CONTENT_TYPES[extension]
    if path == 'sw.js':
        response.headers['Service-Worker-Allowed'] = ev_path(request, 'app/')
    return response


@with_transaction(readonly=True)
def app_not_found(request, pool, path):
    msg_id = ('msg_app_not_built'
        if not os.path.isfile(os.path.join(DIST, 'index.html'))
        else 'msg_api_not_found')
    with Transaction().set_context(language=negotiate_language(request)):
        return error_response(error(NotFoundError, msg_id))


# Public

@api('config')
def get_config(request, pool, user):
    "What the app needs before the first screen"
    return json_response({
            'tile_url': tile_url().split()[0],
            'tile_attribution': tile_attribution(),
            'languages': LANGUAGES,
            'default_language': DEFAULT_LANGUAGE,
            })


@api('openapi.json')
def get_openapi(request, pool, user):
    server = ev_path(request, 'api/v1')
    response = json_response(openapi.document(server))
    response.headers['Cache-Control'] = 'no-cache'
    return response


# Accounts

@api('auth/register', ['POST'])
def register(request, pool, user):
    "Create the client and its web user, and send the validation e-mail"
    WebUser = pool.get('web.user')
    Party = pool.get('party.party')
    Lang = pool.get('ir.lang')
    User = pool.get('res.user')
    if not register_limiter.hit(request.remote_addr):
        raise error(TooManyRequestsError, 'msg_api_too_many_requests')
    data = read_json(request)
    email = email_value(pool, data)
    password = text(pool, data, 'password', strip=False)
    name = text(pool, data, 'name')
    language = (choice(pool, data, 'language', LANGUAGES)
        if data.get('language') is not None
        else Transaction().language)
    if WebUser.search([('email', '=', email)], limit=1):
        raise error(BadRequestError, 'msg_register_email_taken', email=email)
    User.validate_password(password, [
            types.SimpleNamespace(name=name, login=email, email=email)])
    langs = Lang.search([('code', '=', language)], limit=1)
    party = Party(name=name, ev_client=True,
        lang=langs[0] if langs else None,
        contact_mechanisms=[{'type': 'email', 'value': email}])
    party.save()
    web_user = WebUser(email=email, party=party, password=password)
    web_user.save()
    WebUser.validate_email([web_user])
    logger.info("client %s registered", party.id)
    return json_response({'email': web_user.email}, HTTPStatus.CREATED)


@api('auth/confirm', ['POST'])
def confirm(request, pool, user):
    WebUser = pool.get('web.user')
    data = read_json(request)
    token = text(pool, data, 'token', strip=False)
    if not WebUser.validate_email_token([token]):
        raise error(BadRequestError, 'msg_confirm_token_invalid')
    return json_response({'email_valid': True})


@api('auth/login', ['POST'])
def login(request, pool, user):
    "Open a session: the cookie, and a new CSRF token"
    WebUser = pool.get('web.user')
    if not login_limiter.hit(request.remote_addr):
        logger.warning("login refused: rate limit of %s",
            request.remote_addr)
        raise error(TooManyRequestsError, 'msg_api_too_many_requests')
    data = read_json(request)
    email = text(pool, data, 'email')
    password = text(pool, data, 'password', strip=False)
    try:
        web_user = WebUser.authenticate(email, password)
    except RateLimitException:
        # The attempt web_user counted must stay: no rollback.
        return error_response(
            error(TooManyRequestsError, 'msg_api_too_many_requests'))
    if not web_user:
        return error_response(error(LoginError, 'msg_login_invalid'))
    if not web_user.email_valid:
        raise error(ForbiddenError, 'msg_login_email_unconfirmed',
            email=web_user.email)
    if not web_user.party or not web_user.party.ev_client:
        raise error(ForbiddenError, 'msg_login_no_client')
    key = web_user.new_session()
    token = secrets.token_urlsafe(32)
    with Transaction().set_context(language=user_language(web_user)):
        response = json_response({
                'profile': profile(web_user),
                'csrf_token': token,
                })
    max_age = session_max_age(pool)
    set_cookie(request, response, SESSION_COOKIE, key, httponly=True,
        max_age=max_age)
    set_cookie(request, response, CSRF_COOKIE, token, httponly=False,
        max_age=max_age)
    return response


@api('auth/logout', ['POST'])
def logout(request, pool, user):
    Session = pool.get('web.user.session')
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        Session.remove(key)
    response = json_response(None, HTTPStatus.NO_CONTENT)
    delete_cookie(request, response, SESSION_COOKIE, httponly=True)
    return response


@api('auth/reset', ['POST'])
def reset(request, pool, user):
    "Send the reset e-mail; the answer is the same for any address"
    WebUser = pool.get('web.user')
    if not reset_limiter.hit(request.remote_addr):
        raise error(TooManyRequestsError, 'msg_api_too_many_requests')
    data = read_json(request)
    email = email_value(pool, data)
    users = WebUser.search([
            ('email', '=', email),
            ('email_valid', '=', True),
            ], limit=1)
    if users:
        WebUser.reset_password(users)
    return json_response(None, HTTPStatus.ACCEPTED)


@api('auth/password', ['POST'])
def set_password(request, pool, user):
    "Set the password with the token of the reset e-mail"
    WebUser = pool.get('web.user')
    Session = pool.get('web.user.session')
    User = pool.get('res.user')
    if not reset_limiter.hit(request.remote_addr):
        raise error(TooManyRequestsError, 'msg_api_too_many_requests')
    data = read_json(request)
    email = email_value(pool, data)
    token = text(pool, data, 'token', strip=False)
    password = text(pool, data, 'password', strip=False)
    users = WebUser.search([('email', '=', email)], limit=1)
    User.validate_password(password, [types.SimpleNamespace(
                name=users[0].party.name
                if users and users[0].party else None,
                login=email, email=email)])
    if not WebUser.set_password_token(email, token, password):
        # web_user counted the failed attempt: it must stay.
        return error_response(
            error(BadRequestError, 'msg_password_token_invalid'))
    # The sessions opened with the old password end.
    Session.delete(Session.search([('user', 'in', [u.id for u in users])]))
    return json_response(None, HTTPStatus.NO_CONTENT)


# The client

@api('me', ['GET', 'PATCH'], login=True, readonly=False)
def me(request, pool, user):
    "The profile of the client, and its changes"
    if request.method == 'PATCH':
        update_profile(pool, user, read_json(request))
        with Transaction().set_context(language=user_language(user)):
            return json_response(profile(user))
    return json_response(profile(user))


def update_profile(pool, user, data):
    Lang = pool.get('ir.lang')
    ContactMechanism = pool.get('party.contact_mechanism')
    party = user.party
    if 'name' in data:
        party.name = text(pool, data, 'name')
    if 'language' in data:
        code = choice(pool, data, 'language', LANGUAGES)
        party.lang, = Lang.search([('code', '=', code)], limit=1)
    if 'theme' in data:
        user.ev_theme = choice(pool, data, 'theme', [k for k, _ in THEMES])
    for name, field in [
            ('sounds', 'ev_sounds'), ('notify_system', 'ev_notify_system')]:
        if name not in data:
            continue
        if not isinstance(data[name], bool):
            raise error(BadRequestError, 'msg_api_value_invalid',
                field=label(pool, name),
                value=str(data[name])[:MAX_TEXT_LENGTH])
        setattr(user, field, data[name])
    if 'phone' in data:
        phone = text(pool, data, 'phone', required=False)
        mechanisms = [m for m in party.contact_mechanisms
            if m.type == 'phone']
        if phone and mechanisms:
            mechanisms[0].value = phone
            mechanisms[0].save()
        elif phone:
            ContactMechanism(party=party, type='phone', value=phone).save()
        elif mechanisms:
            ContactMechanism.delete(mechanisms[:1])
    party.save()
    user.save()


@api('account', login=True)
def account(request, pool, user):
    "The balance, the payment method and the latest payments and invoices"
    Party = pool.get('party.party')
    with as_client(pool, user):
        return json_response(Party.ev_my_account())


# Stations

def coordinates(pool, request):
    "Return the lat and lon of the query, both or none"
    values = []
    for name, bound in [('lat', 90), ('lon', 180)]:
        value = request.args.get(name)
        if value in {None, ''}:
            values.append(None)
            continue
        try:
            value = float(value)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > bound:
            raise error(BadRequestError, 'msg_api_value_invalid',
                field=label(pool, name),
                value=request.args.get(name)[:MAX_TEXT_LENGTH])
        values.append(value)
    if (values[0] is None) != (values[1] is None):
        missing = 'lat' if values[0] is None else 'lon'
        raise error(BadRequestError, 'msg_api_value_required',
            field=label(pool, missing))
    return values


def distance_m(lat1, lon1, lat2, lon2):
    "Return the great-circle distance in metres (haversine)"
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2)
    return round(2 * 6371008.8 * math.asin(min(1, math.sqrt(a))))


def station_status(station):
    if station.state != 'connected' or not station.online:
        return 'offline'
    statuses = {c.status for c in station.connectors}
    if 'available' in statuses:
        return 'available'
    if statuses & BUSY:
        return 'occupied'
    return 'unavailable'


def station_dict(station, lat=None, lon=None):
    "Return the station as the map and the list show it"
    status = station_status(station)
    result = {
        'id': station.id,
        'name': station.name,
        'address': ', '.join(filter(None, [
                    station.street, station.postal_code, station.city])),
        'latitude': station.latitude,
        'longitude': station.longitude,
        # Read through the record, which trytond does without access
        # checks: the EV Client rules hide the partner's party from
        # searches and reads, not from what the station shows of it.
        'partner': station.partner.rec_name if station.partner else None,
        'status': status,
        'opening_hours': station.opening_hours,
        'connectors': [{
                'id': c.id,
                'number': c.number,
                'type': c.type.code,
                'type_name': c.type.name,
                'current': c.type.current,
                'power_w': int(c.max_power * 1000),
                # What the database holds of an offline charger is stale.
                'status': c.status if status != 'offline' else 'unknown',
                } for c in station.connectors],
        }
    if lat is not None:
        result['distance_m'] = (
            distance_m(lat, lon, station.latitude, station.longitude)
            if station.latitude is not None
            and station.longitude is not None else None)
    return result


@api('stations')
def stations(request, pool, user):
    "The stations of the map, the nearest first when lat and lon are given"
    Station = pool.get('ev.station')
    lat, lon = coordinates(pool, request)
    with as_client(pool, user):
        result = [station_dict(s, lat, lon) for s in Station.search([],
                order=[('name', 'ASC'), ('id', 'ASC')])]
    if lat is not None:
        result.sort(key=lambda s: (
                s['distance_m'] is None, s['distance_m'] or 0))
    return json_response({'stations': result})


@api('stations/<int:station_id>')
def station(request, pool, user, station_id):
    "A station, with its price for the client when logged in"
    Station = pool.get('ev.station')
    Tariff = pool.get('ev.tariff')
    lat, lon = coordinates(pool, request)
    energy_wh, minutes = QUOTE_ENERGY_WH, QUOTE_MINUTES
    for name in ['energy_wh', 'minutes']:
        value = request.args.get(name)
        if value is not None:
            if not value.isdigit() or len(value) > 9:
                raise error(BadRequestError, 'msg_api_value_invalid',
                    field=name, value=value[:MAX_TEXT_LENGTH])
            if name == 'energy_wh':
                energy_wh = int(value)
            else:
                minutes = int(value)
    with as_client(pool, user):
        stations = Station.search([('id', '=', station_id)], limit=1)
        if not stations:
            raise error(NotFoundError, 'msg_station_not_found')
        station, = stations
        result = station_dict(station, lat, lon)
        result['price'] = None
        if user:
            result['price'] = {
                'energy_wh': energy_wh,
                'minutes': minutes,
                'connectors': [dict(
                        Tariff.quote(c.id, None, energy_wh, minutes)
                        or {'tariff': None},
                        connector=c.id) for c in station.connectors],
                }
    return json_response(result)
