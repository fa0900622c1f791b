# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.

from . import routes  # noqa: F401
from . import api_account  # noqa: F401
from . import api_charging  # noqa: F401
from . import api_receipt  # noqa: F401
from . import api_usage  # noqa: F401
from . import api_notifications  # noqa: F401
from . import api_promo  # noqa: F401
from . import api_support  # noqa: F401
