"""OCTT 2.0.1 block E, transactions (the CSMS cases of the Core profile): a TransactionEvent
Started at each TxStartPoint and Ended at each TxStopPoint with its triggerReason and
stoppedReason, idTokens inside events answered with idTokenInfo, the charging states of a
suspended session, GetTransactionStatus with and without queued messages (E14), offline
events, and seqNo restarting at 0 for a new transaction.

From the CSMS's side the start and stop options differ only in what the station sends: which
event carries the idToken, which triggerReason, chargingState and stoppedReason. A CSMS must
answer every one (a TransactionEventResponse has no status to refuse with) and must check the
idToken of any event that carries one. Not in this block: TC_E_11 (DataSigned) and TC_E_12/19
(parking bay sensors), which need hardware the Core profile does not ask for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.check.catalogue import check201
from simulator.check.checks.v201_c_authorization import UNKNOWN_OK
from simulator.check.checks.v201_e_states import (
    Transaction,
    authorized,
    authorized_in_transaction,
    charging,
    connection_timed_out,
    connector_state,
    ended_by_token,
    energy_transfer_started,
    ev_connected_pre_session,
    ev_disconnected,
    event,
    expect_status,
    finished,
    reading,
    stop_authorized,
)
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint

# -- start options ----------------------------------------------------------------------------


async def _started_by_power(
    ctx: CheckContext, station: ScriptedChargePoint, token: str, charging_state: str
) -> Transaction:
    """Authorized, plugged in, and only then Started (ChargingStateChanged) with the idToken."""
    await authorized(ctx, station, token)
    await connector_state(ctx, station, "Occupied")
    transaction = Transaction.new()
    reply = await event(
        ctx,
        station,
        transaction,
        "Started",
        "ChargingStateChanged",
        charging_state=charging_state,
        token=token,
        readings=reading(ctx, "Transaction.Begin"),
    )
    expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the Accepted token {token!r}")
    return transaction


@check201(
    "TC_E_01_CSMS",
    "Start transaction options: PowerPathClosed",
    clause="OCPP 2.0.1 E01 Start Transaction options, S5 (E01.FR.05: TxStartPoint "
    "PowerPathClosed), E01.FR.12",
    sends="Authorize, Occupied, then Started by ChargingStateChanged (SuspendedEV: the power "
    "path closed, the EV not drawing yet) with the idToken, Charging, stop, Ended",
    expects="the Started answered with idTokenInfo Accepted; every message answered",
)
async def start_power_path_closed(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await _started_by_power(ctx, station, token, "SuspendedEV")
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_02_CSMS",
    "Start transaction options: EnergyTransfer",
    clause="OCPP 2.0.1 E01, S6 (E01.FR.06: TxStartPoint EnergyTransfer), E01.FR.12",
    sends="Authorize, Occupied, then Started by ChargingStateChanged, Charging, with the "
    "idToken; stop, Ended",
    expects="the Started answered with idTokenInfo Accepted; every message answered",
)
async def start_energy_transfer(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await _started_by_power(ctx, station, token, "Charging")
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_03_CSMS",
    "Local start transaction: cable plugged in first",
    clause="OCPP 2.0.1 E02 Start Transaction - Cable Plugin First (E02.FR.02), E01.FR.12",
    sends="Occupied, Started by CablePluggedIn without idToken, Authorize, Updated Authorized "
    "with the idToken, Charging, stop, Ended",
    expects="Authorize Accepted; the Updated answered with idTokenInfo Accepted",
)
async def start_cable_first(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await ev_connected_pre_session(ctx, station)
        await authorized_in_transaction(ctx, station, token, transaction)
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_04_CSMS",
    "Local start transaction: authorization first",
    clause="OCPP 2.0.1 E03 Start Transaction - IdToken First (E03.FR.02), E01.FR.12",
    sends="Authorize, Started by Authorized with the idToken, Occupied and Updated "
    "CablePluggedIn, Charging, stop, Ended",
    expects="Authorize Accepted; the Started answered with idTokenInfo Accepted",
)
async def start_authorization_first(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_10_CSMS",
    "Start transaction options: Authorized, the token from the station's cache",
    clause="OCPP 2.0.1 E01, S3 (E01.FR.03: TxStartPoint Authorized), E01.FR.11, E01.FR.12",
    sends="Started by Authorized with the Accepted idToken and no Authorize before it (the "
    "station's cache knew it), then plugged in, charging, stop, Ended",
    expects="the Started answered with idTokenInfo Accepted",
)
async def start_authorized_cached(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await authorized_in_transaction(ctx, station, token, ask_first=False)
        await ev_connected_pre_session(ctx, station, transaction)
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_38_CSMS",
    "Local start transaction: the EV not ready",
    clause="OCPP 2.0.1 E02, ChargingStateEnumType SuspendedEV (the EV does not draw)",
    sends="a session started and plugged in; Updated ChargingStateChanged SuspendedEV, later "
    "Charging; stop, Ended",
    expects="every event answered",
)
async def start_ev_not_ready(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await authorized_in_transaction(ctx, station, token)
        await ev_connected_pre_session(ctx, station, transaction)
        await event(
            ctx,
            station,
            transaction,
            "Updated",
            "ChargingStateChanged",
            charging_state="SuspendedEV",
        )
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


# -- stop options -----------------------------------------------------------------------------


@check201(
    "TC_E_07_CSMS",
    "Stop transaction options: PowerPathClosed, local stop",
    clause="OCPP 2.0.1 E06 Stop Transaction options, S5 (E06.FR.06: TxStopPoint PowerPathClosed), "
    "TransactionType.stoppedReason (omitted: Local)",
    sends="a session charging; Authorize, then Ended by StopAuthorized with the idToken and no "
    "stoppedReason (the spec's way of saying Local); the cable out",
    expects="Authorize Accepted; the Ended answered with idTokenInfo Accepted",
)
async def stop_power_path_local(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await ended_by_token(ctx, station, transaction, token)


@check201(
    "TC_E_08_CSMS",
    "Stop transaction options: EnergyTransfer stopped, StopAuthorized",
    clause="OCPP 2.0.1 E06, S6 (E06.FR.07: TxStopPoint EnergyTransfer)",
    sends="a session charging; Updated StopAuthorized with the idToken (EVConnected), then "
    "Ended by ChargingStateChanged, stoppedReason Local; the cable out",
    expects="the StopAuthorized answered with idTokenInfo Accepted; the Ended answered",
)
async def stop_energy_transfer(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await stop_authorized(ctx, station, transaction, token)
        await event(
            ctx,
            station,
            transaction,
            "Ended",
            "ChargingStateChanged",
            charging_state="EVConnected",
            stopped_reason="Local",
            readings=reading(ctx, "Transaction.End"),
        )
        await connector_state(ctx, station, "Available")


@check201(
    "TC_E_15_CSMS",
    "Stop transaction options: StopAuthorized, local",
    clause="OCPP 2.0.1 E06, S3 (E06.FR.03: TxStopPoint Authorized)",
    sends="a session charging; Authorize, Ended by StopAuthorized, stoppedReason Local, with "
    "the idToken; the cable out",
    expects="the Ended answered with idTokenInfo Accepted",
)
async def stop_authorized_local(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await ended_by_token(ctx, station, transaction, token, stopped_reason="Local")


@check201(
    "TC_E_14_CSMS",
    "Stop transaction options: EVDisconnected, charging station side",
    clause="OCPP 2.0.1 E06, S2 (E06.FR.02: TxStopPoint EVConnected), ReasonEnumType EVDisconnected",
    sends="a session charging; the cable pulled at the station: Ended by EVCommunicationLost, "
    "stoppedReason EVDisconnected, Idle; Available",
    expects="every message answered",
)
async def stop_ev_disconnected_station_side(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await ev_disconnected(ctx, station, transaction)


@check201(
    "TC_E_20_CSMS",
    "Stop transaction options: EVDisconnected, EV side (StopTxOnEVSideDisconnect true)",
    clause="OCPP 2.0.1 E06, S2 (E06.FR.02), E10 (StopTxOnEVSideDisconnect true)",
    sends="a session charging; the cable pulled at the EV (the station's tethered cable "
    "stays): Ended by EVCommunicationLost, stoppedReason EVDisconnected; then Available",
    expects="every message answered",
)
async def stop_ev_disconnected_ev_side(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await event(
            ctx,
            station,
            transaction,
            "Ended",
            "EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            readings=reading(ctx, "Transaction.End"),
        )
        await connector_state(ctx, station, "Available")


@check201(
    "TC_E_16_CSMS",
    "Stop transaction options: Deauthorized, invalid idToken",
    clause="OCPP 2.0.1 E06, S3 (E06.FR.04: deauthorized by the CSMS's idTokenInfo), E01.FR.11, "
    "E01.FR.12",
    sends="Started by Authorized with a token unknown (or Invalid) at the CSMS, no Authorize; "
    "then Ended by Deauthorized, stoppedReason DeAuthorized",
    expects="the Started answered with idTokenInfo Invalid or Unknown; the Ended answered",
)
async def stop_deauthorized_invalid(ctx: CheckContext) -> None:
    token = ctx.unknown_tag()
    async with ctx.booted() as station:
        transaction = Transaction.new()
        reply = await event(
            ctx,
            station,
            transaction,
            "Started",
            "Authorized",
            token=token,
            readings=reading(ctx, "Transaction.Begin"),
        )
        expect_status(ctx, reply.get("idTokenInfo"), UNKNOWN_OK, f"the unknown token {token!r}")
        await event(
            ctx,
            station,
            transaction,
            "Ended",
            "Deauthorized",
            charging_state="Idle",
            stopped_reason="DeAuthorized",
            readings=reading(ctx, "Transaction.End"),
        )


@check201(
    "TC_E_39_CSMS",
    "Stop transaction options: Deauthorized, EV connection timeout",
    clause="OCPP 2.0.1 E03 (E03.FR.04, E03.FR.05: EVConnectionTimeOut), E06.FR.04, ReasonEnumType "
    "Timeout",
    sends="Authorize, Started by Authorized with the idToken; no cable comes: Ended by "
    "EVConnectTimeout, stoppedReason Timeout",
    expects="the Started answered with idTokenInfo Accepted; the Ended answered",
)
async def stop_connection_timeout(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await authorized_in_transaction(ctx, station, token)
        await connection_timed_out(ctx, station, transaction)


@check201(
    "TC_E_21_CSMS",
    "Stop transaction options: StopAuthorized, remote (RequestStopTransaction)",
    clause="OCPP 2.0.1 E06, S3 (E06.FR.03), F03 Remote Stop Transaction (F03.FR.01: the "
    "transactionId, F03.FR.09)",
    sends="a session charging; RequestStopTransaction made to come through the trigger, "
    "Accepted; Ended by RemoteStop, stoppedReason Remote; Available",
    expects="RequestStopTransaction carrying the station's transactionId; the Ended answered",
    backend_initiated=True,
)
async def stop_remote(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("RequestStopTransaction")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await ctx.backend_sends(
            station, "RequestStopTransaction", {"transactionId": transaction.transaction_id}
        )
        await ev_disconnected(
            ctx, station, transaction, stopped_reason="Remote", trigger_reason="RemoteStop"
        )


@check201(
    "TC_E_22_CSMS",
    "Stop transaction options: EnergyTransfer stopped, SuspendedEV",
    clause="OCPP 2.0.1 E06, S6 (E06.FR.07: TxStopPoint EnergyTransfer), ReasonEnumType StoppedByEV",
    sends="a session charging; the EV stops drawing: Ended by ChargingStateChanged, "
    "SuspendedEV, stoppedReason StoppedByEV; the cable out",
    expects="every message answered",
)
async def stop_suspended_ev(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await event(
            ctx,
            station,
            transaction,
            "Ended",
            "ChargingStateChanged",
            charging_state="SuspendedEV",
            stopped_reason="StoppedByEV",
            readings=reading(ctx, "Transaction.End"),
        )
        await connector_state(ctx, station, "Available")


@check201(
    "TC_E_26_CSMS",
    "Cable disconnected on the EV side: the transaction suspended (StopTxOnEVSideDisconnect false)",
    clause="OCPP 2.0.1 E10 Connection Loss (E10.FR.01: StopTxOnEVSideDisconnect false, the "
    "transaction suspended), ChargingStateEnumType Idle",
    sends="a session charging; Updated by EVCommunicationLost, Idle; the cable back: Updated "
    "CablePluggedIn, EVConnected; Charging; stop, Ended",
    expects="every event answered",
)
async def suspended_on_ev_side_disconnect(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await event(
            ctx, station, transaction, "Updated", "EVCommunicationLost", charging_state="Idle"
        )
        await event(
            ctx, station, transaction, "Updated", "CablePluggedIn", charging_state="EVConnected"
        )
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_53_CSMS",
    "seqNo restarts at 0 for each transaction",
    clause="OCPP 2.0.1 E01 (E01.FR.07: seqNo, 'Sequence Number Generation')",
    sends="two sessions one after the other, each numbering its events from seqNo 0",
    expects="every event of both transactions answered, the second Started with idTokenInfo "
    "Accepted",
)
async def seq_no_restarts(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        for _ in range(2):
            transaction = await charging(ctx, station, token)
            await finished(ctx, station, transaction, token)


# -- GetTransactionStatus (E14) ----------------------------------------------------------------


def _offline_at(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


async def _queued_updates(
    ctx: CheckContext, station: ScriptedChargePoint, transaction: Transaction, *, ended: bool
) -> None:
    """What the station queued while offline, sent with offline true and the times it
    happened: a periodic reading, and (if `ended`) the Ended of the cable pulled meanwhile."""
    await event(
        ctx,
        station,
        transaction,
        "Updated",
        "MeterValuePeriodic",
        offline=True,
        at=_offline_at(2),
        readings=reading(ctx, "Sample.Periodic"),
    )
    if ended:
        await event(
            ctx,
            station,
            transaction,
            "Ended",
            "EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            offline=True,
            at=_offline_at(1),
            readings=reading(ctx, "Transaction.End"),
        )


async def _status_asked(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction | None,
    reply: dict[str, bool],
) -> None:
    payload = {} if transaction is None else {"transactionId": transaction.transaction_id}
    call = await ctx.backend_sends(station, "GetTransactionStatus", payload, reply=reply)
    if transaction is None:
        ctx.expect(
            "transactionId" not in call.payload,
            "GetTransactionStatus without transactionId (asked about every transaction)",
            f"transactionId {call.payload.get('transactionId')!r}",
        )


async def _reconnected_status(ctx: CheckContext, *, with_id: bool, ongoing: bool) -> None:
    """A session charging, the connection lost; back online (no reboot: no boot), the CSMS
    asks GetTransactionStatus, the station says messages are queued and sends them."""
    token = ctx.tag("Accepted")
    ctx.require_trigger("GetTransactionStatus")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
    ctx.note("the station is offline for a while, then reconnects without rebooting")
    async with ctx.open_or_fail() as station:
        reply = {"messagesInQueue": True}
        if with_id:
            reply["ongoingIndicator"] = ongoing
        await _status_asked(ctx, station, transaction if with_id else None, reply)
        await _queued_updates(ctx, station, transaction, ended=not ongoing)
        if ongoing:
            await finished(ctx, station, transaction, token)
        else:
            await connector_state(ctx, station, "Available")


@check201(
    "TC_E_29_CSMS",
    "Check transaction status: transaction ongoing, messages in queue",
    clause="OCPP 2.0.1 E14 Check Transaction Status (E14.FR.02, E14.FR.04), E12 (offline events)",
    sends="a session charging; the connection lost and back; GetTransactionStatus made to "
    "come through the trigger, answered ongoingIndicator true, messagesInQueue true; the "
    "queued Updated sent with offline true; stop, Ended",
    expects="GetTransactionStatus with the station's transactionId; every queued event answered",
    backend_initiated=True,
)
async def status_ongoing_queued(ctx: CheckContext) -> None:
    await _reconnected_status(ctx, with_id=True, ongoing=True)


@check201(
    "TC_E_30_CSMS",
    "Check transaction status: transaction ongoing, nothing in queue",
    clause="OCPP 2.0.1 E14 (E14.FR.02, E14.FR.05)",
    sends="a session charging; GetTransactionStatus made to come through the trigger, "
    "answered ongoingIndicator true, messagesInQueue false; stop, Ended",
    expects="GetTransactionStatus with the station's transactionId; every event answered",
    backend_initiated=True,
)
async def status_ongoing_empty(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("GetTransactionStatus")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        reply = {"ongoingIndicator": True, "messagesInQueue": False}
        await _status_asked(ctx, station, transaction, reply)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_E_31_CSMS",
    "Check transaction status: transaction ended, messages in queue",
    clause="OCPP 2.0.1 E14 (E14.FR.03, E14.FR.04), E12 (offline events)",
    sends="a session charging; the connection lost, the cable pulled meanwhile; back online, "
    "GetTransactionStatus made to come, answered ongoingIndicator false, messagesInQueue "
    "true; the queued Updated and Ended sent with offline true",
    expects="GetTransactionStatus with the station's transactionId; the queued events answered",
    backend_initiated=True,
)
async def status_ended_queued(ctx: CheckContext) -> None:
    await _reconnected_status(ctx, with_id=True, ongoing=False)


@check201(
    "TC_E_33_CSMS",
    "Check transaction status: without transactionId, messages in queue",
    clause="OCPP 2.0.1 E14 (E14.FR.06, E14.FR.07: without transactionId)",
    sends="a session charging; the connection lost and back; GetTransactionStatus without "
    "transactionId made to come, answered messagesInQueue true; the queued Updated sent "
    "offline; stop, Ended",
    expects="GetTransactionStatus without transactionId; the queued events answered",
    backend_initiated=True,
)
async def status_any_queued(ctx: CheckContext) -> None:
    await _reconnected_status(ctx, with_id=False, ongoing=True)


@check201(
    "TC_E_34_CSMS",
    "Check transaction status: without transactionId, nothing in queue",
    clause="OCPP 2.0.1 E14 (E14.FR.06, E14.FR.08)",
    sends="GetTransactionStatus without transactionId made to come through the trigger, "
    "answered messagesInQueue false; a Heartbeat",
    expects="GetTransactionStatus without transactionId; the connection kept",
    backend_initiated=True,
)
async def status_any_empty(ctx: CheckContext) -> None:
    ctx.require_trigger("GetTransactionStatus")
    async with ctx.booted() as station:
        await _status_asked(ctx, station, None, {"messagesInQueue": False})
        await station.still_open()
