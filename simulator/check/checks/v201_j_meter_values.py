"""OCTT 2.0.1 block J, meter values (the CSMS cases of the Core profile): clock-aligned
readings outside and inside a transaction (MeterValues, context Sample.Clock), sampled
readings inside TransactionEvents (Transaction.Begin, Sample.Periodic, Transaction.End), and
signed readings (signedMeterValue).

2.0.1 spells a reading differently from 1.6: `value` is a number, the unit and its
power-of-ten multiplier sit in `unitOfMeasure`. The CSMS must answer every MeterValues and
TransactionEvent that carries them (J02.FR.19: a TransactionEventResponse, else the station
resends).
"""

from __future__ import annotations

from typing import Any

from simulator.check.catalogue import check201
from simulator.check.checks.v201_e_states import (
    EVSE,
    Transaction,
    authorized,
    charging,
    clock_aligned,
    connector_state,
    energy_transfer_started,
    ev_connected_pre_session,
    ev_disconnected,
    event,
    expect_status,
    meter_value,
    reading,
    stop_authorized,
)
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint


async def _clock_meter_values(
    ctx: CheckContext, station: ScriptedChargePoint, evse_id: int
) -> None:
    """MeterValues of one EVSE at the last clock-aligned instant, context Sample.Clock."""
    energy = ctx.next_meter_wh(100)
    await ctx.result(
        station,
        "MeterValues",
        {
            "evseId": evse_id,
            "meterValue": [meter_value(ctx, energy, "Sample.Clock", at=clock_aligned())],
        },
    )


@check201(
    "TC_J_01_CSMS",
    "Clock-aligned meter values, no transaction ongoing",
    clause="OCPP 2.0.1 J01 Sending Meter Values not related to a transaction (J01.FR.18), "
    "ReadingContextEnumType Sample.Clock, evseId 0: the main meter",
    sends="MeterValues of the main meter (evseId 0) and of each EVSE, at the last "
    "quarter hour, context Sample.Clock",
    expects="every MeterValues answered",
)
async def clock_aligned_idle(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for evse_id in range(ctx.target.connectors + 1):
            await _clock_meter_values(ctx, station, evse_id)


@check201(
    "TC_J_02_CSMS",
    "Clock-aligned meter values, transaction ongoing",
    clause="OCPP 2.0.1 J01 (J01.FR.18: clock-aligned readings also during a transaction)",
    sends="a session charging on EVSE 1; MeterValues of EVSE 1, context Sample.Clock; stop, Ended",
    expects="the MeterValues answered; every event answered",
)
async def clock_aligned_in_transaction(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await _clock_meter_values(ctx, station, EVSE)
        await stop_authorized(ctx, station, transaction, token)
        await ev_disconnected(ctx, station, transaction)


def _end_readings(ctx: CheckContext, context: str, *, signed: bool) -> list[dict[str, Any]]:
    """What an Ended carries: a reading of `context` (Sample.Clock: at the last quarter
    hour), then the Transaction.End one."""
    at = clock_aligned() if context == "Sample.Clock" else None
    return [
        meter_value(ctx, ctx.next_meter_wh(100), context, signed=signed, at=at),
        meter_value(ctx, ctx.next_meter_wh(100), "Transaction.End", signed=signed),
    ]


async def _ended_with(ctx: CheckContext, context: str, *, signed: bool) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await stop_authorized(ctx, station, transaction, token)
        await ev_disconnected(
            ctx, station, transaction, readings=_end_readings(ctx, context, signed=signed)
        )


@check201(
    "TC_J_03_CSMS",
    "Clock-aligned meter values in the Ended event",
    clause="OCPP 2.0.1 J01 (J01.FR.18), AlignedDataCtrlr.TxEndedMeasurands in the Ended",
    sends="a session charging; stop; Ended with a Sample.Clock reading and the Transaction.End one",
    expects="the Ended answered",
)
async def clock_aligned_ended(ctx: CheckContext) -> None:
    await _ended_with(ctx, "Sample.Clock", signed=False)


@check201(
    "TC_J_04_CSMS",
    "Clock-aligned meter values in the Ended event, signed",
    clause="OCPP 2.0.1 J01 (J01.FR.21: signed readings), SignedMeterValueType",
    sends="as TC_J_03_CSMS, each reading with a signedMeterValue",
    expects="the Ended answered",
)
async def clock_aligned_signed(ctx: CheckContext) -> None:
    await _ended_with(ctx, "Sample.Clock", signed=True)


@check201(
    "TC_J_07_CSMS",
    "Sampled meter values: the Started event, EVSE known",
    clause="OCPP 2.0.1 J02 Sending transaction related Meter Values (J02.FR.19), E02.FR.02 (the "
    "Started's readings)",
    sends="the cable plugged in: Started (CablePluggedIn) on EVSE 1 with a Transaction.Begin "
    "reading; authorized, charging, stop, Ended",
    expects="every event answered",
)
async def sampled_started(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await ev_connected_pre_session(ctx, station)
        await authorized(ctx, station, token)
        reply = await event(ctx, station, transaction, "Updated", "Authorized", token=token)
        expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the token {token!r}")
        await energy_transfer_started(ctx, station, transaction)
        await stop_authorized(ctx, station, transaction, token)
        await ev_disconnected(ctx, station, transaction)


@check201(
    "TC_J_08_CSMS",
    "Sampled meter values: Transaction.Begin, the EVSE not known at the start",
    clause="OCPP 2.0.1 J02 (J02.FR.19), E01 (the evse given once it is known)",
    sends="Authorize, Started by Authorized with the idToken and no evse (the driver "
    "authorized at the station, not at an EVSE); the cable in: Updated CablePluggedIn with "
    "evse 1 and a Transaction.Begin reading; charging, stop, Ended",
    expects="the Started answered with idTokenInfo Accepted; every event answered",
)
async def sampled_begin_evse_unknown(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await authorized(ctx, station, token)
        transaction = Transaction.new()
        reply = await event(
            ctx, station, transaction, "Started", "Authorized", token=token, with_evse=False
        )
        expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the token {token!r}")
        await connector_state(ctx, station, "Occupied")
        await event(
            ctx,
            station,
            transaction,
            "Updated",
            "CablePluggedIn",
            charging_state="EVConnected",
            readings=reading(ctx, "Transaction.Begin"),
        )
        await energy_transfer_started(ctx, station, transaction)
        await stop_authorized(ctx, station, transaction, token)
        await ev_disconnected(ctx, station, transaction)


@check201(
    "TC_J_09_CSMS",
    "Sampled meter values: Updated events",
    clause="OCPP 2.0.1 J02 (J02.FR.19: SampledDataCtrlr.TxUpdatedInterval), TriggerReasonEnumType "
    "MeterValuePeriodic",
    sends="a session charging; three Updated events by MeterValuePeriodic, each with a "
    "Sample.Periodic reading; stop, Ended",
    expects="every event answered",
)
async def sampled_updated(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        for _ in range(3):
            await event(
                ctx,
                station,
                transaction,
                "Updated",
                "MeterValuePeriodic",
                readings=reading(ctx, "Sample.Periodic"),
            )
        await stop_authorized(ctx, station, transaction, token)
        await ev_disconnected(ctx, station, transaction)


@check201(
    "TC_J_10_CSMS",
    "Sampled meter values in the Ended event",
    clause="OCPP 2.0.1 J02 (J02.FR.19: SampledDataCtrlr.TxEndedMeasurands)",
    sends="a session charging; stop; Ended with a Sample.Periodic reading and the "
    "Transaction.End one",
    expects="the Ended answered",
)
async def sampled_ended(ctx: CheckContext) -> None:
    await _ended_with(ctx, "Sample.Periodic", signed=False)


@check201(
    "TC_J_11_CSMS",
    "Sampled meter values in the Ended event, signed",
    clause="OCPP 2.0.1 J02 (J02.FR.21: signed readings), SignedMeterValueType",
    sends="as TC_J_10_CSMS, each reading with a signedMeterValue",
    expects="the Ended answered",
)
async def sampled_signed(ctx: CheckContext) -> None:
    await _ended_with(ctx, "Sample.Periodic", signed=True)
