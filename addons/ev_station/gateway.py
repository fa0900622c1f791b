# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import logging
from decimal import Decimal
from functools import wraps

from sql import Null

from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.model.modelsql import SQLConstraintError
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .connector import STATUSES
from .exceptions import (
    ConcurrentInsertError, GatewayArgumentError, GatewayCommandError,
    GatewayConfigurationError, GatewayStationError)
from .ocpp_message import dumps
from .station import IDENTITY_RE

logger = logging.getLogger(__name__)

# What the daemon may report about a command (docs/ocpp.md).
COMMAND_RESULTS = {
    'sent', 'accepted', 'rejected', 'failed', 'not_connected', 'timed_out'}
# The most 1.6 transaction ids one call reserves.
MAX_RESERVE = 10000
# How many pending commands one poll returns at most, and by default.
MAX_COMMANDS = 1000
DEFAULT_COMMANDS = 100
# The rating given to a connector created on the fly when its type has
# none: a three-phase 32 A AC point.
DEFAULT_MAX_POWER = Decimal('22')


def parse_utc(value):
    "Return the ISO 8601 value as a naive UTC datetime, None if empty"
    if value is None or value == '':
        return None
    if not isinstance(value, dt.datetime):
        try:
            # Python 3.11 reads the trailing "Z" of OCPP timestamps.
            value = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise GatewayArgumentError(gettext(
                    'ev_station.msg_gateway_datetime_invalid', value=value))
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def format_utc(value):
    "Return the naive UTC datetime value as an ISO 8601 string"
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + 'Z'


def _number(value, name, type_=int):
    if value is None or value == '':
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GatewayArgumentError(gettext(
                'ev_station.msg_gateway_number_invalid',
                value=value, name=name))
    return int(round(number)) if type_ is int else number


def gateway(mode):
    """Let the caller in only with mode access to the facade, then work
    without access checks"""
    # The technical user's only grant is ev.ocpp.gateway (group
    # group_ev_ocpp): it can neither read nor write the business models.
    # Access rights, field access and record rules of Tryton 8.0 all hinge
    # on Transaction().check_access, so the facade checks its own access
    # the way ModelView.button does, then drops the checks for the work.
    # It keeps the calling user, unlike set_user(0): the records the daemon
    # writes show it as their author.
    def decorator(func):
        @wraps(func)
        def wrapper(cls, *args, **kwargs):
            pool = Pool()
            ModelAccess = pool.get('ir.model.access')
            ModelAccess.check(cls.__name__, mode)
            with without_check_access():
                return func(cls, *args, **kwargs)
        return wrapper
    return decorator


class Gateway(ModelView):
    __name__ = 'ev.ocpp.gateway'
    __string__ = "EV OCPP Gateway"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # check_access stays on: it is what makes the facade's own access
        # rights apply to the caller (see gateway()).
        cls.__rpc__.update({
                'connect': RPC(readonly=False),
                'disconnect': RPC(readonly=False),
                'boot': RPC(readonly=False),
                'heartbeat': RPC(readonly=False),
                'seen': RPC(readonly=False),
                'authorize': RPC(),
                'status': RPC(readonly=False),
                'start_transaction': RPC(readonly=False),
                'meter_values': RPC(readonly=False),
                'stop_transaction': RPC(readonly=False),
                'event': RPC(readonly=False),
                'reserve_transaction_ids': RPC(readonly=False),
                # Not readonly: a read-only transaction may be served by a
                # replica that has not seen the last results yet.
                'pending_commands': RPC(readonly=False),
                'command_result': RPC(readonly=False),
                'report_failure': RPC(readonly=False),
                })

    # Connections

    @classmethod
    @gateway('write')
    def connect(cls, identity, password=None, daemon=None,
            ocpp_version=None, remote_address=None):
        "Tell whether the charger may connect, and record who holds it"
        pool = Pool()
        Station = pool.get('ev.station')
        Configuration = pool.get('ev.configuration')
        if not daemon:
            cls._missing('connect', 'daemon')
        if isinstance(password, dict):
            # trytond logs the arguments of every call at INFO level and
            # hides only the values of mapping keys that name a secret: the
            # daemon passes {"password": ...} to keep it out of the log.
            password = password.get('password')
        config = Configuration(1)
        station = cls._find_station(identity)
        if station is None:
            if (config.unknown_station != 'pending'
                    or not IDENTITY_RE.match(identity or '')):
                return cls._refuse(identity, 'unknown', remote_address)
            station = cls._register(identity, password, remote_address)
            if station is None:
                return cls._refuse(identity, 'unknown', remote_address)
        elif not station.active:
            return cls._refuse(identity, 'inactive', remote_address)
        elif station.state == 'disconnected':
            return cls._refuse(identity, 'disconnected', remote_address)
        elif not station.check_password(password):
            return cls._refuse(identity, 'password', remote_address)
        values = {'ocpp_daemon': daemon}
        if ocpp_version:
            values['ocpp_version'] = ocpp_version
        Station.write([station], values)
        cls._seen(station, utcnow(), live=True)
        cls._event(station, kind='connection',
            description=gettext('ev_station.msg_gateway_connected',
                daemon=daemon, address=remote_address or '-'))
        return {
            'accepted': True,
            'reason': None,
            'registration_status': station.registration_status,
            'heartbeat_interval': cls._heartbeat_interval(station),
            }

    @classmethod
    @gateway('write')
    def disconnect(cls, identity, daemon=None, at=None):
        "Record that the daemon lost the charger's connection"
        pool = Pool()
        Station = pool.get('ev.station')
        if not daemon:
            cls._missing('disconnect', 'daemon')
        at = parse_utc(at) or utcnow()
        station = cls._find_station(identity)
        # A charger that reconnected through another daemon stays online:
        # only the daemon that holds the connection may close it.
        if station is not None and station.ocpp_daemon == daemon:
            Station.write([station], {'ocpp_daemon': None})
            Station.set_seen([station], online=False)
            cls._event(station, kind='connection', at=at,
                description=gettext('ev_station.msg_gateway_disconnected',
                    daemon=daemon))
        return {}

    @classmethod
    @gateway('write')
    def boot(cls, identity, key=None, at=None, info=None):
        "Record a boot notification and return the registration answer"
        pool = Pool()
        Station = pool.get('ev.station')
        info = info or {}
        if not isinstance(info, dict):
            cls._invalid('info', info)
        at_ = parse_utc(at) or utcnow()

        def work(station):
            values = {}
            for name in [
                    'vendor', 'model', 'serial_number', 'firmware_version']:
                if info.get(name) not in {None, ''}:
                    values[name] = str(info[name])
            if values:
                Station.write([station], values)
                Station.set_charger_model([station])
            cls._seen(station, at_, live=True)
            cls._event(station, kind='boot', at=at_,
                description=gettext('ev_station.msg_gateway_boot',
                    vendor=info.get('vendor') or '-',
                    model=info.get('model') or '-',
                    firmware=info.get('firmware_version') or '-'),
                payload=dumps(info))
            return {
                'registration_status': station.registration_status,
                'heartbeat_interval': cls._heartbeat_interval(station),
                }
        return cls._keyed('boot', identity, key, {
                'at': at, 'info': info,
                }, work)

    @classmethod
    @gateway('write')
    def heartbeat(cls, identity, at=None):
        "Record that the charger is alive"
        station = cls._station(identity)
        cls._seen(station, parse_utc(at) or utcnow(), live=True)
        return {}

    @classmethod
    @gateway('write')
    def seen(cls, daemon, identities, at=None):
        "Record that the chargers the daemon holds were alive at"
        # One call for all the chargers heard from since the last one: a
        # call per heartbeat of ten thousand chargers would keep a Tryton
        # worker busy with nothing else.
        pool = Pool()
        Station = pool.get('ev.station')
        if not isinstance(identities, list) or not all(
                isinstance(i, str) for i in identities):
            raise GatewayArgumentError(gettext(
                    'ev_station.msg_gateway_identities'))
        at = parse_utc(at) or utcnow()
        table = Station.__table__()
        cursor = Transaction().connection.cursor()
        for index in range(0, len(identities), 1000):
            # In SQL, so that the station held by another daemon meanwhile
            # is left alone and ten thousand rows cost one statement.
            cursor.execute(*table.update(
                    [table.online, table.last_seen_at],
                    [True, at],
                    where=table.identity.in_(identities[index:index + 1000])
                    & (table.ocpp_daemon == daemon)
                    & ((table.last_seen_at == Null)
                        | (table.last_seen_at < at))))
        # What the ORM does after a write: records read before are stale.
        transaction = Transaction()
        transaction.counter += 1
        transaction.get_cache().pop(Station.__name__, None)
        return {}

    # Authorization

    @classmethod
    @gateway('read')
    def authorize(cls, identity, id_tag=None):
        "Return what the platform answers to the ID tag at the station"
        station = cls._station(identity)
        tag = cls._id_tag(station, id_tag)
        status = cls._start_status(station, cls._id_tag_status(station, tag))
        parent = tag.parent if tag else None
        return {
            'status': status,
            'parent_id_tag': parent.code if parent else None,
            'expires_at': format_utc(cls._expires_at(tag)),
            }

    # Reports of the charger

    @classmethod
    @gateway('write')
    def status(cls, identity, key=None, at=None, connector=None, evse=None,
            status=None, error_code=None, info=None):
        "Record the status the charger reported for a connector"
        pool = Pool()
        Connector = pool.get('ev.connector')
        Message = pool.get('ev.message')
        if not status:
            cls._missing('status', 'status')
        if status not in dict(STATUSES):
            cls._invalid('status', status)
        at_ = parse_utc(at) or utcnow()

        def work(station):
            error = error_code if error_code not in {None, '', 'no_error'} \
                else None
            fault = status == 'faulted' or bool(error)
            # OCPP 1.6 connectorId 0 is the charge point as a whole.
            whole = not connector and not evse
            if whole:
                record = None
                connectors = []
                if status in {'unavailable', 'faulted'}:
                    connectors = cls._connectors(station)
            else:
                record = cls._connector(station, connector, evse, at_)
                connectors = [record]
            # An older report replayed late does not undo a newer one.
            connectors = [c for c in connectors
                if not c.status_at or c.status_at <= at_]
            if connectors:
                Connector.set_status(connectors, status,
                    error_code=error_code, info=info, at=at_)
            label = cls._status_label(status)
            if record:
                description = gettext(
                    'ev_station.msg_gateway_status_connector',
                    connector=record.number, status=label)
            else:
                description = gettext(
                    'ev_station.msg_gateway_status_station', status=label)
            cls._event(station, connector=record, at=at_,
                kind='fault' if fault else 'status',
                severity='error' if fault else 'info',
                description=description, error_code=error,
                payload=dumps({'info': info}) if info else None)
            if record is None or connectors:
                # A fault reaches the message centre, its end resolves it.
                Message.station_status(station, record, status,
                    error_code=error, info=info, at=at_)
            cls._seen(station, at_)
            return {}
        return cls._keyed('status', identity, key, {
                'at': at, 'connector': connector, 'evse': evse,
                'status': status, 'error_code': error_code, 'info': info,
                }, work)

    @classmethod
    @gateway('write')
    def start_transaction(cls, identity, key=None, at=None, connector=None,
            evse=None, id_tag=None, meter_start=None, transaction_ref=None):
        "Record a session the charger started and answer for its ID tag"
        pool = Pool()
        Session = pool.get('ev.session')
        at_ = parse_utc(at) or utcnow()
        meter = _number(meter_start, 'meter_start')
        ref = str(transaction_ref) if transaction_ref is not None else None

        def work(station):
            session = cls._session(station, ref)
            if session:
                # The same transaction told again under another key.
                tag = cls._id_tag(station, session.id_tag_code)
                return {
                    'session': session.id,
                    'id_tag_status': cls._id_tag_status(
                        station, tag, session.connector),
                    }
            record = cls._connector(station, connector, evse, at_)
            if record is None:
                records = cls._connectors(station)
                if len(records) != 1:
                    cls._missing('start_transaction', 'connector')
                record, = records
            tag = cls._id_tag(station, id_tag)
            status = cls._start_status(station,
                cls._id_tag_status(station, tag, record, at=at_))
            session = Session(
                company=station.company, station=station, connector=record,
                id_tag=tag, id_tag_code=id_tag or None,
                client=tag.party if tag else None)
            # The charger may have started offline, on its local list: the
            # session is recorded whatever the platform thinks of the tag.
            if status != 'accepted':
                session.add_anomaly(gettext(
                        'ev_station.msg_gateway_session_tag_%s' % status,
                        id_tag=id_tag or '-'))
            if not station.may_charge:
                session.add_anomaly(gettext(
                        'ev_station.msg_gateway_session_station',
                        station=station.rec_name))
            session.save()
            Session.start([session], at=at_, meter_start=meter,
                transaction_ref=ref)
            cls._seen(station, at_)
            return {'session': session.id, 'id_tag_status': status}
        return cls._keyed('start_transaction', identity, key, {
                'at': at, 'connector': connector, 'evse': evse,
                'id_tag': id_tag, 'meter_start': meter_start,
                'transaction_ref': transaction_ref,
                }, work)

    @classmethod
    @gateway('write')
    def meter_values(cls, identity, key=None, transaction_ref=None,
            connector=None, samples=None):
        "Record the readings of a session"
        pool = Pool()
        Session = pool.get('ev.session')
        values = cls._samples(samples)

        def work(station):
            session = None
            if transaction_ref not in {None, ''}:
                session = cls._session(station, transaction_ref)
                if not session:
                    cls._event(station, kind='transaction',
                        severity='warning',
                        description=gettext(
                            'ev_station.msg_gateway_meter_values_unknown',
                            transaction=transaction_ref))
            elif connector:
                # Readings outside a transaction (OCPP 1.6 MeterValues
                # without transactionId) go to the session in progress, if
                # any; otherwise only this message keeps them.
                record = cls._connector(station, connector, None, create=False)
                if record:
                    sessions = Session.search([
                            ('connector', '=', record.id),
                            ('state', '=', 'active'),
                            ], limit=1)
                    session = sessions[0] if sessions else None
            if session:
                cls._add_samples(session, values)
            cls._seen(station, max(
                    (v['measured_at'] for v in values), default=utcnow()))
            return {'session': session.id if session else None}
        return cls._keyed('meter_values', identity, key, {
                'transaction_ref': transaction_ref, 'connector': connector,
                'samples': samples,
                }, work)

    @classmethod
    @gateway('write')
    def stop_transaction(cls, identity, key=None, at=None,
            transaction_ref=None, meter_stop=None, reason=None, id_tag=None,
            samples=None):
        "Record the end of a session"
        pool = Pool()
        Session = pool.get('ev.session')
        at_ = parse_utc(at) or utcnow()
        meter = _number(meter_stop, 'meter_stop')
        values = cls._samples(samples)

        def work(station):
            session = cls._session(station, transaction_ref)
            if not session:
                cls._event(station, kind='transaction', severity='error',
                    at=at_, description=gettext(
                        'ev_station.msg_gateway_stop_unknown',
                        transaction=transaction_ref or '-'))
                return {'session': None}
            last = cls._add_samples(session, values)
            session = Session(session.id)
            if id_tag and not session.id_tag_code:
                # OCPP 2.0.1 may start a transaction on plug-in and tell
                # the ID token only later.
                tag = cls._id_tag(station, id_tag)
                session.id_tag = tag
                session.id_tag_code = id_tag
                session.client = tag.party if tag else None
                session.save()
            if meter is None:
                # OCPP 2.0.1 has no meterStop: the last register reading
                # stands for it.
                stop = last
            else:
                stop = meter
            Session.stop([session], at=at_, meter_stop=stop, reason=reason)
            cls._seen(station, at_)
            return {'session': session.id}
        return cls._keyed('stop_transaction', identity, key, {
                'at': at, 'transaction_ref': transaction_ref,
                'meter_stop': meter_stop, 'reason': reason, 'id_tag': id_tag,
                'samples': samples,
                }, work)

    @classmethod
    @gateway('write')
    def event(cls, identity, key=None, at=None, kind=None, severity=None,
            description=None, error_code=None, payload=None,
            connector=None):
        "Record something the charger reported that is worth keeping"
        pool = Pool()
        Message = pool.get('ev.message')
        if not kind:
            cls._missing('event', 'kind')
        at_ = parse_utc(at) or utcnow()

        def work(station):
            record = None
            if connector:
                record = cls._connector(
                    station, connector, None, create=False)
            if payload is None or isinstance(payload, str):
                text = payload
            else:
                text = dumps(payload)
            event = cls._event(station, connector=record, at=at_,
                kind=kind, severity=severity or 'info',
                description=description, error_code=error_code or None,
                payload=text)
            Message.station_event(event)
            cls._seen(station, at_)
            return {}
        return cls._keyed('event', identity, key, {
                'at': at, 'kind': kind, 'severity': severity,
                'description': description, 'error_code': error_code,
                'payload': payload, 'connector': connector,
                }, work)

    # The daemon's own needs

    @classmethod
    @gateway('write')
    def reserve_transaction_ids(cls, daemon, count):
        "Reserve count OCPP 1.6 transaction ids and return [first, last]"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        if (not isinstance(count, int) or isinstance(count, bool)
                or not 0 < count <= MAX_RESERVE):
            raise GatewayArgumentError(gettext(
                    'ev_station.msg_gateway_reserve_count',
                    count=count, maximum=MAX_RESERVE))
        config = Configuration(1)
        sequence = config.ocpp_transaction_sequence
        # A strict sequence locks its record before it counts, so the
        # numbers of one call follow each other, and no other transaction
        # gets any of them: on PostgreSQL through the row lock Tryton takes
        # when the transaction starts, on SQLite because it has a single
        # writer.
        values = list(sequence.get_many(count))
        try:
            numbers = [int(v) for v in values]
        except ValueError:
            numbers = [None]
        if numbers[0] is None or numbers != list(
                range(numbers[0], numbers[0] + count)):
            # 1.6 transaction ids are integers handed out as a range.
            raise GatewayConfigurationError(gettext(
                    'ev_station.msg_gateway_transaction_sequence',
                    sequence=sequence.rec_name))
        logger.info("reserved transaction ids %s-%s for daemon %s",
            numbers[0], numbers[-1], daemon)
        return [numbers[0], numbers[-1]]

    @classmethod
    @gateway('read')
    def pending_commands(cls, daemon, limit=None):
        "Return the commands waiting for the stations the daemon holds"
        pool = Pool()
        Command = pool.get('ev.station.command')
        if not daemon:
            cls._missing('pending_commands', 'daemon')
        if not isinstance(limit, int) or not 0 < limit <= MAX_COMMANDS:
            limit = DEFAULT_COMMANDS
        cls._orphan_commands()
        commands = Command.search([
                ('state', '=', 'pending'),
                ('station.ocpp_daemon', '=', daemon),
                ], order=[('requested_at', 'ASC'), ('id', 'ASC')],
            limit=limit)
        result = []
        for command in commands:
            connector = command.connector
            result.append({
                    'id': command.id,
                    'identity': command.station.identity,
                    'action': command.action,
                    'connector': (cls._ocpp_connector_id(connector)
                        if connector else None),
                    'evse': connector.evse if connector else None,
                    'parameters': command.arguments,
                    'transaction_ref': (command.session.transaction_ref
                        if command.session else None),
                    })
        return result

    @classmethod
    def _orphan_commands(cls):
        "Answer not connected the pending commands no daemon holds"
        pool = Pool()
        Command = pool.get('ev.station.command')
        # Only the daemon that holds a charger picks up its commands: the
        # commands of a station that no daemon holds would wait forever.
        commands = Command.search([
                ('state', '=', 'pending'),
                ('station.ocpp_daemon', '=', None),
                ])
        if commands:
            Command.set_result(commands, 'not_connected')

    @classmethod
    @gateway('write')
    def command_result(cls, command, state, response=None, error=None,
            daemon=None):
        "Record what became of a command and return its state"
        pool = Pool()
        Command = pool.get('ev.station.command')
        if state not in COMMAND_RESULTS:
            raise GatewayArgumentError(gettext(
                    'ev_station.msg_gateway_command_state', state=state))
        commands = Command.search([
                ('id', '=', command if isinstance(command, int) else -1),
                ], limit=1)
        if not commands:
            raise GatewayCommandError(gettext(
                    'ev_station.msg_gateway_command_unknown',
                    command=command))
        # set_result goes through the workflow: a late or repeated answer
        # leaves a finished command as it is.
        Command.set_result(commands, state, response=response,
            error=error or None, daemon=daemon)
        record, = commands
        return {'state': Command(record.id).state}

    @classmethod
    @gateway('write')
    def report_failure(cls, daemon, method, error, payload=None):
        """Record that the platform refused a call of the daemon for good:
        the daemon keeps it as a dead letter"""
        pool = Pool()
        Message = pool.get('ev.message')
        if not daemon:
            cls._missing('report_failure', 'daemon')
        if not method:
            cls._missing('report_failure', 'method')
        Message.ocpp_dead_letter(str(daemon), str(method), error, payload)
        return {}

    # Helpers

    @classmethod
    def _missing(cls, action, argument):
        "Raise that the call action lacks argument"
        raise GatewayArgumentError(gettext(
                'ev_station.msg_gateway_argument_missing',
                action=action, argument=argument))

    @classmethod
    def _invalid(cls, name, value):
        "Raise that value is not valid for name"
        raise GatewayArgumentError(gettext(
                'ev_station.msg_gateway_argument_invalid',
                name=name, value=value))

    @classmethod
    def _find_station(cls, identity):
        "Return the station with the identity, archived ones included"
        pool = Pool()
        Station = pool.get('ev.station')
        if not identity:
            return None
        with Transaction().set_context(active_test=False):
            stations = Station.search([
                    ('identity', '=', identity),
                    ], limit=1)
        return stations[0] if stations else None

    @classmethod
    def _station(cls, identity):
        "Return the station with the identity or raise"
        station = cls._find_station(identity)
        if station is None:
            raise GatewayStationError(gettext(
                    'ev_station.msg_gateway_station_unknown',
                    identity=identity))
        return station

    @classmethod
    def _keyed(cls, action, identity, key, payload, work):
        """Run work(station) once for the station and key

        The first call stores the result in ev.ocpp.message; a replay with
        the same key returns it and changes nothing. A call without key
        (a live call the daemon does not retry, like a boot) is done every
        time.
        """
        pool = Pool()
        Message = pool.get('ev.ocpp.message')
        station = cls._station(identity)
        if key is None or key == '':
            return work(station)
        message, new = Message.claim(station, str(key), action, payload)
        if not new:
            if message.action != action:
                raise GatewayArgumentError(gettext(
                        'ev_station.msg_gateway_key_reused',
                        key=key, action=action, other=message.action))
            return message.result_value
        result = work(station)
        message.store(result)
        return result

    @classmethod
    def _refuse(cls, identity, reason, remote_address):
        "Return the answer that refuses a connection for reason"
        logger.info("connection of %r from %s refused: %s",
            identity, remote_address, reason)
        return {
            'accepted': False,
            'reason': reason,
            'registration_status': None,
            'heartbeat_interval': None,
            }

    @classmethod
    def _register(cls, identity, password, remote_address):
        "Create a draft station pending registration for an unknown charger"
        pool = Pool()
        Station = pool.get('ev.station')
        User = pool.get('res.user')
        company = Transaction().context.get('company')
        if company is None:
            company = User(Transaction().user).company
        if company is None:
            logger.warning(
                "no company to register the unknown station %r in", identity)
            return None
        station = Station(
            name=identity, identity=identity, company=company,
            state='draft', registration_status='pending',
            password=password or None)
        try:
            station.save()
        except SQLConstraintError as exception:
            # The same charger connected twice at once: the new transaction
            # finds the station the other one registered.
            raise ConcurrentInsertError() from exception
        cls._event(station, kind='connection', severity='warning',
            description=gettext('ev_station.msg_gateway_registered',
                address=remote_address or '-'))
        return station

    @classmethod
    def _heartbeat_interval(cls, station):
        "Return the heartbeat interval the station is told"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        return (station.heartbeat_interval
            or Configuration(1).heartbeat_interval)

    @classmethod
    def _seen(cls, station, at, live=False):
        """Record that the station was heard from at

        Only live calls and stations a daemon holds count: a message the
        outbox delivers late does not bring a station back online.
        """
        pool = Pool()
        Station = pool.get('ev.station')
        if not live:
            # A late delivery may race the disconnection: decide on the
            # station as it is once locked (on SQLite reads come before the
            # write lock otherwise, and the disconnection would be undone).
            Station.lock([station])
            station = Station(station.id)
        if not (live or station.ocpp_daemon):
            return
        if station.last_seen_at and at < station.last_seen_at:
            at = station.last_seen_at
        Station.set_seen([station], online=True, at=at)

    @classmethod
    def _event(cls, station, kind, description, severity='info', at=None,
            connector=None, error_code=None, payload=None):
        "Create and return an event of the station"
        pool = Pool()
        Event = pool.get('ev.station.event')
        event = Event(
            station=station, connector=connector, kind=kind,
            severity=severity, occurred_at=at or utcnow(),
            description=description, error_code=error_code, payload=payload)
        event.save()
        return event

    @classmethod
    def _connectors(cls, station):
        "Return the connectors of the station by number"
        pool = Pool()
        Connector = pool.get('ev.connector')
        return Connector.search([
                ('station', '=', station.id),
                ], order=[('number', 'ASC'), ('id', 'ASC')])

    @classmethod
    def _connector(cls, station, number, evse, at=None, create=True):
        """Return the connector of the station the charger means

        On an OCPP 2.0.1 station, number counts the connectors of the EVSE
        evse from 1; otherwise it is the station-wide connectorId of OCPP
        1.6, and evse only helps when number is missing.
        An unknown connector is created with the configuration's default
        type when create is set.
        """
        number = _number(number, 'connector')
        evse = _number(evse, 'evse')
        if not number and not evse:
            return None
        connectors = cls._connectors(station)
        if evse and (station.ocpp_version == '2.0.1' or not number):
            same = [c for c in connectors if c.evse == evse]
            index = (number or 1) - 1
            if 0 <= index < len(same):
                return same[index]
        else:
            for connector in connectors:
                if connector.number == number:
                    return connector
        if not create:
            return None
        return cls._create_connector(station, connectors, number, evse, at)

    @classmethod
    def _create_connector(cls, station, connectors, number, evse, at):
        "Create a connector the charger reported and leave a warning"
        pool = Pool()
        Connector = pool.get('ev.connector')
        Configuration = pool.get('ev.configuration')
        type_ = Configuration(1).default_connector_type
        numbers = {c.number for c in connectors}
        if evse and (station.ocpp_version == '2.0.1' or not number):
            number = evse if evse not in numbers else max(numbers) + 1
        if number < 1:
            cls._invalid('connector', number)
        if station.ocpp_version != '2.0.1':
            # The model's convention for OCPP 1.6 chargers.
            evse = number
        connector = Connector(
            station=station, number=number, evse=evse,
            type=type_, max_power=type_.max_power or DEFAULT_MAX_POWER)
        try:
            connector.save()
        except SQLConstraintError as exception:
            # Two reports of the new connector at once.
            raise ConcurrentInsertError() from exception
        cls._event(station, connector=connector, kind='message',
            severity='warning', at=at,
            description=gettext('ev_station.msg_gateway_connector_created',
                connector=number, type=type_.rec_name))
        return connector

    @classmethod
    def _ocpp_connector_id(cls, connector):
        "Return the connectorId the charger knows the connector by"
        if connector.station.ocpp_version == '2.0.1':
            same = [c for c in cls._connectors(connector.station)
                if c.evse == connector.evse]
            return same.index(connector) + 1
        return connector.number

    @classmethod
    def _status_label(cls, status):
        "Return the label of the connector status"
        pool = Pool()
        Connector = pool.get('ev.connector')
        selection = Connector.fields_get(['status'])['status']['selection']
        return dict(selection).get(status, status)

    @classmethod
    def _session(cls, station, transaction_ref):
        "Return the session of the station with transaction_ref, or None"
        pool = Pool()
        Session = pool.get('ev.session')
        if transaction_ref in {None, ''}:
            return None
        sessions = Session.search([
                ('station', '=', station.id),
                ('transaction_ref', '=', str(transaction_ref)),
                ], limit=1)
        return sessions[0] if sessions else None

    @classmethod
    def _id_tag(cls, station, code):
        "Return the ID tag of the station's company with code, or None"
        pool = Pool()
        IdTag = pool.get('ev.id_tag')
        if not code:
            return None
        domain = [('company', '=', station.company.id)]
        with Transaction().set_context(active_test=False):
            tags = IdTag.search(domain + [('code', '=', code)], limit=1)
            if not tags:
                # OCPP 1.6 idTag is a CiString: compare without case when
                # that finds a single tag.
                escaped = (code.replace('\\', '\\\\')
                    .replace('%', '\\%').replace('_', '\\_'))
                tags = IdTag.search(
                    domain + [('code', 'ilike', escaped)], limit=2)
                if len(tags) != 1:
                    tags = []
        return tags[0] if tags else None

    @classmethod
    def _start_status(cls, station, status):
        """Return the status that answers a new start at the station: a tag
        the platform accepts is still blocked where the station may not
        charge, for instance because its partner is suspended"""
        if status == 'accepted' and not station.may_charge:
            return 'blocked'
        return status

    @classmethod
    def _id_tag_status(cls, station, tag, connector=None, at=None):
        """Return the authorization status of tag: accepted, blocked,
        expired, invalid or concurrent_tx"""
        pool = Pool()
        Session = pool.get('ev.session')
        if tag is None:
            return 'invalid'
        status = tag.get_effective_status(None, at=at or utcnow())
        if status != 'accepted':
            return status
        domain = [
            ('id_tag', '=', tag.id),
            ('state', '=', 'active'),
            ]
        # Without a connector (Authorize), a session on this station is
        # the one the driver may want to stop with the same card.
        if connector:
            domain.append(('connector', '!=', connector.id))
        else:
            domain.append(('station', '!=', station.id))
        if Session.search(domain, limit=1):
            return 'concurrent_tx'
        return 'accepted'

    @classmethod
    def _expires_at(cls, tag):
        "Return the earliest expiry of the tag and its parents"
        dates = []
        seen = set()
        while tag and tag.id not in seen:
            seen.add(tag.id)
            if tag.expires_at:
                dates.append(tag.expires_at)
            tag = tag.parent
        return min(dates, default=None)

    @classmethod
    def _samples(cls, samples):
        "Return the meter samples as meter value dictionaries"
        result = []
        for sample in samples or []:
            if not isinstance(sample, dict):
                cls._invalid('samples', sample)
            soc = _number(sample.get('soc'), 'soc')
            if soc is not None and not 0 <= soc <= 100:
                # A charger's wrong state of charge is not worth losing
                # the other readings for.
                soc = None
            values = {
                'energy_wh': _number(sample.get('energy_wh'), 'energy_wh'),
                'power_w': _number(sample.get('power_w'), 'power_w'),
                'current_a': _number(
                    sample.get('current_a'), 'current_a', float),
                'voltage_v': _number(
                    sample.get('voltage_v'), 'voltage_v', float),
                'soc': soc,
                }
            if all(v is None for v in values.values()):
                continue
            values['measured_at'] = parse_utc(sample.get('at')) or utcnow()
            result.append(values)
        return result

    @classmethod
    def _add_samples(cls, session, samples):
        """Add the samples to the session and fold the energy register
        into it; return the last register reading"""
        pool = Pool()
        MeterValue = pool.get('ev.session.meter_value')
        Session = pool.get('ev.session')
        new = MeterValue.create([{**s, 'session': session.id}
                for s in samples])
        readings = MeterValue.search([
                ('session', '=', session.id),
                ('energy_wh', '!=', None),
                ], order=[('measured_at', 'ASC'), ('id', 'ASC')])
        if not readings:
            return None
        session = Session(session.id)
        if session.meter_start is None and session.state == 'active':
            # OCPP 2.0.1 has no meterStart: the first register reading of
            # the session stands for it.
            session.meter_start = readings[0].energy_wh
        new = set(new)
        previous = session.meter_start
        for reading in readings:
            if (reading in new and previous is not None
                    and reading.energy_wh < previous):
                # A register that goes backwards is a charger fault or a
                # meter swap: keep the reading, flag the session.
                session.add_anomaly(gettext(
                        'ev_station.msg_gateway_meter_value_backwards',
                        reading=reading.energy_wh, previous=previous,
                        at=format_utc(reading.measured_at)))
            previous = reading.energy_wh
        last = readings[-1].energy_wh
        if session.state == 'active':
            session.energy_wh = session.compute_energy(last)
        session.save()
        return last
