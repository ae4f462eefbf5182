"""OCTT 2.0.1 block B, provisioning: the boot (Accepted, Pending, Rejected), Get/SetVariables,
GetBaseReport with its NotifyReports, and Reset (OnIdle, Immediate) through the trigger.

Which station a backend keeps Pending or Rejected is its operator's choice, so the run is told
(`--pending-id`, `--rejected-id`); without one the case is not applicable. The cases the CSMS
initiates need `--trigger` (or a prompt); without it they are not run.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any, Final

from simulator.check.catalogue import check201
from simulator.check.checks.boot_reply import expect_boot_reply
from simulator.check.context import CheckContext, parse_time
from simulator.check.station import ScriptedChargePoint
from simulator.check.verdicts import NotApplicable

#: A variable every 2.0.1 station has (OCPPCommCtrlr is required of every station).
HEARTBEAT_INTERVAL: Final = {
    "component": {"name": "OCPPCommCtrlr"},
    "variable": {"name": "HeartbeatInterval"},
}


async def boot_answered(
    ctx: CheckContext, station: ScriptedChargePoint, wanted: str, reason: str = "PowerUp"
) -> dict[str, Any]:
    """A BootNotification with `reason`: the status must be `wanted`, with a currentTime and
    an interval > 0 (B01-B03: the heartbeat interval, or when to boot again)."""
    reply = await ctx.result(station, "BootNotification", ctx.boot_payload(reason))
    expect_boot_reply(
        ctx,
        station,
        reply,
        wanted,
        response="BootNotificationResponse",
        interval_means="B01: Accepted, the heartbeat interval; B02, B03: Pending or Rejected, "
        "when to boot again",
    )
    return reply


@check201(
    "TC_B_01_CSMS",
    "Cold boot: the boot is accepted, every connector's status and a heartbeat answered",
    clause="OCPP 2.0.1 B01 Cold Boot Charging Station (B01.FR.02), G01 StatusNotification, "
    "G02 Heartbeat",
    sends="BootNotification reason PowerUp; StatusNotification Available for EVSE 1..N "
    "(connector 1); Heartbeat",
    expects="BootNotificationResponse Accepted with currentTime and interval > 0; an empty "
    "StatusNotificationResponse each; HeartbeatResponse with a currentTime",
)
async def cold_boot_accepted(ctx: CheckContext) -> None:
    async with ctx.open_or_fail() as station:
        await boot_answered(ctx, station, "Accepted")
        await ctx.all_available(station)
        reply = await ctx.result(station, "Heartbeat", {})
        ctx.expect(
            parse_time(reply.get("currentTime")) is not None,
            "HeartbeatResponse currentTime with a UTC offset",
            repr(reply.get("currentTime")),
        )


@check201(
    "TC_B_02_CSMS",
    "Cold boot answered Pending, then Accepted on a later boot",
    clause="OCPP 2.0.1 B02 Cold Boot Charging Station - Pending (the "
    "interval is when to boot again)",
    sends="as the --pending-id station: BootNotification; after the interval (at most "
    "--timeout) BootNotification again; StatusNotification Available for each EVSE",
    expects="the first boot Pending and the later one Accepted, each with currentTime and "
    "interval > 0; every status answered (not applicable without --pending-id)",
)
async def cold_boot_pending(ctx: CheckContext) -> None:
    pending_id = ctx.target.pending_charge_point_id
    if pending_id is None:
        raise NotApplicable(
            "no station id the backend answers Pending for: give --pending-id CP_ID "
            "(the built-in central system keeps the ids of its --pending-ids FILE Pending)"
        )
    async with ctx.open_or_fail(charge_point_id=pending_id) as station:
        pending = await boot_answered(ctx, station, "Pending")
        wait_s = min(float(pending["interval"]), ctx.timeout_s)
        ctx.note(f"Pending: booting again in {wait_s:g} s (the interval, at most the timeout)")
        await asyncio.sleep(wait_s)  # B02: the station waits the interval
        await boot_answered(ctx, station, "Accepted")
        await ctx.all_available(station)


@check201(
    "TC_B_30_CSMS",
    "Cold boot answered Rejected: other messages get SecurityError",
    clause="OCPP 2.0.1 B03 Cold Boot Charging Station - Rejected (B03.FR.07: a message other "
    "than BootNotification is answered with CALLERROR SecurityError)",
    sends="as the --rejected-id station: BootNotification, then a Heartbeat",
    expects="BootNotificationResponse Rejected with currentTime and interval > 0; the "
    "Heartbeat answered with CALLERROR SecurityError (not applicable without --rejected-id)",
)
async def cold_boot_rejected(ctx: CheckContext) -> None:
    rejected_id = ctx.target.rejected_charge_point_id
    if rejected_id is None:
        raise NotApplicable(
            "no station id the backend answers Rejected for: give --rejected-id CP_ID "
            "(the built-in central system rejects the ids of its --rejected-ids FILE)"
        )
    async with ctx.open_or_fail(charge_point_id=rejected_id) as station:
        await boot_answered(ctx, station, "Rejected")
        reply = await station.call("Heartbeat", {})
        ctx.expect_error(reply, {"SecurityError"}, "a Heartbeat after a Rejected boot")


@check201(
    "TC_B_06_CSMS",
    "Get Variables: one value",
    clause="OCPP 2.0.1 B06 Get Variables",
    sends="booted; answers the backend's GetVariablesRequest from its device model "
    "(HeartbeatInterval Accepted, 300)",
    expects="GetVariablesRequest for OCPPCommCtrlr.HeartbeatInterval, as triggered; the "
    "trigger reports success",
    backend_initiated=True,
)
async def get_variables_single(ctx: CheckContext) -> None:
    ctx.require_trigger("GetVariables")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "GetVariables", {"getVariableData": [HEARTBEAT_INTERVAL]})


@check201(
    "TC_B_07_CSMS",
    "Get Variables: several values, one of an unknown component",
    clause="OCPP 2.0.1 B06 Get Variables (a result per variable)",
    sends="booted; answers GetVariables: two known variables Accepted, the third UnknownComponent",
    expects="GetVariablesRequest with the three variables in the order triggered; the "
    "trigger reports success (an UnknownComponent result is an answer, not an error)",
    backend_initiated=True,
)
async def get_variables_multiple(ctx: CheckContext) -> None:
    ctx.require_trigger("GetVariables")
    wanted = [
        HEARTBEAT_INTERVAL,
        {"component": {"name": "TxCtrlr"}, "variable": {"name": "EVConnectionTimeOut"}},
        {"component": {"name": "ChkNoSuchCtrlr"}, "variable": {"name": "Enabled"}},
    ]
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "GetVariables", {"getVariableData": wanted})


@check201(
    "TC_B_09_CSMS",
    "Set Variables: one value",
    clause="OCPP 2.0.1 B05 Set Variables",
    sends="booted; answers the backend's SetVariablesRequest Accepted",
    expects="SetVariablesRequest OCPPCommCtrlr.HeartbeatInterval = a new value, as "
    "triggered (the value a string); the trigger reports success",
    backend_initiated=True,
)
async def set_variables_single(ctx: CheckContext) -> None:
    ctx.require_trigger("SetVariables")
    value = str(60 + secrets.randbelow(600))
    data = [HEARTBEAT_INTERVAL | {"attributeValue": value}]
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "SetVariables", {"setVariableData": data})


@check201(
    "TC_B_10_CSMS",
    "Set Variables: several values, one of them rejected",
    clause="OCPP 2.0.1 B05 Set Variables (a result per variable; Rejected is a status, "
    "not an error)",
    sends="booted; answers SetVariables: HeartbeatInterval Accepted, EVConnectionTimeOut Rejected",
    expects="SetVariablesRequest with both values, as triggered; the trigger reports "
    "success with the mixed answer",
    backend_initiated=True,
)
async def set_variables_multiple(ctx: CheckContext) -> None:
    ctx.require_trigger("SetVariables")
    timeout = {"component": {"name": "TxCtrlr"}, "variable": {"name": "EVConnectionTimeOut"}}
    data = [
        HEARTBEAT_INTERVAL | {"attributeValue": str(60 + secrets.randbelow(600))},
        timeout | {"attributeValue": "45"},
    ]
    reply = {
        "setVariableResult": [
            {"attributeStatus": "Accepted"} | HEARTBEAT_INTERVAL,
            {"attributeStatus": "Rejected"} | timeout,
        ]
    }
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "SetVariables", {"setVariableData": data}, reply=reply)


def report_part(request_id: int, seq_no: int, *, tbc: bool, names: list[str]) -> dict[str, Any]:
    """One NotifyReport part of `requestId`, reporting OCPPCommCtrlr's variables `names`."""
    return {
        "requestId": request_id,
        "generatedAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "seqNo": seq_no,
        "tbc": tbc,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": name},
                "variableAttribute": [{"type": "Actual", "value": "60", "mutability": "ReadWrite"}],
                "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
            }
            for name in names
        ],
    }


async def _base_report(ctx: CheckContext, report_base: str, parts: int) -> None:
    ctx.require_trigger("GetBaseReport")
    request_id = 1 + secrets.randbelow(1_000_000)
    names = ["HeartbeatInterval", "MessageAttempts", "MessageAttemptInterval"]
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "GetBaseReport", {"requestId": request_id, "reportBase": report_base}
        )
        for seq_no in range(parts):
            part = report_part(
                request_id, seq_no, tbc=seq_no < parts - 1, names=names[seq_no::parts]
            )
            await ctx.result(station, "NotifyReport", part)


@check201(
    "TC_B_12_CSMS",
    "Get Base Report: ConfigurationInventory, answered in one NotifyReport",
    clause="OCPP 2.0.1 B07 Get Base Report, B08 NotifyReport",
    sends="booted; answers GetBaseReport Accepted, then NotifyReport requestId, seqNo 0, tbc false",
    expects="GetBaseReportRequest reportBase ConfigurationInventory with the triggered "
    "requestId; an empty NotifyReportResponse",
    backend_initiated=True,
)
async def base_report_configuration(ctx: CheckContext) -> None:
    await _base_report(ctx, "ConfigurationInventory", parts=1)


@check201(
    "TC_B_13_CSMS",
    "Get Base Report: FullInventory, answered in two NotifyReports",
    clause="OCPP 2.0.1 B07 Get Base Report, B08 NotifyReport (seqNo, tbc)",
    sends="booted; answers GetBaseReport Accepted, then NotifyReport seqNo 0 tbc true and "
    "seqNo 1 tbc false",
    expects="GetBaseReportRequest reportBase FullInventory with the triggered requestId; an "
    "empty NotifyReportResponse to each part",
    backend_initiated=True,
)
async def base_report_full(ctx: CheckContext) -> None:
    await _base_report(ctx, "FullInventory", parts=2)


@check201(
    "TC_B_14_CSMS",
    "Get Base Report: SummaryInventory",
    clause="OCPP 2.0.1 B07 Get Base Report, B08 NotifyReport",
    sends="booted; answers GetBaseReport Accepted, then one NotifyReport",
    expects="GetBaseReportRequest reportBase SummaryInventory with the triggered requestId; "
    "an empty NotifyReportResponse",
    backend_initiated=True,
)
async def base_report_summary(ctx: CheckContext) -> None:
    await _base_report(ctx, "SummaryInventory", parts=1)


async def _reboot(ctx: CheckContext) -> None:
    """The station back after its reset: a new connection, BootNotification RemoteReset
    Accepted, every EVSE Available, the ResetOrReboot security event answered."""
    async with ctx.open_or_fail() as station:
        await boot_answered(ctx, station, "Accepted", reason="RemoteReset")
        await ctx.all_available(station)
        await ctx.result(
            station,
            "SecurityEventNotification",
            {"type": "ResetOrReboot", "timestamp": ctx.now(), "techInfo": "Reset by the CSMS"},
        )


@check201(
    "TC_B_20_CSMS",
    "Reset OnIdle without a transaction: the station reboots and is accepted",
    clause="OCPP 2.0.1 B11 Reset - Without Ongoing Transaction",
    sends="booted; answers ResetRequest Accepted; closes the connection; connects again: "
    "BootNotification reason RemoteReset, StatusNotification per EVSE, "
    "SecurityEventNotification ResetOrReboot",
    expects="ResetRequest type OnIdle as triggered; the new boot Accepted, every message answered",
    backend_initiated=True,
)
async def reset_on_idle(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "Reset", {"type": "OnIdle"})
    await _reboot(ctx)


async def charging_started(
    ctx: CheckContext, station: ScriptedChargePoint, transaction_id: str
) -> None:
    """A transaction on EVSE 1: Occupied, Started (cable plugged in), Updated (Charging)."""
    await ctx.connector_status(station, 1, "Occupied")
    await ctx.transaction_event(
        station,
        "Started",
        transaction_id,
        0,
        trigger_reason="CablePluggedIn",
        charging_state="EVConnected",
    )
    await ctx.transaction_event(
        station,
        "Updated",
        transaction_id,
        1,
        trigger_reason="ChargingStateChanged",
        charging_state="Charging",
    )


@check201(
    "TC_B_21_CSMS",
    "Reset OnIdle with a transaction: Scheduled, the transaction ends, then the reboot",
    clause="OCPP 2.0.1 B12 Reset - With Ongoing Transaction (OnIdle waits for the transaction "
    "to end, the answer is Scheduled)",
    sends="booted; TransactionEvent Started and Updated (Charging); answers ResetRequest "
    "Scheduled; TransactionEvent Ended (EVDisconnected); closes; BootNotification "
    "RemoteReset",
    expects="ResetRequest type OnIdle as triggered, the trigger's success with Scheduled; "
    "every TransactionEvent answered; the new boot Accepted",
    backend_initiated=True,
)
async def reset_on_idle_with_transaction(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    transaction_id = ctx.new_transaction_id()
    async with ctx.booted() as station:
        await charging_started(ctx, station, transaction_id)
        await ctx.backend_sends(station, "Reset", {"type": "OnIdle"}, reply={"status": "Scheduled"})
        await ctx.transaction_event(
            station,
            "Ended",
            transaction_id,
            2,
            trigger_reason="EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
        )
        await ctx.connector_status(station, 1, "Available")
    await _reboot(ctx)


@check201(
    "TC_B_22_CSMS",
    "Reset Immediate with a transaction: the transaction ends at once, then the reboot",
    clause="OCPP 2.0.1 B12 Reset - With Ongoing Transaction (Immediate ends the "
    "transaction: triggerReason ResetCommand, stoppedReason ImmediateReset)",
    sends="booted; TransactionEvent Started and Updated; answers ResetRequest Accepted; "
    "TransactionEvent Ended (ResetCommand, ImmediateReset); closes; BootNotification "
    "RemoteReset",
    expects="ResetRequest type Immediate as triggered; the Ended event answered; the new "
    "boot Accepted",
    backend_initiated=True,
)
async def reset_immediate_with_transaction(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    transaction_id = ctx.new_transaction_id()
    async with ctx.booted() as station:
        await charging_started(ctx, station, transaction_id)
        await ctx.backend_sends(station, "Reset", {"type": "Immediate"})
        await ctx.transaction_event(
            station,
            "Ended",
            transaction_id,
            2,
            trigger_reason="ResetCommand",
            charging_state="Idle",
            stopped_reason="ImmediateReset",
        )
    await _reboot(ctx)


@check201(
    "TC_B_31_CSMS",
    "Cold boot answered Rejected: the CSMS triggers a new BootNotification",
    clause="OCPP 2.0.1 B02/B03 (a station not accepted may be made to boot again before its "
    "interval), F06 TriggerMessage (requestedMessage BootNotification)",
    sends="as the --rejected-id station: BootNotification; answers TriggerMessage "
    "BootNotification Accepted, then sends BootNotification reason Triggered",
    expects="TriggerMessageRequest requestedMessage BootNotification while the station is "
    "not accepted; the triggered boot answered with a status and interval > 0 (not "
    "applicable without --rejected-id)",
    backend_initiated=True,
)
async def triggered_boot_when_rejected(ctx: CheckContext) -> None:
    ctx.require_trigger("TriggerMessage")
    rejected_id = ctx.target.rejected_charge_point_id
    if rejected_id is None:
        raise NotApplicable(
            "no station id the backend answers Rejected for: give --rejected-id CP_ID "
            "(the built-in central system rejects the ids of its --rejected-ids FILE)"
        )
    async with ctx.open_or_fail(charge_point_id=rejected_id) as station:
        await boot_answered(ctx, station, "Rejected")
        await ctx.backend_sends(station, "TriggerMessage", {"requestedMessage": "BootNotification"})
        reply = await ctx.result(station, "BootNotification", ctx.boot_payload("Triggered"))
        interval = reply.get("interval")
        ctx.expect(
            isinstance(interval, int) and interval > 0,
            "the triggered boot answered with interval > 0",
            f"status {reply.get('status')!r}, interval {interval!r}",
        )
