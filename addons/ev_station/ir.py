# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('ev.station|mark_offline', "Mark Silent Stations Offline"),
                ('ev.station.command|time_out',
                    "Time Out Unanswered Station Commands"),
                ])
