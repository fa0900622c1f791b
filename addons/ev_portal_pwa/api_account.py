# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's account in the app: history of sessions and payments,
receipts, top-ups, the payment method, subscriptions and promo codes

The ev_billing and ev_tariff client methods find the client through the
rules' party (Rule._get_ev_party), so they run as_client. What the EV Client
group may not read (invoices, payments) is read without access checks, but
only for the records the client's own party was found to have.
"""
from decimal import Decimal, InvalidOperation
from html import escape

from trytond.i18n import gettext
from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.transaction import Transaction, without_check_access

from .exceptions import BadRequestError, NotFoundError
from .routes import (
    API_HEADERS, MAX_TEXT_LENGTH, api, as_client, error, json_response,
    read_json)
from .routes import label as routes_label

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The payments the history shows: the client's money, not the partners'.
PAYMENT_KINDS = ['topup', 'session']
RECEIPT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'")
RECEIPT_STYLE = ('body{font:15px/1.4 system-ui,sans-serif;max-width:42em;'
    'margin:1em auto;padding:0 1em;color:#111;background:#fff}'
    'table{width:100%;border-collapse:collapse;margin:.5em 0 1em}'
    'th,td{text-align:left;padding:.3em;border-bottom:1px solid #ccc}'
    '.n{text-align:right;white-space:nowrap}'
    'dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}'
    'dd{margin:0}tfoot th{border:0}')


# What the API names the fields, and the field whose label errors show.
LABELS = {
    'amount': ('account.payment', 'amount'),
    'method': ('party.party', 'ev_payment_method'),
    'plan': ('sale.subscription', 'ev_plan'),
    'code': ('ev.promotion.redemption', 'code'),
    'station': ('ev.session', 'station'),
    }


def label(pool, name):
    model, field = LABELS.get(name, (None, None))
    if model:
        return pool.get(model).fields_get([field])[field]['string']
    return routes_label(pool, name)


def invalid(pool, name, value):
    return error(BadRequestError, 'msg_api_value_invalid',
        field=label(pool, name), value=str(value)[:MAX_TEXT_LENGTH])


def required(pool, name):
    return error(BadRequestError, 'msg_api_value_required',
        field=label(pool, name))


def paging(pool, request):
    "Return the limit and offset of the query"
    values = []
    for name, default, maximum in [
            ('limit', DEFAULT_LIMIT, MAX_LIMIT),
            ('offset', 0, None)]:
        value = request.args.get(name)
        if value in {None, ''}:
            values.append(default)
            continue
        if not value.isdigit() or len(value) > 9:
            raise invalid(pool, name, value)
        value = int(value)
        if name == 'limit':
            value = max(1, min(value, maximum))
        values.append(value)
    return values


def integer(pool, data, name):
    "Return the positive integer of name in data, or raise a 400"
    value = data.get(name)
    if value is None or value == '':
        raise required(pool, name)
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        value = int(value)
    if (isinstance(value, bool) or not isinstance(value, int)
            or not 0 < value < 2 ** 31):
        raise invalid(pool, name, value)
    return value


def client_party(user):
    return user.party.id


# History

def session_dict(session):
    invoice = session.invoice
    return {
        'id': session.id,
        'number': session.number,
        'station': {
            'id': session.station.id,
            'name': session.station.name,
            },
        'connector': {
            'id': session.connector.id,
            'number': session.connector.number,
            'type': session.connector.type.code
            if session.connector.type else None,
            },
        'started_at': session.start_at,
        'stopped_at': session.stop_at,
        'energy_wh': session.energy_wh or 0,
        'amount': session.amount,
        'currency': session.currency.code if session.currency else None,
        'payment_method': session.payment_method,
        'billing_state': session.billing_state,
        'refunded': session.refunded_amount or Decimal(0),
        'invoice': {
            'id': invoice.id,
            'number': invoice.number,
            } if invoice else None,
        }


def payment_dict(payment):
    return {
        'id': payment.id,
        'kind': payment.ev_kind,
        'date': payment.date,
        'amount': payment.amount,
        'currency': payment.currency.code if payment.currency else None,
        'state': payment.state,
        'session': payment.ev_session.id if payment.ev_session else None,
        'invoice': None,
        }


def refund_dict(invoice):
    "A credit note of a session: the refund to the client's balance"
    return {
        'id': invoice.id,
        'kind': 'refund',
        'date': invoice.invoice_date,
        'amount': -invoice.total_amount,
        'currency': invoice.currency.code,
        'state': invoice.state,
        'session': min((l.ev_session.id for l in invoice.lines
                    if l.ev_session), default=None),
        'invoice': {
            'id': invoice.id,
            'number': invoice.number,
            },
        }


@api('history', login=True)
def history(request, pool, user):
    """The client's finished sessions and their payments and refunds,
    newest first"""
    Session = pool.get('ev.session')
    Payment = pool.get('account.payment')
    Invoice = pool.get('account.invoice')
    limit, offset = paging(pool, request)
    party = client_party(user)
    with as_client(pool, user):
        # The EV Client rules confine the search to the client's sessions.
        session_ids = [s.id for s in Session.search([
                    ('client', '=', party),
                    ('state', '=', 'finished'),
                    ], order=[('stop_at', 'DESC NULLS LAST'), ('id', 'DESC')],
                limit=limit, offset=offset)]
        with without_check_access():
            sessions = [session_dict(s) for s in Session.browse(session_ids)]
            payments = [payment_dict(p) for p in Payment.search([
                        ('party', '=', party),
                        ('kind', '=', 'receivable'),
                        ('ev_kind', 'in', PAYMENT_KINDS),
                        ], order=[('date', 'DESC'), ('id', 'DESC')],
                    limit=limit + offset)]
            # Refunds are credit notes paid to the balance.
            payments += [refund_dict(i) for i in Invoice.search([
                        ('party', '=', party),
                        ('type', '=', 'out'),
                        ('state', 'in', ['posted', 'paid']),
                        ('total_amount', '<', 0),
                        ], order=[('invoice_date', 'DESC'), ('id', 'DESC')],
                    limit=limit + offset)]
    payments.sort(key=lambda p: (p['date'], p['kind'] != 'refund', p['id']),
        reverse=True)
    return json_response({
            'sessions': sessions,
            'payments': payments[offset:offset + limit],
            'limit': limit,
            'offset': offset,
            })


# Receipts

def client_invoice(pool, user, invoice_id):
    "Return the posted invoice of the client, or raise a 404"
    Invoice = pool.get('account.invoice')
    with without_check_access():
        invoices = Invoice.search([
                ('id', '=', invoice_id),
                ('party', '=', client_party(user)),
                ('type', '=', 'out'),
                ('state', 'in', ['posted', 'paid']),
                ], limit=1)
    if not invoices:
        raise error(NotFoundError, 'msg_invoice_not_found')
    return invoices[0]


def receipt_html(pool, invoice):
    "Return the receipt of the invoice as an HTML page"
    Lang = pool.get('ir.lang')
    Invoice = pool.get('account.invoice')
    Line = pool.get('account.invoice.line')
    Tax = pool.get('account.invoice.tax')
    lang = Lang.get()
    currency = invoice.currency

    def labels(model, names):
        fields = model.fields_get(names)
        return {n: escape(fields[n]['string']) for n in names}

    def money(value):
        return escape(lang.currency(value or 0, currency, symbol=True))

    head = labels(Invoice, ['number', 'invoice_date', 'party',
            'untaxed_amount', 'tax_amount', 'total_amount', 'lines', 'taxes',
            'state'])
    line_labels = labels(Line, ['description', 'quantity', 'unit_price',
            'amount'])
    tax_labels = labels(Tax, ['description', 'base', 'amount'])
    title = escape(gettext('ev_portal_pwa.msg_receipt_title',
            number=invoice.number or ''))
    state = dict(Invoice.fields_get(['state'])['state']['selection'])
    company = invoice.company.party
    rows = ''.join(
        '<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td>'
        '<td class="n">%s</td></tr>' % (
            escape(line.description or (line.product.rec_name
                    if line.product else '')),
            escape(lang.format_number(line.quantity or 0, digits=None)),
            money(line.unit_price), money(line.amount))
        for line in invoice.lines if line.type == 'line')
    taxes = ''.join(
        '<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td></tr>' % (
            escape(tax.description or ''), money(tax.base),
            money(tax.amount))
        for tax in invoice.taxes)
    parts = [
        receipt_head(title, company),
        '<dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>'
        '<dt>%s</dt><dd>%s</dd></dl>' % (
            head['invoice_date'],
            escape(lang.strftime(invoice.invoice_date)
                if invoice.invoice_date else ''),
            head['party'], escape(invoice.party.rec_name),
            head['state'], escape(state.get(invoice.state, invoice.state))),
        '<table><caption class="n">%s</caption><thead><tr><th>%s</th>'
        '<th class="n">%s</th><th class="n">%s</th><th class="n">%s</th>'
        '</tr></thead><tbody>%s</tbody></table>' % (
            head['lines'], line_labels['description'],
            line_labels['quantity'], line_labels['unit_price'],
            line_labels['amount'], rows),
        ]
    if taxes:
        parts.append(
            '<table><caption class="n">%s</caption><thead><tr><th>%s</th>'
            '<th class="n">%s</th><th class="n">%s</th></tr></thead>'
            '<tbody>%s</tbody></table>' % (
                head['taxes'], tax_labels['description'],
                tax_labels['base'], tax_labels['amount'], taxes))
    parts.append(
        '<table><tfoot><tr><th>%s</th><td class="n">%s</td></tr>'
        '<tr><th>%s</th><td class="n">%s</td></tr>'
        '<tr><th>%s</th><td class="n"><strong>%s</strong></td></tr>'
        '</tfoot></table></body></html>' % (
            head['untaxed_amount'], money(invoice.untaxed_amount),
            head['tax_amount'], money(invoice.tax_amount),
            head['total_amount'], money(invoice.total_amount)))
    return ''.join(parts)


def receipt_head(title, company):
    """Return the start of a receipt page, in the language of the
    transaction: its title (escaped) and the issuing company"""
    return ''.join([
            '<!DOCTYPE html>',
            '<html lang="%s"><head><meta charset="utf-8">' % escape(
                Transaction().language or 'ru'),
            '<meta name="viewport" content="width=device-width, '
            'initial-scale=1">',
            '<title>%s</title>' % title,
            '<style>%s</style></head><body>' % RECEIPT_STYLE,
            '<p>%s</p>' % escape(company.rec_name),
            '<h1>%s</h1>' % title,
            ])


def receipt_response(content, filename):
    "Return the HTML receipt content as a response that runs no script"
    response = Response(content, HTTPStatus.OK,
        content_type='text/html; charset=utf-8')
    response.headers.update(API_HEADERS)
    response.headers['Content-Security-Policy'] = RECEIPT_CSP
    response.headers['Content-Disposition'] = (
        'inline; filename="%s"' % filename)
    return response


@api('invoices/<int:invoice_id>/receipt', login=True)
def receipt(request, pool, user, invoice_id):
    "The client's invoice as an HTML receipt: lines, taxes and total"
    invoice = client_invoice(pool, user, invoice_id)
    with without_check_access():
        content = receipt_html(pool, invoice)
    return receipt_response(content, 'receipt-%s.html' % invoice.id)


# Money

@api('topup', ['POST'], login=True)
def topup(request, pool, user):
    "A top-up of the balance: the acquirer's checkout page to pay it"
    Payment = pool.get('account.payment')
    data = read_json(request)
    value = data.get('amount')
    if value is None or value == '':
        raise required(pool, 'amount')
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidOperation
        amount = Decimal(str(value).strip())
        if not amount.is_finite() or amount <= 0 or len(str(value)) > 20:
            raise InvalidOperation
    except InvalidOperation as exception:
        raise invalid(pool, 'amount', value) from exception
    with as_client(pool, user):
        result = Payment.ev_topup(amount)
    return json_response(result, HTTPStatus.CREATED)


@api('cards', ['POST'], login=True)
def save_card(request, pool, user):
    """Save a bank card (or replace the saved one): the acquirer's page to
    enter it"""
    Customer = pool.get('account.payment.stripe.customer')
    with as_client(pool, user):
        result = Customer.ev_save_card()
    return json_response({'url': result['url']}, HTTPStatus.CREATED)


@api('payment-method', ['POST'], login=True)
def payment_method(request, pool, user):
    "Choose how charging is paid: the balance or the saved card"
    Party = pool.get('party.party')
    data = read_json(request)
    method = data.get('method')
    if method not in {'balance', 'card'}:
        raise invalid(pool, 'method', method)
    with as_client(pool, user):
        return json_response(
            {'payment_method': Party.ev_set_payment_method(method)})


# Subscriptions

@api('subscriptions', ['GET', 'POST'], login=True)
def subscriptions(request, pool, user):
    """The plans the client may buy and the client's subscriptions with
    their usage; POST buys a plan"""
    Plan = pool.get('ev.subscription.plan')
    Subscription = pool.get('sale.subscription')
    if request.method == 'POST':
        plan = integer(pool, read_json(request), 'plan')
        with as_client(pool, user):
            return json_response(
                Subscription.ev_purchase(plan), HTTPStatus.CREATED)
    with as_client(pool, user):
        return json_response({
                'offers': Plan.get_offers(),
                'subscriptions': Subscription.ev_my_subscriptions(),
                })


@api('subscriptions/<int:subscription_id>/cancel', ['POST'], login=True)
def cancel_subscription(request, pool, user, subscription_id):
    "Stop the renewal: the subscription ends with its current period"
    Subscription = pool.get('sale.subscription')
    with as_client(pool, user):
        return json_response(
            Subscription.ev_cancel_renewal(subscription_id))


# Promo codes

def code_value(pool, data):
    "Return the promo code of data, or raise a 400"
    code = data.get('code')
    if code is None or (isinstance(code, str) and not code.strip()):
        raise required(pool, 'code')
    if not isinstance(code, str) or len(code) > MAX_TEXT_LENGTH:
        raise invalid(pool, 'code', code)
    return code


@api('promo-codes/check', ['POST'], login=True)
def check_promo_code(request, pool, user):
    "Whether the client may use the promo code (at the station)"
    Redemption = pool.get('ev.promotion.redemption')
    Connector = pool.get('ev.connector')
    data = read_json(request)
    code = code_value(pool, data)
    station = (integer(pool, data, 'station')
        if data.get('station') not in {None, ''} else None)
    with as_client(pool, user):
        connector = None
        if station is not None:
            # The codes cover stations: any connector of the station tells.
            connectors = Connector.search([('station', '=', station)],
                order=[('id', 'ASC')], limit=1)
            if not connectors:
                raise error(NotFoundError, 'msg_station_not_found')
            connector = connectors[0].id
        return json_response(Redemption.check_code(code, connector))
