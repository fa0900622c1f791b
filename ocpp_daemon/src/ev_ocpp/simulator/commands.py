# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""What a simulated charger does when the CSMS asks, in either version"""
import asyncio


class Commands:
    "Mixin of Charger with the work behind the handlers of both versions"

    def find_transaction(self, transaction_id):
        "Return the running transaction with that id, or None"
        for tx in self.transactions.values():
            if str(tx.id) == str(transaction_id):
                return tx

    def free_connector(self, connector=None, id_tag=None):
        "Return the connector a new session may use, or None"
        for n in [connector] if connector else sorted(self.connectors):
            if (n in self.connectors and n not in self._busy
                    and n not in self.transactions and self.operative[n]
                    and self.connectors[n] not in {'faulted', 'unavailable'}
                    and all(c != n or tag == id_tag
                        for c, tag in self.reservations.values())):
                return n

    def remote_start(self, id_tag, connector=None, remote_start_id=None):
        "Accept a remote start and begin its session after the answer"
        connector = self.free_connector(connector, id_tag)
        if connector is None:
            return False
        self._busy.add(connector)
        self.after_answer(self._session, connector, id_tag,
            self.remote_minutes, self.power_w,
            self.settings['sample_interval'],
            authorize=self.settings['authorize_remote'],
            remote_start_id=remote_start_id)
        return True

    def remote_stop(self, transaction_id, reason='remote'):
        "Accept a remote stop and stop the transaction after the answer"
        tx = self.find_transaction(transaction_id)
        if tx is None:
            return False
        self.after_answer(self.end, tx, reason)
        return True

    async def end(self, tx, reason):
        "Stop a transaction and free its connector, as a driver leaving"
        if tx.connector in self._busy:
            # A session drives it and stops it at its next step.
            tx.request_stop(reason)
            return
        await self.stop(tx, tx.meter, reason)
        await self.session_status(tx.connector, 'finishing', tx)
        await self.session_status(
            tx.connector, self.idle_status(tx.connector))

    def take_reservation(self, connector, id_tag):
        "Return and drop the reservation that id_tag uses on connector"
        for reservation_id, (c, tag) in list(self.reservations.items()):
            if tag == id_tag and c in {None, connector}:
                del self.reservations[reservation_id]
                return reservation_id

    def reserve(self, reservation_id, connector, id_tag):
        "Hold connector (None: any) for id_tag; return the neutral answer"
        if connector is not None:
            if connector not in self.connectors:
                return 'rejected'
            if self.connectors[connector] == 'faulted':
                return 'faulted'
            if (not self.operative[connector]
                    or self.connectors[connector] == 'unavailable'):
                return 'unavailable'
            if (connector in self._busy or connector in self.transactions
                    or any(c == connector and r != reservation_id
                        for r, (c, _) in self.reservations.items())):
                return 'occupied'
            self.after_answer(self.status, connector, 'reserved')
        self.reservations[reservation_id] = (connector, id_tag)
        return 'accepted'

    def cancel_reservation(self, reservation_id):
        "Drop a reservation; tell whether it existed"
        if reservation_id not in self.reservations:
            return False
        connector, _ = self.reservations.pop(reservation_id)
        if connector is not None:
            self.after_answer(
                self.status, connector, self.idle_status(connector))
        return True

    def change_availability(self, connector, operative):
        "Make connector (0 or None: all) (in)operative; return the answer"
        if connector and connector not in self.connectors:
            return 'rejected'
        scheduled = False
        for n in [connector] if connector else sorted(self.connectors):
            self.operative[n] = operative
            if n in self._busy or n in self.transactions:
                # It takes effect when the session ends (1.6 §5.2, G03).
                scheduled = True
            elif self.connectors[n] != self.idle_status(n):
                self.after_answer(self.status, n, self.idle_status(n))
        return 'scheduled' if scheduled else 'accepted'

    def unlock(self, connector, stop=True):
        "Unlock connector; stop its transaction first if stop is set"
        if connector not in self.connectors:
            return 'unknown'
        tx = self.transactions.get(connector)
        if tx is not None:
            if not stop:
                return 'ongoing'
            self.after_answer(self.end, tx, 'unlock_command')
        return 'unlocked'

    def reset(self, hard, wait_idle=False):
        "Reboot after the answer; return the neutral answer"
        self.after_answer(self._reboot, hard, wait_idle)
        if wait_idle and (self._busy or self.transactions):
            return 'scheduled'
        return 'accepted'

    async def _reboot(self, hard, wait_idle):
        reason = None if wait_idle else 'hard_reset' if hard else 'soft_reset'
        while self._busy or self.transactions:
            # Also the transactions of sessions still starting meanwhile.
            for tx in list(self.transactions.values()):
                if reason and tx.reason is None:
                    await self.end(tx, reason)
            await asyncio.sleep(0.05)
        if not self.reboot_on_reset:
            return
        self._rebooting = True
        try:
            await self._disconnect()
            await self.pause(5)
            await self.connect()
            await self.reboot_boot()
            for n in sorted(self.connectors):
                await self.status(n, self.idle_status(n))
        finally:
            self._rebooting = False

    async def reboot_boot(self):
        "Send the BootNotification that follows a reset"
        return await self.boot()

    def update_local_list(self, version, full, entries):
        "Apply a SendLocalList; return the neutral answer"
        if not full and version <= self.local_list_version:
            return 'version_mismatch'
        if full:
            self.local_list = {}
        for id_tag, info in entries:
            if info:
                self.local_list[id_tag] = info
            else:
                self.local_list.pop(id_tag, None)
        self.local_list_version = version
        return 'accepted'

    def clear_profiles(self, profile_id=None, connector=None, purpose=None,
            stack_level=None):
        "Drop the matching charging profiles; tell whether any matched"
        matched = [key for key, (c, profile) in self.profiles.items()
            if (profile_id is None or key == profile_id)
            and (connector is None or c == connector)
            and (purpose is None
                or profile.get('charging_profile_purpose') == purpose)
            and (stack_level is None
                or profile.get('stack_level') == stack_level)]
        for key in matched:
            del self.profiles[key]
        return bool(matched)

    async def update_firmware(self, request_id=None):
        "Go through the firmware statuses as if downloading and installing"
        for state in ['downloading', 'downloaded', 'installing', 'installed']:
            await self.pause(5)
            self.firmware_state = state
            await self.firmware_status(state, request_id)

    async def upload(self, request_id=None):
        "Go through the upload statuses as if sending a diagnostics file"
        for state in ['uploading', 'uploaded']:
            await self.pause(5)
            self.upload_state = state
            await self.upload_status(state, request_id)
