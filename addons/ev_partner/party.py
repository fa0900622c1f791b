# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    ev_partner = fields.Boolean(
        "Charging Partner",
        help="The party owns charging stations operated on the platform.")
    ev_client = fields.Boolean(
        "EV Client",
        help="The party is a driver who charges on the platform.")
    ev_id_tags = fields.One2Many(
        'ev.id_tag', 'party', "ID Tags",
        states={
            'invisible': ~Eval('ev_client'),
            })

    ev_partners = fields.One2Many(
        'ev.partner', 'party', "Partner Registrations", readonly=True)

    @classmethod
    def default_ev_partner(cls):
        return False

    @classmethod
    def default_ev_client(cls):
        return False
