"""OCTT 1.6 RemoteTrigger cases: the central system asks for a message (TriggerMessage)."""

from __future__ import annotations

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext


async def _backend_call(
    ctx: CheckContext, action: str, payload: dict[str, object], *, reboot: bool = False
) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(station, action, payload)
        if reboot:
            await ctx.boot(station)


@check(
    "TC_054_CS",
    "Trigger a message",
    profile=Profile.REMOTE_TRIGGER,
    clause="OCPP 1.6 §5.17 TriggerMessage",
    sends="answers TriggerMessage Accepted, then sends the requested message",
    expects="TriggerMessage requestedMessage Heartbeat",
    backend_initiated=True,
)
async def trigger_message(ctx: CheckContext) -> None:
    await _backend_call(ctx, "TriggerMessage", {"requestedMessage": "Heartbeat"})
