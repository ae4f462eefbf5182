"""The catalogue against a third-party backend, `ocpp-csms` from PyPI (its own command, a real
process on 127.0.0.1; the checks in this process, in four groups at once under four charge
point ids): every verdict is the one docs/checking.md records and judges."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from simulator.check.catalogue import catalogue
from simulator.check.runner import preflight, run_checks
from tests.check.helpers import START_TIMEOUT_S, target

DOC = Path(__file__).resolve().parents[2] / "docs" / "checking.md"
SECTION = "## Against a third-party backend: ocpp-csms"


def recorded_verdicts() -> dict[str, str]:
    """check id → verdict, from the table of the section (the checks not listed pass)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([a-z ]+) \|", section, flags=re.MULTILINE)
    return dict(rows)


@contextlib.contextmanager
def ocpp_csms() -> Iterator[str]:
    """`python -m ocpp_csms --host 127.0.0.1 --port 0` as a real process; yields its URL."""
    pytest.importorskip("ocpp_csms")
    process = subprocess.Popen(
        [sys.executable, "-m", "ocpp_csms", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = _first_line(process.stdout, START_TIMEOUT_S)
        port = re.fullmatch(rb"listening on port (\d+)\s*", line)
        assert port, line
        # its events go to stdout: drain them, or a full pipe would stall it
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield f"ws://127.0.0.1:{int(port.group(1))}"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _first_line(stream: IO[bytes], timeout_s: float) -> bytes:
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    assert lines, f"ocpp-csms printed nothing within {timeout_s:g} s"
    return lines[0]


#: Groups of checks run at once, each as its own charge point id (their waits overlap).
GROUPS = 4


async def test_the_verdicts_on_ocpp_csms_are_the_ones_the_docs_record() -> None:
    recorded = recorded_verdicts()
    assert recorded, "no verdict table in docs/checking.md"
    checks = catalogue()
    groups = [checks[i::GROUPS] for i in range(GROUPS)]
    with ocpp_csms() as ws_url:
        targets = [
            target(ws_url, charge_point_id=f"third-party-{i}", password=None, timeout_s=5.0)
            for i in range(GROUPS)
        ]
        await preflight(targets[0])
        results = await asyncio.gather(
            *(run_checks(t, group) for t, group in zip(targets, groups, strict=True))
        )
    observed = {o.check_id: o.verdict.value for outcomes in results for o in outcomes}
    expected = {
        c.id: recorded.get(c.id, "not run" if c.backend_initiated else "pass") for c in checks
    }
    differing = {
        i: (expected[i], observed.get(i)) for i in expected if expected[i] != observed.get(i)
    }
    assert not differing, differing
