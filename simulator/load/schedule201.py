"""`Schedule201`: the same plan and times as `Schedule`, with OCPP 2.0.1's payloads.

The steps keep their 1.6 names (StartTransaction, MeterValues, StopTransaction are the
TransactionEvent Started, Updated, Ended on the wire: `Dialect.actions`). The station picks
the transactionId when it starts (a tag random per connection and the transaction's number on
it, so ids never repeat on one station, across reconnects and runs alike); seqNo counts the
events of a transaction from 0, one per event sent, answered or not (a lost one leaves the gap
a central system should see).
"""

from __future__ import annotations

import uuid
from typing import Any

from simulator.load import plan201
from simulator.load.plan import MessagePlan
from simulator.load.schedule import (
    AUTHORIZE,
    BOOT,
    HEARTBEAT,
    METER,
    START,
    STATUS,
    STOP,
    Due,
    Schedule,
)

__all__ = ["Schedule201"]


class Schedule201(Schedule):
    """One charging station's CALLs over one connection, in 2.0.1."""

    __slots__ = ("_seq_no", "_tag", "_transaction", "_transactions")

    def __init__(
        self, plan: MessagePlan, charge_point_id: str, index: int, active: bool, opened_s: float
    ) -> None:
        super().__init__(plan, charge_point_id, index, active, opened_s)
        self._tag = uuid.uuid4().hex[:12]
        self._transactions = 0
        self._transaction = ""
        """The id of the transaction of the cycle (its Started sent)."""
        self._seq_no = 0

    def payload(self, due: Due, timestamp: str) -> dict[str, Any]:
        action = due.action
        if action == HEARTBEAT:
            return {}
        if action == METER:
            self._seq_no += 1
            return plan201.updated(
                self._transaction, self._seq_no, self._register_wh(due), timestamp
            )
        if action == STATUS:
            return plan201.status(due.connector_id, timestamp)
        if action == AUTHORIZE:
            return plan201.authorize()
        if action == START:
            self._transactions += 1
            self._transaction = f"{self._tag}-{self._transactions}"
            self._seq_no = 0
            return plan201.started(self._transaction, 0, self._meter_wh, timestamp)
        if action == STOP:
            self._seq_no += 1
            return plan201.ended(self._transaction, self._seq_no, self._register_wh(due), timestamp)
        if action == BOOT:
            return plan201.boot(self._charge_point_id)
        raise ValueError(f"no payload for {action}")

    def _started(self, reply: dict[str, Any]) -> None:
        pass  # the station chose the id when it sent the Started event
