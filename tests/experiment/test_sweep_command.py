"""`chargenet sweep` through the real command line, on the test cluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator import cli
from simulator.experiment.sweep import SweepDocument
from tests.experiment.helpers import ERLANG_C

EXIT_USAGE = 2


def test_sweep_writes_a_tidy_table_intervals_and_response_curves(
    dask_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(
        [
            "sweep",
            str(ERLANG_C),
            "--vary",
            "demand=0.5,1",
            "--vary",
            "ports[site]=4,5",
            "--replications",
            "2",
            "--days",
            "1.5",
            "--scheduler",
            dask_address,
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "ports[site]=4" in printed  # brackets are not taken for markup
    assert {p.name for p in out.iterdir()} == {
        "sweep.csv",
        "sweep.parquet",
        "sweep_intervals.csv",
        "sweep.json",
        "sweep.html",
    }
    tidy = pd.read_csv(out / "sweep.csv")
    assert list(tidy.columns) == [
        "point",
        "demand",
        "ports[site]",
        "replication",
        "seed",
        "scope",
        "group",
        "segment",
        "metric",
        "value",
    ]
    per_run = len(tidy) // 8
    assert len(tidy) == 4 * 2 * per_run  # points x replications x (scope, group, segment, metric)
    assert tidy.groupby(["point", "replication"]).size().tolist() == [per_run] * 8
    assert set(zip(tidy["demand"], tidy["ports[site]"], strict=True)) == {
        (0.5, 4),
        (0.5, 5),
        (1.0, 4),
        (1.0, 5),
    }
    parquet = pd.read_parquet(out / "sweep.parquet")
    assert parquet.shape == tidy.shape
    assert parquet["value"].tolist() == pytest.approx(tidy["value"].tolist(), rel=1e-9)

    intervals = pd.read_csv(out / "sweep_intervals.csv")
    occupancy = intervals[
        (intervals.scope == "totals")
        & (intervals.metric == "occupancy_utilization")
        & (intervals["ports[site]"] == 4)
    ].set_index("demand")["mean"]
    assert occupancy[1.0] > occupancy[0.5]  # twice the demand on the same ports

    doc = SweepDocument.model_validate_json((out / "sweep.json").read_text())
    assert [v.key for v in doc.vary] == ["demand", "ports[site]"]
    assert [v.path for v in doc.vary] == ["arrivals.multiplier", "sites[site].ports[*].count"]
    assert len(doc.points) == 4
    assert doc.seeds == [1, 2]
    html = (out / "sweep.html").read_text()
    # a curve of zeros (nobody turned away, no prices here) is a one-line note instead
    left_out = html.count('<p class="note left-out">')
    assert "revenue, all networks: $0 everywhere — chart left out" in html
    assert html.count("<figure") + left_out >= 12


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (["--vary", "demand=0,1"], "chargenet: --vary demand=0: arrivals.multiplier = 0: "),
        (
            ["--vary", "arrivals.multplier=1,2"],
            "chargenet: --vary arrivals.multplier: arrivals has no key 'multplier'",
        ),
        (
            ["--vary", "networks[nett].price_per_kwh=1"],
            "chargenet: --vary networks[nett].price_per_kwh: "
            "networks[nett]: no item has that id (ids: net)",
        ),
        (["--vary", "demand"], "chargenet: --vary demand: expected KEY=V1,V2,..."),
        (["--vary", "ports[site]=four"], "chargenet: --vary ports[site]=four: "),
        ([], "chargenet: sweep: give at least one --vary KEY=V1,V2,..."),
    ],
)
def test_a_bad_vary_is_one_line_exit_2_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], vary: list[str], message: str
) -> None:
    out = tmp_path / "out"
    code = cli.main(["sweep", str(ERLANG_C), *vary, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert not out.exists()
