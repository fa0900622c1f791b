# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.

from . import routes  # noqa: F401
from . import system_error

system_error.install_handler()
