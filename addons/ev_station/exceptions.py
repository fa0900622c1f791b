# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.transaction import TransactionError


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


class ReferenceValidationError(ValidationError):
    pass


class GatewayStationError(UserError):
    pass


class GatewayArgumentError(UserError):
    pass


class GatewayCommandError(UserError):
    pass


class GatewayConfigurationError(UserError):
    pass


class ConcurrentInsertError(TransactionError):
    "A concurrent transaction inserted the same unique row first"
    # Not a user error: the dispatcher (like with_transaction and the
    # worker) rolls back and runs the call again on a TransactionError, and
    # the new snapshot sees the committed row.
