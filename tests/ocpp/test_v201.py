"""Simulated OCPP 2.0.1 charging stations (`simulator.ocpp.v201`) end to end, through
`chargenet run`, against an independent central system built from the stock `ocpp` package's
v201 classes with their own validation on (tests/ocpp/stock_csms.py), on 127.0.0.1.

The physics does not depend on the version: a seed gives the fast engine's summary.json and
sessions.csv byte for byte over 1.6, over 2.0.1, and with a network on each in one run.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.commands._common import write_atomic
from simulator.model.requests import (
    AuthStatus,
    MeterSample,
    StartReply,
    StartTransaction,
    StopReason,
    StopTransaction,
)
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.engine import OcppRunOptions, run_ocpp
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v201 import STOP_REASONS, ChargingStationV201
from simulator.ocpp.wire_stats import WireStats
from simulator.reports.summary import sessions_csv, to_json
from tests.ocpp.helpers import (
    PORT,
    WAIT_S,
    RecordingStation,
    running,
    wait_for,
    write_small_scenario,
)
from tests.ocpp.stock_csms import Journal, stock_csms, transactions

FILES = ("summary.json", "sessions.csv")


def run(scenario: Path, out: Path, *flags: str) -> None:
    assert cli.main(["run", str(scenario), "--out", str(out), "--quiet", *flags]) == 0


def simulate(
    scenario: Path,
    out: Path,
    *,
    engine: str = "ocpp",
    override: sc.OcppVersion | None = None,
    csms_url: str | None = None,
) -> None:
    """What `chargenet run` writes to summary.json, sessions.csv and wire.json, in this
    process and without its HTML report (matplotlib: most of a small run's time)."""
    loaded = sc.load(scenario)
    world = sc.world(loaded)
    wire: list[WireStats] = []
    if engine == "fast":
        records = runner.run_fast(world)
    else:
        versions = sc.ocpp_versions(loaded, override)
        options = OcppRunOptions(csms_url=csms_url, versions=versions, on_wire=wire.append)
        records = run_ocpp(world, options)
    out.mkdir(parents=True)
    write_atomic(out / "summary.json", to_json(runner.summarize_world(world, records)))
    write_atomic(out / "sessions.csv", sessions_csv(records))
    if wire:
        write_atomic(out / "wire.json", wire[0].to_json())


def mixed_scenario(folder: Path, **options: Any) -> Path:
    """The small scenario with its south network on 2.0.1 (north stays on 1.6)."""
    path = write_small_scenario(folder, **options)
    text = path.read_text(encoding="utf-8")
    south = '[[networks]]\nid = "south"\n'
    assert south in text
    path.write_text(text.replace(south, south + 'ocpp = "2.0.1"\n'), encoding="utf-8")
    return path


@dataclass
class Run:
    folder: Path
    scenario: Path
    journal: Journal


@pytest.fixture(scope="module")
def failing_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """A day of the small scenario with failures, every station on 2.0.1, and the same day
    on the fast engine (out: fast/, v201/)."""
    folder = tmp_path_factory.mktemp("v201")
    scenario = write_small_scenario(folder, failures=True)
    simulate(scenario, folder / "fast", engine="fast")
    with stock_csms() as csms:  # through the command line: --ocpp
        run(scenario, folder / "v201", "--ocpp", "2.0.1", "--csms", csms.url)
    return Run(folder, scenario, csms.journal)


def sessions(out: Path) -> list[dict[str, str]]:
    text = (out / "sessions.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- the physics is the version's no matter -----------------------------------------------


def test_a_201_run_writes_the_fast_engines_summary_and_sessions_byte_for_byte(
    failing_day: Run,
) -> None:
    for name in FILES:
        fast = (failing_day.folder / "fast" / name).read_bytes()
        assert (failing_day.folder / "v201" / name).read_bytes() == fast
    assert set(failing_day.journal.subprotocols.values()) == {"ocpp2.0.1"}


def test_a_16_run_and_a_run_mixing_versions_by_network_write_the_same_bytes(
    failing_day: Run, tmp_path: Path
) -> None:
    simulate(failing_day.scenario, tmp_path / "v16", override="1.6")  # the built-in CSMS
    mixed = mixed_scenario(tmp_path, failures=True)
    with stock_csms() as csms:
        simulate(mixed, tmp_path / "mixed", csms_url=csms.url)
    for name in FILES:
        fast = (failing_day.folder / "fast" / name).read_bytes()
        assert (tmp_path / "v16" / name).read_bytes() == fast
        assert (tmp_path / "mixed" / name).read_bytes() == fast
    world = sc.world(sc.load(mixed))
    expected = {p.id: "ocpp2.0.1" if p.network == "south" else "ocpp1.6" for p in world.ports}
    assert csms.journal.subprotocols == expected
    assert not csms.journal.call_errors
    assert csms.journal.of("TransactionEvent")
    assert csms.journal.of("StartTransaction")


def test_the_ocpp_flags_version_overrides_every_networks_key(tmp_path: Path) -> None:
    mixed = mixed_scenario(tmp_path, days=0.1)
    with stock_csms() as csms:
        simulate(mixed, tmp_path / "out", override="1.6", csms_url=csms.url)
    assert set(csms.journal.subprotocols.values()) == {"ocpp1.6"}


def test_the_ocpp_flag_needs_the_ocpp_engine_and_a_bad_key_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write_small_scenario(tmp_path)
    args = ["run", str(scenario), "--out", str(tmp_path / "o"), "--engine", "fast"]
    assert cli.main([*args, "--ocpp", "2.0.1"]) == 2
    assert capsys.readouterr().err == "chargenet: --ocpp needs --engine ocpp\n"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace('id = "south"\n', 'id = "south"\nocpp = "2.0"\n'), "utf-8")
    assert cli.main(["run", str(scenario), "--out", str(tmp_path / "o"), "--engine", "fast"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "networks[1].ocpp = '2.0'" in err


# --- what the central system saw -----------------------------------------------------------


def test_every_message_passed_the_stock_validation_and_got_an_answer(failing_day: Run) -> None:
    journal = failing_day.journal
    assert journal.call_errors == []
    seen = Counter(action for _, action, _ in journal.calls)
    assert seen["BootNotification"] >= 5  # one per station; more after a reboot
    for action in ("StatusNotification", "Authorize", "TransactionEvent", "Heartbeat"):
        assert seen[action] > 0, action
    wire = (failing_day.folder / "v201" / "wire.json").read_text(encoding="utf-8")
    assert '"refused": {}' in wire


def test_each_transaction_runs_started_updated_ended_with_seq_nos_from_zero_without_gaps(
    failing_day: Run,
) -> None:
    events = transactions(failing_day.journal)
    assert events
    for transaction_id, sequence in events.items():
        assert [e["seqNo"] for e in sequence] == list(range(len(sequence))), transaction_id
        kinds = [e["eventType"] for e in sequence]
        assert kinds[0] == "Started", transaction_id
        assert kinds.count("Started") == 1, transaction_id
        assert kinds.count("Ended") <= 1, transaction_id
        assert "Ended" not in kinds[:-1], transaction_id
        assert not any(e.get("offline") for e in sequence)  # the connection never dropped


def test_every_started_transaction_is_ended_with_the_reason_the_model_stopped_it(
    failing_day: Run,
) -> None:
    """Each session that plugged in (sessions.csv) is one transaction; each the model
    stopped is Ended with the mapped trigger and stopped reasons; only those still charging
    at the horizon stay open."""
    rows = sessions(failing_day.folder / "v201")
    plugged = [r for r in rows if r["outcome"] in ("served", "on_site") and r["port"]]
    events = transactions(failing_day.journal)
    assert len(events) == len(plugged)
    ended = [s[-1] for s in events.values() if s[-1]["eventType"] == "Ended"]
    charging = sum(1 for r in plugged if r["outcome"] == "on_site" and r["reason"] == "charging")
    assert len(events) - len(ended) == charging
    for last in ended:
        assert last["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
    mapped = Counter(
        (last["triggerReason"], last["transactionInfo"]["stoppedReason"]) for last in ended
    )
    expected = Counter(
        tuple(reason.value for reason in STOP_REASONS[StopReason(r["reason"])])
        for r in plugged
        if r["outcome"] == "served"
    )
    assert expected <= mapped  # plus those that stopped and still linger on site
    assert mapped.total() == len(plugged) - charging
    assert ("AbnormalCondition", "PowerLoss") in mapped  # the failures stopped some


def test_started_carries_the_begin_register_and_the_driver_token_and_updates_sample_periodic(
    failing_day: Run,
) -> None:
    for sequence in transactions(failing_day.journal).values():
        started = sequence[0]
        assert started["triggerReason"] == "Authorized"
        assert started["idToken"]["type"] == "ISO14443"
        begin = started["meterValue"][0]["sampledValue"][0]
        assert (begin["context"], begin["measurand"]) == (
            "Transaction.Begin",
            "Energy.Active.Import.Register",
        )
        periodic = [e for e in sequence if e["triggerReason"] == "MeterValuePeriodic"]
        for event in periodic:
            contexts = {v["context"] for v in event["meterValue"][0]["sampledValue"]}
            assert contexts == {"Sample.Periodic"}
        registers = [
            v["value"]
            for e in sequence
            for m in e.get("meterValue", [])
            for v in m["sampledValue"]
            if v["measurand"] == "Energy.Active.Import.Register"
        ]
        assert registers == sorted(registers)  # the register never runs backwards


def test_status_notifications_use_the_201_connector_statuses_per_evse_connector(
    failing_day: Run,
) -> None:
    statuses = failing_day.journal.of("StatusNotification")
    assert {p["connectorStatus"] for _, p in statuses} <= {
        "Available",
        "Occupied",
        "Unavailable",
        "Faulted",
    }
    assert {"Available", "Occupied", "Faulted"} <= {p["connectorStatus"] for _, p in statuses}
    world = sc.world(sc.load(failing_day.scenario))
    connectors = {p.id: len(p.connectors) for p in world.ports}
    for station, payload in statuses:
        assert payload["evseId"] == 1
        assert 1 <= payload["connectorId"] <= connectors[station]


def test_a_boot_answered_pending_then_rejected_is_repeated_until_accepted_before_anything_else(
    tmp_path: Path,
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.25)
    journal = Journal(boot_answers={"n-01": ["Pending", "Rejected"]})
    with stock_csms(journal) as csms:
        simulate(scenario, tmp_path / "v201", override="2.0.1", csms_url=csms.url)
    simulate(scenario, tmp_path / "fast", engine="fast")
    for name in FILES:
        assert (tmp_path / "v201" / name).read_bytes() == (tmp_path / "fast" / name).read_bytes()
    actions = [a for s, a, _ in journal.calls if s == "n-01"]
    assert actions[:3] == ["BootNotification"] * 3
    assert "BootNotification" not in actions[3:]
    assert actions[3:5] == ["StatusNotification", "StatusNotification"]  # its two connectors
    boots = [p for s, p in journal.of("BootNotification") if s == "n-01"]
    assert {p["reason"] for p in boots} == {"PowerUp"}
    assert journal.call_errors == []


# --- the offline queue -------------------------------------------------------------------


class Outage:
    """The central system's side of an outage, switched by the test: the next TransactionEvent
    is dropped unhandled with its connection, and reconnections are closed at once until the
    test lets the station back in."""

    def __init__(self) -> None:
        self.drop_next = False
        self.admitting = True

    def gate(self, _station: str, raw: str) -> bool:
        frame = json.loads(raw)
        if self.drop_next and frame[0] == 2 and frame[2] == "TransactionEvent":
            self.drop_next = False
            self.admitting = False
            return False
        return True

    def admit(self, _station: str) -> bool:
        return self.admitting


def sample(at_s: float, energy_wh: int, context: str = "Sample.Periodic") -> MeterSample:
    return MeterSample(1, 1, at_s, energy_wh, 50.0, 0.5, 400.0, context)


async def test_events_raised_offline_are_queued_and_sent_in_order_with_their_seq_no() -> None:
    outage = Outage()
    journal = Journal(gate=outage.gate, admit=outage.admit)
    with stock_csms(journal) as csms:
        station = RecordingStation()
        transport = TransportConfig(csms.url, backoff_initial_s=0.02, backoff_max_s=0.1)
        clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
        client = ChargingStationV201(0, PORT, station, transport, clock, id_prefix="t-")
        # raised before the station ever connected: queued behind the boot
        started: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        client.submit(StartTransaction(1, "TAG1", 0, 10.0, 1), started)
        client.submit(sample(70.0, 800), None)
        async with running(client):
            async with asyncio.timeout(WAIT_S):
                assert await started == StartReply(AuthStatus.ACCEPTED, 1)
            await wait_for(lambda: station.backlog == 0, "the queue to drain")
            outage.drop_next = True
            client.submit(sample(140.0, 1600), None)  # online: dropped unanswered
            await client.pump()
            await wait_for(lambda: not client.online, "the drop")
            client.submit(sample(210.0, 2400), None)  # raised while away
            client.submit(StopTransaction(1, "TAG1", 3000, 250.0, StopReason.LOCAL), None)
            outage.admitting = True
            await wait_for(lambda: station.backlog == 0, "the queue to drain again")
    assert journal.call_errors == []
    (sequence,) = transactions(journal).values()
    # the dropped event came again once, with its seqNo; then what was raised while away
    assert [e["seqNo"] for e in sequence] == [0, 1, 2, 3, 4]
    assert [e["eventType"] for e in sequence] == [
        "Started",
        "Updated",
        "Updated",
        "Updated",
        "Ended",
    ]
    assert [e["timestamp"][11:19] for e in sequence] == [
        "00:00:10",
        "00:01:10",
        "00:02:20",
        "00:03:30",
        "00:04:10",
    ]
    assert [bool(e.get("offline")) for e in sequence] == [True, True, False, True, True]


def test_a_transaction_event_whose_measurands_are_all_off_goes_without_meter_values() -> None:
    station = RecordingStation()
    clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
    client = ChargingStationV201(
        0, PORT, station, TransportConfig("ws://127.0.0.1:9"), clock, id_prefix="t-"
    )
    for name, value in (("TxStartedMeasurands", "SoC"), ("TxEndedMeasurands", "Voltage")):
        status, _ = client.device.set({"name": "SampledDataCtrlr"}, {"name": name}, None, value)
        assert status.value == "Accepted"
    # submit validates each payload against the 2.0.1 schema (an empty sampledValue fails it)
    assert client.submit(StartTransaction(1, "TAG1", 0, 10.0, 1), None) == 1
    assert client.submit(StopTransaction(1, "TAG1", 900, 60.0, StopReason.LOCAL), None) == 1
    started, ended = (p.payload for p in client._queue)
    assert "meterValue" not in started
    assert "meterValue" not in ended  # Voltage was never sampled: there is no End sample
    assert (started["seqNo"], ended["seqNo"]) == (0, 1)
    assert started["offline"] is True  # never connected


async def test_a_refused_transaction_event_is_retried_as_message_attempts_say() -> None:
    refused: list[tuple[str, int]] = []

    def refuse_first(_station: str, payload: dict[str, Any]) -> bool:
        """The first transaction's Started once; every event of the second."""
        event = (payload["transactionInfo"]["transactionId"], payload["seqNo"])
        if (event == ("t-0-1", 0) and event not in refused) or event[0] == "t-0-2":
            refused.append(event)
            return True
        return False

    journal = Journal(refuse=refuse_first)
    with stock_csms(journal) as csms:
        station = RecordingStation()
        transport = TransportConfig(csms.url, backoff_initial_s=0.02, backoff_max_s=0.1)
        clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
        client = ChargingStationV201(0, PORT, station, transport, clock, id_prefix="t-")
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            first: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            client.submit(StartTransaction(1, "TAG1", 0, 10.0, 1), first)
            await client.pump()
            async with asyncio.timeout(WAIT_S):  # refused once, accepted on the retry
                assert await first == StartReply(AuthStatus.ACCEPTED, 1)
            client.submit(StopTransaction(1, "TAG1", 10, 20.0, StopReason.LOCAL), None)
            await wait_for(lambda: station.backlog == 0, "the first transaction")
            attempts = {"name": "MessageAttempts", "instance": "TransactionEvent"}
            status, _ = client.device.set({"name": "OCPPCommCtrlr"}, attempts, None, "1")
            assert status.value == "Accepted"
            second: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            client.submit(StartTransaction(1, "TAG2", 10, 30.0, 2), second)
            await client.pump()
            async with asyncio.timeout(WAIT_S):  # one attempt only: refused for good
                assert await second == StartReply(AuthStatus.INVALID, 0)
    assert refused == [("t-0-1", 0), ("t-0-2", 0)]
    assert len(journal.call_errors) == 2
    accepted = transactions(journal)
    assert [e["seqNo"] for e in accepted["t-0-1"]] == [0, 1]  # the retry kept its seqNo
    assert "t-0-2" not in accepted
    assert client.refused == {"TransactionEvent": 1}


def test_a_run_mixing_versions_against_the_built_in_central_system_writes_the_same_bytes(
    failing_day: Run, tmp_path: Path
) -> None:
    """The built-in central system serves both versions on one port (the subprotocol
    choosing) and keeps both in one store: 2.0.1 transactions by the station's own id, every
    seqNo from 0 without a gap."""
    import sqlite3

    mixed = mixed_scenario(tmp_path, failures=True)
    loaded = sc.load(mixed)
    world = sc.world(loaded)
    store = tmp_path / "csms.sqlite"
    options = OcppRunOptions(versions=sc.ocpp_versions(loaded, None), csms_db=store)
    records = run_ocpp(world, options)
    summary = to_json(runner.summarize_world(world, records))
    assert summary == (failing_day.folder / "fast" / "summary.json").read_text(encoding="utf-8")
    assert sessions_csv(records) == (failing_day.folder / "fast" / "sessions.csv").read_text(
        encoding="utf-8"
    )
    with sqlite3.connect(store) as db:
        started_16 = db.execute("SELECT count(*) FROM transactions").fetchone()[0]
        started_201, ended_201 = db.execute(
            "SELECT count(*), count(ended_at) FROM transactions_201"
        ).fetchone()
        gaps = db.execute("SELECT count(*) FROM seq_no_gaps_201").fetchone()[0]
        open_per_station = db.execute(
            "SELECT charge_point_id, count(*) FROM transactions_201 WHERE ended_at IS NULL "
            "GROUP BY charge_point_id"
        ).fetchall()
        seq_nos = db.execute(
            "SELECT transaction_id, group_concat(seq_no) FROM "
            "(SELECT transaction_id, seq_no FROM transaction_events_201 ORDER BY seq_no) "
            "GROUP BY transaction_id"
        ).fetchall()
    assert started_16 > 0
    assert ended_201 > 0
    assert started_201 - ended_201 == len(open_per_station)
    assert gaps == 0
    for transaction_id, numbers in seq_nos:
        assert [int(n) for n in numbers.split(",")] == list(range(len(numbers.split(",")))), (
            transaction_id
        )
    # only a charge still going at the horizon is left open: at most one per station
    assert all(count == 1 for _, count in open_per_station), open_per_station


async def test_an_event_refused_every_attempt_is_discarded_and_leaves_a_seq_no_gap() -> None:
    def refuse_seq_no_1(_station: str, payload: dict[str, Any]) -> bool:
        return bool(payload["seqNo"] == 1)

    journal = Journal(refuse=refuse_seq_no_1)
    with stock_csms(journal) as csms:
        station = RecordingStation()
        transport = TransportConfig(csms.url, backoff_initial_s=0.02, backoff_max_s=0.1)
        clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
        client = ChargingStationV201(0, PORT, station, transport, clock, id_prefix="t-")
        attempts = {"name": "MessageAttempts", "instance": "TransactionEvent"}
        status, _ = client.device.set({"name": "OCPPCommCtrlr"}, attempts, None, "2")
        assert status.value == "Accepted"
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            client.submit(StartTransaction(1, "TAG1", 0, 10.0, 1), None)
            client.submit(sample(70.0, 800), None)  # seqNo 1: refused twice, then discarded
            client.submit(StopTransaction(1, "TAG1", 1200, 90.0, StopReason.LOCAL), None)
            await client.pump()
            await wait_for(lambda: station.backlog == 0, "the queue to drain")
    assert len(journal.call_errors) == 2  # the first attempt and the one retry
    (sequence,) = transactions(journal).values()
    # what follows keeps its own seqNo: the gap is how the CSMS learns one is missing
    assert [(e["eventType"], e["seqNo"]) for e in sequence] == [("Started", 0), ("Ended", 2)]
    assert client.refused == {"TransactionEvent": 1}
