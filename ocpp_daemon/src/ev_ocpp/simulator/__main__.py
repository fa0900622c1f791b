# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Run simulated charge points against a CSMS

    python -m ev_ocpp.simulator --url ws://127.0.0.1:9000 --chargers 50 \\
        --version 2.0.1 --password-file var/sim-chargers.json --sessions 3
    python -m ev_ocpp.simulator --keep-alive var/demo-chargers.json

The first form runs N chargers SIM-001... with back-to-back sessions; the
second keeps the stations of a JSON file {identity: password} (or
{identity: {"password", "version", "connectors"}}) connected and charging now
and then. SIGINT or SIGTERM stops the sessions and closes the connections.
"""
import argparse
import asyncio
import json
import logging
import signal
import ssl
import sys

from . import VERSIONS, create_charger
from .fleet import DEMO_TAGS, Fleet, Plan

logger = logging.getLogger('ev_ocpp.simulator')


def parse_args(argv=None):
    "Return the command line options"
    parser = argparse.ArgumentParser(prog='python -m ev_ocpp.simulator',
        description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='ws://127.0.0.1:9000',
        help="the CSMS, without the identity")
    parser.add_argument('--version', default='1.6', choices=sorted(VERSIONS))
    parser.add_argument('--chargers', type=int, default=1, metavar='N')
    parser.add_argument('--identity-prefix', default='SIM-')
    parser.add_argument('--password-file', metavar='FILE',
        help="JSON {identity: password}; without it no Basic auth")
    parser.add_argument('--keep-alive', metavar='FILE',
        help="keep the stations of this JSON file alive instead")
    parser.add_argument('--connectors', type=int, default=1)
    parser.add_argument('--sessions', type=int, default=0, metavar='N',
        help="sessions per charger, then exit; 0: until stopped")
    parser.add_argument('--speed', type=float,
        help="simulated seconds per real second (60; 10 with --keep-alive)")
    parser.add_argument('--minutes', type=float, default=30,
        help="simulated length of a session")
    parser.add_argument('--pause', type=float,
        help="simulated minutes between sessions (0; 15 with --keep-alive)")
    parser.add_argument('--power', type=int, default=11_000, metavar='W')
    parser.add_argument('--interval', type=int, default=60, metavar='S',
        help="simulated seconds between meter values")
    parser.add_argument('--jitter', type=float,
        help="relative variation of lengths, powers and pauses "
        "(0; 0.5 with --keep-alive)")
    parser.add_argument('--id-tags', default=','.join(DEMO_TAGS),
        help="comma-separated tags the drivers use")
    parser.add_argument('--ramp', type=float, default=0, metavar='S',
        help="real seconds over which the connections start")
    parser.add_argument('--cafile', help="CA bundle for wss:// URLs")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--log-level', default='INFO')
    return parser.parse_args(argv)


def stations(args):
    "Return [(identity, password, version, connectors)]"
    if args.keep_alive:
        with open(args.keep_alive) as fp:
            entries = json.load(fp)
        result = []
        for identity, entry in sorted(entries.items()):
            if not isinstance(entry, dict):
                entry = {'password': entry}
            result.append((identity, entry.get('password'),
                    entry.get('version', args.version),
                    entry.get('connectors', args.connectors)))
        return result
    passwords = {}
    if args.password_file:
        with open(args.password_file) as fp:
            passwords = json.load(fp)
    identities = ['%s%03d' % (args.identity_prefix, i)
        for i in range(1, args.chargers + 1)]
    return [(i, passwords.get(i), args.version, args.connectors)
        for i in identities]


def build(args):
    "Return the fleet the options describe"
    keep_alive = bool(args.keep_alive)
    speed = args.speed or (10 if keep_alive else 60)
    plan = Plan(sessions=0 if keep_alive else args.sessions,
        minutes=args.minutes, power_w=args.power, interval_s=args.interval,
        pause_minutes=(args.pause if args.pause is not None
            else 15 if keep_alive else 0),
        id_tags=tuple(t for t in args.id_tags.split(',') if t),
        jitter=(args.jitter if args.jitter is not None
            else 0.5 if keep_alive else 0),
        ramp_s=args.ramp)
    context = None
    if args.url.startswith('wss:') and args.cafile:
        context = ssl.create_default_context(cafile=args.cafile)
    chargers = [create_charger(version, args.url, identity, password,
            ssl=context, connectors=connectors, speed=speed,
            power_w=args.power, remote_minutes=args.minutes)
        for identity, password, version, connectors in stations(args)]
    return Fleet(chargers, plan, seed=args.seed)


async def run(fleet):
    "Run the fleet until it is done or a signal stops it"
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    logger.info('%d chargers on %s', len(fleet.chargers),
        fleet.chargers[0].url if fleet.chargers else '-')
    stats = await fleet.run(stopping)
    logger.info('done: %d sessions, %d Wh, %d refused, %d failed, '
        '%d disconnections', stats.sessions, stats.energy_wh, stats.refused,
        stats.failures, stats.disconnects)
    return stats


def main(argv=None):
    "Run the simulator from the command line"
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    # The ocpp library logs every frame, id tags included, at INFO.
    logging.getLogger('ocpp').setLevel(logging.WARNING)
    logging.getLogger('websockets').setLevel(logging.WARNING)
    asyncio.run(run(build(args)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
