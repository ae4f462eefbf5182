"""simulator/ocpp/store_rows.py: how each version's status history reads as a port state, and
the store's timestamps in the simulation's seconds (the rows themselves are checked against the
simulation in tests/ocpp/test_csms_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.model.records import PortState
from simulator.ocpp.store_rows import seconds, state_16, state_201

START = datetime(2026, 12, 2, tzinfo=UTC)


def test_a_1_6_charge_point_is_down_when_connector_0_is_whatever_its_connectors_say() -> None:
    assert state_16({0: "Faulted", 1: "Charging"}) is PortState.DOWN
    assert state_16({0: "Unavailable"}) is PortState.DOWN


def test_a_1_6_connector_charging_outranks_one_occupied_which_outranks_available() -> None:
    assert state_16({0: "Available", 1: "Preparing", 2: "Charging"}) is PortState.CHARGING
    assert state_16({1: "SuspendedEV", 2: "Available"}) is PortState.OCCUPIED
    assert state_16({1: "Finishing"}) is PortState.OCCUPIED
    assert state_16({0: "Available", 1: "Available"}) is PortState.AVAILABLE


def test_a_2_0_1_station_charges_by_its_transaction_s_charging_state_not_its_occupied() -> None:
    occupied = {(1, 1): "Occupied"}
    assert state_201(occupied) is PortState.OCCUPIED
    assert state_201(occupied | {("tx", "t-1"): "Charging"}) is PortState.CHARGING
    assert state_201(occupied | {("tx", "t-1"): "SuspendedEV"}) is PortState.OCCUPIED


def test_a_2_0_1_station_is_down_only_when_every_connector_is() -> None:
    assert state_201({(1, 1): "Unavailable", (2, 1): "Faulted"}) is PortState.DOWN
    assert state_201({(1, 1): "Unavailable", (2, 1): "Available"}) is PortState.AVAILABLE
    assert state_201({}) is PortState.AVAILABLE


def test_store_timestamps_with_or_without_an_offset_are_seconds_after_the_start() -> None:
    assert seconds(START, "2026-12-02T00:01:30.500000Z") == 90.5
    assert seconds(START, "2026-12-02T00:01:30.500000") == 90.5  # naive: UTC
    assert seconds(START, "2026-12-02T01:00:00+01:00") == 0.0
