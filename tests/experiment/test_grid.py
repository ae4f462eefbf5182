"""Sweep grids: key paths, aliases, values, and one-line errors for what is not there."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import scenario as sc
from simulator.errors import UserError
from simulator.experiment.grid import grid, parse_value, parse_vary, steps
from tests.experiment.helpers import SCENARIOS

REGION = sc.load(SCENARIOS / "nissan_evgo.toml")


def points(*varies: str) -> list:
    return grid(REGION, [parse_vary(v) for v in varies])


def test_values_are_toml_values_and_bare_words_are_strings() -> None:
    assert parse_value("1") == 1
    assert parse_value("0.8") == 0.8
    assert parse_value("true") is True
    assert parse_value('["CCS1", "NACS"]') == ["CCS1", "NACS"]
    assert parse_value('{dist = "fixed", value = 10}') == {"dist": "fixed", "value": 10}
    assert parse_value("members_only") == "members_only"
    assert parse_value("none") is None


def test_a_vary_splits_values_on_commas_outside_brackets() -> None:
    v = parse_vary('vehicles[0].connectors=["CCS1", "NACS"],["NACS"]')
    assert v.path == "vehicles[0].connectors"
    assert v.values == (["CCS1", "NACS"], ["NACS"])
    v = parse_vary("deals[brand=Nissan].session_cap_min=30,45")
    assert v.key == "deals[brand=Nissan].session_cap_min"
    assert v.values == (30, 45)


def test_a_path_is_keys_with_selectors() -> None:
    parsed = steps("networks[evgo].sites[0].ports[*].count")
    assert [(s.name, s.selectors) for s in parsed] == [
        ("networks", ("evgo",)),
        ("sites", ("0",)),
        ("ports", ("*",)),
        ("count", ()),
    ]


def test_every_combination_is_a_validated_point_with_the_first_key_slowest() -> None:
    grid_points = points("demand=0.8,1.2", "price[evgo]=0.4,0.5,0.6")
    assert [p.label for p in grid_points[:4]] == [
        "demand=0.8 price[evgo]=0.4",
        "demand=0.8 price[evgo]=0.5",
        "demand=0.8 price[evgo]=0.6",
        "demand=1.2 price[evgo]=0.4",
    ]
    last = grid_points[-1]
    assert last.settings == (("demand", 1.2), ("price[evgo]", 0.6))
    assert last.scenario["arrivals"]["multiplier"] == 1.2
    evgo = next(n for n in last.scenario["networks"] if n["id"] == "evgo")
    assert evgo["price_per_kwh"] == 0.6
    # the base scenario is untouched
    assert REGION.arrivals.multiplier == 1.0


def _vehicle(s: dict, vehicle_id: str) -> dict:
    return _item(s["vehicles"], vehicle_id)


def _network(s: dict, network_id: str) -> dict:
    return _item(s["networks"], network_id)


@pytest.mark.parametrize(
    ("vary", "get", "value"),
    [
        (
            "vehicles[nissan_ariya].adapter_share=0.5",
            lambda s: _vehicle(s, "nissan_ariya")["adapter_share"],
            0.5,
        ),
        (
            "adapter_share[nissan_ariya]=0.5",
            lambda s: _vehicle(s, "nissan_ariya")["adapter_share"],
            0.5,
        ),
        (
            "non_member_price[tesla]=0.5",
            lambda s: _network(s, "tesla")["non_member_price_per_kwh"],
            0.5,
        ),
        ("deals[Nissan@evgo].eligible_share=0.5", lambda s: s["deals"][0]["eligible_share"], 0.5),
        ("deals[brand=Nissan].eligible_share=0.5", lambda s: s["deals"][0]["eligible_share"], 0.5),
        (
            "sites[evgo].queue_limit=8",
            lambda s: _item(_network(s, "evgo")["sites"], "evgo")["queue_limit"],
            8,
        ),
        ("patience=5", lambda s: s["drivers"]["patience_min"]["mean"], 5),
    ],
)
def test_paths_and_aliases_reach_list_items_by_id(vary: str, get: Any, value: object) -> None:
    (point,) = points(vary)
    assert get(point.scenario) == value


def test_a_star_sets_every_item() -> None:
    (point,) = points("price[*]=0.3")
    assert {n["price_per_kwh"] for n in point.scenario["networks"]} == {0.3}


def test_ports_of_a_site_with_one_kind_of_port_is_its_count() -> None:
    (point,) = points("ports[tesla]=10")
    tesla = _item(_item(point.scenario["networks"], "tesla")["sites"], "tesla")
    assert tesla["ports"][0]["count"] == 10


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ("demand", "--vary demand: expected KEY=V1,V2,..."),
        ("demand=", "--vary demand=: expected values after '=', separated by commas"),
        ("demand=1,1", "--vary demand=1,1: a value appears twice"),
        ("arrivals.multplier=1", "--vary arrivals.multplier: arrivals has no key 'multplier'"),
        (
            "networks[telsa].price_per_kwh=1",
            "--vary networks[telsa].price_per_kwh: "
            "networks[telsa]: no item has that id (ids: tesla, ea, evgo)",
        ),
        ("vehicles[9].share=1", "--vary vehicles[9].share: vehicles[9]: the list has 6 items"),
        ("ports[ea]=3", "--vary ports[ea]: site ea has 3 kinds of port"),
        ("arrivals[0].kind=x", "--vary arrivals[0].kind: arrivals is not a list"),
        ("networks..x=1", "--vary networks..x=1: expected a key name at '.x'"),
        ("failures.mtbf_days=1", None),
    ],
)
def test_a_key_that_is_not_there_is_one_line(vary: str, message: str | None) -> None:
    if message is None:  # the region has failures: this one is fine
        points(vary)
        return
    with pytest.raises(UserError) as e:
        points(vary)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ("demand=0", "--vary demand=0: arrivals.multiplier = 0: Input should be greater than 0"),
        ("adapter_share[nissan_ariya]=2", "--vary adapter_share[nissan_ariya]=2: "),
        ("ports[tesla]=0.5", "--vary ports[tesla]=0.5: "),
        ("networks[tesla].access=sometimes", "--vary networks[tesla].access=sometimes: "),
    ],
)
def test_a_bad_value_fails_the_scenario_model_in_one_line(vary: str, message: str) -> None:
    with pytest.raises(sc.ScenarioError) as e:
        points(vary)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_the_same_key_twice_is_refused() -> None:
    with pytest.raises(UserError, match="is varied twice"):
        points("demand=1", "demand=2")


def _item(items: list, item_id: str) -> dict:
    return next(x for x in items if x["id"] == item_id)
