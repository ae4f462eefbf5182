"""OCTT 1.6 Reservation cases: ReserveNow and CancelReservation, and the reserved
connector's use.

Each makes the backend send ReserveNow (or CancelReservation) through the run's trigger
(`CheckContext.backend_sends`), the scripted charge point answers as the case says, then plays
its part (a Reserved connector, the reserved tag's transaction, the reservation's end) and
holds the backend to its answers. Without a trigger they report "not run"; a backend that
answers a reservation's messages with NotImplemented/NotSupported makes them not applicable.

A reservation of the whole charge point (connector 0) reserves no specific connector (§5.13:
the charge point keeps one free), so those cases report no Reserved status.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, parse_time
from simulator.check.station import ScriptedChargePoint
from simulator.check.verdicts import NotApplicable

RESERVATION = Profile.RESERVATION
#: How long a reservation of these cases is valid.
VALID_S: Final = 600.0
#: TC_047_CS: how soon its reservation expires (the check waits that long).
EXPIRES_SOON_S: Final = 2.0
#: What the charge point reports before it refuses a reservation of each kind.
REFUSAL_STATES: Final = {"Faulted": "Faulted", "Unavailable": "Unavailable"}
#: The error code of a Faulted report (connector 0: the charge point itself).
FAULT_CODES: Final = {0: "InternalError", 1: "GroundFailure"}


def _siblings(ctx: CheckContext) -> tuple[str, str, str]:
    if ctx.target.sibling_tags is None:
        raise NotApplicable(
            "no two Accepted tags with the same parent_id_tag in --id-tags (CSV "
            "id_tag,status,expiry_date,parent_id_tag)"
        )
    return ctx.target.sibling_tags


async def _reserve(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    connector: int,
    id_tag: str,
    *,
    answer: str = "Accepted",
    parent_id_tag: str | None = None,
    valid_s: float = VALID_S,
) -> tuple[int, str]:
    """The backend sends ReserveNow for `connector` and `id_tag` (a new reservationId, an
    expiryDate `valid_s` ahead), answered `answer`; returns (reservationId, expiryDate)."""
    reservation_id = 1 + secrets.randbelow(2**31 - 2)
    payload: dict[str, Any] = {
        "connectorId": connector,
        "expiryDate": ctx.now(valid_s),
        "idTag": id_tag,
        "reservationId": reservation_id,
    }
    if parent_id_tag is not None:
        payload["parentIdTag"] = parent_id_tag
    await ctx.backend_sends(station, "ReserveNow", payload, reply={"status": answer})
    if answer == "Accepted" and connector > 0:
        await ctx.status(station, connector, "Reserved")
    return reservation_id, payload["expiryDate"]


async def _authorized(
    ctx: CheckContext, station: ScriptedChargePoint, id_tag: str, parent_id_tag: str | None
) -> None:
    """Authorize `id_tag`: Accepted, and with the reservation's parent when it has one (the
    charge point needs it to let the tag use the reservation, §5.13)."""
    info = (await ctx.result(station, "Authorize", {"idTag": id_tag}))["idTagInfo"]
    ctx.expect(info.get("status") == "Accepted", f"Authorize {id_tag!r} Accepted", str(info))
    if parent_id_tag is not None:
        ctx.expect(
            info.get("parentIdTag") == parent_id_tag,
            f"Authorize {id_tag!r}: idTagInfo parentIdTag {parent_id_tag!r} (the "
            "reservation's parent)",
            str(info),
        )


async def _charge(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    id_tag: str,
    reservation_id: int | None,
    *,
    connector: int = 1,
    why: str = "",
) -> None:
    """Preparing, StartTransaction (with the reservationId, if any), Charging, then the stop:
    the start must be Accepted with a transactionId > 0 (`why`: the reason, for the verdict)."""
    await ctx.status(station, connector, "Preparing")
    payload: dict[str, Any] = {
        "connectorId": connector,
        "idTag": id_tag,
        "meterStart": ctx.next_meter_wh(),
        "timestamp": ctx.now(),
    }
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    reply = await ctx.result(station, "StartTransaction", payload)
    using = f" with reservationId {reservation_id}" if reservation_id is not None else ""
    info = reply["idTagInfo"]
    ctx.expect(
        reply["transactionId"] > 0 and info.get("status") == "Accepted",
        f"StartTransaction of {id_tag!r}{using}: idTagInfo Accepted, a transactionId > 0{why}",
        f"transactionId {reply['transactionId']}, idTagInfo {info}",
    )
    await ctx.status(station, connector, "Charging")
    await ctx.stop_transaction(station, reply["transactionId"], reason="Local")
    await ctx.status(station, connector, "Available")


async def _reserved_session(ctx: CheckContext, *, remote: bool, sibling: bool = False) -> None:
    """Connector 1 reserved for a tag, then used: by that tag, or (`sibling`) by another tag
    of its group; started at the charge point, or (`remote`) by RemoteStartTransaction."""
    if sibling:
        reserved_for, user, parent = _siblings(ctx)
    else:
        reserved_for = user = await ctx.backend_knows_tag("Accepted")
        parent = None
    async with ctx.booted() as station:
        reservation_id, _ = await _reserve(ctx, station, 1, reserved_for, parent_id_tag=parent)
        if remote:
            await ctx.backend_sends(
                station, "RemoteStartTransaction", {"connectorId": 1, "idTag": user}
            )
        if not remote or sibling:
            await _authorized(ctx, station, user, parent)
        await _charge(ctx, station, user, reservation_id)


async def _refused(ctx: CheckContext, connector: int, answer: str) -> None:
    """The charge point is in the state that makes it answer ReserveNow `answer`; after the
    refusal the backend must hold no reservation: another tag starts without one."""
    reserved_for = await ctx.backend_knows_tag("Accepted")
    async with ctx.booted() as station:
        busy = range(1, ctx.target.connectors + 1) if connector == 0 else (connector,)
        state = REFUSAL_STATES.get(answer)
        if state is not None:
            await ctx.status(station, connector, state, FAULT_CODES[min(connector, 1)])
        occupied: list[tuple[int, int]] = []
        if answer == "Occupied":
            for number in busy:
                await ctx.status(station, number, "Preparing")
                transaction_id, _ = await ctx.start_transaction(
                    station, await ctx.backend_knows_tag("Accepted"), connector=number
                )
                await ctx.status(station, number, "Charging")
                occupied.append((number, transaction_id))
        await _reserve(ctx, station, connector, reserved_for, answer=answer)
        for number, transaction_id in occupied:
            await ctx.stop_transaction(station, transaction_id, reason="Local")
            await ctx.status(station, number, "Available")
        if state is not None:
            await ctx.status(station, connector, "Available")
        other = await ctx.backend_knows_tag("Accepted")
        why = f" (after ReserveNow {answer} no reservation holds)"
        await _charge(ctx, station, other, None, connector=busy[0], why=why)


def _refusal_check(check_id: str, connector: int, answer: str, title: str, before: str) -> None:
    what = f"connector {connector}" if connector else "the charge point (connector 0)"

    @check(
        check_id,
        title,
        profile=RESERVATION,
        clause="OCPP 1.6 §5.13 ReserveNow (the charge point's answers), §6.38 ReserveNow.conf",
        sends=f"{before}answers ReserveNow {answer}; then a transaction of another tag without "
        "a reservationId",
        expects=f"ReserveNow for {what} with the idTag, a reservationId and an expiryDate in the "
        "future; after the refusal the other tag's StartTransaction Accepted (no reservation "
        "kept)",
        backend_initiated=True,
    )
    async def refused(ctx: CheckContext) -> None:
        await _refused(ctx, connector, answer)


@check(
    "TC_046_1_CS",
    "Reservation of a connector, used by a local start",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow, §4.9 StatusNotification (Reserved), §4.8 "
    "StartTransaction (reservationId)",
    sends="answers ReserveNow Accepted; Reserved; Authorize; Preparing; StartTransaction with "
    "the reservationId; Charging; the stop",
    expects="ReserveNow for connector 1 with the idTag, a reservationId and an expiryDate in the "
    "future; every status answered; Authorize and the start Accepted, a transactionId > 0",
    backend_initiated=True,
)
async def reserved_local_start(ctx: CheckContext) -> None:
    await _reserved_session(ctx, remote=False)


@check(
    "TC_046_2_CS",
    "Reservation of a connector, used by a remote start",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow, §5.11 RemoteStartTransaction, §4.8 StartTransaction "
    "(reservationId)",
    sends="answers ReserveNow Accepted; Reserved; answers RemoteStartTransaction Accepted; "
    "Preparing; StartTransaction with the reservationId; Charging; the stop",
    expects="ReserveNow for connector 1, then RemoteStartTransaction for connector 1 with the "
    "reserved idTag; the start Accepted, a transactionId > 0",
    backend_initiated=True,
)
async def reserved_remote_start(ctx: CheckContext) -> None:
    await _reserved_session(ctx, remote=True)


@check(
    "TC_047_CS",
    "Reservation of a connector expires",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow (expiryDate), §4.9 StatusNotification",
    sends=f"answers ReserveNow Accepted; Reserved; after the expiryDate ({EXPIRES_SOON_S:g} s "
    "ahead) Available",
    expects="ReserveNow for connector 1 with its expiryDate; Reserved and the Available after "
    "the expiry answered",
    backend_initiated=True,
)
async def reservation_expires(ctx: CheckContext) -> None:
    tag = await ctx.backend_knows_tag("Accepted")
    async with ctx.booted() as station:
        _, expiry = await _reserve(ctx, station, 1, tag, valid_s=EXPIRES_SOON_S)
        expires_at = parse_time(expiry) or datetime.now(UTC)
        ctx.note(f"the reservation expires at {expiry}")
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)) / timedelta(seconds=1)))
        await ctx.status(station, 1, "Available")


_refusal_check(
    "TC_048_1_CS",
    1,
    "Faulted",
    "Reservation of a faulted connector",
    "Faulted (GroundFailure) on connector 1; ",
)
_refusal_check(
    "TC_048_2_CS",
    1,
    "Occupied",
    "Reservation of an occupied connector",
    "a transaction on connector 1; ",
)
_refusal_check(
    "TC_048_3_CS",
    1,
    "Unavailable",
    "Reservation of an unavailable connector",
    "Unavailable on connector 1; ",
)
_refusal_check("TC_048_4_CS", 1, "Rejected", "Reservation of a connector rejected", "")


@check(
    "TC_049_CS",
    "Reservation of the charge point, used by a transaction",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow (connectorId 0), §4.8 StartTransaction (reservationId)",
    sends="answers ReserveNow Accepted (no connector turns Reserved); Authorize; Preparing; "
    "StartTransaction on connector 1 with the reservationId; Charging; the stop",
    expects="ReserveNow for connector 0 with the idTag, a reservationId and an expiryDate in the "
    "future; Authorize and the start Accepted, a transactionId > 0",
    backend_initiated=True,
)
async def charge_point_reserved(ctx: CheckContext) -> None:
    tag = await ctx.backend_knows_tag("Accepted")
    async with ctx.booted() as station:
        reservation_id, _ = await _reserve(ctx, station, 0, tag)
        await _authorized(ctx, station, tag, None)
        await _charge(ctx, station, tag, reservation_id)


_refusal_check(
    "TC_050_1_CS",
    0,
    "Faulted",
    "Reservation of a faulted charge point",
    "Faulted (InternalError) on connector 0; ",
)
_refusal_check(
    "TC_050_2_CS",
    0,
    "Occupied",
    "Reservation of an occupied charge point",
    "a transaction on every connector; ",
)
_refusal_check(
    "TC_050_3_CS",
    0,
    "Unavailable",
    "Reservation of an unavailable charge point",
    "Unavailable on connector 0; ",
)
_refusal_check("TC_050_4_CS", 0, "Rejected", "Reservation of the charge point rejected", "")


@check(
    "TC_051_CS",
    "Cancel a reservation",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.1 CancelReservation, §4.9 StatusNotification",
    sends="answers ReserveNow Accepted; Reserved; answers CancelReservation Accepted; Available",
    expects="CancelReservation with the reservationId of the ReserveNow; Reserved and "
    "Available answered",
    backend_initiated=True,
)
async def cancel_reservation(ctx: CheckContext) -> None:
    tag = await ctx.backend_knows_tag("Accepted")
    async with ctx.booted() as station:
        reservation_id, _ = await _reserve(ctx, station, 1, tag)
        await ctx.backend_sends(station, "CancelReservation", {"reservationId": reservation_id})
        await ctx.status(station, 1, "Available")


@check(
    "TC_052_CS",
    "Cancel a reservation, rejected",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.1 CancelReservation (Rejected: no such reservation)",
    sends="answers CancelReservation Rejected (it holds no reservation)",
    expects="CancelReservation with the reservationId asked for",
    backend_initiated=True,
)
async def cancel_reservation_rejected(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "CancelReservation",
            {"reservationId": 1 + secrets.randbelow(2**31 - 2)},
            reply={"status": "Rejected"},
        )


@check(
    "TC_053_1_CS",
    "A reserved connector used by another tag of the group (parentIdTag), local start",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow (parentIdTag), §4.1 Authorize (idTagInfo parentIdTag)",
    sends="answers ReserveNow Accepted; Reserved; Authorize tag B; Preparing; StartTransaction "
    "of tag B with the reservationId; Charging; the stop",
    expects="ReserveNow for tag A with the group's parentIdTag; Authorize B Accepted with that "
    "parentIdTag; B's start Accepted (needs two Accepted tags of one group)",
    backend_initiated=True,
)
async def sibling_local_start(ctx: CheckContext) -> None:
    await _reserved_session(ctx, remote=False, sibling=True)


@check(
    "TC_053_2_CS",
    "A reserved connector used by another tag of the group (parentIdTag), remote start",
    profile=RESERVATION,
    clause="OCPP 1.6 §5.13 ReserveNow (parentIdTag), §5.11 RemoteStartTransaction, §4.1 "
    "Authorize (idTagInfo parentIdTag)",
    sends="answers ReserveNow Accepted; Reserved; answers RemoteStartTransaction for tag B; "
    "Authorize B; Preparing; StartTransaction of B with the reservationId; Charging; the stop",
    expects="ReserveNow for tag A with the group's parentIdTag; RemoteStartTransaction for B; "
    "Authorize B Accepted with that parentIdTag; B's start Accepted",
    backend_initiated=True,
)
async def sibling_remote_start(ctx: CheckContext) -> None:
    await _reserved_session(ctx, remote=True, sibling=True)
