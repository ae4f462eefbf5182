"""Smart charging over OCPP 1.6 against an independent central system written here with the
stock `ocpp` package (its v16 ChargePoint class, its own schema validation on), on a real
websocket on 127.0.0.1: the charge points obey the profiles it sends.

One run serves the whole module. The central system holds its answer to the first two
periodic MeterValues of the first transaction (the lockstep's strict lag bound keeps virtual
time at that instant meanwhile) and sends its smart-charging calls then, so every call lands
at a known virtual instant:

- at t0: a ChargePointMaxProfile of 50 kW, every refusal the profile's rules and keys ask
  for, MaxChargingProfilesInstalled and ClearChargingProfile, the keys, the charge point
  without smart charging, and a RemoteStartTransaction with a 7 kW TxProfile on another port;
- at t0 + 60 s: a TxProfile of 11 kW for 30 minutes, then 60 kW (above the cap), and the
  composite schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ocpp import v16
from ocpp.routing import on
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from simulator import scenario as sc
from simulator.model.world import Station, World
from simulator.ocpp.configuration import feature_profiles
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import MAX_COMPOSITE_S

CALL_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 90.0
TX_LIMIT_W = 11_000.0
TX_LATER_W = 60_000.0  # the TxProfile's second period: the charge point max caps it
CAP_W = 50_000.0
REMOTE_W = 7_000.0
TX_FIRST_PERIOD_S = 1800
CAR_W = 120_000.0

SCENARIO = """
name = "smart-charging"

[simulation]
days = 0.25
seed = 11
meter_interval_s = 60

[[networks]]
id = "north"
[[networks.sites]]
id = "n"
ports = [{ power_kw = 150, connectors = ["CCS1", "CHAdeMO"] }]

[[networks]]
id = "depot"
access = "members_only"
[[networks.sites]]
id = "d"
ports = [{ power_kw = 150, connectors = ["CCS1"] }]

[[networks]]
id = "legacy"
access = "members_only"
smart_charging = false
[[networks.sites]]
id = "l"
ports = [{ power_kw = 150, connectors = ["CCS1"] }]

[[vehicles]]
id = "volt"
brand = "Volt"
share = 1.0
battery_kwh = 40
peak_kw = 120
connectors = ["CCS1"]
curve = { kind = "flat" }

[drivers]
arrival_soc = { dist = "fixed", value = 0.2 }
target_soc = { dist = "fixed", value = 0.6 }
patience_min = { dist = "fixed", value = 600 }

[arrivals]
kind = "constant"
rate_per_h = 1.0
"""

CP, DEPOT, LEGACY = "n-01", "d-01", "l-01"


def tx_default(pid: int, level: int, limit: float = 100_000.0, unit: str = "W") -> dict[str, Any]:
    return {
        "chargingProfileId": pid,
        "stackLevel": level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    }


def with_(profile: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**profile, **fields}


def periods(*pairs: tuple[int, float]) -> dict[str, Any]:
    return {
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": w} for s, w in pairs],
    }


@dataclass
class Script:
    """What the central system did and saw."""

    sessions: dict[str, CentralSystemSession] = field(default_factory=dict)
    meter_values: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    starts: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    stops: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    """The timestamps of the MeterValues held, in order."""
    answers: dict[str, Any] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    next_transaction: int = 0

    def first_transaction(self) -> int | None:
        ids = [t for s, t, _ in self.starts if s == CP]
        return ids[0] if ids else None


class CentralSystemSession(v16.ChargePoint):
    def __init__(self, station: str, ws: ServerConnection, script: Script) -> None:
        super().__init__(station, ws, response_timeout=CALL_TIMEOUT_S)
        self.script = script

    async def ask(self, message: Any) -> Any:
        return await self.call(message, suppress=False)

    async def route_message(self, raw: str) -> None:
        frame = json.loads(raw)
        script = self.script
        if self._holds(frame):
            script.held.append(frame[3]["meterValue"][0]["timestamp"])
            step = _at_t0 if len(script.held) == 1 else _at_t0_plus_60
            script.tasks.append(asyncio.create_task(self._hold(raw, step)))
            return
        await super().route_message(raw)

    def _holds(self, frame: list[Any]) -> bool:
        script = self.script
        if self.id != CP or frame[0] != 2 or frame[2] != "MeterValues" or len(script.held) >= 2:
            return False
        payload = frame[3]
        first = script.first_transaction()
        periodic = payload["meterValue"][0]["sampledValue"][0].get("context") == "Sample.Periodic"
        return first is not None and payload.get("transactionId") == first and periodic

    async def _hold(self, raw: str, step: Any) -> None:
        try:
            await step(self.script)
        except BaseException as error:  # surfaced by the fixture
            self.script.errors.append(error)
        await super().route_message(raw)

    @on(v16.enums.Action.boot_notification)
    def on_boot(self, **_: Any) -> v16.call_result.BootNotification:
        return v16.call_result.BootNotification(
            current_time="2026-01-01T00:00:00Z", interval=3600, status="Accepted"
        )

    @on(v16.enums.Action.heartbeat)
    def on_heartbeat(self) -> v16.call_result.Heartbeat:
        return v16.call_result.Heartbeat(current_time="2026-01-01T00:00:00Z")

    @on(v16.enums.Action.status_notification)
    def on_status(self, **_: Any) -> v16.call_result.StatusNotification:
        return v16.call_result.StatusNotification()

    @on(v16.enums.Action.authorize)
    def on_authorize(self, **_: Any) -> v16.call_result.Authorize:
        return v16.call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(v16.enums.Action.start_transaction)
    def on_start(self, **payload: Any) -> v16.call_result.StartTransaction:
        self.script.next_transaction += 1
        self.script.starts.append((self.id, self.script.next_transaction, payload))
        return v16.call_result.StartTransaction(
            transaction_id=self.script.next_transaction, id_tag_info={"status": "Accepted"}
        )

    @on(v16.enums.Action.stop_transaction)
    def on_stop(self, **payload: Any) -> v16.call_result.StopTransaction:
        self.script.stops.append((self.id, payload))
        return v16.call_result.StopTransaction()

    @on(v16.enums.Action.meter_values)
    def on_meter_values(self, **payload: Any) -> v16.call_result.MeterValues:
        self.script.meter_values.append((self.id, payload))
        return v16.call_result.MeterValues()


async def _set(script: Script, station: str, connector: int, profile: dict[str, Any]) -> str:
    reply = await script.sessions[station].ask(
        v16.call.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile)
    )
    return str(reply.status)


async def _at_t0(script: Script) -> None:
    """The first periodic sample of the first transaction: cap, refusals, keys, remote start."""
    a = script.answers
    cp = script.sessions[CP]
    tx = script.first_transaction()
    a["composite_before"] = await cp.ask(
        v16.call.GetCompositeSchedule(connector_id=1, duration=600)
    )
    cap = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": periods((0, CAP_W)),
    }
    a["cap"] = await _set(script, CP, 0, cap)
    tx_profile = {
        "chargingProfileId": 2,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": periods((0, TX_LIMIT_W)),
    }
    a["refused"] = {
        "unknown connector": await _set(script, CP, 3, tx_default(10, 0)),
        "a TxProfile without a transaction": await _set(script, CP, 2, tx_profile),
        "a TxProfile for another transaction": await _set(
            script, CP, 1, with_(tx_profile, transactionId=(tx or 0) + 100)
        ),
        "a stack level above the maximum": await _set(script, CP, 0, tx_default(10, 9)),
        "a negative stack level": await _set(script, CP, 0, tx_default(10, -1)),
        "more periods than allowed": await _set(
            script,
            CP,
            0,
            with_(tx_default(10, 0), chargingSchedule=periods(*((60 * i, 1e5) for i in range(25)))),
        ),
        "a ChargePointMaxProfile on a connector": await _set(script, CP, 1, cap),
        "a first period not at 0": await _set(
            script, CP, 0, with_(tx_default(10, 0), chargingSchedule=periods((60, 1e5)))
        ),
        "a rate unit the charge point does not allow": await _set(
            script, DEPOT, 0, tx_default(10, 0, 100.0, "A")
        ),
    }
    # up to MaxChargingProfilesInstalled (10, the cap included); the next one is refused
    a["filling"] = [await _set(script, CP, 0, tx_default(20 + level, level)) for level in range(9)]
    a["one_too_many"] = await _set(script, CP, 1, tx_default(40, 0))
    a["replacing_when_full"] = await _set(script, CP, 0, tx_default(41, 8))  # same level: replaces
    clear = v16.call.ClearChargingProfile
    a["clear_tx_default"] = (
        await cp.ask(clear(charging_profile_purpose="TxDefaultProfile"))
    ).status
    a["clear_again"] = (await cp.ask(clear(charging_profile_purpose="TxDefaultProfile"))).status
    a["clear_unknown_id"] = (await cp.ask(clear(id=999))).status
    a["composite_capped"] = await cp.ask(
        v16.call.GetCompositeSchedule(connector_id=1, duration=600)
    )
    a["composite_capped_a"] = await cp.ask(
        v16.call.GetCompositeSchedule(connector_id=1, duration=600, charging_rate_unit="A")
    )
    a["composite_long"] = await cp.ask(
        v16.call.GetCompositeSchedule(connector_id=1, duration=2_000_000_000)
    )
    a["composite_unknown"] = await cp.ask(
        v16.call.GetCompositeSchedule(connector_id=5, duration=60)
    )
    keys = [
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
        "SupportedFeatureProfiles",
    ]
    a["keys"] = await cp.ask(v16.call.GetConfiguration(key=keys))
    a["change_key"] = (
        await cp.ask(v16.call.ChangeConfiguration(key="ChargeProfileMaxStackLevel", value="3"))
    ).status
    legacy = script.sessions[LEGACY]
    a["legacy_set"] = await _set(script, LEGACY, 0, tx_default(1, 0))
    a["legacy_keys"] = await legacy.ask(v16.call.GetConfiguration(key=["SupportedFeatureProfiles"]))
    a["legacy_clear"] = (await legacy.ask(clear())).status
    a["legacy_composite"] = (
        await legacy.ask(v16.call.GetCompositeSchedule(connector_id=1, duration=60))
    ).status
    remote_profile = with_(tx_profile, chargingProfileId=7, chargingSchedule=periods((0, REMOTE_W)))
    a["remote_start_wrong_purpose"] = (
        await script.sessions[DEPOT].ask(
            v16.call.RemoteStartTransaction(id_tag="APP", charging_profile=tx_default(8, 0))
        )
    ).status
    a["remote_start"] = (
        await script.sessions[DEPOT].ask(
            v16.call.RemoteStartTransaction(id_tag="APP", charging_profile=remote_profile)
        )
    ).status


async def _at_t0_plus_60(script: Script) -> None:
    """The second periodic sample: the TxProfile, and the composite it stacks into."""
    a = script.answers
    tx_profile = {
        "chargingProfileId": 2,
        "transactionId": script.first_transaction(),
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": periods((0, TX_LIMIT_W), (TX_FIRST_PERIOD_S, TX_LATER_W)),
    }
    a["tx"] = await _set(script, CP, 1, tx_profile)
    a["composite_stacked"] = await script.sessions[CP].ask(
        v16.call.GetCompositeSchedule(connector_id=1, duration=3600)
    )


def _world(folder: Path) -> World:
    path = folder / "smart-charging.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    world = sc.world(sc.load(path))
    # the depot's charge points allow schedules in W only (a read-only key: set at build)
    power_only = Station(configuration=(("ChargingScheduleAllowedChargingRateUnit", "Power"),))
    ports = tuple(replace(p, station=power_only) if p.id == DEPOT else p for p in world.ports)
    sites = tuple(replace(s, ports=tuple(ports[p.index] for p in s.ports)) for s in world.sites)
    return replace(world, ports=ports, sites=sites)


async def _run(folder: Path) -> Script:
    script = Script()

    async def handle(ws: ServerConnection) -> None:
        assert ws.request is not None
        station = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        session = script.sessions[station] = CentralSystemSession(station, ws, script)
        with contextlib.suppress(ConnectionClosed):  # the run ends by closing it
            await session.start()

    async with serve(handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        await asyncio.wait_for(
            run_ocpp_async(
                _world(folder),
                # the held MeterValues waits for the whole script: give it the run's time
                OcppRunOptions(
                    csms_url=url,
                    max_lag_s=0.0,
                    transport=TransportConfig(url, response_timeout_s=RUN_TIMEOUT_S),
                ),
            ),
            RUN_TIMEOUT_S,
        )
        await asyncio.gather(*script.tasks)
    return script


@pytest.fixture(scope="module")
def smart_run(tmp_path_factory: pytest.TempPathFactory) -> Script:
    done = asyncio.run(_run(tmp_path_factory.mktemp("smart")))
    if done.errors:
        raise done.errors[0]
    assert len(done.held) == 2, "the first transaction had fewer than two periodic samples"
    return done


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _samples(run: Script, station: str) -> list[tuple[int, float, float]]:
    """(transactionId, time, Power.Active.Import W) of every sample of the station's while
    it charges (Transaction.End reads 0 W: the charge is over)."""
    out = []
    for s, payload in run.meter_values:
        if s != station or "transaction_id" not in payload:
            continue
        for value in payload["meter_value"]:
            for sampled in value["sampled_value"]:
                charging = sampled.get("context") != "Transaction.End"
                if sampled.get("measurand") == "Power.Active.Import" and charging:
                    out.append(
                        (
                            payload["transaction_id"],
                            _seconds(value["timestamp"]),
                            float(sampled["value"]),
                        )
                    )
    return out


def _tx_start(run: Script) -> float:
    first = run.first_transaction()
    return _seconds(next(p["timestamp"] for _, t, p in run.starts if t == first))


def _limit_w(t: float, t0: float, tx_later: float) -> float:
    """What the charge point may draw at `t` in the first transaction: the car's peak until
    the cap at t0, the cap, then the TxProfile from t0 + 60 s, whose second period (from
    `tx_later`) the cap holds. At a boundary, the higher side (a sample and a change at one
    instant come in either order)."""
    tx_from = t0 + 60
    if t <= t0:
        return CAR_W
    if t <= tx_from:
        return CAP_W
    if t < tx_later:
        return TX_LIMIT_W
    return CAP_W


def test_meter_values_never_exceed_the_tx_profile_and_the_charge_point_max(
    smart_run: Script,
) -> None:
    first = smart_run.first_transaction()
    t0 = _seconds(smart_run.held[0])
    # a Relative TxProfile runs from the transaction's start, not from when it came
    tx_later = _tx_start(smart_run) + TX_FIRST_PERIOD_S
    samples = [(t, w) for tx, t, w in _samples(smart_run, CP) if tx == first]
    assert samples, "no meter values in the first transaction"
    over = [(t - t0, w) for t, w in samples if w > _limit_w(t, t0, tx_later) + 0.5]
    assert not over, over
    # and the limits moved the physics: the car drew exactly each limit in its window
    drawn = {w for t, w in samples if t0 + 60 < t < tx_later}
    assert drawn == {TX_LIMIT_W}
    assert any(w == CAP_W for t, w in samples if t0 < t <= t0 + 60)
    assert any(w == CAP_W for t, w in samples if t > tx_later)
    assert any(w == CAR_W for t, w in samples if t < t0)


def test_the_stop_transactions_energy_follows_the_limited_charge(smart_run: Script) -> None:
    first = smart_run.first_transaction()
    start = next(p for s, t, p in smart_run.starts if t == first)
    stop = next(p for s, p in smart_run.stops if p["transaction_id"] == first)
    # 40 kWh x (0.6 - 0.2): the same energy, delivered more slowly
    assert stop["meter_stop"] - start["meter_start"] == pytest.approx(16_000, abs=1)
    minutes = (_seconds(stop["timestamp"]) - _seconds(start["timestamp"])) / 60
    assert minutes > 30  # at 120 kW it takes 8


def test_get_composite_schedule_returns_the_stacked_tx_and_charge_point_max_limits(
    smart_run: Script,
) -> None:
    reply = smart_run.answers["composite_stacked"]
    assert reply.status == "Accepted"
    assert reply.connector_id == 1
    assert reply.schedule_start == smart_run.held[1]
    schedule = reply.charging_schedule
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["duration"] == 3600
    # 11 kW until 30 minutes into the transaction (the Relative TxProfile), then its 60 kW
    # capped by the 50 kW maximum
    later_s = _tx_start(smart_run) + TX_FIRST_PERIOD_S - _seconds(smart_run.held[1])
    assert schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": TX_LIMIT_W},
        {"start_period": later_s, "limit": CAP_W},
    ]


def test_the_composite_schedule_is_the_ports_rating_without_profiles_and_the_cap_with_one(
    smart_run: Script,
) -> None:
    before = smart_run.answers["composite_before"].charging_schedule
    assert before["charging_schedule_period"] == [{"start_period": 0, "limit": 150_000.0}]
    capped = smart_run.answers["composite_capped"].charging_schedule
    assert capped["charging_schedule_period"] == [{"start_period": 0, "limit": CAP_W}]
    in_amperes = smart_run.answers["composite_capped_a"].charging_schedule
    assert in_amperes["charging_rate_unit"] == "A"
    assert in_amperes["charging_schedule_period"] == [{"start_period": 0, "limit": 125.0}]


def test_get_composite_schedule_answers_for_a_month_at_most(smart_run: Script) -> None:
    schedule = smart_run.answers["composite_long"].charging_schedule
    assert schedule["duration"] == MAX_COMPOSITE_S == 31 * 86_400


def test_get_composite_schedule_rejects_an_unknown_connector(smart_run: Script) -> None:
    assert smart_run.answers["composite_unknown"].status == "Rejected"


def test_set_charging_profile_accepts_a_charge_point_max_and_a_tx_profile(
    smart_run: Script,
) -> None:
    assert (smart_run.answers["cap"], smart_run.answers["tx"]) == ("Accepted", "Accepted")


@pytest.mark.parametrize(
    "case",
    [
        "unknown connector",
        "a TxProfile without a transaction",
        "a TxProfile for another transaction",
        "a stack level above the maximum",
        "a negative stack level",
        "more periods than allowed",
        "a ChargePointMaxProfile on a connector",
        "a first period not at 0",
        "a rate unit the charge point does not allow",
    ],
)
def test_set_charging_profile_rejects(smart_run: Script, case: str) -> None:
    assert smart_run.answers["refused"][case] == "Rejected"


def test_set_charging_profile_rejects_a_profile_beyond_max_charging_profiles_installed(
    smart_run: Script,
) -> None:
    assert smart_run.answers["filling"] == ["Accepted"] * 9
    assert smart_run.answers["one_too_many"] == "Rejected"
    assert smart_run.answers["replacing_when_full"] == "Accepted"


def test_clear_charging_profile_answers_accepted_then_unknown(smart_run: Script) -> None:
    assert smart_run.answers["clear_tx_default"] == "Accepted"
    assert smart_run.answers["clear_again"] == "Unknown"
    assert smart_run.answers["clear_unknown_id"] == "Unknown"


def test_the_smart_charging_keys_are_readable_and_read_only(smart_run: Script) -> None:
    keys = {k["key"]: k for k in smart_run.answers["keys"].configuration_key}
    assert {k: (v["readonly"], v["value"]) for k, v in keys.items()} == {
        "ChargeProfileMaxStackLevel": (True, "8"),
        "ChargingScheduleAllowedChargingRateUnit": (True, "Current,Power"),
        "ChargingScheduleMaxPeriods": (True, "24"),
        "MaxChargingProfilesInstalled": (True, "10"),
        "SupportedFeatureProfiles": (True, "Core,RemoteTrigger,SmartCharging"),
    }
    assert smart_run.answers["change_key"] == "Rejected"


def test_a_network_without_smart_charging_answers_not_supported(smart_run: Script) -> None:
    assert smart_run.answers["legacy_set"] == "NotSupported"
    assert smart_run.answers["legacy_clear"] == "Unknown"
    assert smart_run.answers["legacy_composite"] == "Rejected"
    (key,) = smart_run.answers["legacy_keys"].configuration_key
    assert "SmartCharging" not in key["value"].split(",")


def test_a_remote_starts_tx_profile_limits_the_session_it_starts(smart_run: Script) -> None:
    assert smart_run.answers["remote_start_wrong_purpose"] == "Rejected"
    assert smart_run.answers["remote_start"] == "Accepted"
    samples = _samples(smart_run, DEPOT)
    assert samples, "the remotely started session sent no meter values"
    first = samples[0][0]
    assert {w for tx, _, w in samples if tx == first} == {REMOTE_W}


def test_a_tx_profile_ends_with_its_transaction_and_the_charge_point_max_stays(
    smart_run: Script,
) -> None:
    first = smart_run.first_transaction()
    later = [(tx, w) for tx, _, w in _samples(smart_run, CP) if tx != first]
    assert later, "no second session on the charge point"
    assert max(w for _, w in later) == CAP_W


def test_a_networks_smart_charging_key_sets_its_charge_points_feature_profiles(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path)
    legacy = next(p for p in world.ports if p.id == LEGACY)
    north = next(p for p in world.ports if p.id == CP)
    assert feature_profiles(False) in legacy.station.configuration
    assert all(k != "SupportedFeatureProfiles" for k, _ in north.station.configuration)
