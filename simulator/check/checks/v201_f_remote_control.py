"""OCTT 2.0.1 block F, remote control (the CSMS cases of the Core profile): RequestStart-
Transaction with the cable plugged in first or later and with or without AuthorizeRemoteStart,
UnlockConnector, and TriggerMessage for each message a Core station must send when asked.

Each makes the CSMS send its request through the run's trigger (`CheckContext.backend_sends`:
the request must carry every field the trigger was given), answers as the case's station,
then plays what that station does next and holds the CSMS to its answers. Without a trigger
they are not run. Not here: TC_F_05 and TC_F_07..10 (the station's refusals, which a CSMS
needs nothing to handle beyond what TC_F_27_CSMS checks).
"""

from __future__ import annotations

import secrets
from typing import Any

from simulator.check.catalogue import check201
from simulator.check.checks.v201_e_states import (
    CONNECTOR,
    EVSE,
    Transaction,
    authorized,
    charging,
    connection_timed_out,
    connector_state,
    energy_transfer_started,
    ev_connected_pre_session,
    event,
    expect_status,
    finished,
    id_token,
    meter_value,
    reading,
)
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint


def _remote_start_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


async def _remote_start(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    token: str,
    remote_start_id: int,
    *,
    transaction: Transaction | None = None,
) -> None:
    """The CSMS sends RequestStartTransaction for EVSE 1 with the token; the station accepts
    (with the transactionId when a transaction is already running: the cable came first)."""
    payload = {
        "evseId": EVSE,
        "remoteStartId": remote_start_id,
        "idToken": id_token(token),
    }
    reply: dict[str, Any] = {"status": "Accepted"}
    if transaction is not None:
        reply["transactionId"] = transaction.transaction_id
    await ctx.backend_sends(station, "RequestStartTransaction", payload, reply=reply)


async def _remote_started(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction,
    token: str,
    remote_start_id: int,
    event_type: str,
) -> None:
    """The TransactionEvent of the remote start (triggerReason RemoteStart, its
    remoteStartId, the idToken): idTokenInfo Accepted."""
    reply = await event(
        ctx,
        station,
        transaction,
        event_type,
        "RemoteStart",
        token=token,
        remote_start_id=remote_start_id,
        readings=reading(ctx, "Transaction.Begin") if event_type == "Started" else None,
    )
    expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the remote token {token!r}")


@check201(
    "TC_F_01_CSMS",
    "Remote start transaction: cable plugged in first",
    clause="OCPP 2.0.1 F01 Remote Start Transaction - Cable Plugin First",
    sends="Occupied, Started by CablePluggedIn; RequestStartTransaction made to come through "
    "the trigger, Accepted with the transactionId; Updated by RemoteStart with the "
    "remoteStartId and the idToken; Charging; stop, Ended",
    expects="RequestStartTransaction with evseId, remoteStartId and idToken; the Updated "
    "answered with idTokenInfo Accepted",
    backend_initiated=True,
)
async def remote_start_cable_first(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("RequestStartTransaction")
    remote_start_id = _remote_start_id()
    async with ctx.booted() as station:
        transaction = await ev_connected_pre_session(ctx, station)
        await _remote_start(ctx, station, token, remote_start_id, transaction=transaction)
        await _remote_started(ctx, station, transaction, token, remote_start_id, "Updated")
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


async def _remote_start_first(ctx: CheckContext, *, authorize_first: bool) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("RequestStartTransaction")
    remote_start_id = _remote_start_id()
    async with ctx.booted() as station:
        await _remote_start(ctx, station, token, remote_start_id)
        if authorize_first:  # AuthorizeRemoteStart true: the station asks like a local start
            await authorized(ctx, station, token)
        transaction = Transaction.new()
        await _remote_started(ctx, station, transaction, token, remote_start_id, "Started")
        await ev_connected_pre_session(ctx, station, transaction)
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_F_02_CSMS",
    "Remote start transaction: remote start first, AuthorizeRemoteStart true",
    clause="OCPP 2.0.1 F02 Remote Start Transaction - Remote Start First (F02.FR.01, F01.FR.01: "
    "AuthorizeRemoteStart)",
    sends="RequestStartTransaction made to come through the trigger, Accepted; Authorize of "
    "its token; Started by RemoteStart with the remoteStartId; plugged in, Charging; stop",
    expects="Authorize Accepted; the Started answered with idTokenInfo Accepted",
    backend_initiated=True,
)
async def remote_start_authorized(ctx: CheckContext) -> None:
    await _remote_start_first(ctx, authorize_first=True)


@check201(
    "TC_F_03_CSMS",
    "Remote start transaction: remote start first, AuthorizeRemoteStart false",
    clause="OCPP 2.0.1 F02 (F02.FR.01, F01.FR.02: AuthorizeRemoteStart false, no Authorize)",
    sends="RequestStartTransaction made to come through the trigger, Accepted; Started by "
    "RemoteStart with the remoteStartId and no Authorize; plugged in, Charging; stop",
    expects="the Started answered with idTokenInfo Accepted (the CSMS's own token)",
    backend_initiated=True,
)
async def remote_start_unauthorized(ctx: CheckContext) -> None:
    await _remote_start_first(ctx, authorize_first=False)


@check201(
    "TC_F_04_CSMS",
    "Remote start transaction: remote start first, the cable never plugged in",
    clause="OCPP 2.0.1 F02, E03 (E03.FR.04, E03.FR.05: EVConnectionTimeOut), ReasonEnumType "
    "Timeout",
    sends="RequestStartTransaction made to come through the trigger, Accepted; Started by "
    "RemoteStart; no cable: Ended by EVConnectTimeout, stoppedReason Timeout",
    expects="the Started answered with idTokenInfo Accepted; the Ended answered",
    backend_initiated=True,
)
async def remote_start_timeout(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("RequestStartTransaction")
    remote_start_id = _remote_start_id()
    async with ctx.booted() as station:
        await _remote_start(ctx, station, token, remote_start_id)
        transaction = Transaction.new()
        await _remote_started(ctx, station, transaction, token, remote_start_id, "Started")
        await connection_timed_out(ctx, station, transaction)


@check201(
    "TC_F_06_CSMS",
    "Remote unlock connector without an ongoing transaction: Unlocked",
    clause="OCPP 2.0.1 F05 Remotely Unlock Connector",
    sends="UnlockConnector for EVSE 1 connector 1 made to come through the trigger, answered "
    "Unlocked; a Heartbeat",
    expects="UnlockConnector with evseId 1 and connectorId 1; the connection kept",
    backend_initiated=True,
)
async def unlock_connector(ctx: CheckContext) -> None:
    ctx.require_trigger("UnlockConnector")
    async with ctx.booted() as station:
        payload = {"evseId": EVSE, "connectorId": CONNECTOR}
        await ctx.backend_sends(station, "UnlockConnector", payload, reply={"status": "Unlocked"})
        await station.still_open()


# -- TriggerMessage (F06) ---------------------------------------------------------------------


async def _triggered(
    ctx: CheckContext, station: ScriptedChargePoint, message: str, evse: dict[str, int] | None
) -> None:
    payload: dict[str, Any] = {"requestedMessage": message}
    if evse is not None:
        payload["evse"] = evse
    call = await ctx.backend_sends(station, "TriggerMessage", payload)
    if evse is None:
        ctx.expect(
            "evse" not in call.payload,
            f"TriggerMessage {message} without evse (every EVSE)",
            f"evse {call.payload.get('evse')}",
        )


async def _triggered_meter_values(ctx: CheckContext, *, one_evse: bool) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        await _triggered(ctx, station, "MeterValues", {"id": EVSE} if one_evse else None)
        evses = [EVSE] if one_evse else list(range(1, ctx.target.connectors + 1))
        for evse_id in evses:
            energy = ctx.next_meter_wh(10)
            await ctx.result(
                station,
                "MeterValues",
                {"evseId": evse_id, "meterValue": [meter_value(ctx, energy, "Trigger")]},
            )


@check201(
    "TC_F_11_CSMS",
    "Trigger message: MeterValues for a specific EVSE",
    clause="OCPP 2.0.1 F06 Trigger Message (F06.FR.01, F06.FR.02), ReadingContextEnumType Trigger",
    sends="TriggerMessage MeterValues for EVSE 1 made to come through the trigger, Accepted; "
    "MeterValues of EVSE 1, context Trigger",
    expects="TriggerMessage with requestedMessage MeterValues and evse.id 1; the MeterValues "
    "answered",
    backend_initiated=True,
)
async def trigger_meter_values_evse(ctx: CheckContext) -> None:
    await _triggered_meter_values(ctx, one_evse=True)


@check201(
    "TC_F_12_CSMS",
    "Trigger message: MeterValues for every EVSE",
    clause="OCPP 2.0.1 F06 (F06.FR.01)",
    sends="TriggerMessage MeterValues without evse made to come through the trigger, "
    "Accepted; MeterValues of each EVSE, context Trigger",
    expects="TriggerMessage MeterValues without evse; every MeterValues answered",
    backend_initiated=True,
)
async def trigger_meter_values_all(ctx: CheckContext) -> None:
    await _triggered_meter_values(ctx, one_evse=False)


async def _triggered_transaction_event(ctx: CheckContext, *, one_evse: bool) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await _triggered(ctx, station, "TransactionEvent", {"id": EVSE} if one_evse else None)
        await event(
            ctx,
            station,
            transaction,
            "Updated",
            "Trigger",
            charging_state="Charging",
            readings=reading(ctx, "Trigger"),
        )
        await finished(ctx, station, transaction, token)


@check201(
    "TC_F_13_CSMS",
    "Trigger message: TransactionEvent for a specific EVSE",
    clause="OCPP 2.0.1 F06 (F06.FR.01, F06.FR.02), TriggerReasonEnumType Trigger",
    sends="a session charging; TriggerMessage TransactionEvent for EVSE 1 made to come "
    "through the trigger, Accepted; Updated by Trigger, Charging, a reading of context "
    "Trigger; stop, Ended",
    expects="TriggerMessage with requestedMessage TransactionEvent and evse.id 1; the "
    "Updated answered",
    backend_initiated=True,
)
async def trigger_transaction_event_evse(ctx: CheckContext) -> None:
    await _triggered_transaction_event(ctx, one_evse=True)


@check201(
    "TC_F_14_CSMS",
    "Trigger message: TransactionEvent for every EVSE",
    clause="OCPP 2.0.1 F06 (F06.FR.01)",
    sends="a session charging; TriggerMessage TransactionEvent without evse made to come, "
    "Accepted; Updated by Trigger of the one transaction; stop, Ended",
    expects="TriggerMessage TransactionEvent without evse; the Updated answered",
    backend_initiated=True,
)
async def trigger_transaction_event_all(ctx: CheckContext) -> None:
    await _triggered_transaction_event(ctx, one_evse=False)


@check201(
    "TC_F_15_CSMS",
    "Trigger message: LogStatusNotification, Idle",
    clause="OCPP 2.0.1 F06 (F06.FR.01), LogStatusNotification Idle (no upload running)",
    sends="TriggerMessage LogStatusNotification made to come through the trigger, Accepted; "
    "LogStatusNotification Idle",
    expects="TriggerMessage with requestedMessage LogStatusNotification; the notification answered",
    backend_initiated=True,
)
async def trigger_log_status(ctx: CheckContext) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        await _triggered(ctx, station, "LogStatusNotification", None)
        await ctx.result(station, "LogStatusNotification", {"status": "Idle"})


@check201(
    "TC_F_18_CSMS",
    "Trigger message: FirmwareStatusNotification, Idle",
    clause="OCPP 2.0.1 F06 (F06.FR.01), FirmwareStatusNotification Idle (no update running)",
    sends="TriggerMessage FirmwareStatusNotification made to come through the trigger, "
    "Accepted; FirmwareStatusNotification Idle",
    expects="TriggerMessage with requestedMessage FirmwareStatusNotification; the "
    "notification answered",
    backend_initiated=True,
)
async def trigger_firmware_status(ctx: CheckContext) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        await _triggered(ctx, station, "FirmwareStatusNotification", None)
        await ctx.result(station, "FirmwareStatusNotification", {"status": "Idle"})


@check201(
    "TC_F_20_CSMS",
    "Trigger message: Heartbeat",
    clause="OCPP 2.0.1 F06 (F06.FR.01), Heartbeat",
    sends="TriggerMessage Heartbeat made to come through the trigger, Accepted; Heartbeat",
    expects="TriggerMessage with requestedMessage Heartbeat; the Heartbeat answered with a "
    "currentTime",
    backend_initiated=True,
)
async def trigger_heartbeat(ctx: CheckContext) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        await _triggered(ctx, station, "Heartbeat", None)
        reply = await ctx.result(station, "Heartbeat", {})
        ctx.expect(bool(reply.get("currentTime")), "HeartbeatResponse currentTime", str(reply))


async def _triggered_status(ctx: CheckContext, connector_status: str) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        if connector_status != "Available":
            await connector_state(ctx, station, connector_status)
        evse = {"id": EVSE, "connectorId": CONNECTOR}
        await _triggered(ctx, station, "StatusNotification", evse)
        await connector_state(ctx, station, connector_status)


@check201(
    "TC_F_23_CSMS",
    "Trigger message: StatusNotification of a specific connector, Available",
    clause="OCPP 2.0.1 F06 (F06.FR.01, F06.FR.02, F06.FR.13: StatusNotification of a connector)",
    sends="TriggerMessage StatusNotification for EVSE 1 connector 1 made to come through the "
    "trigger, Accepted; StatusNotification Available and NotifyEvent AvailabilityState",
    expects="TriggerMessage with requestedMessage StatusNotification and evse {id 1, "
    "connectorId 1}; both notifications answered",
    backend_initiated=True,
)
async def trigger_status_available(ctx: CheckContext) -> None:
    await _triggered_status(ctx, "Available")


@check201(
    "TC_F_24_CSMS",
    "Trigger message: StatusNotification of a specific connector, Occupied",
    clause="OCPP 2.0.1 F06 (F06.FR.01, F06.FR.02, F06.FR.13)",
    sends="Occupied (StatusNotification and NotifyEvent); TriggerMessage StatusNotification "
    "for EVSE 1 connector 1 made to come, Accepted; Occupied again",
    expects="TriggerMessage with requestedMessage StatusNotification and evse {id 1, "
    "connectorId 1}; every notification answered",
    backend_initiated=True,
)
async def trigger_status_occupied(ctx: CheckContext) -> None:
    await _triggered_status(ctx, "Occupied")


@check201(
    "TC_F_27_CSMS",
    "Trigger message: a message the station does not implement",
    clause="OCPP 2.0.1 F06 (F06.FR.08: TriggerMessageStatusEnumType NotImplemented)",
    sends="TriggerMessage SignChargingStationCertificate made to come through the trigger, "
    "answered NotImplemented; a Heartbeat",
    expects="the trigger reports success (the station answered); the connection kept",
    backend_initiated=True,
)
async def trigger_not_implemented(ctx: CheckContext) -> None:
    ctx.require_trigger("TriggerMessage")
    async with ctx.booted() as station:
        payload = {"requestedMessage": "SignChargingStationCertificate"}
        await ctx.backend_sends(
            station, "TriggerMessage", payload, reply={"status": "NotImplemented"}
        )
        await station.still_open()
