# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""What the stations tell the message centre: faults, silence, failed
firmware and diagnostics, the results of the commands the staff sent and
the OCPP daemon's dead letters"""
import datetime as dt
import json

from trytond.modules.ev_partner.tools import lock, utcnow
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

# The commands that change a station: their initiator hears how they ended.
# The reads (get_*, trigger_message) answer on the command itself, and a
# remote start answers with its session.
CONFIRMED_ACTIONS = {
    'reset', 'unlock_connector', 'change_availability', 'remote_stop',
    'change_configuration', 'set_variables', 'clear_cache',
    'update_firmware', 'send_local_list', 'set_charging_profile',
    'clear_charging_profile', 'cancel_reservation',
    }
# A command in one of these states has not ended yet.
UNFINISHED = {'draft', 'pending', 'sent'}
# The statuses of FirmwareStatusNotification, LogStatusNotification and
# DiagnosticsStatusNotification (1.6 and 2.0.1) that tell of a failure, and
# those that tell it is over.
FAILED_STATUSES = {
    'DownloadFailed', 'InstallationFailed', 'InstallVerificationFailed',
    'InvalidSignature', 'InvalidCertificate', 'RevokedCertificate',
    'UploadFailed', 'UploadFailure', 'BadMessage', 'PermissionDenied',
    }
DONE_STATUSES = {'Installed', 'Uploaded'}
# The most of a payload a message quotes.
PAYLOAD_SIZE = 2000


def _status_word(event):
    "Return the OCPP status a firmware or diagnostics event reports"
    return (event.description or '').rsplit(':', 1)[-1].strip()


def _text(value):
    "Return value as text, a JSON dump when it is not already text"
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _at(value):
    return value.replace(microsecond=0).isoformat(' ') if value else '-'


class Message(metaclass=PoolMeta):
    __name__ = 'ev.message'

    @classmethod
    def _resource_models(cls):
        return super()._resource_models() | {
            'ev.station', 'ev.session', 'ev.connector',
            'ev.station.command', 'ev.station.event'}

    @classmethod
    def _summary_lines(cls, date, partner):
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        lines = super()._summary_lines(date, partner)
        start = dt.datetime.combine(date, dt.time())
        session_domain = [
            ('start_at', '>=', start),
            ('start_at', '<', start + dt.timedelta(days=1)),
            ]
        station_domain = [('state', '=', 'connected')]
        if partner:
            session_domain.append(('station.partner', '=', partner.id))
            station_domain.append(('partner', '=', partner.id))
        with without_check_access():
            sessions = Session.search(session_domain)
            stations = Station.search(station_domain)
        energy_wh = sum(s.energy_wh or 0 for s in sessions)
        lines.append(('ev_station.msg_summary_sessions', {
                    'sessions': len(sessions),
                    'energy': '%.1f' % (energy_wh / 1000),
                    }))
        lines.append(('ev_station.msg_summary_offline', {
                    'offline': len([s for s in stations if not s.online]),
                    'stations': len(stations),
                    }))
        return lines

    # Station messages

    @classmethod
    def _fault_key(cls, station, connector=None):
        return 'station-fault:%s:%s' % (
            station.id, connector.number if connector else 0)

    @classmethod
    def station_status(cls, station, connector, status, error_code=None,
            info=None, at=None):
        """Post the fault a connector (None: the whole station) reports, or
        resolve it once the connector works again"""
        key = cls._fault_key(station, connector)
        if status == 'faulted' or error_code:
            cls._post_fault(station, connector, error_code, info, at, key)
        elif status != 'unknown':
            cls.resolve_key(key)

    @classmethod
    def _post_fault(cls, station, connector, error_code, info, at, key):
        variables = {
            'station': station.rec_name,
            'connector': connector.number if connector else 0,
            'error': error_code or '-',
            'info': info or '-',
            'at': _at(at or utcnow()),
            }
        return cls.post('station',
            ('ev_station.msg_alert_fault_subject', variables),
            ('ev_station.msg_alert_fault_body', variables),
            priority='high', key=key, resource=station,
            partner=station.partner)

    @classmethod
    def station_event(cls, event):
        """Post what an event the charger reported calls for: a fault, a
        failed firmware update or diagnostics upload"""
        station = event.station
        if event.kind == 'fault':
            cls._post_fault(station, event.connector,
                event.error_code or event.description, event.payload,
                event.occurred_at,
                cls._fault_key(station, event.connector))
        elif event.kind in {'firmware', 'diagnostics'}:
            key = 'station-%s:%s' % (event.kind, station.id)
            status = _status_word(event)
            if event.severity == 'error' or status in FAILED_STATUSES:
                variables = {
                    'station': station.rec_name,
                    'status': status or '-',
                    'description': event.description or '-',
                    'at': _at(event.occurred_at),
                    }
                cls.post('station',
                    ('ev_station.msg_alert_%s_subject' % event.kind,
                        variables),
                    ('ev_station.msg_alert_event_body', variables),
                    key=key, resource=station, partner=station.partner)
            elif status in DONE_STATUSES:
                cls.resolve_key(key)

    @classmethod
    def station_offline(cls, stations, now=None):
        """Post one message per station offline since before now, once per
        time it went offline"""
        now = now or utcnow()
        if not stations:
            return
        keys = {s.id: 'station-offline:%s' % s.id for s in stations}
        # Once per outage, even when the operator resolved it: the latest
        # message of each key, in one query for all the stations.
        posted = {}
        with without_check_access():
            for message in cls.search([
                        ('key', 'in', list(keys.values())),
                        ('last_at', '>=',
                            min(s.offline_since for s in stations)),
                        ]):
                posted[message.key] = max(
                    posted.get(message.key, message.last_at),
                    message.last_at)
        for station in stations:
            key = keys[station.id]
            if key in posted and posted[key] >= station.offline_since:
                continue
            variables = {
                'station': station.rec_name,
                'since': _at(station.offline_since),
                'minutes': int(
                    (now - station.offline_since).total_seconds() // 60),
                'seen': _at(station.last_seen_at),
                }
            cls.post('station',
                ('ev_station.msg_alert_offline_subject', variables),
                ('ev_station.msg_alert_offline_body', variables),
                priority='high', key=key, resource=station,
                partner=station.partner)

    @classmethod
    def station_online(cls, stations):
        "Resolve the offline messages of the stations back online"
        if stations:
            cls.resolve_key(['station-offline:%s' % s.id for s in stations])

    # Confirmations

    @classmethod
    def _confirmation_initiator(cls, user):
        "Return the user a confirmation goes to, None for no one"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        if not user or not user.id:
            return None
        # The daemon and the app's clients have no inbox to read it in.
        if user.id == ModelData.get_id('ev_station', 'user_ocpp'):
            return None
        client = ModelData.get_id('ev_partner', 'group_ev_client')
        if client in {g.id for g in user.groups}:
            return None
        return user

    @classmethod
    def confirm_commands(cls, commands):
        """Post to their initiator the confirmations of the commands that
        just ended; a batch gets one summary once its last command ends"""
        pool = Pool()
        Command = pool.get('ev.station.command')
        batches = set()
        for command in commands:
            if command.state in UNFINISHED:
                continue
            if command.action not in CONFIRMED_ACTIONS:
                continue
            user = cls._confirmation_initiator(command.user)
            if not user:
                continue
            if command.batch:
                batches.add(command.batch)
                continue
            cls._confirm_command(command, user)
        for batch in sorted(batches):
            with without_check_access():
                others = Command.search([('batch', '=', batch)])
                # The last two commands of a batch may end at once: the
                # lock makes one of them wait and then see the other.
                lock(Command, others)
            if any(c.state in UNFINISHED for c in others):
                continue
            cls._confirm_batch(others, others[0].user)

    @classmethod
    def _labels(cls, command):
        fields = command.fields_get(['action', 'state'])
        return (
            dict(fields['action']['selection']).get(command.action),
            dict(fields['state']['selection']).get(command.state))

    @classmethod
    def _command_target(cls, command):
        if command.connector:
            return command.connector.rec_name
        return command.station.rec_name

    @classmethod
    def _confirmed(cls, key):
        with without_check_access():
            return bool(cls.search([('key', '=', key)], limit=1))

    @classmethod
    def _confirm_command(cls, command, user):
        key = 'command:%s' % command.id
        if cls._confirmed(key):
            return
        action, state = cls._labels(command)
        variables = {
            'action': action,
            'target': cls._command_target(command),
            'state': state,
            'requested': _at(command.requested_at),
            'detail': command.error or command.response or '-',
            }
        success = command.state == 'accepted'
        message = cls.post('confirmation',
            ('ev_station.msg_confirm_command_subject', variables),
            ('ev_station.msg_confirm_command_body', variables),
            priority='normal' if success else 'high', key=key,
            resource=command, initiator=user)
        if success:
            # Nothing left to do about it: it is read, not resolved.
            cls.resolve_messages([message])
        return message

    @classmethod
    def _confirm_batch(cls, commands, user):
        key = 'command-batch:%s' % commands[0].batch
        if cls._confirmed(key):
            return
        succeeded = [c for c in commands if c.state == 'accepted']
        lines = []
        actions = []
        for command in commands:
            action, state = cls._labels(command)
            if action not in actions:
                actions.append(action)
            lines.append('- %s: %s%s' % (cls._command_target(command), state,
                    ' (%s)' % command.error if command.error else ''))
        variables = {
            'action': ', '.join(actions),
            'count': len(commands),
            'succeeded': len(succeeded),
            'failed': len(commands) - len(succeeded),
            'requested': _at(min(
                    (c.requested_at for c in commands if c.requested_at),
                    default=None)),
            'lines': '\n'.join(lines),
            }
        success = len(succeeded) == len(commands)
        message = cls.post('confirmation',
            ('ev_station.msg_confirm_batch_subject', variables),
            ('ev_station.msg_confirm_batch_body', variables),
            priority='normal' if success else 'high', key=key,
            resource=commands[0], initiator=user)
        if success:
            cls.resolve_messages([message])
        return message

    @classmethod
    def confirm_disconnected(cls, stations):
        """Post to the current user the confirmation of the stations they
        disconnected from the network: a record of the critical operation,
        one for all the stations of a click"""
        pool = Pool()
        User = pool.get('res.user')
        user = cls._confirmation_initiator(User(Transaction().user))
        if not user or not stations:
            return
        names = sorted(s.rec_name for s in stations)
        variables = {
            'count': len(names),
            'stations': '\n'.join('- %s' % n for n in names),
            }
        message = cls.post('confirmation',
            ('ev_station.msg_confirm_disconnected_subject', variables),
            ('ev_station.msg_confirm_disconnected_body', variables),
            resource=stations[0] if len(stations) == 1 else None,
            initiator=user)
        # Done when posted: it is read, not resolved.
        cls.resolve_messages([message])
        return message

    # The OCPP daemon

    @classmethod
    def ocpp_dead_letter(cls, daemon, method, error, payload=None):
        "Post that Tryton refused for good a message of the OCPP daemon"
        pool = Pool()
        Station = pool.get('ev.station')
        # A refusal is ['UserError', [message, description, ...]].
        if (isinstance(error, (list, tuple)) and len(error) > 1
                and isinstance(error[1], (list, tuple)) and error[1]):
            error = error[1][0]
        resource = None
        if (isinstance(payload, (list, tuple)) and payload
                and isinstance(payload[0], str)):
            # The facade's calls about a charger start with its identity.
            with without_check_access():
                stations = Station.search([
                        ('identity', '=', payload[0]),
                        ('active', 'in', [True, False]),
                        ], limit=1)
            resource = stations[0] if stations else None
        variables = {
            'daemon': daemon,
            'method': method,
            'error': _text(error)[:PAYLOAD_SIZE],
            'payload': _text(payload)[:PAYLOAD_SIZE],
            }
        return cls.post('error',
            ('ev_station.msg_ocpp_dead_subject', variables),
            ('ev_station.msg_ocpp_dead_body', variables),
            priority='high', key='ocpp-dead:%s:%s' % (daemon, method),
            resource=resource)
