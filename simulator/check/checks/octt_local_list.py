"""OCTT 1.6 LocalAuthListManagement cases: GetLocalListVersion, SendLocalList, and ids in
the list.

The backend is made to send its CALLs through the run's trigger (`CheckContext.backend_sends`,
which also asserts the CALL carries the list, version and update type it was given); the
scripted charge point answers as each case says, and the backend must take the answer (its
trigger reports success) and keep the connection usable. A tag in the local list must still
start a session: the backend verifies the tag of a StartTransaction itself (§4.8), Authorize
or not.
"""

from __future__ import annotations

from typing import Any, Final

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint

LOCAL_LIST = Profile.LOCAL_AUTH_LIST
#: The version of the full list the cases send, and of the list after the differential update.
FULL_VERSION: Final = 7
DIFFERENTIAL_VERSION: Final = 8


def _full_list(entries: list[dict[str, Any]], version: int = FULL_VERSION) -> dict[str, Any]:
    return {"listVersion": version, "localAuthorizationList": entries, "updateType": "Full"}


def _entry(id_tag: str, status: str, **info: str) -> dict[str, Any]:
    return {"idTag": id_tag, "idTagInfo": {"status": status, **info}}


async def _list_version_answered(ctx: CheckContext, version: int) -> None:
    """GetLocalListVersion answered `version`; the backend takes it and the connection stays."""
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "GetLocalListVersion", {}, reply={"listVersion": version})
        await station.still_open()


async def _send_list_answered(ctx: CheckContext, status: str) -> None:
    """A full list answered `status`; the backend takes it and the connection stays."""
    ctx.require_trigger("SendLocalList")
    tag = await ctx.backend_knows_tag("Accepted")
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "SendLocalList",
            _full_list([_entry(tag, "Accepted")]),
            reply={"status": status},
        )
        await station.still_open()


async def _tag_in_local_list(ctx: CheckContext, station: ScriptedChargePoint) -> str:
    """A tag the backend knows as Accepted, sent to the charge point in a full list."""
    tag = await ctx.backend_knows_tag("Accepted")
    await ctx.backend_sends(station, "SendLocalList", _full_list([_entry(tag, "Accepted")]))
    return tag


async def _session_without_authorize(
    ctx: CheckContext, station: ScriptedChargePoint, tag: str
) -> None:
    """Preparing, StartTransaction with no Authorize (the tag is in the local list), Charging,
    StopTransaction, Finishing, Available: the backend must accept the start (§4.8)."""
    await ctx.status(station, 1, "Preparing")
    transaction_id, info = await ctx.start_transaction(station, tag)
    ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
    ctx.expect(
        info.get("status") == "Accepted",
        f"StartTransaction idTagInfo Accepted for {tag} (in the local list, known Accepted)",
        str(info),
    )
    await ctx.status(station, 1, "Charging")
    await ctx.stop_transaction(station, transaction_id, reason="Local")
    await ctx.status(station, 1, "Finishing")
    await ctx.status(station, 1, "Available")


@check(
    "TC_008_1_CS",
    "Local start of a session by an id in the local authorization list",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList, §4.8 StartTransaction",
    sends="answers SendLocalList Accepted; Preparing, StartTransaction without Authorize, "
    "Charging, StopTransaction, Finishing, Available",
    expects="SendLocalList Full with the tag; StartTransaction idTagInfo Accepted, "
    "transactionId > 0; every message answered",
    backend_initiated=True,
)
async def local_start_by_local_list_tag(ctx: CheckContext) -> None:
    ctx.require_trigger("SendLocalList")
    async with ctx.booted() as station:
        tag = await _tag_in_local_list(ctx, station)
        await _session_without_authorize(ctx, station, tag)


@check(
    "TC_008_2_CS",
    "Remote start of a session by an id in the local authorization list",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList, §5.11 RemoteStartTransaction, §4.8 StartTransaction",
    sends="answers SendLocalList and RemoteStartTransaction Accepted; Preparing, "
    "StartTransaction without Authorize, Charging, StopTransaction, Finishing, Available",
    expects="SendLocalList Full with the tag; RemoteStartTransaction connector 1 with the tag; "
    "StartTransaction idTagInfo Accepted, transactionId > 0",
    backend_initiated=True,
)
async def remote_start_by_local_list_tag(ctx: CheckContext) -> None:
    ctx.require_trigger("SendLocalList")
    async with ctx.booted() as station:
        tag = await _tag_in_local_list(ctx, station)
        await ctx.backend_sends(station, "RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
        await _session_without_authorize(ctx, station, tag)


@check(
    "TC_042_1_CS",
    "Get the local list version: not supported",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.10 GetLocalListVersion (-1: not supported)",
    sends="answers GetLocalListVersion with listVersion -1; Heartbeat",
    expects="GetLocalListVersion; the answer -1 taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def list_version_not_supported(ctx: CheckContext) -> None:
    await _list_version_answered(ctx, -1)


@check(
    "TC_042_2_CS",
    "Get the local list version: empty list",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.10 GetLocalListVersion (0: the list is empty)",
    sends="answers GetLocalListVersion with listVersion 0; Heartbeat",
    expects="GetLocalListVersion; the answer 0 taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def list_version_empty(ctx: CheckContext) -> None:
    await _list_version_answered(ctx, 0)


@check(
    "TC_043_CS",
    "Send a local authorization list: full, then differential",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList, §5.10 GetLocalListVersion, AuthorizationData",
    sends="answers GetLocalListVersion 0, SendLocalList Accepted, GetLocalListVersion 7, "
    "SendLocalList Accepted",
    expects="SendLocalList Full version 7 with both entries and their idTagInfo, then "
    "Differential version 8 updating one entry and deleting the other (no idTagInfo)",
    backend_initiated=True,
)
async def send_local_list(ctx: CheckContext) -> None:
    ctx.require_trigger("SendLocalList")
    accepted = await ctx.backend_knows_tag("Accepted")
    blocked = await ctx.backend_knows_tag("Blocked")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "GetLocalListVersion", {}, reply={"listVersion": 0})
        full = [
            _entry(accepted, "Accepted", expiryDate=ctx.now(86_400)),
            _entry(blocked, "Blocked"),
        ]
        await ctx.backend_sends(station, "SendLocalList", _full_list(full))
        await ctx.backend_sends(
            station, "GetLocalListVersion", {}, reply={"listVersion": FULL_VERSION}
        )
        # Differential: an entry with idTagInfo is added or updated, one without is deleted.
        differential = {
            "listVersion": DIFFERENTIAL_VERSION,
            "localAuthorizationList": [_entry(accepted, "Blocked"), {"idTag": blocked}],
            "updateType": "Differential",
        }
        await ctx.backend_sends(station, "SendLocalList", differential)
        await station.still_open()


@check(
    "TC_043_1_CS",
    "Send a local authorization list: not supported",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList (UpdateStatus NotSupported)",
    sends="answers SendLocalList NotSupported; Heartbeat",
    expects="SendLocalList Full version 7; the answer taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def send_local_list_not_supported(ctx: CheckContext) -> None:
    await _send_list_answered(ctx, "NotSupported")


@check(
    "TC_043_2_CS",
    "Send a local authorization list: version mismatch",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList (UpdateStatus VersionMismatch)",
    sends="answers SendLocalList VersionMismatch; Heartbeat",
    expects="SendLocalList Full version 7; the answer taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def send_local_list_version_mismatch(ctx: CheckContext) -> None:
    await _send_list_answered(ctx, "VersionMismatch")


@check(
    "TC_043_3_CS",
    "Send a local authorization list: failed",
    profile=LOCAL_LIST,
    clause="OCPP 1.6 §5.15 SendLocalList (UpdateStatus Failed)",
    sends="answers SendLocalList Failed; Heartbeat",
    expects="SendLocalList Full version 7; the answer taken (the trigger succeeds) and the "
    "connection kept",
    backend_initiated=True,
)
async def send_local_list_failed(ctx: CheckContext) -> None:
    await _send_list_answered(ctx, "Failed")
