# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Helpers to build a station network in tests and scenarios"
from decimal import Decimal

from proteus import Model

from trytond.modules.company.tests.tools import get_company

__all__ = ['create_partner', 'create_station']


def create_partner(name="Partner", config=None):
    "Create and return a charging partner party"
    Party = Model.get('party.party', config=config)
    partner = Party(name=name, ev_partner=True)
    partner.save()
    return partner


def create_station(identity, partner, connectors=(('type2', '22'),),
        company=None, config=None, **values):
    "Create and return a draft station with its connectors"
    Station = Model.get('ev.station', config=config)
    ConnectorType = Model.get('ev.connector.type', config=config)
    if company is None:
        company = get_company(config=config)
    station = Station(
        name=values.pop('name', identity), identity=identity,
        partner=partner, company=company, **values)
    for number, (code, power) in enumerate(connectors, 1):
        type_, = ConnectorType.find([('code', '=', code)])
        connector = station.connectors.new()
        connector.number = number
        connector.evse = number
        connector.type = type_
        connector.max_power = Decimal(power)
    station.save()
    return station
