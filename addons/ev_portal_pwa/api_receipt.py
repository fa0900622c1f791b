# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The receipt of a charging session, as soon as it is priced

With monthly invoicing the invoice comes at the month's end, but a driver
wants the receipt when the cable is unplugged: what was delivered where,
each price line with its discount and tax, and the total charged. Once the
session is invoiced, its receipt names the invoice."""
from html import escape

from trytond.i18n import gettext
from trytond.tools import timezone as tz
from trytond.transaction import without_check_access

from .api_account import receipt_head, receipt_response
from .exceptions import NotFoundError
from .routes import api, as_client, error


def client_session(pool, user, session_id):
    "Return the client's priced, finished session, or raise a 404"
    Session = pool.get('ev.session')
    with as_client(pool, user):
        # The EV Client rules confine the search to the client's sessions.
        sessions = Session.search([
                ('id', '=', session_id),
                ('client', '=', user.party.id if user.party else None),
                ('state', '=', 'finished'),
                ('amount', '!=', None),
                ], limit=1)
    if not sessions:
        raise error(NotFoundError, 'msg_session_not_found')
    return sessions[0].id


def receipt_html(pool, session):
    "Return the receipt of the session as an HTML page"
    Lang = pool.get('ir.lang')
    Session = pool.get('ev.session')
    Line = pool.get('ev.tariff.price_line')
    Invoice = pool.get('account.invoice')
    lang = Lang.get()
    currency = session.currency
    station = session.station
    zone = tz.ZoneInfo(station.timezone or session.company.timezone or 'UTC')

    def labels(model, names):
        fields = model.fields_get(names)
        return {n: escape(fields[n]['string']) for n in names}

    def money(value):
        return escape(lang.currency(value or 0, currency, symbol=True))

    def when(value):
        if not value:
            return ''
        local = value.replace(tzinfo=tz.UTC).astimezone(zone)
        return escape(lang.strftime(local, '%d.%m.%Y %H:%M')
            + ' (%s)' % zone.key)

    head = labels(Session, ['station', 'connector', 'start_at', 'stop_at',
            'net_amount', 'tax_amount', 'amount',
            'payment_method', 'price_lines'])
    line_labels = labels(Line, ['label', 'quantity', 'unit_price', 'amount',
            'tax_amount', 'source'])
    methods = dict(Session.fields_get(['payment_method'])[
            'payment_method']['selection'])
    units = dict(Line.fields_get(['unit'])['unit']['selection'])
    title = escape(gettext('ev_portal_pwa.msg_session_receipt_title',
            number=session.number or session.id))
    rows = ''.join(
        '<tr><td>%s%s</td><td class="n">%s %s</td><td class="n">%s</td>'
        '<td class="n">%s</td><td class="n">%s</td></tr>' % (
            escape(line.label or ''),
            ' <small>(%s)</small>' % escape(line.source)
            if line.source else '',
            escape(lang.format_number(line.quantity or 0, digits=None)),
            escape(units.get(line.unit, line.unit or '')),
            money(line.unit_price),
            money(line.tax_amount), money(line.amount))
        for line in session.price_lines)
    address = ', '.join(filter(None, [station.street, station.city]))
    details = [
        (head['station'], escape(station.name or '')
            + ('<br>%s' % escape(address) if address else '')),
        (head['connector'], escape(str(session.connector.number))),
        (head['start_at'], when(session.start_at)),
        (head['stop_at'], when(session.stop_at)),
        (escape(gettext('ev_portal_pwa.msg_receipt_energy')),
            escape(gettext('ev_portal_pwa.msg_receipt_kwh',
                    energy=lang.format_number(
                        (session.energy_wh or 0) / 1000, digits=3)))),
        ]
    if session.payment_method:
        details.append((head['payment_method'],
                escape(methods.get(session.payment_method, ''))))
    if session.invoice and session.invoice.number:
        details.append((
                escape(Invoice.fields_get(['number'])['number']['string']),
                escape(session.invoice.number)))
    return ''.join([
            receipt_head(title, session.company.party),
            '<dl>%s</dl>' % ''.join(
                '<dt>%s</dt><dd>%s</dd>' % d for d in details),
            '<table><caption class="n">%s</caption><thead><tr>'
            '<th>%s</th><th class="n">%s</th><th class="n">%s</th>'
            '<th class="n">%s</th><th class="n">%s</th></tr></thead>'
            '<tbody>%s</tbody></table>' % (
                head['price_lines'], line_labels['label'],
                line_labels['quantity'], line_labels['unit_price'],
                line_labels['tax_amount'], line_labels['amount'], rows),
            '<table><tfoot><tr><th>%s</th><td class="n">%s</td></tr>'
            '<tr><th>%s</th><td class="n">%s</td></tr>'
            '<tr><th>%s</th><td class="n" id="total"><strong>%s</strong>'
            '</td></tr></tfoot></table></body></html>' % (
                head['net_amount'], money(session.net_amount),
                head['tax_amount'], money(session.tax_amount),
                head['amount'], money(session.amount)),
            ])


@api('sessions/<int:session_id>/receipt', login=True)
def receipt(request, pool, user, session_id):
    """The receipt of the client's finished session: where, when, the
    energy, the price lines with discounts and tax, and the total"""
    Session = pool.get('ev.session')
    session_id = client_session(pool, user, session_id)
    # Reading the session's station, company and invoice is allowed once
    # the rules found the session to be the client's.
    with without_check_access():
        content = receipt_html(pool, Session(session_id))
    return receipt_response(content, 'session-%s.html' % session_id)
