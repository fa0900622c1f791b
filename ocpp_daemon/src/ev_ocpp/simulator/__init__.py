# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Simulated OCPP 1.6J and 2.0.1 charge points for tests and load runs"""
from .base import Charger
from .behaviour import Behaviour
from .connection import NegotiationError
from .transaction import Transaction
from .v16 import Charger16
from .v201 import Charger201

__all__ = ['Behaviour', 'Charger', 'Charger16', 'Charger201',
    'NegotiationError', 'Transaction', 'VERSIONS', 'create_charger']

VERSIONS = {Charger16.version: Charger16, Charger201.version: Charger201}


def create_charger(version, url, identity, password=None, **options):
    "Return an unconnected charger speaking OCPP version ('1.6', '2.0.1')"
    try:
        class_ = VERSIONS[version]
    except KeyError:
        raise ValueError('unknown OCPP version %r' % version) from None
    return class_(url, identity, password, **options)
