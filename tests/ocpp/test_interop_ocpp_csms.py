"""chargenet against a real third-party central system: `ocpp-csms` from PyPI, unmodified, run
by the tests on 127.0.0.1 (tests/ocpp/third_party.py), over a full day of a shipped scenario
through chargenet's real command line, with the operator calls of ocpp-csms's own API.

What a backend developer would check: the run exits 0; ocpp-csms found nothing to answer with
a CALLERROR; every transaction it saw started was stopped, or is still charging at the horizon
where the model says so; its energy per transaction equals sessions.csv to the Wh; every
operator call got the answer the model's state at that virtual instant dictates, and took
effect.

Authorization: ocpp-csms with no `authorize` hook answers Accepted to every Authorize and
StartTransaction (IdTagInfo with a status only), as the built-in central system does with
`--accept-unknown-tags` and the fast engine always does, so the physics stays the fast
engine's (a test below shows it byte for byte). The launcher blocks one tag only, the one an
operator's RemoteStart uses to show a refused driver.

The day (one run, shared by the tests of this module: tests/conftest.py keeps them in one test
process, and a lock shares the run should they be split) is paced (`--pace`) so that the
operator's reactions land within virtual minutes of what they react to, and in strict lockstep
(`--max-lag 0`): whatever ocpp-csms holds back (an Authorize, or through the launcher's proxy
the reply to a transaction's first MeterValues) freezes virtual time at the instant it was
issued, with every earlier message delivered, so the calls that need a charging session or an
idle port find one however loaded the machine; and ocpp-csms's heartbeat interval is an hour,
its meter values thinned to fifteen minutes by ChangeConfiguration at each boot, to keep the
day's frames few (2,381 with five minutes). The model's state at the instant a call entered it
is read back from the frame log (the virtual times of the CALL and of chargenet's reply) and
from sessions.csv and the transactions' timestamps: the oracle for each answer does not depend
on when the call happened to land.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import fcntl
import functools
import itertools
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from simulator import runner
from simulator import scenario as sc
from simulator.model.world import World
from simulator.ocpp.engine import OcppRunOptions, run_ocpp
from simulator.reports.summary import sessions_csv, to_json
from tests.ocpp.third_party import (
    Event,
    OcppCsms,
    Outcome,
    Pending,
    ocpp_csms_fixture,  # noqa: F401 (the ocpp_csms fixture)
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "quickstart.toml"  # warmup_days = 0: a day has a window
DAYS = 1
PACE = 4800  # a day in 18 s of wall time; a reaction within 50 ms is 4 virtual minutes
HEARTBEAT_INTERVAL_S = 3600
METER_SAMPLE_INTERVAL_S = 900
METER_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import"
OPERATOR_TAG = "OPERATOR-0001"
BLOCKED_TAG = "BLOCKED-0001"
RUN_TIMEOUT_S = 90.0  # the day's bound in wall time (18 s paced, 45 s at a load of 9)
EVENT_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0  # chargenet's start-up to its first boot, on a loaded machine
CALL_TIMEOUT_S = 10.0  # ocpp-csms's wait for an answer (chargenet answers within milliseconds)
BEGIN_HOLD_S = 20.0  # a held Transaction.Begin reply at most (chargenet resends after 30 s)
WAIT_SLICE_S = 0.5  # how often a wait looks whether chargenet has exited
ATTEMPTS = 4  # targets tried for a call that needs a charging session
EPS_S = 1e-3  # timestamps on the wire have milliseconds


# --- the day --------------------------------------------------------------------------------


@dataclass
class Call:
    """One operator call: what was sent to whom, what came back, and where in ocpp-csms's
    event stream it was sent and answered."""

    step: str
    cp: str
    method: str
    args: dict[str, Any]
    ok: bool = False
    result: Any = None
    error: str = ""
    sent_at_event: int = 0
    answered_at_event: int = 0
    target: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        got = repr(self.result) if self.ok else f"{self.error}"
        return f"{self.method}({self.cp}, {self.args}) -> {got}"


@dataclass
class Day:
    exit_code: int | None
    stderr: str
    events: list[Event]
    callerrors: list[Event]
    warnings: list[str]
    wire_failures: list[str]
    calls: list[Call]
    problems: dict[str, str]
    """Steps of the operator's script that could not complete: step -> why."""
    state: dict[str, Any]
    out: str

    def by_step(self, step: str) -> list[Call]:
        return [c for c in self.calls if c.step == step]

    def one(self, step: str) -> Call:
        calls = self.by_step(step)
        assert calls, f"step {step!r} sent no call: {self.problems.get(step, 'not reached')}"
        return calls[-1]


class Operator:
    """The backend developer's script, run while the day runs."""

    def __init__(
        self, csms: OcppCsms, world: World, deadline: float, over: Callable[[], bool]
    ) -> None:
        self.csms = csms
        self.world = world
        self.deadline = deadline
        self.over = over
        """True once chargenet has exited: no event can come any more."""
        self.calls: list[Call] = []
        self.problems: dict[str, str] = {}
        self.ports = [p.id for p in world.ports]

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        try:
            yield
        except AssertionError as error:  # a wait that ran out: the tests say what it meant
            self.problems[name] = str(error) or traceback.format_exc(limit=2)

    def call(self, step: str, cp: str, method: str, **args: Any) -> Call:
        assert time.monotonic() < self.deadline, "the day was over"
        assert not self.over(), "the day was over"
        record = Call(step, cp, method, args, sent_at_event=len(self.csms.events))
        self._fill(record, self.csms.call(cp, method, **args))
        return record

    def _fill(self, record: Call, outcome: Outcome) -> None:
        record.ok, record.result = outcome.ok, outcome.result
        record.error = "" if outcome.ok else f"{outcome.error}: {outcome.detail}"
        record.answered_at_event = len(self.csms.events)
        self.calls.append(record)

    def wait(
        self,
        match: Callable[[Event], bool],
        what: str,
        after: int = 0,
        timeout_s: float = EVENT_TIMEOUT_S,
    ) -> Event:
        """The first matching event from index `after` (bounded as `wait_until`)."""
        found: list[Event] = []
        scanned = [after]

        def ready() -> bool:
            events = self.csms.events
            found.extend(e for e in events[scanned[0] :] if match(e))
            scanned[0] = max(scanned[0], len(events))
            return bool(found)

        self.wait_until(ready, what, timeout_s)
        return found[0]

    def wait_until(
        self, ready: Callable[[], bool], what: str, timeout_s: float = EVENT_TIMEOUT_S
    ) -> None:
        """Until `ready()`; an AssertionError after `timeout_s`, at the script's deadline, or
        once chargenet has exited (no event can come any more)."""
        until = min(time.monotonic() + timeout_s, self.deadline)
        while True:
            over = self.over()
            left = until - time.monotonic()
            try:
                self.csms.wait_until(ready, 0.0 if over else min(WAIT_SLICE_S, left), what)
                return
            except AssertionError:
                if over or left <= WAIT_SLICE_S:
                    ended = "chargenet had exited" if over else "time ran out"
                    raise AssertionError(f"no {what}: {ended}") from None

    def idle(self, exclude: set[str]) -> list[str]:
        """Charge points ocpp-csms sees Available with no transaction."""
        state = self.csms.state()
        return [
            cp
            for cp in self.ports
            if cp not in exclude
            and cp in state
            and not state[cp]["transactions"]
            and all(c["status"] == "Available" for c in state[cp]["connectors"].values())
        ]

    def run(self) -> None:
        csms = self.csms
        n = len(self.ports)
        with self.step("boot"):
            # a backend configures each charge point as it boots: meter values every 15
            # minutes, energy and power only (the day's frames stay few)
            settings = {
                "MeterValueSampleInterval": str(METER_SAMPLE_INTERVAL_S),
                "MeterValuesSampledData": METER_MEASURANDS,
            }
            configured: dict[str, list[tuple[Call, Pending]]] = {}
            while len(configured) < n:
                event = self.wait(
                    lambda e: e["kind"] == "BootEvent" and e["cp"] not in configured,
                    f"BootNotification {len(configured) + 1} of {n}",
                    timeout_s=START_TIMEOUT_S,
                )
                cp = event["cp"]
                configured[cp] = [
                    (
                        Call("boot", cp, "change_configuration", {"key": key, "value": value},
                             sent_at_event=len(csms.events)),
                        csms.call_nowait(cp, "change_configuration", key=key, value=value),
                    )
                    for key, value in settings.items()
                ]  # fmt: skip
            for pendings in configured.values():
                for record, pending in pendings:
                    self._fill(record, pending.wait())
        with self.step("running"):
            # the fleet has booted and the model runs: today a call before that is Rejected
            # (issue 14); calls right after each boot are the lockstep tests' subject
            self.wait(lambda e: e["kind"] == "TransactionStartedEvent", "a first transaction")
        self._configuration()
        # the stops first: after the held Authorize of round one, virtual time catches up
        # with the wall clock (--pace) in a burst
        self._stops()
        self._round_one()
        self._afterwards()

    def _configuration(self) -> None:
        cp = self.ports[0]
        with self.step("get_configuration"):
            self.call("get_configuration", cp, "get_configuration")
            self.call(
                "get_configuration", cp, "get_configuration", keys=["HeartbeatInterval", "NoSuch"]
            )
        with self.step("change_configuration"):
            self.call(
                "change_configuration", cp, "change_configuration", key="NumberOfConnectors",
                value="2",
            )  # fmt: skip
            self.call("change_configuration", cp, "change_configuration", key="NoSuch", value="1")
        with self.step("data_transfer"):
            self.call(
                "data_transfer", cp, "data_transfer", vendor_id="org.example", message_id="ping",
                data="hello",
            )  # fmt: skip
        with self.step("trigger"):
            self.call("trigger", cp, "trigger_message", message="Heartbeat")
            status = self.call(
                "trigger", cp, "trigger_message", message="StatusNotification", connector_id=0
            )
            if status.result == "Accepted":
                self.wait(
                    lambda e: (
                        e["kind"] == "StatusEvent"
                        and e["cp"] == cp
                        and e["connector"]["connector_id"] == 0
                    ),
                    "the triggered StatusNotification",
                    after=status.sent_at_event,
                )

    def _round_one(self) -> None:
        """Under a held Authorize (virtual time stands still): a TriggerMessage MeterValues for
        the car plugged in but not charging, and calls to idle charge points."""
        csms = self.csms
        trigger = None
        held_cp = ""
        with self.step("hold"):
            csms.hold_next_authorize()
            self.wait_until(lambda: bool(csms.held), "held Authorize")
            held = csms.held[0]
            held_cp = held["cp"]
            trigger = (
                Call(
                    "trigger_plugged_in", held_cp, "trigger_message",
                    {"message": "MeterValues", "connector_id": 1},
                    sent_at_event=len(csms.events), target={"id_tag": held["id_tag"]},
                ),
                csms.call_nowait(held_cp, "trigger_message", message="MeterValues", connector_id=1),
            )  # fmt: skip
        try:
            idle = self.idle({held_cp})
            with self.step("inoperative"):
                assert idle, "no idle port to take out of service"
                self.call(
                    "inoperative", idle[-1], "change_availability", connector_id=0,
                    availability="Inoperative",
                )  # fmt: skip
            rest = idle[:-1]
            with self.step("remote_start"):
                assert rest, "no idle port for a RemoteStart"
                self.call(
                    "remote_start", rest[0], "remote_start_transaction", id_tag=OPERATOR_TAG,
                    connector_id=1,
                )  # fmt: skip
            with self.step("remote_start_blocked"):
                assert len(rest) > 1, "no second idle port for a RemoteStart"
                self.call("remote_start_blocked", rest[-1], "remote_start_transaction",
                          id_tag=BLOCKED_TAG)  # fmt: skip
        finally:
            with self.step("hold"):
                csms.release()
                if trigger is not None:
                    record, pending = trigger
                    self._fill(record, pending.wait())
                    if record.ok and record.result == "Accepted":
                        self.wait(
                            lambda e: (
                                e["kind"] == "MeterValuesEvent"
                                and e["cp"] == held_cp
                                and any(r["context"] == "Trigger" for r in e["readings"])
                            ),
                            "the triggered MeterValues",
                            after=record.sent_at_event,
                        )
        with self.step("remote_start"):
            start = self.one("remote_start")
            if start.result == "Accepted":
                self.wait(
                    lambda e: (
                        e["kind"] == "TransactionStartedEvent"
                        and e["transaction"]["id_tag"] == OPERATOR_TAG
                    ),
                    "the remotely started transaction",
                )
        with self.step("inoperative"):
            inoperative = self.one("inoperative")
            if inoperative.result in ("Accepted", "Scheduled"):
                self.wait(
                    lambda e: (
                        e["kind"] == "StatusEvent"
                        and e["cp"] == inoperative.cp
                        and e["connector"]["connector_id"] == 0
                        and e["connector"]["status"] == "Unavailable"
                    ),
                    "Unavailable from the port made Inoperative",
                    after=inoperative.sent_at_event,
                )

    def one(self, step: str) -> Call:
        calls = [c for c in self.calls if c.step == step]
        assert calls, f"{step}: no call was sent"
        return calls[-1]

    def _stops(self) -> None:
        """RemoteStop, UnlockConnector and Reset of a charging session, each sent while the
        reply to its transaction's first MeterValues (Transaction.Begin) is held, on a charge
        point not used before: with --max-lag 0 virtual time cannot pass the instant the
        transaction started meanwhile, so the call finds it charging however loaded the
        machine. Should the model have ended it even so (the tests check the answer against
        that), the next start is taken."""
        csms = self.csms
        used: set[str] = set()
        plans: list[tuple[str, str, dict[str, Any], str]] = [
            ("remote_stop", "remote_stop_transaction", {}, "Remote"),
            ("unlock", "unlock_connector", {"connector_id": 1}, "UnlockCommand"),
            ("reset", "reset", {"reset_type": "Soft"}, "SoftReset"),
        ]
        for step, method, args, reason in plans:
            with self.step(step):
                for _ in range(ATTEMPTS):
                    try:
                        held = self._hold_begin(used, f"a transaction to {method}")
                        cp, tx_id = held["cp"], held["transaction_id"]
                        used.add(cp)
                        call_args = dict(args)
                        if step == "remote_stop":
                            call_args["transaction_id"] = tx_id
                        record = self.call(step, cp, method, **call_args)
                    finally:
                        csms.release()
                    record.target = {"transaction_id": tx_id}
                    stopped = self.wait(
                        functools.partial(_stops_transaction, tx_id),
                        f"the stop of transaction {tx_id}",
                    )
                    if stopped["transaction"]["stop_reason"] == reason:
                        break
                if step == "reset":
                    last = self.one("reset")
                    self.wait(
                        functools.partial(_boots, last.cp),
                        "the BootNotification after the Reset",
                        after=last.sent_at_event,
                    )

    def _hold_begin(self, used: set[str], what: str) -> Event:
        """The next transaction's first MeterValues on a charge point not in `used`, its
        reply held until `release()`: (`cp`, `transaction_id`)."""
        csms = self.csms
        count = len(csms.held_begins)
        csms.hold_next_begin(used, timeout_s=BEGIN_HOLD_S)
        self.wait_until(lambda: len(csms.held_begins) > count, what)
        return csms.held_begins[count]

    def _afterwards(self) -> None:
        with self.step("remote_stop_stopped"):
            stopped = next((c for c in self.calls if c.step == "remote_stop" and c.target), None)
            assert stopped is not None, "no transaction was remotely stopped"
            self.call(
                "remote_stop_stopped", stopped.cp, "remote_stop_transaction",
                transaction_id=stopped.target["transaction_id"],
            )  # fmt: skip
        cp = self.ports[1]
        with self.step("unknown_connector"):
            self.call("unknown_connector", cp, "remote_start_transaction", id_tag="X",
                      connector_id=9)  # fmt: skip
            self.call("unknown_connector", cp, "unlock_connector", connector_id=2)
        with self.step("hard_reset"):
            idle = self.idle({c.cp for c in self.calls if c.step in ("reset", "inoperative")})
            assert idle, "no idle charge point to reset"
            record = self.call("hard_reset", idle[0], "reset", reset_type="Hard")
            self.wait(
                lambda e: e["kind"] == "BootEvent" and e["cp"] == record.cp,
                "the BootNotification after the hard Reset",
                after=record.sent_at_event,
            )
        with self.step("operative"):
            inoperative = self.one("inoperative")
            record = self.call(
                "operative", inoperative.cp, "change_availability", connector_id=0,
                availability="Operative",
            )  # fmt: skip
            if record.result == "Accepted":
                self.wait(
                    lambda e: (
                        e["kind"] == "StatusEvent"
                        and e["cp"] == record.cp
                        and e["connector"]["connector_id"] == 0
                        and e["connector"]["status"] == "Available"
                    ),
                    "Available from the port made Operative again",
                    after=record.sent_at_event,
                )


def _stops_transaction(transaction_id: int, e: Event) -> bool:
    return bool(
        e["kind"] == "TransactionStoppedEvent"
        and e["transaction"]["transaction_id"] == transaction_id
    )


def _boots(cp: str, e: Event) -> bool:
    return bool(e["kind"] == "BootEvent" and e["cp"] == cp)


def _run_day(out: Path) -> Day:
    world = sc.world(sc.load(SCENARIO), days=DAYS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with OcppCsms(
        heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
        blocked_tags=(BLOCKED_TAG,),
        call_timeout_s=CALL_TIMEOUT_S,
        stderr=out / "ocpp-csms.err",
    ) as csms:
        with open(out / "chargenet.err", "w") as err:
            cli = subprocess.Popen(
                [
                    sys.executable, "-m", "simulator", "run", str(SCENARIO),
                    "--days", str(DAYS), "--csms", csms.proxy_url, "--pace", str(PACE),
                    "--max-lag", "0",
                    "--out", str(out / "run"), "--message-log", str(out / "frames.jsonl"),
                    "--quiet",
                ],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
            deadline = time.monotonic() + RUN_TIMEOUT_S
            operator = Operator(csms, world, deadline, lambda: cli.poll() is not None)
            try:
                operator.run()
                cli.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                operator.problems["run"] = f"chargenet did not end within {RUN_TIMEOUT_S:g} s"
            finally:
                if cli.poll() is None:
                    cli.kill()
                    cli.wait(timeout=10)
        state = csms.state()
        events, callerrors = csms.snapshot(), list(csms.callerrors)
        warnings, wire_failures = list(csms.warnings), list(csms.wire_failures)
    return Day(
        exit_code=cli.returncode if "run" not in operator.problems else None,
        stderr=(out / "chargenet.err").read_text(),
        events=events,
        callerrors=callerrors,
        warnings=warnings,
        wire_failures=wire_failures,
        calls=operator.calls,
        problems=operator.problems,
        state=state,
        out=str(out),
    )


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    """The day, run once for every worker of a test session (a lock in the shared tmp)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    shared = base / "interop-ocpp-csms"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved, failed = shared / "day.json", shared / "failed.txt"
        if failed.exists():  # the other worker's attempt: not twice
            pytest.fail(failed.read_text())
        if not saved.exists():
            try:
                result = _run_day(shared)
            except BaseException:
                failed.write_text(traceback.format_exc())
                raise
            saved.write_text(json.dumps(asdict(result)))
    data = json.loads(saved.read_text())
    data["calls"] = [Call(**c) for c in data["calls"]]
    return Day(**data)


# --- reading the day back -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    virtual_s: float
    cp: str
    dir: str
    message: list[Any]


def frames(day: Day) -> list[Frame]:
    return _frames(day.out)


@functools.cache
def _frames(out: str) -> list[Frame]:
    with open(Path(out) / "frames.jsonl") as log:
        rows = [json.loads(line) for line in log]
    return [Frame(r["virtual_s"], r["cp"], r["dir"], json.loads(r["frame"])) for r in rows]


def sessions(day: Day) -> list[dict[str, str]]:
    with open(Path(day.out) / "run" / "sessions.csv") as f:
        return list(csv.DictReader(f))


def the_world() -> World:
    return sc.world(sc.load(SCENARIO), days=DAYS)


def virtual_s(world: World, timestamp: str | None) -> float | None:
    if timestamp is None:
        return None
    return (datetime.fromisoformat(timestamp) - world.start).total_seconds()


ACTIONS = {
    "remote_start_transaction": "RemoteStartTransaction",
    "remote_stop_transaction": "RemoteStopTransaction",
    "change_availability": "ChangeAvailability",
    "reset": "Reset",
    "get_configuration": "GetConfiguration",
    "change_configuration": "ChangeConfiguration",
    "trigger_message": "TriggerMessage",
    "unlock_connector": "UnlockConnector",
    "data_transfer": "DataTransfer",
}


@dataclass(frozen=True, slots=True)
class Window:
    """The virtual times between which a call entered chargenet's model: from its CALL to
    chargenet's reply (equal unless the model moved in between: with --pace it is first
    brought to the wall clock's virtual time)."""

    lo_s: float
    hi_s: float

    def holds(self, at_s: float | None) -> bool:
        return at_s is not None and self.lo_s - EPS_S <= at_s <= self.hi_s + EPS_S

    def during(self, start_s: float, end_s: float) -> bool | None:
        """Whether [start_s, end_s) covers the window: None when an edge falls in it."""
        if self.holds(start_s) or self.holds(end_s):
            return None
        return start_s < self.lo_s and self.hi_s < end_s


def entered(day: Day, call: Call) -> Window:
    """The k-th CALL of that action to that charge point in chargenet's frame log, k the
    call's rank among this script's calls there, and chargenet's reply to it."""
    action = ACTIONS[call.method]
    key = call.args.get("key")  # ChangeConfigurations told apart by their key
    rank = [
        c for c in day.calls if c.cp == call.cp and c.method == call.method
        and c.args.get("key") == key
    ].index(call)  # fmt: skip
    log = [f for f in frames(day) if f.cp == call.cp]
    received = [
        f for f in log if f.dir == "recv" and f.message[0] == 2 and f.message[2] == action
        and (key is None or f.message[3].get("key") == key)
    ]  # fmt: skip
    assert len(received) > rank, f"chargenet's log has no {action} #{rank + 1} for {call.cp}"
    message_id = received[rank].message[1]
    replies = [
        f for f in log if f.dir == "send" and f.message[0] != 2 and f.message[1] == message_id
    ]
    assert replies, f"chargenet sent no reply to {received[rank]}"
    return Window(received[rank].virtual_s, replies[0].virtual_s)


def transactions(day: Day) -> dict[int, dict[str, Any]]:
    """Every transaction ocpp-csms saw started, by id, with its stop when it saw one."""
    out: dict[int, dict[str, Any]] = {}
    for e in day.events:
        if e["kind"] in ("TransactionStartedEvent", "TransactionStoppedEvent"):
            out[e["transaction"]["transaction_id"]] = {"cp": e["cp"], **e["transaction"]}
    return out


def occupied(rows: list[dict[str, str]], port: str, window: Window) -> bool | None:
    """Whether a car was at the port while the call entered (None: one came or went then)."""
    for r in rows:
        if r["port"] != port or r["outcome"] == "turned_away" or not r["start_s"]:
            continue
        during = window.during(float(r["start_s"]), float(r["depart_s"]))
        if during is not False:
            return during
    return False


def charging(world: World, tx: dict[str, Any], window: Window) -> bool | None:
    """Whether the transaction was charging while the call entered (None: it began or ended
    then)."""
    start = virtual_s(world, tx["started_at"])
    stop = virtual_s(world, tx.get("stopped_at"))
    assert start is not None
    return window.during(start, world.horizon_s if stop is None else stop)


def session_of(world: World, rows: list[dict[str, str]], tx: dict[str, Any]) -> dict[str, str]:
    start = virtual_s(world, tx["started_at"])
    assert start is not None
    found = [
        r for r in rows if r["port"] == tx["cp"] and r["start_s"] and
        abs(float(r["start_s"]) - start) < EPS_S
    ]  # fmt: skip
    assert len(found) == 1, f"transaction {tx['transaction_id']}: sessions {found}"
    return found[0]


# --- the run --------------------------------------------------------------------------------


def test_a_day_against_ocpp_csms_with_operator_calls_exits_0(day: Day) -> None:
    assert "run" not in day.problems, day.problems["run"]
    assert day.exit_code == 0, day.stderr
    assert "Traceback" not in day.stderr, day.stderr


def test_the_operators_script_ran_to_its_end(day: Day) -> None:
    # each step's own test says what a failed step means; this one lists them together
    assert day.problems == {}


def test_ocpp_csms_answered_no_frame_of_chargenet_with_a_callerror(day: Day) -> None:
    assert day.callerrors == []
    # its failures other than a CALLERROR it got back (the operator calls' tests say which)
    failures = [f for f in day.wire_failures if not f.startswith("Received a CALLError")]
    assert failures == []
    assert len(day.warnings) == len(day.wire_failures), day.warnings
    log = frames(day)
    sent = {(f.cp, f.message[1]): f for f in log if f.dir == "send" and f.message[0] == 2}
    answered = {
        (f.cp, f.message[1]): f.message[0] for f in log if f.dir == "recv" and f.message[0] != 2
    }
    refused = {k: sent[k].message[2] for k, kind in answered.items() if kind == 4 and k in sent}
    assert refused == {}
    assert set(sent) <= set(answered), "CALLs of chargenet's that got no answer"
    assert len(sent) > 1000  # a day's worth


def test_chargenet_answered_every_operator_call_without_a_callerror(day: Day) -> None:
    refused = [(f.cp, f.message) for f in frames(day) if f.dir == "send" and f.message[0] == 4]
    assert refused == []


def test_every_transaction_ocpp_csms_saw_started_was_stopped_or_is_charging_at_the_horizon(
    day: Day,
) -> None:
    world = the_world()
    rows = sessions(day)
    txs = transactions(day)
    assert len(txs) > 50
    for tx in txs.values():
        row = session_of(world, rows, tx)
        if tx["stopped_at"] is None:
            assert (row["outcome"], row["reason"]) == ("on_site", "charging"), tx
        else:
            assert (row["outcome"], row["reason"]) != ("on_site", "charging"), tx
    running = {
        tx["transaction_id"] for st in day.state.values() for tx in st["transactions"]
    }  # what ocpp-csms holds at the end
    assert running == {i for i, tx in txs.items() if tx["stopped_at"] is None}


def test_no_port_had_two_cars_at_once(day: Day) -> None:
    by_port: dict[str, list[tuple[float, float]]] = {}
    for r in sessions(day):
        if r["port"] and r["outcome"] != "turned_away":
            by_port.setdefault(r["port"], []).append((float(r["start_s"]), float(r["depart_s"])))
    for port, visits in by_port.items():
        visits.sort()
        for (_, depart), (start, _) in itertools.pairwise(visits):
            assert start >= depart - EPS_S, (port, visits)


def test_every_session_that_plugged_in_is_one_transaction_of_ocpp_csms_with_its_id_tag(
    day: Day,
) -> None:
    world = the_world()
    txs = list(transactions(day).values())
    vehicle_index = {v.id: v.index for v in world.vehicles}
    plugged = [r for r in sessions(day) if r["outcome"] != "turned_away" and r["port"]]
    matched = 0
    for r in plugged:
        start = float(r["start_s"])
        found = [
            tx for tx in txs
            if tx["cp"] == r["port"] and abs(virtual_s(world, tx["started_at"]) - start) < EPS_S  # type: ignore[operator]
        ]  # fmt: skip
        if not found and r["outcome"] == "on_site":
            # plugged in as the day ended, its authorization still under way: never started
            starts = [
                f for f in frames(day)
                if f.cp == r["port"] and f.dir == "send" and f.message[0] == 2
                and f.message[2] == "StartTransaction"
                and abs(virtual_s(world, f.message[3]["timestamp"]) - start) < EPS_S  # type: ignore[operator]
            ]  # fmt: skip
            assert starts == [], r
            continue
        assert len(found) == 1, r
        tag = found[0]["id_tag"]
        if int(r["driver"]) >= 0:
            assert tag == f"D{vehicle_index[r['vehicle']]:02d}{int(r['driver']):07d}"
        else:
            assert tag == OPERATOR_TAG
        matched += 1
    assert matched == len(txs)


def test_the_energy_ocpp_csms_saw_per_transaction_equals_sessions_csv_to_the_wh(day: Day) -> None:
    world = the_world()
    rows = sessions(day)
    latest = {
        (cp, int(c)): reading
        for cp, st in day.state.items()
        for c, reading in st["energy"].items()
        if reading is not None
    }
    checked = 0
    for tx in transactions(day).values():
        row = session_of(world, rows, tx)
        energy_wh = float(row["energy_kwh"]) * 1000.0
        if tx["meter_stop"] is not None:
            # meterStart and meterStop are whole Wh of the same register: within 1 Wh
            assert abs(tx["meter_stop"] - tx["meter_start"] - energy_wh) < 1.0 + EPS_S, (tx, row)
            checked += 1
        else:
            # still charging at the horizon: the last reading is at most the model's energy
            reading = latest[(tx["cp"], tx["connector_id"])]
            assert float(reading["value"]) - tx["meter_start"] <= energy_wh + 1.0, (tx, row)
    assert checked > 50


# --- the operator's calls -------------------------------------------------------------------


def test_changing_configuration_at_boot_is_accepted_and_thins_the_meter_values(day: Day) -> None:
    world = the_world()
    boots = day.by_step("boot")
    assert len(boots) == 2 * len(world.ports)
    assert all(c.result == "Accepted" for c in boots), [str(c) for c in boots]
    # after the changes: periodic samples the interval apart, with the measurands asked for
    changed: dict[str, float] = {}
    for c in boots:
        changed[c.cp] = max(changed.get(c.cp, 0.0), entered(day, c).hi_s)
    last: dict[tuple[str, int], float] = {}
    seen: set[tuple[str, str]] = set()
    for f in frames(day):
        if f.dir != "send" or f.message[0] != 2 or f.message[2] != "MeterValues":
            continue
        if (f.cp, f.message[1]) in seen:  # resent after a reconnect, with its message id
            continue
        seen.add((f.cp, f.message[1]))
        payload = f.message[3]
        value = payload["meterValue"][0]
        at = virtual_s(world, value["timestamp"])
        assert at is not None
        if at <= changed[f.cp] + EPS_S or value["sampledValue"][0]["context"] == "Trigger":
            continue
        measurands = ",".join(v["measurand"] for v in value["sampledValue"])
        assert measurands == METER_MEASURANDS, f
        if value["sampledValue"][0]["context"] != "Sample.Periodic":
            continue
        key = (f.cp, payload["connectorId"])
        if key in last:
            assert at - last[key] >= METER_SAMPLE_INTERVAL_S - EPS_S, (f, last[key])
        last[key] = at
    assert last, "no periodic MeterValues after the change"


def test_get_and_change_configuration_answer_from_the_key_store(day: Day) -> None:
    everything, some = day.by_step("get_configuration")
    assert everything.ok, (str(everything), str(some))
    assert some.ok, (str(everything), str(some))
    values = everything.result["values"]
    assert values["HeartbeatInterval"]["value"] == str(HEARTBEAT_INTERVAL_S)
    assert values["MeterValueSampleInterval"]["value"] == str(METER_SAMPLE_INTERVAL_S)
    assert values["MeterValuesSampledData"]["value"] == METER_MEASURANDS
    assert values["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "value": "1",
        "readonly": True,
    }
    assert set(some.result["values"]) == {"HeartbeatInterval"}
    assert some.result["unknown_keys"] == ["NoSuch"]
    read_only, unknown = day.by_step("change_configuration")
    assert (read_only.result, unknown.result) == ("Rejected", "NotSupported")


def test_data_transfer_is_answered_unknown_vendor_id(day: Day) -> None:
    call = day.one("data_transfer")
    assert call.ok, str(call)
    assert call.result == ["UnknownVendorId", None], str(call)


def test_trigger_message_is_accepted_and_the_triggered_message_arrives(day: Day) -> None:
    heartbeat, status = day.by_step("trigger")
    assert (heartbeat.result, status.result) == ("Accepted", "Accepted")
    assert "trigger" not in day.problems, day.problems["trigger"]


def test_trigger_meter_values_while_a_car_is_plugged_in_but_not_charging_is_accepted(
    day: Day,
) -> None:
    # the car's Authorize is held by ocpp-csms's hook: plugged in, not charging yet
    call = day.one("trigger_plugged_in")
    assert call.ok, str(call)
    assert call.result == "Accepted", str(call)
    assert "hold" not in day.problems, day.problems["hold"]
    triggered = [
        e for e in day.events[call.sent_at_event :]
        if e["kind"] == "MeterValuesEvent" and e["cp"] == call.cp
        and e["readings"][0]["context"] == "Trigger"
    ]  # fmt: skip
    assert triggered, "no triggered MeterValues arrived"
    reading = triggered[0]["readings"][0]
    assert reading["measurand"] == "Energy.Active.Import.Register"
    # the register then is where the car's transaction starts
    started = [
        tx for tx in transactions(day).values()
        if tx["cp"] == call.cp and tx["id_tag"] == call.target["id_tag"]
    ]  # fmt: skip
    assert len(started) == 1
    assert float(reading["value"]) == started[0]["meter_start"]


def test_remote_start_is_answered_as_the_port_dictates_and_its_session_is_in_sessions_csv(
    day: Day,
) -> None:
    world = the_world()
    rows = sessions(day)
    call = day.one("remote_start")
    window = entered(day, call)
    busy = occupied(rows, call.cp, window)
    assert call.ok, str(call)
    if busy is not None:
        assert call.result == ("Rejected" if busy else "Accepted"), (str(call), window)
    # ocpp-csms saw the port idle while virtual time stood still: a car there would have
    # told it (Authorize and StartTransaction hold virtual time)
    assert call.result == "Accepted", str(call)
    mine = [r for r in rows if r["port"] == call.cp and int(r["driver"]) < 0]
    assert len(mine) == 1, (mine, window)
    assert window.holds(float(mine[0]["arrival_s"])), (mine, window)
    assert mine[0]["outcome"] in ("served", "on_site")
    started = [tx for tx in transactions(day).values() if tx["id_tag"] == OPERATOR_TAG]
    assert len(started) == 1
    assert started[0]["cp"] == call.cp
    assert window.holds(virtual_s(world, started[0]["started_at"])), (started, window)


def test_a_remote_start_for_a_blocked_tag_turns_the_driver_away(day: Day) -> None:
    call = day.one("remote_start_blocked")
    assert call.ok, str(call)
    assert call.result == "Accepted", str(call)
    window = entered(day, call)
    mine = [
        r for r in sessions(day)
        if r["port"] == call.cp and int(r["driver"]) < 0 and window.holds(float(r["arrival_s"]))
    ]  # fmt: skip
    assert [(r["port"], r["outcome"], r["reason"]) for r in mine] == [
        (call.cp, "turned_away", "authorization_blocked")
    ]
    assert not [tx for tx in transactions(day).values() if tx["id_tag"] == BLOCKED_TAG]


def test_change_availability_makes_the_port_unavailable_until_it_is_operative_again(
    day: Day,
) -> None:
    world = the_world()
    rows = sessions(day)
    inoperative, operative = day.one("inoperative"), day.one("operative")
    w0, w1 = entered(day, inoperative), entered(day, operative)
    busy = occupied(rows, inoperative.cp, w0)
    if busy is not None:
        assert inoperative.result == ("Scheduled" if busy else "Accepted"), str(inoperative)
    assert inoperative.result == "Accepted", "ocpp-csms saw it idle, virtual time standing still"
    assert operative.result == "Accepted", str(operative)
    statuses = [
        (virtual_s(world, e["connector"]["timestamp"]), e["connector"]["status"])
        for e in day.events
        if e["kind"] == "StatusEvent"
        and e["cp"] == inoperative.cp
        and e["connector"]["connector_id"] == 0
    ]
    down = [at for at, status in statuses if status == "Unavailable" and at is not None]
    up = [
        at for at, status in statuses
        if status == "Available" and at is not None and at >= w1.lo_s - EPS_S
    ]  # fmt: skip
    assert down, statuses
    assert up, statuses
    assert w0.holds(down[0]), (statuses, w0, w1)
    assert w1.holds(up[0]), (statuses, w0, w1)
    # nobody plugged in while it was out of service
    assert not [
        r for r in rows
        if r["port"] == inoperative.cp and r["start_s"] and down[0] < float(r["start_s"]) < up[0]
    ]  # fmt: skip


def _stop_calls(day: Day, step: str, reason: str) -> tuple[list[Call], Call]:
    """The step's calls, and the one whose transaction stopped with `reason`."""
    calls = day.by_step(step)
    assert calls, day.problems.get(step, "not reached")
    txs = transactions(day)
    confirmed = [c for c in calls if txs[c.target["transaction_id"]]["stop_reason"] == reason]
    assert len(confirmed) == 1, ([str(c) for c in calls], day.problems.get(step))
    return calls, confirmed[0]


def _stopped_where_it_entered(day: Day, call: Call, reason: str) -> None:
    """The call's transaction stopped with `reason` at the instant the call entered the
    model, and its session in sessions.csv ended for that reason."""
    world = the_world()
    tx = transactions(day)[call.target["transaction_id"]]
    window = entered(day, call)
    assert window.holds(virtual_s(world, tx["stopped_at"])), (tx, window)
    row = session_of(world, sessions(day), tx)
    assert (row["outcome"], row["reason"]) == ("served", reason)
    assert window.holds(float(row["charge_end_s"])), (row, window)


def test_remote_stop_is_answered_as_the_transaction_dictates(day: Day) -> None:
    world = the_world()
    txs = transactions(day)
    calls, confirmed = _stop_calls(day, "remote_stop", "Remote")
    for call in calls:
        tx = txs[call.target["transaction_id"]]
        live = True if call is confirmed else charging(world, tx, entered(day, call))
        assert call.ok, str(call)
        if live is not None:
            assert call.result == ("Accepted" if live else "Rejected"), (str(call), tx)


def test_remote_stop_ends_a_charging_transaction_with_reason_remote(day: Day) -> None:
    _, confirmed = _stop_calls(day, "remote_stop", "Remote")
    _stopped_where_it_entered(day, confirmed, "Remote")


def test_remote_stop_of_a_stopped_transaction_is_rejected(day: Day) -> None:
    call = day.one("remote_stop_stopped")
    assert call.ok, str(call)
    assert call.result == "Rejected", str(call)


def test_unlock_connector_is_answered_unlocked(day: Day) -> None:
    calls, _ = _stop_calls(day, "unlock", "UnlockCommand")
    assert all(c.ok and c.result == "Unlocked" for c in calls), [str(c) for c in calls]


def test_unlock_connector_ends_the_charge_with_reason_unlock_command(day: Day) -> None:
    _, confirmed = _stop_calls(day, "unlock", "UnlockCommand")
    _stopped_where_it_entered(day, confirmed, "UnlockCommand")


def test_calls_for_an_unknown_connector_are_refused(day: Day) -> None:
    start, unlock = day.by_step("unknown_connector")
    assert (start.result, unlock.result) == ("Rejected", "NotSupported")


def test_a_soft_reset_ends_the_charge_with_reason_soft_reset_and_the_charge_point_boots_again(
    day: Day,
) -> None:
    _, confirmed = _stop_calls(day, "reset", "SoftReset")
    _stopped_where_it_entered(day, confirmed, "SoftReset")
    assert "reset" not in day.problems, day.problems["reset"]  # the BootNotification came


def test_a_soft_reset_is_answered_accepted_before_the_charge_point_closes(day: Day) -> None:
    # ocpp-csms must read the reply before the close: CsmsConnectionError otherwise
    calls, _ = _stop_calls(day, "reset", "SoftReset")
    assert all(c.ok and c.result == "Accepted" for c in calls), [str(c) for c in calls]


def test_a_soft_reset_stops_the_transaction_before_the_charge_point_boots_again(
    day: Day,
) -> None:
    _, call = _stop_calls(day, "reset", "SoftReset")
    tx_id = call.target["transaction_id"]
    order = [
        e["kind"]
        for e in day.events[call.sent_at_event :]
        if e["cp"] == call.cp
        and (
            e["kind"] == "BootEvent"
            or (
                e["kind"] == "TransactionStoppedEvent"
                and e["transaction"]["transaction_id"] == tx_id
            )
            or (e["kind"] == "MeterValuesEvent" and e["transaction_id"] == tx_id)
        )
    ]
    # the session's last MeterValues and its StopTransaction, then the new BootNotification
    assert order[-2:] == ["TransactionStoppedEvent", "BootEvent"], order


def test_a_hard_reset_of_an_idle_charge_point_is_answered_accepted_and_it_boots_again(
    day: Day,
) -> None:
    call = day.one("hard_reset")
    assert "hard_reset" not in day.problems, day.problems["hard_reset"]  # it booted again
    assert call.ok, str(call)
    assert call.result == "Accepted", str(call)


# --- the physics, and the fixture -----------------------------------------------------------


async def test_the_ocpp_csms_fixture_serves_a_charge_point_on_127_0_0_1(
    ocpp_csms: OcppCsms,
) -> None:
    assert ocpp_csms.url.startswith("ws://127.0.0.1:")
    async with connect(ocpp_csms.url + "/CP-1", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        boot = {"chargePointVendor": "chargenet", "chargePointModel": "test"}
        await ws.send(json.dumps([2, "1", "BootNotification", boot]))
        reply = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
        await ws.send(json.dumps([2, "2", "Heartbeat", {"unexpected": 1}]))
        refused = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
    assert reply[:2] == [3, "1"]
    assert reply[2]["status"] == "Accepted"
    assert refused[:2] == [4, "2"]  # its schema forbids the extra property
    ocpp_csms.wait_for(lambda e: e["kind"] == "BootEvent" and e["cp"] == "CP-1", what="a boot")
    ocpp_csms.wait_until(lambda: len(ocpp_csms.callerrors) == 1, EVENT_TIMEOUT_S, "a CALLERROR")
    assert json.loads(ocpp_csms.callerrors[0]["frame"]) == refused


def test_the_physics_against_ocpp_csms_is_the_fast_engines_byte_for_byte(tmp_path: Path) -> None:
    """ocpp-csms accepts every id tag (no authorize hook), as the fast engine does: with no
    operator calls the summary and the sessions over its wire are the fast engine's, byte for
    byte (three hours of the day, through run_ocpp: the CLI's day is the tests above)."""
    world = sc.world(sc.load(SCENARIO), days=0.125)
    fast = runner.run_fast(world)
    with OcppCsms(
        heartbeat_interval_s=HEARTBEAT_INTERVAL_S, stderr=tmp_path / "ocpp-csms.err"
    ) as csms:
        records = run_ocpp(world, OcppRunOptions(csms_url=csms.url))
        callerrors = list(csms.callerrors)
        started = [e for e in csms.events if e["kind"] == "TransactionStartedEvent"]
    assert callerrors == []
    assert len(started) == sum(1 for s in records.sessions if s.port)
    assert all(e["transaction"]["id_tag_status"] == "Accepted" for e in started)
    assert to_json(runner.summarize_world(world, records)) == to_json(
        runner.summarize_world(world, fast)
    )
    assert sessions_csv(records) == sessions_csv(fast)
