# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.ev_partner.tools import utcnow
from trytond.pyson import Eval


class Event(ModelSQL, ModelView):
    __name__ = 'ev.station.event'
    __string__ = "EV Station Event"

    station = fields.Many2One(
        'ev.station', "Station", required=True, ondelete='CASCADE',
        readonly=True)
    connector = fields.Many2One(
        'ev.connector', "Connector", ondelete='SET NULL', readonly=True,
        domain=[('station', '=', Eval('station', -1))])
    session = fields.Many2One(
        'ev.session', "Session", ondelete='SET NULL', readonly=True)
    occurred_at = fields.DateTime("Occurred at", required=True, readonly=True)
    kind = fields.Selection([
            ('connection', "Connection"),
            ('boot', "Boot"),
            ('status', "Status Change"),
            ('fault', "Fault"),
            ('firmware', "Firmware"),
            ('diagnostics', "Diagnostics"),
            ('security', "Security"),
            ('transaction', "Transaction"),
            ('protocol', "Protocol Error"),
            ('message', "Message"),
            ], "Kind", required=True, readonly=True)
    severity = fields.Selection([
            ('info', "Information"),
            ('warning', "Warning"),
            ('error', "Error"),
            ], "Severity", required=True, readonly=True)
    description = fields.Char("Description", readonly=True)
    error_code = fields.Char("Error Code", readonly=True)
    payload = fields.Text(
        "Payload", readonly=True,
        help="The OCPP message worth keeping, as the charger sent it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('station')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.station, Index.Range()),
                    (t.occurred_at, Index.Range(order='DESC'))),
                Index(t,
                    (t.severity, Index.Equality(cardinality='low')),
                    where=t.severity != 'info'),
                })
        cls._order = [('occurred_at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_occurred_at(cls):
        return utcnow()

    @classmethod
    def default_severity(cls):
        return 'info'

    def get_rec_name(self, name):
        return '%s @ %s' % (self.station.rec_name, self.occurred_at)
