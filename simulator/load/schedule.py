"""`Schedule`: one charge point's CALLs in the order of their intended send times (sans-I/O).

This is the open-loop half of honest latency: the time a CALL is *meant* to go out follows
from the plan alone (a fixed grid from the boot, or from the cycle's start), never from when
the previous reply came back. A CALL that has to wait (the connection's one outstanding CALL
is not answered yet, the loop is late) keeps its intended time, and its latency counts from
there, so a backend that stalls cannot hide behind the requests it kept from being sent.

Only a CALL that needs an earlier answer is placed by that answer: the statuses by the boot's,
StartTransaction by the Authorize's (intended at the later of its planned time and that
answer), MeterValues and StopTransaction by StartTransaction's transactionId.

The steps are named by their 1.6 actions; `Schedule201` (schedule201.py) is the same plan
with 2.0.1's payloads, and `Dialect` (dialect.py) maps the steps to each version's actions.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Final

from simulator.load import plan as messages
from simulator.load.plan import CHARGING_POWER_W, MessagePlan, phase

__all__ = ["BOOT_ERROR_RETRY_S", "BOOT_RETRY_MIN_S", "STEPS", "Due", "Schedule"]

BOOT_RETRY_MIN_S: Final = 1.0
BOOT_ERROR_RETRY_S: Final = 5.0

BOOT: Final = "BootNotification"
STATUS: Final = "StatusNotification"
HEARTBEAT: Final = "Heartbeat"
AUTHORIZE: Final = "Authorize"
START: Final = "StartTransaction"
METER: Final = "MeterValues"
STOP: Final = "StopTransaction"
STEPS: Final = (BOOT, STATUS, HEARTBEAT, AUTHORIZE, START, METER, STOP)
"""The plan's steps, named by their 1.6 actions (a `Dialect` maps them to its own)."""


@dataclass(frozen=True, slots=True, order=True)
class Due:
    """A CALL the plan wants sent at `at_s` (the driver's clock, seconds)."""

    at_s: float
    seq: int
    action: str
    """The plan's step, named by its 1.6 action (`Dialect.actions` gives the wire's)."""
    cycle_s: float = 0.0
    """The start of the transaction cycle it belongs to (transaction messages only)."""
    connector_id: int = 0


class Schedule:
    """The CALLs of one charge point's connection, from its boot on."""

    __slots__ = (
        "_active",
        "_charge_point_id",
        "_heap",
        "_index",
        "_meter_wh",
        "_plan",
        "_seq",
        "_transaction_id",
    )

    def __init__(
        self, plan: MessagePlan, charge_point_id: str, index: int, active: bool, opened_s: float
    ) -> None:
        self._plan = plan
        self._charge_point_id = charge_point_id
        self._index = index
        self._active = active
        self._heap: list[tuple[float, int, Due]] = []  # tuples: C comparisons, not Due's
        self._seq = 0
        self._meter_wh = 0
        self._transaction_id: int | None = None
        self._push(opened_s, BOOT)

    def _push(self, at_s: float, action: str, cycle_s: float = 0.0, connector_id: int = 0) -> None:
        self._seq += 1
        seq = self._seq
        heapq.heappush(self._heap, (at_s, seq, Due(at_s, seq, action, cycle_s, connector_id)))

    def next_at_s(self) -> float | None:
        """When the next CALL is due (None: nothing planned)."""
        return self._heap[0][0] if self._heap else None

    def pop(self) -> Due:
        """Take the next CALL; the grid CALLs (heartbeats, meter values, cycles) plan their
        successor now, from the intended time, whatever happens to this one."""
        due = heapq.heappop(self._heap)[2]
        plan = self._plan
        if due.action == HEARTBEAT:
            self._push(due.at_s + plan.heartbeat_interval_s, HEARTBEAT)
        elif due.action == AUTHORIZE:
            next_cycle_s = due.cycle_s + plan.transaction_s + plan.idle_between_s
            self._push(next_cycle_s, AUTHORIZE, next_cycle_s)
        elif due.action == METER:
            next_s = due.at_s + plan.meter_interval_s
            if next_s < due.cycle_s + plan.transaction_s:
                self._push(next_s, METER, due.cycle_s)
        return due

    def payload(self, due: Due, timestamp: str) -> dict[str, Any]:
        """The wire payload of `due`, sent now (`timestamp`: the wall clock, ISO 8601)."""
        action = due.action
        if action == HEARTBEAT:
            return {}
        if action == METER:
            assert self._transaction_id is not None
            return messages.meter_values(self._transaction_id, self._register_wh(due), timestamp)
        if action == STATUS:
            return messages.status(due.connector_id, timestamp)
        if action == AUTHORIZE:
            return messages.authorize()
        if action == START:
            return messages.start_transaction(self._meter_wh, timestamp)
        if action == STOP:
            assert self._transaction_id is not None
            return messages.stop_transaction(
                self._transaction_id, self._register_wh(due), timestamp
            )
        if action == BOOT:
            return messages.boot(self._charge_point_id)
        raise ValueError(f"no payload for {action}")

    def _register_wh(self, due: Due) -> int:
        elapsed_s = max(0.0, due.at_s - due.cycle_s)
        return self._meter_wh + int(CHARGING_POWER_W * elapsed_s / 3600.0)

    def answered(self, due: Due, at_s: float, reply: dict[str, Any]) -> None:
        """`due` got its CALLRESULT (`reply`, already validated) at `at_s`."""
        action = due.action
        if action == BOOT:
            if reply.get("status") == "Accepted":
                self._booted(at_s)
            else:
                interval_s = float(reply.get("interval", 0))
                self._push(at_s + max(BOOT_RETRY_MIN_S, interval_s), BOOT)
        elif action == AUTHORIZE:
            self._push(max(due.cycle_s, at_s), START, due.cycle_s)
        elif action == START:
            self._started(reply)
            cycle_s = due.cycle_s
            first_meter_s = cycle_s + self._plan.meter_interval_s
            stop_s = cycle_s + self._plan.transaction_s
            if first_meter_s < stop_s:
                self._push(max(first_meter_s, at_s), METER, cycle_s)
            self._push(max(stop_s, at_s), STOP, cycle_s)
        elif action == STOP:
            self._meter_wh = self._register_wh(due)
            self._transaction_id = None

    def _started(self, reply: dict[str, Any]) -> None:
        """The transaction's id, once its start is answered (1.6: the central system's)."""
        self._transaction_id = int(reply["transactionId"])

    def failed(self, due: Due, at_s: float, *, timed_out: bool = False) -> None:
        """`due` got a CALLERROR (or an invalid reply), or no answer in time (`timed_out`),
        at `at_s`."""
        action = due.action
        if action == BOOT:
            # After a timeout the wait is over already; a refusal is not repeated at once.
            self._push(at_s if timed_out else at_s + BOOT_ERROR_RETRY_S, BOOT)
        elif action == AUTHORIZE:
            self._push(max(due.cycle_s, at_s), START, due.cycle_s)  # a load goes on regardless
        elif action == STOP:
            self._meter_wh = self._register_wh(due)
            self._transaction_id = None
        # A failed StartTransaction: no transaction this cycle; the next cycle is planned.

    def _booted(self, at_s: float) -> None:
        plan = self._plan
        for connector_id in range(1, plan.connectors + 1):
            self._push(at_s, STATUS, connector_id=connector_id)
        self._push(at_s + plan.heartbeat_interval_s * phase(self._index), HEARTBEAT)
        if self._active:
            cycle_s = at_s + plan.idle_between_s * phase(self._index + 1)
            self._push(cycle_s, AUTHORIZE, cycle_s)
