"""OCTT 1.6 RemoteTrigger cases: the central system asks for a message (TriggerMessage).

The backend is made to send TriggerMessage through the run's trigger. When the charge point
accepts, it sends the requested message (§5.17: for a connector if one was named, else for
all) and the backend must answer it as it answers that message unasked; when the charge point
refuses (Rejected, NotImplemented), the backend must take it and keep the connection.
"""

from __future__ import annotations

from typing import Any, Final

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, parse_time
from simulator.check.station import ScriptedChargePoint

REMOTE_TRIGGER = Profile.REMOTE_TRIGGER
#: What TC_054_CS asks for, in order: (requestedMessage, connectorId or None for all).
REQUESTS: Final = (
    ("BootNotification", None),
    ("Heartbeat", None),
    ("StatusNotification", 1),
    ("StatusNotification", None),
    ("MeterValues", 1),
    ("MeterValues", None),
)


async def _trigger(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    requested: str,
    connector: int | None,
    *,
    status: str = "Accepted",
) -> None:
    payload: dict[str, Any] = {"requestedMessage": requested}
    if connector is not None:
        payload["connectorId"] = connector
    await ctx.backend_sends(station, "TriggerMessage", payload, reply={"status": status})


async def _send_requested(
    ctx: CheckContext, station: ScriptedChargePoint, requested: str, connector: int | None
) -> None:
    """The message the charge point was asked for, each answered as the spec asks."""
    if requested == "BootNotification":
        await ctx.boot(station)
    elif requested == "Heartbeat":
        reply = await ctx.result(station, "Heartbeat", {})
        ctx.expect(
            parse_time(reply.get("currentTime")) is not None,
            "Heartbeat.conf currentTime with a UTC offset",
            repr(reply.get("currentTime")),
        )
    elif requested == "StatusNotification":
        every = range(ctx.target.connectors + 1)
        for number in every if connector is None else (connector,):
            await ctx.status(station, number, "Available")
    else:  # MeterValues: sampled for the trigger (ReadingContext Trigger)
        every = range(1, ctx.target.connectors + 1)
        for number in every if connector is None else (connector,):
            value = ctx.meter_value(ctx.next_meter_wh(0), context="Trigger")
            await ctx.result(station, "MeterValues", {"connectorId": number, "meterValue": [value]})


@check(
    "TC_054_CS",
    "Trigger a message",
    profile=REMOTE_TRIGGER,
    clause="OCPP 1.6 §5.17 TriggerMessage, §4.2 BootNotification, §4.6 Heartbeat, "
    "§4.9 StatusNotification, §4.7 MeterValues",
    sends="answers TriggerMessage Accepted for BootNotification, Heartbeat, StatusNotification "
    "and MeterValues (connector 1, then all), sending each requested message after it",
    expects="TriggerMessage with each requestedMessage and connectorId; every triggered "
    "message answered (the boot Accepted, MeterValues of context Trigger taken)",
    backend_initiated=True,
)
async def trigger_message(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for requested, connector in REQUESTS:
            await _trigger(ctx, station, requested, connector)
            await _send_requested(ctx, station, requested, connector)


@check(
    "TC_055_CS",
    "Trigger a message: rejected",
    profile=REMOTE_TRIGGER,
    clause="OCPP 1.6 §5.17 TriggerMessage (TriggerMessageStatus Rejected, NotImplemented)",
    sends="answers TriggerMessage MeterValues connector 1 Rejected, TriggerMessage "
    "DiagnosticsStatusNotification NotImplemented; a Heartbeat after each",
    expects="both TriggerMessages; each refusal taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def trigger_message_rejected(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await _trigger(ctx, station, "MeterValues", 1, status="Rejected")
        await station.still_open()
        await _trigger(ctx, station, "DiagnosticsStatusNotification", None, status="NotImplemented")
        await station.still_open()
