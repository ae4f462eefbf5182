"""OCTT 1.6 transaction and authorization cases beyond the basic session (octt_core): the EV
side disconnected under both StopTransactionOnEVSideDisconnect settings, a start with a cached
id, a refused local start, a cable lock failure, and an offline start of an invalid tag that
goes on (StopTransactionOnInvalidId=false).

The charge point's configuration keys are its own: the check plays a charge point configured
as the case says, and holds the backend's answers to what such a charge point sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, utc_text
from simulator.check.station import ScriptedChargePoint

CORE = Profile.CORE


async def _accepted(ctx: CheckContext, station: ScriptedChargePoint, tag: str) -> None:
    status = await ctx.authorize(station, tag)
    ctx.expect(status == "Accepted", f"Authorize idTagInfo Accepted for {tag!r}", status)


async def _started(ctx: CheckContext, station: ScriptedChargePoint, tag: str) -> int:
    """StartTransaction on connector 1 and Charging; the transaction id (> 0, Accepted)."""
    transaction_id, info = await ctx.start_transaction(station, tag)
    ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
    ctx.expect(
        info.get("status") == "Accepted",
        f"StartTransaction idTagInfo Accepted for {tag!r}",
        f"idTagInfo {info}",
    )
    await ctx.status(station, 1, "Charging")
    return transaction_id


async def _meter(ctx: CheckContext, station: ScriptedChargePoint, transaction_id: int) -> None:
    await ctx.result(
        station,
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [ctx.meter_value(ctx.next_meter_wh(300))],
        },
    )


async def _faulted(
    ctx: CheckContext, station: ScriptedChargePoint, error_code: str, info: str
) -> None:
    await ctx.result(
        station,
        "StatusNotification",
        {
            "connectorId": 1,
            "errorCode": error_code,
            "info": info,
            "status": "Faulted",
            "timestamp": ctx.now(),
        },
    )


@check(
    "TC_005_2_CS",
    "EV side disconnected, StopTransactionOnEVSideDisconnect=true, the cable kept locked",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction (reason EVDisconnected, idTag optional), §9.1 "
    "StopTransactionOnEVSideDisconnect, UnlockConnectorOnEVSideDisconnect",
    sends="a session to Charging; the EV unplugged: StopTransaction reason EVDisconnected "
    "without idTag, Finishing (the cable stays locked); Authorize of the tag to unlock it; "
    "Available",
    expects="the stop answered; Authorize Accepted after the stop; every status answered",
)
async def ev_disconnected_stops(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        await _accepted(ctx, station, tag)
        transaction_id = await _started(ctx, station, tag)
        await _meter(ctx, station, transaction_id)
        await ctx.stop_transaction(station, transaction_id, reason="EVDisconnected")
        await ctx.status(station, 1, "Finishing")
        await _accepted(ctx, station, tag)
        await ctx.status(station, 1, "Available")


@check(
    "TC_005_3_CS",
    "EV side disconnected, StopTransactionOnEVSideDisconnect=false: the transaction goes on",
    profile=CORE,
    clause="OCPP 1.6 §9.1 StopTransactionOnEVSideDisconnect (false: the transaction is not "
    "stopped, energy resumes when the EV is back), §4.9 StatusNotification (SuspendedEV)",
    sends="a session to Charging; the EV unplugged: SuspendedEV, MeterValues; the EV back: "
    "Charging, MeterValues; StopTransaction reason Local with the idTag, Finishing, Available",
    expects="every status and meter value answered; the stop's idTagInfo, if any, Accepted",
)
async def ev_disconnected_goes_on(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        await _accepted(ctx, station, tag)
        transaction_id = await _started(ctx, station, tag)
        await ctx.status(station, 1, "SuspendedEV")
        await _meter(ctx, station, transaction_id)
        await ctx.status(station, 1, "Charging")
        await _meter(ctx, station, transaction_id)
        reply = await ctx.stop_transaction(station, transaction_id, reason="Local", id_tag=tag)
        info = reply.get("idTagInfo")
        ctx.expect(
            info is None or info.get("status") == "Accepted",
            "StopTransaction.conf idTagInfo (if any) Accepted",
            f"idTagInfo {info!r}",
        )
        await ctx.status(station, 1, "Finishing")
        await ctx.status(station, 1, "Available")


@check(
    "TC_007_1_CS",
    "Start with a cached id: StartTransaction without an Authorize is Accepted",
    profile=CORE,
    clause="OCPP 1.6 §3.5.1 Authorization Cache (a cached id starts at once), §4.8 "
    "StartTransaction (the Central System checks the idTag)",
    sends="on a new connection: Preparing, StartTransaction with the Accepted tag (no "
    "Authorize: the tag is in the charge point's cache), Charging, StopTransaction, Available",
    expects="transactionId > 0 with idTagInfo Accepted; the stop answered",
)
async def cached_id_start(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        transaction_id = await _started(ctx, station, tag)
        await ctx.stop_transaction(station, transaction_id, reason="Local", id_tag=tag)
        await ctx.status(station, 1, "Finishing")
        await ctx.status(station, 1, "Available")


@check(
    "TC_023_4_CS",
    "Local start with an invalid tag: refused, and no transaction is held for it",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize (Invalid: the charge point does not start), §4.8 "
    "StartTransaction",
    sends="Preparing, Authorize with a tag the backend does not know, Available (no "
    "transaction); then on the same connector a session of the Accepted tag",
    expects="Authorize idTagInfo Invalid; the later StartTransaction on that connector "
    "Accepted with a transactionId > 0 (nothing held for the refused attempt)",
)
async def local_start_invalid(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    unknown = ctx.unknown_tag()
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        status = await ctx.authorize(station, unknown)
        ctx.expect(
            status == "Invalid",
            f"Authorize idTagInfo Invalid for the unknown tag {unknown!r}",
            f"idTagInfo status {status}",
        )
        await ctx.status(station, 1, "Available")
        await ctx.status(station, 1, "Preparing")
        await _accepted(ctx, station, tag)
        transaction_id = await _started(ctx, station, tag)
        await ctx.stop_transaction(station, transaction_id, reason="Local")
        await ctx.status(station, 1, "Available")


@check(
    "TC_024_CS",
    "Start with a cable lock failure: Faulted ConnectorLockFailure, no transaction",
    profile=CORE,
    clause="OCPP 1.6 §4.9 StatusNotification (Faulted, ChargePointErrorCode ConnectorLockFailure)",
    sends="Preparing, Authorize (Accepted tag); the cable cannot be locked: "
    "StatusNotification Faulted ConnectorLockFailure, no StartTransaction; Available",
    expects="Authorize Accepted; the Faulted and the Available status answered",
)
async def lock_failure(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        await _accepted(ctx, station, tag)
        await _faulted(ctx, station, "ConnectorLockFailure", "the cable could not be locked")
        await ctx.status(station, 1, "Available")


@check(
    "TC_037_2_CS",
    "Offline start of an invalid tag, StopTransactionOnInvalidId=false: the transaction goes on",
    profile=CORE,
    clause="OCPP 1.6 §4.8 StartTransaction (a transactionId for every start), §9.1 "
    "StopTransactionOnInvalidId (false: energy suspended, the transaction kept), §4.7",
    sends="StartTransaction with an unknown tag timestamped 2 hours ago; SuspendedEVSE; "
    "MeterValues of the transaction; StopTransaction reason EVDisconnected; Available",
    expects="transactionId > 0 with idTagInfo Invalid; the meter values and the stop answered",
)
async def offline_start_invalid_goes_on(ctx: CheckContext) -> None:
    started = datetime.now(UTC) - timedelta(hours=2)
    async with ctx.booted() as station:
        start_wh = ctx.next_meter_wh()
        transaction_id, info = await ctx.start_transaction(
            station, ctx.unknown_tag(), timestamp=utc_text(started), meter_start_wh=start_wh
        )
        ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
        ctx.expect(info.get("status") == "Invalid", "idTagInfo Invalid", str(info))
        await ctx.status(station, 1, "SuspendedEVSE")
        await ctx.result(
            station,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [ctx.meter_value(start_wh + 400, at=started + timedelta(minutes=30))],
            },
        )
        await ctx.stop_transaction(
            station,
            transaction_id,
            reason="EVDisconnected",
            meter_stop_wh=start_wh + 400,
            timestamp=utc_text(started + timedelta(hours=1)),
        )
        await ctx.status(station, 1, "Available")
