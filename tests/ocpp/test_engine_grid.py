"""The OCPP engine with a binding site grid limit: the same physics as the fast engine, byte
for byte, against the built-in central system over real websockets on 127.0.0.1, which
applies the grid policy itself (the sites report their needs, it sends TxProfiles), with 1.6
charge points and with 2.0.1 charging stations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from central_system.grid import GRID_PROFILE_ID as CSMS_GRID_PROFILE_ID
from ocppj import OCPP16, OCPP201, Version
from policy.grid import Demand, allocate, to_w
from simulator import runner
from simulator import scenario as sc
from simulator.model.smart_charging import GRID_PROFILE_ID
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.store_reader import read_records
from simulator.reports.grid import REQUESTED_NA
from simulator.reports.summary import sessions_csv, to_json

GRID_SCENARIO = {
    "name": "grid-small",
    "simulation": {"days": 0.25, "seed": 3, "meter_interval_s": 600},
    "networks": [
        {
            "id": "n",
            "members": ["Volt"],
            "sites": [
                {
                    "id": "g",
                    "ports": [{"power_kw": 150, "connectors": ["CCS1"], "count": 3}],
                    "grid_limit_schedule": [
                        {"from": "00:00", "kw": 180},
                        {"from": "03:00", "kw": 250},
                    ],
                    "grid_policy": "priority",
                }
            ],
        }
    ],
    "vehicles": [
        {
            "id": "volt",
            "brand": "Volt",
            "share": 0.5,
            "battery_kwh": 60,
            "peak_kw": 120,
            "connectors": ["CCS1"],
        },
        {
            "id": "arrow",
            "brand": "Arrow",
            "share": 0.5,
            "battery_kwh": 75,
            "peak_kw": 150,
            "connectors": ["CCS1"],
            "curve": {"kind": "flat"},
        },
    ],
    "drivers": {"patience_min": {"dist": "fixed", "value": 20}},
    "arrivals": {"kind": "constant", "rate_per_h": 5},
}


def grid_world(policy: str = "priority", *, second_connector: bool = False) -> World:
    """`second_connector`: the ports have a CHAdeMO connector too, the Arrows' only one."""
    spec = copy.deepcopy(GRID_SCENARIO)
    spec["networks"][0]["sites"][0]["grid_policy"] = policy
    if second_connector:
        spec["networks"][0]["sites"][0]["ports"][0]["connectors"] = ["CCS1", "CHAdeMO"]
        spec["vehicles"][1]["connectors"] = ["CHAdeMO"]
    return sc.world(sc.parse(spec))


@pytest.mark.parametrize("version", [OCPP16, OCPP201])
@pytest.mark.parametrize("policy", ["equal", "priority"])
async def test_a_binding_grid_limit_gives_the_fast_engines_records_byte_for_byte(
    tmp_path: Path, policy: str, version: Version
) -> None:
    world = grid_world(policy)
    fast = runner.run_fast(world)
    # the limit binds: some charge ran below its port's rating and its car's peak
    assert any(s.start_kw < 120 and s.end_kw == s.start_kw for s in fast.segments)
    log = tmp_path / "messages.jsonl"
    options = OcppRunOptions(
        csms_db=tmp_path / "csms.sqlite", message_log=log, versions={"n": version}
    )
    records = await run_ocpp_async(world, options)
    assert records.sessions == fast.sessions
    assert records.segments == fast.segments
    assert fast.limited  # what the limit took, recorded alike
    assert records.limited == fast.limited
    summary = runner.summarize_world
    assert to_json(summary(world, records)) == to_json(summary(world, fast))
    assert sessions_csv(records) == sessions_csv(fast)
    # and the central system did the sharing out: its TxProfiles are in the log
    actions = {f[2] for _, direction, f in _frames(log) if f[0] == 2 and direction == "recv"}
    assert "SetChargingProfile" in actions

    # the store sees delivered power only: the requested side is n/a, never 0
    stored = summary(world, read_records(tmp_path / "csms.sqlite", world)).grid
    assert stored is not None
    assert stored.requested == REQUESTED_NA
    site = stored.sites["g"]
    assert site.requested_kwh is None
    assert site.below_curve_h is None
    assert site.delivered_kwh > 0
    assert site.limit_kw is None
    assert site.schedule


async def test_a_201_car_on_its_stations_second_connector_gets_its_share_on_evse_1(
    tmp_path: Path,
) -> None:
    world = grid_world("priority", second_connector=True)
    fast = runner.run_fast(world)
    log = tmp_path / "messages.jsonl"
    options = OcppRunOptions(
        csms_db=tmp_path / "csms.sqlite", message_log=log, versions={"n": OCPP201}
    )
    records = await run_ocpp_async(world, options)
    assert records.sessions == fast.sessions
    assert records.segments == fast.segments
    summary = runner.summarize_world
    assert to_json(summary(world, records)) == to_json(summary(world, fast))
    frames = _frames(log)
    reported = {
        n["connectorId"]
        for _, direction, f in frames
        if f[0] == 2 and f[2] == "DataTransfer" and direction == "send"
        for n in f[3]["data"]["needs"]
    }
    assert reported == {1, 2}  # both connectors charged under the limit
    shares = [f[3] for _, d, f in frames if f[0] == 2 and f[2] == "SetChargingProfile"]
    assert shares
    assert {s["evseId"] for s in shares} == {1}


def _frames(log: Path) -> list[tuple[str, str, list[Any]]]:
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [(e["cp"], e["dir"], json.loads(e["frame"])) for e in entries]


@pytest.mark.parametrize("version", [OCPP16, OCPP201])
async def test_the_central_systems_txprofiles_are_the_policys_shares_and_meters_keep_to_them(
    tmp_path: Path, version: Version
) -> None:
    world = grid_world("priority")
    (site,) = world.sites
    assert site.grid is not None
    log = tmp_path / "messages.jsonl"
    options = OcppRunOptions(
        csms_db=tmp_path / "csms.sqlite", message_log=log, versions={"n": version}
    )
    await run_ocpp_async(world, options)
    reports: dict[tuple[str, str], dict[str, int]] = {}  # (cp, message id) -> the shares
    open_report: tuple[str, str] | None = None
    share_w: dict[str, int] = {}  # the share in force, by charge point
    running: dict[str, str] = {}  # 2.0.1: the station's running transaction
    sent = checked = binding = 0
    for cp, direction, frame in _frames(log):
        kind, message_id = frame[0], (cp, frame[1])
        if kind == 2 and frame[2] == "DataTransfer" and direction == "send":
            data = frame[3]["data"]
            data = json.loads(data) if version == OCPP16 else data  # 2.0.1: a JSON object
            assert cp == site.ports[0].id  # the site's first port reports for the site
            limit_w = to_w(site.grid.periods[data["period"]][1])
            demands = [
                Demand(n["chargePointId"], n["demandW"], n["priority"]) for n in data["needs"]
            ]
            reports[message_id] = allocate("priority", limit_w, demands)
            binding += sum(reports[message_id][d.port] < d.max_w for d in demands)
            open_report = message_id
        elif kind == 3 and message_id in reports:  # the answer comes after the profiles
            answered = frame[2]["data"]
            answered = json.loads(answered) if version == OCPP16 else answered
            assert answered == reports[message_id]
            open_report = None
        elif kind == 2 and frame[2] == "SetChargingProfile" and direction == "recv":
            assert open_report is not None, "a share sent outside a report"
            limit = _share_limit(version, frame[3], running.get(cp))
            assert limit == reports[open_report][cp]
            share_w[cp] = int(limit)
            sent += 1
        elif kind == 2 and direction == "send":
            for power_w in _sampled_power_w(version, frame[2], frame[3]):
                assert power_w <= share_w[cp]
                checked += 1
            if frame[2] == "TransactionEvent" and frame[3]["eventType"] == "Started":
                running[cp] = frame[3]["transactionInfo"]["transactionId"]
            if frame[2] == "StopTransaction" or (
                frame[2] == "TransactionEvent" and frame[3]["eventType"] == "Ended"
            ):
                share_w.pop(cp, None)  # its TxProfile ended with it
                running.pop(cp, None)
    assert sent > 0
    assert checked > 0
    assert binding > 0


def _share_limit(version: Version, payload: dict[str, Any], running: str | None) -> float:
    """The limit of a grid share's SetChargingProfile, its form checked for the version."""
    if version == OCPP16:
        profile = payload["csChargingProfiles"]
        assert profile["chargingProfilePurpose"] == "TxProfile"
        # the id the charge points apply as their grid share (the two ends agree on it)
        assert profile["chargingProfileId"] == GRID_PROFILE_ID == CSMS_GRID_PROFILE_ID
        (period,) = profile["chargingSchedule"]["chargingSchedulePeriod"]
        return float(period["limit"])
    assert payload["evseId"] == 1
    profile = payload["chargingProfile"]
    assert profile["id"] == GRID_PROFILE_ID == CSMS_GRID_PROFILE_ID
    assert (profile["chargingProfilePurpose"], profile["chargingProfileKind"]) == (
        "TxProfile",
        "Relative",
    )
    assert profile["stackLevel"] == 0
    # held to the station's running transaction, which the central system learnt from
    # its TransactionEvent Started
    assert running is not None
    assert profile["transactionId"] == running
    (schedule,) = profile["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W"
    (period,) = schedule["chargingSchedulePeriod"]
    return float(period["limit"])


def _sampled_power_w(version: Version, action: str, payload: dict[str, Any]) -> list[float]:
    """The Power.Active.Import samples of a 1.6 MeterValues or a 2.0.1 TransactionEvent
    Updated."""
    if version == OCPP16 and action == "MeterValues":
        values = payload["meterValue"]
    elif action == "TransactionEvent" and payload["eventType"] == "Updated":
        values = payload.get("meterValue", [])
    else:
        return []
    return [
        float(sample["value"])
        for value in values
        for sample in value["sampledValue"]
        if sample.get("measurand") == "Power.Active.Import"
    ]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"grid_in_csms": False}, id="the model asked to allocate"),
        pytest.param(
            {"grid_in_csms": False, "versions": {"n": OCPP201}}, id="a 2.0.1 site asked so"
        ),
    ],
)
async def test_where_the_central_system_does_not_allocate_the_model_does_byte_for_byte(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    world = grid_world("priority")
    fast = runner.run_fast(world)
    log = tmp_path / "messages.jsonl"
    run = OcppRunOptions(csms_db=tmp_path / "csms.sqlite", message_log=log, **options)
    records = await run_ocpp_async(world, run)
    assert records.sessions == fast.sessions
    assert records.segments == fast.segments
    actions = {f[2] for _, _, f in _frames(log) if f[0] == 2}
    assert "SetChargingProfile" not in actions
    assert "DataTransfer" not in actions
