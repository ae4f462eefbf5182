"""`chargenet run --csms-cert FILE --csms-key FILE`: the built-in central system over wss://
with the user's certificate (security profile 2), and with `--csms-client-ca FILE` and the
charge points' `--client-cert` (a folder of each one's certificate, subject CN = its id) over
mutual TLS (profile 3), for 1.6 and 2.0.1 charge points alike, on 127.0.0.1; and the user's
mistakes with those files, each one line and exit 2 before any work.

The certificates are made by the tests (tests/central_system/certificates.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.commands import run as run_command
from simulator.ocpp.engine import OcppRunOptions, run_ocpp
from simulator.reports.summary import sessions_csv, to_json
from tests.central_system.certificates import Authority, Issued, issue, make_authority
from tests.ocpp.helpers import write_small_scenario

DAYS = "0.1"


def mixed(folder: Path) -> Path:
    """The small scenario with failures, its south network on 2.0.1 (north on 1.6)."""
    path = write_small_scenario(folder, failures=True)
    text = path.read_text(encoding="utf-8")
    south = '[[networks]]\nid = "south"\n'
    path.write_text(text.replace(south, south + 'ocpp = "2.0.1"\n'), encoding="utf-8")
    return path


def server_certificate(folder: Path, authority: Authority) -> Issued:
    return issue(authority, folder, "127.0.0.1", server=True, file_name="csms")


def run(scenario: Path, out: Path, *flags: str) -> int:
    return cli.main(["run", str(scenario), "--out", str(out), "--quiet", "--days", DAYS, *flags])


def run_in_process(scenario: Path, *flags: str) -> tuple[str, str]:
    """What `chargenet run` does with these flags (its parser, its checks, its settings of
    the built-in central system and of the charge points' transport), without the HTML
    report (matplotlib: most of a small run's time): (summary.json, sessions.csv)."""
    parser, _ = cli.build_parser()
    args = parser.parse_args(["run", str(scenario), "--days", DAYS, *flags])
    run_command._check_ocpp_flags(args)
    loaded = sc.load(scenario)
    world = sc.world(loaded, days=args.days)
    run_command._check_client_certificate(args, [p.id for p in world.ports])
    options = OcppRunOptions(
        csms_db=args.csms_db,
        transport=run_command._transport_config(args),
        versions=sc.ocpp_versions(loaded, args.ocpp),
        csms_tls=run_command._csms_tls(args),
    )
    records = run_ocpp(world, options)
    return to_json(runner.summarize_world(world, records)), sessions_csv(records)


def test_the_built_in_central_system_serves_both_versions_over_wss_with_the_users_certificate(
    tmp_path: Path,
) -> None:
    scenario = mixed(tmp_path)
    cert = server_certificate(tmp_path, make_authority(tmp_path, "operator-ca"))
    db = tmp_path / "csms.sqlite"
    tls = ["--csms-cert", str(cert.cert_file), "--csms-key", str(cert.key_file)]
    # no --csms-ca: the charge points take the certificate itself as their trust anchor
    summary, sessions = run_in_process(scenario, *tls, "--csms-db", str(db))
    same_as_fast(scenario, summary, sessions)
    world = sc.world(sc.load(scenario), days=float(DAYS))
    with contextlib.closing(sqlite3.connect(db)) as con:
        points = {row[0] for row in con.execute("SELECT id FROM charge_points")}
        v16 = con.execute("SELECT count(*) FROM transactions").fetchone()[0]
        v201 = con.execute("SELECT count(*) FROM transactions_201").fetchone()[0]
    assert points == {p.id for p in world.ports}
    assert v16 > 0
    assert v201 > 0


def same_as_fast(scenario: Path, summary: str, sessions: str) -> None:
    world = sc.world(sc.load(scenario), days=float(DAYS))
    fast = runner.run_fast(world)
    assert summary == to_json(runner.summarize_world(world, fast))
    assert sessions == sessions_csv(fast)


def client_certificates(folder: Path, authority: Authority, scenario: Path) -> Path:
    """A folder of `<id>.crt` and `<id>.key`, one pair per charge point, CN = its id."""
    clients = folder / "clients"
    clients.mkdir()
    for port in sc.world(sc.load(scenario)).ports:
        issue(authority, clients, port.id, file_name=port.id)
    return clients


def test_profile_3_every_charge_point_presents_its_own_certificate_to_the_built_in_one(
    tmp_path: Path,
) -> None:
    scenario = mixed(tmp_path)
    ca = make_authority(tmp_path, "operator-ca")
    cert = server_certificate(tmp_path, ca)
    clients = client_certificates(tmp_path, ca, scenario)
    summary, sessions = run_in_process(
        scenario,
        *("--csms-cert", str(cert.cert_file), "--csms-key", str(cert.key_file)),
        *("--csms-client-ca", str(ca.cert_file), "--csms-ca", str(ca.cert_file)),
        *("--client-cert", str(clients)),
    )
    same_as_fast(scenario, summary, sessions)


def test_profile_3_a_fleet_certificate_is_refused_where_each_charge_point_needs_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = mixed(tmp_path)
    ca = make_authority(tmp_path, "operator-ca")
    cert = server_certificate(tmp_path, ca)
    fleet = issue(ca, tmp_path, "fleet", file_name="fleet")
    code = run(
        scenario,
        tmp_path / "out",
        *("--csms-cert", str(cert.cert_file), "--csms-key", str(cert.key_file)),
        *("--csms-client-ca", str(ca.cert_file), "--offline-limit", "2"),
        *("--client-cert", str(fleet.cert_file), "--client-key", str(fleet.key_file)),
    )
    assert code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "HTTP 403" in err


def test_charge_points_that_trust_another_ca_refuse_the_built_in_central_systems_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = mixed(tmp_path)
    cert = server_certificate(tmp_path, make_authority(tmp_path, "operator-ca"))
    other = make_authority(tmp_path, "another-ca")
    code = run(
        scenario,
        tmp_path / "out",
        *("--csms-cert", str(cert.cert_file), "--csms-key", str(cert.key_file)),
        *("--csms-ca", str(other.cert_file), "--offline-limit", "2"),
    )
    assert code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "TLS with the central system at wss://127.0.0.1:" in err
    assert "CERTIFICATE_VERIFY_FAILED" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--csms-cert", "{missing}", "--csms-key", "{key}"],
            "--csms-cert {missing}: No such file",
        ),
        (
            ["--csms-cert", "{cert}", "--csms-key", "{folder}"],
            "--csms-key {folder}: Is a directory",
        ),
        (["--csms-cert", "{key}", "--csms-key", "{cert}"], "--csms-cert {key} / --csms-key {cert}"),
        (["--csms-cert", "{cert}"], "--csms-cert needs --csms-key"),
        (["--csms-key", "{key}"], "--csms-key needs --csms-cert"),
        (
            ["--csms-cert", "{cert}", "--csms-key", "{key}", "--csms", "wss://127.0.0.1:9/"],
            "--csms-cert is the built-in central system's: drop it with --csms",
        ),
        (["--csms-client-ca", "{ca}"], "--csms-client-ca needs --csms-cert and --csms-key"),
        (
            ["--csms-cert", "{cert}", "--csms-key", "{key}", "--csms-client-ca", "{missing}"],
            "--csms-client-ca {missing}: No such file",
        ),
        (["--client-cert", "{missing}"], "--client-cert {missing}: No such file"),
        (["--client-key", "{key}"], "--client-key needs --client-cert"),
        (["--client-cert", "{folder}"], "--client-cert {folder}/n-01.crt: No such file"),
        (
            ["--client-cert", "{folder}", "--client-key", "{key}"],
            "--client-key goes with a --client-cert file",
        ),
        (
            ["--csms-cert", "{cert}", "--csms-key", "{key}", "--engine", "fast"],
            "--csms-cert needs --engine ocpp",
        ),
    ],
)
def test_a_certificate_or_key_that_cannot_serve_is_one_line_and_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    cert = server_certificate(tmp_path, make_authority(tmp_path, "operator-ca"))
    names = {
        "missing": str(tmp_path / "missing.crt"),
        "cert": str(cert.cert_file),
        "key": str(cert.key_file),
        "folder": str(tmp_path),
        "ca": str(tmp_path / "operator-ca.crt"),
    }
    argv = [flag.format(**names) for flag in flags]
    out = tmp_path / "out"
    assert run(scenario, out, *argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message.format(**names) in err
    assert not out.exists()  # nothing was written
