"""The catalogue against a third-party backend, `ocpp-csms` from PyPI (its own command, a real
process on 127.0.0.1): every verdict is the one docs/checking.md records and judges."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator.check.catalogue import catalogue
from tests.check.helpers import START_TIMEOUT_S, run_cli, write_tags

DOC = Path(__file__).resolve().parents[2] / "docs" / "checking.md"
SECTION = "## Against a third-party backend: ocpp-csms"


def recorded_verdicts() -> dict[str, str]:
    """check id → verdict, from the table of the section (the checks not listed pass)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([a-z ]+) \|", section, flags=re.MULTILINE)
    return dict(rows)


@contextlib.asynccontextmanager
async def ocpp_csms() -> AsyncIterator[str]:
    pytest.importorskip("ocpp_csms")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpp_csms",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        port = re.fullmatch(rb"listening on port (\d+)\s*", line)
        assert port, line
        # its events go to stdout: drain them, or a full pipe would stall it
        draining = asyncio.ensure_future(process.stdout.read())
        yield f"ws://127.0.0.1:{int(port.group(1))}"
        draining.cancel()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_the_verdicts_on_ocpp_csms_are_the_ones_the_docs_record(tmp_path: Path) -> None:
    recorded = recorded_verdicts()
    assert recorded, "no verdict table in docs/checking.md"
    async with ocpp_csms() as ws_url:
        cli = await run_cli(
            ws_url,
            "--id-tags",
            str(write_tags(tmp_path)),
            "--timeout",
            "3",
            "--json",
            str(tmp_path / "verdicts.json"),
        )
    assert cli.code == 1, cli.stdout + cli.stderr  # it has fails, judged in the docs
    report = json.loads((tmp_path / "verdicts.json").read_text())
    observed = {entry["id"]: entry["verdict"] for entry in report["checks"]}
    expected = {
        c.id: recorded.get(c.id, "not run" if c.backend_initiated else "pass") for c in catalogue()
    }
    differing = {
        i: (expected[i], observed.get(i)) for i in expected if expected[i] != observed.get(i)
    }
    assert not differing, differing
