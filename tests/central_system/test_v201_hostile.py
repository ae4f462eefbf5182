"""Hostile but well-framed 2.0.1 payloads: extreme numbers and odd strings in every field of a
TransactionEvent, MeterValues and StatusNotification. Each frame is answered (a CALLRESULT, or
a CALLERROR with a schema or semantic code, never InternalError), the connection goes on, and
what is stored is what was answered."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from central_system.server import running
from tests.central_system.conftest import make_config, raw_client
from tests.central_system.fuzzing import EXTREME_NUMBERS, ODD_STRINGS
from tests.central_system.v201_station import OCPP201_SUBPROTOCOL

Rows = Callable[..., list[tuple[Any, ...]]]

ALLOWED_ERRORS = {
    "TypeConstraintViolation",
    "OccurenceConstraintViolation",
    "PropertyConstraintViolation",
    "FormatViolation",
    "RpcFrameworkError",  # a lone surrogate escape: the frame is not Unicode text
}

EVENT: dict[str, Any] = {
    "eventType": "Started",
    "timestamp": "2026-03-01T08:00:00Z",
    "triggerReason": "Authorized",
    "seqNo": 0,
    "transactionInfo": {"transactionId": "TX-0", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "idToken": {"idToken": "ACCEPTED1", "type": "ISO14443"},
    "numberOfPhasesUsed": 3,
    "meterValue": [
        {
            "timestamp": "2026-03-01T08:00:00Z",
            "sampledValue": [
                {
                    "value": 1000.0,
                    "context": "Transaction.Begin",
                    "unitOfMeasure": {"unit": "Wh", "multiplier": 0},
                }
            ],
        }
    ],
}
METER_VALUES: dict[str, Any] = {"evseId": 1, "meterValue": copy.deepcopy(EVENT["meterValue"])}
STATUS: dict[str, Any] = {
    "timestamp": "2026-03-01T08:00:00Z",
    "connectorStatus": "Available",
    "evseId": 1,
    "connectorId": 1,
}


def _leaves(payload: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(payload, dict):
        for key, value in payload.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _with(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _mutations() -> Iterator[tuple[str, dict[str, Any]]]:
    counter = 0
    for action, base in (
        ("TransactionEvent", EVENT),
        ("MeterValues", METER_VALUES),
        ("StatusNotification", STATUS),
    ):
        for path in _leaves(base):
            for value in [*EXTREME_NUMBERS, *ODD_STRINGS[:12]]:
                payload = _with(base, path, value)
                if action == "TransactionEvent" and path != ("transactionInfo", "transactionId"):
                    counter += 1  # each its own transaction: no event repeats another
                    payload["transactionInfo"]["transactionId"] = f"TX-{counter}"
                yield action, payload


async def test_hostile_201_payloads_are_all_answered_and_none_breaks_the_connection(
    tmp_path: Path, db_rows: Rows
) -> None:
    answered: dict[str, int] = {}
    async with (
        running(make_config(tmp_path)) as central,
        raw_client(central.ws_url, "CS1", subprotocols=[OCPP201_SUBPROTOCOL]) as client,
    ):
        for index, (action, payload) in enumerate(_mutations()):
            try:
                frame = json.dumps([2, f"h{index}", action, payload])
            except (ValueError, UnicodeEncodeError):
                continue
            reply = await client.send_raw(frame)
            assert reply[1] == f"h{index}", reply
            if reply[0] == 4:
                assert reply[2] in ALLOWED_ERRORS, (payload, reply)
                kind = reply[2]
            else:
                assert reply[0] == 3, reply
                kind = "answered"
            answered[kind] = answered.get(kind, 0) + 1
        assert (await client.call("Heartbeat", {}))[0] == 3
    assert answered["answered"] > 0
    assert answered["PropertyConstraintViolation"] > 0
    # What got in is whole numbers in range: no float posing as a seqNo or an EVSE.
    for table, columns in {
        "transaction_events_201": ("seq_no", "evse_id", "connector_id", "cable_max_current"),
        "meter_values_201": ("evse_id", "seq_no", "multiplier"),
        "status_notifications_201": ("evse_id", "connector_id"),
    }.items():
        for column in columns:
            kinds = db_rows(f"SELECT DISTINCT typeof({column}) FROM {table}")
            assert set(kinds) <= {("integer",), ("null",)}, (table, column, kinds)
    assert db_rows("SELECT MIN(seq_no) >= 0, MIN(evse_id) >= 1 FROM transaction_events_201") == [
        (1, 1)
    ]
