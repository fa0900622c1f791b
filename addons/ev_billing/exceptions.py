# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError


class BillingError(UserError):
    pass


class SettlementError(UserError):
    pass
