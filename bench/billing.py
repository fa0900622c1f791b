# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The month-end billing benchmark: `make bench-billing` (docs/benchmarks.md)

A fresh database (TRYTOND_DATABASE_URI: PostgreSQL for the published
figures) with ev_billing activated, books set up with the helpers of
addons/ev_billing/tests/tools.py, billing per month ('period'), and a
network: partners with agreements, stations, clients with topped-up
balances, and a month of finished, priced sessions waiting to be invoiced
(billing_state 'pending'). Then, each timed apart, as the crons run them:

a. `Session.invoice_pending(first of this month, company)`: one invoice per
   client with two lines per session, posted and paid from the balance;
b. `Settlement.create_period(last day of the month, company)`: per
   partner the per-station lines, the monthly fee move, the payout and the
   statement e-mail (sent to a local SMTP server that keeps them,
   tests/smtp.py);
c. the invariants, in SQL: debits = credits, every session invoiced once,
   the partners' payable credits = their settlements, the clients'
   balances = top-ups - charges, one statement e-mail per partner.

What is generated and not timed: the top-ups are posted moves (card
clearing to the client's balance), as account_payment_clearing posts them
when the acquirer confirms a payment, without the payments themselves; the
sessions are inserted in SQL as the stop and the pricing leave them
(finished, amount, net and tax, the partner's share and the commission of
the agreement as `Session.set_split` computes them, billing_state
'pending'). Neither is what the month-end run does. The exit status is
non-zero when an invariant fails.
"""
import argparse
import cProfile
import datetime as dt
import json
import os
import platform as host
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
BIN = os.path.dirname(sys.executable)

from tests.smtp import SMTPServer  # noqa: E402

CENT = Decimal('0.01')
VAT = Decimal('0.20')


def log(message, *args):
    print(message % args if args else message, flush=True)


class Timer:

    def __init__(self):
        self.times = {}

    def __call__(self, name):
        timer = self

        class Context:
            def __enter__(self):
                self.start = time.perf_counter()
                return self

            def __exit__(self, *exc):
                timer.times[name] = round(
                    time.perf_counter() - self.start, 2)
        return Context()


def pg_execute(uri, query):
    import psycopg
    parts = urllib.parse.urlparse(uri)
    with psycopg.connect(
            host=parts.hostname or None, port=parts.port,
            user=parts.username, password=parts.password,
            dbname='postgres', autocommit=True) as connection:
        connection.execute(query)


def pg_exists(uri, database):
    import psycopg
    parts = urllib.parse.urlparse(uri)
    with psycopg.connect(
            host=parts.hostname or None, port=parts.port,
            user=parts.username, password=parts.password,
            dbname='postgres', autocommit=True) as connection:
        return bool(connection.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s',
                (database,)).fetchone())


def create_database(uri, folder, database, smtp_uri, template=None):
    """Write the trytond configuration, create the database and activate
    ev_billing, or copy template (PostgreSQL) when it exists"""
    backend = urllib.parse.urlparse(uri).scheme
    config_file = os.path.join(folder, 'trytond.conf')
    with open(config_file, 'w') as fp:
        fp.write('[database]\nuri = %s\npath = %s\n' % (uri, folder))
        fp.write('[email]\nuri = %s\nfrom = bench@localhost\n' % smtp_uri)
    if backend == 'sqlite':
        open(os.path.join(folder, database + '.sqlite'), 'w').close()
    else:
        pg_execute(uri, 'DROP DATABASE IF EXISTS "%s"' % database)
        if template and pg_exists(uri, template):
            log("copy of %s", template)
            pg_execute(uri, 'CREATE DATABASE "%s" TEMPLATE "%s"' % (
                    database, template))
            return config_file
        pg_execute(uri, 'CREATE DATABASE "%s" ENCODING \'UTF8\' '
            'TEMPLATE template0' % database)
    password_file = os.path.join(folder, 'admin-password')
    with open(password_file, 'w') as fp:
        fp.write('bench-%s\n' % uuid.uuid4().hex)
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_') and k not in {'DB_NAME', 'DB_CACHE'}}
    env['TRYTONPASSFILE'] = password_file
    result = subprocess.run([os.path.join(BIN, 'trytond-admin'),
            '-c', config_file, '-d', database, '--all', '-u', 'ev_billing',
            '--activate-dependencies', '--email', 'admin@example.com',
            '-l', 'ru'],
        env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
        text=True)
    if result.returncode:
        raise RuntimeError('trytond-admin failed:\n%s' % (
                result.stdout + result.stderr)[-3000:])
    if template and backend == 'postgresql':
        pg_execute(uri, 'CREATE DATABASE "%s" TEMPLATE "%s"' % (
                template, database))
    return config_file


def setup_books(database, config_file, today):
    """Company, chart, fiscal year, billing accounts and configuration
    with proteus (as the scenarios do); return the ids the bench needs"""
    from proteus import Model
    from proteus import config as pconfig
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, create_tax, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import (
        create_company, get_company)
    from trytond.modules.ev_billing.tests.tools import (
        create_billing_accounts, setup_billing)

    pconfig.set_trytond(database, config_file=config_file)
    create_company()
    company = get_company()
    create_chart(company)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=today))
    fiscalyear.click('create_period')
    accounts = create_billing_accounts(get_accounts(company))
    configuration = setup_billing(company, accounts, billing_mode='period')
    tax = create_tax(VAT)
    tax.save()
    Tariff = Model.get('ev.tariff')
    Tax = Model.get('account.tax')
    tariff = Tariff(name="Platform", partner=None,
        start_fee=Decimal('50'), price_per_kwh=Decimal('20'))
    tariff.taxes.append(Tax(tax.id))
    tariff.save()
    return {
        'company': company.id,
        'tariff': tariff.id,
        'balance_account': accounts['ev_balance'].id,
        'clearing_account': accounts['ev_card_clearing'].id,
        'card_move_journal': (
            configuration.card_journal.clearing_journal.id),
        'commission_account': accounts['ev_commission'].id,
        'payable_account': accounts['payable'].id,
        }


def build_network(database, ids, args, month_start, month_end):
    """Partners, agreements, stations, clients and their top-ups with the
    ORM; the month's sessions in SQL. Return what the checks compare."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def network():
        # Drawn again if trytond restarts the transaction for its locks.
        rng = random.Random(args.seed)
        pool = Pool()
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        Partner = pool.get('ev.partner')
        Agreement = pool.get('ev.partner.agreement')
        Station = pool.get('ev.station')
        Connector = pool.get('ev.connector')
        ConnectorType = pool.get('ev.connector.type')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        company = Company(ids['company'])

        log("partners: %s with agreements", args.partners)
        partners = [Partner(legal_name='Bench Partner %02d' % n,
                contact_email='partner%02d@bench.example.com' % n)
            for n in range(1, args.partners + 1)]
        Partner.save(partners)
        Partner.review(partners)
        Partner.connect(partners)
        agreements = [Agreement(partner=p,
                commission_rate=Decimal(rng.choice(
                        ['0.08', '0.10', '0.12', '0.15'])),
                fee_per_session=Decimal(rng.choice(['0', '2', '5'])),
                fee_per_month=Decimal('1000'),
                start_date=month_start)
            for p in partners]
        Agreement.save(agreements)

        log("stations: %s", args.stations)
        type2, = ConnectorType.search([('code', '=', 'type2')])
        stations = [Station(
                name='Bench %04d' % n, identity='BILL-%04d' % n,
                partner=partners[(n - 1) % len(partners)].party,
                company=company,
                connectors=[Connector(number=1, evse=1, type=type2,
                        max_power=Decimal(22))])
            for n in range(1, args.stations + 1)]
        Station.save(stations)
        Station.connect(stations)

        log("clients: %s with top-ups", args.clients)
        clients = []
        for start in range(0, args.clients, 1000):
            batch = [Party(name='Bench Client %05d' % n, ev_client=True)
                for n in range(start + 1,
                    min(start + 1000, args.clients) + 1)]
            Party.save(batch)
            clients.extend(batch)
        period = Period.find(company, date=month_start)
        topups = {}
        for start in range(0, len(clients), 500):
            moves = []
            for client in clients[start:start + 500]:
                # 20 sessions a client on average, 840.00 each: most
                # balances cover the month, some go below zero.
                amount = Decimal(rng.randrange(100, 250) * 100)
                topups[client.id] = amount
                moves.append(Move(company=company,
                        journal=ids['card_move_journal'],
                        period=period, date=month_start,
                        description='Top-up',
                        lines=[
                            MoveLine(account=ids['clearing_account'],
                                debit=amount, credit=0),
                            MoveLine(account=ids['balance_account'],
                                party=client, debit=0, credit=amount),
                            ]))
            Move.save(moves)
            Move.post(moves)
        return {
            'partners': [p.id for p in partners],
            'partner_parties': [p.party.id for p in partners],
            'agreements': [a.id for a in agreements],
            'stations': [(s.id, s.connectors[0].id, s.partner.id)
                for s in stations],
            'clients': [c.id for c in clients],
            'topups': topups,
            'seed': rng.random(),
            }
    expected = run(database, ids, network)

    log("sessions: %s in %s, inserted in SQL", args.sessions,
        month_start.strftime('%Y-%m'))
    rng = random.Random(expected.pop('seed'))
    with Transaction().start(database, 0, context={
                'company': ids['company']}) as transaction:
        pool = Pool()
        Company = pool.get('company.company')
        Agreement = pool.get('ev.partner.agreement')
        Session = pool.get('ev.session')
        company = Company(ids['company'])
        agreement_of = {a.partner.party.id: a
            for a in Agreement.browse(expected['agreements'])}
        stations = expected['stations']
        clients = expected['clients']
        table = Session.__table__()
        columns = [table.create_uid, table.create_date, table.company,
            table.number, table.station, table.connector, table.client,
            table.transaction_ref, table.start_at, table.stop_at,
            table.meter_start, table.meter_stop, table.energy_wh,
            table.currency, table.amount, table.stop_reason, table.state,
            table.tariff, table.tariff_version, table.priced_at,
            table.net_amount, table.tax_amount, table.charging_time,
            table.payment_method, table.partner_amount,
            table.commission_amount, table.billing_state]
        span = int((month_end - dt.datetime.combine(
                    month_start, dt.time())).total_seconds()) - 6 * 3600
        now = dt.datetime.utcnow()
        cursor = transaction.connection.cursor()
        expected.update({'amount': Decimal(0), 'net': Decimal(0),
                'partner': {}, 'client': {}})
        rows = []
        for n in range(1, args.sessions + 1):
            station, connector, partner = stations[
                rng.randrange(len(stations))]
            client = clients[rng.randrange(len(clients))]
            start_at = dt.datetime.combine(month_start, dt.time()) + (
                dt.timedelta(seconds=rng.randrange(span)))
            steps = rng.randrange(50, 600)  # 5 to 60 kWh, 100 Wh steps
            energy = steps * 100
            minutes = rng.randrange(20, 240)
            stop_at = start_at + dt.timedelta(minutes=minutes)
            # The tariff: 50.00 + 20.00 a kWh, plus 20 % VAT (exact).
            net = Decimal(50 + 2 * steps).quantize(CENT)
            tax = (net * VAT).quantize(CENT)
            # The split of Session.set_split.
            commission = agreement_of[partner].compute_commission(net)
            partner_amount = net - commission
            expected['amount'] += net + tax
            expected['net'] += net
            expected['partner'][partner] = (
                expected['partner'].get(partner, Decimal(0))
                + partner_amount)
            expected['client'][client] = (
                expected['client'].get(client, Decimal(0)) + net + tax)
            rows.append([0, now, company.id, 'BILL%07d' % n, station,
                    connector, client, str(n), start_at, stop_at, 1000,
                    1000 + energy, energy, company.currency.id, net + tax,
                    'local', 'finished', ids['tariff'], 1, stop_at, net,
                    tax, dt.timedelta(minutes=minutes), 'balance',
                    partner_amount, commission, 'pending'])
            if len(rows) == 2000:  # 65,535 parameters at most
                cursor.execute(*table.insert(columns, rows))
                rows = []
        if rows:
            cursor.execute(*table.insert(columns, rows))
        transaction.commit()
        # Fresh statistics for the planner, as autovacuum would have.
        if transaction.database.has_select_for():
            connection = transaction.database.get_connection(
                autocommit=True)
            try:
                connection.cursor().execute('ANALYZE')
            finally:
                transaction.database.put_connection(connection)
    return expected


def run(database, ids, func):
    """Run func() in a transaction as the crons do: restart it with the
    locks it asks for (trytond's TransactionError), commit at the end"""
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        try:
            with Transaction().start(database, 0, context={
                        'company': ids['company']}, **extras):
                return func()
        except TransactionError as error:
            error.fix(extras)


def month_end(database, ids, first, profile=None, group_size=None):
    from trytond.pool import Pool

    def invoice():
        pool = Pool()
        Session = pool.get('ev.session')
        if group_size:
            Session._invoice_group_size = group_size
        Company = pool.get('company.company')
        invoices = Session.invoice_pending(
            date=dt.datetime.combine(first, dt.time()),
            company=Company(ids['company']))
        return len(invoices)

    def settle():
        pool = Pool()
        Settlement = pool.get('ev.billing.settlement')
        Company = pool.get('company.company')
        settlements = Settlement.create_period(
            first - dt.timedelta(days=1), Company(ids['company']))
        return len(settlements)

    timer = Timer()
    counts = {}
    for name, func in [('invoice', invoice), ('settle', settle)]:
        log("%s ...", name)
        profiler = cProfile.Profile() if profile else None
        with timer(name):
            if profiler:
                profiler.enable()
            counts[name] = run(database, ids, func)
            if profiler:
                profiler.disable()
        if profiler:
            profiler.dump_stats('%s-%s.prof' % (profile, name))
        log("%s: %s records in %.1f s", name, counts[name],
            timer.times[name])
    return timer.times, counts


def verify(database, ids, expected, smtp, args):
    "Check the invariants with SQL queries; return (figures, failures)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    failures = []

    def check(name, ok, detail=''):
        log("  %s %s%s", 'ok  ' if ok else 'FAIL', name,
            ': ' + detail if detail else '')
        if not ok:
            failures.append(name + (': ' + detail if detail else ''))

    def money(value):
        return Decimal(str(value or 0)).quantize(CENT)

    figures = {}
    with Transaction().start(database, 0, readonly=True) as transaction:
        pool = Pool()
        cursor = transaction.connection.cursor()
        Session = pool.get('ev.session')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Settlement = pool.get('ev.billing.settlement')
        SettlementLine = pool.get('ev.billing.settlement.line')
        Partner = pool.get('ev.partner')
        session = Session.__table__()
        move = Move.__table__()
        line = MoveLine.__table__()
        invoice = Invoice.__table__()
        invoice_line = InvoiceLine.__table__()
        settlement = Settlement.__table__()
        settlement_line = SettlementLine.__table__()
        partner = Partner.__table__()
        from sql.aggregate import Count, Sum
        from sql.conditionals import Coalesce

        # Debits = credits, move by move and overall
        cursor.execute(*line.join(move, condition=line.move == move.id
                ).select(line.move,
                where=move.state == 'posted',
                group_by=line.move,
                having=Sum(line.debit - line.credit) != 0))
        unbalanced = cursor.fetchall()
        cursor.execute(*line.join(move, condition=line.move == move.id
                ).select(Count(line.id), Sum(line.debit),
                Sum(line.credit), where=move.state == 'posted'))
        lines, debit, credit = cursor.fetchone()
        figures['posted_move_lines'] = lines
        check('debits = credits', not unbalanced and money(debit)
            == money(credit), '%s unbalanced moves, %s / %s' % (
                len(unbalanced), money(debit), money(credit)))

        # Every session invoiced once
        cursor.execute(*session.select(
                session.billing_state, Count(session.id),
                where=session.number.like('BILL%'),
                group_by=session.billing_state))
        states = dict(cursor.fetchall())
        check('every session invoiced', states == {
                'invoiced': args.sessions}, repr(states))
        per_session = invoice_line.join(invoice,
            condition=invoice_line.invoice == invoice.id).select(
            invoice_line.ev_session.as_('session'),
            Count(invoice.id, distinct=True).as_('invoices'),
            Count(invoice_line.id).as_('lines'),
            where=invoice.state.in_(['posted', 'paid']),
            group_by=invoice_line.ev_session)
        cursor.execute(*session.join(per_session, 'LEFT',
                condition=per_session.session == session.id).select(
                Count(session.id),
                where=session.number.like('BILL%')
                & (Coalesce(per_session.invoices, 0) != 1)))
        twice, = cursor.fetchone()
        check('every session on exactly one invoice', twice == 0,
            '%s sessions on 0 or 2+ invoices' % twice)
        cursor.execute(*invoice.select(invoice.state, Count(invoice.id),
                Sum(invoice.total_amount_cache),
                where=invoice.type == 'out', group_by=invoice.state))
        invoice_states = {s: (c, t) for s, c, t in cursor.fetchall()}
        figures['invoices'] = sum(c for c, _ in invoice_states.values())
        check('every invoice paid from the balance',
            set(invoice_states) == {'paid'}, repr(
                {s: c for s, (c, _) in invoice_states.items()}))
        cursor.execute(*invoice_line.select(Count(invoice_line.id),
                where=invoice_line.ev_session != None))  # noqa: E711
        figures['invoice_lines'], = cursor.fetchone()

        # Partner payable credits = settlement partner totals
        payable = line.join(move, condition=line.move == move.id).select(
            line.party.as_('party'),
            Sum(line.credit - line.debit).as_('amount'),
            where=(move.state == 'posted')
            & (line.account == ids['payable_account'])
            & (line.ev_session != None),  # noqa: E711
            group_by=line.party)
        cursor.execute(*payable)
        books = {p: money(a) for p, a in cursor.fetchall()}
        cursor.execute(*settlement_line.join(settlement,
                condition=settlement_line.settlement == settlement.id
                ).join(partner, condition=settlement.partner == partner.id
                ).select(partner.party, Sum(settlement_line.partner_amount),
                Sum(settlement_line.sessions),
                where=settlement.state.in_(['confirmed', 'paid']),
                group_by=partner.party))
        settled = {}
        settled_sessions = 0
        for party, amount, sessions in cursor.fetchall():
            settled[party] = money(amount)
            settled_sessions += sessions
        wrong = [p for p in expected['partner_parties']
            if books.get(p) != settled.get(p)
            or settled.get(p) != expected['partner'].get(p)]
        check('partner payable credits = settlement totals', not wrong,
            '%s partners differ' % len(wrong))
        check('settled sessions = sessions', settled_sessions
            == args.sessions, '%s' % settled_sessions)
        cursor.execute(*settlement.select(Count(settlement.id),
                Sum(settlement.fee_amount),
                where=settlement.state == 'confirmed'))
        figures['settlements'], fees = cursor.fetchone()
        figures['fees'] = str(money(fees))
        cursor.execute(*settlement.select(Count(settlement.id),
                where=(settlement.state == 'confirmed')
                & (settlement.payout != None)  # noqa: E711
                & (settlement.fee_move != None)))  # noqa: E711
        complete, = cursor.fetchone()
        check('a settlement, fee move and payout per partner',
            figures['settlements'] == args.partners
            and complete == args.partners,
            '%s settlements, %s complete' % (
                figures['settlements'], complete))

        # Client balances = top-ups - charges
        cursor.execute(*line.join(move, condition=line.move == move.id
                ).select(line.party, Sum(line.credit - line.debit),
                where=(move.state == 'posted')
                & (line.account == ids['balance_account']),
                group_by=line.party))
        balances = {p: money(b) for p, b in cursor.fetchall()}
        cursor.execute(*invoice.select(invoice.party,
                Sum(invoice.total_amount_cache),
                where=(invoice.type == 'out')
                & invoice.state.in_(['posted', 'paid']),
                group_by=invoice.party))
        charges = {p: money(t) for p, t in cursor.fetchall()}
        wrong = [c for c, topup in expected['topups'].items()
            if balances.get(c, 0) != topup - charges.get(c, 0)
            or charges.get(c, 0) != expected['client'].get(c, 0)]
        check('client balance = top-ups - charges', not wrong,
            '%s clients differ' % len(wrong))
        figures['charged'] = str(sum(charges.values(), Decimal(0)))
        figures['clients_below_zero'] = sum(
            1 for b in balances.values() if b < 0)
        check('charges = sessions priced', sum(charges.values(), Decimal(0))
            == expected['amount'], '%s / %s' % (
                sum(charges.values(), Decimal(0)), expected['amount']))
    for _ in range(100):
        if len(smtp.messages()) >= args.partners:
            break
        time.sleep(0.1)
    sent = sorted({to for msg in smtp.messages() for to in msg['To']
            .split(',')})
    check('one statement e-mail per partner', len(smtp.messages())
        == args.partners and len(sent) == args.partners,
        '%s messages' % len(smtp.messages()))
    return figures, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sessions', type=int, default=100000)
    parser.add_argument('--clients', type=int, default=5000)
    parser.add_argument('--stations', type=int, default=200)
    parser.add_argument('--partners', type=int, default=20)
    parser.add_argument('--seed', type=int, default=6)
    parser.add_argument('--database', default='ev_bench_billing')
    parser.add_argument('--template', metavar='DATABASE',
        help="PostgreSQL: copy the freshly activated database from this "
        "one when it exists, else keep a copy under this name (saves the "
        "minutes of trytond-admin on the next runs; not timed either way)")
    parser.add_argument('--keep', action='store_true',
        help="keep the database (and print its configuration file)")
    parser.add_argument('--profile', metavar='PREFIX',
        help="cProfile the timed runs into PREFIX-invoice.prof and "
        "PREFIX-settle.prof")
    parser.add_argument('--group-size', type=int,
        help="sessions invoiced together (Session._invoice_group_size)")
    parser.add_argument('--output', help="write the figures as JSON here")
    args = parser.parse_args()

    uri = os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://')
    for name in list(os.environ):
        if name.startswith('TRYTOND_'):
            del os.environ[name]
    # proteus puts the database name in the path of this URI.
    os.environ['TRYTOND_DATABASE_URI'] = uri
    today = dt.date.today()
    first = today.replace(day=1)
    month_start = dt.datetime.combine(
        (first - dt.timedelta(days=1)).replace(day=1), dt.time())
    month_stop = dt.datetime.combine(first, dt.time())

    folder = tempfile.mkdtemp(prefix='ev-bench-billing-')
    smtp = SMTPServer()
    smtp.start()
    timer = Timer()
    failures = ['not run']
    try:
        log("database %s on %s", args.database,
            urllib.parse.urlparse(uri).scheme)
        with timer('create_database'):
            config_file = create_database(
                uri, folder, args.database, smtp.uri, args.template)
        with timer('setup_books'):
            ids = setup_books(args.database, config_file, today)
        with timer('generate'):
            expected = build_network(args.database, ids, args,
                month_start.date(), month_stop)
        times, counts = month_end(args.database, ids, first,
            profile=args.profile, group_size=args.group_size)
        timer.times.update(times)
        log("checks ...")
        with timer('verify'):
            figures, failures = verify(
                args.database, ids, expected, smtp, args)
    finally:
        smtp.stop()
        if args.keep:
            log("kept database %s, configuration %s",
                args.database, config_file)
        else:
            if urllib.parse.urlparse(uri).scheme == 'postgresql':
                from trytond import backend
                try:
                    backend.Database(args.database).close()
                except Exception:
                    pass
                pg_execute(uri, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                    % args.database)
            shutil.rmtree(folder, ignore_errors=True)

    total = timer.times['invoice'] + timer.times['settle']
    result = {
        'date': today.isoformat(),
        'backend': urllib.parse.urlparse(uri).scheme,
        'python': host.python_version(),
        'cpus': os.cpu_count(),
        'shape': {
            'sessions': args.sessions, 'clients': args.clients,
            'stations': args.stations, 'partners': args.partners,
            'month': month_start.strftime('%Y-%m'),
            },
        'seconds': timer.times,
        'records': counts,
        'figures': figures,
        'sessions_per_second': {
            'invoice': round(args.sessions / timer.times['invoice'], 1),
            'settle': round(args.sessions / timer.times['settle'], 1),
            'month_end': round(args.sessions / total, 1),
            },
        'failures': failures,
        }
    log(json.dumps(result, indent=2, default=str))
    log("month-end run: %s sessions, %s invoices, %s settlements in "
        "%.1f s (invoicing %.1f s, settlement %.1f s, checks %.1f s): "
        "%.0f sessions/s", args.sessions, counts['invoice'],
        counts['settle'], total, timer.times['invoice'],
        timer.times['settle'], timer.times['verify'],
        result['sessions_per_second']['month_end'])
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)),
            exist_ok=True)
        with open(args.output, 'w') as fp:
            json.dump(result, fp, indent=2, default=str)
    if failures:
        log("FAILED: %s", '; '.join(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
