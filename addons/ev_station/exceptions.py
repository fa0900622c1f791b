# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class StationValidationError(ValidationError):
    pass


class StationDeleteError(AccessError):
    pass


class ConnectorValidationError(ValidationError):
    pass


class SessionValidationError(ValidationError):
    pass


class CommandValidationError(ValidationError):
    pass


class CommandModificationError(AccessError):
    pass


class StationCommandError(UserError):
    pass
