"""The station's reported GetVariables limits, and a GetVariables split to fit them."""

from __future__ import annotations

import json
from typing import Any

from central_system.v201.device_model import (
    FRAME_OVERHEAD_BYTES,
    MessageLimits,
    join_get_variables,
    limit,
    split_get_variables,
)


def _data(*names: str) -> list[dict[str, Any]]:
    return [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": n}} for n in names]


def test_a_request_within_the_limits_goes_as_it_is() -> None:
    payload = {"getVariableData": _data("A", "B")}
    assert split_get_variables(payload, MessageLimits(items=2)) == [payload]
    assert split_get_variables(payload, MessageLimits()) == [payload]


def test_more_items_than_the_station_takes_go_in_parts_of_at_most_that_many_in_order() -> None:
    parts = split_get_variables({"getVariableData": _data("A", "B", "C")}, MessageLimits(items=2))
    assert parts == [{"getVariableData": _data("A", "B")}, {"getVariableData": _data("C")}]


def test_parts_also_keep_within_the_bytes_per_message_and_an_item_too_big_goes_alone() -> None:
    one = json.dumps({"getVariableData": _data("A")}, separators=(",", ":"))
    limits = MessageLimits(payload_bytes=FRAME_OVERHEAD_BYTES + len(one))
    parts = split_get_variables({"getVariableData": _data("A", "B", "C")}, limits)
    assert parts == [{"getVariableData": _data(name)} for name in "ABC"]
    assert split_get_variables({"getVariableData": _data("A")}, MessageLimits(payload_bytes=1)) == [
        {"getVariableData": _data("A")}
    ]


def test_the_answers_of_the_parts_join_into_one_in_the_order_asked() -> None:
    replies = [{"getVariableResult": [{"n": 1}, {"n": 2}]}, {"getVariableResult": [{"n": 3}]}]
    assert join_get_variables(replies) == {"getVariableResult": [{"n": 1}, {"n": 2}, {"n": 3}]}


def test_only_a_positive_integer_is_a_limit() -> None:
    assert [limit(v) for v in ("2", "0", "-1", "many", None)] == [2, None, None, None, None]
