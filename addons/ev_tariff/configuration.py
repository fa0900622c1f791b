# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta

from .tariff import PRICE_DIGITS


def _bound(name, string, help):
    return fields.Numeric(string, digits=PRICE_DIGITS,
        domain=['OR', (name, '=', None), (name, '>=', 0)], help=help)


class Configuration(metaclass=PoolMeta):
    __name__ = 'ev.configuration'

    # The bounds of partner tariffs, in the company's currency; empty
    # means no bound. They hold for every tariff owned by a partner, who
    # ever edits it.
    tariff_max_price_per_kwh = _bound(
        'tariff_max_price_per_kwh', "Maximum Price per kWh",
        "The highest price per kWh a partner tariff may ask.")
    tariff_max_price_per_minute = _bound(
        'tariff_max_price_per_minute', "Maximum Price per Charging Minute",
        "The highest price per charging minute a partner tariff may ask.")
    tariff_max_idle_price_per_minute = _bound(
        'tariff_max_idle_price_per_minute', "Maximum Price per Idle Minute",
        "The highest price per idle minute a partner tariff may ask.")
    tariff_max_start_fee = _bound(
        'tariff_max_start_fee', "Maximum Start Fee",
        "The highest start fee a partner tariff may ask.")
    tariff_max_reservation_fee = _bound(
        'tariff_max_reservation_fee', "Maximum Reservation Fee",
        "The highest reservation fee a partner tariff may ask.")
    tariff_min_idle_grace_minutes = fields.Integer(
        "Minimum Idle Grace (min)",
        domain=['OR',
            ('tariff_min_idle_grace_minutes', '=', None),
            ('tariff_min_idle_grace_minutes', '>=', 0),
            ],
        help="The idle minutes a partner tariff must leave free at least.")
