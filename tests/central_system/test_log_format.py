"""Log lines: control characters escaped (no forged lines), repeated lines counted, not written."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from central_system.log_format import (
    CONTINUATION,
    LOG_FORMAT,
    RepeatFilter,
    SafeFormatter,
    escape_control,
)
from tests.central_system.conftest import raw_client
from tests.central_system.server_process import logging_server

#: How every record of the `serve` command's log begins.
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) ")
FORGED = "2030-01-01 00:00:00,000 ERROR central_system.server: forged"


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO, RepeatFilter, FakeClock]]:
    """A logger writing through the `serve` command's formatter and filter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    clock = FakeClock()
    repeats = RepeatFilter(
        handler, repeats=5, interval_s=10.0, clock=clock, report_in_background=False
    )
    handler.addFilter(repeats)
    logger = logging.getLogger("tests.log_format")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream, repeats, clock
    logger.removeHandler(handler)


def test_control_characters_become_escapes_and_printable_text_is_kept() -> None:
    assert escape_control("CP-1 Zürich €") == "CP-1 Zürich €"
    assert escape_control("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert escape_control("\x00\x1b[31m\x7f\x85") == "\\x00\\x1b[31m\\x7f\\x85"
    assert escape_control("x\u2028y\u202ez\ud800") == "x\\u2028y\\u202ez\\ud800"


def test_a_record_whose_arguments_hold_newlines_is_one_escaped_line(log: tuple) -> None:
    logger, stream, _, _ = log
    logger.warning("%s: ignoring a reply with unknown id %s", "CP1", "m1\n" + FORGED)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("ignoring a reply with unknown id m1\\n" + FORGED)


def test_a_traceback_follows_on_continuation_lines_that_cannot_pass_for_records(
    log: tuple,
) -> None:
    logger, stream, _, _ = log
    try:
        raise ValueError("bad id\n" + FORGED)
    except ValueError:
        logger.exception("handler failed")
    first, *rest = stream.getvalue().splitlines()
    assert RECORD_START.match(first)
    assert rest
    assert all(line.startswith(CONTINUATION) for line in rest)
    assert CONTINUATION + FORGED in rest


def test_lines_of_one_kind_beyond_the_limit_are_counted_in_one_line(log: tuple) -> None:
    logger, stream, repeats, _ = log
    for index in range(5000):
        logger.warning("%s: ignoring a reply with unknown id %s", "CP1", f"x{index}")
    repeats.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 6
    assert lines[4].endswith("unknown id x4")
    assert lines[5].endswith(
        'WARNING tests.log_format: 4995 more like "%s: ignoring a reply with unknown id %s" '
        "in the last 0.0 s"
    )


def test_a_kind_passes_again_in_the_next_interval_after_the_count_of_the_last(
    log: tuple,
) -> None:
    logger, stream, _, clock = log
    for index in range(8):
        logger.info("boot of %s", index)
    clock.now_s += 10.0
    logger.info("boot of %s", "late")
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "boot of 0",
        "boot of 1",
        "boot of 2",
        "boot of 3",
        "boot of 4",
        '3 more like "boot of %s" in the last 10.0 s',
        "boot of late",
    ]


def test_kinds_are_limited_apart_by_template_and_level(log: tuple) -> None:
    logger, stream, repeats, _ = log
    for index in range(10):
        logger.info("a %s", index)
        logger.warning("a %s", index)
        logger.info("b %s", index)
    repeats.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 * 5 + 3
    assert sum("5 more like" in line for line in lines) == 3


def test_a_count_is_reported_by_sweep_once_the_interval_is_over(log: tuple) -> None:
    logger, stream, repeats, clock = log
    for _ in range(7):
        logger.error("store failed")
    repeats.sweep()
    assert len(stream.getvalue().splitlines()) == 5  # the interval is not over yet
    clock.now_s += 10.0
    repeats.sweep()
    assert (
        stream.getvalue().splitlines()[-1].endswith('2 more like "store failed" in the last 10.0 s')
    )


def _assert_every_line_is_a_record_or_a_continuation(stderr: str) -> None:
    for line in stderr.splitlines():
        assert RECORD_START.match(line) or line.startswith(CONTINUATION), line
        assert not line.startswith(FORGED[:10])


async def test_control_characters_in_a_charge_point_id_and_a_message_id_log_escaped_lines(
    tmp_path: Path,
) -> None:
    async with logging_server(tmp_path / "csms.sqlite", "--log-level", "INFO") as server:
        # Whether the handshake takes such an id or refuses it, what is logged is escaped.
        try:
            async with raw_client(server.ws_url, "CP%0A" + FORGED.replace(" ", "%20")) as client:
                await client.send_raw('[2, "m\\u0000", "FooBar", {}]')
        except InvalidStatus:
            pass
        async with raw_client(server.ws_url, "CP1") as client:
            await client.ws.send(json.dumps([3, "m1\n" + FORGED + "\r\x1b[2K", {}]))
            assert (await client.call("Heartbeat", {}))[0] == 3
        stderr = await server.stop()
    _assert_every_line_is_a_record_or_a_continuation(stderr)
    unknown = [line for line in stderr.splitlines() if "unknown id" in line]
    assert len(unknown) == 1
    assert unknown[0].endswith("unknown id m1\\n" + FORGED + "\\r\\x1b[2K")


async def test_five_thousand_replies_with_unknown_ids_log_a_few_lines_and_their_count(
    tmp_path: Path,
) -> None:
    replies = 5000
    async with logging_server(tmp_path / "csms.sqlite") as server:
        async with raw_client(server.ws_url, "CP1") as client:
            for index in range(replies):
                await client.ws.send(f'[3, "nobody-asked-{index}", {{}}]')
            # Frames are handled in order: once this is answered, every reply was seen.
            assert (await client.call("Heartbeat", {}))[0] == 3
        stderr = await server.stop()
    _assert_every_line_is_a_record_or_a_continuation(stderr)
    lines = [line for line in stderr.splitlines() if "unknown id" in line]
    assert len(lines) <= 10, lines
    shown = [line for line in lines if "nobody-asked-" in line]
    counts = [int(m.group(1)) for line in lines if (m := re.search(r": (\d+) more like", line))]
    assert counts
    assert len(shown) + sum(counts) == replies
