# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class TariffValidationError(ValidationError):
    pass


class TariffBoundError(ValidationError):
    pass


class AssignmentValidationError(ValidationError):
    pass


class SubscriptionValidationError(ValidationError):
    pass


class SubscriptionError(UserError):
    pass


class PromoCodeError(UserError):
    pass
