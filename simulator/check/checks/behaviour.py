"""Robustness of the backend's behaviour: clocks, every enumerated value, retransmissions,
transaction ids, unknown transactions, and the optional notifications."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

from ocpp.messages import CallResult
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from simulator.check.catalogue import Profile, check
from simulator.check.checks.octt_security import csr_for
from simulator.check.context import CheckContext, parse_time, utc_text
from simulator.check.station import HandshakeRefused, checked_result
from simulator.check.verdicts import CheckFailed, NotApplicable

CORE = Profile.CORE

#: The FirmwareStatusNotification.req enumeration of OCPP 1.6 (the security extension's
#: signed statuses have their own message).
FIRMWARE_STATUSES: Final = (
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
)
DIAGNOSTICS_STATUSES: Final = ("Idle", "Uploaded", "UploadFailed", "Uploading")
SIGNED_FIRMWARE_STATUSES: Final = (
    "DownloadScheduled",
    "Downloading",
    "Downloaded",
    "SignatureVerified",
    "InstallScheduled",
    "InstallRebooting",
    "Installing",
    "Installed",
    "InvalidSignature",
)


@check(
    "RB_CLOCK_SKEW",
    "The backend's clock: currentTime in UTC and close to ours",
    profile=CORE,
    clause="OCPP 1.6 §4.2, §4.6 (currentTime: the Central System's time; charge points set "
    "their clock from it)",
    sends="BootNotification and Heartbeat",
    expects="both currentTimes ISO 8601 with an offset, within --max-skew-s (60 s) of the "
    "charge point's clock",
)
async def clock_skew(ctx: CheckContext) -> None:
    async with ctx.open_or_fail() as station:
        boot = await ctx.boot(station)
        beat = await ctx.result(station, "Heartbeat", {})
        for action, reply in (("BootNotification", boot), ("Heartbeat", beat)):
            moment = parse_time(reply.get("currentTime"))
            ctx.expect(
                moment is not None,
                f"{action}.conf currentTime with a UTC offset",
                repr(reply.get("currentTime")),
            )
            assert moment is not None
            skew_s = (moment - datetime.now(UTC)).total_seconds()
            ctx.note(f"{action}: the backend's clock is {skew_s:+.3f} s from ours")
            ctx.expect(
                abs(skew_s) <= ctx.target.max_skew_s,
                f"a clock within {ctx.target.max_skew_s:g} s of ours",
                f"{skew_s:+.1f} s",
            )


@check(
    "RB_STATUS_EVERY_STATUS",
    "StatusNotification with every connector status is answered",
    profile=CORE,
    clause="OCPP 1.6 §4.9 StatusNotification, ChargePointStatus",
    sends="StatusNotification on connector 1 with each of the 9 statuses, then Available",
    expects="a CALLRESULT to every one",
)
async def every_status(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for status in ChargePointStatus:
            await ctx.status(station, 1, status.value)
        await ctx.status(station, 1, "Available")


@check(
    "RB_STATUS_ERROR_CODES",
    "StatusNotification Faulted with every error code is answered",
    profile=CORE,
    clause="OCPP 1.6 §4.9 StatusNotification, ChargePointErrorCode",
    sends="StatusNotification Faulted on connector 1 with each of the 16 error codes "
    "(vendor fields on OtherError), then Available",
    expects="a CALLRESULT to every one",
)
async def every_error_code(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for code in ChargePointErrorCode:
            status = "Available" if code is ChargePointErrorCode.no_error else "Faulted"
            payload = {
                "connectorId": 1,
                "errorCode": code.value,
                "status": status,
                "timestamp": ctx.now(),
            }
            if code is ChargePointErrorCode.other_error:
                payload |= {"info": "check", "vendorId": "org.chargenet", "vendorErrorCode": "E1"}
            await ctx.result(station, "StatusNotification", payload)
        await ctx.status(station, 1, "Available")


@check(
    "RB_RETRANSMITTED_START",
    "A StartTransaction repeated after a lost connection gets the same transaction id",
    profile=CORE,
    clause="OCPP 1.6 §4.8 (a charge point resends a transaction message it got no "
    "answer to); OCPP-J 1.6 §4",
    sends="StartTransaction; the connection dropped; on a new connection the same "
    "StartTransaction again (same fields, new message id)",
    expects="the same transactionId both times (no second transaction)",
)
async def retransmitted_start(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    payload = {
        "connectorId": 1,
        "idTag": tag,
        "meterStart": ctx.next_meter_wh(),
        "timestamp": ctx.now(),
    }
    async with ctx.booted() as station:
        first = await ctx.result(station, "StartTransaction", payload)
        await station.drop()
    async with ctx.open_or_fail() as station:
        again = await ctx.result(station, "StartTransaction", payload)
        ctx.expect(
            again["transactionId"] == first["transactionId"],
            f"transactionId {first['transactionId']} again",
            f"transactionId {again['transactionId']}",
        )
        await ctx.stop_transaction(station, first["transactionId"])


@check(
    "RB_DUPLICATE_MESSAGE_ID",
    "The same StartTransaction frame twice (same message id) has no double effect",
    profile=CORE,
    clause="OCPP-J 1.6 §4 (the message id identifies a CALL and its reply)",
    sends="one StartTransaction frame, then the identical frame again",
    expects="the second answered with the same transactionId, or with a CALLERROR; never a "
    "second transaction",
)
async def duplicate_message_id(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    payload = {
        "connectorId": 1,
        "idTag": tag,
        "meterStart": ctx.next_meter_wh(),
        "timestamp": ctx.now(),
    }
    async with ctx.booted() as station:
        message_id = station.new_id()
        first = checked_result(
            "StartTransaction",
            await station.call("StartTransaction", payload, message_id=message_id),
        )
        since = station.mark()
        await station.send_call("StartTransaction", payload, message_id=message_id)
        again = await station.reply_to(message_id, "the repeated StartTransaction", since=since)
        if isinstance(again, CallResult):
            transaction_id = checked_result("StartTransaction", again)["transactionId"]
            ctx.expect(
                transaction_id == first["transactionId"],
                f"transactionId {first['transactionId']} again (or a CALLERROR)",
                f"a second transaction, {transaction_id}",
            )
        await ctx.stop_transaction(station, first["transactionId"])


@check(
    "RB_TRANSACTION_IDS_UNIQUE",
    "Every transaction gets its own transaction id",
    profile=CORE,
    clause="OCPP 1.6 §4.8, (transactionId: the id of this transaction)",
    sends="two transactions one after the other on connector 1 and one on connector 2 meanwhile",
    expects="three different transactionIds > 0",
)
async def unique_transaction_ids(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        first, _ = await ctx.start_transaction(station, tag, connector=1)
        other, _ = await ctx.start_transaction(station, tag, connector=2)
        await ctx.stop_transaction(station, first)
        second, _ = await ctx.start_transaction(station, tag, connector=1)
        await ctx.stop_transaction(station, second)
        await ctx.stop_transaction(station, other)
        ids = [first, other, second]
        ctx.expect(
            len(set(ids)) == 3 and min(ids) > 0,
            "three different transactionIds > 0",
            ", ".join(map(str, ids)),
        )


@check(
    "RB_STOP_UNKNOWN_TRANSACTION",
    "A StopTransaction for a transaction id never given out is answered",
    profile=CORE,
    clause="OCPP 1.6 §4.10 (the Central System cannot prevent a transaction from stopping)",
    sends="StopTransaction with a transactionId the backend never issued",
    expects="a StopTransaction.conf, not a CALLERROR",
)
async def stop_unknown_transaction(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.stop_transaction(station, 2_000_000_000 + secrets.randbelow(100_000_000))


@check(
    "RB_FIRMWARE_STATUS",
    "FirmwareStatusNotification with every status is answered",
    profile=Profile.FIRMWARE,
    clause="OCPP 1.6 FirmwareStatusNotification, FirmwareStatus",
    sends="FirmwareStatusNotification with each of the 7 statuses",
    expects="a CALLRESULT {} to every one",
)
async def firmware_status(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for status in FIRMWARE_STATUSES:
            await ctx.result(station, "FirmwareStatusNotification", {"status": status})


@check(
    "RB_DIAGNOSTICS_STATUS",
    "DiagnosticsStatusNotification with every status is answered",
    profile=Profile.FIRMWARE,
    clause="OCPP 1.6 DiagnosticsStatusNotification, DiagnosticsStatus",
    sends="DiagnosticsStatusNotification with each of the 4 statuses",
    expects="a CALLRESULT {} to every one",
)
async def diagnostics_status(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for status in DIAGNOSTICS_STATUSES:
            await ctx.result(station, "DiagnosticsStatusNotification", {"status": status})


@check(
    "RB_SECURITY_EVENT",
    "SecurityEventNotification is answered",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (security events), SecurityEventNotification.req",
    sends="SecurityEventNotification StartupOfTheDevice, SettingSystemTime (with techInfo), "
    "InvalidCentralSystemCertificate",
    expects="a CALLRESULT to every one",
)
async def security_event(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for kind in ("StartupOfTheDevice", "SettingSystemTime", "InvalidCentralSystemCertificate"):
            payload = {"type": kind, "timestamp": ctx.now()}
            if kind == "SettingSystemTime":
                payload["techInfo"] = "clock set from the backend's Heartbeat"
            await ctx.result(station, "SecurityEventNotification", payload)


@check(
    "RB_SIGNED_FIRMWARE_STATUS",
    "SignedFirmwareStatusNotification with every status is answered",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (secure firmware update, L01)",
    sends="SignedFirmwareStatusNotification (requestId 1) with 9 statuses, InvalidSignature "
    "among them",
    expects="a CALLRESULT to every one",
)
async def signed_firmware_status(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        for status in SIGNED_FIRMWARE_STATUSES:
            await ctx.result(
                station, "SignedFirmwareStatusNotification", {"status": status, "requestId": 1}
            )


@check(
    "RB_OFFLINE_QUEUE_REPLAY",
    "A whole offline queue replayed at reconnect is answered, message by message",
    profile=CORE,
    clause="OCPP 1.6, transaction-related messages (queued while offline are sent, in order, "
    "once the connection is back)",
    sends="on a new connection, one CALL after the other: StartTransaction 40 min ago, 12 "
    "MeterValues a minute apart, StopTransaction 25 min ago",
    expects="a transactionId > 0 and a CALLRESULT to every message, the connection kept",
)
async def offline_queue_replay(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await station.drop()
    start_wh = ctx.next_meter_wh()
    started = datetime.now(UTC) - timedelta(minutes=40)
    async with ctx.open_or_fail() as station:
        transaction_id, _ = await ctx.start_transaction(
            station, tag, timestamp=utc_text(started), meter_start_wh=start_wh
        )
        ctx.expect(transaction_id > 0, "a transactionId > 0", str(transaction_id))
        for minute in range(1, 13):
            reading = ctx.meter_value(
                start_wh + 100 * minute, at=started + timedelta(minutes=minute)
            )
            await ctx.result(
                station,
                "MeterValues",
                {"connectorId": 1, "transactionId": transaction_id, "meterValue": [reading]},
            )
        await ctx.stop_transaction(
            station,
            transaction_id,
            timestamp=utc_text(started + timedelta(minutes=15)),
            meter_stop_wh=start_wh + 1500,
        )
        await station.still_open()


#: Connections of RB_RECONNECT_STORM and charge points of RB_BOOT_BURST.
STORM_CONNECTIONS: Final = 10
BURST_CHARGE_POINTS: Final = 10


@check(
    "RB_RECONNECT_STORM",
    "Ten reconnections in a row under one id are each let in and served",
    profile=CORE,
    clause="OCPP-J 1.6 §5 (a charge point reconnects after every loss of connection)",
    sends="10 times: connect, BootNotification, close; then one more connection with a Heartbeat",
    expects="every handshake accepted within the timeout (an HTTP 409 while the old one is let "
    "go of is retried), every boot Accepted",
)
async def reconnect_storm(ctx: CheckContext) -> None:
    for _ in range(STORM_CONNECTIONS):
        async with ctx.open_or_fail() as station:
            await ctx.boot(station)
    async with ctx.open_or_fail() as station:
        await station.still_open()


@check(
    "RB_BOOT_BURST",
    "Ten charge points booting at the same instant are all answered",
    profile=CORE,
    clause="OCPP 1.6 §4.2 BootNotification (every charge point boots after a power cut, together)",
    sends="10 connections under ids <id>-burst-1..10 at once, each a BootNotification",
    expects="all 10 Accepted within the timeout (not applicable when the backend refuses "
    "those ids: HTTP 403/404, e.g. under security profile 3 with one client certificate)",
)
async def boot_burst(ctx: CheckContext) -> None:
    async def one(number: int) -> None:
        charge_point_id = f"{ctx.charge_point_id}-burst-{number}"
        try:
            async with ctx.connection(charge_point_id=charge_point_id) as station:
                await ctx.boot(station)
        except HandshakeRefused as refused:
            if refused.status in (403, 404):
                raise NotApplicable(
                    f"the backend refuses charge point id {charge_point_id!r} ({refused.reason})"
                ) from None
            raise CheckFailed("the websocket handshake to succeed", refused.reason) from None

    results = await asyncio.gather(
        *(one(n) for n in range(1, BURST_CHARGE_POINTS + 1)), return_exceptions=True
    )
    for result in results:  # a fail beats not applicable beats pass
        if isinstance(result, CheckFailed):
            raise result
    for result in results:
        if isinstance(result, BaseException):
            raise result


@check(
    "RB_INDEPENDENT_DIRECTIONS",
    "The backend answers the charge point's CALL while it waits for its own reply",
    profile=Profile.SECURITY,
    clause="OCPP-J 1.6 §4 (one CALL in flight per direction: the two directions are independent)",
    sends="SignCertificate; holds the reply to the backend's CertificateSigned while it sends "
    "a Heartbeat; then answers CertificateSigned",
    expects="the Heartbeat answered while CertificateSigned is unanswered",
)
async def independent_directions(ctx: CheckContext) -> None:
    csr, _ = csr_for(ctx.charge_point_id[:64])
    async with ctx.booted() as station:
        station.held.add("CertificateSigned")
        since = station.mark()
        reply = await ctx.result(station, "SignCertificate", {"csr": csr})
        if reply.get("status") != "Accepted":
            raise NotApplicable(
                f"SignCertificate answered {reply.get('status')!r}: no backend CALL to hold"
            )
        call = await station.expect_call("CertificateSigned", since=since)
        await station.still_open()
        await station.answer(call, {"status": "Accepted"})
