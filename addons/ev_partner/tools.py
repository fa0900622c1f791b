# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Helpers shared by the ev_* modules"
import datetime as dt


def utcnow():
    "Return the current time as the naive UTC datetime Tryton stores"
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def lock(model, records):
    """Lock the records for the rest of the transaction

    On PostgreSQL trytond's Model.lock takes the rows FOR UPDATE (starting
    the transaction again with the lock taken). On SQLite it does nothing:
    a dummy update takes SQLite's write lock at once, before the reads
    that decide, so a concurrent writer waits or fails and is retried."""
    from trytond import backend
    from trytond.transaction import Transaction
    records = list(records)
    if not records:
        return
    model.lock(records)
    if backend.name == 'sqlite':
        table = model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.id], [table.id],
                where=table.id.in_([int(r) for r in records])))
