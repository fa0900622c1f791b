# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The OCPP benchmark: `make bench-ocpp` (docs/benchmarks.md)

Tryton (on the database TRYTOND_DATABASE_URI names, PostgreSQL for the
published figures) with the demo, one OCPP daemon process, and N light
chargers on loopback. The same load then goes to a bare `ocpp` library
central system that persists nothing, and the report divides the figures.
"""
import argparse
import asyncio
import json
import os
import platform as host
import resource
import statistics
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.loadgen import (  # noqa: E402
    LoadCharger, boot_payload, meter_payload, percentile, start_payload,
    stop_payload)
from tests.harness import Daemon, Platform, free_port  # noqa: E402

PASSWORD = 'bench-charger-password'


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_mib(pid):
    with open('/proc/%s/status' % pid) as fp:
        for line in fp:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024


def summary(latencies):
    ms = [v * 1000 for v in latencies]
    return {
        'count': len(ms),
        'p50_ms': round(percentile(ms, 50), 2) if ms else None,
        'p95_ms': round(percentile(ms, 95), 2) if ms else None,
        'p99_ms': round(percentile(ms, 99), 2) if ms else None,
        'mean_ms': round(statistics.fmean(ms), 2) if ms else None,
        }


async def open_chargers(url, count, password, concurrency=100):
    chargers = [LoadCharger(url, 'BENCH-%05d' % n, password)
        for n in range(1, count + 1)]
    semaphore = asyncio.Semaphore(concurrency)
    failures = []

    async def one(charger):
        async with semaphore:
            try:
                await charger.connect()
                await charger.call('BootNotification', boot_payload())
            except Exception as exception:
                failures.append(repr(exception))
    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in chargers))
    elapsed = time.perf_counter() - start
    opened = [c for c in chargers if c.ws is not None and not c.ws.close_code]
    return opened, elapsed, failures


async def heartbeats(chargers, seconds):
    latencies = []
    deadline = time.perf_counter() + seconds

    async def loop(charger):
        while time.perf_counter() < deadline:
            _, elapsed = await charger.call('Heartbeat', {})
            latencies.append(elapsed)
    start = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in chargers))
    elapsed = time.perf_counter() - start
    return dict(summary(latencies),
        per_second=round(len(latencies) / elapsed, 1))


async def starts(chargers, rate, count):
    "StartTransaction at rate per second; return (summary, transactions)"
    latencies = []
    authorizations = []
    transactions = []
    interval = 1 / rate

    async def one(charger, n):
        # As a driver does it: the card is authorized, then charging starts.
        _, elapsed = await charger.call('Authorize', {'idTag': 'BENCHTAG'})
        authorizations.append(elapsed)
        answer, elapsed = await charger.call('StartTransaction',
            start_payload(1, 'BENCHTAG', 1000))
        latencies.append(elapsed)
        transactions.append((charger, answer[2]['transactionId']))
    tasks = []
    start = time.perf_counter()
    for n in range(count):
        charger = chargers[n % len(chargers)]
        tasks.append(asyncio.ensure_future(one(charger, n)))
        await asyncio.sleep(max(0, start + (n + 1) * interval
                - time.perf_counter()))
    await asyncio.gather(*tasks)
    return dict(summary(latencies), rate=rate,
        authorize=summary(authorizations)), transactions


async def meters(transactions, seconds, energy):
    latencies = []
    deadline = time.perf_counter() + seconds

    async def loop(charger, transaction_id):
        while time.perf_counter() < deadline:
            energy[transaction_id] = energy.get(transaction_id, 1000) + 100
            _, elapsed = await charger.call('MeterValues', meter_payload(
                    1, transaction_id, energy[transaction_id]))
            latencies.append(elapsed)
            await asyncio.sleep(1)
    start = time.perf_counter()
    await asyncio.gather(*(loop(c, t) for c, t in transactions))
    return dict(summary(latencies),
        per_second=round(len(latencies) / (time.perf_counter() - start), 1))


async def stops(transactions, energy):
    await asyncio.gather(*(charger.call('StopTransaction', stop_payload(
                    transaction_id, energy.get(transaction_id, 1000)))
            for charger, transaction_id in transactions))


async def run_load(url, args, pid=None, energy=None):
    "Run every phase against url; return the figures"
    figures = {}
    base_rss = rss_mib(pid) if pid else None
    chargers, elapsed, failures = await open_chargers(
        url, args.chargers, PASSWORD)
    figures['connections'] = {
        'asked': args.chargers, 'held': len(chargers),
        'seconds': round(elapsed, 1), 'failures': failures[:5],
        }
    if pid:
        rss = rss_mib(pid)
        figures['connections'].update(
            rss_mib=round(rss, 1), rss_base_mib=round(base_rss, 1),
            rss_kib_per_connection=round(
                (rss - base_rss) * 1024 / max(len(chargers), 1), 1))
    active = chargers[:args.active]
    figures['heartbeat'] = await heartbeats(active, args.seconds)
    figures['start_transaction'], transactions = await starts(
        active, args.start_rate, args.starts)
    energy = {} if energy is None else energy
    figures['meter_values'] = await meters(
        transactions[:args.active], args.seconds, energy)
    await stops(transactions, energy)
    figures['transactions'] = transactions
    await asyncio.gather(*(c.close() for c in chargers))
    return figures


def database_counts(platform, refs):
    "Return (sessions, finished, duplicates, meter rows) of the bench"
    session = platform.login('admin', platform.admin_password)
    sessions = session.model('ev.session', 'search_read',
        [('station.identity', 'like', 'BENCH-%')], 0, None, None,
        ['transaction_ref', 'state', 'meter_values'])
    by_ref = {}
    for row in sessions:
        by_ref.setdefault(row['transaction_ref'], []).append(row)
    return {
        'sent': len(refs),
        'recorded': len(sessions),
        'missing': len(set(refs) - set(by_ref)),
        'duplicated': sum(len(v) - 1 for v in by_ref.values() if len(v) > 1),
        'finished': sum(1 for r in sessions if r['state'] == 'finished'),
        'meter_values': sum(len(r['meter_values']) for r in sessions),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--chargers', type=int, default=1000)
    parser.add_argument('--active', type=int, default=200,
        help="chargers that send heartbeats and meter values")
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--starts', type=int, default=500)
    parser.add_argument('--start-rate', type=float, default=50)
    parser.add_argument('--output', help="write the figures as JSON here")
    args = parser.parse_args()
    limit = raise_fd_limit()

    platform = Platform()
    report = {
        'machine': '%s, %s cores, Python %s' % (
            host.platform(), os.cpu_count(), host.python_version()),
        'database': platform.backend, 'fd_limit': limit,
        'arguments': vars(args),
        }
    try:
        platform.create()
        platform._run(sys.executable,
            os.path.join(ROOT, 'bench', 'setup_stations.py'),
            '-c', platform.config, '-d', platform.database,
            '--count', str(args.chargers), '--password', PASSWORD)
        platform.start()
        daemon = Daemon(platform, 'bench', log_level='WARNING',
            rate_limit='1000', rate_burst='1000')
        daemon.start()
        started = time.perf_counter()
        figures = asyncio.run(run_load(
                daemon.url, args, pid=daemon.process.pid))
        transactions = figures.pop('transactions')
        # The lag: from the last MeterValues answered to every row stored.
        lag_start = time.perf_counter()
        while time.perf_counter() - lag_start < 900:
            try:
                if not daemon.health()['outbox']:
                    break
            except requests.RequestException:
                # A daemon busy delivering may answer its health late.
                pass
            time.sleep(0.2)
        figures['outbox_drain_seconds'] = round(
            time.perf_counter() - lag_start, 2)
        figures['elapsed_seconds'] = round(time.perf_counter() - started, 1)
        figures['integrity'] = database_counts(
            platform, [str(t) for _, t in transactions])
        report['daemon'] = figures
        daemon.stop()

        port = free_port()
        bare = subprocess.Popen([sys.executable,
                os.path.join(ROOT, 'bench', 'bare_csms.py'), str(port)],
            stdin=subprocess.DEVNULL)
        time.sleep(1.5)
        try:
            bare_figures = asyncio.run(run_load(
                    'ws://127.0.0.1:%s/' % port, args, pid=bare.pid))
            bare_figures.pop('transactions')
            report['bare'] = bare_figures
        finally:
            bare.terminate()
            bare.wait()
        report['ratio'] = {
            'heartbeat_throughput': round(
                report['daemon']['heartbeat']['per_second']
                / report['bare']['heartbeat']['per_second'], 3),
            }
    finally:
        platform.destroy()
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        with open(args.output, 'w') as fp:
            fp.write(text + '\n')


if __name__ == '__main__':
    main()
