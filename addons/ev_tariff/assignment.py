# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.ev_partner.tools import utcnow
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access

from .exceptions import AssignmentValidationError
from .tariff import local_date

# Where an assignment applies, most specific first (doc/design.rst): the
# rank of a location comes first, then the rank of the audience.
LOCATIONS = [
    ('connector', "Connector"),
    ('station', "Station"),
    ('connector_type', "Connector Type and Power"),
    ('partner', "Partner Network"),
    ('platform', "Whole Platform"),
    ]
AUDIENCES = [
    ('client', "Client"),
    ('client_group', "Client Group"),
    ('everyone', "Everyone"),
    ]
AUDIENCE_RANKS = {'client': 0, 'client_group': 1, 'everyone': 2}


class Assignment(ModelSQL, ModelView):
    __name__ = 'ev.tariff.assignment'
    __string__ = "EV Tariff Assignment"

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='RESTRICT')
    tariff = fields.Many2One(
        'ev.tariff', "Tariff", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    location = fields.Selection(
        LOCATIONS, "Location", required=True, sort=False,
        help="Where the tariff applies. A connector beats its station, "
        "which beats the connector type, then the partner's network, then "
        "a connector type on the whole platform and the whole platform.")
    connector = fields.Many2One(
        'ev.connector', "Connector", ondelete='CASCADE',
        domain=[('station.company', '=', Eval('company', -1))],
        states={
            'required': Eval('location') == 'connector',
            'invisible': Eval('location') != 'connector',
            })
    station = fields.Many2One(
        'ev.station', "Station", ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'required': Eval('location') == 'station',
            'invisible': Eval('location') != 'station',
            })
    connector_type = fields.Many2One(
        'ev.connector.type', "Connector Type", ondelete='CASCADE',
        states={
            'required': Eval('location') == 'connector_type',
            'invisible': Eval('location') != 'connector_type',
            })
    min_power = fields.Numeric(
        "Minimum Power (kW)", digits=(16, 1),
        domain=[
            ['OR', ('min_power', '=', None), ('min_power', '>=', 0)],
            If(Bool(Eval('min_power')) & Bool(Eval('max_power')),
                ('min_power', '<=', Eval('max_power')),
                ()),
            ],
        states={
            'invisible': Eval('location') != 'connector_type',
            },
        help="The power class: connectors rated at least this much.")
    max_power = fields.Numeric(
        "Maximum Power (kW)", digits=(16, 1),
        domain=[['OR', ('max_power', '=', None), ('max_power', '>', 0)]],
        states={
            'invisible': Eval('location') != 'connector_type',
            },
        help="The power class: connectors rated at most this much.")
    partner = fields.Many2One(
        'party.party', "Partner Network", ondelete='CASCADE',
        domain=[('ev_partner', '=', True)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states={
            'required': Eval('location') == 'partner',
            'invisible': ~Eval('location').in_(['partner', 'connector_type']),
            },
        help="The partner whose stations the assignment covers.\n"
        "For a connector type, leave empty for the whole platform.")
    audience = fields.Selection(
        AUDIENCES, "Audience", required=True, sort=False,
        help="Who the tariff applies to there: a client beats a client "
        "group, which beats everyone.")
    client = fields.Many2One(
        'party.party', "Client", ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states={
            'required': Eval('audience') == 'client',
            'invisible': Eval('audience') != 'client',
            })
    client_group = fields.Many2One(
        'party.category', "Client Group", ondelete='CASCADE',
        states={
            'required': Eval('audience') == 'client_group',
            'invisible': Eval('audience') != 'client_group',
            },
        help="The clients in this party category or one below it, "
        "e.g. a fleet or the employees of a customer.")
    start_date = fields.Date(
        "Start Date",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ],
        help="In the station's local time.")
    end_date = fields.Date("End Date", help="Included.")
    rank = fields.Function(
        fields.Integer("Rank",
            help="The place of the assignment in the precedence: "
            "the lowest applies."),
        'get_rank')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.connector, Index.Range())),
                Index(t, (t.station, Index.Range())),
                Index(t, (t.partner, Index.Range())),
                Index(t, (t.client, Index.Range())),
                Index(t,
                    (t.location, Index.Equality(cardinality='low'))),
                })
        cls._order = [
            ('tariff', 'ASC'), ('location', 'ASC'), ('start_date', 'DESC'),
            ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_location(cls):
        pool = Pool()
        User = pool.get('res.user')
        return 'partner' if User.get_ev_partner_parties() else 'platform'

    @classmethod
    def default_partner(cls):
        pool = Pool()
        User = pool.get('res.user')
        parties = User.get_ev_partner_parties()
        if parties:
            return parties[0]

    @classmethod
    def default_audience(cls):
        return 'everyone'

    @fields.depends('tariff', '_parent_tariff.partner', 'partner')
    def on_change_tariff(self):
        if self.tariff and self.tariff.partner and not self.partner:
            self.partner = self.tariff.partner

    @fields.depends('connector', 'station')
    def on_change_connector(self):
        if self.connector:
            self.station = self.connector.station

    def get_rank(self, name):
        location, audience = self._rank()
        return location * 10 + audience

    def _rank(self):
        "Return the rank of the location and of the audience: lower wins"
        location = {
            'connector': 0,
            'station': 1,
            'connector_type': 2 if self.partner else 4,
            'partner': 3,
            'platform': 5,
            }[self.location]
        return location, AUDIENCE_RANKS[self.audience]

    def _sort_key(self):
        "Return the key ordering matching assignments, the winner first"
        location, audience = self._rank()
        width = float('inf')
        if self.location == 'connector_type':
            width = float(self.max_power if self.max_power is not None
                else float('inf')) - float(self.min_power or 0)
        return (location, audience, width,
            -(self.start_date.toordinal() if self.start_date else 0),
            -self.id)

    def get_rec_name(self, name):
        return '%s @ %s' % (
            self.tariff.rec_name if self.tariff else '',
            self._target_name())

    def _target_name(self):
        locations = dict(
            self.fields_get(['location'])['location']['selection'])
        if self.location == 'connector' and self.connector:
            where = self.connector.rec_name
        elif self.location == 'station' and self.station:
            where = self.station.rec_name
        elif self.location == 'connector_type' and self.connector_type:
            where = '%s %s-%s kW' % (self.connector_type.rec_name,
                self.min_power if self.min_power is not None else '',
                self.max_power if self.max_power is not None else '')
            if self.partner:
                where += ' (%s)' % self.partner.rec_name
        elif self.location == 'partner' and self.partner:
            where = self.partner.rec_name
        else:
            where = locations.get(self.location, '')
        if self.audience == 'client' and self.client:
            where += ' / %s' % self.client.rec_name
        elif self.audience == 'client_group' and self.client_group:
            where += ' / %s' % self.client_group.rec_name
        return where

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('tariff.rec_name', *clause[1:]),
            ('station.rec_name', *clause[1:]),
            ('partner.rec_name', *clause[1:]),
            ('client.rec_name', *clause[1:]),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Only the fields of the location and the audience are kept, so a
        # change of location leaves no stale target behind.
        location = values.get('location')
        if location:
            for name, keep in [
                    ('connector', {'connector'}),
                    ('station', {'station'}),
                    ('connector_type', {'connector_type'}),
                    ('min_power', {'connector_type'}),
                    ('max_power', {'connector_type'}),
                    ('partner', {'connector_type', 'partner'}),
                    ]:
                if location not in keep:
                    values[name] = None
        audience = values.get('audience')
        if audience:
            if audience != 'client':
                values['client'] = None
            if audience != 'client_group':
                values['client_group'] = None
        return values

    @classmethod
    def validate_fields(cls, assignments, field_names):
        super().validate_fields(assignments, field_names)
        cls.check_network(assignments, field_names)
        cls.check_overlap(assignments, field_names)

    @classmethod
    def check_network(cls, assignments, field_names=None):
        "Check that a partner's tariff is assigned on its network only"
        if field_names and not (field_names & {
                    'tariff', 'location', 'connector', 'station', 'partner'}):
            return
        for assignment in assignments:
            owner = assignment.tariff.partner
            if not owner:
                continue
            network = assignment._network()
            if network != owner:
                raise AssignmentValidationError(gettext(
                        'ev_tariff.msg_assignment_network',
                        assignment=assignment.rec_name,
                        tariff=assignment.tariff.rec_name,
                        partner=owner.rec_name))

    def _network(self):
        "Return the partner whose network the location lies in, if one"
        if self.location == 'connector' and self.connector:
            return self.connector.station.partner
        elif self.location == 'station' and self.station:
            return self.station.partner
        elif self.location in {'connector_type', 'partner'}:
            return self.partner

    def _target_key(self):
        "Return what two conflicting assignments have in common"
        def id_(record):
            return record.id if record else None
        return (self.company.id, self.location, id_(self.connector),
            id_(self.station), id_(self.connector_type), self.min_power,
            self.max_power, id_(self.partner), self.audience,
            id_(self.client), id_(self.client_group))

    @classmethod
    def check_overlap(cls, assignments, field_names=None):
        """Refuse two assignments of the same place and audience whose
        validity periods overlap: which one applies would be a guess"""
        for assignment in assignments:
            domain = [
                ('id', '!=', assignment.id),
                ('company', '=', assignment.company.id),
                ('location', '=', assignment.location),
                ('audience', '=', assignment.audience),
                ]
            if assignment.end_date:
                domain.append(['OR',
                        ('start_date', '=', None),
                        ('start_date', '<=', assignment.end_date),
                        ])
            if assignment.start_date:
                domain.append(['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', assignment.start_date),
                        ])
            key = assignment._target_key()
            # Against every assignment, also those the user cannot see.
            with without_check_access():
                for other in cls.search(domain):
                    if other._target_key() == key:
                        raise AssignmentValidationError(gettext(
                                'ev_tariff.msg_assignment_overlap',
                                assignment=assignment.rec_name,
                                other=other.rec_name))

    @classmethod
    def _client_groups(cls, client):
        "Return the ids of the party categories of client and above them"
        ids = set()
        for category in (client.categories if client else []):
            while category and category.id not in ids:
                ids.add(category.id)
                category = category.parent
        return ids

    @classmethod
    def find(cls, connector, client=None, at=None):
        """Return the assignment that applies on connector for client at
        (UTC), following the precedence, or None"""
        station = connector.station
        if at is None:
            at = utcnow()
        date = local_date(at, station.timezone)
        partner = station.partner.id if station.partner else None
        power = connector.max_power
        domain = [
            ('company', '=', station.company.id),
            ['OR', ('start_date', '=', None), ('start_date', '<=', date)],
            ['OR', ('end_date', '=', None), ('end_date', '>=', date)],
            # A partner's tariff never applies on another network.
            ['OR',
                ('tariff.partner', '=', None),
                ('tariff.partner', '=', partner),
                ],
            ['OR',
                ('connector', '=', connector.id),
                ('station', '=', station.id),
                [
                    ('location', '=', 'connector_type'),
                    ('connector_type', '=', connector.type.id),
                    ['OR', ('partner', '=', None), ('partner', '=', partner)],
                    ['OR', ('min_power', '=', None),
                        ('min_power', '<=', power)],
                    ['OR', ('max_power', '=', None),
                        ('max_power', '>=', power)],
                    ],
                [('location', '=', 'partner'), ('partner', '=', partner)]
                if partner else [('id', '=', -1)],
                ('location', '=', 'platform'),
                ],
            ['OR',
                ('audience', '=', 'everyone'),
                [('audience', '=', 'client'),
                    ('client', '=', client.id if client else -1)],
                [('audience', '=', 'client_group'),
                    ('client_group', 'in', list(cls._client_groups(client)))],
                ],
            ]
        assignments = [a for a in cls.search(domain)
            if a.tariff.is_valid(date)]
        if assignments:
            return min(assignments, key=lambda a: a._sort_key())
