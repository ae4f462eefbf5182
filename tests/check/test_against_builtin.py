"""The whole catalogue through `chargenet check` (a real process) against the built-in
central system (a real process), both on 127.0.0.1, driven through its OCTT trigger API:
every check passes, and the JUnit and JSON reports agree. (The TLS checks need wss://:
test_tls.py runs the catalogue over mutual TLS.)"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from simulator.check.catalogue import catalogue
from tests.check.helpers import (
    PENDING_ID,
    builtin_with_trigger,
    run_cli,
    write_password,
    write_pending_ids,
)

NEEDS_TLS = {"TC_086_CS", "TC_087_CS"}


async def test_every_check_the_built_in_central_system_can_be_given_passes(
    tmp_path: Path,
) -> None:
    pending = ("--pending-ids", str(write_pending_ids(tmp_path)), "--boot-retry-interval-s", "1")
    async with builtin_with_trigger(tmp_path, *pending) as central:
        cli = await run_cli(
            central.ws_url,
            "--pending-id",
            PENDING_ID,
            "--trigger",
            central.api_url,
            "--trigger-token-file",
            str(central.token_file),
            "--password-file",
            str(write_password(tmp_path)),
            "--timeout",
            "10",
            "--json",
            str(tmp_path / "verdicts.json"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--html",
            str(tmp_path / "report.html"),
        )
    assert cli.code == 0, cli.stdout + cli.stderr
    assert cli.stderr == ""
    report = json.loads((tmp_path / "verdicts.json").read_text())
    assert [c["id"] for c in report["checks"]] == [c.id for c in catalogue()]
    for entry in report["checks"]:
        if entry["id"] in NEEDS_TLS:
            assert entry["verdict"] == "not applicable"
            assert "wss://" in entry["reason"]
        else:
            assert entry["verdict"] == "pass", (entry["id"], entry["expected"], entry["reason"])
            assert entry["frames"], entry["id"]
    assert report["exit_code"] == 0
    passed = report["counts"]["pass"]
    assert f"{passed} pass, 0 fail" in cli.stdout

    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "0"
    assert int(suite.get("tests", "0")) == len(report["checks"])
    skipped = report["counts"]["not run"] + report["counts"]["not applicable"]
    assert int(suite.get("skipped", "0")) == skipped
    assert (tmp_path / "report.html").read_text().count('<section class="check"') == len(
        report["checks"]
    )
