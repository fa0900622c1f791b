# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import datetime as dt
import json
import uuid

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import (
    CommandModificationError, CommandValidationError, StationCommandError)

# The remote operations of OCPP 1.6 and 2.0.1, by neutral name. The daemon
# maps each one onto the version the charger speaks.
ACTIONS = [
    ('reset', "Reset"),
    ('unlock_connector', "Unlock Connector"),
    ('change_availability', "Change Availability"),
    ('remote_start', "Remote Start"),
    ('remote_stop', "Remote Stop"),
    ('trigger_message', "Trigger Message"),
    ('get_configuration', "Get Configuration"),
    ('change_configuration', "Change Configuration"),
    ('get_variables', "Get Variables"),
    ('set_variables', "Set Variables"),
    ('get_base_report', "Get Base Report"),
    ('clear_cache', "Clear Cache"),
    ('update_firmware', "Update Firmware"),
    ('get_diagnostics', "Get Diagnostics"),
    ('get_log', "Get Log"),
    ('reserve_now', "Reserve Now"),
    ('cancel_reservation', "Cancel Reservation"),
    ('send_local_list', "Send Local List"),
    ('get_local_list_version', "Get Local List Version"),
    ('set_charging_profile', "Set Charging Profile"),
    ('clear_charging_profile', "Clear Charging Profile"),
    ('get_composite_schedule', "Get Composite Schedule"),
    ('data_transfer', "Data Transfer"),
    ]

# The answer of the charger ends a command; until then the daemon owns it.
FINAL_STATES = {'accepted', 'rejected', 'failed', 'not_connected',
    'timed_out', 'cancelled'}


class Command(Workflow, ModelSQL, ModelView):
    __name__ = 'ev.station.command'
    __string__ = "EV Station Command"

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE',
        states=_states)
    connector = fields.Many2One(
        'ev.connector', "Connector", ondelete='CASCADE',
        domain=[('station', '=', Eval('station', -1))],
        states=_states)
    session = fields.Many2One(
        'ev.session', "Session", ondelete='SET NULL',
        domain=[('station', '=', Eval('station', -1))],
        states=_states)
    action = fields.Selection(
        ACTIONS, "Action", required=True, sort=False, states=_states)
    parameters = fields.Text(
        "Parameters", states=_states,
        help="A JSON object with the arguments of the action, e.g. "
        "{\"type\": \"hard\"} for a reset.")
    user = fields.Many2One(
        'res.user', "Requested by", readonly=True, ondelete='SET NULL')
    state = fields.Selection([
            ('draft', "Draft"),
            ('pending', "Pending"),
            ('sent', "Sent"),
            ('accepted', "Accepted"),
            ('rejected', "Rejected"),
            ('failed', "Failed"),
            ('not_connected', "Not Connected"),
            ('timed_out', "Timed Out"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    requested_at = fields.DateTime("Requested at", readonly=True)
    sent_at = fields.DateTime("Sent at", readonly=True)
    answered_at = fields.DateTime("Answered at", readonly=True)
    daemon = fields.Char(
        "Daemon", readonly=True,
        help="The OCPP daemon that holds the charger's connection.")
    response = fields.Text(
        "Response", readonly=True,
        help="The charger's answer, as JSON.")
    error = fields.Char("Error", readonly=True)
    batch = fields.Char(
        "Batch", readonly=True,
        help="Shared by the commands one request sent to several stations "
        "or connectors: their initiator gets one confirmation for all.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('station')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['pending', 'sent'])),
                Index(t,
                    (t.station, Index.Range()),
                    (t.requested_at, Index.Range(order='DESC'))),
                Index(t, (t.batch, Index.Equality()),
                    where=t.batch != Null),
                })
        cls._order = [('requested_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'pending'),
            ('draft', 'cancelled'),
            ('pending', 'cancelled'),
            ('pending', 'sent'),
            ('pending', 'not_connected'),
            ('pending', 'timed_out'),
            ('pending', 'failed'),
            ('sent', 'accepted'),
            ('sent', 'rejected'),
            ('sent', 'failed'),
            ('sent', 'timed_out'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'pending']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_user(cls):
        return Transaction().user

    def get_rec_name(self, name):
        action = dict(self.fields_get(['action'])['action']['selection'])
        return '%s: %s' % (self.station.rec_name, action.get(self.action))

    @classmethod
    def validate_fields(cls, commands, field_names):
        super().validate_fields(commands, field_names)
        cls.check_parameters(commands, field_names)

    @classmethod
    def check_parameters(cls, commands, field_names=None):
        if field_names and 'parameters' not in field_names:
            return
        for command in commands:
            if not command.parameters:
                continue
            try:
                value = json.loads(command.parameters)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise CommandValidationError(gettext(
                        'ev_station.msg_command_parameters_invalid',
                        command=command.rec_name))

    @property
    def arguments(self):
        "The parameters as a dictionary"
        return json.loads(self.parameters) if self.parameters else {}

    @classmethod
    def check_modification(cls, mode, commands, values=None, external=False):
        super().check_modification(
            mode, commands, values=values, external=external)
        if mode == 'delete':
            for command in commands:
                if command.state not in {'draft', 'cancelled'}:
                    raise CommandModificationError(gettext(
                            'ev_station.msg_command_delete',
                            command=command.rec_name))

    @classmethod
    def copy(cls, commands, default=None):
        default = default.copy() if default is not None else {}
        for name in ['state', 'user', 'requested_at', 'sent_at',
                'answered_at', 'daemon', 'response', 'error', 'batch']:
            default.setdefault(name)
        return super().copy(commands, default=default)

    @classmethod
    def request(cls, commands):
        "Save the commands and queue them for the OCPP daemon"
        cls.save(commands)
        cls.send(commands)
        return commands

    @classmethod
    @ModelView.button
    @Workflow.transition('pending')
    def send(cls, commands):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        for command in commands:
            if not command.station.may_charge and command.action not in {
                    'change_availability', 'reset', 'unlock_connector',
                    'remote_stop', 'trigger_message'}:
                # A disconnected station still gets the commands that
                # bring it back to a safe state, never new business.
                raise StationCommandError(gettext(
                        'ev_station.msg_command_station_not_connected',
                        station=command.station.rec_name))
        values = {
            'requested_at': utcnow(),
            'user': Transaction().user or None,
            }
        if len(commands) > 1:
            # One click on several records: one confirmation for all.
            values['batch'] = uuid.uuid4().hex
        cls.write(commands, values)
        actions = dict(cls.fields_get(['action'])['action']['selection'])
        AuditLog.log_many([
                ('command', command, command.station.rec_name, None,
                    '%s %s' % (
                        actions.get(command.action), command.parameters or ''))
                for command in commands])

    @classmethod
    @ModelView.button
    def cancel(cls, commands):
        pool = Pool()
        Message = pool.get('ev.message')
        cls._cancel(commands)
        # The last of a batch may be the one cancelled.
        Message.confirm_commands(
            [c for c in cls.browse([c.id for c in commands]) if c.batch])

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, commands):
        pass

    @classmethod
    def time_out(cls, now=None):
        "End as timed out the commands nobody answered in time"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        now = now or utcnow()
        timeout = dt.timedelta(seconds=Configuration(1).command_timeout)
        # A pending command waits for a daemon to pick it up, a sent one
        # for the charger: each gets the timeout from where it stands.
        commands = cls.search(['OR',
                [('state', '=', 'pending'),
                    ('requested_at', '<', now - timeout)],
                [('state', '=', 'sent'),
                    ('sent_at', '<', now - timeout)],
                ])
        if commands:
            cls.set_result(commands, 'timed_out', at=now)

    @classmethod
    def set_result(cls, commands, state, response=None, error=None,
            daemon=None, at=None):
        "Record what happened to the commands: the daemon calls it"
        pool = Pool()
        Message = pool.get('ev.message')
        assert state in FINAL_STATES | {'sent'}
        values = {}
        if state == 'sent':
            values['sent_at'] = at or utcnow()
        else:
            values['answered_at'] = at or utcnow()
        if response is not None:
            values['response'] = json.dumps(response, sort_keys=True)
        if error is not None:
            values['error'] = error
        if daemon is not None:
            values['daemon'] = daemon
        # Workflow.transition skips records that may not move to state, so
        # a late or duplicate answer leaves a finished command alone.
        ended = []
        if state in FINAL_STATES:
            ended = [c for c in commands
                if (c.state, state) in cls._transitions]
        transition = Workflow.transition(state)(
            lambda cls, records: cls.write(records, values))
        transition(cls, commands)
        if ended:
            Message.confirm_commands(cls.browse([c.id for c in ended]))
