# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields


class ConnectorType(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'ev.connector.type'
    __string__ = "EV Connector Type"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True,
        help="A stable key, used by the API and the charger mapping.")
    current = fields.Selection([
            ('ac', "AC"),
            ('dc', "DC"),
            ], "Current", required=True)
    standard = fields.Char(
        "Standard", help="The standard the plug follows, e.g. IEC 62196-3.")
    max_power = fields.Numeric(
        "Maximum Power (kW)", digits=(16, 1),
        help="The most power the plug type is rated for.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'ev_station.msg_connector_type_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_current(cls):
        return 'ac'
