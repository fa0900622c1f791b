# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields

# OCPI 2.2.1 ConnectorType (the plug standard), the common ones.
OCPI_STANDARDS = [
    (None, ""),
    ('CHADEMO', "CHAdeMO"),
    ('CHAOJI', "ChaoJi"),
    ('DOMESTIC_F', "Domestic Type F (Schuko)"),
    ('GBT_AC', "GB/T AC"),
    ('GBT_DC', "GB/T DC"),
    ('IEC_60309_2_single_16', "IEC 60309-2 Single Phase 16 A"),
    ('IEC_60309_2_three_16', "IEC 60309-2 Three Phases 16 A"),
    ('IEC_60309_2_three_32', "IEC 60309-2 Three Phases 32 A"),
    ('IEC_62196_T1', "IEC 62196 Type 1"),
    ('IEC_62196_T1_COMBO', "IEC 62196 Type 1 Combo (CCS1)"),
    ('IEC_62196_T2', "IEC 62196 Type 2"),
    ('IEC_62196_T2_COMBO', "IEC 62196 Type 2 Combo (CCS2)"),
    ('IEC_62196_T3C', "IEC 62196 Type 3C"),
    ('NEMA_5_20', "NEMA 5-20"),
    ('SAE_J3400', "SAE J3400 (NACS)"),
    ]


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
    ocpi_standard = fields.Selection(
        OCPI_STANDARDS, "OCPI Standard",
        help="The connector standard published to roaming platforms "
        "(OCPI ConnectorType).")
    ocpp_code = fields.Char(
        "OCPP Code",
        help="The OCPP 2.0.1 ConnectorEnumType of the plug, e.g. cType2 "
        "or cCCS2.")
    format = fields.Selection([
            (None, ""),
            ('socket', "Socket"),
            ('cable', "Cable"),
            ], "Format",
        help="Whether the driver brings the cable (socket) or the charger "
        "has one attached (cable).")

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
