"""`chargenet check`'s exit codes and one-line errors: 0 when all that ran passed, 1 after a
fail, 2 for a usage error or a backend it cannot use (said in one line, before any check)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from simulator import cli
from simulator.check.catalogue import catalogue
from tests.check.helpers import PASSWORD, TAGS, run_cli, write_password, write_tags
from tests.check.mutant_csms import Fault, mutant_in_thread


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


async def test_an_unreachable_backend_is_exit_2_in_one_line_before_any_check() -> None:
    result = await run_cli(f"ws://127.0.0.1:{_closed_port()}/ocpp", "--timeout", "5")
    assert result.code == 2
    line = _one_line(result.stderr)
    assert line.startswith("chargenet: backend ws://127.0.0.1:")
    assert "cannot connect" in line
    assert "TC_001_CS" not in result.stdout


def test_a_backend_refusing_the_password_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    with mutant_in_thread(Fault.NONE, TAGS, PASSWORD) as url:
        code, out, err = _main(capsys, url, "--password-file", str(wrong), "--timeout", "5")
    assert code == 2
    assert "HTTP 401" in _one_line(err)
    assert "TC_001_CS" not in out


def test_a_fail_is_exit_1_and_the_table_says_what_was_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARGENET_CSMS_PASSWORD", PASSWORD)
    monkeypatch.setenv("COLUMNS", "200")
    with mutant_in_thread(Fault.ACCEPTS_BLOCKED, TAGS, PASSWORD) as url:
        code, out, err = _main(
            capsys, url, "--only", "TC_023_[1-3]_CS", "--id-tags", str(write_tags(tmp_path))
        )
    assert code == 1, out + err
    assert "2 pass, 1 fail" in out
    assert "TC_023_3_CS" in out
    assert "expected Authorize idTagInfo Blocked" in out


def test_not_applicable_and_not_run_alone_are_exit_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARGENET_CSMS_PASSWORD", raising=False)
    with mutant_in_thread(Fault.NONE, TAGS) as url:  # no password, no tags given
        code, out, err = _main(capsys, url, "--only", "TC_023_3_CS,TC_013_CS,RB_WRONG_PASSWORD")
    assert code == 0, out + err
    assert "0 pass, 0 fail, 2 not applicable, 1 not run, 0 error" in out


def _main(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """`chargenet check ...` in this process: the same parse, call and error mapping."""
    code = cli.main(["check", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_password_on_the_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "ws://127.0.0.1:1/ocpp", "--password", "secret")
    assert code == 2
    assert "process list" in _one_line(err)


def test_usage_mistakes_are_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text("CHK-1,Sleepy\n")
    cases = [
        (["http://127.0.0.1:1/ocpp"], "not a ws:// or wss:// URL"),
        ([], "give the backend's URL"),
        (["ws://127.0.0.1:1", "--only", "TC_999_CS"], "no check 'TC_999_CS'"),
        (["ws://127.0.0.1:1", "--profile", "Teleport"], "unknown profile"),
        (["ws://127.0.0.1:1", "--id-tags", str(tags)], "unknown status 'Sleepy'"),
        (["ws://127.0.0.1:1", "--ca", str(tags)], "--ca needs a wss:// URL"),
        (["ws://127.0.0.1:1", "--password-file", str(tmp_path / "nope")], "--password-file"),
    ]
    for arguments, message in cases:
        code, out, err = _main(capsys, *arguments)
        assert code == 2, (arguments, out, err)
        assert message in _one_line(err), (arguments, err)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "ws://127.0.0.1:1", "--timeout", "0"])
    assert exit_info.value.code == 2
    assert "must be > 0" in _one_line(capsys.readouterr().err)


def test_list_prints_the_catalogue_with_every_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys, "--list")
    assert code == 0
    ids = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    ids = [i for i in ids if i]
    assert ids == [c.id for c in catalogue()]
    assert "TC_001_CS" in ids
    assert "RB_INVALID_JSON" in ids
    assert sum(i.startswith("RB_") for i in ids) >= 15


def test_password_file_wins_over_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARGENET_CSMS_PASSWORD", "wrong")
    with mutant_in_thread(Fault.NONE, TAGS, PASSWORD) as url:
        code, out, err = _main(
            capsys, url, "--only", "TC_085_CS", "--password-file", str(write_password(tmp_path))
        )
    assert code == 0, out + err
    assert "1 pass" in out
