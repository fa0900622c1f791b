# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from lxml import etree

from trytond.pool import Pool, PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('ev.station|mark_offline', "Mark Silent Stations Offline"),
                ('ev.station.command|time_out',
                    "Time Out Unanswered Station Commands"),
                ('ev.station|alert_offline',
                    "Alert Stations Offline Too Long"),
                ])


class View(metaclass=PoolMeta):
    __name__ = 'ir.ui.view'

    def view_get(self, model=None):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ModelAccess = pool.get('ir.model.access')
        ActWindow = pool.get('ir.action.act_window')
        result = super().view_get(model=model).copy()
        if (self.type != 'board'
                or self.id != ModelData.get_id(
                    'ev_station', 'statistics_board_view')):
            return result
        # The view is cached for all users: the panels that the user may
        # not read are dropped afterwards.
        tree = etree.fromstring(result['arch'])
        for element in tree.xpath('//action'):
            name = element.get('name')
            if '.' in name:
                action_id = ModelData.get_id(*name.split('.', 1))
            else:
                action_id = int(name)
            res_model = ActWindow(action_id).res_model
            if res_model and not ModelAccess.check(
                    res_model, raise_exception=False):
                element.getparent().remove(element)
        result['arch'] = etree.tostring(tree, encoding='utf-8').decode(
            'utf-8')
        return result
