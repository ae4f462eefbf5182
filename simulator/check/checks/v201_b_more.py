"""OCTT 2.0.1 block B, the rest of Core: Reset of one EVSE, GetReport with criteria, a
GetVariables split by the station's ItemsPerMessage, SetNetworkProfile. All of them are
started by the CSMS: they need `--trigger` (or a prompt); without it they are not run.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any, Final

from ocpp.messages import Call

from simulator.check.catalogue import check201
from simulator.check.checks.v201_b_provisioning import (
    HEARTBEAT_INTERVAL,
    charging_started,
    report_part,
)
from simulator.check.context import CheckContext
from simulator.check.station import VARIABLES_201, ScriptedChargePoint
from simulator.check.trigger import TriggerFailed
from simulator.check.verdicts import CheckFailed

#: The EVSE the one-EVSE resets are for (every station has EVSE 1).
RESET_EVSE_ID: Final = 1


async def _evse_back(ctx: CheckContext, station: ScriptedChargePoint) -> None:
    """An EVSE reset: the EVSE goes Unavailable while it restarts, then Available again (the
    station stays connected and booted: only that EVSE resets)."""
    await ctx.connector_status(station, RESET_EVSE_ID, "Unavailable")
    await ctx.connector_status(station, RESET_EVSE_ID, "Available")


@check201(
    "TC_B_25_CSMS",
    "Reset of one EVSE, OnIdle, without a transaction",
    clause="OCPP 2.0.1 B11 Reset - Without Ongoing Transaction (a reset of the "
    "EVSE given by evseId only)",
    sends="booted; answers ResetRequest Accepted; StatusNotification Unavailable, then "
    "Available for EVSE 1 (the connection stays)",
    expects="ResetRequest type OnIdle, evseId 1, as triggered; both statuses answered",
    backend_initiated=True,
)
async def reset_evse_on_idle(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "Reset", {"type": "OnIdle", "evseId": RESET_EVSE_ID})
        await _evse_back(ctx, station)


@check201(
    "TC_B_26_CSMS",
    "Reset of one EVSE, OnIdle, with a transaction on it: Scheduled, then the EVSE resets",
    clause="OCPP 2.0.1 B12 Reset - With Ongoing Transaction (OnIdle for an "
    "EVSE waits for its transaction to end; the answer is Scheduled)",
    sends="booted; TransactionEvent Started and Updated on EVSE 1; answers ResetRequest "
    "Scheduled; TransactionEvent Ended (EVDisconnected); StatusNotification Unavailable, "
    "then Available for EVSE 1",
    expects="ResetRequest type OnIdle, evseId 1, as triggered, the trigger's success with "
    "Scheduled; every message answered",
    backend_initiated=True,
)
async def reset_evse_on_idle_with_transaction(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    transaction_id = ctx.new_transaction_id()
    async with ctx.booted() as station:
        await charging_started(ctx, station, transaction_id)
        await ctx.backend_sends(
            station,
            "Reset",
            {"type": "OnIdle", "evseId": RESET_EVSE_ID},
            reply={"status": "Scheduled"},
        )
        await ctx.transaction_event(
            station,
            "Ended",
            transaction_id,
            2,
            trigger_reason="EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
        )
        await _evse_back(ctx, station)


@check201(
    "TC_B_27_CSMS",
    "Reset of one EVSE, Immediate, with a transaction on it: the transaction ends at once",
    clause="OCPP 2.0.1 B12 Reset - With Ongoing Transaction (Immediate ends "
    "the EVSE's transaction, triggerReason ResetCommand, stoppedReason ImmediateReset)",
    sends="booted; TransactionEvent Started and Updated on EVSE 1; answers ResetRequest "
    "Accepted; TransactionEvent Ended (ResetCommand, ImmediateReset); StatusNotification "
    "Unavailable, then Available for EVSE 1",
    expects="ResetRequest type Immediate, evseId 1, as triggered; every message answered",
    backend_initiated=True,
)
async def reset_evse_immediate_with_transaction(ctx: CheckContext) -> None:
    ctx.require_trigger("Reset")
    transaction_id = ctx.new_transaction_id()
    async with ctx.booted() as station:
        await charging_started(ctx, station, transaction_id)
        await ctx.backend_sends(station, "Reset", {"type": "Immediate", "evseId": RESET_EVSE_ID})
        await ctx.transaction_event(
            station,
            "Ended",
            transaction_id,
            2,
            trigger_reason="ResetCommand",
            charging_state="Idle",
            stopped_reason="ImmediateReset",
        )
        await _evse_back(ctx, station)


@check201(
    "TC_B_18_CSMS",
    "Get Custom Report: by component criteria and a component/variable, NotifyReport answered",
    clause="OCPP 2.0.1 B08 Get Custom Report (componentCriteria and "
    "componentVariable narrow the report), NotifyReport",
    sends="booted; answers GetReport Accepted, then NotifyReport with that requestId, seqNo "
    "0, tbc false, reporting OCPPCommCtrlr.HeartbeatInterval",
    expects="GetReportRequest with the triggered requestId, componentCriteria [Enabled] and "
    "componentVariable OCPPCommCtrlr.HeartbeatInterval; an empty NotifyReportResponse",
    backend_initiated=True,
)
async def custom_report(ctx: CheckContext) -> None:
    ctx.require_trigger("GetReport")
    request_id = 1 + secrets.randbelow(1_000_000)
    payload = {
        "requestId": request_id,
        "componentCriteria": ["Enabled"],
        "componentVariable": [HEARTBEAT_INTERVAL],
    }
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "GetReport", payload)
        part = report_part(request_id, 0, tbc=False, names=["HeartbeatInterval"])
        await ctx.result(station, "NotifyReport", part)


#: What the station reports as its DeviceDataCtrlr ItemsPerMessage for GetVariables (less
#: than the variables then asked for, so a CSMS honouring it must split the request).
ITEMS_PER_GET_VARIABLES: Final = 2
#: What it reports afterwards: its device model's (VARIABLES_201).
USUAL_ITEMS_PER_MESSAGE: Final = int(VARIABLES_201[("DeviceDataCtrlr", "ItemsPerMessage")])
_ASKED: Final = [
    HEARTBEAT_INTERVAL,
    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "MessageAttempts"}},
    {"component": {"name": "TxCtrlr"}, "variable": {"name": "EVConnectionTimeOut"}},
]


def _items_per_message_report(request_id: int, items: int) -> dict[str, Any]:
    part = report_part(request_id, 0, tbc=False, names=[])
    part["reportData"] = [
        {
            "component": {"name": "DeviceDataCtrlr"},
            "variable": {"name": name, "instance": "GetVariables"},
            "variableAttribute": [{"type": "Actual", "value": value, "mutability": "ReadOnly"}],
            "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
        }
        for name, value in (
            ("ItemsPerMessage", str(items)),
            ("BytesPerMessage", "8000"),
        )
    ]
    return part


@check201(
    "TC_B_08_CSMS",
    "Get Variables: more than the station takes in one message are split",
    clause="OCPP 2.0.1 B06 Get Variables (the CSMS sends no more "
    "GetVariableData than the station's ItemsPerMessageGetVariables, nor more bytes than its "
    "BytesPerMessageGetVariables), B07/B08 its report",
    sends=f"booted; answers GetBaseReport ConfigurationInventory, reporting DeviceDataCtrlr "
    f"ItemsPerMessage[GetVariables] = {ITEMS_PER_GET_VARIABLES} and BytesPerMessage = 8000; "
    "answers each GetVariables from its device model; then reports its usual ItemsPerMessage "
    "(4) the same way",
    expects="after the report, a GetVariables of three variables triggered arrives as "
    f"requests of at most {ITEMS_PER_GET_VARIABLES} each, together the three in order; the "
    "trigger reports success; each GetBaseReport and NotifyReport answered",
    backend_initiated=True,
)
async def get_variables_split(ctx: CheckContext) -> None:
    trigger = ctx.require_trigger("GetBaseReport")
    async with ctx.booted() as station:
        await _report_items_per_message(ctx, station, ITEMS_PER_GET_VARIABLES)
        since = station.mark()
        asked = {"getVariableData": _ASKED}
        ctx.note(f"trigger: {trigger.description}, GetVariables {json.dumps(asked)}")
        try:
            async with asyncio.timeout(ctx.timeout_s):
                await trigger.send(station.charge_point_id, "GetVariables", asked)
        except TimeoutError:
            raise CheckFailed(
                f"{trigger.description} to answer GetVariables", f"no answer in {ctx.timeout_s:g} s"
            ) from None
        except TriggerFailed as failed:
            raise CheckFailed(
                "the backend to send GetVariables when triggered", str(failed)
            ) from None
        calls = [
            item.frame
            for item in station.received[since:]
            if isinstance(item.frame, Call) and item.frame.action == "GetVariables"
        ]
        sizes = [len(call.payload.get("getVariableData", ())) for call in calls]
        ctx.expect(
            bool(calls) and max(sizes) <= ITEMS_PER_GET_VARIABLES,
            f"GetVariables requests of at most {ITEMS_PER_GET_VARIABLES} items (the reported "
            "ItemsPerMessage)",
            f"requests of {sizes} items",
        )
        sent = [data for call in calls for data in call.payload["getVariableData"]]
        ctx.expect(
            sent == _ASKED, "the requests together: the three variables in order", json.dumps(sent)
        )
        # The station's usual limit again: the backend keeps what was reported, and a later
        # run's GetVariables of three (TC_B_07_CSMS) must not be split.
        await _report_items_per_message(ctx, station, USUAL_ITEMS_PER_MESSAGE)


async def _report_items_per_message(
    ctx: CheckContext, station: ScriptedChargePoint, items: int
) -> None:
    request_id = 1 + secrets.randbelow(1_000_000)
    report = {"requestId": request_id, "reportBase": "ConfigurationInventory"}
    await ctx.backend_sends(station, "GetBaseReport", report)
    await ctx.result(station, "NotifyReport", _items_per_message_report(request_id, items))


#: The profile the network-profile cases have the CSMS send (slot 1, the CSMS's own URL
#: being the operator's choice: any ws(s) URL stands in for it).
NETWORK_PROFILE: Final = {
    "configurationSlot": 1,
    "connectionData": {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": "ws://127.0.0.1:9/ocpp",
        "messageTimeout": 30,
        "securityProfile": 1,
        "ocppInterface": "Wired0",
    },
}


@check201(
    "TC_B_42_CSMS",
    "Set Network Profile: the new connection profile is Accepted",
    clause="OCPP 2.0.1 B09 Setting a new NetworkConnectionProfile (the station "
    "stores connectionData in configurationSlot)",
    sends="booted; answers SetNetworkProfileRequest Accepted",
    expects="SetNetworkProfileRequest with configurationSlot 1 and the triggered "
    "connectionData (version, transport, URL, timeout, security profile, interface); the "
    "trigger reports success",
    backend_initiated=True,
)
async def network_profile_accepted(ctx: CheckContext) -> None:
    ctx.require_trigger("SetNetworkProfile")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "SetNetworkProfile", NETWORK_PROFILE)


@check201(
    "TC_B_44_CSMS",
    "Set Network Profile: Rejected by the station, the CSMS takes the answer",
    clause="OCPP 2.0.1 B09 Setting a new NetworkConnectionProfile (a station may "
    "reject it; Rejected is a status, not an error)",
    sends="booted; answers SetNetworkProfileRequest Rejected; then a Heartbeat",
    expects="SetNetworkProfileRequest with the triggered connectionData; the trigger reports "
    "success with Rejected; the station stays connected (the Heartbeat answered)",
    backend_initiated=True,
)
async def network_profile_rejected(ctx: CheckContext) -> None:
    ctx.require_trigger("SetNetworkProfile")
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "SetNetworkProfile", NETWORK_PROFILE, reply={"status": "Rejected"}
        )
        await ctx.result(station, "Heartbeat", {})
