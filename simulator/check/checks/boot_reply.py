"""What every version's boot cases ask of a BootNotification reply: the status wanted, a
currentTime with a UTC offset and an interval > 0."""

from __future__ import annotations

from typing import Any

from simulator.check.context import CheckContext, parse_time
from simulator.check.station import ScriptedChargePoint

__all__ = ["expect_boot_reply"]


def expect_boot_reply(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    reply: dict[str, Any],
    wanted: str,
    *,
    response: str,
    interval_means: str,
) -> None:
    """`response` names the reply in the version's words; `interval_means` says, with its
    clause, what the interval is for."""
    ctx.expect(
        reply.get("status") == wanted,
        f"{response} status {wanted} for {station.charge_point_id!r}",
        f"status {reply.get('status')!r}",
    )
    ctx.expect(
        parse_time(reply.get("currentTime")) is not None,
        "currentTime: an ISO 8601 date-time with a UTC offset",
        repr(reply.get("currentTime")),
    )
    interval = reply.get("interval")
    ctx.expect(
        isinstance(interval, int) and interval > 0,
        f"interval > 0 with {wanted} ({interval_means})",
        f"interval {interval!r}",
    )
