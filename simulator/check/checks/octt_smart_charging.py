"""OCTT 1.6 SmartCharging cases: SetChargingProfile, GetCompositeSchedule, ClearChargingProfile.

Each makes the backend send its CALL through the run's trigger (`CheckContext.backend_sends`,
which compares every field of the profile, schedule periods included); without one they report
"not run" with the reason. After the charge point's answer the session goes on (a transaction
started, or the running one metered and stopped), and every message must be answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ocpp.messages import Call

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint, ScriptedReply
from simulator.check.verdicts import CheckFailed

SMART = Profile.SMART_CHARGING
#: The connector the profiles are meant for (connector 0 is the whole charge point).
CONNECTOR = 1
#: Added to the running transaction's id: a transactionId that is not the running one (TC_058_2_CS).
OFFSET_OF_A_WRONG_TRANSACTION_ID = 100_000


def _schedule(unit: str, *limits: float, step_s: int = 600, **extra: Any) -> dict[str, Any]:
    """A chargingSchedule in `unit` (A or W) with one period per limit, `step_s` apart."""
    periods = [{"startPeriod": i * step_s, "limit": limit} for i, limit in enumerate(limits)]
    return {"chargingRateUnit": unit, "chargingSchedulePeriod": periods, **extra}


def _profile(
    profile_id: int,
    purpose: str,
    kind: str,
    schedule: dict[str, Any],
    *,
    stack_level: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A csChargingProfiles (extra: transactionId, recurrencyKind, validFrom, validTo)."""
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        **extra,
        "chargingSchedule": schedule,
    }


def _absolute(
    ctx: CheckContext,
    profile_id: int,
    purpose: str,
    unit: str,
    *limits: float,
    stack_level: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """An Absolute profile whose schedule starts now and lasts an hour."""
    schedule = _schedule(unit, *limits, startSchedule=ctx.now(), duration=3600)
    return _profile(profile_id, purpose, "Absolute", schedule, stack_level=stack_level, **extra)


def _difference(expected: Any, observed: Any, path: str) -> tuple[str, str, str] | None:
    """The first field of `expected` that `observed` lacks or holds otherwise: (its path,
    the value wanted, the value relayed); fields the backend adds are not compared."""
    if isinstance(expected, Mapping) and isinstance(observed, Mapping):
        for key, value in expected.items():
            inner = f"{path}.{key}" if path else key
            if key not in observed:
                return inner, json.dumps(value), "absent"
            found = _difference(value, observed[key], inner)
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(observed, list) and len(expected) == len(observed):
        for index, (wanted, got) in enumerate(zip(expected, observed, strict=True)):
            found = _difference(wanted, got, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    return None if expected == observed else (path, json.dumps(expected), json.dumps(observed))


async def _relayed(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    action: str,
    payload: dict[str, Any],
    *,
    reply: ScriptedReply | None = None,
) -> None:
    """`ctx.backend_sends`; a CALL relayed otherwise fails naming the first field that differs
    (csChargingProfiles.chargingSchedule.chargingRateUnit), not the whole profile.

    A trigger that reports a failure once the CALL came as given and was answered Rejected is
    the backend telling its operator of the rejection: taken (noted), not a fail."""
    since = station.mark()
    try:
        await ctx.backend_sends(station, action, payload, reply=reply)
    except CheckFailed as failed:
        calls = [r.frame for r in station.received[since:] if isinstance(r.frame, Call)]
        relayed = next((c for c in calls if c.action == action), None)
        if relayed is None:
            raise
        found = _difference(payload, relayed.payload, "")
        if found is not None:
            path, wanted, got = found
            raise CheckFailed(f"{action} with {path} = {wanted}", f"{path} = {got}") from None
        if not (isinstance(reply, dict) and reply.get("status") == "Rejected"):
            raise
        ctx.note(f"the trigger reported the Rejected {action} as a failure: {failed.observed}")


def _ready(ctx: CheckContext, action: str = "SetChargingProfile") -> str:
    """Not run without a trigger (said before a transaction is opened); the Accepted tag."""
    ctx.require_trigger(action)
    return ctx.tag("Accepted")


async def _set_profile(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    profile: dict[str, Any],
    *,
    connector: int = CONNECTOR,
    status: str = "Accepted",
) -> None:
    """The backend sends SetChargingProfile with `profile`, answered `status`."""
    await _relayed(
        ctx,
        station,
        "SetChargingProfile",
        {"connectorId": connector, "csChargingProfiles": profile},
        reply={"status": status},
    )


async def _start(ctx: CheckContext, station: ScriptedChargePoint, tag: str) -> int:
    """Preparing, StartTransaction (Accepted, transactionId > 0), Charging."""
    await ctx.status(station, CONNECTOR, "Preparing")
    transaction_id, info = await ctx.start_transaction(station, tag, connector=CONNECTOR)
    ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
    ctx.expect(info.get("status") == "Accepted", "StartTransaction idTagInfo Accepted", str(info))
    await ctx.status(station, CONNECTOR, "Charging")
    return transaction_id


async def _finish(ctx: CheckContext, station: ScriptedChargePoint, transaction_id: int) -> None:
    """The transaction goes on under its profile: MeterValues, StopTransaction, Finishing,
    Available, each answered with a CALLRESULT."""
    await ctx.result(
        station,
        "MeterValues",
        {
            "connectorId": CONNECTOR,
            "transactionId": transaction_id,
            "meterValue": [ctx.meter_value(ctx.next_meter_wh(400))],
        },
    )
    await ctx.stop_transaction(station, transaction_id, reason="Local")
    await ctx.status(station, CONNECTOR, "Finishing")
    await ctx.status(station, CONNECTOR, "Available")


async def _charge(ctx: CheckContext, station: ScriptedChargePoint, tag: str) -> None:
    await _finish(ctx, station, await _start(ctx, station, tag))


@check(
    "TC_056_CS",
    "A default profile for the transactions to come",
    profile=SMART,
    clause="OCPP 1.6 §5.16 SetChargingProfile, §3.13.1 TxDefaultProfile",
    sends="answers SetChargingProfile Accepted; then a transaction with MeterValues and its stop",
    expects="SetChargingProfile connector 1 TxDefaultProfile Absolute in A, every field and "
    "period as triggered; the transaction's messages answered",
    backend_initiated=True,
)
async def default_profile(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        await _set_profile(ctx, station, _absolute(ctx, 5601, "TxDefaultProfile", "A", 32.0, 16.0))
        await _charge(ctx, station, tag)


@check(
    "TC_057_CS",
    "A profile for the running transaction",
    profile=SMART,
    clause="OCPP 1.6 §5.16 SetChargingProfile, §3.13.1 TxProfile (with the transactionId)",
    sends="a transaction; answers SetChargingProfile Accepted; MeterValues and the stop",
    expects="SetChargingProfile TxProfile Relative in W carrying the running transactionId; "
    "MeterValues and StopTransaction answered",
    backend_initiated=True,
)
async def transaction_profile(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        transaction_id = await _start(ctx, station, tag)
        schedule = _schedule("W", 11000.0, 7400.0, 3680.0)
        profile = _profile(5701, "TxProfile", "Relative", schedule, transactionId=transaction_id)
        await _set_profile(ctx, station, profile)
        await _finish(ctx, station, transaction_id)


@check(
    "TC_058_1_CS",
    "A transaction profile with no transaction running is rejected",
    profile=SMART,
    clause="OCPP 1.6 §5.16 SetChargingProfile (a TxProfile without a transaction: Rejected)",
    sends="answers SetChargingProfile Rejected; then a transaction with MeterValues and its stop",
    expects="SetChargingProfile TxProfile as triggered (answered Rejected: the trigger may say "
    "so); the later transaction's messages answered",
    backend_initiated=True,
)
async def profile_without_transaction(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        profile = _profile(5811, "TxProfile", "Relative", _schedule("A", 20.0, 10.0))
        await _set_profile(ctx, station, profile, status="Rejected")
        await _charge(ctx, station, tag)


@check(
    "TC_058_2_CS",
    "A transaction profile for another transaction is rejected",
    profile=SMART,
    clause="OCPP 1.6 §5.16 SetChargingProfile (a TxProfile for an unknown transaction: Rejected)",
    sends="a transaction; answers SetChargingProfile Rejected; MeterValues and the stop",
    expects="SetChargingProfile TxProfile with the wrong transactionId as triggered (answered "
    "Rejected); the running transaction's MeterValues and stop answered",
    backend_initiated=True,
)
async def profile_for_wrong_transaction(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        transaction_id = await _start(ctx, station, tag)
        wrong = transaction_id + OFFSET_OF_A_WRONG_TRANSACTION_ID
        profile = _profile(5821, "TxProfile", "Relative", _schedule("A", 16.0), transactionId=wrong)
        await _set_profile(ctx, station, profile, status="Rejected")
        await _finish(ctx, station, transaction_id)


def _remote_start(tag: str, profile_id: int) -> dict[str, Any]:
    """RemoteStartTransaction with a TxProfile (no transactionId: §5.11)."""
    schedule = _schedule("A", 24.0, 12.0, step_s=900)
    profile = _profile(profile_id, "TxProfile", "Relative", schedule)
    return {"connectorId": CONNECTOR, "idTag": tag, "chargingProfile": profile}


@check(
    "TC_059_CS",
    "Remote start with a charging profile",
    profile=SMART,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction (chargingProfile: TxProfile, no "
    "transactionId), §3.13.1",
    sends="answers RemoteStartTransaction Accepted; then the transaction, MeterValues, the stop",
    expects="RemoteStartTransaction with the idTag and the TxProfile as triggered; "
    "StartTransaction Accepted, every message answered",
    backend_initiated=True,
)
async def remote_start_with_profile(ctx: CheckContext) -> None:
    tag = _ready(ctx, "RemoteStartTransaction")
    async with ctx.booted() as station:
        await _relayed(ctx, station, "RemoteStartTransaction", _remote_start(tag, 5901))
        await _charge(ctx, station, tag)


@check(
    "TC_060_CS",
    "Remote start with a charging profile, rejected by the charge point",
    profile=SMART,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction (status Rejected: no transaction starts)",
    sends="answers RemoteStartTransaction Rejected; then the driver starts locally",
    expects="RemoteStartTransaction with the TxProfile as triggered (answered Rejected); the "
    "local Authorize and transaction of the same tag Accepted",
    backend_initiated=True,
)
async def remote_start_with_profile_rejected(ctx: CheckContext) -> None:
    tag = _ready(ctx, "RemoteStartTransaction")
    async with ctx.booted() as station:
        payload = _remote_start(tag, 6001)
        await _relayed(
            ctx, station, "RemoteStartTransaction", payload, reply={"status": "Rejected"}
        )
        status = await ctx.authorize(station, tag)
        ctx.expect(status == "Accepted", "Authorize idTagInfo Accepted", status)
        await _charge(ctx, station, tag)


@check(
    "TC_066_CS",
    "Get the composite schedule of a connector",
    profile=SMART,
    clause="OCPP 1.6 §5.7 GetCompositeSchedule, §3.13.3 combining profile purposes",
    sends="answers SetChargingProfile Accepted, then GetCompositeSchedule Accepted with the "
    "schedule",
    expects="GetCompositeSchedule connector 1, duration 3600 s, in A; the backend takes the "
    "schedule (its trigger reports success)",
    backend_initiated=True,
)
async def composite_schedule(ctx: CheckContext) -> None:
    ctx.require_trigger("SetChargingProfile")
    async with ctx.booted() as station:
        profile = _absolute(ctx, 6601, "TxDefaultProfile", "A", 32.0, 16.0)
        await _set_profile(ctx, station, profile)
        composite = {
            "status": "Accepted",
            "connectorId": CONNECTOR,
            "scheduleStart": profile["chargingSchedule"]["startSchedule"],
            "chargingSchedule": _schedule("A", 32.0, 16.0, duration=3600),
        }
        request = {"connectorId": CONNECTOR, "duration": 3600, "chargingRateUnit": "A"}
        await _relayed(ctx, station, "GetCompositeSchedule", request, reply=composite)
        await station.still_open()


@check(
    "TC_067_CS",
    "Clear charging profiles by id and by purpose",
    profile=SMART,
    clause="OCPP 1.6 §5.5 ClearChargingProfile, §5.16 SetChargingProfile",
    sends="answers two SetChargingProfile (TxDefaultProfile on connector 1, ChargePointMaxProfile "
    "on connector 0) and two ClearChargingProfile Accepted; then a transaction",
    expects="ClearChargingProfile with the profile's id, then with connector 0, "
    "ChargePointMaxProfile and stackLevel 0; the transaction's messages answered",
    backend_initiated=True,
)
async def clear_profiles(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        await _set_profile(ctx, station, _absolute(ctx, 6701, "TxDefaultProfile", "A", 16.0))
        maximum = _absolute(ctx, 6702, "ChargePointMaxProfile", "A", 63.0)
        await _set_profile(ctx, station, maximum, connector=0)
        await _relayed(ctx, station, "ClearChargingProfile", {"id": 6701})
        by_purpose = {"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}
        await _relayed(ctx, station, "ClearChargingProfile", by_purpose | {"stackLevel": 0})
        await _charge(ctx, station, tag)


@check(
    "TC_072_CS",
    "Stacked default profiles: a daily one under a higher-level one",
    profile=SMART,
    clause="OCPP 1.6 §3.13.2 stacking charging profiles, §5.16 SetChargingProfile",
    sends="answers SetChargingProfile Accepted twice; then a transaction with MeterValues and "
    "its stop",
    expects="TxDefaultProfile Recurring Daily at stackLevel 0, then Absolute at stackLevel 1 "
    "valid for an hour, each as triggered; the transaction's messages answered",
    backend_initiated=True,
)
async def stacked_profiles(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        daily = _schedule("A", 32.0, 16.0, 32.0, step_s=8 * 3600, startSchedule=ctx.now())
        base = _profile(7201, "TxDefaultProfile", "Recurring", daily, recurrencyKind="Daily")
        await _set_profile(ctx, station, base)
        window = {"validFrom": ctx.now(), "validTo": ctx.now(3600)}
        top = _absolute(ctx, 7202, "TxDefaultProfile", "A", 10.0, 6.0, stack_level=1, **window)
        await _set_profile(ctx, station, top)
        await _charge(ctx, station, tag)


@check(
    "TC_082_CS",
    "A default profile set while a transaction runs",
    profile=SMART,
    clause="OCPP 1.6 §5.16 SetChargingProfile, §3.13.1 TxDefaultProfile (applies to the "
    "running transaction)",
    sends="a transaction; answers SetChargingProfile Accepted; MeterValues and the stop",
    expects="SetChargingProfile connector 1 TxDefaultProfile Absolute in W as triggered; "
    "MeterValues and StopTransaction answered",
    backend_initiated=True,
)
async def default_profile_during_transaction(ctx: CheckContext) -> None:
    tag = _ready(ctx)
    async with ctx.booted() as station:
        transaction_id = await _start(ctx, station, tag)
        profile = _absolute(ctx, 8201, "TxDefaultProfile", "W", 7400.0, 3680.0)
        await _set_profile(ctx, station, profile)
        await _finish(ctx, station, transaction_id)
