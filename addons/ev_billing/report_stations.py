# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from decimal import Decimal

from sql.aggregate import Count, Max, Sum

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

from .report_sessions import SessionRowMixin
from .report_xlsx import XlsxReport

_HOUR = Decimal('0.01')


def _hours(value):
    "Return the timedelta in hours"
    if value is None:
        return Decimal(0).quantize(_HOUR)
    return (Decimal(str(value.total_seconds())) / 3600).quantize(_HOUR)


class StationReport(SessionRowMixin, ModelSQL, ModelView):
    __name__ = 'ev.billing.report.station'
    __string__ = "EV Station Usage"

    connectors = fields.Integer(
        "Connectors", help="The connectors the station has.")
    charging_time = fields.TimeDelta(
        "Charging Time", help="The time vehicles drew energy.")
    charging_hours = fields.Function(fields.Numeric(
            "Charging Hours", digits=(16, 2)), 'get_usage')
    connector_hours = fields.Function(fields.Numeric(
            "Connector Hours", digits=(16, 2),
            help="The connectors times the hours of the period."),
        'get_usage')
    utilisation = fields.Function(fields.Float(
            "Utilisation", digits=(16, 4),
            help="The charging hours divided by the connector hours."),
        'get_usage')
    net_amount = Monetary(
        "Revenue net of Tax", currency='currency', digits='currency')

    @classmethod
    def _joins(cls):
        pool = Pool()
        Connector = pool.get('ev.connector')
        from_item, tables = super()._joins()
        connector = Connector.__table__()
        tables['connectors'] = connectors = connector.select(
            connector.station.as_('station'),
            Count(connector.id).as_('count'),
            group_by=[connector.station])
        from_item = from_item.join(connectors, type_='LEFT',
            condition=connectors.station == tables['station'].id)
        return from_item, tables

    @classmethod
    def _columns(cls, tables):
        session = tables['session']
        return super()._columns(tables) + [
            Max(tables['connectors'].count).as_('connectors'),
            Sum(session.charging_time).as_('charging_time'),
            cls._sum(cls.net_amount, session.net_amount, tables).as_(
                'net_amount'),
            ]

    @classmethod
    def get_usage(cls, rows, names):
        result = {n: {} for n in names}
        for row in rows:
            start, end = row.get_bounds()
            hours = _hours(row.charging_time)
            available = (Decimal(row.connectors or 0)
                * Decimal((end - start).days) * 24).quantize(_HOUR)
            values = {
                'charging_hours': hours,
                'connector_hours': available,
                'utilisation': (
                    round(float(hours / available), 4) if available
                    else None),
                }
            for name in names:
                result[name][row.id] = values[name]
        return result


class StationReportXlsx(XlsxReport):
    __name__ = 'ev.billing.report.station.xlsx'
    _model = 'ev.billing.report.station'
    _title = 'ev_billing.act_report_station'
    _columns = [
        ('date', 'date', None),
        ('station', 'text', None),
        ('partner', 'text', None),
        ('connectors', 'integer', None),
        ('sessions', 'integer', 'sum'),
        ('energy', 'kwh', 'sum'),
        ('charging_hours', 'hours', 'sum'),
        ('connector_hours', 'hours', 'sum'),
        ('utilisation', 'percent', 'utilisation'),
        ('net_amount', 'money', 'sum'),
        ('revenue', 'money', 'sum'),
        ('currency', 'text', None),
        ]

    @classmethod
    def _total(cls, name, records):
        if name == 'utilisation':
            charging = sum(r.charging_hours for r in records)
            available = sum(r.connector_hours for r in records)
            return float(charging / available) if available else None
        return super()._total(name, records)
