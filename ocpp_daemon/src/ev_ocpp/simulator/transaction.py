# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""A charging transaction as the simulated charger sees it"""
import asyncio
from dataclasses import dataclass, field


@dataclass(eq=False)
class Transaction:
    "The handle that start() returns and meter() and stop() take"
    connector: int
    id_tag: str
    meter_start: int
    started_at: str
    # 1.6: the transactionId the CSMS gave; 2.0.1: the uuid the charger chose
    id: object = None
    id_tag_status: str = 'accepted'
    remote_start_id: int = None
    reservation_id: int = None
    meter: int = None
    # Why the charger was asked to stop (remote, unlock_command, ...).
    reason: str = None
    # Simulated seconds of charging so far.
    charged_s: float = 0
    # 2.0.1 seqNo counts every TransactionEvent of the transaction from 0.
    seq_no: int = 0
    _stopping: asyncio.Event = field(
        default_factory=asyncio.Event, repr=False)

    def __post_init__(self):
        if self.meter is None:
            self.meter = self.meter_start

    def next_seq_no(self):
        "Return the seqNo of the next TransactionEvent"
        seq_no, self.seq_no = self.seq_no, self.seq_no + 1
        return seq_no

    def request_stop(self, reason):
        "Ask the session that drives the transaction to stop"
        if self.reason is None:
            self.reason = reason
        self._stopping.set()

    async def wait_stop(self, timeout):
        "Wait up to timeout seconds for a stop request; tell if one came"
        if self._stopping.is_set() or timeout <= 0:
            return self._stopping.is_set()
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout)
        except TimeoutError:
            return False
        return True
