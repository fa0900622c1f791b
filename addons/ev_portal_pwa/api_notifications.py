# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client's notifications: a feed the app polls while it is open

There is no push service: the feed is derived from the client's records of
the last 30 days each time it is asked for. Sessions finished, faults of
the stations the client charges at (as long as they last) and the client's
payments (top-ups, card captures) that succeeded or failed, and the public
replies of support to the client's requests. Each item has a stable id, so
that the app shows it once. The web user keeps the time up to which the
client read them (ev_notified_until): later ones are unread.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.modules.ev_partner.tools import utcnow
from trytond.tools import firstline
from trytond.transaction import without_check_access

from .exceptions import BadRequestError
from .routes import (
    LABELS, MAX_TEXT_LENGTH, api, as_client, error, json_response, label,
    read_json, station_status)

WINDOW = dt.timedelta(days=30)
MAX_ITEMS = 50
# The payments that are the client's money, as the history shows them.
PAYMENT_KINDS = ['topup', 'session']

LABELS.update({
        'since': ('web.user', 'ev_notified_until'),
        'until': ('web.user', 'ev_notified_until'),
        })


def timestamp(pool, value, name):
    "Return the ISO 8601 value as a naive UTC datetime, or raise a 400"
    if value is None or value == '':
        return None
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        result = dt.datetime.fromisoformat(value.strip())
    except ValueError as exception:
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, name),
            value=str(value)[:MAX_TEXT_LENGTH]) from exception
    if result.tzinfo:
        result = result.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return result


def item(kind, key, title, body, at, url):
    return {
        'id': '%s-%s' % (kind, key),
        'kind': kind,
        'title': title,
        'body': body,
        # To the second, as the app reads it back in since and until.
        'at': at.replace(microsecond=0),
        'url': url,
        }


def energy_kwh(lang, energy_wh):
    return lang.format_number(
        (Decimal(energy_wh or 0) / 1000).quantize(Decimal('0.1')), digits=1)


def money(lang, amount, currency):
    if currency:
        return lang.currency(amount, currency, symbol=True, grouping=True)
    return lang.format_number(amount, grouping=True)


def session_items(pool, party, start):
    "The client's sessions finished since start"
    Session = pool.get('ev.session')
    Lang = pool.get('ir.lang')
    lang = Lang.get()
    items = []
    # The EV Client rules confine the search to the client's sessions.
    for session in Session.search([
                ('client', '=', party),
                ('state', '=', 'finished'),
                ('stop_at', '>=', start),
                ], order=[('stop_at', 'DESC'), ('id', 'DESC')],
            limit=MAX_ITEMS):
        values = {
            'station': session.station.name,
            'energy': energy_kwh(lang, session.energy_wh),
            }
        if session.amount is not None:
            values['amount'] = money(lang, session.amount, session.currency)
            body = gettext(
                'ev_portal_pwa.msg_notify_session_finished_body_amount',
                **values)
        else:
            body = gettext(
                'ev_portal_pwa.msg_notify_session_finished_body', **values)
        items.append(item('session_finished', session.id,
                gettext('ev_portal_pwa.msg_notify_session_finished'), body,
                session.stop_at, '#/history'))
    return items


def fault_items(pool, party, start):
    """The faults of the stations the client charges at or charged at since
    start: offline, or with connectors faulted; public information only"""
    Session = pool.get('ev.session')
    Station = pool.get('ev.station')
    sessions = Session.search([
            ('client', '=', party),
            ['OR',
                ('state', 'in', ['pending', 'active']),
                ('start_at', '>=', start),
                ('stop_at', '>=', start),
                ],
            ])
    station_ids = sorted({s.station.id for s in sessions})
    items = []
    for station in Station.browse(Station.search([
                    ('id', 'in', station_ids)])):
        if station_status(station) == 'offline':
            at = station.last_seen_at or station.write_date \
                or station.create_date
            body = gettext('ev_portal_pwa.msg_notify_station_offline_body',
                station=station.name)
        else:
            faulted = [c for c in station.connectors
                if c.status == 'faulted']
            if not faulted:
                continue
            at = max((c.status_at or c.write_date or c.create_date
                    for c in faulted))
            body = gettext(
                'ev_portal_pwa.msg_notify_connector_faulted_body',
                station=station.name,
                connectors=', '.join(
                    str(c.number) for c in sorted(
                        faulted, key=lambda c: c.number)))
        if at < start:
            continue
        # A fault that ends and comes back is a new notification.
        items.append(item('station_fault', '%s-%s' % (
                    station.id, int(at.replace(
                            tzinfo=dt.timezone.utc).timestamp())),
                gettext('ev_portal_pwa.msg_notify_station_fault'), body, at,
                '#/station/%s' % station.id))
    return items


def payment_items(pool, party, start):
    "The client's top-ups and card captures that succeeded or failed"
    Payment = pool.get('account.payment')
    Lang = pool.get('ir.lang')
    lang = Lang.get()
    items = []
    # The EV Client group may not read payments: only the client's own
    # party's are searched, as in the history.
    with without_check_access():
        payments = Payment.search([
                ('party', '=', party),
                ('kind', '=', 'receivable'),
                ('ev_kind', 'in', PAYMENT_KINDS),
                ('state', 'in', ['succeeded', 'failed']),
                ['OR',
                    ('write_date', '>=', start),
                    [('write_date', '=', None), ('create_date', '>=', start)],
                    ],
                ], order=[('id', 'DESC')], limit=MAX_ITEMS)
        for payment in payments:
            session = payment.ev_session
            if (payment.state == 'failed' and payment.ev_kind == 'session'
                    and session and session.state == 'finished'
                    and not session.amount):
                # A hold released because nothing was due: no failure.
                continue
            kind = 'payment_%s' % payment.state
            amount = money(lang, payment.amount, payment.currency)
            if payment.ev_kind == 'topup':
                body = gettext('ev_portal_pwa.msg_notify_topup_%s_body'
                    % payment.state, amount=amount)
            else:
                body = gettext('ev_portal_pwa.msg_notify_capture_%s_body'
                    % payment.state, amount=amount,
                    session=session.number or session.id if session else '')
            items.append(item(kind, payment.id,
                    gettext('ev_portal_pwa.msg_notify_%s' % kind), body,
                    payment.write_date or payment.create_date,
                    '#/history'))
    return items


def support_items(pool, user, start):
    "The public replies of support to the client's requests since start"
    Message = pool.get('ev.message')
    items = []
    for message, chat in Message.support_replies(user, start)[:MAX_ITEMS]:
        items.append(item('support_reply', chat.id,
                gettext('ev_portal_pwa.msg_notify_support_reply'),
                gettext('ev_portal_pwa.msg_notify_support_reply_body',
                    subject=message.subject,
                    text=firstline(chat.content)[:MAX_TEXT_LENGTH]),
                chat.create_date, '#/support/%s' % message.id))
    return items


def feed(pool, user):
    "Return the client's notifications of the last 30 days, newest first"
    party = user.party.id
    start = utcnow() - WINDOW
    with as_client(pool, user):
        items = (session_items(pool, party, start)
            + fault_items(pool, party, start)
            + payment_items(pool, party, start))
    items += support_items(pool, user, start)
    items.sort(key=lambda i: (i['at'], i['id']), reverse=True)
    return items[:MAX_ITEMS]


@api('notifications', login=True)
def notifications(request, pool, user):
    """The client's notifications of the last 30 days (after since), newest
    first, and how many are unread"""
    since = timestamp(pool, request.args.get('since'), 'since')
    items = feed(pool, user)
    seen = user.ev_notified_until
    for notification in items:
        notification['unread'] = seen is None or notification['at'] > seen
    unread = sum(1 for i in items if i['unread'])
    if since is not None:
        items = [i for i in items if i['at'] > since]
    return json_response({
            'notifications': items,
            'unread': unread,
            })


@api('notifications/seen', ['POST'], login=True)
def notifications_seen(request, pool, user):
    "Mark the notifications up to until (now by default) as read"
    until = timestamp(pool, read_json(request).get('until'), 'until')
    now = utcnow()
    if until is None or until > now:
        until = now
    # Read is read: an older time from another device changes nothing.
    if not user.ev_notified_until or until > user.ev_notified_until:
        user.ev_notified_until = until
        user.save()
    unread = sum(1 for i in feed(pool, user)
        if i['at'] > user.ev_notified_until)
    return json_response({
            'until': user.ev_notified_until,
            'unread': unread,
            })
