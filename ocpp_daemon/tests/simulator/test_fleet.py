# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The command line fleet: sessions mode, keep-alive mode and signals"""
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from ev_ocpp.simulator.__main__ import build, parse_args

from .csms import CentralSystem, run

SRC = Path(__file__).resolve().parents[2] / 'src'


def test_sessions_mode(tmp_path):
    "N chargers each run their sessions, then the fleet ends"
    passwords = tmp_path / 'passwords.json'
    passwords.write_text(json.dumps({'SIM-001': 'a', 'SIM-002': 'b'}))

    async def scenario():
        async with CentralSystem(
                passwords={'SIM-001': 'a', 'SIM-002': 'b'}) as csms:
            fleet = build(parse_args(['--url', csms.url, '--chargers', '2',
                        '--version', '2.0.1', '--password-file',
                        str(passwords), '--sessions', '2', '--minutes', '3',
                        '--speed', '3000']))
            stats = await fleet.run(asyncio.Event())
            return csms, stats

    csms, stats = run(scenario())
    assert (stats.sessions, stats.refused, stats.failures,
        stats.disconnects) == (2 * 2, 0, 0, 0)
    # 3 minutes at 11 kW in whole steps of a minute: 550 Wh a session.
    assert stats.energy_wh == 4 * 550
    for identity in ['SIM-001', 'SIM-002']:
        station = csms.stations[identity]
        assert station.actions()[:2] == [
            'BootNotification', 'StatusNotification']
        events = station.payloads('TransactionEvent')
        assert [e['event_type'] for e in events].count('Ended') == 2
        assert station._connection.close_code == 1000


def test_keep_alive_reconnects_and_stops(tmp_path):
    "Kept-alive stations charge, come back after a drop and stop cleanly"
    chargers = tmp_path / 'demo-chargers.json'
    chargers.write_text(json.dumps({
                'VZ-MSK-001': 'pw1',
                'NE-SPB-001': {'password': 'pw2', 'version': '2.0.1',
                    'connectors': 2}}))

    async def scenario():
        async with CentralSystem(passwords={
                    'VZ-MSK-001': 'pw1', 'NE-SPB-001': 'pw2'}) as csms:
            fleet = build(parse_args(['--keep-alive', str(chargers),
                        '--url', csms.url, '--speed', '6000',
                        '--minutes', '20', '--pause', '1']))
            fleet.plan.min_backoff_s = 0.05
            stopping = asyncio.Event()
            running = asyncio.create_task(fleet.run(stopping))
            first = await csms.station('VZ-MSK-001')
            await first.wait_for('StopTransaction')
            await first._connection.close(1012)
            while csms.stations['VZ-MSK-001'] is first:
                await asyncio.sleep(0.01)
            second = csms.stations['VZ-MSK-001']
            await second.wait_for('StartTransaction')
            await (await csms.station('NE-SPB-001')).wait_for(
                'TransactionEvent', 3)
            stopping.set()
            stats = await running
            return csms, first, second, stats, fleet

    csms, first, second, stats, fleet = run(scenario())
    assert stats.disconnects == 1
    actions = second.actions()
    cut = actions[1] == 'StopTransaction'
    assert actions[:2 + cut] == ['BootNotification'] + [
        'StopTransaction'] * cut + ['StatusNotification']
    # A session cut by the drop is stopped once back online, at least once
    # (the drop may have lost the answer to a StopTransaction).
    stops = [p['transaction_id'] for station in (first, second)
        for p in station.payloads('StopTransaction')]
    assert stops and set(stops) <= set(range(101, next(csms.transaction_ids)))
    station201 = csms.stations['NE-SPB-001']
    connectors = {p['evse_id'] for p in station201.payloads(
            'StatusNotification')}
    assert connectors == {1, 2}
    events = station201.payloads('TransactionEvent')
    assert [e['event_type'] for e in events].count('Started') == [
        e['event_type'] for e in events].count('Ended')
    assert all(not cp.connected and not cp.transactions
        for cp in fleet.chargers)


def test_sigterm_closes_cleanly(tmp_path):
    "python -m ev_ocpp.simulator exits 0 on SIGTERM after closing"
    chargers = tmp_path / 'demo-chargers.json'
    chargers.write_text(json.dumps({'VZ-MSK-009': 'pw'}))

    async def scenario():
        async with CentralSystem(passwords={'VZ-MSK-009': 'pw'}) as csms:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                    [str(SRC), os.environ.get('PYTHONPATH', '')]))
            process = await asyncio.create_subprocess_exec(
                sys.executable, '-m', 'ev_ocpp.simulator',
                '--keep-alive', str(chargers), '--url', csms.url,
                '--speed', '6000', '--pause', '1', env=env,
                stderr=asyncio.subprocess.PIPE)
            station = await csms.station('VZ-MSK-009', timeout=2.5)
            await station.wait_for('StartTransaction')
            process.send_signal(signal.SIGTERM)
            _, err = await process.communicate()
            return process.returncode, err.decode(), station

    code, err, station = run(scenario())
    assert code == 0, err
    assert 'done: ' in err
    assert 'pw' not in err
    assert len(station.payloads('StartTransaction')) == len(
        station.payloads('StopTransaction'))
    assert station._connection.close_code == 1000
