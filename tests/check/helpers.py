"""What the check's tests share: the id tags, the built-in central system as a real process,
and `chargenet check` as a real process (everything on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from simulator.check.context import Target

#: Tag → the status a backend must answer for it (mutants and the built-in alike).
TAGS = {
    "CHK-OK": "Accepted",
    "CHK-BLOCKED": "Blocked",
    "CHK-EXPIRED": "Expired",
    "CHK-INVALID": "Invalid",
    "CHK-FLEET-1": "Accepted",
    "CHK-FLEET-2": "Accepted",
}
#: Tag → its parent id tag (a group: TC_069_CS).
PARENTS = {"CHK-FLEET-1": "CHK-FLEET", "CHK-FLEET-2": "CHK-FLEET"}
SIBLINGS = ("CHK-FLEET-1", "CHK-FLEET-2", "CHK-FLEET")
BY_STATUS = {"Accepted": "CHK-OK", "Blocked": "CHK-BLOCKED", "Expired": "CHK-EXPIRED"} | {
    "Invalid": "CHK-INVALID"
}
PASSWORD = "check-s3cret"
#: A charge point id the central systems answer Pending at its first boot (TC_002_CS).
PENDING_ID = "chk-pending"
#: Waits of the check in tests: room for a loaded machine, small enough for silent mutants.
TIMEOUT_S = 3.0
#: The central system's start-up on a loaded machine (imports, schemas, the store).
START_TIMEOUT_S = 90.0
CLI_TIMEOUT_S = 100.0


def write_tags(folder: Path) -> Path:
    path = folder / "tags.csv"
    rows = ["id_tag,status,expiry_date,parent_id_tag"] + [
        f"{tag},{status},,{PARENTS.get(tag, '')}" for tag, status in TAGS.items()
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_pending_ids(folder: Path) -> Path:
    """The built-in central system's --pending-ids file: PENDING_ID."""
    path = folder / "pending-ids"
    path.write_text(PENDING_ID + "\n", encoding="utf-8")
    return path


def write_password(folder: Path) -> Path:
    path = folder / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


def target(url: str, **options: object) -> Target:
    settings: dict[str, object] = {
        "url": url,
        "password": PASSWORD,
        "timeout_s": TIMEOUT_S,
        "id_tags": BY_STATUS,
        "sibling_tags": SIBLINGS,
    }
    settings.update(options)
    return Target(**settings)  # type: ignore[arg-type]


@dataclass
class Cli:
    code: int
    stdout: str
    stderr: str


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHARGENET_CSMS_PASSWORD"}
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"
    env.update(extra or {})
    return env


async def run_cli(*arguments: str, env: dict[str, str] | None = None) -> Cli:
    """`python -m simulator check ...` as a real process (awaited: the loop keeps serving)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "check",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(env),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Cli(process.returncode, stdout.decode(), stderr.decode())


@dataclass(frozen=True)
class Serving:
    """A built-in central system's serve line: its URLs and the operator API token."""

    ws_url: str
    api_url: str
    token_file: Path


@contextlib.asynccontextmanager
async def builtin_central_system(folder: Path, *arguments: str) -> AsyncIterator[str]:
    """`python -m central_system serve` on 127.0.0.1 with the tags and the password, without
    the operator API; yields its ws_url."""
    async with _serving(folder, "--no-api", *arguments) as line:
        yield str(line["ws_url"])


@contextlib.asynccontextmanager
async def builtin_with_trigger(folder: Path, *arguments: str) -> AsyncIterator[Serving]:
    """As `builtin_central_system`, with its operator API (and so the OCTT trigger API) on a
    free port; the token is written to a file for --trigger-token-file."""
    async with _serving(folder, "--api-port", "0", *arguments) as line:
        token_file = folder / "api-token"
        token_file.write_text(str(line["api_token"]) + "\n", encoding="utf-8")
        yield Serving(str(line["ws_url"]), str(line["api_url"]), token_file)


@contextlib.asynccontextmanager
async def _serving(folder: Path, *arguments: str) -> AsyncIterator[dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "central_system",
        "serve",
        "--port",
        "0",
        "--db",
        str(folder / "csms.sqlite"),
        "--id-tags",
        str(write_tags(folder)),
        "--password-file",
        str(write_password(folder)),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=_env(None),
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        assert line, "the central system did not start"
        yield json.loads(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
