"""The 2.0.1 wire's charging profiles as the model's (`simulator.ocpp.smart_charging201`):
dates in virtual seconds, purposes mapped, the checks against SmartChargingCtrlr."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.model.charging_profiles import (
    ChargingProfile,
    Kind,
    Period,
    Purpose,
    RateUnit,
    Recurrency,
    Schedule,
)
from simulator.model.resolver import ImmediateResolver
from simulator.model.simulation import Simulation
from simulator.model.smart_charging import (
    GRID_PROFILE_ID,
    ObservedResolver,
    PortProfiles,
    SmartCharging,
)
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.configuration import Configuration
from simulator.ocpp.device_model import DeviceModel
from simulator.ocpp.smart_charging201 import Refusal, StationProfiles
from tests.model.test_smart_charging import charge
from tests.model.worlds import world

START = datetime(2026, 1, 1, tzinfo=UTC)


def profiles(*template: tuple[str, str]) -> StationProfiles:
    config = Configuration(2)
    device = DeviceModel(
        config, model="m", vendor="v", connectors=("CCS1", "CHAdeMO"), power_kw=150.0
    )
    return StationProfiles(device, config, VirtualClock(START), template)


def nightly(**fields: Any) -> dict[str, Any]:
    """A snake_case 2.0.1 chargingProfile, as a handler gets it."""
    return {
        "id": 4,
        "stack_level": 2,
        "charging_profile_purpose": "ChargingStationMaxProfile",
        "charging_profile_kind": "Recurring",
        "recurrency_kind": "Daily",
        "valid_from": "2026-01-02T00:00:00Z",
        "valid_to": "2026-01-09T00:00:00Z",
        "charging_schedule": [
            {
                "id": 1,
                "start_schedule": "2026-01-01T22:00:00Z",
                "duration": 28_800,
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": 0, "limit": 50.0, "number_phases": 3},
                    {"start_period": 3600, "limit": 80.0},
                ],
                "min_charging_rate": 6.0,
            }
        ],
        **fields,
    }


def test_a_recurring_station_max_profile_is_the_models_charge_point_max_in_virtual_seconds() -> (
    None
):
    assert profiles().profile(nightly(), 0, 0.0) == ChargingProfile(
        id=4,
        connector=0,
        stack_level=2,
        purpose=Purpose.CHARGE_POINT_MAX,
        kind=Kind.RECURRING,
        schedule=Schedule(
            RateUnit.A,
            (Period(0.0, 50.0, 3), Period(3600.0, 80.0)),
            duration_s=28_800.0,
            start_s=22 * 3600.0,
            min_rate=6.0,
        ),
        recurrency=Recurrency.DAILY,
        valid_from_s=86_400.0,
        valid_to_s=8 * 86_400.0,
    )


def test_an_absolute_profile_without_a_start_schedule_starts_when_it_came() -> None:
    wire = nightly(charging_profile_kind="Absolute")
    del wire["charging_schedule"][0]["start_schedule"]
    got = profiles().profile(wire, 0, 1234.0)
    assert isinstance(got, ChargingProfile)
    assert got.schedule.start_s == 1234.0


def test_the_station_templates_smart_charging_keys_bound_what_is_accepted() -> None:
    power_only = profiles(("ChargingScheduleAllowedChargingRateUnit", "Power"))
    assert power_only.profile(nightly(), 0, 0.0) == Refusal("UnsupportedRateUnit", "A not allowed")
    low = profiles(("ChargeProfileMaxStackLevel", "1"))
    assert low.profile(nightly(), 0, 0.0) == Refusal("InvalidStackLevel", "stack level 2")


def test_a_profile_breaking_the_rules_is_an_invalid_profile_in_2_0_1_words() -> None:
    got = profiles().profile(nightly(), 1, 0.0)
    assert got == Refusal("InvalidProfile", "a ChargingStationMaxProfile on an EVSE other than 0")
    assert profiles().profile(nightly(valid_to="tomorrow"), 0, 0.0) == Refusal(
        "InvalidValue", "a date that is not one"
    )


def test_a_request_start_transactions_profile_must_be_a_tx_profile_without_transaction_id() -> None:
    station = profiles()
    assert isinstance(station.remote_start(nightly(), 0.0), Refusal)
    tx = nightly(charging_profile_purpose="TxProfile", charging_profile_kind="Relative")
    got = station.remote_start(tx, 0.0)
    assert isinstance(got, ChargingProfile)
    assert (got.purpose, got.connector) == (Purpose.TX, 1)
    assert isinstance(station.remote_start({**tx, "transaction_id": "x"}, 0.0), Refusal)


def test_a_relative_charging_station_max_profile_is_refused() -> None:
    got = profiles().profile(nightly(charging_profile_kind="Relative"), 0, 0.0)
    assert got == Refusal("InvalidProfile", "a Relative ChargingStationMaxProfile")


def _grid_tx_profile(pid: int, limit_w: float) -> dict[str, Any]:
    return {
        "id": pid,
        "stack_level": 0,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Relative",
        "transaction_id": "T1",
        "charging_schedule": [
            {
                "id": 1,
                "charging_rate_unit": "W",
                "charging_schedule_period": [{"start_period": 0, "limit": limit_w}],
            }
        ],
    }


@pytest.mark.parametrize("grid_in_csms", [True, False])
def test_the_grid_share_stands_apart_from_the_stations_other_profiles_when_the_csms_shares(
    grid_in_csms: bool,
) -> None:
    sim = Simulation(world(), resolver=(observed := ObservedResolver(ImmediateResolver())))
    charging = sim.charging
    share = charging.set_grid_share if grid_in_csms else None
    smart = observed.smart = SmartCharging(sim.env, charging.set_limit, set_share=share)
    port = PortProfiles(smart, sim.ports[0])
    charge(sim, 0.0, 0.2, 0.3)
    sim.env.run(until=60.0)
    assert port.transaction is not None
    ref = port.transaction.ref
    station = profiles()
    assert station.set(port, 1, _grid_tx_profile(1, 50_000.0), lambda _: ref, 60.0) is None
    # the grid's TxProfile at the same stack level: its share, apart from the other one;
    # from any other central system, a profile like any other, and a duplicate
    why = station.set(port, 1, _grid_tx_profile(GRID_PROFILE_ID, 30_000.0), lambda _: ref, 60.0)
    model_port = sim.ports[0]
    if grid_in_csms:
        assert why is None
        assert (model_port.profile_kw, model_port.grid_kw) == (50.0, 30.0)
    else:
        assert why is not None
        assert why.reason_code == "DuplicateProfile"
        assert (model_port.profile_kw, model_port.grid_kw) == (50.0, None)
