"""The whole 2.0.1 catalogue through `chargenet check --ocpp 2.0.1` (a real process) against
the built-in central system (a real process) serving ocpp2.0.1, both on 127.0.0.1, driven
through its OCTT trigger API (/api/octt/2.0.1/...): every case passes but the TLS cases (not
applicable on ws://: test_tls201.py runs them over wss://), and the reports name the version."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Final

from ocppj.versions import OCPP201
from simulator.check.catalogue import catalogue
from tests.check.helpers import (
    PENDING_ID,
    builtin_with_trigger,
    run_cli,
    write_password,
    write_pending_ids,
)

#: A station id the built-in answers Rejected (its --rejected-ids).
REJECTED_ID: Final = "chk-rejected"
#: Not applicable on ws://, for this reason.
NEEDS_TLS: Final = {"TC_A_04_CSMS", "TC_A_06_CSMS", "TC_A_07_CSMS", "TC_A_08_CSMS"}


def write_rejected_ids(folder: Path) -> Path:
    path = folder / "rejected-ids"
    path.write_text(REJECTED_ID + "\n", encoding="utf-8")
    return path


async def test_every_2_0_1_case_passes_against_the_built_in_central_system(
    tmp_path: Path,
) -> None:
    boots = (
        "--pending-ids",
        str(write_pending_ids(tmp_path)),
        "--rejected-ids",
        str(write_rejected_ids(tmp_path)),
        "--boot-retry-interval-s",
        "1",
    )
    async with builtin_with_trigger(tmp_path, *boots) as central:
        cli = await run_cli(
            central.ws_url,
            "--ocpp",
            "2.0.1",
            "--pending-id",
            PENDING_ID,
            "--rejected-id",
            REJECTED_ID,
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
    assert report["ocpp_version"] == "2.0.1"
    assert [c["id"] for c in report["checks"]] == [c.id for c in catalogue(OCPP201)]
    for entry in report["checks"]:
        if entry["id"] in NEEDS_TLS:
            assert entry["verdict"] == "not applicable", entry
            assert "wss://" in entry["reason"]
        else:
            assert entry["verdict"] == "pass", (entry["id"], entry["expected"], entry["reason"])
            assert any(
                '"ocpp2.0.1"' in f["text"] or "ocpp2.0.1" in f["text"] for f in entry["frames"]
            )
    passed = report["counts"]["pass"]
    assert passed == len(report["checks"]) - len(NEEDS_TLS)
    assert f"{passed} pass, 0 fail" in cli.stdout
    assert "OCPP 2.0.1" in cli.stdout

    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert suite.find("properties/property[@name='ocpp_version']").get("value") == "2.0.1"  # type: ignore[union-attr]
    assert "OCPP 2.0.1" in (tmp_path / "report.html").read_text()
