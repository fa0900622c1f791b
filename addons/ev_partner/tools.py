# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Helpers shared by the ev_* modules"
import datetime as dt


def utcnow():
    "Return the current time as the naive UTC datetime Tryton stores"
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
