"""`chargenet run` and `chargenet validate` through the real command line."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import cli
from simulator.reports.catalogue import DRIVER_METRICS, PORT_METRICS
from simulator.reports.summary import SESSION_FIELDS
from tests.test_interrupts import MARK, chart_workers

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"
EXIT_USAGE = 2

SUMMARY_KEYS = {"scenario", "seed", "days", "warmup_days", "totals", "networks", "sites", "brands"}
PORT_GROUP_METRICS = {e.key for e in PORT_METRICS}
SESSION_METRICS = {e.key for e in DRIVER_METRICS}
"""From the metric catalogue (tests/reports/test_catalogue.py checks it against the types)."""
SESSION_COLUMNS = list(SESSION_FIELDS)
"""sessions.csv's columns: every SessionRecord field (checked at import of the writer)."""


def chargenet(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(args)
    except SystemExit as e:  # argparse's errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def quickstart_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`python -m simulator run quickstart.toml` in a fresh process, on the default engine (every
    port over OCPP 1.6J to the built-in central system): the one two-day OCPP run the tests
    below read (tests/conftest.py keeps them in one test process)."""
    out = tmp_path_factory.mktemp("quickstart") / "nested" / "out"
    store = out.parent.parent / "csms.sqlite"  # run creates out's missing folders, not the store's
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            str(QUICKSTART),
            "--out",
            str(out),
            "--quiet",
            "--csms-db",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=590,  # inside its users' pytest-timeout (tests/conftest.py)
        check=False,
    )
    return out, done


@pytest.fixture(scope="module")
def quickstart_run(quickstart_process: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    out, done = quickstart_process
    assert done.returncode == 0, done.stderr
    return out


def test_the_console_script_runs_the_quickstart_in_a_fresh_process(
    quickstart_process: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = quickstart_process
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert summary(out)["totals"]["served"] > 0


def test_run_goes_over_ocpp_by_default_and_writes_an_html_report(quickstart_run: Path) -> None:
    with sqlite3.connect(quickstart_run.parent.parent / "csms.sqlite") as db:
        (transactions,) = db.execute("SELECT COUNT(*) FROM transactions").fetchone()
    plugged_in = summary(quickstart_run)["totals"]["served"]
    assert transactions >= plugged_in > 0
    assert (
        (quickstart_run / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    )


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_run_writes_summary_json_with_the_documented_keys(quickstart_run: Path) -> None:
    s = summary(quickstart_run)
    assert set(s) >= SUMMARY_KEYS
    assert s["scenario"] == "quickstart"
    assert s["seed"] == 1
    assert s["days"] == 2
    assert set(s["networks"]) == {"tesla", "ea"}
    assert set(s["sites"]) == {"tesla-downtown", "ea-highway"}
    assert set(s["brands"]) == {"Tesla", "Volkswagen"}
    for group in (s["totals"], *s["networks"].values(), *s["sites"].values()):
        assert set(group) >= SESSION_METRICS | PORT_GROUP_METRICS
        assert len(group["hourly_occupancy"]) == 24
    for group in (s["totals"], *s["networks"].values()):
        assert set(group["partner"]) >= SESSION_METRICS
        assert set(group["non_partner"]) >= SESSION_METRICS
    for brand in s["brands"].values():
        assert set(brand) >= SESSION_METRICS
    assert s["sites"]["ea-highway"]["network"] == "ea"
    assert s["totals"]["ports"] == 12


def test_the_summary_adds_up_across_networks_and_outcomes(quickstart_run: Path) -> None:
    s = summary(quickstart_run)
    t = s["totals"]
    assert t["arrivals"] == t["served"] + t["turned_away"] + t["gave_up"] + t["on_site_at_end"]
    assert t["arrivals"] == sum(b["arrivals"] for b in s["brands"].values())
    assert t["served"] == sum(n["served"] for n in s["networks"].values())
    assert t["ports"] == sum(n["ports"] for n in s["networks"].values())
    assert 0 < t["occupancy_utilization"] < 1


def test_run_writes_one_sessions_csv_row_per_arrival_with_the_documented_columns(
    quickstart_run: Path,
) -> None:
    with (quickstart_run / "sessions.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == SESSION_COLUMNS
    assert len(rows) == summary(quickstart_run)["totals"]["arrivals"]
    assert {r["outcome"] for r in rows} <= {"served", "turned_away", "gave_up", "on_site"}
    assert {r["brand"] for r in rows} == {"Tesla", "Volkswagen"}


def test_run_prints_the_summary_table_and_where_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = chargenet(
        ["run", str(QUICKSTART), "--engine", "fast", "--days", "0.5", "--out", str(tmp_path)],
        capsys,
    )
    assert code == 0
    assert err == ""
    assert "quickstart" in out
    assert "by brand" in out
    assert "Tesla" in out
    assert "summary.json" in out
    assert "sessions.csv" in out


def test_quiet_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = chargenet(
        [
            "run",
            str(QUICKSTART),
            "--engine",
            "fast",
            "--days",
            "0.5",
            "--out",
            str(tmp_path),
            "--quiet",
        ],
        capsys,
    )
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "summary.json").exists()


def test_days_sets_the_simulated_span(tmp_path: Path) -> None:
    assert (
        cli.main(
            [
                "run",
                str(QUICKSTART),
                "--engine",
                "fast",
                "--days",
                "0.25",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    s = summary(tmp_path)
    assert s["days"] == 0.25
    with (tmp_path / "sessions.csv").open(encoding="utf-8") as f:
        assert max(float(r["arrival_s"]) for r in csv.DictReader(f)) < 0.25 * 86_400


@pytest.mark.timeout(360)  # four runs with their HTML reports: 120 s at load 15 (2026-12-01)
def test_seed_changes_the_draws_and_the_same_seed_repeats_them(tmp_path: Path) -> None:
    def once(seed: str, folder: str) -> bytes:
        out = tmp_path / folder
        args = [
            "run",
            str(QUICKSTART),
            "--engine",
            "fast",
            "--days",
            "0.5",
            "--seed",
            seed,
            "--out",
            str(out),
        ]
        assert cli.main([*args, "--quiet"]) == 0
        assert summary(out)["seed"] == int(seed)
        return (out / "sessions.csv").read_bytes()

    seven = once("7", "a")  # three runs, not four: each writes an HTML report (3 s of CPU)
    assert seven == once("7", "b")
    assert seven != once("8", "c")


def test_validate_accepts_a_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = chargenet(["validate", str(QUICKSTART)], capsys)
    assert code == 0
    assert err == ""
    assert out.startswith(f"{QUICKSTART}: valid scenario 'quickstart'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", str(QUICKSTART), "--days", "0"], "argument --days: must be positive: '0'"),
        (["run", str(QUICKSTART), "--days", "two"], "argument --days: not a number: 'two'"),
        (["run", str(QUICKSTART), "--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["run", str(QUICKSTART), "--dayz", "1"], "unrecognized arguments: --dayz 1"),
        (["run"], "the following arguments are required: scenario"),
        (["simulate", str(QUICKSTART)], "argument command: invalid choice: 'simulate'"),
    ],
    ids=[
        "zero-days",
        "days-not-a-number",
        "seed-not-an-int",
        "unknown-flag",
        "no-scenario",
        "unknown-command",
    ],
)
def test_a_bad_flag_ends_in_one_line_with_exit_code_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = chargenet(args, capsys)
    assert code == EXIT_USAGE
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"chargenet: {message}")


def test_an_out_path_that_is_a_file_ends_in_one_line_and_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("mine", encoding="utf-8")
    code, out, err = chargenet(["run", str(QUICKSTART), "--out", str(not_a_folder)], capsys)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"chargenet: --out {not_a_folder}: exists and is not a folder\n"
    assert not_a_folder.read_text(encoding="utf-8") == "mine"


# --- output that is not a terminal is never wrapped ---------------------------------------


def long_folder(tmp_path: Path) -> Path:
    """A folder whose path is far wider than any terminal (where a fresh clone may live)."""
    folder = tmp_path.joinpath(*[f"a-rather-long-folder-name-{i:02d}" for i in range(8)])
    folder.mkdir(parents=True)
    assert len(str(folder)) > 240
    return folder


def test_validate_prints_one_unwrapped_line_however_long_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = long_folder(tmp_path) / "quickstart.toml"
    copy.write_bytes(QUICKSTART.read_bytes())
    assert chargenet(["validate", str(copy)], capsys) == (
        0,
        f"{copy}: valid scenario 'quickstart'\n",
        "",
    )
    # a real pipe to a fresh process, whose terminal would be 80 columns wide
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{copy}: valid scenario 'quickstart'\n",
        "",
    )


def test_a_path_that_looks_like_markup_is_printed_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "[bold]runs" / "[red]"
    folder.mkdir(parents=True)
    copy = folder / "quickstart.toml"
    copy.write_bytes(QUICKSTART.read_bytes())
    assert chargenet(["validate", str(copy)], capsys)[1] == f"{copy}: valid scenario 'quickstart'\n"


def test_run_says_where_it_wrote_in_one_line_however_long_the_out_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = long_folder(tmp_path) / "out"
    args = ["run", str(QUICKSTART), "--engine", "fast", "--days", "0.25", "--out", str(out)]
    code, printed, err = chargenet(args, capsys)
    assert (code, err) == (0, "")
    assert printed.endswith(
        f"wrote {out / 'summary.json'}, {out / 'sessions.csv'}, {out / 'method.json'} and "
        f"{out / 'report.html'}\n"
    )


# --- --days and --warmup-days ---------------------------------------------------------------


def test_warmup_days_replaces_the_files_warm_up(tmp_path: Path) -> None:
    args = ["run", str(QUICKSTART), "--engine", "fast", "--days", "1.5", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path / "a"), "--warmup-days", "0.5"]) == 0
    s = summary(tmp_path / "a")
    assert (s["days"], s["warmup_days"]) == (1.0, 0.5)
    with (tmp_path / "a" / "sessions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert s["totals"]["arrivals"] == sum(1 for r in rows if float(r["arrival_s"]) >= 43_200)
    assert cli.main([*args, "--out", str(tmp_path / "b")]) == 0
    assert summary(tmp_path / "b")["warmup_days"] == 0


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["run", str(QUICKSTART), "--warmup-days", "2"],
            f"{QUICKSTART}: days = 2 leaves nothing to measure after the warm-up (--warmup-days 2)",
        ),
        (
            ["run", str(QUICKSTART), "--engine", "fast", "--days", "0.5", "--warmup-days", "1"],
            f"{QUICKSTART}: --days 0.5 leaves nothing to measure after the warm-up "
            "(--warmup-days 1)",
        ),
        (
            ["compare", str(QUICKSTART), str(QUICKSTART), "--days", "1", "--warmup-days", "1"],
            f"{QUICKSTART}: --days 1 leaves nothing to measure after the warm-up (--warmup-days 1)",
        ),
        (
            ["sweep", str(QUICKSTART), "--vary", "warmup_days=0,1", "--days", "1"],
            f"{QUICKSTART} at warmup_days=1: --days 1 leaves nothing to measure after the "
            "warm-up (warmup_days = 1)",
        ),
        (
            [
                "report",
                "--csms-db",
                "x.sqlite",
                "--scenario",
                str(QUICKSTART),
                "--days",
                "1",
                "--warmup-days",
                "3",
            ],
            f"{QUICKSTART}: --days 1 leaves nothing to measure after the warm-up (--warmup-days 3)",
        ),
    ],
    ids=["run-file-days", "run-fast", "compare", "sweep-point", "report"],
)
def test_a_horizon_at_or_below_the_warm_up_is_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], message: str
) -> None:
    out = tmp_path / "out"
    code, printed, err = chargenet([*command, "--out", str(out)], capsys)
    assert (code, printed) == (EXIT_USAGE, "")
    assert err == f"chargenet: {message}; give more --days or a shorter --warmup-days\n"
    assert not out.exists()


def test_validate_refuses_a_file_whose_days_are_all_warm_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = QUICKSTART.read_text(encoding="utf-8").replace("days = 2", "days = 1\nwarmup_days = 1")
    path = tmp_path / "all-warm-up.toml"
    path.write_text(text, encoding="utf-8")
    assert chargenet(["validate", str(path)], capsys) == (
        EXIT_USAGE,
        "",
        f"chargenet: {path}: days = 1 leaves nothing to measure after the warm-up "
        "(warmup_days = 1); give more --days or a shorter --warmup-days\n",
    )


@pytest.mark.parametrize(
    ("value", "why"), [("-1", "must be zero or more"), ("inf", "must be zero or more"),
                       ("one", "not a number")]
)  # fmt: skip
def test_a_warm_up_that_is_not_a_number_of_days_ends_in_one_line(
    capsys: pytest.CaptureFixture[str], value: str, why: str
) -> None:
    code, out, err = chargenet(["run", str(QUICKSTART), "--warmup-days", value], capsys)
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"chargenet: argument --warmup-days: {why}: '{value}'")
    assert err.count("\n") == 1


def test_version_prints_the_packages_version(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    from simulator.version import __version__

    code, out, err = chargenet(["--version"], capsys)
    assert (code, out, err) == (0, f"chargenet {__version__}\n", "")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == (
        "simulator.version.__version__"
    )


def test_bare_chargenet_prints_the_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = chargenet([], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("usage: chargenet ")
    assert "simulate a scenario and report utilization" in out


def test_the_usage_line_names_every_command_and_csms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = chargenet(["--help"], capsys)
    assert code == 0
    usage = out.split("\n\n")[0]
    for command in ("check", "compare", "csms", "load", "report", "run", "sweep", "validate"):
        assert command in usage
    assert "csms serve, csms call" in " ".join(out.split())  # argparse wraps the help


def test_a_table_wider_than_the_terminal_is_not_cut_when_piped(tmp_path: Path) -> None:
    long_id = "a-network-id-long-enough-that-its-table-is-wider-than-any-terminal-" * 2
    text = QUICKSTART.read_text(encoding="utf-8")
    assert text.count('id = "tesla"') == 1
    scenario = tmp_path / "wide.toml"
    scenario.write_text(text.replace('id = "tesla"', f'id = "{long_id}"'), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(scenario), "--engine", "fast",
         "--days", "0.5", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=110, check=False,
        env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # the networks table's row, then the vocabulary table's
    network_row, vocabulary_row = [line for line in done.stdout.splitlines() if long_id in line]
    assert network_row.split()[:2] == [long_id, "8"]  # the whole id, then the port count
    assert vocabulary_row.split()[0] == long_id
    assert "…" not in done.stdout


def test_a_table_wider_than_the_terminal_keeps_every_column_and_whole_names() -> None:
    """On a terminal narrower than a table, rich drops its last columns and shortens names
    ("Volksw…"); the CLI's console prints the table at its own width instead."""
    import io

    from simulator import runner
    from simulator import scenario as sc
    from simulator.reports import render

    summary = runner.run(sc.load(QUICKSTART), days=0.5).summary
    screen = io.StringIO()
    console = cli.table_console(file=screen, width=60, force_terminal=True, color_system=None)
    render.print_summary(summary, console)
    console.print("after the tables, the terminal's own width again " * 3)
    text = screen.getvalue()
    for header in ("revenue $", "perks $", "Volkswagen", "sess/port/d"):
        assert header in text
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) > 60  # the tables, at their own width
    assert all(len(line) <= 60 for line in text.splitlines()[-3:])  # plain text still wraps


PLOTTING = ("matplotlib", "pandas", "dask", "distributed", "pyarrow")


def test_building_the_parser_and_the_help_import_no_plotting() -> None:
    probe = (
        "import contextlib, io, sys\n"
        "from simulator import cli\n"
        "cli.build_parser()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        cli.main(['run', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import json\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=110, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "simulator" in loaded
    assert [m for m in PLOTTING if m in loaded] == []


def test_a_run_leaves_no_chart_worker_behind(tmp_path: Path) -> None:
    marker = f"leftover-{os.getpid()}-{tmp_path.name}"
    env = {**os.environ, MARK: marker}
    args = ["-m", "simulator", "run", str(QUICKSTART), "--engine", "fast", "--days", "1"]
    done = subprocess.run(
        [sys.executable, *args, "--quiet", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "out" / "report.html").is_file()
    assert chart_workers(marker) == []


def test_a_run_draws_its_charts_in_the_worker_and_never_imports_matplotlib(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    probe = (
        "import sys\n"
        "from simulator import cli\n"
        f"code = cli.main(['run', {str(QUICKSTART)!r}, '--engine', 'fast', '--days', '1',"
        f" '--quiet', '--out', {str(out)!r}])\n"
        "print(code, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=110, check=True
    )
    assert done.stdout.split() == ["0", "False"]
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")
