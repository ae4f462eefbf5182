"""OCTT 1.6 central-system cases of the Core profile that the charge point initiates.

The numbering follows the OCA's OCTT 1.6 case list; the steps and assertions are ours, from
the OCPP 1.6 specification (edition 2, clauses as cited).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, parse_time, utc_text
from simulator.check.station import ScriptedChargePoint
from simulator.check.verdicts import NotApplicable

CORE = Profile.CORE


def _boot_answer(ctx: CheckContext, reply: dict[str, Any]) -> None:
    ctx.expect(
        parse_time(reply.get("currentTime")) is not None,
        "currentTime: an ISO 8601 date-time with a UTC offset",
        repr(reply.get("currentTime")),
    )
    interval = reply.get("interval")
    ctx.expect(
        isinstance(interval, int) and interval > 0,
        "interval > 0 (the heartbeat interval, §4.2: an accepted charge point needs one)",
        f"interval {interval!r}",
    )


@check(
    "TC_001_CS",
    "Cold boot: the boot is accepted and every connector's status answered",
    profile=CORE,
    clause="OCPP 1.6 §4.2 BootNotification, §4.9 StatusNotification, §4.6 Heartbeat",
    sends="BootNotification; StatusNotification Available for connector 0 and each connector; "
    "Heartbeat",
    expects="BootNotification.conf Accepted with currentTime and interval > 0; every "
    "StatusNotification and the Heartbeat answered with a CALLRESULT",
)
async def cold_boot(ctx: CheckContext) -> None:
    async with ctx.open_or_fail() as station:
        _boot_answer(ctx, await ctx.boot(station))
        for connector in range(ctx.target.connectors + 1):
            await ctx.status(station, connector, "Available")
        reply = await ctx.result(station, "Heartbeat", {})
        ctx.expect(
            parse_time(reply.get("currentTime")) is not None,
            "Heartbeat.conf currentTime with a UTC offset",
            repr(reply.get("currentTime")),
        )


async def _charge(
    ctx: CheckContext,
    station: ScriptedChargePoint,
    id_tag: str,
    *,
    identification_first: bool,
    stop_reason: str = "Local",
) -> None:
    """One local session: Preparing, Authorize, StartTransaction, Charging, MeterValues,
    StopTransaction, Finishing, Available (§4.1, §4.8, §4.10)."""
    if identification_first:
        status = await ctx.authorize(station, id_tag)
        ctx.expect(status == "Accepted", "Authorize idTagInfo Accepted", status)
        await ctx.status(station, 1, "Preparing")
    else:
        await ctx.status(station, 1, "Preparing")
        status = await ctx.authorize(station, id_tag)
        ctx.expect(status == "Accepted", "Authorize idTagInfo Accepted", status)
    transaction_id, info = await ctx.start_transaction(station, id_tag)
    ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
    ctx.expect(info.get("status") == "Accepted", "StartTransaction idTagInfo Accepted", str(info))
    await ctx.status(station, 1, "Charging")
    await ctx.result(
        station,
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [ctx.meter_value(ctx.next_meter_wh(500))],
        },
    )
    if stop_reason == "EVDisconnected":
        await ctx.status(station, 1, "SuspendedEV")
    await ctx.stop_transaction(station, transaction_id, reason=stop_reason)
    await ctx.status(station, 1, "Finishing")
    await ctx.status(station, 1, "Available")


@check(
    "TC_003_CS",
    "Regular charging session, cable plugged in first",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, §4.8 StartTransaction, §4.10 StopTransaction",
    sends="Preparing, Authorize (Accepted tag), StartTransaction, Charging, MeterValues, "
    "StopTransaction, Finishing, Available",
    expects="Authorize and StartTransaction idTagInfo Accepted, transactionId > 0, every "
    "message answered",
)
async def plug_in_first(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _charge(ctx, station, tag, identification_first=False)


@check(
    "TC_004_1_CS",
    "Regular charging session, identification first",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, §4.8 StartTransaction, §4.10 StopTransaction",
    sends="Authorize (Accepted tag), Preparing, StartTransaction, Charging, MeterValues, "
    "StopTransaction, Finishing, Available",
    expects="idTagInfo Accepted, transactionId > 0, every message answered",
)
async def identification_first(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _charge(ctx, station, tag, identification_first=True)


@check(
    "TC_004_2_CS",
    "Identification first, the cable never plugged in (connection timeout)",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, §4.9 StatusNotification (Preparing → Available)",
    sends="Authorize (Accepted tag), Preparing, then Available without a transaction",
    expects="Authorize Accepted; both StatusNotifications answered",
)
async def identification_first_timeout(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        status = await ctx.authorize(station, tag)
        ctx.expect(status == "Accepted", "Authorize idTagInfo Accepted", status)
        await ctx.status(station, 1, "Preparing")
        await ctx.status(station, 1, "Available")


@check(
    "TC_005_1_CS",
    "EV side disconnected: the session ends with reason EVDisconnected",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction (reason EVDisconnected), Reason",
    sends="a session to Charging, SuspendedEV, StopTransaction reason EVDisconnected, "
    "Finishing, Available",
    expects="every message answered; StopTransaction.conf schema-valid",
)
async def ev_disconnected(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await _charge(ctx, station, tag, identification_first=False, stop_reason="EVDisconnected")


async def _authorize_refused(ctx: CheckContext, tag: str, wanted: str) -> None:
    async with ctx.booted() as station:
        await ctx.status(station, 1, "Preparing")
        status = await ctx.authorize(station, tag)
        ctx.expect(
            status == wanted,
            f"Authorize idTagInfo {wanted} for tag {tag!r} (§4.1: no charging on it)",
            f"idTagInfo status {status}",
        )
        await ctx.status(station, 1, "Available")


@check(
    "TC_023_1_CS",
    "Authorize an invalid id tag",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, AuthorizationStatus (Invalid)",
    sends="Preparing, Authorize with a tag the backend cannot know, Available; the same with "
    "the Invalid tag of --id-tags, if it names one",
    expects="idTagInfo Invalid (AuthorizationStatus Invalid: the identifier is unknown)",
)
async def authorize_invalid(ctx: CheckContext) -> None:
    await _authorize_refused(ctx, ctx.unknown_tag(provisioned=False), "Invalid")
    if "Invalid" in ctx.target.id_tags:
        await _authorize_refused(ctx, ctx.target.id_tags["Invalid"], "Invalid")


@check(
    "TC_023_2_CS",
    "Authorize an expired id tag",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, AuthorizationStatus (Expired)",
    sends="Preparing, Authorize with the Expired tag of --id-tags, Available",
    expects="idTagInfo Expired",
)
async def authorize_expired(ctx: CheckContext) -> None:
    await _authorize_refused(ctx, ctx.tag("Expired"), "Expired")


@check(
    "TC_023_3_CS",
    "Authorize a blocked id tag",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize, AuthorizationStatus (Blocked)",
    sends="Preparing, Authorize with the Blocked tag of --id-tags, Available",
    expects="idTagInfo Blocked",
)
async def authorize_blocked(ctx: CheckContext) -> None:
    await _authorize_refused(ctx, ctx.tag("Blocked"), "Blocked")


@check(
    "TC_032_1_CS",
    "Power failure during a transaction: reboot, then the stop with reason PowerLoss",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction (reason PowerLoss), §4.2 BootNotification",
    sends="a transaction; the connection lost; a new connection, BootNotification, statuses, "
    "StopTransaction reason PowerLoss timestamped before the reboot",
    expects="the new boot Accepted; the stop answered (its idTagInfo, if any, Accepted)",
)
async def power_failure(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, _ = await ctx.start_transaction(station, tag)
        await ctx.status(station, 1, "Charging")
        lost_at = ctx.now()
        await station.drop()
    async with ctx.booted() as station:
        reply = await ctx.stop_transaction(
            station, transaction_id, reason="PowerLoss", id_tag=tag, timestamp=lost_at
        )
        _stop_info_accepted(ctx, reply, required=False)


def _stop_info_accepted(ctx: CheckContext, reply: dict[str, Any], *, required: bool = True) -> None:
    info = reply.get("idTagInfo")
    if info is None and not required:
        return
    ctx.expect(
        isinstance(info, dict) and info.get("status") == "Accepted",
        "StopTransaction.conf idTagInfo Accepted for the stop's Accepted idTag (it is optional "
        "only because a transaction may be stopped without an identifier)",
        f"idTagInfo {info!r}",
    )


@check(
    "TC_034_CS",
    "Power failure with the connectors Unavailable at boot",
    profile=CORE,
    clause="OCPP 1.6 §4.2 BootNotification, §4.9 StatusNotification (Unavailable)",
    sends="BootNotification; StatusNotification Unavailable for connector 0 and each "
    "connector; then Available",
    expects="the boot Accepted, every StatusNotification answered",
)
async def unavailable_at_boot(ctx: CheckContext) -> None:
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)
        for connector in range(ctx.target.connectors + 1):
            await ctx.status(station, connector, "Unavailable")
        for connector in range(ctx.target.connectors + 1):
            await ctx.status(station, connector, "Available")


@check(
    "TC_036_CS",
    "Connection loss during a transaction: meter values and the stop on a new connection",
    profile=CORE,
    clause="OCPP 1.6 §4.7 MeterValues, §4.10 StopTransaction; OCPP-J 1.6 §5 (reconnecting)",
    sends="a transaction; the connection dropped; a new connection (no reboot), MeterValues "
    "for the transaction, StopTransaction",
    expects="the reconnection accepted; MeterValues and StopTransaction answered",
)
async def connection_loss(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, _ = await ctx.start_transaction(station, tag)
        await ctx.status(station, 1, "Charging")
        await station.drop()
    async with ctx.open_or_fail() as station:
        await ctx.result(
            station,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [ctx.meter_value(ctx.next_meter_wh(200))],
            },
        )
        await ctx.stop_transaction(station, transaction_id, reason="Local")
        await ctx.status(station, 1, "Available")


def _hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


@check(
    "TC_037_1_CS",
    "Offline start: a StartTransaction timestamped hours ago gets a transaction id",
    profile=CORE,
    clause="OCPP 1.6 §4.8 StartTransaction; transaction-related messages (queued while offline)",
    sends="StartTransaction (Accepted tag) timestamped 2 hours ago, then its stop",
    expects="transactionId > 0, idTagInfo Accepted; the stop answered",
)
async def offline_start(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, info = await ctx.start_transaction(
            station, tag, timestamp=utc_text(_hours_ago(2))
        )
        ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
        ctx.expect(info.get("status") == "Accepted", "idTagInfo Accepted", str(info))
        await ctx.stop_transaction(station, transaction_id, timestamp=utc_text(_hours_ago(1)))


@check(
    "TC_037_3_CS",
    "Offline start with an invalid tag: a transaction id all the same, idTagInfo Invalid",
    profile=CORE,
    clause="OCPP 1.6 §4.8 StartTransaction (the Central System must reply with a "
    "transactionId; idTagInfo tells the charge point to stop)",
    sends="StartTransaction with an unknown tag timestamped 2 hours ago; StopTransaction "
    "reason DeAuthorized",
    expects="transactionId > 0 with idTagInfo Invalid; the stop answered",
)
async def offline_start_invalid(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        transaction_id, info = await ctx.start_transaction(
            station, ctx.unknown_tag(), timestamp=utc_text(_hours_ago(2))
        )
        ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
        ctx.expect(info.get("status") == "Invalid", "idTagInfo Invalid", str(info))
        await ctx.stop_transaction(
            station, transaction_id, reason="DeAuthorized", timestamp=utc_text(_hours_ago(1.9))
        )


@check(
    "TC_038_CS",
    "Offline stop: the transaction stopped while offline, reported after reconnecting",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction; transaction-related messages (queued while offline)",
    sends="StartTransaction; connection dropped; on a new connection StopTransaction (with "
    "its idTag) timestamped 5 minutes ago",
    expects="the stop answered (its idTagInfo, if any, Accepted)",
)
async def offline_stop(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, _ = await ctx.start_transaction(
            station, tag, timestamp=utc_text(_hours_ago(0.25))
        )
        await station.drop()
    async with ctx.open_or_fail() as station:
        stopped = datetime.now(UTC) - timedelta(minutes=5)
        reply = await ctx.stop_transaction(
            station, transaction_id, id_tag=tag, timestamp=utc_text(stopped)
        )
        _stop_info_accepted(ctx, reply, required=False)


@check(
    "TC_039_CS",
    "Offline transaction: start, meter values and stop all sent after reconnecting",
    profile=CORE,
    clause="OCPP 1.6 §4.8, §4.7, §4.10; transaction-related messages (queued, in order)",
    sends="on a new connection: StartTransaction 3 h ago, MeterValues 2 h ago, "
    "StopTransaction 1 h ago",
    expects="a transactionId > 0; MeterValues and StopTransaction answered",
)
async def offline_transaction(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        start_wh = ctx.next_meter_wh()
        transaction_id, _ = await ctx.start_transaction(
            station, tag, timestamp=utc_text(_hours_ago(3)), meter_start_wh=start_wh
        )
        ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
        await ctx.result(
            station,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [ctx.meter_value(start_wh + 5000, at=_hours_ago(2))],
            },
        )
        await ctx.stop_transaction(
            station,
            transaction_id,
            timestamp=utc_text(_hours_ago(1)),
            meter_stop_wh=start_wh + 9000,
        )


@check(
    "TC_064_CS",
    "Data transfer to the central system: answered with a status, never a CALLERROR",
    profile=CORE,
    clause="OCPP 1.6 §4.3 DataTransfer (an unknown vendorId gets status UnknownVendorId)",
    sends="DataTransfer with a vendorId the backend cannot know",
    expects="DataTransfer.conf with a status (UnknownVendorId, UnknownMessageId, Rejected or "
    "Accepted)",
)
async def data_transfer(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        reply = await ctx.result(
            station,
            "DataTransfer",
            {"vendorId": "org.chargenet.check.unknown", "messageId": "probe", "data": "hello"},
        )
        ctx.expect("status" in reply, "a status", str(reply))


@check(
    "TC_068_CS",
    "Stop a transaction with the id tag that started it",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction, (idTagInfo when idTag is given)",
    sends="StartTransaction (Accepted tag); StopTransaction with the same idTag, reason Local",
    expects="StopTransaction.conf idTagInfo Accepted",
)
async def stop_with_id_tag(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, _ = await ctx.start_transaction(station, tag)
        await ctx.status(station, 1, "Charging")
        reply = await ctx.stop_transaction(station, transaction_id, id_tag=tag, reason="Local")
        _stop_info_accepted(ctx, reply)
        await ctx.status(station, 1, "Available")


@check(
    "TC_069_CS",
    "Stop with another id tag of the same group (parentIdTag)",
    profile=CORE,
    clause="OCPP 1.6 §4.1 Authorize (idTagInfo parentIdTag), §4.10 StopTransaction (a tag "
    "of the starting tag's group may stop it)",
    sends="Authorize tag A; StartTransaction A; Authorize tag B of A's group; "
    "StopTransaction with idTag B",
    expects="both Authorize Accepted with the group's parentIdTag; the stop answered with "
    "idTagInfo Accepted (needs two Accepted tags with one parent_id_tag in --id-tags)",
)
async def stop_with_parent_id_tag(ctx: CheckContext) -> None:
    if ctx.target.sibling_tags is None:
        raise NotApplicable(
            "no two Accepted tags with the same parent_id_tag in --id-tags (CSV "
            "id_tag,status,expiry_date,parent_id_tag)"
        )
    first, second, parent = ctx.target.sibling_tags
    async with ctx.booted() as station:
        for tag in (first, second):
            info = (await ctx.result(station, "Authorize", {"idTag": tag}))["idTagInfo"]
            ctx.expect(
                info.get("status") == "Accepted" and info.get("parentIdTag") == parent,
                f"Authorize {tag!r}: idTagInfo Accepted with parentIdTag {parent!r}",
                f"idTagInfo {info}",
            )
            if tag == first:
                transaction_id, _ = await ctx.start_transaction(station, first)
                await ctx.status(station, 1, "Charging")
        reply = await ctx.stop_transaction(station, transaction_id, id_tag=second)
        _stop_info_accepted(ctx, reply)
        await ctx.status(station, 1, "Available")


@check(
    "TC_070_CS",
    "Sampled meter values during a transaction",
    profile=CORE,
    clause="OCPP 1.6 §4.7 MeterValues (Sample.Periodic), §4.10 transactionData",
    sends="a transaction; two MeterValues Sample.Periodic with a rising register; "
    "StopTransaction with transactionData",
    expects="every MeterValues answered with a CALLRESULT; the stop answered",
)
async def sampled_meter_values(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        start_wh = ctx.next_meter_wh()
        transaction_id, _ = await ctx.start_transaction(station, tag, meter_start_wh=start_wh)
        await ctx.status(station, 1, "Charging")
        for step in (1, 2):
            await ctx.result(
                station,
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": transaction_id,
                    "meterValue": [ctx.meter_value(start_wh + 300 * step)],
                },
            )
        await ctx.stop_transaction(
            station,
            transaction_id,
            meter_stop_wh=start_wh + 900,
            transaction_data=[ctx.meter_value(start_wh + 900, context="Transaction.End")],
        )
        await ctx.status(station, 1, "Available")


@check(
    "TC_071_CS",
    "Clock-aligned meter values outside a transaction",
    profile=CORE,
    clause="OCPP 1.6 §4.7 MeterValues (Sample.Clock; connectorId 0 is the main meter)",
    sends="MeterValues Sample.Clock for connector 0 and connector 1, no transactionId",
    expects="both answered with a CALLRESULT",
)
async def clock_aligned_meter_values(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for connector in (0, 1):
            await ctx.result(
                station,
                "MeterValues",
                {
                    "connectorId": connector,
                    "meterValue": [ctx.meter_value(ctx.next_meter_wh(10), context="Sample.Clock")],
                },
            )
