# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import collections
import datetime as dt
import hashlib
import re
import threading

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.company.company import TIMEZONES
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import StationDeleteError, StationValidationError

# The identity is the last path segment of the OCPP endpoint URL, and the
# Basic auth user name of security profiles 1 and 2: OCPP-J 1.6 §3.1.1 and
# the 1.6 security whitepaper §2.1 limit it to 48 unreserved URL characters
# (RFC 3986), so no ':' can break the Basic credentials.
IDENTITY_RE = re.compile(r'^[A-Za-z0-9._~*-]{1,48}$')

# The charger passwords recently verified, see Station.check_password.
VERIFIED_SIZE = 50_000
_VERIFIED = collections.OrderedDict()
_VERIFIED_LOCK = threading.Lock()

OCPP_VERSIONS = [
    (None, ""),
    ('1.6', "OCPP 1.6J"),
    ('2.0.1', "OCPP 2.0.1"),
    ]


class Station(DeactivableMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'ev.station'
    __string__ = "EV Charging Station"

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT',
        states=_states)
    name = fields.Char("Name", required=True)
    identity = fields.Char(
        "OCPP Identity", required=True, strip=True,
        states=_states,
        help="The charge point identity: the last segment of the URL the "
        "charger connects to, and its user name for authentication.")
    # Not required in draft: a charger that registers itself on its first
    # connection has no known owner yet.
    partner = fields.Many2One(
        'party.party', "Owner Partner", ondelete='RESTRICT',
        domain=[('ev_partner', '=', True)],
        states={
            'required': Eval('state') != 'draft',
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The charging partner that owns the station.")

    street = fields.Char("Street")
    city = fields.Char("City")
    postal_code = fields.Char("Postal Code")
    country = fields.Many2One('country.country', "Country")
    latitude = fields.Float(
        "Latitude", digits=(3, 6),
        domain=['OR',
            ('latitude', '=', None),
            [('latitude', '>=', -90), ('latitude', '<=', 90)],
            ])
    longitude = fields.Float(
        "Longitude", digits=(3, 6),
        domain=['OR',
            ('longitude', '=', None),
            [('longitude', '>=', -180), ('longitude', '<=', 180)],
            ])
    timezone = fields.Selection(
        TIMEZONES, "Time Zone", required=True, translate=False,
        help="The local time of the station, for opening hours and tariffs.")
    opening_hours = fields.Char(
        "Opening Hours", help="As shown to drivers, e.g. \"24/7\".")

    vendor = fields.Char("Vendor", readonly=True,
        help="As reported by the charger at boot.")
    model = fields.Char("Model", readonly=True,
        help="As reported by the charger at boot.")
    serial_number = fields.Char("Serial Number", readonly=True,
        help="As reported by the charger at boot.")
    firmware_version = fields.Char("Firmware Version", readonly=True,
        help="As reported by the charger at boot.")
    ocpp_version = fields.Selection(
        OCPP_VERSIONS, "OCPP Version", readonly=True,
        help="The protocol the charger spoke on its last connection.")
    charger_model = fields.Many2One(
        'ev.charger.model', "Charger Model", ondelete='RESTRICT',
        help="The model of the catalogue: set when the vendor and model "
        "the charger reports at boot match one, or by hand.")
    charger_quirks = fields.Function(
        fields.Text("Known Quirks",
            states={
                'invisible': ~Eval('charger_quirks'),
                }),
        'on_change_with_charger_quirks')
    region = fields.Many2One(
        'ev.region', "Region", ondelete='RESTRICT')
    power_class = fields.Function(
        fields.Many2One('ev.power.class', "Power Class",
            help="The class of the station's most powerful connector. A "
            "search finds the stations with a connector of the class."),
        'get_power_class', searcher='search_power_class')

    password = fields.Function(fields.Char(
            "Password", strip=False,
            help="The charger's password for OCPP security profiles 1 and "
            "2. Only its hash is kept."),
        'get_password', setter='set_password')
    password_hash = fields.Char("Password Hash", strip=False, readonly=True)

    state = fields.Selection([
            ('draft', "Draft"),
            ('connected', "Connected"),
            ('disconnected', "Disconnected"),
            ], "State", required=True, readonly=True, sort=False,
        help="Set by the operator: only connected stations may charge.")
    registration_status = fields.Selection([
            ('accepted', "Accepted"),
            ('pending', "Pending"),
            ('rejected', "Rejected"),
            ], "Registration", required=True, readonly=True, sort=False,
        help="The answer the charger gets to its BootNotification.")
    online = fields.Boolean("Online", readonly=True)
    ocpp_daemon = fields.Char(
        "OCPP Daemon", readonly=True,
        help="The OCPP daemon that holds the charger's connection.")
    last_seen_at = fields.DateTime("Last Seen at", readonly=True)
    offline_since = fields.DateTime("Offline since", readonly=True,
        help="When the station went offline; empty while it is online.")
    heartbeat_interval = fields.Integer(
        "Heartbeat Interval (s)",
        domain=['OR',
            ('heartbeat_interval', '=', None),
            ('heartbeat_interval', '>', 0),
            ],
        help="Leave empty to use the interval of the configuration.")

    connectors = fields.One2Many(
        'ev.connector', 'station', "Connectors",
        states={
            'readonly': ~Eval('active', True),
            })
    connector_count = fields.Function(
        fields.Integer("Connectors"), 'get_connector_count')
    events = fields.One2Many(
        'ev.station.event', 'station', "Events", readonly=True)
    commands = fields.One2Many(
        'ev.station.command', 'station', "Commands", readonly=True)
    ocpp_messages = fields.One2Many(
        'ev.ocpp.message', 'station', "OCPP Messages", readonly=True)
    partner_state = fields.Function(
        fields.Selection('get_partner_states', "Partner State",
            help="New sessions start only while the partner is connected "
            "(or when the station belongs to no registered partner)."),
        'get_partner_state', searcher='search_partner_state')
    note = fields.Text("Note")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('identity_unique', Unique(t, t.identity),
                'ev_station.msg_station_identity_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.identity, Index.Equality(cardinality='high'))),
                Index(t, (t.partner, Index.Range())),
                })
        cls._order.insert(0, ('name', 'ASC'))
        cls._transitions |= {
            ('draft', 'connected'),
            ('connected', 'disconnected'),
            ('disconnected', 'connected'),
            ('disconnected', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'disconnected',
                    'depends': ['state'],
                    },
                'connect': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'disconnected']),
                    'icon': If(Eval('state') == 'draft',
                        'tryton-forward', 'tryton-undo'),
                    'depends': ['state'],
                    },
                'disconnect': {
                    'invisible': Eval('state') != 'connected',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'accept_registration': {
                    'invisible': Eval('registration_status') == 'accepted',
                    'depends': ['registration_status'],
                    },
                'reject_registration': {
                    'invisible': Eval('registration_status') == 'rejected',
                    'depends': ['registration_status'],
                    },
                'reset': {
                    'invisible': Eval('state') == 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_registration_status(cls):
        return 'accepted'

    @classmethod
    def default_online(cls):
        return False

    @classmethod
    def default_timezone(cls):
        return 'Europe/Moscow'

    @fields.depends('charger_model')
    def on_change_with_charger_quirks(self, name=None):
        if self.charger_model:
            return self.charger_model.quirks

    @classmethod
    def get_power_class(cls, stations, name):
        pool = Pool()
        Connector = pool.get('ev.connector')
        classes = Connector.get_power_class(
            [c for s in stations for c in s.connectors], name)
        result = {}
        for station in stations:
            best = max(station.connectors,
                key=lambda c: (c.max_power or 0, c.number), default=None)
            result[station.id] = classes.get(best.id) if best else None
        return result

    @classmethod
    def search_power_class(cls, name, clause):
        pool = Pool()
        PowerClass = pool.get('ev.power.class')
        _, operator, value = clause[:3]
        if value is None and clause[0] == name:
            # No class: no connector in any class.
            classified = PowerClass.search_connectors(
                name, (name, '!=', None))
            return [('connectors',
                    'not where' if operator == '=' else 'where', classified)]
        return [('connectors', 'where',
                PowerClass.search_connectors(name, clause))]

    @classmethod
    def set_charger_model(cls, stations):
        "Link the stations to the catalogue model their boot strings match"
        pool = Pool()
        Model = pool.get('ev.charger.model')
        to_write = []
        for station in stations:
            model = Model.match(station.vendor, station.model)
            if model and model != station.charger_model:
                to_write.extend(([station], {'charger_model': model.id}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def get_partner_states(cls):
        pool = Pool()
        Partner = pool.get('ev.partner')
        return [(None, '')] + Partner.fields_get(
            ['state'])['state']['selection']

    @classmethod
    def get_partner_state(cls, stations, name):
        pool = Pool()
        Partner = pool.get('ev.partner')
        parties = {s.partner.id for s in stations if s.partner}
        states = {}
        for sub in grouped_slice(
                list(parties), backend.MAX_QUERY_PARAMS):
            for partner in Partner.search([
                        ('party', 'in', list(sub)),
                        ]):
                states[(partner.company.id, partner.party.id)] = (
                    partner.state)
        return {s.id: states.get(
                (s.company.id, s.partner.id) if s.partner else None)
            for s in stations}

    @classmethod
    def search_partner_state(cls, name, clause):
        _, operator, value = clause[:3]
        domain = [('partner.ev_partners.state', operator, value)]
        if value is None or (isinstance(value, (list, tuple))
                and None in value):
            domain = ['OR', domain, ('partner.ev_partners', '=', None)]
        return domain

    def get_rec_name(self, name):
        return '%s [%s]' % (self.name, self.identity)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('identity', operator, operand, *extra),
            ]

    def get_password(self, name):
        # Like res.user: show that a password is set, never what it is.
        return 'x' * 10 if self._password_hash() else None

    def _password_hash(self):
        "Return the stored hash, which read() never returns"
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.password_hash, where=table.id == self.id))
        row = cursor.fetchone()
        return row[0] if row else None

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        cache = Transaction().get_cache().get(cls.__name__)
        for values in result:
            if 'password_hash' in values:
                values['password_hash'] = None
            if cache and values['id'] in cache:
                cache[values['id']]['password_hash'] = None
        return result

    @classmethod
    def set_password(cls, stations, name, value):
        pool = Pool()
        User = pool.get('res.user')
        if value == 'x' * 10:
            return
        cls.write(stations, {
                'password_hash': User.hash_password(value) if value else None,
                })

    def check_password(self, password):
        "Return True when password matches the station's stored hash"
        pool = Pool()
        User = pool.get('res.user')
        password_hash = self._password_hash()
        if not password_hash or not password:
            return False
        # argon2 costs tens of milliseconds on purpose; a fleet of chargers
        # reconnecting after an outage would queue behind it. A match is
        # remembered, keyed on the stored hash (a new password is a new key)
        # and a digest of the password; a mismatch always pays in full.
        key = (password_hash,
            hashlib.sha256(password.encode('utf-8')).digest())
        with _VERIFIED_LOCK:
            if key in _VERIFIED:
                _VERIFIED.move_to_end(key)
                return True
        valid, _ = User.check_password(password, password_hash)
        if valid:
            with _VERIFIED_LOCK:
                _VERIFIED[key] = True
                while len(_VERIFIED) > VERIFIED_SIZE:
                    _VERIFIED.popitem(last=False)
        return valid

    @classmethod
    def get_connector_count(cls, stations, name):
        return {s.id: len(s.connectors) for s in stations}

    @property
    def may_charge(self):
        "Return True when the platform lets the station start sessions"
        return (self.active
            and self.state == 'connected'
            and self.registration_status == 'accepted'
            and self.partner_state in {None, 'connected'})

    @classmethod
    def validate_fields(cls, stations, field_names):
        super().validate_fields(stations, field_names)
        cls.check_identity(stations, field_names)

    @classmethod
    def check_identity(cls, stations, field_names=None):
        if field_names and 'identity' not in field_names:
            return
        for station in stations:
            if not IDENTITY_RE.match(station.identity or ''):
                raise StationValidationError(gettext(
                        'ev_station.msg_station_identity_invalid',
                        identity=station.identity))

    @classmethod
    def check_identity_free(cls, identities, exclude=()):
        "Raise when another station already uses one of the identities"
        # The SQL constraint is the guarantee; this search only gives the
        # operator a message that names the station using the identity.
        identities = [i.strip() for i in identities if i]
        if not identities:
            return
        with Transaction().set_context(active_test=False):
            others = cls.search([
                    ('identity', 'in', identities),
                    ('id', 'not in', [s.id for s in exclude]),
                    ], limit=1)
        for other in others:
            raise StationValidationError(gettext(
                    'ev_station.msg_station_identity_duplicate',
                    identity=other.identity,
                    station=other.name))
        if len(set(identities)) < len(identities):
            identity = next(
                i for i in identities if identities.count(i) > 1)
            raise StationValidationError(gettext(
                    'ev_station.msg_station_identity_duplicate',
                    identity=identity, station=identity))

    @classmethod
    def create(cls, vlist):
        cls.check_identity_free([v.get('identity') for v in vlist])
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for stations, values in zip(actions, actions):
            if values.get('identity'):
                cls.check_identity_free(
                    [values['identity']] * len(stations), exclude=stations)
        super().write(*args)

    @classmethod
    def copy(cls, stations, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('identity', lambda d: d['identity'] + '-copy')
        for name in [
                'state', 'registration_status', 'online', 'last_seen_at',
                'vendor', 'model', 'serial_number', 'firmware_version',
                'ocpp_version', 'ocpp_daemon', 'password_hash', 'events',
                'offline_since',
                'commands', 'ocpp_messages']:
            default.setdefault(name)
        return super().copy(stations, default=default)

    @classmethod
    def check_modification(cls, mode, stations, values=None, external=False):
        super().check_modification(
            mode, stations, values=values, external=external)
        if mode == 'delete':
            for station in stations:
                if station.state != 'draft':
                    raise StationDeleteError(gettext(
                            'ev_station.msg_station_delete_not_draft',
                            station=station.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, stations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('connected')
    def connect(cls, stations):
        cls._audit_state(stations, 'connected')

    @classmethod
    @ModelView.button
    @Workflow.transition('disconnected')
    def disconnect(cls, stations):
        pool = Pool()
        Message = pool.get('ev.message')
        # Sessions already running finish normally: the charger is only
        # refused new starts (and new connections by the OCPP daemon).
        cls._audit_state(stations, 'disconnected')
        Message.confirm_disconnected(
            [s for s in stations if s.state != 'disconnected'])

    @classmethod
    def _audit_state(cls, stations, state):
        pool = Pool()
        AuditLog = pool.get('ev.audit.log')
        labels = dict(cls.fields_get(['state'])['state']['selection'])
        AuditLog.log_many([
                ('station_state', station, station.rec_name,
                    labels.get(station.state), labels.get(state))
                for station in stations if station.state != state])

    @classmethod
    @ModelView.button
    def accept_registration(cls, stations):
        cls.write(stations, {'registration_status': 'accepted'})

    @classmethod
    @ModelView.button
    def reject_registration(cls, stations):
        cls.write(stations, {'registration_status': 'rejected'})

    @classmethod
    @ModelView.button
    def reset(cls, stations):
        pool = Pool()
        Command = pool.get('ev.station.command')
        Command.request([
                Command(station=s, action='reset',
                    parameters='{"type": "soft"}')
                for s in stations])

    @classmethod
    def mark_offline(cls, now=None):
        "Mark offline the online stations not heard from for too long"
        # A daemon that crashed cannot say its chargers left; their
        # silence does, and ends the commands nobody will carry out.
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Event = pool.get('ev.station.event')
        now = now or utcnow()
        timeout = Configuration(1).offline_timeout
        stations = cls.search([
                ('online', '=', True),
                ['OR',
                    ('last_seen_at', '=', None),
                    ('last_seen_at', '<',
                        now - dt.timedelta(seconds=timeout)),
                    ],
                ])
        if not stations:
            return
        cls.write(stations, {'online': False, 'ocpp_daemon': None})
        cls.write([s for s in stations if not s.offline_since], {
                'offline_since': now,
                })
        Event.save([Event(station=s, kind='connection', severity='warning',
                    occurred_at=now,
                    description=gettext('ev_station.msg_station_silent',
                        seconds=timeout))
                for s in stations])

    @classmethod
    def set_seen(cls, stations, online=True, at=None):
        "Record that the stations were heard from at (UTC), or went offline"
        pool = Pool()
        Message = pool.get('ev.message')
        values = {'online': online}
        if online:
            values['last_seen_at'] = at or utcnow()
            values['offline_since'] = None
            back = [s for s in stations if s.offline_since or not s.online]
        cls.write(stations, values)
        if online:
            # The station's offline message, if any, is over.
            Message.station_online(back)
        else:
            cls.write([s for s in stations if not s.offline_since], {
                    'offline_since': at or utcnow(),
                    })

    @classmethod
    def alert_offline(cls, now=None):
        """Post a message for each station offline for longer than the
        configuration allows (the cron runs it every minute)"""
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Message = pool.get('ev.message')
        now = now or utcnow()
        # Also run by hand, through ir.cron's Run Once.
        with without_check_access():
            after = dt.timedelta(
                seconds=Configuration(1).offline_alert_after)
            stations = cls.search([
                    ('state', '=', 'connected'),
                    ('online', '=', False),
                    ('offline_since', '!=', None),
                    ('offline_since', '<=', now - after),
                    ])
            Message.station_offline(stations, now=now)
