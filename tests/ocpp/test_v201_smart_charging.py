"""Smart charging over OCPP 2.0.1 against an independent central system written here with the
stock `ocpp` package (its v201 ChargePoint class, through tests/ocpp/stock_csms.py's
`StationSession`, its own schema validation on), on a real websocket on 127.0.0.1: the
stations obey the profiles it sends.

The 1.6 module's scenario and plan (tests/ocpp/test_smart_charging.py), every network on
2.0.1. One run serves the whole module. The central system holds its answer to the first two
periodic TransactionEvents (Updated, MeterValuePeriodic) of the first transaction (the strict
lockstep keeps virtual time at that instant meanwhile) and sends its calls then:

- at t0: a ChargingStationMaxProfile of 50 kW on EVSE 0, every refusal the profile's rules
  and SmartChargingCtrlr ask for, Entries[ChargingProfiles] filled, GetChargingProfiles,
  ClearChargingProfile, the variables, the station without smart charging, and a
  RequestStartTransaction with a 7 kW TxProfile on another station;
- at t0 + 60 s: a TxProfile of 11 kW for 30 minutes, then 60 kW (above the cap), with the
  transactionId, and the composite schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ocpp import v201
from ocpp.exceptions import OCPPError
from ocpp.routing import on
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ocppj import OCPP201
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import MAX_COMPOSITE_S
from tests.ocpp.stock_csms import Journal, StationSession
from tests.ocpp.test_smart_charging import (
    CAP_W,
    CAR_W,
    CP,
    DEPOT,
    LEGACY,
    REMOTE_W,
    RUN_TIMEOUT_S,
    TX_FIRST_PERIOD_S,
    TX_LATER_W,
    TX_LIMIT_W,
    _limit_w,
    _seconds,
    _world,
    periods,
    with_,
)

VERSIONS = {"north": OCPP201, "depot": OCPP201, "legacy": OCPP201}
SMART = "SmartChargingCtrlr"


def tx_default(pid: int, level: int, limit: float = 100_000.0, unit: str = "W") -> dict[str, Any]:
    return {
        "id": pid,
        "stackLevel": level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [{"id": 1, **schedule(unit, ((0, limit),))}],
    }


def schedule(unit: str, pairs: Any) -> dict[str, Any]:
    """A 2.0.1 chargingSchedule's fields (the 1.6 module's `periods`, in another unit)."""
    return {**periods(*pairs), "chargingRateUnit": unit}


def one_schedule(*pairs: tuple[int, float]) -> list[dict[str, Any]]:
    return [{"id": 1, **periods(*pairs)}]


@dataclass
class Script:
    """What the central system did and saw."""

    journal: Journal = field(default_factory=Journal)
    sessions: dict[str, Session] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    """The timestamps of the TransactionEvents held, in order."""
    answers: dict[str, Any] = field(default_factory=dict)
    reports: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def events(self, station: str) -> list[dict[str, Any]]:
        return [p for s, p in self.journal.of("TransactionEvent") if s == station]

    def first_transaction(self) -> str | None:
        started = [p for p in self.events(CP) if p["eventType"] == "Started"]
        return started[0]["transactionInfo"]["transactionId"] if started else None


class Session(StationSession):
    def __init__(self, station: str, ws: ServerConnection, script: Script) -> None:
        super().__init__(station, ws, script.journal)
        self.script = script

    async def ask(self, message: Any) -> Any:
        return await self.call(message, suppress=False)

    async def route_message(self, raw: str) -> None:
        frame = json.loads(raw)
        script = self.script
        if self._holds(frame):
            script.held.append(frame[3]["timestamp"])
            step = _at_t0 if len(script.held) == 1 else _at_t0_plus_60
            script.tasks.append(asyncio.create_task(self._hold(raw, step)))
            return
        await super().route_message(raw)

    def _holds(self, frame: list[Any]) -> bool:
        script = self.script
        if self.id != CP or frame[0] != 2 or frame[2] != "TransactionEvent":
            return False
        payload = frame[3]
        first = script.first_transaction()
        return (
            len(script.held) < 2
            and first is not None
            and payload["transactionInfo"]["transactionId"] == first
            and payload["triggerReason"] == "MeterValuePeriodic"
        )

    async def _hold(self, raw: str, step: Any) -> None:
        try:
            await step(self.script)
        except BaseException as error:  # surfaced by the fixture
            self.script.errors.append(error)
        await super().route_message(raw)

    @on(v201.enums.Action.report_charging_profiles)
    def on_report_charging_profiles(
        self, **payload: Any
    ) -> v201.call_result.ReportChargingProfiles:
        self.script.reports.append((self.id, payload))
        return v201.call_result.ReportChargingProfiles()


async def _set(script: Script, station: str, evse: int, profile: dict[str, Any]) -> Any:
    """SetChargingProfile's reply: (status, reasonCode or None)."""
    reply = await script.sessions[station].ask(
        v201.call.SetChargingProfile(evse_id=evse, charging_profile=profile)
    )
    info = reply.status_info or {}
    return str(reply.status), info.get("reason_code")


async def _error(call: Any) -> str:
    """The CALLERROR code a call is answered with."""
    try:
        await call
    except OCPPError as error:
        return str(error.code)
    return "no CALLERROR"


def _variables(*names: str | tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        variable = (
            {"name": name} if isinstance(name, str) else {"name": name[0], "instance": name[1]}
        )
        out.append({"component": {"name": SMART}, "variable": variable})
    return out


async def _read(script: Script, station: str, *names: str | tuple[str, str]) -> dict[str, Any]:
    reply = await script.sessions[station].ask(
        v201.call.GetVariables(get_variable_data=_variables(*names))
    )
    return {
        r["variable"]["name"]: (r["attribute_status"], r.get("attribute_value"))
        for r in reply.get_variable_result
    }


def _composite(evse: int, duration: int, unit: str | None = None) -> Any:
    return v201.call.GetCompositeSchedule(duration=duration, evse_id=evse, charging_rate_unit=unit)


async def _at_t0(script: Script) -> None:
    """The first periodic event of the first transaction: cap, refusals, reports, variables."""
    a = script.answers
    cs = script.sessions[CP]
    a["composite_before"] = await cs.ask(_composite(1, 600))
    cap = {
        "id": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": one_schedule((0, CAP_W)),
    }
    a["cap"] = await _set(script, CP, 0, cap)
    tx_profile = {
        "id": 2,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": one_schedule((0, TX_LIMIT_W)),
    }
    a["refused"] = {
        "an unknown EVSE": await _set(script, CP, 2, tx_default(10, 0)),
        "a TxProfile without transactionId": await _set(script, CP, 1, tx_profile),
        "a TxProfile for another transaction": await _set(
            script, CP, 1, with_(tx_profile, transactionId="not-running")
        ),
        "a TxProfile on the station": await _set(
            script, CP, 0, with_(tx_profile, transactionId=script.first_transaction())
        ),
        "a stack level above ProfileStackLevel": await _set(script, CP, 0, tx_default(10, 9)),
        "more periods than PeriodsPerSchedule": await _set(
            script,
            CP,
            0,
            with_(
                tx_default(10, 0),
                chargingSchedule=one_schedule(*((60 * i, 1e5) for i in range(25))),
            ),
        ),
        "a ChargingStationMaxProfile on an EVSE": await _set(script, CP, 1, cap),
        "a first period not at 0": await _set(
            script, CP, 0, with_(tx_default(10, 0), chargingSchedule=one_schedule((60, 1e5)))
        ),
        "a transactionId on a TxDefaultProfile": await _set(
            script, CP, 1, with_(tx_default(10, 0), transactionId=script.first_transaction())
        ),
        "two schedules": await _set(
            script,
            CP,
            0,
            with_(
                tx_default(10, 0),
                chargingSchedule=[*one_schedule((0, 1e5)), {"id": 2, **periods((0, 1e5))}],
            ),
        ),
        "ChargingStationExternalConstraints": await _set(
            script,
            CP,
            0,
            with_(cap, id=10, chargingProfilePurpose="ChargingStationExternalConstraints"),
        ),
        "a rate unit the station does not allow": await _set(
            script, DEPOT, 0, tx_default(10, 0, 100.0, "A")
        ),
    }
    # K01.FR.06: a second profile at the same stack level on the same EVSE, while the
    # first is valid, is refused; one valid only after the first is not
    week = {"validFrom": "2026-01-01T00:00:00Z", "validTo": "2026-01-08T00:00:00Z"}
    later = {"validFrom": "2026-01-08T00:00:00Z"}
    a["duplicates"] = [
        await _set(script, CP, 1, {**tx_default(30, 1), **week}),
        await _set(script, CP, 1, tx_default(31, 1)),
        await _set(script, CP, 1, {**tx_default(31, 1), **later}),
        await _set(script, CP, 0, tx_default(32, 1)),  # the station's: another EVSE
    ]
    clear = v201.call.ClearChargingProfile
    a["clear_by_id"] = (await cs.ask(clear(charging_profile_id=31))).status
    a["clear_by_id_again"] = (await cs.ask(clear(charging_profile_id=31))).status
    a["clear_by_evse"] = (
        await cs.ask(clear(charging_profile_criteria={"evseId": 1, "stackLevel": 1}))
    ).status
    a["clear_level_1"] = (
        await cs.ask(clear(charging_profile_criteria={"evseId": 0, "stackLevel": 1}))
    ).status
    # up to MaxChargingProfilesInstalled (10, the cap included); the next one is refused
    a["filling"] = [await _set(script, CP, 0, tx_default(20 + level, level)) for level in range(9)]
    a["one_too_many"] = await _set(script, CP, 1, tx_default(40, 0))
    a["replacing_when_full"] = await _set(script, CP, 0, tx_default(28, 8, 90_000.0))
    a["entries_full"] = await _read(script, CP, ("Entries", "ChargingProfiles"))
    get = v201.call.GetChargingProfiles
    a["get_tx_default"] = (
        await cs.ask(
            get(request_id=7, charging_profile={"chargingProfilePurpose": "TxDefaultProfile"})
        )
    ).status
    a["get_tx"] = (
        await cs.ask(get(request_id=8, charging_profile={"chargingProfilePurpose": "TxProfile"}))
    ).status
    a["get_by_id"] = (
        await cs.ask(get(request_id=9, charging_profile={"chargingProfileId": [1, 28]}))
    ).status
    a["clear_tx_default"] = (
        await cs.ask(
            clear(charging_profile_criteria={"chargingProfilePurpose": "TxDefaultProfile"})
        )
    ).status
    a["clear_again"] = (
        await cs.ask(
            clear(charging_profile_criteria={"chargingProfilePurpose": "TxDefaultProfile"})
        )
    ).status
    a["clear_unknown_id"] = (await cs.ask(clear(charging_profile_id=999))).status
    a["composite_capped"] = await cs.ask(_composite(1, 600))
    a["composite_capped_a"] = await cs.ask(_composite(1, 600, "A"))
    a["composite_station"] = await cs.ask(_composite(0, 600))
    a["composite_long"] = await cs.ask(_composite(1, 2_000_000_000))
    a["composite_unknown"] = await cs.ask(_composite(5, 60))
    a["variables"] = await _read(
        script,
        CP,
        "Enabled",
        "Available",
        "ProfileStackLevel",
        "RateUnit",
        "PeriodsPerSchedule",
        ("Entries", "ChargingProfiles"),
        "LimitChangeSignificance",
        "ExternalControlSignalsEnabled",
    )
    a["depot_rate_unit"] = await _read(script, DEPOT, "RateUnit")
    a["set_stack_level"] = (
        await cs.ask(
            v201.call.SetVariables(
                set_variable_data=[
                    {**_variables("ProfileStackLevel")[0], "attributeValue": "3"},
                    {**_variables("LimitChangeSignificance")[0], "attributeValue": "5"},
                ]
            )
        )
    ).set_variable_result
    legacy = script.sessions[LEGACY]
    a["legacy_set"] = await _error(
        legacy.ask(v201.call.SetChargingProfile(evse_id=0, charging_profile=tx_default(1, 0)))
    )
    a["legacy_clear"] = await _error(legacy.ask(clear()))
    a["legacy_get"] = await _error(legacy.ask(get(request_id=1, charging_profile={})))
    a["legacy_composite"] = await _error(legacy.ask(_composite(1, 60)))
    a["legacy_variables"] = await _read(script, LEGACY, "Enabled", "Available")
    a["legacy_enable"] = (
        await legacy.ask(
            v201.call.SetVariables(
                set_variable_data=[{**_variables("Enabled")[0], "attributeValue": "true"}]
            )
        )
    ).set_variable_result
    remote_profile = with_(tx_profile, id=7, chargingSchedule=one_schedule((0, REMOTE_W)))
    start = v201.call.RequestStartTransaction
    token = {"idToken": "APP", "type": "Central"}
    depot = script.sessions[DEPOT]
    # no transaction on the depot's station: its composite (EVSE 0) is its one EVSE's
    a["depot_evse_default"] = await _set(script, DEPOT, 1, tx_default(60, 0, 40_000.0))
    a["depot_composite_station"] = await depot.ask(_composite(0, 600))
    a["depot_clear"] = (await depot.ask(clear(charging_profile_id=60))).status
    a["remote_start_wrong_purpose"] = (
        await depot.ask(start(id_token=token, remote_start_id=1, charging_profile=tx_default(8, 0)))
    ).status
    a["remote_start"] = (
        await depot.ask(start(id_token=token, remote_start_id=2, charging_profile=remote_profile))
    ).status


async def _at_t0_plus_60(script: Script) -> None:
    """The second periodic event: the TxProfile, and the composite it stacks into."""
    a = script.answers
    cs = script.sessions[CP]
    tx_profile = {
        "id": 2,
        "transactionId": script.first_transaction(),
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": one_schedule((0, TX_LIMIT_W), (TX_FIRST_PERIOD_S, TX_LATER_W)),
    }
    a["tx"] = await _set(script, CP, 1, tx_profile)
    a["entries_with_tx"] = await _read(script, CP, ("Entries", "ChargingProfiles"))
    a["composite_stacked"] = await cs.ask(_composite(1, 3600))
    a["get_tx_running"] = (
        await cs.ask(
            v201.call.GetChargingProfiles(
                request_id=10, evse_id=1, charging_profile={"chargingProfilePurpose": "TxProfile"}
            )
        )
    ).status


async def _run(folder: Path) -> Script:
    script = Script()

    async def handle(ws: ServerConnection) -> None:
        assert ws.request is not None
        station = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        session = script.sessions[station] = Session(station, ws, script)
        with contextlib.suppress(ConnectionClosed):  # the run ends by closing it
            await session.start()

    async with serve(handle, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:  # type: ignore[list-item]
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        await asyncio.wait_for(
            run_ocpp_async(
                _world(folder),
                # the held TransactionEvent waits for the whole script: give it the run's time
                OcppRunOptions(
                    csms_url=url,
                    max_lag_s=0.0,
                    versions=VERSIONS,
                    transport=TransportConfig(url, response_timeout_s=RUN_TIMEOUT_S),
                ),
            ),
            RUN_TIMEOUT_S,
        )
        await asyncio.gather(*script.tasks)
    return script


@pytest.fixture(scope="module")
def smart201_run(tmp_path_factory: pytest.TempPathFactory) -> Script:
    done = asyncio.run(_run(tmp_path_factory.mktemp("smart201")))
    if done.errors:
        raise done.errors[0]
    assert len(done.held) == 2, "the first transaction had fewer than two periodic events"
    return done


def _samples(run: Script, station: str) -> list[tuple[str, float, float]]:
    """(transactionId, time, Power.Active.Import W) of every sample of the station's while
    it charges (the Ended event's reads 0 W: the charge is over)."""
    out = []
    for event in run.events(station):
        if event["eventType"] == "Ended":
            continue
        for value in event.get("meterValue", ()):
            for sampled in value["sampledValue"]:
                if sampled.get("measurand") == "Power.Active.Import":
                    out.append(
                        (
                            event["transactionInfo"]["transactionId"],
                            _seconds(value["timestamp"]),
                            float(sampled["value"]),
                        )
                    )
    return out


def _register_wh(event: dict[str, Any]) -> float:
    return next(
        float(s["value"])
        for v in event["meterValue"]
        for s in v["sampledValue"]
        if s["measurand"] == "Energy.Active.Import.Register"
    )


def _tx_events(run: Script) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first transaction's Started and Ended events."""
    first = run.first_transaction()
    mine = [e for e in run.events(CP) if e["transactionInfo"]["transactionId"] == first]
    return mine[0], mine[-1]


def test_meter_values_never_exceed_the_tx_profile_and_the_charging_station_max(
    smart201_run: Script,
) -> None:
    first = smart201_run.first_transaction()
    t0 = _seconds(smart201_run.held[0])
    # a Relative TxProfile runs from the transaction's start, not from when it came
    started, _ = _tx_events(smart201_run)
    tx_later = _seconds(started["timestamp"]) + TX_FIRST_PERIOD_S
    samples = [(t, w) for tx, t, w in _samples(smart201_run, CP) if tx == first]
    assert samples, "no meter values in the first transaction"
    over = [(t - t0, w) for t, w in samples if w > _limit_w(t, t0, tx_later) + 0.5]
    assert not over, over
    # and the limits moved the physics: the car drew exactly each limit in its window
    assert {w for t, w in samples if t0 + 60 < t < tx_later} == {TX_LIMIT_W}
    assert any(w == CAP_W for t, w in samples if t0 < t <= t0 + 60)
    assert any(w == CAP_W for t, w in samples if t > tx_later)
    assert any(w == CAR_W for t, w in samples if t < t0)


def test_the_ended_events_energy_follows_the_limited_charge(smart201_run: Script) -> None:
    started, ended = _tx_events(smart201_run)
    assert ended["eventType"] == "Ended"
    # 40 kWh x (0.6 - 0.2): the same energy, delivered more slowly
    assert _register_wh(ended) - _register_wh(started) == pytest.approx(16_000, abs=1)
    minutes = (_seconds(ended["timestamp"]) - _seconds(started["timestamp"])) / 60
    assert minutes > 30  # at 120 kW it takes 8


def test_get_composite_schedule_returns_the_stacked_tx_and_charging_station_max_limits(
    smart201_run: Script,
) -> None:
    reply = smart201_run.answers["composite_stacked"]
    assert reply.status == "Accepted"
    schedule = reply.schedule
    assert (schedule["evse_id"], schedule["duration"]) == (1, 3600)
    assert schedule["schedule_start"] == smart201_run.held[1]
    assert schedule["charging_rate_unit"] == "W"
    # 11 kW until 30 minutes into the transaction (the Relative TxProfile), then its 60 kW
    # capped by the 50 kW maximum
    started, _ = _tx_events(smart201_run)
    later_s = _seconds(started["timestamp"]) + TX_FIRST_PERIOD_S - _seconds(smart201_run.held[1])
    assert schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": TX_LIMIT_W},
        {"start_period": later_s, "limit": CAP_W},
    ]


def test_the_composite_schedule_is_the_evses_rating_without_profiles_and_the_cap_with_one(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    before = a["composite_before"].schedule
    assert before["charging_schedule_period"] == [{"start_period": 0, "limit": 150_000.0}]
    for key in ("composite_capped", "composite_station"):
        assert a[key].schedule["charging_schedule_period"] == [{"start_period": 0, "limit": CAP_W}]
    assert a["composite_station"].schedule["evse_id"] == 0
    assert (a["depot_evse_default"], a["depot_clear"]) == (("Accepted", None), "Accepted")
    idle = a["depot_composite_station"].schedule
    assert (idle["evse_id"], idle["charging_schedule_period"]) == (
        0,
        [{"start_period": 0, "limit": 40_000.0}],
    )
    in_amperes = a["composite_capped_a"].schedule
    assert in_amperes["charging_rate_unit"] == "A"
    assert in_amperes["charging_schedule_period"] == [{"start_period": 0, "limit": 125.0}]


def test_get_composite_schedule_answers_for_a_month_at_most(smart201_run: Script) -> None:
    assert smart201_run.answers["composite_long"].schedule["duration"] == MAX_COMPOSITE_S


def test_get_composite_schedule_rejects_an_unknown_evse(smart201_run: Script) -> None:
    reply = smart201_run.answers["composite_unknown"]
    assert (reply.status, reply.status_info["reason_code"]) == ("Rejected", "UnknownEvse")


def test_set_charging_profile_accepts_a_charging_station_max_and_a_tx_profile(
    smart201_run: Script,
) -> None:
    assert smart201_run.answers["cap"] == smart201_run.answers["tx"] == ("Accepted", None)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("an unknown EVSE", "UnknownEvse"),
        ("a TxProfile without transactionId", "TxNotFound"),
        ("a TxProfile for another transaction", "TxNotFound"),
        ("a TxProfile on the station", "InvalidProfile"),
        ("a stack level above ProfileStackLevel", "InvalidStackLevel"),
        ("more periods than PeriodsPerSchedule", "InvalidSchedule"),
        ("a ChargingStationMaxProfile on an EVSE", "InvalidProfile"),
        ("a first period not at 0", "InvalidProfile"),
        ("a transactionId on a TxDefaultProfile", "InvalidProfile"),
        ("two schedules", "InvalidSchedule"),
        ("ChargingStationExternalConstraints", "InvalidProfile"),
        ("a rate unit the station does not allow", "UnsupportedRateUnit"),
    ],
)
def test_set_charging_profile_rejects(smart201_run: Script, case: str, reason: str) -> None:
    assert smart201_run.answers["refused"][case] == ("Rejected", reason)


def test_a_second_profile_at_the_same_stack_level_and_evse_is_rejected_while_both_are_valid(
    smart201_run: Script,
) -> None:
    assert smart201_run.answers["duplicates"] == [
        ("Accepted", None),
        ("Rejected", "DuplicateProfile"),
        ("Accepted", None),  # valid from when the first ends
        ("Accepted", None),  # on EVSE 0
    ]


def test_clear_charging_profile_by_id_and_by_criteria_answers_accepted_then_unknown(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    assert (a["clear_by_id"], a["clear_by_id_again"]) == ("Accepted", "Unknown")
    assert (a["clear_by_evse"], a["clear_level_1"]) == ("Accepted", "Accepted")
    assert (a["clear_tx_default"], a["clear_again"]) == ("Accepted", "Unknown")
    assert a["clear_unknown_id"] == "Unknown"


def test_set_charging_profile_rejects_a_profile_beyond_max_charging_profiles_installed(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    assert a["filling"] == [("Accepted", None)] * 9
    assert a["one_too_many"] == ("Rejected", "TooManyProfiles")
    assert a["replacing_when_full"] == ("Accepted", None)  # the same id replaces
    assert a["entries_full"] == {"Entries": ("Accepted", "10")}


def test_get_charging_profiles_reports_the_installed_profiles_as_they_came(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    assert (a["get_tx_default"], a["get_tx"], a["get_by_id"]) == (
        "Accepted",
        "NoProfiles",
        "Accepted",
    )
    by_request: dict[int, list[dict[str, Any]]] = {}
    for station, report in smart201_run.reports:
        assert (station, report["charging_limit_source"]) == (CP, "CSO")
        by_request.setdefault(report["request_id"], []).append(report)
    (tx_defaults,) = by_request[7]
    assert tx_defaults["evse_id"] == 0
    ids = [p["id"] for p in tx_defaults["charging_profile"]]
    assert sorted(ids) == list(range(20, 29))
    replaced = next(p for p in tx_defaults["charging_profile"] if p["id"] == 28)
    assert replaced["charging_schedule"][0]["charging_schedule_period"][0]["limit"] == 90_000
    assert [(r["evse_id"], [p["id"] for p in r["charging_profile"]]) for r in by_request[9]] == [
        (0, [1, 28])
    ]
    assert a["get_tx_running"] == "Accepted"
    ((running, *_),) = [r["charging_profile"] for r in by_request[10]]
    assert (running["id"], running["transaction_id"]) == (2, smart201_run.first_transaction())


def test_the_smart_charging_ctrlr_variables_are_those_the_profiles_are_checked_against(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    assert a["variables"] == {
        "Enabled": ("Accepted", "true"),
        "Available": ("Accepted", "true"),
        "ProfileStackLevel": ("Accepted", "8"),
        "RateUnit": ("Accepted", "A,W"),
        "PeriodsPerSchedule": ("Accepted", "24"),
        "Entries": ("Accepted", "1"),  # the cap, once the TxDefaultProfiles are cleared
        "LimitChangeSignificance": ("Accepted", "10"),
        "ExternalControlSignalsEnabled": ("Accepted", "false"),
    }
    assert a["entries_with_tx"] == {"Entries": ("Accepted", "2")}  # the cap and the TxProfile
    assert a["depot_rate_unit"] == {"RateUnit": ("Accepted", "W")}
    assert [r["attribute_status"] for r in a["set_stack_level"]] == ["Rejected", "Accepted"]


def test_a_network_without_smart_charging_answers_its_calls_with_not_supported(
    smart201_run: Script,
) -> None:
    a = smart201_run.answers
    assert [a[k] for k in ("legacy_set", "legacy_clear", "legacy_get", "legacy_composite")] == [
        "NotSupported"
    ] * 4
    assert a["legacy_variables"] == {
        "Enabled": ("Accepted", "false"),
        "Available": ("Accepted", "false"),
    }
    assert [r["attribute_status"] for r in a["legacy_enable"]] == ["Rejected"]


def test_a_request_start_transactions_tx_profile_limits_the_session_it_starts(
    smart201_run: Script,
) -> None:
    assert smart201_run.answers["remote_start_wrong_purpose"] == "Rejected"
    assert smart201_run.answers["remote_start"] == "Accepted"
    samples = _samples(smart201_run, DEPOT)
    assert samples, "the remotely started session sent no meter values"
    first = samples[0][0]
    assert {w for tx, _, w in samples if tx == first} == {REMOTE_W}


def test_a_tx_profile_ends_with_its_transaction_and_the_charging_station_max_stays(
    smart201_run: Script,
) -> None:
    first = smart201_run.first_transaction()
    later = [w for tx, _, w in _samples(smart201_run, CP) if tx != first]
    assert later, "no second session on the station"
    assert max(later) == CAP_W
