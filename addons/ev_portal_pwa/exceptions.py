# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from trytond.exceptions import UserError


class ApiError(UserError):
    "A refused API request: the routes answer it with status and code"
    status = 400
    code = None


class BadRequestError(ApiError):
    status = 400


class NotLoggedInError(ApiError):
    status = 401


class LoginError(ApiError):
    status = 401


class ForbiddenError(ApiError):
    status = 403


class NotFoundError(ApiError):
    status = 404


class TooManyRequestsError(ApiError):
    status = 429
