"""Ctrl-C in `chargenet compare` / `sweep` keeps the finished runs; `--resume` runs only the
missing ones and writes the tables an uninterrupted run writes; a resume of another experiment
is refused in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import cli
from tests.experiment.helpers import ERLANG_C, FAILING_NAME, ROOT, renamed

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
START_TIMEOUT_S = 100
"""The first run of a fresh local cluster, on a loaded machine."""
COMPARE_FILES = ("compare.json", "compare.csv", "replications.parquet", "compare.html")
LONG = "60"
"""Days that make a run last about a second: the runs after the first are still running when
the interrupt arrives."""
SWEEP_FILES = ("sweep.csv", "sweep.parquet", "sweep_intervals.csv", "sweep.json", "sweep.html")


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"exited with {process.returncode} before {path.name}: {err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {path.name} within {START_TIMEOUT_S} s")
        time.sleep(0.05)


def _compare(out: Path, *extra: str, days: str = "1.5") -> list[str]:
    return [
        "compare",
        str(ERLANG_C),
        str(ERLANG_C),
        "--replications",
        "2",
        "--days",
        days,
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def test_ctrl_c_in_compare_prints_one_line_and_resume_writes_what_an_uninterrupted_run_writes(
    dask_address: str, tmp_path: Path
) -> None:
    interrupted = tmp_path / "interrupted"
    # Ctrl-C on a terminal signals the whole process group: the command and its local cluster
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", *_compare(interrupted, "--workers", "1", days=LONG)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        _wait_for(interrupted / "runs" / "experiment.json", process)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == EXIT_INTERRUPTED, err
    kept = sorted(p.name for p in (interrupted / "runs").glob("0*.json"))
    assert 1 <= len(kept) < 4
    assert err.splitlines() == [
        f"chargenet: interrupted; {len(kept)} of 4 runs done, kept in {interrupted / 'runs'}; "
        "--resume runs the rest"
    ]
    assert not any((interrupted / f).exists() for f in COMPARE_FILES)

    # the rest runs elsewhere (where it runs is not part of the experiment)
    resumed = cli.main([*_compare(interrupted, "--scheduler", dask_address, days=LONG), "--resume"])
    uninterrupted = tmp_path / "uninterrupted"
    fresh = cli.main(_compare(uninterrupted, "--scheduler", dask_address, days=LONG))
    assert (resumed, fresh) == (0, 0)
    for name in COMPARE_FILES:
        assert (interrupted / name).read_bytes() == (uninterrupted / name).read_bytes(), name
    # every run done and written: the kept runs are gone, as after an uninterrupted run
    assert sorted(p.name for p in interrupted.iterdir()) == sorted(COMPARE_FILES)


def test_resume_runs_only_the_missing_runs(
    dask_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = renamed(ERLANG_C, FAILING_NAME.format(seed=2), tmp_path)
    out = tmp_path / "out"
    args = ["compare", str(ERLANG_C), str(flaky), "--replications", "2", "--days", "1.5"]
    args += ["--seed", "1", "--out", str(out), "--scheduler", dask_address, "--quiet"]
    assert cli.main(args) == EXIT_FAILURE  # replication 1 of the flaky one fails
    kept = sorted(p.name for p in (out / "runs").glob("0*.json"))
    assert kept == ["00000.json", "00001.json", "00002.json"]  # the failed one is not kept
    # a kept run is read back, not run again: a number changed in it shows in the tables
    record = json.loads((out / "runs" / "00000.json").read_text())
    record["summary"]["totals"]["arrivals"] = 12345
    (out / "runs" / "00000.json").write_text(json.dumps(record))
    capsys.readouterr()

    assert cli.main([*args, "--resume"]) == EXIT_FAILURE  # the failed run failed again
    err = capsys.readouterr().err
    assert "replication 1 of 'fails on seed 2' (seed 2) failed" in err
    assert err.count("failed:") == 1  # the three kept runs did not run
    doc = json.loads((out / "compare.json").read_text())
    arrivals = doc["estimates"][doc["baseline"]]["totals"]["all"]["arrivals"]
    assert arrivals["n"] == 2
    assert arrivals["mean"] > 12345 / 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--replications", "3"], "--replications 3 differs from the interrupted run's 2"),
        (["--days", "2"], "--days 2 differs from the interrupted run's 1.5"),
        (["--seed", "7"], "--seed 7 differs from the interrupted run's 1"),
    ],
)
def test_a_resume_of_another_experiment_is_refused_in_one_line_naming_the_difference(
    failed_compare: tuple[Path, Path],
    dask_address: str,
    capsys: pytest.CaptureFixture[str],
    change: list[str],
    message: str,
) -> None:
    folder, out = failed_compare
    before = sorted(p.name for p in (out / "runs").iterdir())
    args = _flaky_args(folder / "fails_on_seed_2.toml", out, dask_address)
    assert cli.main([*_replace(args, change), "--resume"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"chargenet: --resume: {message}; run without --resume to start over\n"
    )
    assert sorted(p.name for p in (out / "runs").iterdir()) == before


def test_a_resume_with_an_edited_scenario_names_the_key_that_changed(
    failed_compare: tuple[Path, Path],
    dask_address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, out = failed_compare
    text = (folder / "fails_on_seed_2.toml").read_text()
    assert "rate_per_h = 6\n" in text
    edited = tmp_path / "fails_on_seed_2.toml"  # the same name: the same label
    edited.write_text(text.replace("rate_per_h = 6\n", "rate_per_h = 6.5\n"))
    assert cli.main([*_flaky_args(edited, out, dask_address), "--resume"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "chargenet: --resume: scenario 'fails on seed 2''s contents differ from the "
        "interrupted run's at arrivals.rate_per_h (6.5, was 6); "
        "run without --resume to start over\n"
    )


def test_a_resume_with_nothing_to_resume_is_one_line_and_leaves_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never" / "ran"
    assert cli.main([*_compare(out), "--resume"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"chargenet: --resume: {out} holds no interrupted run to resume "
        "(no runs/experiment.json); run without --resume\n"
    )
    assert not (tmp_path / "never").exists()


def test_a_sweep_resumes_only_the_missing_runs_and_refuses_another_grid(
    dask_address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = renamed(ERLANG_C, FAILING_NAME.format(seed=2), tmp_path)
    out = tmp_path / "out"
    args = ["sweep", str(flaky), "--vary", "demand=0.8,1", "--replications", "2"]
    args += ["--days", "1.5", "--seed", "1", "--out", str(out), "--scheduler", dask_address]
    args += ["--quiet"]
    assert cli.main(args) == EXIT_FAILURE  # replication 1 fails at both points
    assert sorted(p.name for p in (out / "runs").glob("0*.json")) == ["00000.json", "00001.json"]
    capsys.readouterr()

    other = _replace(args, ["--vary", "demand=0.8,1.2"])
    assert cli.main([*other, "--resume"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "chargenet: --resume: --vary demand=0.8,1.2 differs from the interrupted run's "
        "demand=0.8,1; run without --resume to start over\n"
    )
    assert cli.main(["compare", str(flaky), str(flaky), *args[4:], "--resume"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "chargenet: --resume: the folder holds an interrupted sweep, not a compare; "
        "run without --resume to start over\n"
    )
    assert cli.main([*args, "--resume"]) == EXIT_FAILURE
    assert capsys.readouterr().err.count("failed:") == 2  # the two failed runs, only
    assert all((out / name).exists() for name in SWEEP_FILES)


def _flaky_args(flaky: Path, out: Path, dask_address: str) -> list[str]:
    return [
        "compare",
        str(ERLANG_C),
        str(flaky),
        "--replications",
        "2",
        "--days",
        "1.5",
        "--seed",
        "1",
        "--out",
        str(out),
        "--scheduler",
        dask_address,
        "--quiet",
    ]


@pytest.fixture(scope="module")
def failed_compare(
    tmp_path_factory: pytest.TempPathFactory, dask_address: str
) -> tuple[Path, Path]:
    """A compare with a failed run: its runs folder stays, as after an interrupt. The tests
    that use it are refused before they could change it."""
    folder = tmp_path_factory.mktemp("failed")
    flaky = renamed(ERLANG_C, FAILING_NAME.format(seed=2), folder)
    out = folder / "out"
    assert cli.main(_flaky_args(flaky, out, dask_address)) == EXIT_FAILURE
    assert (out / "runs" / "experiment.json").exists()
    return folder, out


def _replace(args: list[str], change: list[str]) -> list[str]:
    flag, value = change
    i = args.index(flag)
    return [*args[: i + 1], value, *args[i + 2 :]]
