# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Chargers that stay connected and charge now and then, for load and demos"""
import asyncio
import logging
import random
from dataclasses import dataclass

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .connection import NegotiationError

logger = logging.getLogger(__name__)

# The accepted cards of the demo network (demo/load_demo.py), so that the
# sessions of `make demo` are authorized.
DEMO_TAGS = (
    '04A1B2C3D4E5F6', '04B7C8D9E0F1A2', '04E5F6A7B8C9D0', '04F1A2B3C4D5E6')

# What a charger survives by reconnecting, as a real one would.
CONNECTION_ERRORS = (OSError, ConnectionClosed, InvalidHandshake,
    NegotiationError, OCPPError, TimeoutError)


@dataclass
class Plan:
    "What the chargers of a fleet do; times in simulated minutes"
    sessions: int = 0
    minutes: float = 30
    power_w: int = 11_000
    interval_s: int = 60
    pause_minutes: float = 15
    id_tags: tuple = DEMO_TAGS
    # 0 repeats the same session exactly (benchmarks); 0.5 varies lengths
    # and pauses by up to ±50 % and powers by up to -50 % (demos).
    jitter: float = 0
    # Real seconds over which the first connections are spread.
    ramp_s: float = 0
    # Real seconds between reconnections, doubling up to the maximum.
    min_backoff_s: float = 1
    max_backoff_s: float = 60


@dataclass
class Stats:
    "What a fleet did"
    sessions: int = 0
    energy_wh: int = 0
    refused: int = 0
    failures: int = 0
    disconnects: int = 0


async def sleep_unless(stopping, seconds):
    "Sleep up to seconds; tell whether stopping was set meanwhile"
    try:
        await asyncio.wait_for(stopping.wait(), max(seconds, 0))
    except TimeoutError:
        return False
    return True


class Fleet:
    "Runs chargers concurrently until stopping is set or the plan is done"

    def __init__(self, chargers, plan, seed=0):
        self.chargers = chargers
        self.plan = plan
        self.seed = seed
        self.stats = Stats()
        self._left = {}

    async def run(self, stopping):
        "Run every charger; return the stats"
        async with asyncio.TaskGroup() as group:
            for index, cp in enumerate(self.chargers):
                self._left[cp.identity] = self.plan.sessions or None
                rng = random.Random('%s/%s' % (self.seed, cp.identity))
                group.create_task(self._keep(cp, rng, stopping, index))
        return self.stats

    def _done(self, cp):
        return self._left[cp.identity] == 0

    async def _keep(self, cp, rng, stopping, index):
        "Keep cp connected, reconnecting with backoff, until done"
        delay = self.plan.ramp_s * index / max(len(self.chargers), 1)
        if await sleep_unless(stopping, delay):
            return
        backoff = self.plan.min_backoff_s
        while not stopping.is_set() and not self._done(cp):
            try:
                await cp.connect()
                if await self._boot(cp, stopping):
                    backoff = self.plan.min_backoff_s
                    await cp.settle()
                    for n in sorted(cp.connectors):
                        await cp.status(n, cp.idle_status(n))
                    await self._serve(cp, rng, stopping)
            except CONNECTION_ERRORS as error:
                self.stats.disconnects += 1
                logger.warning('%s: %s; reconnecting in %s s', cp.identity,
                    str(error) or type(error).__name__, backoff)
            finally:
                await cp.close()
            if self._done(cp) or await sleep_unless(stopping, backoff):
                return
            backoff = min(backoff * 2, self.plan.max_backoff_s)

    async def _boot(self, cp, stopping):
        "Boot until accepted (B01-B03); tell whether it was"
        while True:
            status, interval = await cp.boot()
            if status == 'accepted':
                return True
            logger.info('%s: boot %s, again in %s s', cp.identity, status,
                interval)
            if await sleep_unless(stopping, interval or 10):
                return False

    async def _serve(self, cp, rng, stopping):
        "Heartbeat and charge until the plan is done, stop or disconnect"
        sessions = [asyncio.create_task(self._sessions(cp, n, rng, stopping))
            for n in sorted(cp.connectors)]
        others = [asyncio.create_task(cp.heartbeats()),
            asyncio.create_task(cp.wait_closed()),
            asyncio.create_task(stopping.wait())]
        try:
            running = set(sessions)
            while running:
                done, _ = await asyncio.wait([*running, *others],
                    return_when=asyncio.FIRST_COMPLETED)
                running -= done
                if done & set(others):
                    break
            if stopping.is_set():
                # A clean stop ends the sessions with StopTransaction.
                for tx in list(cp.transactions.values()):
                    tx.request_stop('local')
                await asyncio.wait(sessions, timeout=10)
            for task in [*sessions, others[0]]:
                if task.done() and not task.cancelled() and task.exception():
                    raise task.exception()
            if others[1].done() and not stopping.is_set():
                raise ConnectionError(
                    'closed by the CSMS (%s)' % cp.ws.close_code)
        finally:
            for task in [*sessions, *others]:
                task.cancel()
            await asyncio.gather(*sessions, *others, return_exceptions=True)

    async def _sessions(self, cp, connector, rng, stopping):
        "Charge on connector now and then until the quota is used"
        plan = self.plan
        # Connectors start at random points of their first pause, so that
        # a fleet does not charge in lockstep.
        share = rng.random() if plan.jitter else 1
        while not self._done(cp):
            pause = plan.pause_minutes * 60 * self._vary(rng) * share
            share = 1
            if await sleep_unless(stopping, pause / cp.speed):
                return
            # Not while rebooting, nor where the CSMS started a session or
            # made the connector unavailable: try again a second later.
            if not cp.connected or cp.free_connector(connector) is None:
                if await sleep_unless(stopping, 1):
                    return
                continue
            if self._left[cp.identity] is not None:
                self._left[cp.identity] -= 1
            try:
                await self._session(cp, connector, rng)
            except CONNECTION_ERRORS as error:
                self.stats.failures += 1
                logger.warning('%s/%s: session failed: %s', cp.identity,
                    connector, str(error) or type(error).__name__)

    async def _session(self, cp, connector, rng):
        plan = self.plan
        minutes = plan.minutes * self._vary(rng)
        tag = rng.choice(plan.id_tags)
        reason = 'local'
        if plan.jitter and rng.random() < 0.3:
            reason = 'ev_disconnected'
        # A vehicle draws at most what the charger gives.
        power_w = round(plan.power_w * rng.uniform(1 - plan.jitter, 1))
        tx = await cp.run_session(connector, tag, minutes, power_w,
            plan.interval_s, soc=rng.randint(10, 60), reason=reason)
        if tx is None:
            self.stats.refused += 1
            logger.info('%s/%s: %s not authorized', cp.identity, connector,
                tag)
            return
        energy = tx.meter - tx.meter_start
        self.stats.sessions += 1
        self.stats.energy_wh += energy
        logger.info('%s/%s: session %s of %s: %d Wh in %.0f min, %s',
            cp.identity, connector, tx.id, tag, energy, tx.charged_s / 60,
            tx.reason or reason)

    def _vary(self, rng):
        return rng.uniform(1 - self.plan.jitter, 1 + self.plan.jitter)
