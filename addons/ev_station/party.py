# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    ev_stations = fields.One2Many(
        'ev.station', 'partner', "Stations", readonly=True,
        states={
            'invisible': ~Eval('ev_partner'),
            })
