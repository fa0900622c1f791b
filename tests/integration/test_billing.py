# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Billing as finance and partner staff find it in the demo: the partner
settlements of last month, their statements, the books, the client balances
and the Excel reports, read over JSON-RPC from a real trytond"""
import base64
import datetime as dt
import io
import re
import uuid
import zipfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal

import pytest

from ..harness import DEMO_NOW, RPCError
from ..smtp import body, recipients

CENT = Decimal('0.01')
NS = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
# Excel's day 0, as xlsxwriter counts the dates of the 1900 system
EXCEL_EPOCH = dt.date(1899, 12, 30)
TODAY = dt.date.fromisoformat(DEMO_NOW[:10])
# The last day of the month before the demo's: the settlements end then.
LAST_MONTH_END = TODAY.replace(day=1) - dt.timedelta(days=1)
TOTAL = 'Итого'
# The columns of each workbook, as the reports define them: (field, kind)
XLSX = {
    'ev.billing.report.session': [
        ('date', 'date'), ('partner', 'text'), ('station', 'text'),
        ('sessions', 'integer'), ('energy', 'kwh'),
        ('net_amount', 'money'), ('tax_amount', 'money'),
        ('revenue', 'money'), ('partner_amount', 'money'),
        ('commission_amount', 'money'), ('currency', 'text')],
    'ev.billing.report.client': [
        ('date', 'date'), ('client', 'text'), ('topup_amount', 'money'),
        ('capture_amount', 'money'), ('charge_amount', 'money'),
        ('refund_amount', 'money'), ('to_invoice_amount', 'money'),
        ('pending_count', 'integer'), ('pending_amount', 'money'),
        ('failed_count', 'integer'), ('failed_amount', 'money'),
        ('closing_balance', 'money'), ('balance', 'money'),
        ('currency', 'text')],
    'ev.billing.report.partner': [
        ('date', 'date'), ('partner', 'text'), ('sessions', 'integer'),
        ('net_amount', 'money'), ('partner_amount', 'money'),
        ('commission_amount', 'money'), ('fee_amount', 'money'),
        ('platform_amount', 'money'), ('settled_amount', 'money'),
        ('unsettled_amount', 'money'), ('payout_amount', 'money'),
        ('paid_amount', 'money'), ('currency', 'text')],
    'ev.billing.report.station': [
        ('date', 'date'), ('station', 'text'), ('partner', 'text'),
        ('connectors', 'integer'), ('sessions', 'integer'),
        ('energy', 'kwh'), ('charging_hours', 'hours'),
        ('connector_hours', 'hours'), ('utilisation', 'percent'),
        ('net_amount', 'money'), ('revenue', 'money'),
        ('currency', 'text')],
    }
# The columns the Total line leaves empty: they do not add up.
NO_TOTAL = {'date', 'partner', 'station', 'client', 'currency',
    'connectors', 'closing_balance', 'balance', 'utilisation'}
SETTLEMENT_FIELDS = ['partner', 'party', 'partner.contact_email',
    'partner.rec_name', 'state', 'start_date', 'end_date', 'sessions',
    'energy_wh', 'net_amount', 'partner_amount', 'commission_amount',
    'fee_amount', 'payout_amount', 'payout', 'fee_move', 'lines', 'currency',
    'rec_name', 'sent_at']
LINE_FIELDS = ['settlement', 'station', 'station.rec_name', 'sessions',
    'energy_wh', 'partner_amount', 'commission_amount', 'net_amount']


# Values as trytond's JSON-RPC encodes them

def money(value):
    "Return the Decimal of a JSON-RPC value (None as zero)"
    if value is None:
        return Decimal(0)
    if isinstance(value, dict):
        return Decimal(value['decimal'])
    return Decimal(str(value))


def date(value):
    return dt.date(value['year'], value['month'], value['day'])


def rpc_date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def content(value):
    "Return the bytes of a report's content"
    if isinstance(value, dict):
        return base64.b64decode(value['base64'])
    if isinstance(value, str):
        return value.encode('utf-8')
    return bytes(value)


def figures(text):
    """Return text without the thousands separators and with the decimal
    points as dots, to find an amount in it whatever the locale"""
    return re.sub(r'[\s\u00a0\u202f]', '', text).replace(',', '.')


# Readers

def search_read(user, model, domain, fields, context=None, order=None):
    return user.call('model.%s.search_read' % model,
        domain, 0, None, order, fields, context or user.context)


def settlements(user):
    "Return the settlements the user reads, with their lines"
    result = search_read(user, 'ev.billing.settlement', [],
        SETTLEMENT_FIELDS)
    lines = search_read(user, 'ev.billing.settlement.line', [], LINE_FIELDS)
    for settlement in result:
        settlement['lines.'] = [l for l in lines
            if l['settlement'] == settlement['id']]
    return result


def report_context(user, **values):
    "Return the user's context with the filters of the billing reports"
    context = dict(user.context,
        company=user.context['company'],
        from_date=rpc_date(dt.date(TODAY.year, 1, 1)),
        to_date=rpc_date(TODAY),
        period='month')
    context.update(values)
    return context


def execute_xlsx(user, model, context):
    "Return the name and the cells of the workbook of the report model"
    ext, data, _, name = user.call(
        'report.%s.xlsx.execute' % model, [], {}, context)
    assert ext == 'xlsx'
    data = content(data)
    assert data[:2] == b'PK', "not an xlsx (zip) file"
    return name, read_xlsx(data)


def read_xlsx(data):
    """Return the cells of the first sheet of the xlsx workbook as lists of
    rows: strings, Decimals (numbers, dates as serial days) or None"""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        strings = []
        if 'xl/sharedStrings.xml' in archive.namelist():
            root = ET.fromstring(archive.read('xl/sharedStrings.xml'))
            strings = [''.join(si.itertext())
                for si in root.iter(NS + 'si')]
        sheet = ET.fromstring(archive.read('xl/worksheets/sheet1.xml'))
    rows = {}
    for cell in sheet.iter(NS + 'c'):
        column, row = re.fullmatch(r'([A-Z]+)(\d+)', cell.get('r')).groups()
        value = cell.find(NS + 'v')
        value = value.text if value is not None else None
        if cell.get('t') == 's':
            value = strings[int(value)]
        elif cell.get('t') == 'inlineStr':
            value = ''.join(cell.find(NS + 'is').itertext())
        elif value is not None and cell.get('t') not in {'str', 'b', 'e'}:
            value = Decimal(value)
        index = 0
        for char in column:
            index = index * 26 + ord(char) - ord('A') + 1
        rows.setdefault(int(row), {})[index - 1] = value
    result = []
    for number in range(1, max(rows) + 1):
        cells = rows.get(number, {})
        result.append(
            [cells.get(i) for i in range(max(cells, default=-1) + 1)])
    return result


def split_sheet(cells, headings):
    "Return the data rows and the total row of the sheet under headings"
    header = next(i for i, row in enumerate(cells)
        if row[:len(headings)] == headings)
    total = max(i for i, row in enumerate(cells) if row and row[0] == TOTAL)
    assert total > header
    pad = len(headings)
    rows = [row + [None] * (pad - len(row))
        for row in cells[header + 1:total]]
    return rows, cells[total] + [None] * (pad - len(cells[total]))


def cell_value(value, kind):
    "Return the cell as the report's value of the kind"
    if value is None:
        return None
    if kind == 'date':
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if kind == 'text':
        return value
    if kind == 'integer':
        return int(value)
    if kind == 'money':
        return Decimal(value).quantize(CENT)
    if kind == 'kwh':
        return Decimal(value).quantize(Decimal('0.001'))
    if kind == 'hours':
        return Decimal(value).quantize(CENT)
    if kind == 'percent':
        return Decimal(value).quantize(Decimal('0.0001'))
    raise ValueError(kind)


def row_value(row, name, kind):
    "Return the search_read value of the report row as the cell's value"
    if kind == 'text':
        related = row.get(name + '.')
        return related['rec_name'] if related else None
    value = row[name]
    if value is None:
        return None
    if kind == 'date':
        return date(value)
    if kind == 'integer':
        return int(value)
    if kind == 'percent':
        return Decimal(str(value)).quantize(Decimal('0.0001'))
    if kind == 'kwh':
        return money(value).quantize(Decimal('0.001'))
    return money(value).quantize(CENT)


def compare_workbook(user, model, context):
    """Execute the workbook of the report and check it holds the rows the
    back office lists with the same filters; return the rows and the
    workbook's totals by field"""
    columns = XLSX[model]
    names = [c[0] for c in columns]
    definitions = user.call('model.%s.fields_get' % model, names, context)
    headings = [definitions[n]['string'] for n in names]
    # The headings are in the user's language.
    assert 'Сессии' in headings or 'Клиент' in headings, headings
    fields = [n + '.rec_name' if k == 'text' else n for n, k in columns]
    fields.append('partner')
    rows = search_read(user, model, [], fields, context)
    _, cells = execute_xlsx(user, model, context)
    lines, total = split_sheet(cells, headings)
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows):
        for i, (name, kind) in enumerate(columns):
            assert cell_value(line[i], kind) == row_value(row, name, kind), (
                model, name, row)
    totals = {}
    for i, (name, kind) in enumerate(columns):
        if name in NO_TOTAL:
            continue
        expected = sum((row_value(r, name, kind) or 0 for r in rows),
            Decimal(0) if kind != 'integer' else 0)
        assert cell_value(total[i], kind) == expected, (model, name)
        totals[name] = expected
    return rows, totals


def finished_sessions(user, from_date, to_date, **domain):
    "Return the finished sessions that started within the dates"
    clause = [
        ('state', '=', 'finished'),
        ('start_at', '>=', {'__class__': 'datetime',
                'year': from_date.year, 'month': from_date.month,
                'day': from_date.day, 'hour': 0, 'minute': 0, 'second': 0,
                'microsecond': 0}),
        ('start_at', '<', {'__class__': 'datetime',
                'year': to_date.year, 'month': to_date.month,
                'day': to_date.day, 'hour': 0, 'minute': 0, 'second': 0,
                'microsecond': 0}),
        ]
    clause.extend((k, '=', v) for k, v in domain.items())
    return search_read(user, 'ev.session', clause, [
            'station', 'station.partner', 'client', 'energy_wh',
            'net_amount', 'tax_amount', 'amount', 'partner_amount',
            'commission_amount', 'billing_state'])


@pytest.fixture(scope='module')
def finance(platform):
    return platform.login('finance', language='ru')


@pytest.fixture(scope='module')
def demo_settlements(finance):
    return settlements(finance)


# The partner settlements of last month

def test_settlements_of_last_month(finance, demo_settlements):
    """Last month's settlements of the three partners are confirmed; their
    station lines add up to the totals; the payout is the partner revenue
    less the monthly fees, submitted for payment"""
    partners = search_read(finance, 'ev.partner',
        [('state', '=', 'connected')], ['party'])
    confirmed = [s for s in demo_settlements
        if date(s['end_date']) == LAST_MONTH_END]
    assert len(confirmed) == len(partners) == 3
    assert {s['partner'] for s in confirmed} == {p['id'] for p in partners}
    for settlement in confirmed:
        name = settlement['rec_name']
        assert settlement['state'] == 'confirmed', name
        assert settlement['sent_at'], name
        lines = settlement['lines.']
        assert lines, name
        assert len({l['station'] for l in lines}) == len(lines)
        for line in lines:
            assert line['sessions'] > 0
            assert (money(line['partner_amount'])
                + money(line['commission_amount'])
                == money(line['net_amount'])), line
            assert money(line['commission_amount']) > 0
            assert money(line['partner_amount']) > money(
                line['commission_amount'])
        for total, field in [
                ('sessions', 'sessions'), ('energy_wh', 'energy_wh')]:
            assert settlement[total] == sum(l[field] for l in lines), total
        for field in ['net_amount', 'partner_amount', 'commission_amount']:
            assert money(settlement[field]) == sum(
                money(l[field]) for l in lines), field
        assert (money(settlement['partner_amount'])
            + money(settlement['commission_amount'])
            == money(settlement['net_amount']))
        fee = money(settlement['fee_amount'])
        assert fee > 0
        payout = money(settlement['payout_amount'])
        assert payout == money(settlement['partner_amount']) - fee > 0

        # The payout waits in the partner payments, the fee is in the books.
        payment, = finance.model('account.payment', 'read',
            [settlement['payout']], ['kind', 'state', 'amount', 'party',
                'ev_kind', 'ev_settlement', 'currency'])
        assert payment['kind'] == 'payable'
        assert payment['state'] == 'submitted'
        assert money(payment['amount']) == payout
        assert payment['party'] == settlement['party']
        assert payment['ev_kind'] == 'payout'
        assert payment['ev_settlement'] == settlement['id']
        assert payment['currency'] == settlement['currency']
        fee_lines = search_read(finance, 'account.move.line',
            [('move', '=', settlement['fee_move'])],
            ['debit', 'credit', 'party', 'move.state', 'ev_settlement'])
        assert {l['move.']['state'] for l in fee_lines} == {'posted'}
        assert sum(money(l['debit']) for l in fee_lines) == fee
        assert sum(money(l['credit']) for l in fee_lines) == fee
        assert {l['ev_settlement'] for l in fee_lines} == {settlement['id']}


def test_settlement_lines_are_the_stations_sessions(
        finance, demo_settlements):
    """Each station line holds the station's sessions invoiced up to the
    settlement's end, with their energy and their split"""
    for settlement in demo_settlements:
        end = date(settlement['end_date'])
        sessions = search_read(finance, 'ev.session', [
                ('station.partner', '=', settlement['party']),
                ('billing_state', '=', 'invoiced'),
                ], ['station', 'energy_wh', 'net_amount', 'partner_amount',
                'commission_amount', 'invoice.invoice_date'])
        per_station = defaultdict(list)
        for session in sessions:
            if date(session['invoice.']['invoice_date']) <= end:
                per_station[session['station']].append(session)
        lines = {l['station']: l for l in settlement['lines.']}
        assert set(lines) == set(per_station), settlement['rec_name']
        for station, line in lines.items():
            group = per_station[station]
            assert line['sessions'] == len(group)
            assert line['energy_wh'] == sum(s['energy_wh'] for s in group)
            for field in ['partner_amount', 'commission_amount',
                    'net_amount']:
                assert money(line[field]) == sum(
                    money(s[field]) for s in group), (station, field)

        # The books' lines it settled are the partner's and the platform's
        # shares of those sessions, plus the fee.
        settled = search_read(finance, 'account.move.line', [
                ('ev_settlement', '=', settlement['id']),
                ('ev_session', '!=', None),
                ], ['debit', 'credit', 'ev_station', 'move.state'])
        assert {l['move.']['state'] for l in settled} == {'posted'}
        assert sum(money(l['credit']) - money(l['debit'])
            for l in settled) == money(settlement['net_amount'])


def test_statements_emailed_to_partners(
        platform, smtp_server, finance, demo_settlements):
    """The demo e-mailed each partner's statement to its contact address;
    Send Statement e-mails it again"""
    for settlement in demo_settlements:
        to = settlement['partner.']['contact_email']
        assert to
        first, = smtp_server.wait(to, 1, timeout=10)
        check_statement_email(first, settlement, to)

    settlement = demo_settlements[0]
    to = settlement['partner.']['contact_email']
    before = len(smtp_server.messages(to))
    finance.model('ev.billing.settlement', 'send', [settlement['id']])
    again = smtp_server.wait(to, before + 1)[-1]
    check_statement_email(again, settlement, to)


def check_statement_email(msg, settlement, to):
    assert recipients(msg) == [to]
    subject = msg['Subject']
    partner = settlement['partner.']['rec_name']
    assert partner in subject
    assert settlement['rec_name'] in subject
    assert not subject.isascii()
    html = body(msg)
    assert partner in html
    for line in settlement['lines.']:
        assert line['station.']['rec_name'] in html
    text = figures(html)
    for field in ['payout_amount', 'partner_amount']:
        assert str(money(settlement[field])) in text, (field, text)
    assert 'Выплата' in html


def test_statement_report_renders(finance, demo_settlements):
    "Finance prints the statements of the settlements"
    for settlement in demo_settlements:
        ext, data, _, name = finance.call(
            'report.ev.billing.settlement.statement.execute',
            [settlement['id']], {}, finance.context)
        assert ext == 'html'
        assert settlement['partner.']['rec_name'] in name
        html = content(data).decode('utf-8')
        assert 'Выписка по взаиморасчёту' in html
        for line in settlement['lines.']:
            assert line['station.']['rec_name'] in html
        assert str(money(settlement['payout_amount'])) in figures(html)


# The books

def test_books_balance(finance):
    "Every posted move balances, and so do the books"
    lines = search_read(finance, 'account.move.line',
        [('move.state', '=', 'posted')], ['move', 'debit', 'credit'])
    assert lines
    debit = sum(money(l['debit']) for l in lines)
    credit = sum(money(l['credit']) for l in lines)
    assert debit == credit > 0
    moves = defaultdict(Decimal)
    for line in lines:
        moves[line['move']] += money(line['debit']) - money(line['credit'])
    unbalanced = {m: b for m, b in moves.items() if b}
    assert not unbalanced


def test_invoiced_sessions(finance):
    """An invoiced session splits its price net of tax between the partner
    and the platform; the invoice lines of a station bill the net amounts of
    its invoiced sessions; the current month waits for its invoice"""
    sessions = search_read(finance, 'ev.session',
        [('state', '=', 'finished')], ['station', 'billing_state',
            'net_amount', 'tax_amount', 'amount', 'partner_amount',
            'commission_amount', 'stop_at', 'invoice'])
    invoiced = [s for s in sessions if s['billing_state'] == 'invoiced']
    assert invoiced
    for session in invoiced:
        net = money(session['net_amount'])
        assert net > 0
        assert (money(session['partner_amount'])
            + money(session['commission_amount']) == net), session
        assert net + money(session['tax_amount']) == money(
            session['amount']), session
        assert session['invoice'], session
    # This month's sessions are not invoiced yet (monthly invoicing).
    first = TODAY.replace(day=1)
    for session in sessions:
        stop = dt.datetime(**{k: v for k, v in session['stop_at'].items()
                if k != '__class__'})
        if stop.date() >= first and session['billing_state'] != 'free':
            assert session['billing_state'] == 'pending', session
            assert not session['invoice']

    invoices = {i['id']: i for i in search_read(finance, 'account.invoice',
            [('type', '=', 'out')], ['state', 'total_amount'])}
    lines = search_read(finance, 'account.invoice.line',
        [('invoice.type', '=', 'out')],
        ['invoice', 'ev_station', 'ev_session', 'amount'])
    per_station = defaultdict(Decimal)
    for line in lines:
        if money(invoices[line['invoice']]['total_amount']) < 0:
            continue  # a credit note (refund)
        if not line['ev_session']:
            continue  # a subscription fee
        per_station[line['ev_station']] += money(line['amount'])
    expected = defaultdict(Decimal)
    for session in invoiced:
        expected[session['station']] += money(session['net_amount'])
    assert dict(per_station) == dict(expected)
    assert {i['state'] for i in invoices.values()} <= {'posted', 'paid'}


def test_client_balances(finance):
    """A client's balance is the top-ups and card captures that succeeded,
    less the invoices paid from it, plus the credit notes"""
    clients = search_read(finance, 'party.party', [('ev_client', '=', True)],
        ['name', 'ev_balance'])
    payments = search_read(finance, 'account.payment', [
            ('kind', '=', 'receivable'),
            ('ev_kind', 'in', ['topup', 'session']),
            ('state', '=', 'succeeded'),
            ], ['party', 'amount'])
    invoices = search_read(finance, 'account.invoice', [
            ('type', '=', 'out'),
            ('state', 'in', ['posted', 'paid']),
            ], ['party', 'total_amount', 'state', 'amount_to_pay'])
    assert invoices
    for invoice in invoices:
        # Paid from the balance as soon as posted.
        assert invoice['state'] == 'paid', invoice
        assert money(invoice['amount_to_pay']) == 0, invoice
    expected = defaultdict(Decimal)
    for payment in payments:
        expected[payment['party']] += money(payment['amount'])
    for invoice in invoices:
        # A credit note's total is negative: it adds to the balance.
        expected[invoice['party']] -= money(invoice['total_amount'])
    assert {c['name']: money(c['ev_balance']) for c in clients} == {
        c['name']: expected[c['id']] for c in clients}
    assert any(money(c['ev_balance']) > 0 for c in clients)

    # The balance account of the books holds the sum of the balances.
    config, = finance.model('ev.configuration', 'read', [1],
        ['balance_account'])
    lines = search_read(finance, 'account.move.line', [
            ('account', '=', config['balance_account']),
            ('move.state', '=', 'posted'),
            ], ['debit', 'credit'])
    assert sum(money(l['credit']) - money(l['debit']) for l in lines) == sum(
        money(c['ev_balance']) for c in clients)


def test_subscription_fee_paid_from_the_balance(finance):
    """The plan the demo client bought is invoiced by sale_subscription,
    posted and paid from the balance at once"""
    subscriptions = search_read(finance, 'sale.subscription',
        [('ev_plan', '!=', None)], ['party', 'ev_plan.fee'])
    assert subscriptions
    for subscription in subscriptions:
        lines = search_read(finance, 'account.invoice.line', [
                ('origin.subscription', '=', subscription['id'],
                    'sale.subscription.line'),
                ], ['invoice', 'amount'])
        line, = lines
        assert money(line['amount']) == money(subscription['ev_plan.']['fee'])
        invoice, = finance.model('account.invoice', 'read',
            [line['invoice']], ['state', 'party', 'amount_to_pay'])
        assert invoice['party'] == subscription['party']
        assert invoice['state'] == 'paid'
        assert money(invoice['amount_to_pay']) == 0


def test_invoice_totals_are_the_session_prices(finance):
    """A client invoice charges the prices, tax included, the client was
    shown for its sessions"""
    sessions = search_read(finance, 'ev.session',
        [('billing_state', '=', 'invoiced')], ['amount', 'invoice'])
    per_invoice = defaultdict(Decimal)
    for session in sessions:
        per_invoice[session['invoice']] += money(session['amount'])
    invoices = finance.model('account.invoice', 'read', list(per_invoice),
        ['number', 'total_amount'])
    assert {i['number']: money(i['total_amount']) for i in invoices} == {
        i['number']: per_invoice[i['id']] for i in invoices}


# The reports and their workbooks

@pytest.mark.parametrize('model', sorted(XLSX))
def test_xlsx_is_the_report(finance, model):
    """Each workbook holds the rows, headings and totals the back office
    shows with the same filters"""
    compare_workbook(finance, model, report_context(finance))


def test_session_reports_count_the_sessions(finance):
    """The sessions, station and partner reports add up the finished
    sessions of the dates, and the partner report the settlements"""
    context = report_context(finance)
    start = dt.date(TODAY.year, 1, 1)
    sessions = finished_sessions(
        finance, start, TODAY + dt.timedelta(days=1))
    assert sessions
    net = sum(money(s['net_amount']) for s in sessions)
    partner = sum(money(s['partner_amount']) for s in sessions)
    commission = sum(money(s['commission_amount']) for s in sessions)

    _, totals = compare_workbook(
        finance, 'ev.billing.report.session', context)
    assert totals['sessions'] == len(sessions)
    assert totals['net_amount'] == net
    assert totals['partner_amount'] == partner
    assert totals['commission_amount'] == commission
    assert totals['revenue'] == sum(money(s['amount']) for s in sessions)
    assert totals['energy'] == Decimal(
        sum(s['energy_wh'] for s in sessions)) / 1000
    assert totals['net_amount'] == (
        totals['partner_amount'] + totals['commission_amount'])

    rows, totals = compare_workbook(
        finance, 'ev.billing.report.station', context)
    assert totals['sessions'] == len(sessions)
    assert totals['net_amount'] == net
    per_station = defaultdict(Decimal)
    for session in sessions:
        per_station[session['station']] += money(session['net_amount'])
    stations = defaultdict(Decimal)
    for row in rows:
        stations[row['station.']['id']] += money(row['net_amount'])
    assert dict(stations) == dict(per_station)

    _, totals = compare_workbook(
        finance, 'ev.billing.report.partner', context)
    assert totals['sessions'] == len(sessions)
    assert totals['net_amount'] == net
    assert totals['partner_amount'] == partner
    assert totals['commission_amount'] == commission
    confirmed = [s for s in settlements(finance)
        if s['state'] in {'confirmed', 'paid'}
        and start <= date(s['end_date']) <= TODAY]
    assert confirmed
    fees = sum(money(s['fee_amount']) for s in confirmed)
    assert totals['fee_amount'] == fees
    assert totals['platform_amount'] == commission + fees
    assert totals['payout_amount'] == sum(
        money(s['payout_amount']) for s in confirmed)
    assert totals['settled_amount'] == sum(
        money(s['partner_amount']) for s in confirmed)
    assert totals['unsettled_amount'] == (
        partner - totals['settled_amount'])
    assert totals['paid_amount'] == sum(money(s['payout_amount'])
        for s in confirmed if s['state'] == 'paid')


def test_client_report_is_the_clients_money(finance):
    """The client payments report shows the succeeded top-ups, the invoiced
    and the pending sessions, and the balances of the books"""
    context = report_context(finance)
    start = dt.date(TODAY.year, 1, 1)
    rows, totals = compare_workbook(
        finance, 'ev.billing.report.client', context)
    topups = search_read(finance, 'account.payment', [
            ('kind', '=', 'receivable'), ('ev_kind', '=', 'topup'),
            ('state', '=', 'succeeded'),
            ('date', '>=', rpc_date(start)), ('date', '<=', rpc_date(TODAY)),
            ], ['amount'])
    assert totals['topup_amount'] == sum(money(p['amount']) for p in topups)
    sessions = [s for s in finished_sessions(
            finance, start, TODAY + dt.timedelta(days=1)) if s['client']]
    assert totals['charge_amount'] == sum(money(s['amount'])
        for s in sessions if s['billing_state'] == 'invoiced')
    assert totals['to_invoice_amount'] == sum(money(s['amount'])
        for s in sessions if s['billing_state'] == 'pending')
    clients = {c['id']: money(c['ev_balance']) for c in search_read(
            finance, 'party.party', [('ev_client', '=', True)],
            ['ev_balance'])}
    for row in rows:
        assert money(row['balance']) == clients[row['client.']['id']]


def test_client_report_adds_up_to_the_balance(finance):
    """Over all dates, top-ups + captures − charges + refunds of a client
    is their balance (as reports.rst promises)"""
    context = report_context(finance, period='year',
        from_date=None, to_date=None)
    rows = search_read(finance, 'ev.billing.report.client', [], [
            'client', 'client.rec_name', 'topup_amount', 'capture_amount',
            'charge_amount', 'refund_amount', 'balance'], context)
    change = defaultdict(Decimal)
    balances = {}
    for row in rows:
        name = row['client.']['rec_name']
        change[name] += (money(row['topup_amount'])
            + money(row['capture_amount']) - money(row['charge_amount'])
            + money(row['refund_amount']))
        balances[name] = money(row['balance'])
    assert dict(change) == balances


def test_report_context_in_the_web_client(finance):
    """The reports open in sao: its context carries the bus's 'client' id,
    a string, which must not be taken for the Client filter"""
    # As Sao.Session sets it (sao/src/session.js).
    context = dict(finance.context, client=str(uuid.uuid4()))
    names = ['company', 'from_date', 'to_date', 'period', 'partner',
        'station', 'client_party']
    defaults = finance.call('model.ev.billing.report.context.default_get',
        names, True, context)
    assert defaults['company'] == finance.context['company']
    assert defaults['period'] == 'month'
    assert defaults['client_party'] is None


# Partner staff

@pytest.fixture(scope='module')
def accountant(platform):
    "The demo accountant of ВольтЗаряд (a partner accountant)"
    return platform.login('voltzaryad-buh', language='ru')


def test_partner_accountant_reads_own_settlement(
        accountant, finance, demo_settlements):
    "A partner's accountant reads their partner's settlement only"
    user, = finance.model('res.user', 'read', [accountant.user_id],
        ['ev_partner', 'groups.name'])
    assert 'Бухгалтер партнёра зарядной сети' in {
        g['name'] for g in user['groups.']}
    own = [s for s in demo_settlements if s['partner'] == user['ev_partner']]
    others = [s for s in demo_settlements
        if s['partner'] != user['ev_partner']]
    assert own and others

    seen = settlements(accountant)
    assert [s['id'] for s in seen] == [s['id'] for s in own]
    for mine, theirs in zip(seen, own):
        assert money(mine['payout_amount']) == money(theirs['payout_amount'])
        assert ({l['id'] for l in mine['lines.']}
            == {l['id'] for l in theirs['lines.']})
    for other in others:
        with pytest.raises(RPCError):
            accountant.model('ev.billing.settlement', 'read',
                [other['id']], ['payout_amount'])
        with pytest.raises(RPCError):
            accountant.call('report.ev.billing.settlement.statement.execute',
                [other['id']], {}, accountant.context)
    # Their own statement prints.
    ext, data, _, _ = accountant.call(
        'report.ev.billing.settlement.statement.execute',
        [own[0]['id']], {}, accountant.context)
    assert str(money(own[0]['payout_amount'])) in figures(
        content(data).decode('utf-8'))


@pytest.mark.parametrize('model', sorted(XLSX))
def test_partner_accountant_reports_own_network(accountant, finance, model):
    """A partner's accountant lists, and downloads, the figures of their own
    network only"""
    user, = finance.model('res.user', 'read', [accountant.user_id],
        ['ev_partner.party'])
    party = user['ev_partner.']['party']
    stations = search_read(finance, 'ev.station', [], ['partner', 'rec_name'])
    own = {s['rec_name'] for s in stations if s['partner'] == party}
    others = {s['rec_name'] for s in stations if s['partner'] != party}
    assert own and others
    other_party = next(s['partner'] for s in stations
        if s['partner'] != party)

    context = report_context(accountant)
    if model == 'ev.billing.report.client':
        # A client is not a network's: nothing without the own partner.
        assert search_read(accountant, model, [], ['id'], context) == []
        context['partner'] = party
    rows, totals = compare_workbook(accountant, model, context)
    assert rows
    assert {r['partner'] for r in rows} == {party}
    for row in rows:
        if row.get('station.'):
            assert row['station.']['rec_name'] in own
    _, cells = execute_xlsx(accountant, model, context)
    text = {c for row in cells for c in row if isinstance(c, str)}
    assert not text & others

    # The same figures as finance's for the partner.
    finance_rows = search_read(finance, model, [], ['id'],
        report_context(finance, partner=party))
    assert {r['id'] for r in finance_rows} == {r['id'] for r in rows}

    # Choosing another partner shows nothing.
    context['partner'] = other_party
    assert search_read(accountant, model, [], ['id'], context) == []
