# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Charging from the client app: the price on a connector, the start, the
session in progress and its stop

A start is a remote start command of ev_station for the client's app token:
the OCPP daemon sends it to the charger, whose StartTransaction (with that
token) opens the session of the client. Until then "sessions/current" shows
the start request."""
import datetime as dt
import json
import logging

from trytond.i18n import gettext
from trytond.modules.ev_partner.tools import utcnow
from trytond.modules.ev_tariff.tariff import local_date
from trytond.protocols.wrappers import HTTPStatus
from trytond.transaction import without_check_access

from .exceptions import (
    ApiError, BadRequestError, ForbiddenError, NotFoundError)
from .routes import (
    LABELS, MAX_TEXT_LENGTH, QUOTE_ENERGY_WH, QUOTE_MINUTES, api, as_client,
    error, json_response, label, read_json, station_status, text)

logger = logging.getLogger(__name__)

# The connector states a charger accepts a remote start in: free, or with
# the cable already plugged in.
START_STATUSES = {'available', 'preparing'}
# How long after its answer a start request waits for the charger's
# session (OCPP 1.6 ConnectionTimeOut is often 60 to 120 s).
START_GRACE = dt.timedelta(seconds=120)
# The commands still on their way to the charger, or accepted by it.
LIVE_COMMANDS = {'draft', 'pending', 'sent', 'accepted'}

LABELS.update({
        'connector': ('ev.session', 'connector'),
        'code': ('ev.promotion.redemption', 'code'),
        'energy_wh': ('ev.session', 'energy_wh'),
        })


class ConflictError(ApiError):
    "The request does not fit what is going on: a charge, a busy connector"
    status = 409


def record_id(pool, value, name):
    "Return value as a record id, or raise a 400"
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return int(value)
    if value is None or value == '':
        raise error(BadRequestError, 'msg_api_value_required',
            field=label(pool, name))
    raise error(BadRequestError, 'msg_api_value_invalid',
        field=label(pool, name), value=str(value)[:MAX_TEXT_LENGTH])


def quantity(pool, request, name, default):
    value = request.args.get(name)
    if value is None or value == '':
        return default
    if not value.isdigit() or len(value) > 9:
        raise error(BadRequestError, 'msg_api_value_invalid',
            field=label(pool, name), value=value[:MAX_TEXT_LENGTH])
    return int(value)


def client_connector(pool, connector_id):
    "Return the connector the client sees, or raise a 404"
    Connector = pool.get('ev.connector')
    connectors = Connector.search([('id', '=', connector_id)], limit=1)
    if not connectors:
        raise error(NotFoundError, 'msg_connector_not_found')
    return connectors[0]


def connector_dict(connector):
    return {
        'id': connector.id,
        'number': connector.number,
        'type': connector.type.code,
        'type_name': connector.type.name,
        'power_w': int(connector.max_power * 1000),
        'status': connector.status,
        }


def client_party(pool, user):
    "Return the party of the client, readable without the client's rules"
    Party = pool.get('party.party')
    # A record reads with the context it was made in.
    with without_check_access():
        return Party(user.party.id)


def start_refusal(pool, party, connector):
    """Return the message id and the translated reason that refuse a start
    on connector to the client, or (None, None)"""
    Connector = pool.get('ev.connector')
    station = connector.station
    if (station_status(station) == 'offline' or not station.may_charge
            or connector.status not in START_STATUSES):
        statuses = dict(Connector.fields_get(['status'])['status'][
                'selection'])
        status = (connector.status if station_status(station) != 'offline'
            else 'unavailable')
        return 'ev_portal_pwa.msg_connector_unavailable', gettext(
            'ev_portal_pwa.msg_connector_unavailable',
            connector=connector.number, station=station.name,
            status=statuses.get(status, status))
    with without_check_access():
        msg_id = party.ev_may_start()
    if msg_id:
        return msg_id, gettext(msg_id)
    return None, None


def payment(pool, party):
    "Return how the client pays, and what a start holds or needs"
    Configuration = pool.get('ev.configuration')
    Party = pool.get('party.party')
    with without_check_access():
        config = Configuration(1)
        account = config.balance_account
        currency = party.ev_currency or (
            account.company.currency if account else None)
        card = bool(party.ev_card and party.ev_card_method)
        result = {
            'method': party.ev_payment_method or 'balance',
            'currency': currency.code if currency else None,
            'card_saved': card,
            }
        if result['method'] == 'card':
            result['preauthorization'] = config.preauthorization_amount
        else:
            result['available'] = (
                Party.ev_get_available([party])[party.id]
                if account else None)
            result['minimum'] = config.minimum_start_amount
        return result


def waiting_code(pool, party, station):
    "Return the code the client reserved that its next session there gets"
    Redemption = pool.get('ev.promotion.redemption')
    date = local_date(utcnow(), station.timezone)
    return Redemption.waiting(party, station, date)


def quote_price(pool, connector, party, energy_wh, minutes, allowance=None):
    """Return ev_tariff's quote for the client on connector, priced as if
    the code of allowance were reserved for the session"""
    Tariff = pool.get('ev.tariff')
    if allowance is None:
        return Tariff.quote(connector.id, None, energy_wh, minutes)
    return Tariff._quote(connector, party, energy_wh, minutes,
        extra=(allowance,))


def promo_code(pool, party, connector, code):
    """Return what the client is told of its promo code on connector, and
    the engine Allowance to quote it with (None when reserved or refused)"""
    Redemption = pool.get('ev.promotion.redemption')
    Number = pool.get('sale.promotion.coupon.number')
    waiting = waiting_code(pool, party, connector.station)
    if waiting and (not code or waiting.code == code.strip().upper()):
        return dict(waiting.ev_dict(), valid=True, reserved=True), None
    if not code:
        return None, None
    checked = Redemption.check_code(code, connector.id)
    checked['reserved'] = False
    allowance = None
    if checked['valid'] and not waiting:
        with without_check_access():
            number = Number.ev_lookup(code, Redemption._today())
            allowance = number.coupon.promotion.ev_allowance(number.number)
    return checked, allowance


def ev_tags(pool):
    "Return the client's app tokens a charger accepts, the newest first"
    IdTag = pool.get('ev.id_tag')
    now = utcnow()
    return [t for t in IdTag.search([
                ('kind', '=', 'app'),
                ('status', '=', 'accepted'),
                ], order=[('id', 'DESC')])
        if t.get_effective_status(None, at=now) == 'accepted']


def app_token(pool, party):
    "Return the code of the client's app token, issued on its first start"
    IdTag = pool.get('ev.id_tag')
    tags = ev_tags(pool)
    if tags:
        return tags[0].code
    with without_check_access():
        tag = IdTag.issue_app_token(party)
        logger.info("app token issued to client %s", party.id)
        return tag.code


def start_parameters(code):
    return json.dumps({'id_tag': code}, sort_keys=True)


def command_dict(command):
    return {
        'id': command.id,
        'action': command.action,
        'state': command.state,
        'requested_at': command.requested_at,
        'answered_at': command.answered_at,
        }


def start_request(pool):
    """Return the client's latest remote start that has not given a session
    yet and may still give one, or None"""
    Configuration = pool.get('ev.configuration')
    Command = pool.get('ev.station.command')
    Session = pool.get('ev.session')
    codes = [t.code for t in ev_tags(pool)]
    if not codes:
        return None
    now = utcnow()
    with without_check_access():
        timeout = dt.timedelta(seconds=Configuration(1).command_timeout)
        commands = Command.search([
                ('action', '=', 'remote_start'),
                ('parameters', 'in', [start_parameters(c) for c in codes]),
                ('requested_at', '>=', now - timeout - START_GRACE),
                ], order=[('requested_at', 'DESC'), ('id', 'DESC')],
            limit=1)
    if not commands:
        return None
    command, = commands
    if (command.answered_at
            and command.answered_at < now - START_GRACE):
        return None
    # The session of the start (the client's rules apply) ends it.
    if Session.search([
                ('start_at', '>=', command.requested_at),
                ], limit=1):
        return None
    return command


def start_dict(command):
    "Return the start request as sessions/current shows it"
    connector = command.connector
    return {
        'id': None,
        'state': ('starting' if command.state in LIVE_COMMANDS
            else 'start_failed'),
        'station': {
            'id': command.station.id,
            'name': command.station.name,
            },
        'connector': connector_dict(connector) if connector else None,
        'command': command_dict(command),
        }


def running_session(pool):
    "Return the client's session starting or in progress, or None"
    Session = pool.get('ev.session')
    sessions = Session.search([
            ('state', 'in', ['pending', 'active']),
            ], order=[('start_at', 'DESC NULLS FIRST'), ('id', 'DESC')],
        limit=1)
    return sessions[0] if sessions else None


def stop_command(pool, session):
    "Return the remote stop of the session still under way, or None"
    Command = pool.get('ev.station.command')
    with without_check_access():
        commands = Command.search([
                ('session', '=', session.id),
                ('action', '=', 'remote_stop'),
                ('state', 'in', list(LIVE_COMMANDS)),
                ], order=[('id', 'DESC')], limit=1)
    return commands[0] if commands else None


def session_dict(pool, session):
    "Return the client's session as the live screen shows it"
    MeterValue = pool.get('ev.session.meter_value')
    with without_check_access():
        session = session.__class__(session.id)
        latest = {}
        for name in ['power_w', 'soc']:
            values = MeterValue.search([
                    ('session', '=', session.id),
                    (name, '!=', None),
                    ], order=[('measured_at', 'DESC'), ('id', 'DESC')],
                limit=1)
            latest[name] = getattr(values[0], name) if values else None
        if session.state != 'active':
            latest['power_w'] = None
        duration = session.duration
        stop = stop_command(pool, session)
        return {
            'id': session.id,
            'number': session.number,
            'state': session.state,
            'station': {
                'id': session.station.id,
                'name': session.station.name,
                },
            'connector': connector_dict(session.connector),
            'started_at': session.start_at,
            'energy_wh': session.energy_wh or 0,
            'power_w': latest['power_w'],
            'soc': latest['soc'],
            'duration_s': (int(duration.total_seconds())
                if duration is not None else 0),
            'cost': session.estimated_amount,
            'currency': session.currency.code if session.currency else None,
            'payment_method': session.payment_method,
            'spending_limit': session.spending_limit,
            'limit_reached': bool(session.limit_reached_at),
            'stopping': bool(stop),
            'command': command_dict(stop) if stop else None,
            }


@api('quote', login=True)
def quote(request, pool, user):
    """The price of a session on the connector as the client will pay it,
    how it pays, and whether it may start"""
    connector_id = record_id(pool, request.args.get('connector'), 'connector')
    energy_wh = quantity(pool, request, 'energy_wh', QUOTE_ENERGY_WH)
    minutes = quantity(pool, request, 'minutes', QUOTE_MINUTES)
    code = text(pool, request.args, 'code', required=False)
    with as_client(pool, user):
        connector = client_connector(pool, connector_id)
        party = client_party(pool, user)
        promo, allowance = promo_code(pool, party, connector, code)
        price = quote_price(
            pool, connector, party, energy_wh, minutes, allowance)
        reason_code, reason = start_refusal(pool, party, connector)
        result = {
            'station': {
                'id': connector.station.id,
                'name': connector.station.name,
                },
            'connector': connector_dict(connector),
            'energy_wh': energy_wh,
            'minutes': minutes,
            'price': price,
            # The subscriptions and codes the price takes off.
            'discounts': sorted({line['source'] for line in (
                        price['lines'] if price else [])
                    if line['kind'] == 'discount' and line['source']}),
            'promo': promo,
            'payment': payment(pool, party),
            'may_start': reason is None,
            'reason': reason,
            'reason_code': reason_code.split('.')[-1] if reason_code else None,
            }
    return json_response(result)


@api('sessions', ['POST'], login=True, readonly=False)
def start(request, pool, user):
    "Start charging: a remote start for the client's app token"
    Redemption = pool.get('ev.promotion.redemption')
    Command = pool.get('ev.station.command')
    data = read_json(request)
    connector_id = record_id(pool, data.get('connector'), 'connector')
    code = text(pool, data, 'code', required=False)
    with as_client(pool, user):
        connector = client_connector(pool, connector_id)
        party = client_party(pool, user)
        if running_session(pool) or start_request(pool):
            raise error(ConflictError, 'msg_charging_in_progress')
        reason_code, reason = start_refusal(pool, party, connector)
        if reason:
            exception = (ConflictError if reason_code.startswith(
                    'ev_portal_pwa.') else ForbiddenError)(reason)
            exception.code = reason_code.split('.')[-1]
            raise exception
        redemption = None
        if code:
            waiting = waiting_code(pool, party, connector.station)
            if waiting and waiting.code == code.strip().upper():
                redemption = waiting.ev_dict()
            else:
                redemption = Redemption.redeem(code)
        id_tag = app_token(pool, party)
        with without_check_access():
            command = Command(station=connector.station.id,
                connector=connector.id, action='remote_start',
                parameters=start_parameters(id_tag))
            Command.request([command])
            logger.info("client %s asked a start on connector %s",
                party.id, connector.id)
            result = start_dict(command)
        result['promo'] = redemption
    return json_response(result, HTTPStatus.ACCEPTED)


@api('sessions/current', login=True)
def current(request, pool, user):
    "The client's session in progress, or its start on the way, or null"
    with as_client(pool, user):
        session = running_session(pool)
        if session:
            return json_response(session_dict(pool, session))
        command = start_request(pool)
        if command:
            return json_response(start_dict(command))
    return json_null()


def json_null():
    "Return the JSON null: no session"
    response = json_response(None, HTTPStatus.OK)
    response.set_data(b'null')
    response.content_type = 'application/json'
    return response


@api('sessions/<int:session_id>/stop', ['POST'], login=True, readonly=False)
def stop(request, pool, user, session_id):
    "Stop the client's session: a remote stop to the charger"
    Session = pool.get('ev.session')
    with as_client(pool, user):
        sessions = Session.search([('id', '=', session_id)], limit=1)
        if not sessions:
            raise error(NotFoundError, 'msg_session_not_found')
        session, = sessions
        if session.state != 'active':
            raise error(ConflictError, 'msg_session_not_running',
                session=session.number or session.id)
        if not stop_command(pool, session):
            with without_check_access():
                Session.remote_stop([Session(session.id)])
            logger.info("client %s asked to stop session %s",
                session.client.id, session.id)
        return json_response(session_dict(pool, session),
            HTTPStatus.ACCEPTED)
