# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
import json

from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Partner(metaclass=PoolMeta):
    __name__ = 'ev.partner'

    stations = fields.Function(
        fields.Many2Many('ev.station', None, None, "Stations"),
        'get_stations')

    def get_stations(self, name):
        pool = Pool()
        Station = pool.get('ev.station')
        if not self.party:
            return []
        return [s.id for s in Station.search([
                    ('partner', '=', self.party.id),
                    ('company', '=', self.company.id),
                    ])]

    @classmethod
    def connect(cls, partners):
        super().connect(partners)
        cls._set_stations_availability(
            [p for p in cls.browse(partners) if p.state == 'connected'],
            'operative')

    @classmethod
    def suspend(cls, partners):
        super().suspend(partners)
        cls._set_stations_availability(
            [p for p in cls.browse(partners) if p.state == 'suspended'],
            'inoperative')

    @classmethod
    def disconnect(cls, partners):
        super().disconnect(partners)
        cls._set_stations_availability(
            [p for p in cls.browse(partners) if p.state == 'disconnected'],
            'inoperative')

    @classmethod
    def _set_stations_availability(cls, partners, availability):
        """Tell the partner's online chargers to show themselves
        (in)operative

        The platform refuses new sessions of a partner that is not connected
        whatever the charger shows (ev.station.may_charge); this makes the
        charger's own display agree. A charger busy with a session answers
        "scheduled" and changes once the session ends, so sessions in
        progress finish normally."""
        pool = Pool()
        Command = pool.get('ev.station.command')
        commands = []
        for partner in partners:
            for station in partner.stations:
                if station.state != 'connected' or not station.online:
                    continue
                commands.append(Command(
                        station=station,
                        action='change_availability',
                        parameters=json.dumps({'type': availability})))
        if commands:
            Command.request(commands)
