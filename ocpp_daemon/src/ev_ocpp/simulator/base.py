# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A simulated charge point, whatever its OCPP version"""
import asyncio
from datetime import datetime, timezone

from .commands import Commands
from .connection import Connection

BATTERY_WH = 60_000

DEFAULT_SETTINGS = {
    'heartbeat_interval': 300,
    'sample_interval': 60,
    'authorize_remote': False,
    'local_list_enabled': True,
    'stop_on_invalid_id': True,
    'measurands': 'Energy.Active.Import.Register,Power.Active.Import,SoC',
    }


def utcnow():
    "Return the current time in UTC"
    return datetime.now(timezone.utc)


class Charger(Commands, Connection):
    "A charge point that talks OCPP to a CSMS over one websocket"
    version = None

    def __init__(self, url, identity, password=None, *, ssl=None,
            connectors=1, behaviour=None, settings=None, speed=1.0,
            vendor='EVSim', model='SimCharger', serial_number=None,
            firmware_version='1.0.0', power_w=11_000, register_wh=0,
            remote_minutes=None, response_timeout=30, clock=utcnow,
            subprotocols=None, reboot_on_reset=True):
        super().__init__(url, identity, password, ssl=ssl,
            behaviour=behaviour, response_timeout=response_timeout,
            subprotocols=subprotocols)
        self.settings = dict(DEFAULT_SETTINGS, **(settings or {}))
        # Simulated seconds per real second, for sessions and slow work
        # (firmware, uploads, reboots); heartbeats and delays stay real.
        self.speed = speed
        self.vendor = vendor
        self.model = model
        self.serial_number = serial_number or identity
        self.firmware_version = firmware_version
        # The power and length (None: until stopped) of the sessions that
        # the CSMS starts.
        self.power_w = power_w
        self.remote_minutes = remote_minutes
        self.clock = clock
        self.reboot_on_reset = reboot_on_reset
        numbers = range(1, connectors + 1)
        self.connectors = {n: 'available' for n in numbers}
        self.operative = {n: True for n in numbers}
        self.registers = {n: register_wh for n in numbers}
        self.transactions = {}
        self.reservations = {}
        self.local_list = {}
        self.local_list_version = 0
        self.profiles = {}
        self.registration = None
        self.firmware_state = 'idle'
        self.upload_state = 'idle'
        self._busy = set()

    # Clock

    def now(self):
        "Return the charger's clock as an OCPP timestamp"
        return self.clock().astimezone(timezone.utc).isoformat(
            timespec='milliseconds').replace('+00:00', 'Z')

    async def pause(self, seconds):
        "Let seconds of simulated time pass"
        await asyncio.sleep(seconds / self.speed)

    # Messages to the CSMS, one version each

    async def boot(self):
        "Send BootNotification; return the status and the interval"
        raise NotImplementedError

    async def heartbeat(self):
        "Send Heartbeat; return the CSMS's current time"
        raise NotImplementedError

    async def status(self, connector, status, error_code=None, info=None):
        "Send StatusNotification for a neutral connector status"
        raise NotImplementedError

    async def authorize(self, id_tag):
        "Send Authorize; return the neutral status of the tag"
        raise NotImplementedError

    async def start(self, connector, id_tag, meter_start, *,
            remote_start_id=None):
        "Start a transaction; return its handle"
        raise NotImplementedError

    async def meter(self, tx, energy_wh, power_w=None, soc=None):
        "Send the meter register of a transaction"
        raise NotImplementedError

    async def stop(self, tx, meter_stop, reason='local'):
        "Stop a transaction for a neutral reason"
        raise NotImplementedError

    async def firmware_status(self, status, request_id=None):
        "Send the neutral firmware status"
        raise NotImplementedError

    async def upload_status(self, status, request_id=None):
        "Send the neutral status of a diagnostics or log upload"
        raise NotImplementedError

    async def session_status(self, connector, status, tx=None):
        "Tell the CSMS that a session moved connector to status"
        await self.status(connector, status)

    def _booted(self, status, interval):
        self.registration = status
        if status == 'accepted' and interval:
            self.settings['heartbeat_interval'] = interval
        return status, interval

    def _opened(self, tx):
        self.transactions[tx.connector] = tx
        self.registers[tx.connector] = tx.meter_start

    def _metered(self, tx, energy_wh):
        tx.meter = energy_wh
        self.registers[tx.connector] = energy_wh

    def _closed(self, tx, meter_stop):
        if self.transactions.get(tx.connector) is tx:
            del self.transactions[tx.connector]
        self._metered(tx, meter_stop)

    # Sessions

    async def run_session(self, connector=1, id_tag='SIMTAG', minutes=30,
            power_w=11_000, interval_s=60, *, soc=None, authorize=True,
            reason='local'):
        "Charge as a driver would; return the transaction or None"
        self._claim(connector)
        return await self._session(connector, id_tag, minutes, power_w,
            interval_s, soc=soc, authorize=authorize, reason=reason)

    async def settle(self, reason='ev_disconnected'):
        "Stop the transactions that a lost connection left open"
        # A charger keeps such a stop and sends it once back online; the
        # vehicle has most likely left meanwhile.
        for tx in list(self.transactions.values()):
            if tx.connector not in self._busy:
                await self.stop(tx, tx.meter, reason)

    async def heartbeats(self):
        "Send Heartbeat at the interval of the CSMS until cancelled"
        while True:
            await asyncio.sleep(max(1, self.settings['heartbeat_interval']))
            # Not while rebooting after a Reset.
            if self.connected:
                await self.heartbeat()

    def _claim(self, connector):
        if connector not in self.connectors:
            raise ValueError('%s has no connector %s' % (
                    self.identity, connector))
        if connector in self._busy or connector in self.transactions:
            raise RuntimeError('%s: connector %s is busy' % (
                    self.identity, connector))
        self._busy.add(connector)

    def idle_status(self, connector):
        "Return the status of connector when no session uses it"
        if not self.operative[connector]:
            return 'unavailable'
        if any(c == connector for c, _ in self.reservations.values()):
            return 'reserved'
        return 'available'

    async def _session(self, connector, id_tag, minutes, power_w, interval_s,
            *, soc=None, authorize=True, remote_start_id=None,
            reason='local'):
        "Run a claimed connector through a session and free it"
        try:
            await self.session_status(connector, 'preparing')
            if authorize and await self.authorize(id_tag) != 'accepted':
                await self.session_status(
                    connector, self.idle_status(connector))
                return None
            tx = await self.start(connector, id_tag,
                self.registers[connector], remote_start_id=remote_start_id)
            if (tx.id_tag_status != 'accepted'
                    and self.settings['stop_on_invalid_id']):
                tx.request_stop('de_authorized')
            else:
                await self.session_status(connector, 'charging', tx)
                await self._charge(tx, minutes, power_w, interval_s, soc)
            await self.stop(tx, tx.meter, tx.reason or reason)
            await self.session_status(connector, 'finishing', tx)
            await self.session_status(connector, self.idle_status(connector))
            return tx
        finally:
            self._busy.discard(connector)

    async def _charge(self, tx, minutes, power_w, interval_s, soc):
        "Deliver power_w, sending meter values, until done or stopped"
        loop = asyncio.get_running_loop()
        began = loop.time()
        duration = float('inf') if minutes is None else minutes * 60
        elapsed, due = 0.0, interval_s
        while True:
            target = min(due, duration)
            if await tx.wait_stop((target - elapsed) / self.speed):
                elapsed = min((loop.time() - began) * self.speed, duration)
                self._deliver(tx, power_w, elapsed)
                return
            # The simulated clock advances by whole steps, so that the
            # readings do not depend on the event loop's timing.
            elapsed = target
            self._deliver(tx, power_w, elapsed)
            if elapsed >= duration:
                return
            await self.meter(tx, tx.meter, power_w, self._soc(tx, soc))
            due += interval_s

    def _deliver(self, tx, power_w, elapsed):
        tx.charged_s = elapsed
        self._metered(tx, max(tx.meter, tx.meter_start
                + round(power_w * elapsed / 3600)))

    def _soc(self, tx, soc):
        if soc is None:
            return None
        return min(100, round(
                soc + (tx.meter - tx.meter_start) * 100 / BATTERY_WH))
