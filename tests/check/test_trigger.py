"""`--trigger`: the OCTT trigger convention from the check's side, against the built-in
central system's operator API (real processes, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from simulator.check.trigger import HttpTrigger, TriggerFailed
from tests.check.helpers import builtin_with_trigger, run_cli, write_password


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize(
    ("arguments", "cause"),
    [
        (("--trigger-token-file", "token"), "--trigger-token-file needs --trigger URL"),
        (("--trigger", "ftp://127.0.0.1/"), "is not an http:// or https:// URL"),
        (("--trigger", "http://127.0.0.1:1", "--trigger-token-file", "nowhere"), "nowhere"),
    ],
    ids=["token without trigger", "not http", "no token file"],
)
async def test_a_trigger_usage_mistake_is_exit_2_in_one_line(
    arguments: tuple[str, ...], cause: str
) -> None:
    result = await run_cli("ws://127.0.0.1:1/ocpp", *arguments)
    assert result.code == 2
    assert cause in _one_line(result.stderr)


async def test_a_trigger_refusing_the_token_or_unreachable_is_exit_2_before_any_check(
    tmp_path: Path,
) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token\n")
    async with builtin_with_trigger(tmp_path) as central:
        common = (central.ws_url, "--password-file", str(write_password(tmp_path)))
        refused = await run_cli(
            *common, "--trigger", central.api_url, "--trigger-token-file", str(wrong)
        )
        unreachable = await run_cli(
            *common,
            "--trigger",
            f"http://127.0.0.1:{_closed_port()}",
            "--trigger-token-file",
            str(central.token_file),
        )
    assert refused.code == 2
    assert "refused the token: HTTP 401" in _one_line(refused.stderr)
    assert unreachable.code == 2
    assert "--trigger unusable" in _one_line(unreachable.stderr)
    for result in (refused, unreachable):
        assert "TC_001_CS" not in result.stdout


async def test_a_call_for_a_charge_point_not_connected_fails_naming_the_trigger_answer(
    tmp_path: Path,
) -> None:
    async with builtin_with_trigger(tmp_path) as central:
        token = central.token_file.read_text().strip()
        trigger = HttpTrigger(central.api_url, token=token, timeout_s=30)
        await trigger.preflight()
        with pytest.raises(TriggerFailed) as failed:
            await trigger.send("NOT-CONNECTED", "Reset", {"type": "Soft"})
        await trigger.create_token("CHK-TRIGGERED", "Blocked")
    assert "/api/octt/1.6/NOT-CONNECTED/reset: HTTP 404" in str(failed.value)
    assert "not connected" in str(failed.value)


async def test_the_run_makes_its_own_tags_through_the_trigger_when_given_none(
    tmp_path: Path,
) -> None:
    async with builtin_with_trigger(tmp_path) as central:
        result = await run_cli(
            central.ws_url,
            "--password-file",
            str(write_password(tmp_path)),
            "--trigger",
            central.api_url,
            "--trigger-token-file",
            str(central.token_file),
            "--only",
            "TC_023_2_CS,TC_023_3_CS,TC_069_CS,TC_010_CS",
            "--json",
            str(tmp_path / "verdicts.json"),
        )
    assert result.code == 0, result.stdout + result.stderr
    verdicts = {c["id"]: c for c in json.loads((tmp_path / "verdicts.json").read_text())["checks"]}
    assert {c["verdict"] for c in verdicts.values()} == {"pass"}
    frames = " ".join(f["text"] for f in verdicts["TC_023_3_CS"]["frames"])
    assert '"Blocked"' in frames
