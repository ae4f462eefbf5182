"""OCTT 1.6 boot cases beyond the cold boot: a boot answered Pending, then Accepted.

Which charge point a backend keeps Pending is its operator's choice, so the run is told one
(`--pending-id`, `Target.pending_charge_point_id`); without it the case is not applicable.
"""

from __future__ import annotations

import asyncio
from typing import Any

from simulator.check.catalogue import Profile, check
from simulator.check.checks.boot_reply import expect_boot_reply
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint
from simulator.check.verdicts import NotApplicable

CORE = Profile.CORE


async def _boot(ctx: CheckContext, station: ScriptedChargePoint, wanted: str) -> dict[str, Any]:
    reply = await ctx.result(
        station,
        "BootNotification",
        {
            "chargePointVendor": "chargenet",
            "chargePointModel": "check",
            "chargePointSerialNumber": station.charge_point_id[:25],
            "firmwareVersion": "check-1",
        },
    )
    expect_boot_reply(
        ctx,
        station,
        reply,
        wanted,
        response="BootNotification.conf",
        interval_means="§4.2: Pending, when to boot again; Accepted, the heartbeat interval",
    )
    return reply


@check(
    "TC_002_CS",
    "Cold boot answered Pending, then Accepted on a later boot",
    profile=CORE,
    clause="OCPP 1.6 §4.2 BootNotification (RegistrationStatus Pending: interval is when to "
    "boot again), §4.9 StatusNotification",
    sends="as the --pending-id charge point: BootNotification; after the interval (at most "
    "--timeout) BootNotification again; StatusNotification Available for each connector",
    expects="the first boot Pending and the later one Accepted, each with currentTime and "
    "interval > 0; every status answered (not applicable without --pending-id)",
)
async def boot_pending(ctx: CheckContext) -> None:
    pending_id = ctx.target.pending_charge_point_id
    if pending_id is None:
        raise NotApplicable(
            "no charge point id the backend answers Pending for: give --pending-id CP_ID "
            "(the built-in central system keeps the ids of its --pending-ids FILE Pending)"
        )
    async with ctx.open_or_fail(charge_point_id=pending_id) as station:
        pending = await _boot(ctx, station, "Pending")
        wait_s = min(float(pending["interval"]), ctx.timeout_s)
        ctx.note(f"Pending: booting again in {wait_s:g} s (the interval, at most the timeout)")
        await asyncio.sleep(wait_s)  # §4.2: the charge point waits the interval
        await _boot(ctx, station, "Accepted")
        for connector in range(ctx.target.connectors + 1):
            await ctx.status(station, connector, "Available")
