"""`chargenet compare` through the real command line, on the test cluster and on the default
local cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulator import cli
from simulator.experiment import execution
from simulator.experiment.comparison import CompareDocument
from tests.experiment.helpers import ERLANG_C, FAILING_NAME, ROOT, SCENARIOS, renamed

EXIT_USAGE = 2
EXIT_FAILURE = 1
WALLED = SCENARIOS / "walled_gardens.toml"
OPENING = SCENARIOS / "nacs_opening.toml"


def test_compare_on_an_existing_cluster_writes_the_table_and_every_file(
    dask_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(
        [
            "compare",
            str(WALLED),
            str(OPENING),
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
    assert "all networks: mean ± 95% half-width; Δ vs walled gardens" in printed
    assert "NACS opening" in printed
    assert {p.name for p in out.iterdir()} == {
        "compare.json",
        "compare.csv",
        "replications.parquet",
        "compare.html",
    }
    doc = CompareDocument.model_validate_json((out / "compare.json").read_text())
    assert doc.baseline == "walled gardens"
    assert doc.seeds == [1, 2]
    assert [s.label for s in doc.scenarios] == ["walled gardens", "NACS opening"]
    assert doc.failed == []
    tesla = doc.estimates["NACS opening"]["networks"]["tesla"]["occupancy_utilization"]
    assert tesla.n == 2  # type: ignore[union-attr]

    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == [
        "kind",
        "scenario",
        "baseline",
        "scope",
        "group",
        "segment",
        "metric",
        "n",
        "mean",
        "sd",
        "half_width",
        "low",
        "high",
    ]
    assert set(table["kind"]) == {"estimate", "difference"}
    row = table[
        (table.kind == "difference")
        & (table.scope == "totals")
        & (table.segment == "all")
        & (table.metric == "arrivals")
    ]
    assert row[["mean", "half_width"]].values.tolist() == [[0.0, 0.0]]  # CRN: same arrivals
    # the CSV and the JSON hold the same intervals
    revenue = table[
        (table.kind == "estimate")
        & (table.scenario == "NACS opening")
        & (table.scope == "networks")
        & (table.group == "tesla")
        & (table.segment == "all")
        & (table.metric == "revenue")
    ]
    doc_revenue = doc.estimates["NACS opening"]["networks"]["tesla"]["revenue"]
    assert revenue["mean"].item() == pytest.approx(doc_revenue.mean)  # type: ignore[union-attr]

    raw = pd.read_parquet(out / "replications.parquet")
    assert set(raw["scenario"]) == {"walled gardens", "NACS opening"}
    assert set(raw["seed"]) == {1, 2}
    html = (out / "compare.html").read_text()
    assert html.count("<figure") >= 20


def test_a_failing_replication_is_reported_and_the_partial_results_are_written(
    dask_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = renamed(ERLANG_C, FAILING_NAME.format(seed=2), tmp_path)
    out = tmp_path / "out"
    code = cli.main(
        [
            "compare",
            str(ERLANG_C),
            str(flaky),
            "--replications",
            "3",
            "--seed",
            "1",
            "--days",
            "1.5",
            "--scheduler",
            dask_address,
            "--out",
            str(out),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == EXIT_FAILURE
    assert (
        "chargenet: replication 1 of 'fails on seed 2' (seed 2) failed: "
        "RuntimeError: injected fault for seed 2"
    ) in err.splitlines()
    assert "chargenet: 1 of 6 runs failed; the results cover the others" in err
    assert "Traceback" not in err
    doc = json.loads((out / "compare.json").read_text())
    assert doc["failed"] == [
        {
            "scenario": "fails on seed 2",
            "replication": 1,
            "seed": 2,
            "error": "RuntimeError: injected fault for seed 2",
        }
    ]
    assert doc["estimates"]["fails on seed 2"]["totals"]["all"]["p_wait"]["n"] == 2
    assert doc["differences"]["fails on seed 2"]["totals"]["all"]["p_wait"]["n"] == 2
    assert "failed: RuntimeError: injected fault for seed 2" in (out / "compare.html").read_text()


def test_compare_runs_on_a_local_cluster_by_default(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "compare",
            str(ERLANG_C),
            str(ERLANG_C),
            "--replications",
            "2",
            "--days",
            "1.5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no Dask logging on the terminal
    doc = CompareDocument.model_validate_json((out / "compare.json").read_text())
    # two files of the same scenario get their file names, made unique
    assert [s.label for s in doc.scenarios] == ["erlang_c", "erlang_c (2)"]
    assert doc.differences["erlang_c (2)"]["totals"]["all"]["p_wait"].mean == 0.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--replications", "1"],
            "chargenet: --replications 1: need at least 2 for confidence intervals",
        ),
        (
            ["--replications", "0"],
            "chargenet: argument --replications: must be positive: '0' (see chargenet --help)",
        ),
        (
            ["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"],
            "chargenet: --workers sizes the local cluster; it cannot go with --scheduler",
        ),
        (
            ["--scheduler", "foo"],
            "chargenet: --scheduler foo: not an address (missing port number in address 'foo')",
        ),
        (
            ["--scheduler", "http://127.0.0.1:9"],
            "chargenet: --scheduler http://127.0.0.1:9: expected tcp://HOST:PORT (or tls://)",
        ),
        (
            ["--scheduler", "tcp://127.0.0.1:9"],
            "chargenet: --scheduler tcp://127.0.0.1:9: cannot connect (",
        ),
    ],
)
def test_user_mistakes_end_in_one_line_and_nothing_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(cli.main(["compare", str(ERLANG_C), "--out", str(out), *extra]))
    err = capsys.readouterr().err
    assert exited.value.code == EXIT_USAGE
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_missing_scenario_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        ["compare", str(ERLANG_C), str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]
    )
    assert code == EXIT_USAGE
    assert capsys.readouterr().err == f"chargenet: {tmp_path / 'nope.toml'}: no such file\n"
    assert not (tmp_path / "o").exists()
