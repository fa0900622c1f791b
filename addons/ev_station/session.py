# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.currency.fields import Monetary
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import SessionValidationError

# Neutral stop reasons: OCPP 1.6 StopTransaction.reason and the 2.0.1
# TransactionEvent stoppedReason map onto these.
STOP_REASONS = [
    (None, ""),
    ('local', "Stopped at the Charger"),
    ('remote', "Stopped Remotely"),
    ('ev_disconnected', "Vehicle Disconnected"),
    ('de_authorized', "Deauthorized"),
    ('emergency_stop', "Emergency Stop"),
    ('energy_limit', "Energy Limit Reached"),
    ('hard_reset', "Hard Reset"),
    ('soft_reset', "Soft Reset"),
    ('reboot', "Reboot"),
    ('power_loss', "Power Loss"),
    ('unlock_command', "Connector Unlocked"),
    ('timeout', "Timeout"),
    ('other', "Other"),
    ]


class Session(Workflow, ModelSQL, ModelView):
    __name__ = 'ev.session'
    __string__ = "EV Charging Session"
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state') != 'pending',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT',
        states=_states)
    number = fields.Char("Number", readonly=True)
    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states=_states)
    connector = fields.Many2One(
        'ev.connector', "Connector", required=True, ondelete='RESTRICT',
        domain=[('station', '=', Eval('station', -1))],
        states=_states)
    partner = fields.Function(
        fields.Many2One('party.party', "Owner Partner",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'on_change_with_partner', searcher='search_partner')
    id_tag = fields.Many2One(
        'ev.id_tag', "ID Tag", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states=_states)
    id_tag_code = fields.Char(
        "ID Tag Code", states=_states,
        help="The identifier as the charger sent it, kept even when the "
        "platform does not know the tag.")
    client = fields.Many2One(
        'party.party', "Client", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states=_states)
    transaction_ref = fields.Char(
        "Transaction Reference", readonly=True,
        help="The OCPP transactionId: unique on each station.")
    start_at = fields.DateTime("Started at", readonly=True)
    stop_at = fields.DateTime(
        "Stopped at", readonly=True,
        domain=[If(Eval('stop_at') & Eval('start_at'),
                ('stop_at', '>=', Eval('start_at')),
                ())])
    meter_start = fields.Integer(
        "Meter Start (Wh)", readonly=True,
        help="The energy register of the connector when the session "
        "started.")
    meter_stop = fields.Integer("Meter Stop (Wh)", readonly=True)
    energy_wh = fields.Integer(
        "Energy (Wh)", readonly=True,
        help="Energy delivered so far: the last reading minus the start.")
    duration = fields.Function(
        fields.TimeDelta("Duration"), 'get_duration')
    currency = fields.Many2One(
        'currency.currency', "Currency", ondelete='RESTRICT',
        states=_states)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True,
        help="The price of the session, set by the pricing engine; "
        "empty until the session is priced.")
    stop_reason = fields.Selection(
        STOP_REASONS, "Stop Reason", readonly=True, sort=False)
    stop_reason_name = fields.Function(
        fields.Char("Stop Reason",
            help="The name of the stop reason in the reference data."),
        'get_stop_reason_name')
    state = fields.Selection([
            ('pending', "Pending"),
            ('active', "Active"),
            ('finished', "Finished"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    meter_values = fields.One2Many(
        'ev.session.meter_value', 'session', "Meter Values", readonly=True)
    anomaly = fields.Text(
        "Anomaly", readonly=True,
        states={
            'invisible': ~Eval('anomaly'),
            },
        help="What was odd about the data the charger sent.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('station_transaction_unique',
                Unique(t, t.station, t.transaction_ref),
                'ev_station.msg_session_transaction_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['pending', 'active'])),
                Index(t, (t.start_at, Index.Range(order='DESC'))),
                Index(t, (t.client, Index.Range())),
                })
        cls._order = [('start_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('pending', 'active'),
            ('pending', 'failed'),
            ('active', 'finished'),
            ('active', 'failed'),
            }
        cls._buttons.update({
                'remote_stop': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'fail': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_state(cls):
        return 'pending'

    @fields.depends('company', 'currency')
    def on_change_company(self):
        if self.company and not self.currency:
            self.currency = self.company.currency

    @fields.depends('station')
    def on_change_with_partner(self, name=None):
        return self.station.partner if self.station else None

    @classmethod
    def search_partner(cls, name, clause):
        return [('station.partner',) + tuple(clause[1:])]

    @fields.depends('id_tag', 'client', 'id_tag_code')
    def on_change_id_tag(self):
        if self.id_tag:
            self.id_tag_code = self.id_tag.code
            if not self.client:
                self.client = self.id_tag.party

    @classmethod
    def get_stop_reason_name(cls, sessions, name):
        pool = Pool()
        Reason = pool.get('ev.reason')
        reasons = Reason.get('stop', [s.stop_reason for s in sessions])
        labels = dict(cls.fields_get(
                ['stop_reason'])['stop_reason']['selection'])
        result = {}
        for session in sessions:
            reason = reasons.get(session.stop_reason)
            result[session.id] = (reason.name if reason
                else labels.get(session.stop_reason) or None)
        return result

    def get_duration(self, name):
        if self.start_at:
            return (self.stop_at or utcnow()) - self.start_at

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Company = pool.get('company.company')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            config = Configuration(1)
            values['number'] = config.session_sequence.get()
        if (mode == 'create' and not values.get('currency')
                and values.get('company') is not None):
            # The gateway creates sessions without a company in context.
            values['currency'] = Company(values['company']).currency.id
        return values

    @classmethod
    def copy(cls, sessions, default=None):
        # A copy is a new, pending session: what the charger reported
        # belongs to the original only.
        default = default.copy() if default is not None else {}
        for name in ['number', 'transaction_ref', 'start_at', 'stop_at',
                'meter_start', 'meter_stop', 'energy_wh', 'stop_reason',
                'meter_values', 'anomaly', 'amount']:
            default.setdefault(name)
        return super().copy(sessions, default=default)

    @classmethod
    def check_modification(cls, mode, sessions, values=None, external=False):
        super().check_modification(
            mode, sessions, values=values, external=external)
        if mode == 'delete':
            for session in sessions:
                if session.state != 'pending':
                    raise SessionValidationError(gettext(
                            'ev_station.msg_session_delete_not_pending',
                            session=session.rec_name))

    def compute_energy(self, reading=None):
        "Return the energy in Wh between the start and reading"
        if reading is None:
            reading = self.meter_stop
        if reading is None or self.meter_start is None:
            return self.energy_wh
        return max(reading - self.meter_start, 0)

    def add_anomaly(self, text):
        "Add text to the anomaly of the session unless it is there"
        lines = (getattr(self, 'anomaly', None) or '').splitlines()
        if text not in lines:
            self.anomaly = '\n'.join(lines + [text])

    @classmethod
    @Workflow.transition('active')
    def start(cls, sessions, at=None, meter_start=None,
            transaction_ref=None):
        "Mark the sessions as charging since at (UTC)"
        for session in sessions:
            session.start_at = at or session.start_at or utcnow()
            if meter_start is not None:
                session.meter_start = meter_start
            if transaction_ref is not None:
                session.transaction_ref = transaction_ref
            session.energy_wh = 0
        cls.save(sessions)

    @classmethod
    @Workflow.transition('finished')
    def stop(cls, sessions, at=None, meter_stop=None, reason=None):
        "Close the sessions at (UTC) with the final meter reading"
        for session in sessions:
            session.stop_at = at or utcnow()
            if session.start_at and session.stop_at < session.start_at:
                session.stop_at = session.start_at
            if meter_stop is not None:
                session.meter_stop = meter_stop
            session.stop_reason = reason or session.stop_reason or 'other'
            if (session.meter_stop is not None
                    and session.meter_start is not None
                    and session.meter_stop < session.meter_start):
                # A register that went backwards is a charger fault (or a
                # meter swap): keep what was sent, bill nothing for it.
                session.add_anomaly(gettext(
                        'ev_station.msg_session_meter_backwards',
                        start=session.meter_start, stop=session.meter_stop))
            session.energy_wh = session.compute_energy()
        cls.save(sessions)

    @classmethod
    @ModelView.button
    def remote_stop(cls, sessions):
        pool = Pool()
        Command = pool.get('ev.station.command')
        Command.request([
                Command(station=s.station, connector=s.connector,
                    session=s, action='remote_stop')
                for s in sessions])

    @classmethod
    @ModelView.button
    def close(cls, sessions):
        "Close sessions whose charger will never report their end"
        cls.stop(sessions, reason='other')

    @classmethod
    @ModelView.button
    @Workflow.transition('failed')
    def fail(cls, sessions):
        pass


class MeterValue(ModelSQL, ModelView):
    __name__ = 'ev.session.meter_value'
    __string__ = "EV Session Meter Value"

    session = fields.Many2One(
        'ev.session', "Session", required=True, ondelete='CASCADE')
    measured_at = fields.DateTime("Measured at", required=True)
    energy_wh = fields.Integer(
        "Energy Register (Wh)",
        help="Energy.Active.Import.Register: the meter's running total.")
    power_w = fields.Integer("Power (W)")
    current_a = fields.Float("Current (A)", digits=(16, 1))
    voltage_v = fields.Float("Voltage (V)", digits=(16, 1))
    soc = fields.Integer(
        "State of Charge (%)",
        domain=['OR',
            ('soc', '=', None),
            [('soc', '>=', 0), ('soc', '<=', 100)],
            ])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('session')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.session, Index.Range()),
                (t.measured_at, Index.Range())))
        cls._order = [('measured_at', 'ASC'), ('id', 'ASC')]
