"""The steps the 2.0.1 cases of blocks C, E, F, G and J share: OCTT's "reusable states" as the
scripted charging station plays them (EVConnectedPreSession, Authorized, EnergyTransferStarted,
StopAuthorized, EVDisconnected), and the messages they are made of.

A `Transaction` is the station's own: it chooses the transactionId (a UUID), numbers its
events with seqNo from 0 (2.0.1 edition 2 recommends a restart per transaction; TC_E_53_CSMS
holds the CSMS to accepting that) and files them under one EVSE. Every TransactionEvent must
be answered with a schema-valid TransactionEventResponse (it has no status to refuse with: a
station resends an event that got none, MessageAttempts times), and one carrying an idToken
must have the CSMS's idTokenInfo (E01.FR.12).

The station's configuration is its own choice where the case lets it choose: TxStartPoint
and TxStopPoint as each case says, the EVSE numbering 1..N with one connector each.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from simulator.check.context import CheckContext, utc_text
from simulator.check.station import ScriptedChargePoint

#: The EVSE and connector the cases use (every station has EVSE 1 with connector 1).
EVSE: Final = 1
CONNECTOR: Final = 1
#: The idToken type of every token the cases present: Central, the type of the tokens OCTT's
#: configuration names (a CSMS that keys its tokens by value and type finds them under it).
TOKEN_TYPE: Final = "Central"
ENERGY: Final = "Energy.Active.Import.Register"
#: The DER prefix of an EC P-256 public key (the signed readings' key; its point left out).
PUBLIC_KEY_HEX: Final = "3059301306072a8648ce3d020106082a8648ce3d030107034200"


@dataclass(slots=True)
class Transaction:
    """The station's transaction: its id and the next seqNo (mutable: the station counts)."""

    transaction_id: str
    evse_id: int = EVSE
    connector_id: int = CONNECTOR
    seq_no: int = 0

    @classmethod
    def new(cls, evse_id: int = EVSE) -> Transaction:
        return cls(str(uuid.uuid4()), evse_id, CONNECTOR)

    def next_seq_no(self) -> int:
        seq_no = self.seq_no
        self.seq_no += 1
        return seq_no


def id_token(token: str) -> dict[str, str]:
    return {"idToken": token, "type": TOKEN_TYPE}


def meter_value(
    ctx: CheckContext,
    energy_wh: float,
    context: str = "Sample.Periodic",
    *,
    at: datetime | None = None,
    signed: bool = False,
) -> dict[str, Any]:
    """One 2.0.1 meterValue of the energy register (value a number, the unit in
    unitOfMeasure), optionally with a signedMeterValue (OCMF data and a public key, base64
    as the spec asks; nobody can verify the signature, and a CSMS need not)."""
    sampled: dict[str, Any] = {
        "value": energy_wh,
        "context": context,
        "measurand": ENERGY,
        "unitOfMeasure": {"unit": "Wh"},
    }
    if signed:
        data = f'OCMF|{{"RD":[{{"RV":{energy_wh},"RU":"Wh"}}]}}|{{"SA":"ECDSA-secp256r1-SHA256"}}'
        sampled["signedMeterValue"] = {
            "signedMeterData": base64.b64encode(data.encode()).decode(),
            "signingMethod": "ECDSA-secp256r1-SHA256",
            "encodingMethod": "OCMF",
            "publicKey": base64.b64encode(bytes.fromhex(PUBLIC_KEY_HEX)).decode(),
        }
    return {"timestamp": utc_text(at or ctx.reading_at()), "sampledValue": [sampled]}


def clock_aligned(interval_s: int = 900) -> datetime:
    """The last clock-aligned instant (AlignedDataCtrlr.Interval, a quarter hour)."""
    now = datetime.now(UTC)
    seconds = int(now.timestamp()) // interval_s * interval_s
    return datetime.fromtimestamp(seconds, UTC)


async def status(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    connector_status: str,
    *,
    evse_id: int = EVSE,
    connector_id: int = CONNECTOR,
) -> None:
    await ctx.result(
        station,
        "StatusNotification",
        {
            "timestamp": ctx.now(),
            "connectorStatus": connector_status,
            "evseId": evse_id,
            "connectorId": connector_id,
        },
    )


async def notify_event(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    component: str,
    variable: str,
    actual_value: str,
    *,
    evse_id: int | None = EVSE,
    connector_id: int | None = CONNECTOR,
) -> None:
    """A NotifyEvent of one Delta (the way 2.0.1 reports a connector's AvailabilityState or a
    lock Problem beside StatusNotification); the CSMS must answer it."""
    component_type: dict[str, Any] = {"name": component}
    if evse_id is not None:
        evse: dict[str, int] = {"id": evse_id}
        if connector_id is not None:
            evse["connectorId"] = connector_id
        component_type["evse"] = evse
    await ctx.result(
        station,
        "NotifyEvent",
        {
            "generatedAt": ctx.now(),
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": int(datetime.now(UTC).timestamp() * 1000) % 2**31,
                    "timestamp": ctx.now(),
                    "trigger": "Delta",
                    "actualValue": actual_value,
                    "eventNotificationType": "HardWiredNotification",
                    "component": component_type,
                    "variable": {"name": variable},
                }
            ],
        },
    )


async def connector_state(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    connector_status: str,
    *,
    evse_id: int = EVSE,
    connector_id: int = CONNECTOR,
) -> None:
    """A connector's new state as 2.0.1 reports it: StatusNotification and the NotifyEvent of
    Connector.AvailabilityState (G01, G03)."""
    await status(ctx, station, connector_status, evse_id=evse_id, connector_id=connector_id)
    await notify_event(
        ctx,
        station,
        "Connector",
        "AvailabilityState",
        connector_status,
        evse_id=evse_id,
        connector_id=connector_id,
    )


async def authorize(ctx: CheckContext, station: ScriptedChargePoint, token: str) -> dict[str, Any]:
    """Authorize the token; the idTokenInfo answered."""
    reply = await ctx.result(station, "Authorize", {"idToken": id_token(token)})
    info: dict[str, Any] = reply["idTokenInfo"]
    return info


async def authorized(ctx: CheckContext, station: ScriptedChargePoint, token: str) -> None:
    """Authorize, answered Accepted (the token is the Accepted one of the run)."""
    info = await authorize(ctx, station, token)
    expect_status(ctx, info, {"Accepted"}, f"Authorize of the Accepted token {token!r}")


def expect_status(
    ctx: CheckContext, info: dict[str, Any] | None, statuses: set[str], what: str
) -> None:
    wanted = " or ".join(sorted(statuses))
    ctx.expect(
        info is not None and info.get("status") in statuses,
        f"idTokenInfo.status {wanted} for {what}",
        "no idTokenInfo" if info is None else f"idTokenInfo {json.dumps(info)}",
    )


async def event(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction,
    event_type: str,
    trigger_reason: str,
    *,
    charging_state: str | None = None,
    token: str | None = None,
    stopped_reason: str | None = None,
    remote_start_id: int | None = None,
    readings: list[dict[str, Any]] | None = None,
    with_evse: bool = True,
    offline: bool = False,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One TransactionEvent of the transaction (the next seqNo); the schema-checked answer.
    With a token, the answer must carry idTokenInfo (E01.FR.12, C12.FR.03)."""
    info: dict[str, Any] = {"transactionId": transaction.transaction_id}
    if charging_state is not None:
        info["chargingState"] = charging_state
    if stopped_reason is not None:
        info["stoppedReason"] = stopped_reason
    if remote_start_id is not None:
        info["remoteStartId"] = remote_start_id
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": utc_text(at or datetime.now(UTC)),
        "triggerReason": trigger_reason,
        "seqNo": transaction.next_seq_no(),
        "transactionInfo": info,
    }
    if offline:
        payload["offline"] = True
    if with_evse:
        payload["evse"] = {"id": transaction.evse_id, "connectorId": transaction.connector_id}
    if token is not None:
        payload["idToken"] = id_token(token)
    if readings:
        payload["meterValue"] = readings
    reply = await ctx.result(station, "TransactionEvent", payload)
    if token is not None:
        ctx.expect(
            isinstance(reply.get("idTokenInfo"), dict),
            f"TransactionEventResponse with idTokenInfo for the idToken of the {event_type} "
            f"event ({trigger_reason}; E01.FR.12)",
            f"TransactionEventResponse {json.dumps(reply)}",
        )
    return reply


def reading(ctx: CheckContext, context: str, *, signed: bool = False) -> list[dict[str, Any]]:
    """The energy register now, in `context`."""
    return [meter_value(ctx, ctx.next_meter_wh(250), context, signed=signed)]


# -- OCTT's reusable states ------------------------------------------------------------------


async def ev_connected_pre_session(
    ctx: CheckContext, station: ScriptedChargePoint, transaction: Transaction | None = None
) -> Transaction:
    """The cable plugged in first (TxStartPoint EVConnected): Occupied, and the transaction
    Started by CablePluggedIn, chargingState EVConnected, without idToken (or, after an
    Authorized start, Updated)."""
    await connector_state(ctx, station, "Occupied")
    if transaction is None:
        transaction = Transaction.new()
        await event(
            ctx,
            station,
            transaction,
            "Started",
            "CablePluggedIn",
            charging_state="EVConnected",
            readings=reading(ctx, "Transaction.Begin"),
        )
    else:
        await event(
            ctx, station, transaction, "Updated", "CablePluggedIn", charging_state="EVConnected"
        )
    return transaction


async def authorized_in_transaction(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    token: str,
    transaction: Transaction | None = None,
    *,
    ask_first: bool = True,
) -> Transaction:
    """The driver authorized (Authorize first unless the token is in the station's cache),
    then a TransactionEvent with triggerReason Authorized and the idToken: Started
    (TxStartPoint Authorized) or Updated; its idTokenInfo must be Accepted."""
    if ask_first:
        await authorized(ctx, station, token)
    started = transaction is None
    transaction = transaction or Transaction.new()
    reply = await event(
        ctx,
        station,
        transaction,
        "Started" if started else "Updated",
        "Authorized",
        token=token,
        readings=reading(ctx, "Transaction.Begin") if started else None,
    )
    expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the Accepted token {token!r}")
    return transaction


async def energy_transfer_started(
    ctx: CheckContext, station: ScriptedChargePoint, transaction: Transaction
) -> None:
    """Charging: Updated by ChargingStateChanged, chargingState Charging, a reading."""
    await event(
        ctx,
        station,
        transaction,
        "Updated",
        "ChargingStateChanged",
        charging_state="Charging",
        readings=reading(ctx, "Sample.Periodic"),
    )


async def charging(ctx: CheckContext, station: ScriptedChargePoint, token: str) -> Transaction:
    """A session to EnergyTransferStarted: authorized, plugged in, charging."""
    transaction = await authorized_in_transaction(ctx, station, token)
    await ev_connected_pre_session(ctx, station, transaction)
    await energy_transfer_started(ctx, station, transaction)
    return transaction


async def ev_disconnected(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction,
    *,
    stopped_reason: str | None = "EVDisconnected",
    trigger_reason: str = "EVCommunicationLost",
    readings: list[dict[str, Any]] | None = None,
    then: str = "Available",
) -> None:
    """The cable unplugged: Ended (EVCommunicationLost, EVDisconnected, Idle) with the
    Transaction.End reading, then the connector `then` (Available)."""
    await event(
        ctx,
        station,
        transaction,
        "Ended",
        trigger_reason,
        charging_state="Idle",
        stopped_reason=stopped_reason,
        readings=readings or reading(ctx, "Transaction.End"),
    )
    await connector_state(ctx, station, then)


async def stop_authorized(
    ctx: CheckContext, station: ScriptedChargePoint, transaction: Transaction, token: str
) -> None:
    """The driver presents the token again to stop (TxStopPoint EVConnected: the transaction
    goes on until the cable is out): Authorize, Updated StopAuthorized, EVConnected."""
    await authorized(ctx, station, token)
    reply = await event(
        ctx,
        station,
        transaction,
        "Updated",
        "StopAuthorized",
        token=token,
        charging_state="EVConnected",
    )
    expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the stopping token {token!r}")


async def finished(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction,
    token: str,
    *,
    then: str = "Available",
) -> None:
    """StopAuthorized, then the cable out (EVDisconnected): the transaction Ended, the
    connector `then`."""
    await stop_authorized(ctx, station, transaction, token)
    await ev_disconnected(ctx, station, transaction, then=then)


async def ended_by_token(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    transaction: Transaction,
    token: str,
    *,
    stopped_reason: str | None = None,
) -> None:
    """The driver presents the token to stop (TxStopPoint Authorized): Authorize, then Ended
    by StopAuthorized with the token (no stoppedReason is the spec's way of saying Local),
    answered Accepted; the connector Available."""
    await authorized(ctx, station, token)
    reply = await event(
        ctx,
        station,
        transaction,
        "Ended",
        "StopAuthorized",
        token=token,
        charging_state="EVConnected",
        stopped_reason=stopped_reason,
        readings=reading(ctx, "Transaction.End"),
    )
    expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the stopping token {token!r}")
    await connector_state(ctx, station, "Available")


async def connection_timed_out(
    ctx: CheckContext, station: ScriptedChargePoint, transaction: Transaction
) -> None:
    """No cable came within EVConnectionTimeOut: Ended by EVConnectTimeout, stoppedReason
    Timeout, Idle."""
    await event(
        ctx,
        station,
        transaction,
        "Ended",
        "EVConnectTimeout",
        charging_state="Idle",
        stopped_reason="Timeout",
        readings=reading(ctx, "Transaction.End"),
    )
