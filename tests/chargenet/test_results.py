"""chargenet.run: the command line's numbers, as pandas DataFrames."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

import chargenet
from simulator.experiment.observations import observations
from simulator.reports.summary import DIGITS, SESSION_FIELDS
from tests.chargenet.conftest import CLI_DAYS, CLI_SEED
from tests.chargenet.helpers import QUICKSTART

DAYS = float(CLI_DAYS)
SEED = CLI_SEED


@pytest.fixture(scope="module")
def result() -> chargenet.Result:
    return chargenet.run(QUICKSTART, days=DAYS, seed=SEED)


def test_the_summary_document_is_the_clis_summary_json_byte_for_byte(
    result: chargenet.Result, cli_run: Path
) -> None:
    assert result.to_json() == (cli_run / "summary.json").read_text()


def test_the_summary_frame_holds_every_number_of_the_clis_summary(
    result: chargenet.Result, cli_run: Path
) -> None:
    expected = observations(json.loads((cli_run / "summary.json").read_text()))
    frame = result.summary
    assert list(frame.columns) == ["scope", "group", "segment", "metric", "value"]
    assert len(frame) == len(expected) > 100
    got = {(r.scope, r.group, r.segment, r.metric): r.value for r in frame.itertuples()}
    for key, value in expected.items():
        assert round(got[(key.scope, key.group, key.segment, key.metric)], DIGITS) == value, key


def test_the_sessions_frame_is_the_clis_sessions_csv(
    result: chargenet.Result, cli_run: Path
) -> None:
    expected = pd.read_csv(cli_run / "sessions.csv")
    assert list(result.sessions.columns) == list(SESSION_FIELDS)
    assert len(result.sessions) == result.document.totals.arrivals
    pd.testing.assert_frame_equal(result.sessions, expected)


def test_the_ports_frame_has_one_row_per_port_with_the_clis_port_metrics(
    result: chargenet.Result, cli_run: Path
) -> None:
    ports = json.loads((cli_run / "summary.json").read_text())["ports"]
    frame = result.ports.set_index("port")
    assert sorted(frame.index) == sorted(ports)
    for port, metrics in ports.items():
        row = frame.loc[port]
        assert round(row["occupancy_utilization"], DIGITS) == metrics["occupancy_utilization"]
        assert row["arrivals"] == metrics["arrivals"]
    assert set(frame["network"]) == {"tesla", "ea"}
    assert (frame["power_kw"] > 0).all()


def test_the_use_spec_and_chargex_frames_hold_the_clis_summary_blocks(
    result: chargenet.Result, cli_run: Path
) -> None:
    data = json.loads((cli_run / "summary.json").read_text())
    spec = result.use_spec.set_index(["scope", "group"])
    for scope in ("networks", "sites", "ports"):
        for group, metrics in data["ev_charging_use_spec"][scope].items():
            row = spec.loc[(scope, group)]
            for key, value in metrics.items():
                assert row[key] == pytest.approx(value, abs=10**-DIGITS), (scope, group, key)
    kpis = result.chargex.set_index(["scope", "group"])
    totals = data["chargex"]["totals"]
    assert kpis.loc[("totals", "all"), "visits"] == totals["visits"]
    assert set(kpis.index.get_level_values("scope")) == {"totals", "networks", "sites", "brands"}


def test_nevi_is_the_clis_nevi_csv(result: chargenet.Result, cli_run: Path) -> None:
    pd.testing.assert_frame_equal(result.nevi(), pd.read_csv(cli_run / "nevi.csv"))


def test_the_method_is_method_json_but_for_the_run_time(
    result: chargenet.Result, cli_run: Path
) -> None:
    expected = json.loads((cli_run / "method.json").read_text())
    varying = {"run_time_s", "finished_at"}
    assert set(result.method) == set(expected)
    assert {k: v for k, v in result.method.items() if k not in varying} == {
        k: v for k, v in expected.items() if k not in varying
    }


def test_run_takes_a_path_or_a_scenario_alike(result: chargenet.Result) -> None:
    again = chargenet.run(chargenet.load(QUICKSTART), days=DAYS, seed=SEED)
    assert again.to_json() == result.to_json()
    assert (again.seed, again.days) == (SEED, DAYS)


def test_another_seed_gives_other_draws(result: chargenet.Result) -> None:
    other = chargenet.run(QUICKSTART, days=DAYS, seed=SEED + 1)
    assert other.to_json() != result.to_json()


def test_an_unknown_engine_is_refused_in_one_line() -> None:
    with pytest.raises(chargenet.UserError, match=r"^engine 'slow': expected one of fast, ocpp$"):
        chargenet.run(QUICKSTART, engine="slow")  # type: ignore[arg-type]


def test_a_horizon_inside_the_warm_up_is_refused_before_any_work() -> None:
    scenario = chargenet.load(QUICKSTART).with_(warmup_days=1)
    with pytest.raises(chargenet.UserError) as raised:
        chargenet.run(scenario, days=0.5)
    assert str(raised.value) == (
        f"{scenario.source}: days=0.5 leaves nothing to measure after the warm-up "
        "(simulation.warmup_days = 1); give more days or with_(warmup_days=...) a shorter warm-up"
    )


async def test_the_ocpp_engine_gives_the_same_summary_even_inside_an_event_loop() -> None:
    """A notebook's cell runs inside an event loop: the OCPP run takes a thread of its own."""
    fast = chargenet.run(QUICKSTART, days=0.5, seed=4)
    ocpp = chargenet.run(QUICKSTART, days=0.5, seed=4, engine="ocpp")
    assert ocpp.engine == "ocpp"
    assert ocpp.document.totals.arrivals > 20
    assert ocpp.to_json() == fast.to_json()
    pd.testing.assert_frame_equal(ocpp.sessions, fast.sessions)


def test_a_progress_bar_leaves_the_numbers_alone() -> None:
    quiet = chargenet.run(QUICKSTART, days=1, seed=2)
    shown = chargenet.run(QUICKSTART, days=1, seed=2, progress=True)
    assert shown.to_json() == quiet.to_json()


def test_the_sessions_frame_reads_empty_fields_as_missing(result: chargenet.Result) -> None:
    away = result.sessions[result.sessions["outcome"] != "served"]
    assert len(away) > 0
    assert away["charge_end_s"].isna().all()
    csv = io.StringIO()
    result.sessions.to_csv(csv, index=False)
    assert csv.getvalue().splitlines()[0] == ",".join(SESSION_FIELDS)
