"""OCTT 1.6 remote control cases: the central system starts and stops transactions and unlocks
connectors (RemoteStartTransaction, RemoteStopTransaction, UnlockConnector); and two
robustness checks of ChangeAvailability, which OCTT 1.6 has no central-system case for.

Each makes the backend send its CALL through the run's trigger (`CheckContext.backend_sends`),
answers it as the case's charge point would, then plays what that charge point does next (a
transaction, its stop, status notifications) and holds the backend to its answers. Without a
trigger they report "not run" with the reason.

Our charge point's choices where the spec lets a charge point choose: TC_010_CS and
TC_007_2_CS start without an Authorize (AuthorizeRemoteTxRequests false, resp. the tag in the
authorization cache), TC_011_1_CS and TC_023_5_CS authorize the remote tag first (true).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint, ScriptedReply

CORE = Profile.CORE
#: The connector the cases use (1: every charge point has it).
CONNECTOR = 1


# -- the steps the cases share ---------------------------------------------------------------


async def _remote_start(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    id_tag: str,
    *,
    connector: int = CONNECTOR,
    reply: ScriptedReply | None = None,
) -> None:
    payload = {"connectorId": connector, "idTag": id_tag}
    await ctx.backend_sends(station, "RemoteStartTransaction", payload, reply=reply)


async def _authorized(ctx: CheckContext, station: ScriptedChargePoint, id_tag: str) -> None:
    status = await ctx.authorize(station, id_tag)
    ctx.expect(
        status == "Accepted",
        f"Authorize idTagInfo Accepted for the Accepted tag {id_tag!r}",
        f"idTagInfo status {status}",
    )


async def _started(ctx: CheckContext, station: ScriptedChargePoint, id_tag: str) -> int:
    """StartTransaction on the connector (Accepted, transactionId > 0), then Charging."""
    transaction_id, info = await ctx.start_transaction(station, id_tag, connector=CONNECTOR)
    ctx.expect(
        info.get("status") == "Accepted",
        f"StartTransaction idTagInfo Accepted for the tag {id_tag!r} (§4.8)",
        f"idTagInfo {json.dumps(info)}",
    )
    ctx.expect(transaction_id > 0, "a transactionId > 0", f"transactionId {transaction_id}")
    await ctx.status(station, CONNECTOR, "Charging")
    return transaction_id


async def _running(ctx: CheckContext, station: ScriptedChargePoint) -> int:
    """A local session to Charging: Preparing, Authorize, StartTransaction, Charging."""
    tag = ctx.tag("Accepted")
    await ctx.status(station, CONNECTOR, "Preparing")
    await _authorized(ctx, station, tag)
    return await _started(ctx, station, tag)


async def _metered(ctx: CheckContext, station: ScriptedChargePoint, transaction_id: int) -> None:
    """A MeterValues of the transaction, answered: the backend takes it as still running."""
    await ctx.result(
        station,
        "MeterValues",
        {
            "connectorId": CONNECTOR,
            "transactionId": transaction_id,
            "meterValue": [ctx.meter_value(ctx.next_meter_wh(500))],
        },
    )


async def _ended(
    ctx: CheckContext, station: ScriptedChargePoint, transaction_id: int, reason: str
) -> None:
    """StopTransaction with `reason`, Finishing, Available: each answered."""
    await ctx.stop_transaction(station, transaction_id, reason=reason)
    await ctx.status(station, CONNECTOR, "Finishing")
    await ctx.status(station, CONNECTOR, "Available")


async def _answered_after(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    action: str,
    payload: Mapping[str, Any],
    reply: dict[str, Any],
    first: Callable[[], Awaitable[None]],
) -> None:
    """The backend sends `action`; the charge point does `first`, then answers `reply` (as
    §5.18 asks of an unlock during a transaction: the transaction is finished first). The
    backend must answer what `first` sends while its own CALL is outstanding."""
    station.held.add(action)
    since = station.mark()
    wait_s = ctx.target.trigger_wait_s or ctx.timeout_s
    sending = asyncio.ensure_future(ctx.backend_sends(station, action, payload))
    arriving = asyncio.ensure_future(station.expect_call(action, since=since, timeout_s=wait_s))
    try:
        await asyncio.wait({sending, arriving}, return_when=asyncio.FIRST_COMPLETED)
        if sending.done():
            await sending  # the trigger failed before the CALL came: its verdict
        call = await arriving
        for key, value in payload.items():
            ctx.expect(
                call.payload.get(key) == value,
                f"{action} with {key} = {json.dumps(value)}",
                f"{key} = {json.dumps(call.payload.get(key))}",
            )
        await first()
        station.held.discard(action)
        await station.answer(call, reply)
        await sending
    finally:
        station.held.discard(action)
        for task in (sending, arriving):
            task.cancel()
        await asyncio.gather(sending, arriving, return_exceptions=True)


# -- remote start -----------------------------------------------------------------------------


@check(
    "TC_010_CS",
    "Remote start, cable plugged in first",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction, §4.8 StartTransaction, §4.10 StopTransaction",
    sends="Preparing; answers RemoteStartTransaction Accepted; StartTransaction with its idTag "
    "(no Authorize: AuthorizeRemoteTxRequests false), Charging, StopTransaction, Finishing, "
    "Available",
    expects="RemoteStartTransaction connectorId 1 with the Accepted tag; StartTransaction "
    "idTagInfo Accepted, transactionId > 0; every message answered",
    backend_initiated=True,
)
async def remote_start_plugged_in(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.status(station, CONNECTOR, "Preparing")
        await _remote_start(ctx, station, tag)
        transaction_id = await _started(ctx, station, tag)
        await _ended(ctx, station, transaction_id, "Local")


@check(
    "TC_011_1_CS",
    "Remote start first, then the cable plugged in",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction, §4.1 Authorize, §4.8 StartTransaction",
    sends="answers RemoteStartTransaction Accepted; Preparing, Authorize of its idTag "
    "(AuthorizeRemoteTxRequests true), StartTransaction, Charging, StopTransaction, Finishing, "
    "Available",
    expects="RemoteStartTransaction connectorId 1 with the Accepted tag; Authorize and "
    "StartTransaction idTagInfo Accepted, transactionId > 0; every message answered",
    backend_initiated=True,
)
async def remote_start_first(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _remote_start(ctx, station, tag)
        await ctx.status(station, CONNECTOR, "Preparing")
        await _authorized(ctx, station, tag)
        transaction_id = await _started(ctx, station, tag)
        await _ended(ctx, station, transaction_id, "Local")


@check(
    "TC_011_2_CS",
    "Remote start, the cable never plugged in (connection timeout)",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction, ConnectionTimeOut (§9.1), §4.9 "
    "StatusNotification",
    sends="answers RemoteStartTransaction Accepted; Preparing, then Available without a "
    "transaction (ConnectionTimeOut expired)",
    expects="RemoteStartTransaction connectorId 1; both StatusNotifications answered (no "
    "transaction is owed); the connection kept",
    backend_initiated=True,
)
async def remote_start_timeout(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _remote_start(ctx, station, tag)
        await ctx.status(station, CONNECTOR, "Preparing")
        await ctx.status(station, CONNECTOR, "Available")
        await station.still_open()


@check(
    "TC_026_CS",
    "Remote start rejected by the charge point",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction, RemoteStartStopStatus (Rejected)",
    sends="answers RemoteStartTransaction Rejected; then a Heartbeat",
    expects="RemoteStartTransaction connectorId 1; the Rejected taken (the trigger reports "
    "success) and the connection kept (the Heartbeat answered)",
    backend_initiated=True,
)
async def remote_start_rejected(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _remote_start(ctx, station, tag, reply={"status": "Rejected"})
        await station.still_open()


@check(
    "TC_027_CS",
    "Remote start for connector 0: the charge point rejects it",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction (connectorId SHALL be > 0)",
    sends="answers RemoteStartTransaction for connector 0 Rejected; then a Heartbeat",
    expects="RemoteStartTransaction sent as asked, connectorId 0; the Rejected taken and the "
    "connection kept",
    backend_initiated=True,
)
async def remote_start_connector_zero(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _remote_start(ctx, station, tag, connector=0, reply={"status": "Rejected"})
        await station.still_open()


@check(
    "TC_007_2_CS",
    "Remote start with an id tag in the authorization cache",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction, the Authorization Cache (LocalPreAuthorize), "
    "§4.8 StartTransaction",
    sends="Authorize of the Accepted tag (it enters the cache); answers RemoteStartTransaction "
    "Accepted; Preparing, StartTransaction without a new Authorize, Charging, StopTransaction, "
    "Finishing, Available",
    expects="RemoteStartTransaction connectorId 1 with the tag; StartTransaction idTagInfo "
    "Accepted, transactionId > 0; every message answered",
    backend_initiated=True,
)
async def remote_start_cached_id(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _authorized(ctx, station, tag)
        await _remote_start(ctx, station, tag)
        await ctx.status(station, CONNECTOR, "Preparing")
        transaction_id = await _started(ctx, station, tag)
        await _ended(ctx, station, transaction_id, "Local")


@check(
    "TC_023_5_CS",
    "Remote start of an invalid id tag: its Authorize is Invalid, no transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction (AuthorizeRemoteTxRequests), §4.1 Authorize, "
    "AuthorizationStatus",
    sends="answers RemoteStartTransaction (an unknown tag) Accepted; Preparing, Authorize of "
    "that tag, Available without a StartTransaction; then a Heartbeat",
    expects="RemoteStartTransaction connectorId 1 with the tag; Authorize idTagInfo Invalid "
    "(its own remote start does not make a tag valid); the StatusNotifications answered, the "
    "connection kept",
    backend_initiated=True,
)
async def remote_start_authorize_invalid(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStartTransaction")
    tag = ctx.unknown_tag()
    async with ctx.booted() as station:
        await _remote_start(ctx, station, tag)
        await ctx.status(station, CONNECTOR, "Preparing")
        status = await ctx.authorize(station, tag)
        ctx.expect(
            status == "Invalid",
            f"Authorize idTagInfo Invalid for the unknown tag {tag!r} it remote-started (§4.1)",
            f"idTagInfo status {status}",
        )
        await ctx.status(station, CONNECTOR, "Available")
        await station.still_open()


# -- remote stop ------------------------------------------------------------------------------


@check(
    "TC_012_CS",
    "Remote stop of a running transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.12 RemoteStopTransaction, §4.10 StopTransaction (reason Remote)",
    sends="a transaction to Charging; answers RemoteStopTransaction Accepted; StopTransaction "
    "reason Remote, Finishing, Available",
    expects="RemoteStopTransaction with the running transaction's transactionId; the stop "
    "with reason Remote and every status answered",
    backend_initiated=True,
)
async def remote_stop(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStopTransaction")
    async with ctx.booted() as station:
        transaction_id = await _running(ctx, station)
        await ctx.backend_sends(station, "RemoteStopTransaction", {"transactionId": transaction_id})
        await _ended(ctx, station, transaction_id, "Remote")


@check(
    "TC_028_CS",
    "Remote stop rejected by the charge point",
    profile=CORE,
    clause="OCPP 1.6 §5.12 RemoteStopTransaction, RemoteStartStopStatus (Rejected)",
    sends="a transaction to Charging; answers RemoteStopTransaction Rejected; MeterValues of "
    "the transaction; later a local stop, Finishing, Available",
    expects="RemoteStopTransaction with the running transactionId; the transaction still "
    "running for the backend (its MeterValues answered), its later stop answered",
    backend_initiated=True,
)
async def remote_stop_rejected(ctx: CheckContext) -> None:
    ctx.require_trigger("RemoteStopTransaction")
    async with ctx.booted() as station:
        transaction_id = await _running(ctx, station)
        await ctx.backend_sends(
            station,
            "RemoteStopTransaction",
            {"transactionId": transaction_id},
            reply={"status": "Rejected"},
        )
        await _metered(ctx, station, transaction_id)
        await _ended(ctx, station, transaction_id, "Local")


# -- unlock connector -------------------------------------------------------------------------


async def _unlock_answered(ctx: CheckContext, connector: int, status: str) -> None:
    ctx.require_trigger("UnlockConnector", {"connectorId": connector})
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "UnlockConnector", {"connectorId": connector}, reply={"status": status}
        )
        await station.still_open()


@check(
    "TC_017_1_CS",
    "Unlock a connector without a session",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector",
    sends="answers UnlockConnector Unlocked; then a Heartbeat",
    expects="UnlockConnector connectorId 1; the connection kept",
    backend_initiated=True,
)
async def unlock_connector(ctx: CheckContext) -> None:
    await _unlock_answered(ctx, CONNECTOR, "Unlocked")


@check(
    "TC_017_2_CS",
    "Unlock a connector without a session: fixed cable",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector, UnlockStatus (NotSupported: no connector lock)",
    sends="answers UnlockConnector NotSupported; then a Heartbeat",
    expects="UnlockConnector connectorId 1; the NotSupported taken, the connection kept",
    backend_initiated=True,
)
async def unlock_fixed_cable(ctx: CheckContext) -> None:
    await _unlock_answered(ctx, CONNECTOR, "NotSupported")


@check(
    "TC_030_CS",
    "Unlock a connector: the unlock fails",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector, UnlockStatus (UnlockFailed)",
    sends="answers UnlockConnector UnlockFailed; then a Heartbeat",
    expects="UnlockConnector connectorId 1; the UnlockFailed taken, the connection kept",
    backend_initiated=True,
)
async def unlock_failed(ctx: CheckContext) -> None:
    await _unlock_answered(ctx, CONNECTOR, "UnlockFailed")


@check(
    "TC_031_CS",
    "Unlock an unknown connector",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector, UnlockStatus (NotSupported: connectorId unknown)",
    sends="answers UnlockConnector for connector N+1 (it has N) NotSupported; then a Heartbeat",
    expects="UnlockConnector sent as asked, connectorId N+1; the NotSupported taken, the "
    "connection kept",
    backend_initiated=True,
)
async def unlock_unknown_connector(ctx: CheckContext) -> None:
    await _unlock_answered(ctx, ctx.target.connectors + 1, "NotSupported")


@check(
    "TC_018_1_CS",
    "Unlock a connector during a session: the transaction ends (UnlockCommand)",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector (a transaction is finished first), §4.10 "
    "StopTransaction, Reason UnlockCommand",
    sends="a transaction to Charging; on UnlockConnector: StopTransaction reason UnlockCommand, "
    "then the answer Unlocked; Finishing, Available",
    expects="UnlockConnector connectorId 1; the StopTransaction (sent while the unlock is "
    "outstanding) answered, then Finishing and Available",
    backend_initiated=True,
)
async def unlock_during_session(ctx: CheckContext) -> None:
    ctx.require_trigger("UnlockConnector")
    async with ctx.booted() as station:
        transaction_id = await _running(ctx, station)

        async def stop_first() -> None:
            await ctx.stop_transaction(station, transaction_id, reason="UnlockCommand")

        await _answered_after(
            ctx,
            station,
            "UnlockConnector",
            {"connectorId": CONNECTOR},
            {"status": "Unlocked"},
            stop_first,
        )
        await ctx.status(station, CONNECTOR, "Finishing")
        await ctx.status(station, CONNECTOR, "Available")


@check(
    "TC_018_2_CS",
    "Unlock a connector during a session: fixed cable, the session goes on",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector, UnlockStatus (NotSupported)",
    sends="a transaction to Charging; answers UnlockConnector NotSupported (nothing unlocked, "
    "the transaction goes on); MeterValues of it; later a local stop, Finishing, Available",
    expects="UnlockConnector connectorId 1; the transaction still running for the backend (its "
    "MeterValues answered), its later stop answered",
    backend_initiated=True,
)
async def unlock_during_session_fixed_cable(ctx: CheckContext) -> None:
    ctx.require_trigger("UnlockConnector")
    async with ctx.booted() as station:
        transaction_id = await _running(ctx, station)
        await ctx.backend_sends(
            station, "UnlockConnector", {"connectorId": CONNECTOR}, reply={"status": "NotSupported"}
        )
        await _metered(ctx, station, transaction_id)
        await _ended(ctx, station, transaction_id, "Local")


# -- change availability (robustness: no OCTT 1.6 central-system case) ------------------------


async def _availability(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    kind: str,
    *,
    reply: ScriptedReply | None = None,
) -> None:
    payload = {"connectorId": CONNECTOR, "type": kind}
    await ctx.backend_sends(station, "ChangeAvailability", payload, reply=reply)


@check(
    "RB_CHANGE_AVAILABILITY",
    "Change a connector's availability: Inoperative, then Operative again",
    profile=CORE,
    clause="OCPP 1.6 §5.2 ChangeAvailability, §4.9 StatusNotification",
    sends="answers ChangeAvailability Inoperative Accepted, StatusNotification Unavailable; "
    "answers ChangeAvailability Operative Accepted, StatusNotification Available",
    expects="ChangeAvailability connectorId 1 type Inoperative, then Operative; both "
    "StatusNotifications answered",
    backend_initiated=True,
)
async def change_availability(ctx: CheckContext) -> None:
    ctx.require_trigger("ChangeAvailability")
    async with ctx.booted() as station:
        await _availability(ctx, station, "Inoperative")
        await ctx.status(station, CONNECTOR, "Unavailable")
        await _availability(ctx, station, "Operative")
        await ctx.status(station, CONNECTOR, "Available")


@check(
    "RB_CHANGE_AVAILABILITY_SCHEDULED",
    "Change availability during a transaction: Scheduled, Unavailable after the stop",
    profile=CORE,
    clause="OCPP 1.6 §5.2 ChangeAvailability (Scheduled), AvailabilityStatus, §4.9 "
    "StatusNotification",
    sends="a transaction to Charging; answers ChangeAvailability Inoperative Scheduled; "
    "MeterValues; StopTransaction, Finishing, Unavailable; then Operative (Accepted), Available",
    expects="ChangeAvailability connectorId 1 Inoperative; the Scheduled taken, the "
    "transaction's messages answered, Unavailable answered after the stop; Operative, Available",
    backend_initiated=True,
)
async def change_availability_scheduled(ctx: CheckContext) -> None:
    ctx.require_trigger("ChangeAvailability")
    async with ctx.booted() as station:
        transaction_id = await _running(ctx, station)
        await _availability(ctx, station, "Inoperative", reply={"status": "Scheduled"})
        await _metered(ctx, station, transaction_id)
        await ctx.stop_transaction(station, transaction_id, reason="Local")
        await ctx.status(station, CONNECTOR, "Finishing")
        await ctx.status(station, CONNECTOR, "Unavailable")
        await _availability(ctx, station, "Operative", reply={"status": "Accepted"})
        await ctx.status(station, CONNECTOR, "Available")
