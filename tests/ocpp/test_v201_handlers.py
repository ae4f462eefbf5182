"""The central system's calls to a running 2.0.1 charging station (`ChargingStationV201`'s
handlers), made with the stock `ocpp` package's v201 `call()`, which validates the station's
every answer against the 2.0.1 schemas: the device model, remote start and stop, availability,
triggers, unlock, reset (Immediate and OnIdle), and the calls answered without effect.

One run of the small scenario, paced (a day would take 144 s of wall time; the arrivals keep
the pacer's clock going) with every driver's car a NACS-only one, so that the first station
(CCS1 and CHAdeMO) is idle unless the test starts a session there; the run is cancelled once
the calls are made.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call, call_result

from simulator import scenario as sc
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from tests.ocpp.helpers import wait_for, write_small_scenario
from tests.ocpp.stock_csms import Journal, StockCsms, stock_csms

PACE = 600.0
WAIT_S = 30.0  # a loaded machine: the station answers in milliseconds when idle


class Live:
    """The run, the central system, and the station the test talks to."""

    def __init__(self, csms: StockCsms, world: World) -> None:
        self.csms = csms
        self.world = world
        self.station = world.ports[0].id
        self.connectors = len(world.ports[0].connectors)

    async def call(self, message: Any) -> Any:
        assert self.csms.loop is not None
        future = asyncio.run_coroutine_threadsafe(
            self.csms.call(self.station, message), self.csms.loop
        )
        return await asyncio.wrap_future(future)

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [p for s, p in self.csms.journal.of(action) if s == self.station]

    async def next_of(
        self, action: str, before: int, match: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The first `action` the station sends after the `before` it had sent already."""

        def found() -> list[dict[str, Any]]:
            return [p for p in self.sent(action)[before:] if match is None or match(p)]

        await wait_for(lambda: bool(found()), f"{action} from {self.station}", timeout_s=WAIT_S)
        return found()[0]


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    path = write_small_scenario(tmp_path, days=1.0)
    text = path.read_text(encoding="utf-8")
    assert text.count("share = 0.6") == text.count("share = 0.4") == 1
    path.write_text(
        text.replace("share = 0.6", "share = 0.0").replace("share = 0.4", "share = 1.0")
    )
    world = sc.world(sc.load(path))
    assert world.ports[0].id == "n-01"
    # the run is cancelled below and never answers the server's closing handshake: the close
    # would wait out the usual 1 s per test, for nothing
    with stock_csms(Journal(heartbeat_interval_s=3600), close_timeout_s=0.1) as csms:
        run = asyncio.create_task(
            run_ocpp_async(
                world,
                OcppRunOptions(
                    csms_url=csms.url,
                    pace=PACE,
                    versions={n.id: "ocpp2.0.1" for n in world.networks},
                ),
            )
        )
        state = Live(csms, world)
        try:
            await wait_for(
                lambda: len(state.sent("StatusNotification")) >= state.connectors,
                "the station's boot",
                timeout_s=WAIT_S,
            )
            yield state
        finally:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            assert not csms.journal.call_errors


def get(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"name": component}, "variable": {"name": variable}, **extra}


async def test_get_and_set_variables_answer_every_status_the_rules_name(live: Live) -> None:
    reply = await live.call(
        call.GetVariables(
            get_variable_data=[
                get("OCPPCommCtrlr", "HeartbeatInterval"),
                get("NoSuchCtrlr", "HeartbeatInterval"),
                get("OCPPCommCtrlr", "NoSuchVariable"),
                get("SecurityCtrlr", "BasicAuthPassword"),
                get("OCPPCommCtrlr", "HeartbeatInterval", attribute_type="Target"),
                {
                    "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 2}},
                    "variable": {"name": "ConnectorType"},
                },
            ]
        )
    )
    assert isinstance(reply, call_result.GetVariables)
    results = reply.get_variable_result
    assert [r["attribute_status"] for r in results] == [
        "Accepted",
        "UnknownComponent",
        "UnknownVariable",
        "Rejected",
        "NotSupportedAttributeType",
        "Accepted",
    ]
    assert results[0]["attribute_value"] == "3600"  # the boot's interval
    assert results[5]["attribute_value"] == "CHAdeMO"
    reply = await live.call(
        call.SetVariables(
            set_variable_data=[
                {**get("OCPPCommCtrlr", "HeartbeatInterval"), "attribute_value": "120"},
                {**get("TxCtrlr", "TxStartPoint"), "attribute_value": "Authorized"},
                {**get("SampledDataCtrlr", "TxUpdatedInterval"), "attribute_value": "-5"},
                {**get("NoSuchCtrlr", "X"), "attribute_value": "1"},
                {**get("AuthCtrlr", "NoSuchVariable"), "attribute_value": "1"},
            ]
        )
    )
    assert isinstance(reply, call_result.SetVariables)
    assert [r["attribute_status"] for r in reply.set_variable_result] == [
        "Accepted",
        "Rejected",
        "Rejected",
        "UnknownComponent",
        "UnknownVariable",
    ]
    reply = await live.call(
        call.GetVariables(get_variable_data=[get("OCPPCommCtrlr", "HeartbeatInterval")])
    )
    assert reply.get_variable_result[0]["attribute_value"] == "120"
    # the new interval takes effect: heartbeats come every 2 virtual minutes now
    beats = len(live.sent("Heartbeat"))
    await wait_for(lambda: len(live.sent("Heartbeat")) >= beats + 2, "heartbeats", timeout_s=WAIT_S)


async def test_get_base_report_sends_the_inventory_in_numbered_notify_reports(live: Live) -> None:
    before = len(live.sent("NotifyReport"))
    reply = await live.call(call.GetBaseReport(request_id=7, report_base="FullInventory"))
    assert isinstance(reply, call_result.GetBaseReport)
    assert reply.status == "Accepted"

    def complete() -> bool:
        return any(not p.get("tbc") for p in live.sent("NotifyReport")[before:])

    await wait_for(complete, "the last NotifyReport", timeout_s=WAIT_S)
    reports = live.sent("NotifyReport")[before:]
    assert [p["seqNo"] for p in reports] == list(range(len(reports)))
    assert all(p["requestId"] == 7 for p in reports)
    assert [bool(p.get("tbc")) for p in reports] == [True] * (len(reports) - 1) + [False]
    entries = [e for p in reports for e in p["reportData"]]
    names = {(e["component"]["name"], e["variable"]["name"]) for e in entries}
    for wanted in (
        ("OCPPCommCtrlr", "HeartbeatInterval"),
        ("SampledDataCtrlr", "TxUpdatedInterval"),
        ("TxCtrlr", "TxStartPoint"),
        ("AuthCtrlr", "AuthorizeRemoteStart"),
        ("Connector", "ConnectorType"),
    ):
        assert wanted in names, wanted


async def test_a_remote_start_becomes_a_transaction_a_remote_stop_ends(live: Live) -> None:
    started = len(live.sent("TransactionEvent"))
    token = {"id_token": "APP-0001", "type": "Central"}
    reply = await live.call(call.RequestStartTransaction(id_token=token, remote_start_id=42))
    assert reply.status == "Accepted"
    event = await live.next_of("TransactionEvent", started, lambda p: p["eventType"] == "Started")
    assert event["triggerReason"] == "RemoteStart"
    assert event["transactionInfo"]["remoteStartId"] == 42
    assert event["idToken"] == {"idToken": "APP-0001", "type": "Central"}
    transaction_id = event["transactionInfo"]["transactionId"]
    # a second start on the busy station is refused
    busy = await live.call(call.RequestStartTransaction(id_token=token, remote_start_id=43))
    assert busy.status == "Rejected"
    status = await live.call(call.GetTransactionStatus(transaction_id=transaction_id))
    assert status.ongoing_indicator is True
    unlock = await live.call(call.UnlockConnector(evse_id=1, connector_id=1))
    assert unlock.status == "OngoingAuthorizedTransaction"
    wrong = await live.call(call.RequestStopTransaction(transaction_id="no-such-transaction"))
    assert wrong.status == "Rejected"
    reply = await live.call(call.RequestStopTransaction(transaction_id=transaction_id))
    assert reply.status == "Accepted"
    ended = await live.next_of("TransactionEvent", started, lambda p: p["eventType"] == "Ended")
    assert ended["transactionInfo"]["transactionId"] == transaction_id
    assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == (
        "RemoteStop",
        "Remote",
    )
    status = await live.call(call.GetTransactionStatus(transaction_id=transaction_id))
    assert status.ongoing_indicator is False
    assert status.messages_in_queue is False


async def test_a_reset_on_idle_waits_for_the_transaction_and_an_immediate_one_reboots_now(
    live: Live,
) -> None:
    before = len(live.sent("TransactionEvent"))
    boots = len(live.sent("BootNotification"))
    token = {"id_token": "APP-0002", "type": "Central"}
    await live.call(call.RequestStartTransaction(id_token=token, remote_start_id=1))
    event = await live.next_of("TransactionEvent", before, lambda p: p["eventType"] == "Started")
    reply = await live.call(call.Reset(type="OnIdle"))
    assert reply.status == "Scheduled"
    assert len(live.sent("BootNotification")) == boots  # not while it charges
    await live.call(
        call.RequestStopTransaction(transaction_id=event["transactionInfo"]["transactionId"])
    )
    boot = await live.next_of("BootNotification", boots)
    assert boot["reason"] == "ScheduledReset"
    evse = await live.call(call.Reset(type="Immediate", evse_id=1))
    assert evse.status == "Rejected"  # one EVSE: no reset of it alone

    async def immediate() -> Any:
        # the station takes calls again once its new boot is accepted
        for _ in range(int(WAIT_S / 0.1)):
            with contextlib.suppress(Exception):  # the old connection, closing
                reply = await live.call(call.Reset(type="Immediate"))
                if reply.status == "Accepted":
                    return reply
            await asyncio.sleep(0.1)
        raise AssertionError("the Immediate reset was never accepted")

    # the OnIdle reset's own event follows its boot: counted only once it is in (under load it
    # came after the count and was taken for the Immediate reset's)
    on_idle = "Reset OnIdle (ScheduledReset)"
    await live.next_of("SecurityEventNotification", 0, lambda p: p.get("techInfo") == on_idle)
    events = len(live.sent("SecurityEventNotification"))
    await immediate()
    boot = await live.next_of("BootNotification", boots + 1)
    assert boot["reason"] == "RemoteReset"
    # each boot a Reset caused is reported as a security event; the first was the startup
    event = await live.next_of("SecurityEventNotification", events)
    assert (event["type"], event["techInfo"]) == ("ResetOrReboot", "Reset Immediate (RemoteReset)")
    kinds = [e["type"] for e in live.sent("SecurityEventNotification")]
    assert kinds == ["StartupOfTheDevice", "ResetOrReboot", "ResetOrReboot"]


async def test_triggers_availability_and_the_calls_without_effect(live: Live) -> None:
    beats = len(live.sent("Heartbeat"))
    reply = await live.call(call.TriggerMessage(requested_message="Heartbeat"))
    assert reply.status == "Accepted"
    await live.next_of("Heartbeat", beats)
    statuses = len(live.sent("StatusNotification"))
    reply = await live.call(
        call.TriggerMessage(
            requested_message="StatusNotification", evse={"id": 1, "connector_id": 2}
        )
    )
    assert reply.status == "Accepted"
    status = await live.next_of("StatusNotification", statuses)
    assert (status["evseId"], status["connectorId"]) == (1, 2)
    meters = len(live.sent("MeterValues"))
    assert (await live.call(call.TriggerMessage(requested_message="MeterValues"))).status == (
        "Accepted"
    )
    meter = await live.next_of("MeterValues", meters)
    assert meter["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    boots = len(live.sent("BootNotification"))
    assert (await live.call(call.TriggerMessage(requested_message="BootNotification"))).status == (
        "Accepted"
    )
    assert (await live.next_of("BootNotification", boots))["reason"] == "Triggered"
    for message, expected in (
        ("TransactionEvent", "Rejected"),  # no transaction to report
        ("SignV2GCertificate", "NotImplemented"),
    ):
        assert (await live.call(call.TriggerMessage(requested_message=message))).status == expected
    assert (
        await live.call(call.TriggerMessage(requested_message="Heartbeat", evse={"id": 2}))
    ).status == "Rejected"

    for evse, expected in (({"id": 2}, "Rejected"), ({"id": 1, "connector_id": 9}, "Rejected")):
        reply = await live.call(
            call.ChangeAvailability(operational_status="Inoperative", evse=evse)
        )
        assert reply.status == expected
    statuses = len(live.sent("StatusNotification"))
    reply = await live.call(call.ChangeAvailability(operational_status="Inoperative"))
    assert reply.status == "Accepted"
    down = await live.next_of("StatusNotification", statuses)
    assert down["connectorStatus"] == "Unavailable"
    reply = await live.call(call.ChangeAvailability(operational_status="Operative"))
    assert reply.status == "Accepted"
    up = await live.next_of(
        "StatusNotification", statuses, lambda p: p["connectorStatus"] == "Available"
    )
    assert up["evseId"] == 1

    assert (await live.call(call.UnlockConnector(evse_id=1, connector_id=9))).status == (
        "UnknownConnector"
    )
    assert (await live.call(call.UnlockConnector(evse_id=1, connector_id=1))).status == "Unlocked"
    assert (await live.call(call.ClearCache())).status == "Accepted"
    assert (await live.call(call.DataTransfer(vendor_id="acme"))).status == "UnknownVendorId"
    idle = await live.call(call.GetTransactionStatus())
    assert idle.messages_in_queue is False
    assert idle.ongoing_indicator is None
