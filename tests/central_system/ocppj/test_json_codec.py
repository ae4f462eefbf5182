"""ocppj.json_codec: orjson's speed, the standard library's text and verdicts."""

from __future__ import annotations

import enum
import json
import random
import struct
from typing import Any

import pytest

from ocppj import json_codec
from ocppj.frames import parse_frame
from ocppj.json_codec import dumps_compact, fast_dumps, has_long_integer

STANDARD = json.JSONEncoder(separators=(",", ":")).encode


class Status(enum.StrEnum):
    ACCEPTED = "Accepted"


def _floats(n: int) -> list[float]:
    rng = random.Random(9)
    out = []
    for i in range(n):
        if i % 2:
            x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        else:
            x = rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-12, 20)
        out.append(x)
    return out


VALUES: list[Any] = [
    [2, "a1b2c3d4-17", "MeterValues", {"connectorId": 1, "meterValue": []}],
    [3, "id", {"status": "Accepted", "currentTime": "2025-01-06T10:00:00.000Z"}],
    ["é", "\u2028", "\x7f", "\x00\x1f\b\f\n\r\t", '"\\/', "site-1e-5", "null"],
    [1e16, 1e15, 0.0001, 0.00009, -0.0, 5e-324, 21.4, 1.0, float("nan"), float("inf")],
    [2**63, 2**64, 2**70, -(2**63), True, False, None],
    {"status": Status.ACCEPTED, 1: "an int key"},
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_compact_writes_the_standard_librarys_text_byte_for_byte(value: Any) -> None:
    assert dumps_compact(value) == STANDARD(value)


def test_dumps_compact_writes_every_float_as_the_standard_library_does() -> None:
    for x in _floats(20_000):
        assert dumps_compact([x, {"v": x}]) == STANDARD([x, {"v": x}])


def test_orjson_writes_the_common_frames_itself() -> None:
    if json_codec.fast_loads is None:
        pytest.skip("orjson is not installed")
    frame = [3, "id-1", {"idTagInfo": {"status": "Accepted"}, "transactionId": 7}]
    assert fast_dumps(frame) == STANDARD(frame)


def test_a_value_the_standard_library_refuses_is_refused_alike() -> None:
    with pytest.raises(TypeError):
        dumps_compact([object()])


@pytest.mark.parametrize(
    ("text", "long"),
    [("[1234567890123456789]", True), ('{"a":"12345678901234567890"}', True),
     ("[123456789012345678]", False), ('["2025-01-06T10:00:00.000Z",1]', False)],
)  # fmt: skip
def test_a_run_of_19_digits_is_found(text: str, long: bool) -> None:
    assert has_long_integer(text) is long


@pytest.mark.parametrize(
    "text",
    [
        '[2,"a","X",{"n":123456789012345678901234567890}]',
        '[2,"a","X",{"n":-9223372036854775809}]',
        '[2,"a","X",{"n":18446744073709551616}]',
        '[2,"a","X",{"s":"\\ud800"}]',
        '[3,"a",{"s":"\\udc00x"}]',
        '[2,"a","X",{"f":1e400}]',
        '[2,"a","X",{"f":NaN}]',
        '[2,"a","X",{"a":1,"a":2}]',
        '[2,"a","X",{"s":"\\ud83d\\ude00"}]',
        '[2,"a","X",{}] x',
        '[2,"a","X",{"f":1.0,"i":-0}]',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_frames_parse_as_the_standard_decoder_reads_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = repr(parse_frame("ocpp1.6", text))
    monkeypatch.setattr("ocppj.frames.fast_loads", None)
    assert fast == repr(parse_frame("ocpp1.6", text))


def test_a_big_integer_stays_an_integer() -> None:
    frame = parse_frame("ocpp1.6", '[2,"a","MeterValues",{"connectorId":12345678901234567890}]')
    assert frame.payload["connectorId"] == 12345678901234567890  # type: ignore[union-attr]
