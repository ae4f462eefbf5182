"""OCTT 2.0.1 block G, availability (the CSMS cases of the Core profile): ChangeAvailability
of an EVSE, of the whole station and of one connector, both ways, idle (Accepted: the station
reports the new state at once) and during a transaction (Scheduled: the state changes once
the transaction ends), and a connector's lock failure reported by NotifyEvent.

A 2.0.1 station reports a connector's state twice: StatusNotification and the NotifyEvent of
Connector.AvailabilityState (G01, G03); the CSMS must answer both. The station numbers its
EVSEs 1..N (`--connectors`) with one connector each.
"""

from __future__ import annotations

from typing import Any

from simulator.check.catalogue import check201
from simulator.check.checks.v201_e_states import (
    CONNECTOR,
    EVSE,
    charging,
    connector_state,
    finished,
    notify_event,
)
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint


def _request(operational_status: str, scope: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"operationalStatus": operational_status}
    if scope == "evse":
        payload["evse"] = {"id": EVSE}
    elif scope == "connector":
        payload["evse"] = {"id": EVSE, "connectorId": CONNECTOR}
    return payload


async def _change(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    operational_status: str,
    scope: str,
    reply: str = "Accepted",
) -> None:
    payload = _request(operational_status, scope)
    call = await ctx.backend_sends(station, "ChangeAvailability", payload, reply={"status": reply})
    if scope == "station":
        ctx.expect(
            "evse" not in call.payload,
            "ChangeAvailability without evse (the whole station)",
            f"evse {call.payload.get('evse')}",
        )


def _evses(ctx: CheckContext, scope: str) -> list[int]:
    return list(range(1, ctx.target.connectors + 1)) if scope == "station" else [EVSE]


async def _idle_change(ctx: CheckContext, scope: str, operational_status: str) -> None:
    """Idle: (back from Unavailable, for Operative) the request, Accepted, and the new state of
    each connector it covers."""
    ctx.require_trigger("ChangeAvailability")
    new_state = "Unavailable" if operational_status == "Inoperative" else "Available"
    async with ctx.booted() as station:
        if operational_status == "Operative":  # the station's memory: made Unavailable before
            for evse_id in _evses(ctx, scope):
                await connector_state(ctx, station, "Unavailable", evse_id=evse_id)
        await _change(ctx, station, operational_status, scope)
        for evse_id in _evses(ctx, scope):
            await connector_state(ctx, station, new_state, evse_id=evse_id)


#: The use case of each scope's request.
_USE_CASES = {
    "station": "OCPP 2.0.1 G04 Change Availability Charging Station",
    "evse": "OCPP 2.0.1 G03 Change Availability EVSE/Connector",
    "connector": "OCPP 2.0.1 G03 Change Availability EVSE/Connector",
}
#: How each scope's request names what it covers.
_SCOPES = {
    "station": " (no evse)",
    "evse": " with evse {id 1}",
    "connector": " with evse {id 1, connectorId 1}",
}


def _idle_case(case_id: str, scope: str, operational_status: str, what: str) -> None:
    inoperative = operational_status == "Inoperative"
    before, after = ("operative", "inoperative") if inoperative else ("inoperative", "operative")
    state = "Unavailable" if inoperative else "Available"
    request = f"ChangeAvailability {operational_status}{_SCOPES[scope]}"
    first = "" if inoperative else "every connector it covers reported Unavailable first; "

    async def run(ctx: CheckContext) -> None:
        await _idle_change(ctx, scope, operational_status)

    run.__name__ = f"change_availability_{scope}_{operational_status.lower()}"
    check201(
        case_id,
        f"Change availability of {what}: {before} to {after}",
        clause=_USE_CASES[scope],
        sends=f"{first}{request} made to come through the trigger, Accepted; "
        f"StatusNotification {state} and NotifyEvent AvailabilityState of each connector it "
        "covers",
        expects=f"{request}; every notification answered",
        backend_initiated=True,
    )(run)


_idle_case("TC_G_03_CSMS", "evse", "Inoperative", "an EVSE")
_idle_case("TC_G_04_CSMS", "evse", "Operative", "an EVSE")
_idle_case("TC_G_05_CSMS", "station", "Inoperative", "the charging station")
_idle_case("TC_G_06_CSMS", "station", "Operative", "the charging station")
_idle_case("TC_G_07_CSMS", "connector", "Inoperative", "a connector")
_idle_case("TC_G_08_CSMS", "connector", "Operative", "a connector")


async def _scheduled_change(ctx: CheckContext, scope: str) -> None:
    """During a transaction on EVSE 1: Inoperative answered Scheduled; the connectors the
    transaction does not hold go Unavailable now, EVSE 1 once the transaction has ended."""
    token = ctx.tag("Accepted")
    ctx.require_trigger("ChangeAvailability")
    async with ctx.booted() as station:
        transaction = await charging(ctx, station, token)
        await _change(ctx, station, "Inoperative", scope, reply="Scheduled")
        for evse_id in _evses(ctx, scope):
            if evse_id != EVSE:
                await connector_state(ctx, station, "Unavailable", evse_id=evse_id)
        await finished(ctx, station, transaction, token, then="Unavailable")
        await station.still_open()


def _scheduled_case(case_id: str, scope: str, what: str) -> None:
    async def run(ctx: CheckContext) -> None:
        await _scheduled_change(ctx, scope)

    run.__name__ = f"change_availability_{scope}_scheduled"
    check201(
        case_id,
        f"Change availability of {what} with an ongoing transaction",
        clause=f"{_USE_CASES[scope]}, ChangeAvailabilityStatusEnumType Scheduled (the change "
        "waits for the transaction's end)",
        sends="a session charging on EVSE 1; ChangeAvailability Inoperative made to come "
        "through the trigger, answered Scheduled; the session stopped and ended; EVSE 1 "
        "Unavailable (the other EVSEs at once, for the station)",
        expects="ChangeAvailability Inoperative of that scope; every message answered after "
        "the Scheduled; the connection kept",
        backend_initiated=True,
    )(run)


_scheduled_case("TC_G_11_CSMS", "evse", "an EVSE")
_scheduled_case("TC_G_14_CSMS", "station", "the charging station")
_scheduled_case("TC_G_17_CSMS", "connector", "a connector")


@check201(
    "TC_G_20_CSMS",
    "Connector status notification: lock failure",
    clause="OCPP 2.0.1 G05 Lock Failure (G05.FR.03: NotifyEvent of the lock's Problem)",
    sends="NotifyEvent of ConnectorPlugRetentionLock.Problem = true (Delta) for EVSE 1 "
    "connector 1, then of false",
    expects="both NotifyEvents answered",
)
async def lock_failure(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for value in ("true", "false"):
            await notify_event(ctx, station, "ConnectorPlugRetentionLock", "Problem", value)
