# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Unit tests of the billing reports: views, drill-down and Excel workbooks"
import datetime as dt
import io
import re
import unittest
import zipfile
from decimal import Decimal

from lxml import etree

from trytond.model.exceptions import AccessError
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)
NS = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
REPORTS = [
    'ev.billing.report.session',
    'ev.billing.report.client',
    'ev.billing.report.partner',
    'ev.billing.report.station',
    ]


def at(month, day, hour=12, minute=0):
    "Return the naive UTC time of the day of 2026"
    return dt.datetime(2026, month, day, hour, minute)


def hours(h, m=0, s=0):
    return dt.timedelta(hours=h, minutes=m, seconds=s)


def read_xlsx(content):
    "Return the cells of the first sheet of the workbook as lists of rows"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        strings = []
        if 'xl/sharedStrings.xml' in archive.namelist():
            root = etree.fromstring(archive.read('xl/sharedStrings.xml'))
            strings = [''.join(si.itertext()) for si in root.iter(NS + 'si')]
        sheet = etree.fromstring(archive.read('xl/worksheets/sheet1.xml'))
        styles = archive.read('xl/styles.xml').decode()
    rows = {}
    for cell in sheet.iter(NS + 'c'):
        column, row = re.match(r'([A-Z]+)(\d+)', cell.get('r')).groups()
        value = cell.find(NS + 'v')
        formula = cell.find(NS + 'f')
        value = value.text if value is not None else None
        if cell.get('t') == 's':
            value = strings[int(value)]
        elif value is not None and cell.get('t') != 'str':
            value = Decimal(value)
        if formula is not None:
            value = ('=' + formula.text, value)
        index = 0
        for char in column:
            index = index * 26 + ord(char) - ord('A') + 1
        rows.setdefault(int(row), {})[index - 1] = value
    result = []
    for number in range(1, max(rows) + 1):
        cells = rows.get(number, {})
        result.append(
            [cells.get(i) for i in range(max(cells, default=-1) + 1)])
    return result, styles


class ReportsTestCase(unittest.TestCase):
    "Test the billing reports"
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('ev_billing')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setup_books(self, company):
        "Create the chart, the 2026 fiscal year and the billing accounts"
        pool = Pool()
        Account = pool.get('account.account')
        Configuration = pool.get('ev.configuration')
        FiscalYear = pool.get('account.fiscalyear')
        create_chart(company)
        fiscalyear = get_fiscalyear(company, today=JAN)
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        receivable, = Account.search([
                ('type.receivable', '=', True),
                ('party_required', '=', True),
                ('company', '=', company.id),
                ], limit=1)
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('company', '=', company.id),
                ], limit=1)
        cash, = Account.search([
                ('name', '=', 'Cash and Cash Equivalents'),
                ('company', '=', company.id),
                ], limit=1)
        config = Configuration(1)
        config.balance_account = receivable
        config.commission_account = revenue
        config.save()
        self.receivable, self.revenue, self.cash = receivable, revenue, cash

    def move(self, date, lines, post=True):
        pool = Pool()
        Move = pool.get('account.move')
        Journal = pool.get('account.journal')
        Period = pool.get('account.period')
        company = Pool().get('company.company')(
            Transaction().context['company'])
        journal, = Journal.search([('type', '=', 'general')], limit=1)
        move, = Move.create([{
                    'journal': journal.id,
                    'company': company.id,
                    'date': date,
                    'period': Period.find(company, date=date),
                    'lines': [('create', lines)],
                    }])
        if post:
            Move.post([move])
        return move

    def balance(self, date, client, amount):
        "Post amount to the client's balance (a credit when positive)"
        debit, credit = (0, amount) if amount > 0 else (-amount, 0)
        return self.move(date, [{
                    'account': self.receivable.id, 'party': client.id,
                    'debit': debit, 'credit': credit,
                    }, {
                    'account': self.cash.id,
                    'debit': credit, 'credit': debit,
                    }])

    def network(self):
        """Build two partners, three stations, two clients, their sessions,
        payments, balance moves, a credit note and a paid settlement over
        January and February 2026"""
        pool = Pool()
        Partner = pool.get('ev.partner')
        Party = pool.get('party.party')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Session = pool.get('ev.session')
        Payment = pool.get('account.payment')
        PaymentJournal = pool.get('account.payment.journal')
        Invoice = pool.get('account.invoice')
        Settlement = pool.get('ev.billing.settlement')
        company = pool.get('company.company')(
            Transaction().context['company'])
        self.setup_books(company)

        alpha, beta = Partner.create([{
                    'legal_name': name,
                    'contact_email': '%s@example.com' % name.lower(),
                    } for name in ['Alpha', 'Beta']])
        type_, = ConnectorType.search([('code', '=', 'ccs2')])

        def station(identity, partner, connectors=1):
            station = Station(
                name=identity, identity=identity, partner=partner.party,
                connectors=[Connector(
                        number=n, evse=n, type=type_,
                        max_power=Decimal('50'))
                    for n in range(1, connectors + 1)])
            station.save()
            return station
        a1 = station('A-1', alpha, 2)
        a2 = station('A-2', alpha)
        b1 = station('B-1', beta)
        c1, c2 = Party.create([
                {'name': "Client %s" % i, 'ev_client': True}
                for i in [1, 2]])

        def session(station, client, start, energy, amounts, charging,
                billing, state='finished'):
            net, tax, partner, commission = map(Decimal, amounts)
            return {
                'station': station.id,
                'connector': station.connectors[0].id,
                'client': client.id,
                'start_at': start,
                'stop_at': start + charging,
                'energy_wh': energy,
                'net_amount': net,
                'tax_amount': tax,
                'amount': net + tax,
                'partner_amount': partner,
                'commission_amount': commission,
                'charging_time': charging,
                'billing_state': billing,
                'state': state,
                }
        s1, s2, s3, s4, s5, s6, s7 = Session.create([
                session(a1, c1, at(1, 10, 8), 20000,
                    ['10.00', '2.00', '8.00', '2.00'], hours(10),
                    'invoiced'),
                session(a1, c2, at(1, 20), 5000,
                    ['2.50', '0.50', '2.00', '0.50'], hours(4, 52, 48),
                    'invoiced'),
                session(b1, c1, at(1, 15), 10000,
                    ['5.00', '1.00', '4.50', '0.50'], hours(7, 26, 24),
                    'invoiced'),
                session(a1, c1, at(2, 3), 30000,
                    ['15.00', '3.00', '12.00', '3.00'], hours(13, 26, 24),
                    'pending'),
                session(a2, c2, at(2, 10), 1234,
                    ['0', '0', '0', '0'], hours(1), 'free'),
                # Still charging: not in the reports
                session(a1, c1, at(2, 20), 500,
                    ['0', '0', '0', '0'], hours(0), None, 'active'),
                # Before the dates
                session(b1, c2, dt.datetime(2025, 12, 31, 23), 7000,
                    ['3.00', '0.60', '2.70', '0.30'], hours(2),
                    'invoiced'),
                ])
        self.sessions = [s1, s2, s3, s4, s5, s6, s7]

        journal = PaymentJournal(
            name="Cards", currency=company.currency,
            process_method='manual')
        journal.save()

        def payment(client, amount, kind, state, date, session=None):
            states.append(state)
            return {
                'company': company.id,
                'journal': journal.id,
                'kind': 'receivable',
                'party': client.id,
                'amount': Decimal(amount),
                'date': date,
                'ev_kind': kind,
                'ev_session': session.id if session else None,
                }
        states = []
        self.payments = Payment.create([
                payment(c1, '100', 'topup', 'succeeded', dt.date(2026, 1, 5)),
                payment(c1, '50', 'topup', 'failed', dt.date(2026, 1, 6)),
                payment(c2, '3.00', 'session', 'succeeded',
                    dt.date(2026, 1, 20), s2),
                payment(c2, '20', 'topup', 'processing', dt.date(2026, 2, 1)),
                payment(c1, '18.00', 'session', 'approved',
                    dt.date(2026, 2, 3), s4),
                ])
        # The workflow wants a payment group: write the states directly.
        table = Payment.__table__()
        cursor = Transaction().connection.cursor()
        for payment_, state in zip(self.payments, states):
            cursor.execute(*table.update(
                    [table.state], [state], where=table.id == payment_.id))

        # The books of the balances: c1 tops up 100, is charged 12 and 6,
        # refunded 2; c2's card capture pays its charge of 3.
        self.balance(dt.date(2026, 1, 5), c1, Decimal(100))
        self.balance(dt.date(2026, 1, 10), c1, Decimal(-12))
        self.balance(dt.date(2026, 1, 15), c1, Decimal(-6))
        self.balance(dt.date(2026, 2, 12), c1, Decimal(2))
        self.balance(dt.date(2026, 1, 20), c2, Decimal(3))
        self.balance(dt.date(2026, 1, 20), c2, Decimal(-3))

        # The credit note of a refund of 2.00 on s1
        address = c1.addresses[0] if c1.addresses else None
        if not address:
            address, = pool.get('party.address').create(
                [{'party': c1.id}])
        credit_note, = Invoice.create([{
                    'company': company.id,
                    'type': 'out',
                    'party': c1.id,
                    'invoice_address': address.id,
                    'currency': company.currency.id,
                    'account': self.receivable.id,
                    'invoice_date': dt.date(2026, 2, 12),
                    'lines': [('create', [{
                                    'type': 'line',
                                    'company': company.id,
                                    'currency': company.currency.id,
                                    'account': (
                                        alpha.party.account_payable_used.id),
                                    'ev_partner_party': alpha.party.id,
                                    'quantity': 1,
                                    'unit_price': Decimal('-1.67'),
                                    'ev_session': s1.id,
                                    'ev_station': a1.id,
                                    }])],
                    }])

        # Posted as the refund posts it (without its move)
        table = Invoice.__table__()
        cursor.execute(*table.update(
                [table.state, table.total_amount_cache,
                    table.untaxed_amount_cache, table.tax_amount_cache],
                ['posted', Decimal('-2.00'), Decimal('-1.67'),
                    Decimal('-0.33')],
                where=table.id == credit_note.id))

        # Alpha's January is settled and paid: fees 5, s1 and s2 settled.
        settlement, draft = Settlement.create([{
                    'company': company.id,
                    'partner': alpha.id,
                    'currency': company.currency.id,
                    'start_date': JAN,
                    'end_date': dt.date(2026, 1, 31),
                    'state': 'paid',
                    'fee_amount': Decimal(5),
                    'lines': [('create', [{
                                    'station': a1.id,
                                    'sessions': 2,
                                    'energy_wh': 25000,
                                    'partner_amount': Decimal('10.00'),
                                    'commission_amount': Decimal('2.50'),
                                    }])],
                    }, {
                    'company': company.id,
                    'partner': beta.id,
                    'currency': company.currency.id,
                    'start_date': JAN,
                    'end_date': dt.date(2026, 1, 31),
                    'state': 'draft',
                    'fee_amount': Decimal(7),
                    }])
        payable = alpha.party.account_payable_used
        self.move(dt.date(2026, 1, 31), [{
                    'account': payable.id, 'party': alpha.party.id,
                    'debit': 0, 'credit': session_.partner_amount,
                    'ev_session': session_.id, 'ev_station': a1.id,
                    'ev_settlement': settlement.id,
                    } for session_ in [s1, s2]] + [{
                        'account': self.cash.id,
                        'debit': Decimal('10.00'), 'credit': 0,
                        }])
        return alpha, beta, c1, c2

    def context(self, **values):
        values.setdefault('from_date', JAN)
        values.setdefault('to_date', dt.date(2026, 2, 28))
        values.setdefault('period', 'month')
        return Transaction().set_context(**values)

    def rows(self, model, fields, domain=None):
        Model = Pool().get(model)
        return [tuple(getattr(r, f) for f in fields)
            for r in Model.search(domain or [])]

    def staff(self, company, partner, group='partner_accountant'):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user = User(
            login='staff-%s' % partner.id, ev_partner=partner,
            company=company, companies=[company],
            groups=[ModelData.get_id('ev_partner', 'group_ev_%s' % group)])
        user.save()
        return user

    def as_user(self, user):
        transaction = Transaction()
        return transaction.set_user(user.id), transaction.set_context(
            _check_access=True)

    def xlsx(self, model):
        Report = Pool().get(model + '.xlsx', type='report')
        type_, content, direct_print, name = Report.execute([], {})
        self.assertEqual(type_, 'xlsx')
        self.assertFalse(direct_print)
        return read_xlsx(content)[0], name

    @with_transaction()
    def test_sessions(self):
        "Sessions, energy, amounts and split by station, partner and month"
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            d = Decimal
            with self.context():
                rows = [(r.date, r.partner, r.station.identity, r.sessions,
                        r.energy, r.net_amount, r.tax_amount, r.revenue,
                        r.partner_amount, r.commission_amount)
                    for r in Pool().get(REPORTS[0]).search([])]
                self.assertEqual(rows, [
                        (JAN, alpha.party, 'A-1', 2, d('25.000'), d('12.50'),
                            d('2.50'), d('15.00'), d('10.00'), d('2.50')),
                        (JAN, beta.party, 'B-1', 1, d('10.000'), d('5.00'),
                            d('1.00'), d('6.00'), d('4.50'), d('0.50')),
                        (FEB, alpha.party, 'A-1', 1, d('30.000'), d('15.00'),
                            d('3.00'), d('18.00'), d('12.00'), d('3.00')),
                        (FEB, alpha.party, 'A-2', 1, d('1.234'), d('0'),
                            d('0'), d('0'), d('0'), d('0')),
                        ])
                # Partner revenue + commission = the amount net of tax
                for row in Pool().get(REPORTS[0]).search([]):
                    self.assertEqual(
                        row.partner_amount + row.commission_amount,
                        row.net_amount)
            with self.context(period='day', partner=alpha.party.id,
                    to_date=dt.date(2026, 1, 31)):
                self.assertEqual(
                    self.rows(REPORTS[0], ['date', 'sessions', 'revenue']), [
                        (dt.date(2026, 1, 10), 1, d('12.00')),
                        (dt.date(2026, 1, 20), 1, d('3.00')),
                        ])
            station = self.sessions[2].station
            with self.context(station=station.id):
                self.assertEqual(
                    self.rows(REPORTS[0], ['date', 'sessions']),
                    [(JAN, 1)])

    @with_transaction()
    def test_station_usage(self):
        "Charging hours and utilisation of the connectors per station"
        company = create_company()
        with set_company(company):
            self.network()
            d = Decimal
            fields = ['date', 'connectors', 'sessions', 'energy',
                'charging_hours', 'connector_hours', 'utilisation',
                'net_amount', 'revenue']
            Report = Pool().get(REPORTS[3])
            with self.context():
                rows = [(r.station.identity,) + tuple(
                        getattr(r, f) for f in fields)
                    for r in Report.search([])]
                self.assertEqual(rows, [
                        ('A-1', JAN, 2, 2, d('25.000'), d('14.88'),
                            d('1488.00'), 0.01, d('12.50'), d('15.00')),
                        ('B-1', JAN, 1, 1, d('10.000'), d('7.44'),
                            d('744.00'), 0.01, d('5.00'), d('6.00')),
                        ('A-1', FEB, 2, 1, d('30.000'), d('13.44'),
                            d('1344.00'), 0.01, d('15.00'), d('18.00')),
                        ('A-2', FEB, 1, 1, d('1.234'), d('1.00'),
                            d('672.00'), 0.0015, d('0'), d('0')),
                        ])
            # The period is cut to the dates: 11 days of January
            with self.context(from_date=dt.date(2026, 1, 10),
                    to_date=dt.date(2026, 1, 20)):
                self.assertEqual(
                    [(r.station.identity, r.connector_hours, r.utilisation)
                        for r in Report.search([])], [
                        ('A-1', d('528.00'), 0.0282),
                        ('B-1', d('264.00'), 0.0282),
                        ])

    @with_transaction()
    def test_partner_income(self):
        "Partner revenue, commission, fees, payouts and what is settled"
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            d = Decimal
            fields = ['date', 'partner', 'sessions', 'net_amount',
                'partner_amount', 'commission_amount', 'settled_amount',
                'unsettled_amount', 'fee_amount', 'payout_amount',
                'paid_amount', 'platform_amount']
            with self.context():
                self.assertEqual(self.rows(REPORTS[2], fields), [
                        (JAN, alpha.party, 2, d('12.50'), d('10.00'),
                            d('2.50'), d('10.00'), d('0'), d('5.00'),
                            d('5.00'), d('5.00'), d('7.50')),
                        (JAN, beta.party, 1, d('5.00'), d('4.50'), d('0.50'),
                            d('0'), d('4.50'), d('0'), d('0'), d('0'),
                            d('0.50')),
                        (FEB, alpha.party, 2, d('15.00'), d('12.00'),
                            d('3.00'), d('0'), d('12.00'), d('0'), d('0'),
                            d('0'), d('3.00')),
                        ])
            with self.context(period='year', partner=alpha.party.id):
                self.assertEqual(
                    self.rows(REPORTS[2], ['date', 'partner_amount',
                            'settled_amount', 'fee_amount']), [
                        (JAN, d('22.00'), d('10.00'), d('5.00')),
                        ])

    @with_transaction()
    def test_client_payments(self):
        "Top-ups, captures, charges, refunds, balances and failed payments"
        pool = Pool()
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            d = Decimal
            fields = ['date', 'client', 'partner', 'topup_amount',
                'capture_amount', 'charge_amount', 'to_invoice_amount',
                'refund_amount', 'pending_count', 'pending_amount',
                'failed_count', 'failed_amount', 'closing_balance',
                'balance']
            with self.context():
                self.assertEqual(self.rows(REPORTS[1], fields), [
                        (JAN, c1, None, d('100.00'), d('0'), d('18.00'),
                            d('0'), d('0'), 0, d('0'), 1, d('50.00'),
                            d('82.00'), d('84.00')),
                        (JAN, c2, None, d('0'), d('3.00'), d('3.00'),
                            d('0'), d('0'), 0, d('0'), 0, d('0'), d('0'),
                            d('0')),
                        (FEB, c1, None, d('0'), d('0'), d('0'), d('18.00'),
                            d('2.00'), 1, d('18.00'), 0, d('0'), d('84.00'),
                            d('84.00')),
                        (FEB, c2, None, d('0'), d('0'), d('0'), d('0'),
                            d('0'), 1, d('20.00'), 0, d('0'), d('0'),
                            d('0')),
                        ])
                # The balance is top-ups + captures - charges + refunds.
                for client in [c1, c2]:
                    rows = pool.get(REPORTS[1]).search(
                        [('client', '=', client.id)])
                    self.assertEqual(
                        sum(r.topup_amount + r.capture_amount
                            - r.charge_amount + r.refund_amount
                            for r in rows),
                        Party.ev_get_balance([client])[client.id])
            # One network: its sessions only, no top-up nor balance
            with self.context(partner=alpha.party.id):
                self.assertEqual(self.rows(REPORTS[1], fields), [
                        (JAN, c1, alpha.party, d('0'), d('0'), d('12.00'),
                            d('0'), d('0'), 0, d('0'), 0, d('0'), None,
                            None),
                        (JAN, c2, alpha.party, d('0'), d('3.00'),
                            d('3.00'), d('0'), d('0'), 0, d('0'), 0, d('0'),
                            None, None),
                        (FEB, c1, alpha.party, d('0'), d('0'), d('0'),
                            d('18.00'), d('2.00'), 1, d('18.00'), 0, d('0'),
                            None, None),
                        ])
            with self.context(client_party=c2.id, period='year'):
                self.assertEqual(
                    self.rows(REPORTS[1], ['client', 'pending_amount']),
                    [(c2, d('20.00'))])

    @with_transaction()
    def test_client_open_payments(self):
        "The client report opens the card payments of its rows"
        pool = Pool()
        Payment = pool.get('account.payment')
        Open = pool.get(
            'ev.billing.report.client.open_payments', type='wizard')
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            p1, p2, p3, p4, p5 = self.payments

            def open_(row, **context):
                with self.context(**context), \
                        Transaction().set_context(
                            active_model=REPORTS[1], active_id=row.id,
                            active_ids=[row.id]):
                    session_id, _, _ = Open.create()
                    result = Open.execute(session_id, {}, 'open_')
                    Open.delete(session_id)
                action, = result['actions']
                domain = PYSONDecoder().decode(action[0]['pyson_domain'])
                return Payment.search(domain, order=[('id', 'ASC')])
            Report = pool.get(REPORTS[1])
            with self.context():
                jan_c1, = Report.search(
                    [('client', '=', c1.id), ('date', '=', JAN)])
                feb_c1, = Report.search(
                    [('client', '=', c1.id), ('date', '=', FEB)])
            self.assertEqual(open_(jan_c1), [p1, p2])
            self.assertEqual(open_(feb_c1), [p5])
            with self.context(partner=alpha.party.id):
                jan_c2, = Report.search([('client', '=', c2.id)],
                    limit=1)
            self.assertEqual(open_(jan_c2, partner=alpha.party.id), [p3])

    @with_transaction()
    def test_xlsx(self):
        "The workbooks hold the filters, headings, rows and totals"
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            with self.context(partner=alpha.party.id):
                cells, name = self.xlsx(REPORTS[0])
            self.assertEqual(name, 'Sessions by Station 2026-01-01_2026-02-28')
            self.assertEqual(cells[0], ['Sessions by Station'])
            filters = {r[0]: r[1] for r in cells[1:6] if r}
            self.assertEqual(filters['Company'], company.rec_name)
            self.assertEqual(filters['From Date'], '01/01/2026')
            self.assertEqual(filters['Period'], 'Month')
            self.assertEqual(filters['Partner'], 'Alpha')
            header = cells.index(['Period', 'Partner', 'Station', 'Sessions',
                    'Energy (kWh)', 'Amount net of Tax', 'Tax', 'Amount',
                    'Partner Revenue', 'Platform Commission', 'Currency'])
            body = cells[header + 1:]
            # Dates are Excel serial days: 46023 is 1 January 2026.
            self.assertEqual([r[:4] for r in body[:-1]], [
                    [Decimal(46023), 'Alpha', 'A-1 [A-1]', Decimal(2)],
                    [Decimal(46054), 'Alpha', 'A-1 [A-1]', Decimal(1)],
                    [Decimal(46054), 'Alpha', 'A-2 [A-2]', Decimal(1)],
                    ])
            total = body[-1]
            first, last = header + 2, header + 4
            self.assertEqual(total[0], 'Total')
            self.assertEqual(total[3], ('=SUM(D%s:D%s)' % (first, last),
                    Decimal(4)))
            self.assertEqual(total[4][1], Decimal('56.234'))
            self.assertEqual(total[7][1], Decimal('33'))
            self.assertEqual(total[8][1], Decimal('22'))

            with self.context():
                cells, _ = self.xlsx(REPORTS[3])
                _, styles = read_xlsx(Pool().get(
                        REPORTS[3] + '.xlsx', type='report').execute(
                            [], {})[1])
            for number_format in ['#,##0.000', '#,##0.00', '0.0%']:
                self.assertIn('formatCode="%s"' % number_format, styles)
            total = cells[-1]
            # The utilisation of the total is that of the sums.
            self.assertAlmostEqual(
                float(total[8]), (14.88 + 7.44 + 13.44 + 1) / (
                    1488 + 744 + 1344 + 672))

            for model in REPORTS[1:3]:
                with self.subTest(model=model), self.context():
                    cells, _ = self.xlsx(model)
                    self.assertEqual(cells[-1][0], 'Total')

    @with_transaction()
    def test_partner_staff(self):
        "Partner staff see their own network in the views and workbooks"
        pool = Pool()
        Context = pool.get('ev.billing.report.context')
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            user = self.staff(company, alpha)
            set_user, set_access = self.as_user(user)
            with set_user, set_access:
                self.assertEqual(Context.default_partner(), alpha.party.id)
                with self.context():
                    for model in [REPORTS[0], REPORTS[2], REPORTS[3]]:
                        with self.subTest(model=model):
                            Model = pool.get(model)
                            records = Model.search([])
                            self.assertTrue(records)
                            self.assertEqual(
                                {r.partner for r in records},
                                {alpha.party})
                            cells, _ = self.xlsx(model)
                            text = {c for r in cells for c in r
                                if isinstance(c, str)}
                            self.assertIn('Alpha', text)
                            self.assertNotIn('Beta', text)
                            self.assertNotIn('B-1', text)
                    cells, _ = self.xlsx(REPORTS[0])
                    self.assertEqual(cells[-1][3][1], Decimal(4))
                    # The client report needs the network: none without
                    self.assertEqual(pool.get(REPORTS[1]).search([]), [])
                with self.context(partner=alpha.party.id):
                    rows = pool.get(REPORTS[1]).search([])
                    self.assertEqual(len(rows), 3)
                    self.assertEqual(
                        sum(r.charge_amount for r in rows), Decimal(15))
                    self.assertTrue(all(
                            r.balance is None and not r.topup_amount
                            for r in rows))
                    cells, _ = self.xlsx(REPORTS[1])
                    self.assertNotIn('100', str(cells))
                with self.context(partner=beta.party.id):
                    for model in REPORTS:
                        with self.subTest(model=model):
                            self.assertEqual(pool.get(model).search([]), [])
                            cells, _ = self.xlsx(model)
                            self.assertEqual(cells[-1][0], 'Total')
                            self.assertNotIn('Beta', str(cells[-2]))

    @with_transaction()
    def test_partner_staff_other_rows_unreadable(self):
        "Partner staff cannot read another network's row by its id"
        pool = Pool()
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            with self.context():
                others = {m: pool.get(m).search(
                        [('partner', '=', beta.party.id)])
                    for m in [REPORTS[0], REPORTS[2], REPORTS[3]]}
            user = self.staff(company, alpha, 'partner_manager')
            set_user, set_access = self.as_user(user)
            with set_user, set_access, self.context():
                for model, rows in others.items():
                    with self.subTest(model=model):
                        self.assertTrue(rows)
                        with self.assertRaises(AccessError):
                            pool.get(model).read(
                                [r.id for r in rows], ['sessions'])

    @with_transaction()
    def test_access(self):
        "Clients and technicians read no report; the platform's staff do"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            alpha, beta, c1, c2 = self.network()
            users = {}
            for group in ['client', 'partner_technician', 'finance',
                    'operator', 'admin']:
                users[group] = user = User(
                    login='ev-' + group, company=company, companies=[company],
                    ev_partner=(
                        alpha if group == 'partner_technician' else None),
                    groups=[ModelData.get_id(
                            'ev_partner', 'group_ev_%s' % group)])
                user.save()
            for group, user in users.items():
                set_user, set_access = self.as_user(user)
                with set_user, set_access, self.context():
                    for model in REPORTS:
                        with self.subTest(group=group, model=model):
                            Model = pool.get(model)
                            if group in {'client', 'partner_technician'}:
                                with self.assertRaises(AccessError):
                                    Model.search([])
                                with self.assertRaises(AccessError):
                                    self.xlsx(model)
                            else:
                                self.assertEqual(
                                    len(Model.search([])),
                                    {REPORTS[0]: 4, REPORTS[1]: 4,
                                        REPORTS[2]: 3,
                                        REPORTS[3]: 4}[model])
                                self.xlsx(model)

    @with_transaction()
    def test_empty_context(self):
        "The reports compute without a context and on every period"
        pool = Pool()
        company = create_company()
        with set_company(company):
            self.network()
            for model in REPORTS:
                Model = pool.get(model)
                for period in [None, 'day', 'week', 'month', 'year']:
                    with self.subTest(model=model, period=period), \
                            Transaction().set_context(period=period):
                        records = Model.search([])
                        self.assertTrue(records)
                        Model.read(
                            [r.id for r in records], list(Model._fields))
                        self.xlsx(model)
