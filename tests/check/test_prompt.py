"""The interactive prompt: `chargenet check` on a terminal (a real pseudo-terminal) without
--trigger tells the user what to make the backend send and waits for it, with a deadline;
the test is the user, acting on the backend from outside (the built-in central system's
operator API), or not acting at all."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import aiohttp

from tests.check.helpers import (
    CLI_TIMEOUT_S,
    PASSWORD,
    TAGS,
    _env,
    builtin_with_trigger,
    run_cli,
    write_password,
    write_tags,
)
from tests.check.mutant_csms import Fault, mutant_in_thread

#: How long the test waits for a prompt to appear (the check's process starts on a loaded
#: machine: imports, then the preflight connection).
PROMPT_WAIT_S: Final = 60.0
#: The prompt's deadline where the test means to let it pass.
SHORT_PROMPT_S: Final = "1"
_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SEND: Final = re.compile(r">>> make the backend send (\w+) to charge point (\S+) within")
_TAG: Final = re.compile(
    r">>> make the backend know id tag (\S+) with status (\w+)(?:, parent id tag (\S+))?,"
)


class Terminal:
    """`python -m simulator check ...` on a pseudo-terminal: what it shows, what we type."""

    def __init__(self, master: int, process: asyncio.subprocess.Process) -> None:
        self.master = master
        self.process = process
        self.text = ""
        self._raw = ""
        self._read_up_to = 0
        self._changed = asyncio.Event()
        self._ended = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed its side
            data = b""
        if not data:
            self._ended = True
            asyncio.get_running_loop().remove_reader(self.master)
        # Escape sequences (rich's colours) may be split across reads: strip the whole text.
        self._raw += self._decoder.decode(data, final=not data)
        self.text = _ANSI.sub("", self._raw).replace("\r", "")
        self._changed.set()

    async def next_match(self, *patterns: re.Pattern[str]) -> re.Match[str] | None:
        """The next match of any pattern (in the output not consumed yet, up to the end of
        its line); None once the output ended without one."""
        async with asyncio.timeout(PROMPT_WAIT_S):
            while True:
                found = [
                    m
                    for p in patterns
                    if (m := p.search(self.text, self._read_up_to)) is not None
                    and "\n" in self.text[m.end() :]
                ]
                if found:
                    first = min(found, key=lambda m: m.start())
                    self._read_up_to = self.text.index("\n", first.end()) + 1
                    return first
                if self._ended:
                    return None
                self._changed.clear()
                await self._changed.wait()

    def next_line(self) -> str:
        end = self.text.index("\n", self._read_up_to)
        line = self.text[self._read_up_to : end]
        self._read_up_to = end + 1
        return line

    async def line_after(self) -> str:
        async with asyncio.timeout(PROMPT_WAIT_S):
            while "\n" not in self.text[self._read_up_to :]:
                self._changed.clear()
                await self._changed.wait()
        return self.next_line()

    def press_enter(self) -> None:
        os.write(self.master, b"\n")

    async def exit_code(self) -> int:
        async with asyncio.timeout(CLI_TIMEOUT_S):
            code = await self.process.wait()
            while not self._ended:  # the rest of its output
                self._changed.clear()
                await self._changed.wait()
        return code


@contextlib.asynccontextmanager
async def on_a_terminal(*arguments: str) -> AsyncIterator[Terminal]:
    master, slave = os.openpty()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "simulator",
            "check",
            *arguments,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=_env(None),
            start_new_session=True,
        )
    finally:
        os.close(slave)
    terminal = Terminal(master, process)
    try:
        yield terminal
    finally:
        asyncio.get_running_loop().remove_reader(master)
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        os.close(master)


async def _post(url: str, token_file: Path, body: dict[str, Any]) -> dict[str, Any]:
    token = token_file.read_text(encoding="utf-8").splitlines()[0]
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        text = await response.text()
        assert response.status == 200, (url, response.status, text)
        reply: dict[str, Any] = json.loads(text)
        return reply


async def test_a_user_at_a_terminal_makes_the_backend_send_what_the_prompt_asks_and_the_cases_pass(
    tmp_path: Path,
) -> None:
    async with (
        builtin_with_trigger(tmp_path) as central,
        on_a_terminal(
            central.ws_url,
            "--password-file",
            str(write_password(tmp_path)),
            "--only",
            "TC_023_3_CS,TC_079_CS",
            "--json",
            str(tmp_path / "verdicts.json"),
        ) as terminal,
    ):
        tags, calls = 0, []
        while (prompt := await terminal.next_match(_SEND, _TAG)) is not None:
            if prompt.re is _TAG:  # no --id-tags: the run asks for its tags first
                tag, status, parent = prompt.groups()
                body = {"idTag": tag, "status": status} | (
                    {"parentIdTag": parent} if parent else {}
                )
                await _post(f"{central.api_url}/api/octt/create-token", central.token_file, body)
                terminal.press_enter()
                tags += 1
                continue
            action, charge_point_id = prompt.groups()
            payload = json.loads(await terminal.line_after())
            calls.append(action)
            url = f"{central.api_url}/charge-points/{charge_point_id}/calls/{action}"
            reply = await _post(url, central.token_file, payload)
            assert reply["status"] == "Accepted", reply
        code = await terminal.exit_code()
    assert code == 0, terminal.text
    assert tags == 6  # Accepted, Blocked, Expired and a group of two with their parent
    assert calls == ["GetLog"]
    report = json.loads((tmp_path / "verdicts.json").read_text())
    assert {c["id"]: c["verdict"] for c in report["checks"]} == {
        "TC_023_3_CS": "pass",
        "TC_079_CS": "pass",
    }


async def test_the_prompts_deadline_ends_a_case_the_backend_was_not_made_to_send_with_a_fail(
    tmp_path: Path,
) -> None:
    with mutant_in_thread(Fault.NONE, TAGS, PASSWORD) as url:
        async with on_a_terminal(
            url,
            "--password-file",
            str(write_password(tmp_path)),
            "--id-tags",
            str(write_tags(tmp_path)),
            "--only",
            "TC_013_CS",
            "--prompt-timeout",
            SHORT_PROMPT_S,
            "--json",
            str(tmp_path / "verdicts.json"),
        ) as terminal:
            prompt = await terminal.next_match(_SEND)
            assert prompt is not None, terminal.text
            assert prompt.groups() == ("Reset", "chargenet-check")
            assert json.loads(terminal.next_line()) == {"type": "Hard"}
            code = await terminal.exit_code()  # nobody acts
    assert code == 1, terminal.text
    (verdict,) = json.loads((tmp_path / "verdicts.json").read_text())["checks"]
    assert verdict["verdict"] == "fail"
    assert verdict["expected"] == "the backend to send Reset"
    assert verdict["reason"] == f"nothing within {SHORT_PROMPT_S} s"


async def test_a_create_token_prompt_not_confirmed_in_time_is_a_usage_error_naming_the_step(
    tmp_path: Path,
) -> None:
    with mutant_in_thread(Fault.NONE, TAGS, PASSWORD) as url:
        async with on_a_terminal(
            url,
            "--password-file",
            str(write_password(tmp_path)),
            "--only",
            "TC_023_3_CS",
            "--prompt-timeout",
            SHORT_PROMPT_S,
        ) as terminal:
            prompt = await terminal.next_match(_TAG)
            assert prompt is not None, terminal.text
            code = await terminal.exit_code()  # no Enter
    assert code == 2, terminal.text
    tag = prompt.group(1)
    assert f"create-token {tag}: no Enter within {SHORT_PROMPT_S} s" in terminal.text


async def test_without_a_terminal_the_cases_the_backend_initiates_are_not_run(
    tmp_path: Path,
) -> None:
    with mutant_in_thread(Fault.NONE, TAGS, PASSWORD) as url:
        cli = await run_cli(
            url,
            "--password-file",
            str(write_password(tmp_path)),
            "--id-tags",
            str(write_tags(tmp_path)),
            "--only",
            "TC_013_CS",
            "--json",
            str(tmp_path / "verdicts.json"),
        )
    assert cli.code == 0, cli.stdout + cli.stderr
    assert ">>>" not in cli.stdout
    (verdict,) = json.loads((tmp_path / "verdicts.json").read_text())["checks"]
    assert verdict["verdict"] == "not run"
    assert "--trigger URL" in verdict["reason"]
    assert "on a terminal" in verdict["reason"]
