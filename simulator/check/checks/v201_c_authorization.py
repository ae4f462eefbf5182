"""OCTT 2.0.1 block C, authorization (the CSMS cases of the Core profile): the
AuthorizationStatus of each kind of token, the idTokenInfo of a TransactionEvent for a token
the station took from its authorization cache, ClearCache (C11) and GroupId (C09).

Left out: the Master Pass cases (TC_C_47..49_CSMS: they need a token of MasterPassGroupId,
which no tag file names), the ISO 15118 contract certificate cases (TC_C_50..52_CSMS: the
ISO 15118 profile) and the local authorization list cases (TC_C_40, TC_C_43_CSMS: the
LocalAuthListManagement profile, block D).
"""

from __future__ import annotations

from simulator.check.catalogue import check201
from simulator.check.checks.v201_e_states import (
    Transaction,
    authorize,
    authorized,
    energy_transfer_started,
    ev_connected_pre_session,
    ev_disconnected,
    event,
    expect_status,
    finished,
)
from simulator.check.context import CheckContext
from simulator.check.verdicts import NotApplicable

#: What the CSMS may answer for a token it does not know (C01.FR.07: Unknown means "the
#: identifier is unknown", Invalid "not valid": OCTT takes either).
UNKNOWN_OK = {"Invalid", "Unknown"}


@check201(
    "TC_C_02_CSMS",
    "Local start transaction: an unknown or invalid idToken is not accepted",
    clause="OCPP 2.0.1 C01, C04, C06 (C01.FR.07, C04.FR.01, C06.FR.04: the authorization status)",
    sends="Authorize with a token the CSMS cannot know (or the Invalid one of --id-tags)",
    expects="idTokenInfo.status Invalid or Unknown",
)
async def authorize_unknown(ctx: CheckContext) -> None:
    token = ctx.unknown_tag()
    async with ctx.booted() as station:
        info = await authorize(ctx, station, token)
        expect_status(ctx, info, UNKNOWN_OK, f"the unknown token {token!r}")


@check201(
    "TC_C_06_CSMS",
    "Local start transaction: a blocked idToken",
    clause="OCPP 2.0.1 C01 (C01.FR.07), AuthorizationStatusEnumType Blocked",
    sends="Authorize with the Blocked token of --id-tags",
    expects="idTokenInfo.status Blocked or Invalid",
)
async def authorize_blocked(ctx: CheckContext) -> None:
    token = ctx.tag("Blocked")
    async with ctx.booted() as station:
        info = await authorize(ctx, station, token)
        expect_status(ctx, info, {"Blocked", "Invalid"}, f"the Blocked token {token!r}")


@check201(
    "TC_C_07_CSMS",
    "Local start transaction: an expired idToken",
    clause="OCPP 2.0.1 C01 (C01.FR.07), AuthorizationStatusEnumType Expired",
    sends="Authorize with the Expired token of --id-tags",
    expects="idTokenInfo.status Expired or Invalid",
)
async def authorize_expired(ctx: CheckContext) -> None:
    token = ctx.tag("Expired")
    async with ctx.booted() as station:
        info = await authorize(ctx, station, token)
        expect_status(ctx, info, {"Expired", "Invalid"}, f"the Expired token {token!r}")


@check201(
    "TC_C_08_CSMS",
    "Authorization through the authorization cache: Accepted",
    clause="OCPP 2.0.1 C12 Start Transaction - Cached Id (C12.FR.03: the CSMS checks the idToken "
    "of the TransactionEvent), E01.FR.12",
    sends="the cable plugged in (Started, CablePluggedIn), then the token taken from the "
    "station's cache, no Authorize: Updated with triggerReason Authorized and the Accepted "
    "token; the session to its end",
    expects="the Updated answered with idTokenInfo.status Accepted; every event answered",
)
async def cached_token_accepted(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction = await ev_connected_pre_session(ctx, station)
        reply = await event(ctx, station, transaction, "Updated", "Authorized", token=token)
        expect_status(ctx, reply.get("idTokenInfo"), {"Accepted"}, f"the cached token {token!r}")
        await energy_transfer_started(ctx, station, transaction)
        await finished(ctx, station, transaction, token)


@check201(
    "TC_C_20_CSMS",
    "Authorization through the authorization cache: a token the CSMS knows as invalid",
    clause="OCPP 2.0.1 C12 (C12.FR.03), E01.FR.11",
    sends="the cable plugged in (Started), then Updated Authorized with a token Accepted in "
    "the station's cache but unknown (or Invalid) at the CSMS; the transaction Ended "
    "DeAuthorized",
    expects="the Updated answered with idTokenInfo.status Invalid or Unknown",
)
async def cached_token_invalid(ctx: CheckContext) -> None:
    token = ctx.unknown_tag()
    async with ctx.booted() as station:
        transaction = await ev_connected_pre_session(ctx, station)
        reply = await event(ctx, station, transaction, "Updated", "Authorized", token=token)
        expect_status(ctx, reply.get("idTokenInfo"), UNKNOWN_OK, f"the unknown token {token!r}")
        await ev_disconnected(
            ctx, station, transaction, stopped_reason="DeAuthorized", trigger_reason="Deauthorized"
        )


@check201(
    "TC_C_37_CSMS",
    "Clear the authorization cache: Accepted",
    clause="OCPP 2.0.1 C11 Clear Authorization Data in Authorization Cache",
    sends="ClearCache made to come through the trigger, answered Accepted; then Authorize of "
    "the Accepted token",
    expects="the ClearCache request; the token still Accepted afterwards (the cache is the "
    "station's, not the CSMS's list)",
    backend_initiated=True,
)
async def clear_cache_accepted(ctx: CheckContext) -> None:
    token = ctx.tag("Accepted")
    ctx.require_trigger("ClearCache", {})
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "ClearCache", {}, reply={"status": "Accepted"})
        await authorized(ctx, station, token)


@check201(
    "TC_C_38_CSMS",
    "Clear the authorization cache: Rejected",
    clause="OCPP 2.0.1 C11 (ClearCacheStatusEnumType Rejected)",
    sends="ClearCache made to come through the trigger, answered Rejected; then a Heartbeat",
    expects="the trigger reports success (the station answered); the connection kept",
    backend_initiated=True,
)
async def clear_cache_rejected(ctx: CheckContext) -> None:
    ctx.require_trigger("ClearCache", {})
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "ClearCache", {}, reply={"status": "Rejected"})
        await station.still_open()


@check201(
    "TC_C_39_CSMS",
    "Authorization by GroupId: a token of the same group stops the transaction",
    clause="OCPP 2.0.1 C09 Authorization by GroupId (C09.FR.02, C09.FR.03), E01.FR.12",
    sends="Authorize of the second token of a group, a transaction Started by the first "
    "(Authorized), charging, then the second token stops it (Updated StopAuthorized), Ended",
    expects="every idTokenInfo of the two tokens Accepted with the same groupIdToken",
)
async def group_id_stop(ctx: CheckContext) -> None:
    siblings = ctx.target.sibling_tags
    if siblings is None:
        raise NotApplicable("no two Accepted tokens of one group given (--id-tags FILE)")
    first, second, _ = siblings
    async with ctx.booted() as station:
        groups: list[object] = []

        def group_of(info: object, token: str) -> None:
            expect_status(ctx, info if isinstance(info, dict) else None, {"Accepted"}, token)
            group = info.get("groupIdToken") if isinstance(info, dict) else None
            ctx.expect(
                isinstance(group, dict) and bool(group.get("idToken")),
                f"idTokenInfo with a groupIdToken for {token!r} (C09.FR.02)",
                f"idTokenInfo {info}",
            )
            assert isinstance(group, dict)
            groups.append(group.get("idToken"))

        group_of(await authorize(ctx, station, second), second)
        transaction = Transaction.new()
        reply = await event(ctx, station, transaction, "Started", "Authorized", token=first)
        group_of(reply.get("idTokenInfo"), first)
        await ev_connected_pre_session(ctx, station, transaction)
        await energy_transfer_started(ctx, station, transaction)
        reply = await event(
            ctx,
            station,
            transaction,
            "Updated",
            "StopAuthorized",
            token=second,
            charging_state="EVConnected",
        )
        group_of(reply.get("idTokenInfo"), second)
        ctx.expect(
            len(set(groups)) == 1,
            f"one groupIdToken for {first!r} and {second!r}",
            f"groupIdTokens {groups}",
        )
        await ev_disconnected(ctx, station, transaction)
