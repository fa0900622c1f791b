# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Literal, Null, Union
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Round

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from .report_context import ReportMixin
from .report_xlsx import XlsxReport

PENDING = ['draft', 'submitted', 'approved', 'processing']
_AMOUNTS = [
    'topup_amount', 'capture_amount', 'charge_amount', 'to_invoice_amount',
    'refund_amount', 'pending_amount', 'failed_amount']
_COUNTS = ['pending_count', 'failed_count']


class ClientReport(ReportMixin, ModelSQL, ModelView):
    __name__ = 'ev.billing.report.client'
    __string__ = "EV Client Payments"

    client = fields.Many2One(
        'party.party', "Client",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    partner = fields.Many2One(
        'party.party', "Network",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="When set, the figures are those of the client's sessions at "
        "this partner's stations only.")
    topup_amount = Monetary(
        "Top-ups", currency='currency', digits='currency',
        help="The balance top-ups paid by card.")
    capture_amount = Monetary(
        "Card Captures", currency='currency', digits='currency',
        help="The prices of sessions captured on the client's card.")
    charge_amount = Monetary(
        "Charges", currency='currency', digits='currency',
        help="The prices, tax included, of the client's invoiced sessions, "
        "and the client's other invoices (subscription fees).")
    to_invoice_amount = Monetary(
        "To Invoice", currency='currency', digits='currency',
        help="The prices of the sessions waiting for the month's invoice.")
    refund_amount = Monetary(
        "Refunds", currency='currency', digits='currency',
        help="The credit notes, tax included, paid back to the balance.")
    pending_count = fields.Integer(
        "Pending Payments", help="The card payments not final yet.")
    pending_amount = Monetary(
        "Pending Amount", currency='currency', digits='currency')
    failed_count = fields.Integer(
        "Failed Payments",
        help="The card payments declined, voided or abandoned.")
    failed_amount = Monetary(
        "Failed Amount", currency='currency', digits='currency')
    closing_balance = fields.Function(Monetary(
            "Balance at Period End", currency='currency',
            digits='currency',
            help="The client's balance in the books at the end of the "
            "period."),
        'get_balances')
    balance = fields.Function(Monetary(
            "Current Balance", currency='currency', digits='currency',
            help="The client's balance in the books now."),
        'get_balances')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('client', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = Currency.__table__()
        queries = [cls._payments(), cls._sessions(), cls._credit_notes()]
        if not cls._network():
            # A subscription fee is the client's, not a network's.
            queries.append(cls._fee_invoices())
        event = Union(*queries, all_=True)
        integer = cls.partner.sql_type().base
        network = cls._context_partner()
        columns = [
            Min(event.id).as_('id'),
            event.company.as_('company'),
            event.currency.as_('currency'),
            event.client.as_('client'),
            event.date.as_('date'),
            (Cast(Literal(network), integer) if network
                else Cast(Null, integer)).as_('partner'),
            ]
        for name in _AMOUNTS:
            field = getattr(cls, name)
            columns.append(Round(
                    Sum(field.sql_cast(getattr(event, name))),
                    currency.digits).as_(name))
        for name in _COUNTS:
            columns.append(Sum(getattr(event, name)).as_(name))
        return event.join(currency,
            condition=event.currency == currency.id
            ).select(*columns,
            group_by=[
                event.company, event.currency, currency.digits,
                event.client, event.date])

    @classmethod
    def _event_columns(cls, **values):
        "Return the columns of an event, the amounts missing as zero"
        columns = []
        for name in _AMOUNTS + _COUNTS:
            columns.append(values.get(name, Literal(0)).as_(name))
        return columns

    @classmethod
    def _where_network(cls, station):
        "Return the condition on the station of a session"
        where = Literal(True)
        if cls._context_partner():
            where &= station.partner == cls._context_partner()
        if cls._context_station():
            where &= station.id == cls._context_station()
        return where

    @classmethod
    def _network(cls):
        return bool(cls._context_partner() or cls._context_station())

    @classmethod
    def _where_common(cls, table, party):
        where = Literal(True)
        company = cls._context_company()
        if company is not None:
            where &= table.company == company
        if cls._context_client():
            where &= party == cls._context_client()
        return where

    @classmethod
    def _payments(cls):
        "Return the query of the clients' card payments"
        pool = Pool()
        Payment = pool.get('account.payment')
        Journal = pool.get('account.payment.journal')
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        payment = Payment.__table__()
        journal = Journal.__table__()
        session = Session.__table__()
        station = Station.__table__()
        amount = Coalesce(payment.amount, 0)

        def when(condition, value):
            return Case((condition, value), else_=0)
        succeeded = payment.state == 'succeeded'
        where = ((payment.kind == 'receivable')
            & payment.ev_kind.in_(['topup', 'session'])
            & cls._where_days(payment.date)
            & cls._where_common(payment, payment.party))
        if cls._network():
            # A top-up is the client's, not a network's.
            where &= (payment.ev_kind == 'session') & cls._where_network(
                station)
        return (payment
            .join(journal, condition=payment.journal == journal.id)
            .join(session, type_='LEFT',
                condition=payment.ev_session == session.id)
            .join(station, type_='LEFT',
                condition=session.station == station.id)
            .select(
                (payment.id * 3).as_('id'),
                payment.company.as_('company'),
                journal.currency.as_('currency'),
                payment.party.as_('client'),
                cls._column_day(payment.date).as_('date'),
                *cls._event_columns(
                    topup_amount=when(
                        succeeded & (payment.ev_kind == 'topup'), amount),
                    capture_amount=when(
                        succeeded & (payment.ev_kind == 'session'), amount),
                    pending_amount=when(payment.state.in_(PENDING), amount),
                    pending_count=when(payment.state.in_(PENDING), 1),
                    failed_amount=when(payment.state == 'failed', amount),
                    failed_count=when(payment.state == 'failed', 1)),
                where=where))

    @classmethod
    def _sessions(cls):
        "Return the query of the clients' charged sessions"
        pool = Pool()
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        Company = pool.get('company.company')
        session = Session.__table__()
        station = Station.__table__()
        company = Company.__table__()
        amount = Coalesce(session.amount, 0)
        where = ((session.client != Null)
            & session.billing_state.in_(['invoiced', 'pending'])
            & (session.start_at != Null)
            & cls._where_dates(session.start_at)
            & cls._where_common(session, session.client)
            & cls._where_network(station))
        return (session
            .join(station, condition=session.station == station.id)
            .join(company, condition=session.company == company.id)
            .select(
                (session.id * 3 + 1).as_('id'),
                session.company.as_('company'),
                Coalesce(session.currency, company.currency).as_('currency'),
                session.client.as_('client'),
                cls._column_date(session.start_at).as_('date'),
                *cls._event_columns(
                    charge_amount=Case(
                        (session.billing_state == 'invoiced', amount),
                        else_=0),
                    to_invoice_amount=Case(
                        (session.billing_state == 'pending', amount),
                        else_=0)),
                where=where))

    @classmethod
    def _credit_notes(cls):
        "Return the query of the clients' credit notes"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Session = pool.get('ev.session')
        Station = pool.get('ev.station')
        invoice = Invoice.__table__()
        line = Line.__table__()
        session = Session.__table__()
        station = Station.__table__()
        # A refund credits one session: its lines name it.
        sessions = line.select(
            line.invoice.as_('invoice'),
            Max(line.ev_session).as_('session'),
            where=line.ev_session != Null,
            group_by=[line.invoice])
        total = Invoice.total_amount_cache.sql_cast(
            invoice.total_amount_cache)
        where = ((invoice.type == 'out')
            & invoice.state.in_(['posted', 'paid'])
            & (total < 0)
            & cls._where_days(invoice.invoice_date)
            & cls._where_common(invoice, invoice.party))
        if cls._network():
            where &= cls._where_network(station)
        else:
            where &= (sessions.session != Null)
        return (invoice
            .join(sessions, type_='LEFT',
                condition=sessions.invoice == invoice.id)
            .join(session, type_='LEFT',
                condition=sessions.session == session.id)
            .join(station, type_='LEFT',
                condition=session.station == station.id)
            .select(
                (invoice.id * 3 + 2).as_('id'),
                invoice.company.as_('company'),
                invoice.currency.as_('currency'),
                invoice.party.as_('client'),
                cls._column_day(invoice.invoice_date).as_('date'),
                *cls._event_columns(
                    refund_amount=-total),
                where=where))

    @classmethod
    def _fee_invoices(cls):
        """Return the query of the clients' invoices that bill no session:
        the subscription fees"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        invoice = Invoice.__table__()
        line = Line.__table__()
        total = Invoice.total_amount_cache.sql_cast(
            invoice.total_amount_cache)
        sessions = line.select(line.invoice,
            where=line.ev_session != Null)
        where = ((invoice.type == 'out')
            & invoice.state.in_(['posted', 'paid'])
            & (total > 0)
            & ~invoice.id.in_(sessions)
            & cls._where_days(invoice.invoice_date)
            & cls._where_common(invoice, invoice.party))
        # Their ids share the credit notes' (those have a negative total).
        return invoice.select(
            (invoice.id * 3 + 2).as_('id'),
            invoice.company.as_('company'),
            invoice.currency.as_('currency'),
            invoice.party.as_('client'),
            cls._column_day(invoice.invoice_date).as_('date'),
            *cls._event_columns(charge_amount=total),
            where=where)

    @classmethod
    def get_balances(cls, rows, names):
        "Return the client balances of the rows, unless for one network"
        pool = Pool()
        Configuration = pool.get('ev.configuration')
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        Party = pool.get('party.party')
        result = {n: {r.id: None for r in rows} for n in names}
        rows = [r for r in rows if not r.partner and r.client]
        account = Configuration(1).balance_account
        if not rows or not account or cls._network():
            return result
        if 'balance' in names:
            balances = Party.ev_get_balance(list({r.client for r in rows}))
            for row in rows:
                result['balance'][row.id] = balances[row.client.id]
        if 'closing_balance' in names:
            line = Line.__table__()
            move = Move.__table__()
            cursor = Transaction().connection.cursor()
            per_end = defaultdict(list)
            for row in rows:
                per_end[row.get_bounds()[1]].append(row)
            for end, end_rows in per_end.items():
                balances = defaultdict(Decimal)
                for sub in grouped_slice(
                        list({r.client.id for r in end_rows}),
                        backend.MAX_QUERY_PARAMS):
                    cursor.execute(*line.join(move,
                            condition=line.move == move.id
                            ).select(line.party,
                            Sum(line.credit - line.debit),
                            where=(line.account == account.id)
                            & line.party.in_(list(sub))
                            & (move.state == 'posted')
                            & (move.company == account.company.id)
                            & (move.date < end),
                            group_by=line.party))
                    for party, balance in cursor:
                        # SQLite sums numerics as floats.
                        balances[party] = Decimal(str(balance))
                for row in end_rows:
                    result['closing_balance'][row.id] = row.currency.round(
                        balances[row.client.id])
        return result

    def get_rec_name(self, name):
        return self.client.rec_name if self.client else ''


class ClientReportOpenPayments(Wizard):
    "Open the card payments of client report rows"
    __name__ = 'ev.billing.report.client.open_payments'
    start_state = 'open_'
    open_ = StateAction('account_payment.act_payment_form')

    def do_open_(self, action):
        domain = ['OR']
        for row in self.records:
            start, end = row.get_bounds()
            clause = [
                ('company', '=', row.company.id),
                ('party', '=', row.client.id),
                ('kind', '=', 'receivable'),
                ('date', '>=', start),
                ('date', '<', end),
                ]
            if row.partner:
                clause.append(('ev_kind', '=', 'session'))
                clause.append(
                    ('ev_session.station.partner', '=', row.partner.id))
            else:
                clause.append(('ev_kind', 'in', ['topup', 'session']))
            station = Transaction().context.get('station')
            if station:
                clause.append(('ev_session.station', '=', station))
            domain.append(clause)
        if len(domain) == 1:
            domain = [('id', '=', -1)]
        action['pyson_domain'] = PYSONEncoder().encode(domain)
        action['name'] += ' (%s)' % ', '.join(
            r.rec_name for r in self.records[:3])
        return action, {}


class ClientReportXlsx(XlsxReport):
    __name__ = 'ev.billing.report.client.xlsx'
    _model = 'ev.billing.report.client'
    _title = 'ev_billing.act_report_client'
    _columns = [
        ('date', 'date', None),
        ('client', 'text', None),
        ('topup_amount', 'money', 'sum'),
        ('capture_amount', 'money', 'sum'),
        ('charge_amount', 'money', 'sum'),
        ('refund_amount', 'money', 'sum'),
        ('to_invoice_amount', 'money', 'sum'),
        ('pending_count', 'integer', 'sum'),
        ('pending_amount', 'money', 'sum'),
        ('failed_count', 'integer', 'sum'),
        ('failed_amount', 'money', 'sum'),
        ('closing_balance', 'money', None),
        ('balance', 'money', None),
        ('currency', 'text', None),
        ]
