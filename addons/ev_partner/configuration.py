# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id


class Configuration(ModelSingleton, ModelSQL, ModelView):
    __name__ = 'ev.configuration'
    __string__ = "EV Configuration"

    id_tag_sequence = fields.Many2One(
        'ir.sequence', "App Token Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('ev_partner', 'sequence_type_id_tag')),
            ],
        help="Numbers the tokens that the platform issues to its clients.")

    @classmethod
    def default_id_tag_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('ev_partner', 'sequence_id_tag')
        except KeyError:
            return None
