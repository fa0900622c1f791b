# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.model.exceptions import ValidationError


class IdTagValidationError(ValidationError):
    pass


class PartnerValidationError(ValidationError):
    pass


class AgreementValidationError(ValidationError):
    pass
