# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.pool import PoolMeta


class AuditLog(metaclass=PoolMeta):
    __name__ = 'ev.audit.log'

    @classmethod
    def _get_resources(cls):
        return super()._get_resources() + ['ev.tariff']
