# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, tree)
from trytond.pyson import Eval, If


class Region(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    __name__ = 'ev.region'
    __string__ = "EV Region"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", strip=True,
        help="A short key for the API and the reports, e.g. RU-MOW.")
    country = fields.Many2One('country.country', "Country")
    parent = fields.Many2One(
        'ev.region', "Parent", ondelete='RESTRICT',
        domain=[If(Eval('country'),
                ('country', '=', Eval('country', -1)),
                ())],
        help="The wider region this one belongs to.")
    children = fields.One2Many('ev.region', 'parent', "Children")
    subdivisions = fields.Many2Many(
        'ev.region-country.subdivision', 'region', 'subdivision',
        "Subdivisions",
        domain=[If(Eval('country'),
                ('country', '=', Eval('country', -1)),
                ())],
        help="The administrative subdivisions the region covers.")
    stations = fields.One2Many(
        'ev.station', 'region', "Stations", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'ev_station.msg_region_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def copy(cls, regions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('code')
        default.setdefault('stations')
        return super().copy(regions, default=default)


class Region_Subdivision(ModelSQL):
    __name__ = 'ev.region-country.subdivision'
    __string__ = "EV Region - Subdivision"

    region = fields.Many2One(
        'ev.region', "Region", required=True, ondelete='CASCADE')
    subdivision = fields.Many2One(
        'country.subdivision', "Subdivision", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('region')
