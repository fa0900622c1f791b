# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""Remote commands: from ev.station.command in Tryton to the charger

Tryton keeps which daemon holds which charger; each daemon asks for the
pending commands of its own chargers, sends them and writes the answer back.
"""
import asyncio
import logging

from .backend.client import BackendError, BackendUnavailable

logger = logging.getLogger(__name__)


class CommandPoller:

    def __init__(self, app):
        self.app = app
        self.config = app.config
        self.in_flight = set()

    async def run(self):
        delay = self.config.command_poll_interval
        while True:
            try:
                commands = await self.app.backend.call(
                    'pending_commands', self.config.daemon, 50)
            except BackendError as exception:
                logger.debug('cannot poll commands: %s', exception)
                delay = min(delay * 2, 10)
            else:
                delay = self.config.command_poll_interval
                for command in commands:
                    if command['id'] not in self.in_flight:
                        self.in_flight.add(command['id'])
                        self.app.spawn(self.execute(command))
            await asyncio.sleep(delay)

    async def execute(self, command):
        extra = {'cp_id': command['identity'], 'command': command['id'],
            'action': command['action']}
        try:
            session = self.app.registry.get(command['identity'])
            if session is None:
                await self.result(command, 'not_connected')
                return
            await self.result(command, 'sent')
            state, response, error = await session.execute(command)
            logger.info('command %s', state, extra=dict(extra, outcome=state))
            await self.result(command, state, response, error)
        except Exception:
            logger.exception('command failed', extra=extra)
        finally:
            self.in_flight.discard(command['id'])

    async def result(self, command, state, response=None, error=None):
        args = (command['id'], state, response, error, self.config.daemon)
        try:
            await self.app.backend.call('command_result', *args)
        except BackendUnavailable:
            # The answer is idempotent in Tryton: deliver it later.
            self.app.outbox.put('command_result', args)
