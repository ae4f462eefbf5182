"""chargenet.compare and chargenet.sweep: the command line's tables, as DataFrames."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

import chargenet
from simulator.experiment.tables import csv_text
from tests.chargenet.helpers import QUICKSTART, chargenet_cli

DAYS = 0.5
REPLICATIONS = 2


def as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as the command line's CSV holds it (10 significant digits)."""
    return pd.read_csv(io.StringIO(csv_text(frame)))


@pytest.fixture(scope="module")
def busy() -> chargenet.Scenario:
    return chargenet.load(QUICKSTART).with_(demand=1.3, name="busy")


def test_compare_gives_the_clis_compare_csv(tmp_path: Path, busy: chargenet.Scenario) -> None:
    busy_file = tmp_path / "busy.toml"  # the file a CLI user would write for with_'s change
    text = QUICKSTART.read_text().replace('name = "quickstart"', 'name = "busy"', 1)
    busy_file.write_text(text.replace('kind = "constant"', 'kind = "constant"\nmultiplier = 1.3'))
    assert chargenet.load(busy_file).model == busy.model
    out = tmp_path / "out"
    chargenet_cli(
        "compare", str(QUICKSTART), str(busy_file), "--replications", str(REPLICATIONS),
        "--days", str(DAYS), "--workers", "1", "--out", str(out), "--quiet",
    )  # fmt: skip
    frame = chargenet.compare(
        [QUICKSTART, busy], replications=REPLICATIONS, days=DAYS, workers=1, progress=False
    )
    assert set(frame["kind"]) == {"estimate", "difference"}
    assert set(frame["scenario"]) == {"quickstart", "busy"}
    assert frame.attrs["failures"] == []
    pd.testing.assert_frame_equal(as_written(frame), pd.read_csv(out / "compare.csv"))


def test_sweep_gives_the_clis_sweep_intervals_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    chargenet_cli(
        "sweep", str(QUICKSTART), "--vary", "demand=0.8,1.2", "--vary", "price[tesla]=0.3,0.5",
        "--replications", str(REPLICATIONS), "--days", str(DAYS), "--workers", "1",
        "--out", str(out), "--quiet",
    )  # fmt: skip
    frame = chargenet.sweep(
        QUICKSTART,
        {"demand": [0.8, 1.2], "price[tesla]": [0.3, 0.5]},
        replications=REPLICATIONS,
        days=DAYS,
        workers=1,
        progress=False,
    )
    assert frame["point"].nunique() == 4
    pd.testing.assert_frame_equal(as_written(frame), pd.read_csv(out / "sweep_intervals.csv"))
    runs = chargenet.sweep(
        QUICKSTART,
        {"demand": [0.8, 1.2], "price[tesla]": [0.3, 0.5]},
        replications=REPLICATIONS,
        days=DAYS,
        workers=1,
        per_run=True,
        progress=False,
    )
    pd.testing.assert_frame_equal(as_written(runs), pd.read_csv(out / "sweep.csv"))


def test_compare_on_a_local_dask_cluster_equals_the_runs_in_this_process(
    busy: chargenet.Scenario,
) -> None:
    here = chargenet.compare(
        {"base": QUICKSTART, "busy": busy}, replications=2, days=0.5, workers=1, progress=False
    )
    dask = chargenet.compare(
        {"base": QUICKSTART, "busy": busy}, replications=2, days=0.5, workers=2, progress=False
    )
    pd.testing.assert_frame_equal(here, dask)
    assert set(here["scenario"]) == {"base", "busy"}


def test_per_run_gives_one_row_per_run_and_number(busy: chargenet.Scenario) -> None:
    runs = chargenet.compare(
        [QUICKSTART, busy], replications=2, days=0.5, workers=1, per_run=True, progress=False
    )
    assert sorted(runs["seed"].unique()) == [1, 2]
    per_run = runs.groupby(["scenario", "replication"]).size()
    assert len(per_run) == 4
    assert per_run.nunique() == 1


def test_a_failing_run_is_a_warning_naming_it_and_the_others_still_count(
    busy: chargenet.Scenario,
) -> None:
    from chargenet import experiments
    from simulator.experiment.replications import Task

    # data that does not validate where it runs, as on a worker of another version
    task = Task("broken", 0, 1, 0.5, {**busy.to_dict(), "arrivals": {"kind": "nope"}})
    run = experiments._run_here(task)
    assert not run.ok
    assert run.failure().startswith("replication 0 of 'broken' (seed 1) failed: ScenarioError:")
    with pytest.warns(RuntimeWarning, match="replication 0 of 'broken'"):
        frame = experiments._with_failures(pd.DataFrame(), [run])
    assert frame.attrs["failures"] == [run.failure()]


def test_fewer_than_two_replications_are_refused_in_one_line() -> None:
    with pytest.raises(chargenet.UserError, match=r"^replications=1: need at least 2"):
        chargenet.compare([QUICKSTART], replications=1)


def test_a_sweep_key_with_no_list_of_values_is_refused_in_one_line() -> None:
    with pytest.raises(chargenet.UserError, match=r"^sweep: demand needs a list of values"):
        chargenet.sweep(QUICKSTART, {"demand": 1.2})  # type: ignore[dict-item]


def test_a_sweep_value_the_file_format_refuses_is_one_scenario_error() -> None:
    with pytest.raises(chargenet.ScenarioError, match=r"demand=-1"):
        chargenet.sweep(QUICKSTART, {"demand": [1, -1]}, workers=1, progress=False)
