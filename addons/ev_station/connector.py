# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

# Neutral connector states. OCPP 1.6 ChargePointStatus and 2.0.1
# ConnectorStatusEnumType both map onto these; only the daemon knows the
# CamelCase spellings.
STATUSES = [
    ('unknown', "Unknown"),
    ('available', "Available"),
    ('preparing', "Preparing"),
    ('charging', "Charging"),
    ('suspended_ev', "Suspended by the Vehicle"),
    ('suspended_evse', "Suspended by the Charger"),
    ('finishing', "Finishing"),
    ('occupied', "Occupied"),
    ('reserved', "Reserved"),
    ('unavailable', "Unavailable"),
    ('faulted', "Faulted"),
    ]


class Connector(ModelSQL, ModelView):
    __name__ = 'ev.connector'
    __string__ = "EV Connector"

    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE')
    number = fields.Integer(
        "Number", required=True,
        domain=[('number', '>', 0)],
        help="The OCPP connectorId, counted from 1 on each station.")
    evse = fields.Integer(
        "EVSE", required=True,
        domain=[('evse', '>', 0)],
        help="The OCPP 2.0.1 evseId. For OCPP 1.6 chargers it equals the "
        "number.")
    type = fields.Many2One(
        'ev.connector.type', "Type", required=True, ondelete='RESTRICT')
    max_power = fields.Numeric(
        "Maximum Power (kW)", digits=(16, 1), required=True,
        domain=[('max_power', '>', 0)])
    status = fields.Selection(
        STATUSES, "Status", required=True, readonly=True, sort=False)
    error_code = fields.Char(
        "Error Code", readonly=True,
        states={
            'invisible': ~Eval('error_code'),
            })
    status_info = fields.Char(
        "Status Information", readonly=True,
        help="The vendor's error code and text, as the charger sent them.")
    status_at = fields.DateTime("Status since", readonly=True)
    availability = fields.Selection([
            ('operative', "Operative"),
            ('inoperative', "Inoperative"),
            ], "Availability", required=True, readonly=True,
        help="What the operator last asked the charger for: an inoperative "
        "connector does not charge.")
    sessions = fields.One2Many(
        'ev.session', 'connector', "Sessions", readonly=True)
    station_online = fields.Function(
        fields.Boolean("Station Online"), 'get_station_online')
    power_class = fields.Function(
        fields.Many2One('ev.power.class', "Power Class",
            help="Follows from the current of the type and the maximum "
            "power."),
        'get_power_class', searcher='search_power_class')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('station')
        t = cls.__table__()
        cls._sql_constraints += [
            ('station_number_unique', Unique(t, t.station, t.number),
                'ev_station.msg_connector_number_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.status, Index.Equality(cardinality='low'))))
        cls._order = [('station', 'ASC'), ('number', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'unlock': {
                    'readonly': ~Eval('station_online', False),
                    'depends': ['station_online'],
                    },
                'make_available': {
                    'invisible': Eval('availability') == 'operative',
                    'depends': ['availability'],
                    },
                'make_unavailable': {
                    'invisible': Eval('availability') == 'inoperative',
                    'depends': ['availability'],
                    },
                })

    @classmethod
    def default_status(cls):
        return 'unknown'

    @classmethod
    def default_availability(cls):
        return 'operative'

    @fields.depends('station', '_parent_station.connectors')
    def on_change_station(self):
        if self.station and not getattr(self, 'number', None):
            numbers = [
                c.number or 0 for c in self.station.connectors or []]
            self.number = max(numbers, default=0) + 1

    @fields.depends('number', 'evse')
    def on_change_number(self):
        if self.number and not self.evse:
            self.evse = self.number

    @fields.depends('type', 'max_power')
    def on_change_type(self):
        if self.type and not self.max_power:
            self.max_power = self.type.max_power

    def get_station_online(self, name):
        return bool(self.station.online)

    @classmethod
    def get_power_class(cls, connectors, name):
        pool = Pool()
        PowerClass = pool.get('ev.power.class')
        with without_check_access():
            classes = PowerClass.search([])
        result = {}
        for connector in connectors:
            class_ = PowerClass.find(
                connector.type.current if connector.type else None,
                connector.max_power, classes=classes)
            result[connector.id] = class_.id if class_ else None
        return result

    @classmethod
    def search_power_class(cls, name, clause):
        pool = Pool()
        PowerClass = pool.get('ev.power.class')
        return PowerClass.search_connectors(name, clause)

    def get_rec_name(self, name):
        return '%s #%s' % (self.station.rec_name, self.number)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('station.rec_name',) + tuple(clause[1:])]

    @classmethod
    def set_status(cls, connectors, status, error_code=None, info=None,
            at=None):
        "Record the status a charger reported for the connectors at (UTC)"
        cls.write(connectors, {
                'status': status,
                'error_code': error_code if error_code != 'no_error' else None,
                'status_info': info,
                'status_at': at or utcnow(),
                })

    def _command(self, action, parameters):
        pool = Pool()
        Command = pool.get('ev.station.command')
        return Command(
            station=self.station, connector=self, action=action,
            parameters=parameters)

    @classmethod
    @ModelView.button
    def unlock(cls, connectors):
        pool = Pool()
        Command = pool.get('ev.station.command')
        Command.request([c._command('unlock_connector', None)
                for c in connectors])

    @classmethod
    @ModelView.button
    def make_available(cls, connectors):
        pool = Pool()
        Command = pool.get('ev.station.command')
        Command.request([c._command(
                    'change_availability', '{"type": "operative"}')
                for c in connectors])
        cls.write(connectors, {'availability': 'operative'})

    @classmethod
    @ModelView.button
    def make_unavailable(cls, connectors):
        pool = Pool()
        Command = pool.get('ev.station.command')
        Command.request([c._command(
                    'change_availability', '{"type": "inoperative"}')
                for c in connectors])
        cls.write(connectors, {'availability': 'inoperative'})
