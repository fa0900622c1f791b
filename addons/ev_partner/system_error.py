# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""System errors reach the message centre: failed scheduled and queued jobs
and unexpected server errors

A failing job or request rolls its own transaction back, so what reports
it writes in a transaction of its own, once the failing one has ended (on
SQLite the failing one may still hold the only write lock)."""
import logging
import threading
import time
import traceback

from trytond import backend
from trytond.exceptions import UserError, UserWarning
from trytond.model import ModelView, dualmethod
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, TransactionError

logger = logging.getLogger(__name__)
# Failures the platform expects and reports otherwise: a user's mistake, a
# lock conflict that trytond retries.
EXPECTED = (UserError, UserWarning, TransactionError,
    backend.DatabaseOperationalError)


def report_later(database_name, subject, body, key, resource=None):
    "Post a system error in a new transaction, after the current one ended"
    def post():
        for attempt in range(20):
            time.sleep(0.2 * (attempt + 1))
            try:
                with Transaction().start(database_name, 0) as transaction:
                    Message = Pool().get('ev.message')
                    Message.post('error', subject, body, priority='high',
                        key=key, resource=resource)
                    transaction.commit()
                return
            except Exception:
                logger.debug("cannot report the error yet", exc_info=True)
        logger.error("cannot report the error %s", key)
    threading.Thread(target=post, daemon=True).start()


def describe(exception):
    "Return the exception's type, message and last frames"
    lines = traceback.format_exception(exception)
    return ''.join(lines[-12:])


class Error(metaclass=PoolMeta):
    __name__ = 'ir.error'

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Message = pool.get('ev.message')
        errors = super().create(vlist)
        for error in errors:
            Message.post('error',
                ('ev_partner.msg_job_failed_subject', {
                        'job': error.origin.rec_name
                        if error.origin else '-'}),
                '\n'.join(filter(None, [error.message, error.description])),
                priority='high', key='job:%s' % error.origin,
                resource=error)
        return errors


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('ev.message|post_daily_summary', "Post Daily Summary"))

    @dualmethod
    @ModelView.button
    def run_once(cls, crons):
        try:
            return super().run_once(crons)
        except EXPECTED:
            # A UserError becomes an ir.error, and so a message.
            raise
        except Exception as exception:
            # Only the scheduler's runs: a user who runs it by hand sees
            # the error.
            if not Transaction().context.get('_cron'):
                raise
            report_later(Transaction().database.name,
                ('ev_partner.msg_job_failed_subject', {
                        'job': Transaction().context['_cron']}),
                describe(exception),
                key='job:%s' % Transaction().context['_cron'],
                resource=str(crons[0]) if len(crons) == 1 else None)
            raise


class Queue(metaclass=PoolMeta):
    __name__ = 'ir.queue'

    def run(self):
        try:
            return super().run()
        except EXPECTED:
            raise
        except Exception as exception:
            if self.id is None or self.id < 0:
                raise
            report_later(Transaction().database.name,
                ('ev_partner.msg_job_failed_subject', {'job': self.name}),
                describe(exception), key='job:%s' % self.name,
                resource=str(self))
            raise


class ServerErrorHandler(logging.Handler):
    """Report the exceptions trytond's dispatcher logs: the errors no user
    caused and no code expected"""

    def emit(self, record):
        if not record.exc_info or record.levelno < logging.ERROR:
            return
        exception = record.exc_info[1]
        # The dispatcher logs a lock conflict only once its retries are
        # spent: that is worth reporting.
        if isinstance(exception, (UserError, UserWarning, TransactionError)):
            return
        try:
            transaction = Transaction()
            database = transaction.database
            if database is None:
                return
            name = exception.__class__.__name__
            report_later(database.name,
                ('ev_partner.msg_server_error_subject', {'error': name}),
                record.getMessage() + '\n' + describe(exception),
                key='server:%s:%s' % (name, str(exception)[:80]))
        except Exception:
            pass


_handler = None


def install_handler():
    "Listen to the dispatcher's log, once per process"
    global _handler
    if _handler is None:
        _handler = ServerErrorHandler(level=logging.ERROR)
        logging.getLogger('trytond.protocols.dispatcher').addHandler(
            _handler)
