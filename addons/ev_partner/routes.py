# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Public pages: the partner application form and the acceptance of staff
invitations

Both run without a logged-in user. The transaction is the root user's, and
only the creation of the application (or of the invited user) happens with
the access checks lifted, inside this module.
"""
import base64
import binascii
import collections
import logging
import os
import threading
import time
import unicodedata
import urllib.parse
from io import BytesIO

from genshi.template import MarkupTemplate

import trytond.config as config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.protocols.jsonrpc import JSONEncoder
from trytond.protocols.jsonrpc import json as json_
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, set_max_request_size, with_pool,
    with_transaction)
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_base
from trytond.wsgi import app

from .exceptions import (
    ApplicationError, InvitationLinkError, TooManyRequestsError)

logger = logging.getLogger(__name__)

LANGUAGES = ['ru', 'en']
DEFAULT_LANGUAGE = 'ru'

# The registration data the form asks for, in the order of the page.
APPLICATION_FIELDS = [
    'legal_name', 'country', 'inn', 'kpp', 'ogrn', 'foreign_tax_id',
    'legal_address', 'bank_name', 'bank_bic', 'bank_account',
    'bank_correspondent_account', 'contact_name', 'contact_email',
    'contact_phone', 'website',
    ]
# The trap for robots: hidden from people, filled by form-spamming scripts.
HONEYPOT = 'homepage'
# No registration data is longer; the fields themselves have no limit.
MAX_VALUE_LENGTH = 1000

MB = 1024 * 1024
MAX_DOCUMENTS = config.getint('ev_partner', 'application_documents',
    default=5)
MAX_DOCUMENT_SIZE = config.getint('ev_partner', 'application_document_size',
    default=5 * MB)
# The documents and the form, base64 included when they come as JSON.
MAX_REQUEST_SIZE = MAX_DOCUMENTS * MAX_DOCUMENT_SIZE * 4 // 3 + MB
# The magic numbers of the accepted documents, with their extension.
DOCUMENT_TYPES = [
    (b'%PDF-', '.pdf'),
    (b'\xff\xd8\xff', '.jpg'),
    (b'\x89PNG\r\n\x1a\n', '.png'),
    ]

SECURITY_HEADERS = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    }


class RateLimiter:
    """Count the requests of each client address over a sliding period

    The counts live in the memory of the server process: each process (or
    WSGI worker) counts on its own and a restart forgets them. Behind a
    reverse proxy, set [web] num_proxies so that the address is the
    client's and not the proxy's.
    """

    def __init__(self, name, limit, period):
        self.name = name
        self.default_limit = limit
        self.default_period = period
        self.hits = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()

    @property
    def limit(self):
        return config.getint(
            'ev_partner', '%s_limit' % self.name, default=self.default_limit)

    @property
    def period(self):
        return config.getint(
            'ev_partner', '%s_period' % self.name,
            default=self.default_period)

    def hit(self, key):
        "Count a request of key and return False when it is over the limit"
        now = time.monotonic()
        limit, period = self.limit, self.period
        if limit <= 0:
            return True
        with self.lock:
            for other in list(self.hits):
                hits = self.hits[other]
                while hits and hits[0] <= now - period:
                    hits.popleft()
                if not hits and other != key:
                    del self.hits[other]
            hits = self.hits[key]
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True

    def clear(self):
        with self.lock:
            self.hits.clear()


application_limiter = RateLimiter('application', 10, 3600)
invitation_limiter = RateLimiter('invitation', 10, 900)


def negotiate_language(request, *preferred):
    """Return the language of the page: ?lang=, then the preferred codes,
    then Accept-Language, then Russian"""
    for code in (request.args.get('lang'),) + preferred:
        if code in LANGUAGES:
            return code
    if request.accept_languages:
        code = request.accept_languages.best_match(LANGUAGES)
        if code:
            return code
    return DEFAULT_LANGUAGE


def form_value(request, name):
    "Return the value of a field of a posted form, None on any trouble"
    if request.method != 'POST' or request.mimetype == 'application/json':
        return None
    try:
        return request.form.get(name)
    except exceptions.HTTPException:
        return None


def wants_json(request):
    if request.mimetype == 'application/json':
        return True
    best = request.accept_mimetypes.best_match(
        ['text/html', 'application/json'])
    return best == 'application/json'


def read_data(request):
    "Return the submitted fields as a dict and the uploaded documents"
    if request.mimetype == 'application/json':
        try:
            data = request.parsed_data
        except exceptions.RequestEntityTooLarge:
            raise
        except exceptions.BadRequest as exception:
            raise ApplicationError(
                gettext('ev_partner.msg_application_unreadable')
                ) from exception
        if not isinstance(data, dict):
            raise ApplicationError(
                gettext('ev_partner.msg_application_unreadable'))
        documents = []
        for document in data.pop('documents', None) or []:
            if not isinstance(document, dict):
                raise ApplicationError(
                    gettext('ev_partner.msg_application_unreadable'))
            content = document.get('data')
            if isinstance(content, str):
                try:
                    content = base64.b64decode(content, validate=True)
                except (binascii.Error, ValueError) as exception:
                    raise ApplicationError(
                        gettext('ev_partner.msg_application_unreadable')
                        ) from exception
            if not isinstance(content, (bytes, bytearray)):
                raise ApplicationError(
                    gettext('ev_partner.msg_application_unreadable'))
            documents.append((str(document.get('name') or ''),
                    bytes(content)))
        values = {k: v for k, v in data.items()
            if isinstance(v, (str, bool, int))}
        return values, documents
    values = {k: v for k, v in request.form.items()}
    documents = []
    for storage in request.files.getlist('documents'):
        if not storage or not storage.filename:
            # A file input left empty still sends an empty part.
            continue
        # Read one byte past the limit: enough to refuse, never more.
        content = storage.stream.read(MAX_DOCUMENT_SIZE + 1)
        documents.append((storage.filename, content))
    return values, documents


def clean_filename(name, extension):
    "Return a file name without path, control characters or odd extension"
    name = name.replace('\\', '/').rsplit('/', 1)[-1]
    name = ''.join(c for c in name
        if unicodedata.category(c)[0] != 'C').strip(' .')
    stem, ext = os.path.splitext(name)
    if ext.lower() not in {extension, '.jpeg' if extension == '.jpg' else ''}:
        stem = name
        ext = extension
    stem = stem[:100] or 'document'
    return stem + ext.lower()


def check_documents(documents):
    "Return the documents as (name, content), or raise on count, size, type"
    if len(documents) > MAX_DOCUMENTS:
        raise ApplicationError(gettext(
                'ev_partner.msg_application_document_count',
                count=MAX_DOCUMENTS))
    checked = []
    for name, content in documents:
        if len(content) > MAX_DOCUMENT_SIZE:
            raise ApplicationError(gettext(
                    'ev_partner.msg_application_document_size',
                    name=name, size=format_size(MAX_DOCUMENT_SIZE)))
        for magic, extension in DOCUMENT_TYPES:
            if content.startswith(magic):
                break
        else:
            raise ApplicationError(gettext(
                    'ev_partner.msg_application_document_type', name=name))
        checked.append((clean_filename(name, extension), content))
    return checked


def format_size(size):
    "Return the size in megabytes, in the language of the transaction"
    value = size // MB if not size % MB else round(size / MB, 1)
    return gettext('ev_partner.msg_size_megabytes', size=value)


def application_values(pool, data, language):
    "Return the values of the ev.partner to create from the submitted data"
    Partner = pool.get('ev.partner')
    Country = pool.get('country.country')
    Lang = pool.get('ir.lang')
    values = {}
    for name in APPLICATION_FIELDS:
        value = data.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            value = None
        value = value.strip() if value else None
        if value and len(value) > MAX_VALUE_LENGTH:
            raise ApplicationError(gettext(
                    'ev_partner.msg_application_value_too_long',
                    field=Partner.fields_get([name])[name]['string'],
                    length=MAX_VALUE_LENGTH))
        values[name] = value or None
    if values['country']:
        countries = Country.search([
                ('code', '=', values['country'].upper()),
                ], limit=1)
        if not countries:
            raise ApplicationError(gettext(
                    'ev_partner.msg_application_country_unknown',
                    country=values['country']))
        values['country'] = countries[0].id
    langs = Lang.search([
            ('code', '=', language),
            ('translatable', '=', True),
            ], limit=1)
    values['lang'] = langs[0].id if langs else None
    values['origin'] = 'web'
    return values


def submit_application(pool, values, documents):
    """Create the application and its documents, and return the partner

    The caller holds no user: only here are the access checks lifted, for
    the first company of the platform (the operator's).
    """
    Company = pool.get('company.company')
    Partner = pool.get('ev.partner')
    Attachment = pool.get('ir.attachment')
    companies = Company.search([], order=[('id', 'ASC')], limit=1)
    if not companies:
        raise ApplicationError(
            gettext('ev_partner.msg_application_no_company'))
    company, = companies
    values = values.copy()
    values['company'] = company.id
    values['state'] = 'application'
    with without_check_access(), Transaction().set_context(
            company=company.id, companies=[company.id]):
        partner, = Partner.create([values])
        Attachment.create([{
                    'name': name,
                    'resource': str(partner),
                    'type': 'data',
                    'data': content,
                    } for name, content in documents])
    logger.info("application %s received with %s document(s)",
        partner.id, len(documents))
    return partner


def render_page(pool, xml_id, language, **values):
    "Return the HTML of the page template, translated into language"
    ModelData = pool.get('ir.model.data')
    ActionReport = pool.get('ir.action.report')
    action = ActionReport(ModelData.get_id('ev_partner', xml_id))
    Report = pool.get(action.report_name, type='report')
    with Transaction().set_context(language=language):
        context = Report.get_context([], {}, {})
        context.update(values)
        context['lang'] = language
        # Parsed for each page, as the report cache keeps the templates
        # once prepared, when no translator can be added any more.
        template = MarkupTemplate(BytesIO(bytes(action.report_content)))
        translate = Report._callback_loader(action, template)
        if translate:
            context['gettext'] = translate.gettext
            context['ngettext'] = translate.ngettext
        # HTML, not the XML of the reports: a browser reads an empty
        # <textarea/> as the start of one that swallows the page.
        return template.generate(**context).render(
            method='html', encoding=None)


def page_response(content, status=HTTPStatus.OK):
    response = Response(
        content, status, content_type='text/html; charset=utf-8')
    response.headers.update(SECURITY_HEADERS)
    return response


def json_response(data, status=HTTPStatus.OK):
    response = Response(
        json_.dumps(data, cls=JSONEncoder), status,
        content_type='application/json')
    response.headers.update(SECURITY_HEADERS)
    return response


def error_json(exception, status=HTTPStatus.BAD_REQUEST):
    return json_response({
            'error': exception.__class__.__name__,
            'message': exception.message,
            'description': exception.description or '',
            }, status)


def rollback():
    "Undo what the request wrote: nothing half-written stays"
    transaction = Transaction()
    transaction.rollback()
    transaction.tasks.clear()


def language_links(request, language):
    "Return (code, label, url) of the other languages of the page"
    labels = {'ru': "Русский", 'en': "English"}
    return [(code, labels[code], '%s?%s' % (
                request.path, urllib.parse.urlencode({'lang': code})))
        for code in LANGUAGES if code != language]


# Application

def application_page(pool, request, language, status=HTTPStatus.OK,
        **values):
    Partner = pool.get('ev.partner')
    Country = pool.get('country.country')
    with Transaction().set_context(language=language):
        fields = Partner.fields_get(APPLICATION_FIELDS)
        countries = [(c.code, c.name) for c in Country.search(
                [('code', '!=', None)], order=[('name', 'ASC')])]
    values.setdefault('mode', 'form')
    values.setdefault('values', {})
    values.setdefault('errors', [])
    # A new form proposes Russia; a refused one keeps the choice made.
    country = (values['values'].get('country') if values['values']
        else 'RU')
    content = render_page(pool, 'report_application_page', language,
        fields=fields, countries=countries, country=country,
        honeypot=HONEYPOT,
        action=request.path + ('?lang=%s' % language),
        languages=language_links(request, language),
        max_documents=MAX_DOCUMENTS,
        max_document_size=format_size(MAX_DOCUMENT_SIZE),
        **values)
    return page_response(content, status)


@app.route('/<database_name>/ev_partner/apply', methods=['GET', 'POST'])
@set_max_request_size(MAX_REQUEST_SIZE)
@with_pool
@with_transaction(user=0, context={'_skip_warnings': True})
def apply(request, pool):
    "The application form of a company that wants to join the network"
    language = negotiate_language(request, form_value(request, 'lang'))
    with Transaction().set_context(language=language):
        if request.method == 'POST':
            return apply_post(request, pool, language)
        if wants_json(request):
            return json_response({'fields': APPLICATION_FIELDS})
        return application_page(pool, request, language)


def apply_post(request, pool, language):
    as_json = wants_json(request)
    if not application_limiter.hit(request.remote_addr):
        logger.warning("application refused: rate limit of %s",
            request.remote_addr)
        error = TooManyRequestsError(
            gettext('ev_partner.msg_application_rate_limited'))
        if as_json:
            return error_json(error, HTTPStatus.TOO_MANY_REQUESTS)
        return application_page(pool, request, language,
            HTTPStatus.TOO_MANY_REQUESTS, mode='message',
            message=error.message)
    data = {}
    try:
        try:
            data, documents = read_data(request)
        except exceptions.RequestEntityTooLarge as exception:
            raise ApplicationError(gettext(
                    'ev_partner.msg_application_too_large',
                    size=format_size(MAX_REQUEST_SIZE))) from exception
        if data.get(HONEYPOT):
            # Answer as if accepted: a robot learns nothing.
            logger.warning("application dropped: honeypot filled from %s",
                request.remote_addr)
            return apply_done(pool, request, language, as_json,
                data.get('legal_name') or '', data.get('contact_email') or '')
        values = application_values(pool, data, language)
        documents = check_documents(documents)
        if data.get('consent') in {None, '', False, 'false', '0'}:
            raise ApplicationError(
                gettext('ev_partner.msg_application_consent'))
        partner = submit_application(pool, values, documents)
    except UserError as exception:
        rollback()
        logger.info("application refused: %s", exception.message)
        if as_json:
            return error_json(exception)
        return application_page(pool, request, language,
            HTTPStatus.BAD_REQUEST, values=data, errors=[exception.message])
    return apply_done(pool, request, language, as_json,
        partner.legal_name, partner.contact_email)


def apply_done(pool, request, language, as_json, name, email):
    message = gettext('ev_partner.msg_application_received',
        partner=name, email=email)
    if as_json:
        return json_response({
                'state': 'application',
                'message': message,
                }, HTTPStatus.CREATED)
    return application_page(pool, request, language, mode='done',
        message=message)


# Invitations

def invitation_page(pool, request, language, invitation,
        status=HTTPStatus.OK, **values):
    User = pool.get('res.user')
    values.setdefault('mode', 'form')
    values.setdefault('values', {})
    values.setdefault('errors', [])
    with Transaction().set_context(language=language):
        labels = User.fields_get(['login', 'password'])
        if invitation:
            invitation = invitation.__class__(invitation.id)
            values.setdefault('partner', invitation.partner.rec_name)
            values.setdefault('role', invitation.role.rec_name)
            values.setdefault('email', invitation.email)
        content = render_page(pool, 'report_invitation_page', language,
            labels=labels, action=request.path + ('?lang=%s' % language),
            password_length=config.getint('password', 'length', default=0),
            languages=language_links(request, language),
            login_url='%s/#%s' % (http_base().rstrip('/'),
                urllib.parse.quote(Transaction().database.name)),
            **values)
    return page_response(content, status)


def check_invitation(invitation):
    "Raise with the status of the refusal unless the link may be accepted"
    if not invitation:
        return HTTPStatus.NOT_FOUND, InvitationLinkError(
            gettext('ev_partner.msg_invitation_link_invalid'))
    if invitation.state in {'accepted', 'cancelled'}:
        return HTTPStatus.GONE, InvitationLinkError(
            gettext('ev_partner.msg_invitation_link_used'))
    if not invitation.is_valid:
        return HTTPStatus.GONE, InvitationLinkError(
            gettext('ev_partner.msg_invitation_link_expired'))
    return None, None


@app.route('/<database_name>/ev_partner/invitation/<token>',
    methods=['GET', 'POST'])
@with_pool
@with_transaction(user=0, context={'_skip_warnings': True})
def invitation(request, pool, token):
    "The page where an invited person creates the user and password"
    Invitation = pool.get('ev.partner.invitation')
    invitation = Invitation.get_from_token(token)
    language = negotiate_language(request, form_value(request, 'lang'),
        invitation.language.code
        if invitation and invitation.language else None)
    as_json = wants_json(request)
    with Transaction().set_context(language=language):
        if request.method == 'POST' and not invitation_limiter.hit(
                request.remote_addr):
            error = TooManyRequestsError(
                gettext('ev_partner.msg_application_rate_limited'))
            if as_json:
                return error_json(error, HTTPStatus.TOO_MANY_REQUESTS)
            return invitation_page(pool, request, language, None,
                HTTPStatus.TOO_MANY_REQUESTS, mode='message',
                message=error.message)
        status, error = check_invitation(invitation)
        if error:
            if (request.method == 'POST' and invitation
                    and invitation.state == 'pending'):
                Invitation._expire([invitation])
            if as_json:
                return error_json(error, status)
            return invitation_page(pool, request, language, None, status,
                mode='message', message=error.message)
        if request.method == 'GET':
            if as_json:
                return json_response({
                        'partner': invitation.partner.rec_name,
                        'role': invitation.role.rec_name,
                        'email': invitation.email,
                        })
            return invitation_page(pool, request, language, invitation,
                values={'login': invitation.email})
        return invitation_post(request, pool, language, invitation, as_json)


def invitation_post(request, pool, language, invitation, as_json):
    User = pool.get('res.user')
    data = {}
    try:
        data = (request.parsed_data if request.mimetype == 'application/json'
            else dict(request.form.items()))
        if not isinstance(data, dict):
            raise InvitationLinkError(
                gettext('ev_partner.msg_application_unreadable'))
        login = str(data.get('login') or '').strip()
        name = str(data.get('name') or '').strip()
        password = str(data.get('password') or '')
        for field, value in [
                ('login', login), ('name', name), ('password', password)]:
            if not value:
                raise InvitationLinkError(gettext(
                        'ev_partner.msg_invitation_value_required',
                        field=User.fields_get([field])[field]['string']))
        if password != str(data.get('password2') or ''):
            raise InvitationLinkError(
                gettext('ev_partner.msg_invitation_password_mismatch'))
        with without_check_access():
            taken = User.search([('login', '=', login)], limit=1)
        if taken:
            raise InvitationLinkError(gettext(
                    'ev_partner.msg_invitation_login_taken', login=login))
        # Tryton checks the policy only for a logged-in user: the invitee
        # has none yet, so the check is made here.
        User.validate_password(password, [
                User(login=login, name=name, email=invitation.email)])
        user = invitation.accept(login, name, password, language)
    except exceptions.BadRequest as exception:
        rollback()
        error = InvitationLinkError(
            gettext('ev_partner.msg_application_unreadable'))
        if as_json:
            return error_json(error)
        raise exception
    except UserError as exception:
        rollback()
        if as_json:
            return error_json(exception)
        data.pop('password', None)
        data.pop('password2', None)
        return invitation_page(pool, request, language, invitation,
            HTTPStatus.BAD_REQUEST, values=data,
            errors=[exception.message])
    logger.info("invitation %s accepted by user %s", invitation.id, user.id)
    message = gettext('ev_partner.msg_invitation_accepted',
        login=user.login, partner=invitation.partner.rec_name)
    if as_json:
        return json_response({
                'login': user.login,
                'message': message,
                }, HTTPStatus.CREATED)
    return invitation_page(pool, request, language, None, mode='done',
        message=message)
