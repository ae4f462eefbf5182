"""OCTT 1.6 remote control cases: the central system starts and stops transactions and unlocks
connectors (RemoteStartTransaction, RemoteStopTransaction, UnlockConnector).

Each makes the backend send its CALL through the run's trigger (`CheckContext.backend_sends`);
without one they report "not run" with the reason.
"""

from __future__ import annotations

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext

CORE = Profile.CORE


async def _backend_call(
    ctx: CheckContext, action: str, payload: dict[str, object], *, reboot: bool = False
) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(station, action, payload)
        if reboot:
            await ctx.boot(station)


@check(
    "TC_010_CS",
    "Remote start, cable plugged in first",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction",
    sends="Preparing; answers RemoteStartTransaction Accepted",
    expects="RemoteStartTransaction for connector 1 with an idTag",
    backend_initiated=True,
)
async def remote_start_plugged_in(ctx: CheckContext) -> None:
    await _backend_call(
        ctx, "RemoteStartTransaction", {"connectorId": 1, "idTag": ctx.tag("Accepted")}
    )


@check(
    "TC_012_CS",
    "Remote stop of a running transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.12 RemoteStopTransaction",
    sends="a transaction; answers RemoteStopTransaction Accepted",
    expects="RemoteStopTransaction naming the running transaction",
    backend_initiated=True,
)
async def remote_stop(ctx: CheckContext) -> None:
    await _backend_call(ctx, "RemoteStopTransaction", {"transactionId": 1})


@check(
    "TC_017_1_CS",
    "Unlock a connector without a session",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector",
    sends="answers UnlockConnector Unlocked",
    expects="UnlockConnector for connector 1",
    backend_initiated=True,
)
async def unlock_connector(ctx: CheckContext) -> None:
    await _backend_call(ctx, "UnlockConnector", {"connectorId": 1})
