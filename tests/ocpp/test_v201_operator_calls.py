"""Operator calls at fixed virtual instants give the same bytes over 2.0.1, over 1.6, mixed,
and on the model alone (issue 10's first "how it must be shown" point, with failures).

A central system's call enters the model at the virtual instant it arrives (docs/ocpp.md,
Determinism), so a run with operator calls is reproducible only if the calls arrive at
instants the physics fixes. The operator here is a script of rules, "at the first periodic
sample of station X's transaction, or at its n-th transaction's end, call Y on station Z".
The independent central system (tests/ocpp/stock_csms.py: the stock `ocpp` classes, their
validation on) holds its answer to the triggering message until the call's result is back;
in strict lockstep (`max_lag_s=0`) virtual time cannot pass that message's instant meanwhile,
so the call enters after every event of that instant and before the next. The model alone
(the fast engine's immediate resolver) plays the same script through the same commands
(simulator/model/commands.py), at the end of the same instant.

Over 2.0.1 the calls are RequestStopTransaction, RequestStartTransaction, ChangeAvailability,
UnlockConnector and Reset Immediate; over 1.6 RemoteStop/RemoteStartTransaction,
ChangeAvailability, UnlockConnector and Reset Hard. A Reset's reboot completes at a wall-clock
moment, which virtual time does not wait for by itself: the central system holds it (`Reboot`),
so the model gets the station back at the reset's instant, after what the reset caused then,
as the model alone does. An unlock comes after its transaction's end: over 2.0.1 it does not
stop a running transaction, over 1.6 it does (the versions differ there by design).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ocpp import v16, v201
from simpy.events import Event

from ocppj import OCPP16, OCPP201, Version
from simulator import runner
from simulator.model.events import Flush
from simulator.model.port import ChargePoint
from simulator.model.records import Records
from simulator.model.requests import StopReason
from simulator.model.resolver import ImmediateResolver
from simulator.model.simulation import Simulation
from simulator.model.visit import Visit
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp
from simulator.reports.summary import sessions_csv, to_json
from tests.ocpp.helpers import small_world
from tests.ocpp.stock_csms import (
    CALL_TIMEOUT_S,
    ChargePointSession,
    StationSession,
    StockCsms,
    stock_csms,
)

DAYS = 0.25  # six virtual hours: 18 sessions, three failures, every rule fired
APP_TAG = "APP0001"

SAMPLE = "sample"  # the first periodic sample of a transaction
ENDED = "ended"  # a transaction's end


@dataclass(frozen=True, slots=True)
class Rule:
    """At the `nth` `on` event of station `at`, make call `do` to station `to`."""

    on: str
    at: str
    nth: int
    do: str  # remote_stop (of the triggering transaction), remote_start, inoperative,
    # operative, unlock
    to: str


SCRIPT = (
    Rule(SAMPLE, "s-01", 1, "remote_stop", "s-01"),  # 2.0.1 in the mixed run
    Rule(ENDED, "s-01", 1, "unlock", "s-01"),  # the same instant: nothing left to stop
    Rule(ENDED, "s-02", 1, "inoperative", "s-02"),  # the driver still there: Scheduled
    Rule(SAMPLE, "n-01", 1, "remote_stop", "n-01"),  # 1.6 in the mixed run
    Rule(ENDED, "n-01", 1, "inoperative", "n-03"),  # idle: Accepted
    Rule(ENDED, "n-02", 1, "operative", "s-02"),
    Rule(ENDED, "n-01", 2, "remote_start", "n-03"),  # out of service: Rejected
    Rule(ENDED, "n-01", 2, "operative", "n-03"),
    Rule(ENDED, "s-02", 2, "remote_start", "n-03"),  # an app session: Accepted
    Rule(ENDED, "s-02", 2, "remote_start", "s-02"),  # its driver still there: Rejected
    Rule(SAMPLE, "s-02", 3, "remote_start", "s-02"),  # busy: Rejected
    Rule(SAMPLE, "n-02", 1, "reset", "n-02"),  # the charge ends HardReset; the port reboots
    Rule(SAMPLE, "s-01", 2, "reset", "s-01"),  # 2.0.1 in the mixed run
)


class Operator:
    """Counts each station's trigger events and says which rules fire; the same on the wire
    and in the model, so both fire the same rules at the same events."""

    def __init__(self, script: tuple[Rule, ...] = SCRIPT) -> None:
        self.script = script
        self.counts: dict[tuple[str, str], int] = {}
        self.sampled: set[tuple[str, object]] = set()
        self.results: list[tuple[int, str]] = []
        """(rule index, status) of every call made, in the order they were made."""

    def fired(self, on: str, station: str, transaction: object = None) -> list[int]:
        """The indices of the rules this event fires (a sample counts once per transaction)."""
        if on == SAMPLE:
            if (station, transaction) in self.sampled:
                return []
            self.sampled.add((station, transaction))
        n = self.counts.get((on, station), 0) + 1
        self.counts[(on, station)] = n
        return [i for i, r in enumerate(self.script) if (r.on, r.at, r.nth) == (on, station, n)]


# --- the script on the model alone --------------------------------------------------------


class ScriptedResolver(ImmediateResolver):
    """The fast engine's resolver, watching for the script's trigger events; a fired rule's
    command runs once every event of the instant has run, as the wire's call enters."""

    def __init__(self, operator: Operator) -> None:
        super().__init__()
        self.operator = operator
        self.sim: Simulation | None = None
        self._pending: list[Callable[[], object]] = []
        self._flushing = False
        self._resetting: set[str] = set()

    def meter_values(self, port: ChargePoint, visit: Visit, context: str) -> None:
        if context == "Sample.Periodic":
            self._fire(self.operator.fired(SAMPLE, port.id, port.transaction))

    def stop_transaction(self, port: ChargePoint, visit: Visit, reason: StopReason) -> None:
        self._fire(self.operator.fired(ENDED, port.id))
        if port.id in self._resetting:
            # on the wire the station is back once the transaction the reset stopped is
            # answered (virtual time held meanwhile), after the calls that end fired
            self._resetting.discard(port.id)
            sim = self.sim
            assert sim is not None
            self._at_end_of_instant(lambda: sim.rebooted(port.id))

    def _fire(self, rules: list[int]) -> None:
        if not rules:
            return

        def command() -> None:
            for i in rules:
                self.operator.results.append((i, self._command(self.operator.script[i])))

        self._at_end_of_instant(command)

    def _at_end_of_instant(self, action: Callable[[], object]) -> None:
        """Run `action` once every other event of this instant has run, after the actions
        queued before it (one flush chain: what they cause at this instant runs first)."""
        self._pending.append(action)
        if not self._flushing:
            self._flushing = True
            assert self._env is not None
            Flush(self._env, self._run_pending)

    def _run_pending(self, _: Event) -> None:
        env = self._env
        assert env is not None
        if env.peek() <= env.now:  # this instant's other events first
            Flush(env, self._run_pending)
            return
        actions, self._pending = self._pending, []
        for action in actions:
            action()
        if self._pending:  # queued by those actions: after what they caused
            Flush(env, self._run_pending)
        else:
            self._flushing = False

    def _command(self, rule: Rule) -> str:
        sim = self.sim
        assert sim is not None
        if rule.do == "remote_stop":
            return _status(sim.remote_stop(sim.transaction_on(rule.to)))
        if rule.do == "remote_start":
            return _status(sim.remote_start(rule.to, APP_TAG))
        if rule.do in ("inoperative", "operative"):
            return sim.change_availability(rule.to, rule.do == "operative")
        if rule.do == "reset":  # hard: 1.6 Hard, 2.0.1 Immediate
            self._resetting.add(rule.to)
            return _status(sim.reset(rule.to, True))
        assert rule.do == "unlock"
        return "Unlocked" if not sim.unlock(rule.to) else "Stopped"


def _status(done: bool) -> str:
    return "Accepted" if done else "Rejected"


def run_model(world: World, operator: Operator) -> Records:
    resolver = ScriptedResolver(operator)
    sim = Simulation(world, resolver=resolver, meter_interval_s=world.meter_interval_s)
    resolver.sim = sim
    return sim.run()


# --- the script on the wire ---------------------------------------------------------------


def trigger(action: str, payload: dict[str, Any]) -> tuple[str, object] | None:
    """(event, transaction id) of a CALL that is one of the script's trigger events."""
    if action == "MeterValues" and "transactionId" in payload:  # 1.6
        contexts = {s.get("context") for m in payload["meterValue"] for s in m["sampledValue"]}
        if "Sample.Periodic" in contexts:
            return SAMPLE, payload["transactionId"]
    elif action == "StopTransaction":
        return ENDED, payload["transactionId"]
    elif action == "TransactionEvent":  # 2.0.1
        transaction = payload["transactionInfo"]["transactionId"]
        if payload["eventType"] == "Ended":
            return ENDED, transaction
        if payload["triggerReason"] == "MeterValuePeriodic":
            return SAMPLE, transaction
    return None


@dataclass
class Wire:
    """What the scripted central system shares between its sessions (its own thread)."""

    operator: Operator
    sessions: dict[str, Any]
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(station, action, the station's answer) of every call the script made."""
    failures: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rebooting: dict[str, Reboot] = field(default_factory=dict)
    """station -> its reboot after a Reset, under way."""
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    """station -> what its next Heartbeat's answer waits for."""


@dataclass
class Reboot:
    """A station's reboot after a Reset, with virtual time held at the reset's instant.

    The station reboots once the transaction the reset stopped is answered; so that virtual
    time stays meanwhile, another station (`hold`) is made to send a Heartbeat at that instant
    (TriggerMessage) before that answer goes, and its answer waits until the station is back:
    its boot answered, then a triggered Heartbeat of its own (queued behind what its boot
    queued: answered, the station is ready and the model has it back), then one call more
    answered (the station has handled that reply)."""

    hold: str
    stage: str = "stop"  # then boot, beat, done
    back: asyncio.Event = field(default_factory=asyncio.Event)


def _heartbeat_trigger(version_201: bool) -> Any:
    if version_201:
        return v201.call.TriggerMessage(requested_message="Heartbeat")
    return v16.call.TriggerMessage(requested_message="Heartbeat")


def _harmless(version_201: bool) -> Any:
    if version_201:
        variable = {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
        }
        return v201.call.GetVariables(get_variable_data=[variable])
    return v16.call.GetConfiguration(key=["HeartbeatInterval"])


def _message(rule: Rule, version_201: bool, transaction: object) -> Any:
    """The call of `rule` in the target station's version."""
    if rule.do == "reset":
        return v201.call.Reset(type="Immediate") if version_201 else v16.call.Reset(type="Hard")
    if version_201:
        if rule.do == "remote_stop":
            return v201.call.RequestStopTransaction(transaction_id=str(transaction))
        if rule.do == "remote_start":
            token = {"id_token": APP_TAG, "type": "Central"}
            return v201.call.RequestStartTransaction(id_token=token, remote_start_id=1)
        if rule.do == "unlock":
            return v201.call.UnlockConnector(evse_id=1, connector_id=1)
        status = "Operative" if rule.do == "operative" else "Inoperative"
        return v201.call.ChangeAvailability(operational_status=status)
    if rule.do == "remote_stop":
        assert isinstance(transaction, int)
        return v16.call.RemoteStopTransaction(transaction_id=transaction)
    if rule.do == "remote_start":
        return v16.call.RemoteStartTransaction(id_tag=APP_TAG)
    if rule.do == "unlock":
        return v16.call.UnlockConnector(connector_id=1)
    status = "Operative" if rule.do == "operative" else "Inoperative"
    return v16.call.ChangeAvailability(connector_id=0, type=status)


class _Scripted:
    """Mixed into both versions' sessions: a CALL that fires rules is answered only once the
    rules' calls are answered (in a task: the connection keeps reading their results); the
    steps of a reboot after a Reset (`Reboot`) likewise."""

    wire: Wire
    id: str

    async def route_message(self, raw: str) -> None:
        message = json.loads(raw)
        if message[0] != 2:
            await super().route_message(raw)  # type: ignore[misc]
            return
        action, payload = message[2], message[3]
        wire = self.wire
        found = trigger(action, payload)
        rules = [] if found is None else wire.operator.fired(found[0], self.id, found[1])
        reboot = wire.rebooting.get(self.id)
        stage = None
        if reboot is not None and (
            (reboot.stage == "stop" and found is not None and found[0] == ENDED)
            or (reboot.stage == "boot" and action == "BootNotification")
            or (reboot.stage == "beat" and action == "Heartbeat")
        ):
            stage = reboot.stage
            reboot.stage = {"stop": "boot", "boot": "beat", "beat": "done"}[stage]
        held = wire.held.pop(self.id, None) if action == "Heartbeat" else None
        if not rules and stage is None and held is None:
            await super().route_message(raw)  # type: ignore[misc]
            return
        transaction = None if found is None else found[1]
        task = asyncio.create_task(self._operate(raw, rules, transaction, stage, reboot, held))
        wire.tasks.add(task)
        task.add_done_callback(wire.tasks.discard)

    async def _operate(
        self,
        raw: str,
        rules: list[int],
        transaction: object,
        stage: str | None,
        reboot: Reboot | None,
        held: asyncio.Event | None,
    ) -> None:
        wire = self.wire
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                if held is not None:
                    await held.wait()
                if stage == "stop":
                    assert reboot is not None
                    other = wire.sessions[reboot.hold]
                    wire.held[reboot.hold] = reboot.back
                    await other.call(_heartbeat_trigger(_is_201(other)), suppress=False)
                for i in rules:
                    await self._make(i, transaction)
        except Exception as error:  # the test reports it
            wire.failures.append(f"{self.id}: {error!r}")
        await super().route_message(raw)  # type: ignore[misc]
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                if stage == "boot":
                    await self.call(_heartbeat_trigger(_is_201(self)), suppress=False)  # type: ignore[attr-defined]
                elif stage == "beat":
                    assert reboot is not None
                    await self.call(_harmless(_is_201(self)), suppress=False)  # type: ignore[attr-defined]
                    del wire.rebooting[self.id]
                    reboot.back.set()
        except Exception as error:  # the test reports it
            wire.failures.append(f"{self.id}: {error!r}")

    async def _make(self, i: int, transaction: object) -> None:
        wire = self.wire
        rule = wire.operator.script[i]
        target = wire.sessions[rule.to]
        message = _message(rule, _is_201(target), transaction)
        if rule.do == "reset":
            hold = next(s for s in sorted(wire.sessions) if s != rule.to)
            wire.rebooting[rule.to] = Reboot(hold)
        result = await target.call(message, suppress=False)
        wire.operator.results.append((i, str(result.status)))
        with wire.lock:
            wire.calls.append((rule.to, type(message).__name__, vars(result)))


def _is_201(session: object) -> bool:
    return isinstance(session, StationSession)


def scripted_classes(
    wire: Wire,
) -> tuple[type[StationSession], type[ChargePointSession]]:
    class Station(_Scripted, StationSession):
        pass

    class Point(_Scripted, ChargePointSession):
        pass

    Station.wire = Point.wire = wire
    return Station, Point


@contextlib.contextmanager
def scripted_csms(operator: Operator) -> Iterator[tuple[StockCsms, Wire]]:
    wire = Wire(operator, {})
    with stock_csms(classes=scripted_classes(wire)) as csms:
        wire.sessions = csms.sessions
        yield csms, wire


# --- the runs -----------------------------------------------------------------------------


@dataclass
class Run:
    summary: str
    sessions: str
    results: list[tuple[int, str]]
    wire: Wire | None = None
    csms: StockCsms | None = None
    frames: list[tuple[str, float, str, list[Any]]] | None = None
    """(station, virtual s, send/recv, frame) of every frame of the run, in order."""


def outcome(world: World, records: Records, operator: Operator, **more: Any) -> Run:
    summary = to_json(runner.summarize_world(world, records))
    return Run(summary, sessions_csv(records), sorted(operator.results), **more)


def over_ocpp(folder: Path, name: str, versions: dict[str, Version]) -> Run:
    world = small_world(folder, days=DAYS, failures=True)
    operator = Operator()
    log = folder / f"{name}.jsonl"
    with scripted_csms(operator) as (csms, wire):
        options = OcppRunOptions(
            csms_url=csms.url, versions=versions, max_lag_s=0.0, message_log=log
        )
        records = run_ocpp(world, options)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    frames = [(r["cp"], r["virtual_s"], r["dir"], json.loads(r["frame"])) for r in rows]
    return outcome(world, records, operator, wire=wire, csms=csms, frames=frames)


@dataclass
class Runs:
    model: Run
    unscripted: Run
    """The fast engine (`runner.run_fast`), no operator."""
    model_unscripted: Run
    """The model as the script plays it (meter samples on), with an empty script."""
    v201: Run
    v16: Run
    mixed: Run


@pytest.fixture(scope="module")
def operator_runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("operator")
    world = small_world(folder, days=DAYS, failures=True)
    model = Operator()
    return Runs(
        model=outcome(world, run_model(world, model), model),
        unscripted=outcome(world, runner.run_fast(world), Operator(())),
        model_unscripted=outcome(world, run_model(world, Operator(())), Operator(())),
        v201=over_ocpp(folder, "v201", {"north": OCPP201, "south": OCPP201}),
        v16=over_ocpp(folder, "v16", {"north": OCPP16, "south": OCPP16}),
        mixed=over_ocpp(folder, "mixed", {"north": OCPP16, "south": OCPP201}),
    )


def same_bytes(run: Run, model: Run) -> None:
    assert run.wire is not None
    assert run.wire.failures == []
    assert run.summary.encode() == model.summary.encode()
    assert run.sessions.encode() == model.sessions.encode()
    assert run.results == model.results


# --- the claims ---------------------------------------------------------------------------


def test_the_model_playing_no_script_is_the_fast_engine_byte_for_byte(operator_runs: Runs) -> None:
    assert operator_runs.model_unscripted.summary == operator_runs.unscripted.summary
    assert operator_runs.model_unscripted.sessions == operator_runs.unscripted.sessions


def test_every_rule_of_the_script_fired_and_its_calls_changed_the_physics(
    operator_runs: Runs,
) -> None:
    assert [i for i, _ in operator_runs.model.results] == list(range(len(SCRIPT)))
    statuses = {s for _, s in operator_runs.model.results}
    assert {"Accepted", "Rejected", "Scheduled", "Unlocked"} <= statuses
    assert operator_runs.model.summary != operator_runs.unscripted.summary
    reasons = [row.split(",") for row in operator_runs.model.sessions.splitlines()]
    assert sum("Remote" in row for row in reasons) == 2  # the two remote stops


def test_operator_calls_over_201_give_the_models_summary_and_sessions_byte_for_byte(
    operator_runs: Runs,
) -> None:
    same_bytes(operator_runs.v201, operator_runs.model)


def test_operator_calls_over_16_give_the_same_bytes(operator_runs: Runs) -> None:
    same_bytes(operator_runs.v16, operator_runs.model)


def test_a_run_with_a_network_on_each_version_gives_the_same_bytes_with_operator_calls(
    operator_runs: Runs,
) -> None:
    same_bytes(operator_runs.mixed, operator_runs.model)
    assert operator_runs.mixed.csms is not None
    subprotocols = operator_runs.mixed.csms.journal.subprotocols
    assert subprotocols == {
        p: "ocpp2.0.1" if p.startswith("s-") else "ocpp1.6"
        for p in ("n-01", "n-02", "n-03", "s-01", "s-02")
    }


def test_the_calls_reach_201_stations_as_201_actions_the_stock_classes_validate(
    operator_runs: Runs,
) -> None:
    assert operator_runs.v201.wire is not None
    assert operator_runs.v201.csms is not None
    made = {action for _, action, _ in operator_runs.v201.wire.calls}
    assert made == {
        "RequestStopTransaction",
        "RequestStartTransaction",
        "ChangeAvailability",
        "UnlockConnector",
        "Reset",
    }
    assert operator_runs.v201.csms.journal.call_errors == []
    started = [
        p
        for _, p in operator_runs.v201.csms.journal.of("TransactionEvent")
        if p["eventType"] == "Started"
    ]
    remote = [p for p in started if p["triggerReason"] == "RemoteStart"]
    assert len(remote) == 1
    assert all(p["idToken"] == {"idToken": APP_TAG, "type": "Central"} for p in remote)
    ended = [
        p
        for _, p in operator_runs.v201.csms.journal.of("TransactionEvent")
        if p["eventType"] == "Ended"
    ]
    assert sum(p["transactionInfo"]["stoppedReason"] == "Remote" for p in ended) == 2


@pytest.mark.parametrize("version", ["v201", "v16"])
def test_a_reset_station_boots_again_at_the_instant_of_its_reset_virtual_time_held(
    operator_runs: Runs, version: str
) -> None:
    run: Run = getattr(operator_runs, version)
    assert run.frames is not None
    resets = [rule.to for rule in SCRIPT if rule.do == "reset"]
    for station in resets:
        mine = [(t, d, f) for cp, t, d, f in run.frames if cp == station]
        [reset_s] = [t for t, d, f in mine if d == "recv" and f[0] == 2 and f[2] == "Reset"]
        boots = [t for t, d, f in mine if d == "send" and f[0] == 2 and f[2] == "BootNotification"]
        assert len(boots) == 2, station
        assert boots[1] == reset_s, station  # the reboot took no virtual time
    reasons = [row.split(",") for row in run.sessions.splitlines()]
    assert sum("HardReset" in row for row in reasons) == len(resets)
