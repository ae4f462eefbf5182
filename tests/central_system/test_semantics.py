"""The semantic rules: impossible values answered with PropertyConstraintViolation (or, for a
stop, accepted and flagged), logged once, and never stored as plausible data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from central_system import semantics
from central_system.records import IdTagStatus, StopFlag, Transaction, TransactionStop
from central_system.server import RunningCentralSystem
from tests.central_system.conftest import RawClient, raw_client

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)
STAMP = "2025-03-01T08:00:00Z"


def _text(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def start(connector_id: int = 1, meter_start: Any = 1000, timestamp: str = STAMP) -> dict[str, Any]:
    return {
        "connectorId": connector_id,
        "idTag": "ACCEPTED1",
        "meterStart": meter_start,
        "timestamp": timestamp,
    }


def meter_values(
    transaction_id: int | None, value: str, at: datetime = T0, connector_id: int = 1, **extra: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": connector_id,
        "meterValue": [{"timestamp": _text(at), "sampledValue": [{"value": value, **extra}]}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


async def report_connectors(client: RawClient, *connectors: int) -> None:
    for connector_id in connectors:
        status = {"connectorId": connector_id, "errorCode": "NoError", "status": "Available"}
        assert (await client.call("StatusNotification", status))[0] == 3


async def started(client: RawClient, **fields: Any) -> int:
    reply = await client.call("StartTransaction", start(**fields))
    assert reply[0] == 3, reply
    transaction_id: int = reply[2]["transactionId"]
    return transaction_id


REFUSED_STARTS = [
    pytest.param(start(connector_id=0), id="connector 0"),
    pytest.param(start(connector_id=-1), id="connector -1"),
    pytest.param(start(connector_id=101), id="connector above 100"),
    pytest.param(start(meter_start=-5), id="negative meterStart"),
    pytest.param(start(meter_start=2**63), id="meterStart 2^63"),
    pytest.param(start(timestamp="9999-12-31T23:59:59-01:00"), id="year 9999 with an offset"),
    pytest.param(start(timestamp="0001-01-01T00:00:00+01:00"), id="year 0001 with an offset"),
    pytest.param(start(timestamp="9999-12-31T23:59:59.999999Z"), id="year 9999"),
    pytest.param(start(timestamp="1969-12-31T23:59:59Z"), id="before 1970"),
]


@pytest.mark.parametrize("payload", REFUSED_STARTS)
async def test_an_impossible_start_is_refused_with_property_constraint_violation_logged_once(
    central_system: RunningCentralSystem,
    db_rows: Any,
    payload: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="central_system.session")
    async with raw_client(central_system.ws_url, "CP1") as client:
        reply = await client.call("StartTransaction", payload)
        assert (await client.call("Heartbeat", {}))[0] == 3
    assert reply[:3] == [4, "m1", "PropertyConstraintViolation"]
    assert "Internal" not in reply[3]
    assert reply[4]["field"] in ("connectorId", "meterStart", "timestamp", "payload.meterStart")
    assert db_rows("SELECT COUNT(*) FROM transactions") == [(0,)]
    assert sum("refused" in record.getMessage() for record in caplog.records) == 1


async def test_a_start_on_a_connector_the_charge_point_never_reported_is_refused(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        before_any_report = await started(client, connector_id=7)
        await report_connectors(client, 0, 1, 2)
        on_two = await started(client, connector_id=2)
        on_three = await client.call("StartTransaction", start(connector_id=3))
    assert before_any_report > 0
    assert on_two > before_any_report
    assert on_three[2] == "PropertyConstraintViolation"
    assert "0, 1, 2, 7" not in on_three[3]
    assert "(0, 1, 2)" in on_three[3]
    assert db_rows("SELECT connector_id FROM transactions ORDER BY id") == [(7,), (2,)]


async def test_a_status_for_a_connector_beyond_100_or_in_year_0001_is_refused(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    async with raw_client(central_system.ws_url, "CP1") as client:
        far = await client.call("StatusNotification", {**status, "connectorId": 101})
        old = await client.call(
            "StatusNotification", {**status, "timestamp": "0001-01-01T00:00:00+01:00"}
        )
        good = await client.call("StatusNotification", {**status, "timestamp": STAMP})
    assert far[2] == old[2] == "PropertyConstraintViolation"
    assert good[0] == 3
    assert db_rows("SELECT connector_id FROM status_notifications") == [(1,)]


@pytest.mark.parametrize(
    ("value", "extra"),
    [
        ("NaN", {}),
        ("nan", {}),
        ("Infinity", {}),
        ("1e999", {}),
        ("12 kWh", {}),
        ("", {}),
        ("-3", {}),
        ("1500", {"unit": "kWh"}),  # 1.5 MWh at 08:00:30, more than the 2 kWh at 08:01
        ("1e308", {"unit": "kWh"}),  # a finite number, but not in Wh
    ],
)
async def test_meter_values_that_are_no_plausible_reading_are_refused_and_not_stored(
    central_system: RunningCentralSystem, db_rows: Any, value: str, extra: dict[str, str]
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        transaction_id = await started(client)
        later = T0 + timedelta(minutes=1)
        assert (await client.call("MeterValues", meter_values(transaction_id, "2000", later)))[
            0
        ] == 3
        reply = await client.call(
            "MeterValues", meter_values(transaction_id, value, T0 + timedelta(seconds=30), **extra)
        )
    assert reply[2] == "PropertyConstraintViolation", reply
    assert db_rows("SELECT value FROM meter_values") == [("2000",)]


async def test_signed_data_and_non_register_measurands_are_not_read_as_numbers(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        signed = await client.call(
            "MeterValues", meter_values(None, "c2lnbmVk", format="SignedData")
        )
        temperature = await client.call(
            "MeterValues", meter_values(None, "-12.5", measurand="Temperature", unit="Celsius")
        )
    assert signed[0] == temperature[0] == 3
    assert db_rows("SELECT COUNT(*) FROM meter_values") == [(2,)]


async def test_the_energy_register_may_not_go_below_meter_start_or_backwards(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        transaction_id = await started(client, meter_start=1000)
        below = await client.call("MeterValues", meter_values(transaction_id, "999"))
        at_1 = await client.call(
            "MeterValues", meter_values(transaction_id, "1500", T0 + timedelta(minutes=1))
        )
        at_3 = await client.call(
            "MeterValues", meter_values(transaction_id, "2", T0 + timedelta(minutes=3), unit="kWh")
        )
        back = await client.call(
            "MeterValues", meter_values(transaction_id, "1400", T0 + timedelta(minutes=2))
        )
        between = await client.call(
            "MeterValues", meter_values(transaction_id, "1800", T0 + timedelta(minutes=2))
        )
        past_the_next = await client.call(
            "MeterValues",
            meter_values(transaction_id, "2100", T0 + timedelta(minutes=2, seconds=1)),
        )
    assert [r[0] for r in (at_1, at_3, between)] == [3, 3, 3]
    assert [r[2] for r in (below, back, past_the_next)] == ["PropertyConstraintViolation"] * 3
    assert db_rows("SELECT value FROM meter_values ORDER BY timestamp") == [
        ("1500",),
        ("1800",),
        ("2",),
    ]


async def test_meter_values_for_an_unknown_or_foreign_transaction_are_refused(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP2") as other:
        foreign = await started(other)
    async with raw_client(central_system.ws_url, "CP1") as client:
        own = await started(client, connector_id=2)
        unknown = await client.call("MeterValues", meter_values(4242, "1000"))
        theirs = await client.call("MeterValues", meter_values(foreign, "1000"))
        wrong_connector = await client.call("MeterValues", meter_values(own, "1000"))
        right = await client.call("MeterValues", meter_values(own, "1000", connector_id=2))
    for reply in (unknown, theirs, wrong_connector):
        assert reply[2] == "PropertyConstraintViolation"
        assert reply[4]["field"] in ("transactionId", "connectorId")
    assert right[0] == 3
    assert db_rows("SELECT transaction_id FROM meter_values") == [(own,)]


@pytest.mark.parametrize(
    ("meter_stop", "stop_at", "flag"),
    [
        (900, T0 + timedelta(hours=1), StopFlag.METER_STOP_BELOW_START),
        (-5, T0 + timedelta(hours=1), StopFlag.METER_STOP_BELOW_START),
        (5000, T0 - timedelta(hours=1), StopFlag.STOP_BEFORE_START),
        (1200, T0 + timedelta(hours=1), StopFlag.METER_WENT_BACKWARDS),
        (5000, T0 + timedelta(hours=1), None),
    ],
)
async def test_an_impossible_stop_is_accepted_as_1_6_requires_and_flagged(
    central_system: RunningCentralSystem,
    db_rows: Any,
    meter_stop: int,
    stop_at: datetime,
    flag: StopFlag | None,
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        transaction_id = await started(client, meter_start=1000)
        reading = meter_values(transaction_id, "1500", T0 + timedelta(minutes=5))
        assert (await client.call("MeterValues", reading))[0] == 3
        stop = {
            "meterStop": meter_stop,
            "timestamp": _text(stop_at),
            "transactionId": transaction_id,
        }
        reply = await client.call("StopTransaction", {**stop, "idTag": "ACCEPTED1"})
    assert reply[0] == 3
    assert reply[2]["idTagInfo"]["status"] == "Accepted"
    assert db_rows("SELECT meter_stop_wh, stop_flag FROM transactions") == [
        (meter_stop, None if flag is None else flag.value)
    ]


async def test_stop_transaction_data_that_goes_backwards_is_left_out_and_flags_the_stop(
    central_system: RunningCentralSystem, db_rows: Any
) -> None:
    async with raw_client(central_system.ws_url, "CP1") as client:
        transaction_id = await started(client, meter_start=1000)
        data = [
            {"timestamp": _text(T0 + timedelta(minutes=1)), "sampledValue": [{"value": "1500"}]},
            {"timestamp": _text(T0 + timedelta(minutes=2)), "sampledValue": [{"value": "10"}]},
        ]
        stop = {
            "meterStop": 1600,
            "timestamp": _text(T0 + timedelta(minutes=3)),
            "transactionId": transaction_id,
            "transactionData": data,
        }
        reply = await client.call("StopTransaction", stop)
        nan = await client.call(
            "StopTransaction",
            {**stop, "transactionData": [{"timestamp": STAMP, "sampledValue": [{"value": "NaN"}]}]},
        )
    assert reply[0] == 3
    assert nan[2] == "PropertyConstraintViolation"
    assert db_rows("SELECT stop_flag FROM transactions") == [("meter_went_backwards",)]
    assert db_rows("SELECT value FROM meter_values") == [("1500",)]


def test_integers_beyond_64_bits_and_non_finite_floats_are_implausible() -> None:
    semantics.check_integers({"a": [2**63 - 1, -(2**63)], "b": True, "c": 1.5})
    for bad in (2**63, -(2**63) - 1, float("inf"), float("nan")):
        with pytest.raises(semantics.Implausible, match=r"payload\.x\[0\]"):
            semantics.check_integers({"x": [bad]})


def test_a_stop_flag_names_the_first_contradiction() -> None:
    transaction = Transaction(1, "CP", 1, "T", IdTagStatus.ACCEPTED, 100, T0, None, None, None)

    def flag(meter_stop: int, at: datetime, last: float | None = None) -> StopFlag | None:
        return semantics.stop_flag(transaction, TransactionStop("CP", 1, meter_stop, at), last)

    later = T0 + timedelta(seconds=1)
    assert flag(99, later) is StopFlag.METER_STOP_BELOW_START
    assert flag(100, T0 - timedelta(seconds=1)) is StopFlag.STOP_BEFORE_START
    assert flag(150, later, last=151.0) is StopFlag.METER_WENT_BACKWARDS
    assert flag(100, T0) is None
    assert flag(151, later, last=151.0) is None


def test_a_register_reading_must_be_a_finite_number_of_wh_not_below_meter_start() -> None:
    semantics.check_register([(T0, 100.0)], 100, {T0: (None, None)})
    for wh in (float("inf"), 99.0):
        with pytest.raises(semantics.Implausible):
            semantics.check_register([(T0, wh)], 100, {T0: (None, None)})
    with pytest.raises(semantics.Implausible, match="backwards"):
        semantics.check_register([(T0, 150.0)], 100, {T0: (160.0, None)})
