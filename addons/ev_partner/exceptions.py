# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class IdTagValidationError(ValidationError):
    pass


class PartnerValidationError(ValidationError):
    pass


class AgreementValidationError(ValidationError):
    pass


class ProfileError(UserError):
    pass


class ProfileValidationError(ValidationError):
    pass


class PasswordPolicyError(UserError):
    pass


class InvitationError(ValidationError):
    pass


class ApplicationError(UserError):
    pass


class InvitationLinkError(UserError):
    pass


class TooManyRequestsError(UserError):
    pass


class EmailResendError(UserError):
    pass
