# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import re

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.transaction import without_check_access

from .exceptions import ReferenceValidationError

OCPP_VERSIONS = [
    ('1.5', "OCPP 1.5"),
    ('1.6', "OCPP 1.6J"),
    ('2.0.1', "OCPP 2.0.1"),
    ('2.1', "OCPP 2.1"),
    ]

# OCPP 1.6 configuration keys are CiString50, values CiString500; 2.0.1
# variables are Component.Variable names of at most 50 characters each.
CONFIGURATION_KEY_RE = re.compile(r'^[A-Za-z0-9_.:\-]{1,100}$')
CONFIGURATION_VALUE_SIZE = 500


def _escape(value):
    "Return value escaped for a like pattern"
    return (value.replace('\\', '\\\\')
        .replace('%', '\\%').replace('_', '\\_'))


def parse_configuration(text):
    """Return the list of (line number, key, value) of the configuration
    text: one key=value per line, blank lines and # comments skipped; raise
    ValueError(line number, line) on the first bad line"""
    result = []
    keys = set()
    for number, line in enumerate((text or '').splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        key, sep, value = stripped.partition('=')
        key, value = key.strip(), value.strip()
        if (not sep or not CONFIGURATION_KEY_RE.match(key)
                or len(value) > CONFIGURATION_VALUE_SIZE
                or key.lower() in keys):
            raise ValueError(number, line)
        keys.add(key.lower())
        result.append((number, key, value))
    return result


class Vendor(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.charger.vendor'
    __string__ = "EV Charger Vendor"

    name = fields.Char(
        "Name", required=True, strip=True,
        help="As the chargers report it at boot (the case does not "
        "matter).")
    website = fields.Char("Website")
    notes = fields.Text("Notes")
    models = fields.One2Many('ev.charger.model', 'vendor', "Models")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.name),
                'ev_station.msg_charger_vendor_name_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))


class Model(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.charger.model'
    __string__ = "EV Charger Model"

    vendor = fields.Many2One(
        'ev.charger.vendor', "Vendor", required=True, ondelete='CASCADE')
    name = fields.Char(
        "Name", required=True, strip=True,
        help="As the chargers report it at boot (the case does not "
        "matter).")
    ocpp_versions = fields.MultiSelection(
        OCPP_VERSIONS, "OCPP Versions",
        help="The protocol versions the firmware supports.")
    max_power = fields.Numeric(
        "Maximum Power (kW)", digits=(16, 1),
        domain=['OR',
            ('max_power', '=', None),
            ('max_power', '>', 0),
            ])
    connector_count = fields.Integer(
        "Connectors",
        domain=['OR',
            ('connector_count', '=', None),
            ('connector_count', '>', 0),
            ],
        help="How many connectors the charger has.")
    connector_types = fields.Many2Many(
        'ev.charger.model-ev.connector.type', 'model', 'type',
        "Connector Types")
    quirks = fields.Text(
        "Known Quirks",
        help="What the operator should know about the model's firmware; "
        "shown on the stations of the model.")
    default_configuration = fields.Text(
        "Default Configuration",
        help="The OCPP configuration keys to set on a new charger, one "
        "\"Key=Value\" per line; lines starting with # are comments.")
    stations = fields.One2Many(
        'ev.station', 'charger_model', "Stations", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vendor_name_unique', Unique(t, t.vendor, t.name),
                'ev_station.msg_charger_model_name_unique'),
            ]
        cls._order = [
            ('vendor.name', 'ASC'), ('name', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return '%s %s' % (self.vendor.name, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('vendor.name', operator, operand, *extra),
            ]

    @property
    def configuration(self):
        "The default configuration as a dictionary"
        return {k: v for _, k, v in parse_configuration(
                self.default_configuration)}

    @classmethod
    def validate_fields(cls, models, field_names):
        super().validate_fields(models, field_names)
        cls.check_default_configuration(models, field_names)

    @classmethod
    def check_default_configuration(cls, models, field_names=None):
        if field_names and 'default_configuration' not in field_names:
            return
        for model in models:
            try:
                parse_configuration(model.default_configuration)
            except ValueError as exception:
                number, line = exception.args
                raise ReferenceValidationError(gettext(
                        'ev_station.msg_charger_model_configuration_invalid',
                        model=model.rec_name, number=number,
                        line=line.strip()))

    @classmethod
    def match(cls, vendor, model):
        """Return the active model of the catalogue reported at boot as
        vendor and model, compared without case, or None"""
        vendor = (vendor or '').strip()
        model = (model or '').strip()
        if not vendor or not model:
            return None
        with without_check_access():
            models = cls.search([
                    ('vendor.name', 'ilike', _escape(vendor)),
                    ('vendor.active', '=', True),
                    ('name', 'ilike', _escape(model)),
                    ], limit=2)
        return models[0] if len(models) == 1 else None


class Model_ConnectorType(ModelSQL):
    __name__ = 'ev.charger.model-ev.connector.type'
    __string__ = "EV Charger Model - Connector Type"

    model = fields.Many2One(
        'ev.charger.model', "Model", required=True, ondelete='CASCADE')
    type = fields.Many2One(
        'ev.connector.type', "Connector Type", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('model')
