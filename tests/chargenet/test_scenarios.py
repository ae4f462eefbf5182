"""chargenet.Scenario: loaded from a file, changed by key path, validated as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

import chargenet
from tests.chargenet.helpers import QUICKSTART, SCENARIOS


@pytest.fixture(scope="module")
def quickstart() -> chargenet.Scenario:
    return chargenet.load(QUICKSTART)


def test_load_reads_and_validates_a_scenario_file(quickstart: chargenet.Scenario) -> None:
    assert quickstart.name == "quickstart"
    assert quickstart.source == str(QUICKSTART)
    assert quickstart.to_dict()["networks"][0]["id"] == "tesla"


def test_load_of_a_missing_file_is_one_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(chargenet.ScenarioError, match=r"nope\.toml: no such file$"):
        chargenet.load(tmp_path / "nope.toml")


def test_with_sets_simulation_keys_bare_and_leaves_the_original_alone(
    quickstart: chargenet.Scenario,
) -> None:
    changed = quickstart.with_(days=3.5, seed=9)
    assert (changed.days, changed.seed) == (3.5, 9)
    assert (quickstart.days, quickstart.seed) != (3.5, 9)


def test_with_takes_the_sweep_aliases(quickstart: chargenet.Scenario) -> None:
    changed = quickstart.with_({"demand": 1.5, "price[tesla]": 0.33})
    assert changed.model.arrivals.multiplier == 1.5
    assert changed.to_dict()["networks"][0]["price_per_kwh"] == 0.33


def test_a_dotted_step_after_a_list_picks_the_item_by_id(quickstart: chargenet.Scenario) -> None:
    changed = quickstart.with_({"networks.ea.sites.ea-highway.queue_limit": 9})
    assert changed.to_dict()["networks"][1]["sites"][0]["queue_limit"] == 9
    assert changed.to_dict() == quickstart.with_({"sites[ea-highway].queue_limit": 9}).to_dict()


def test_a_sites_ports_set_to_a_number_sets_its_port_count(quickstart: chargenet.Scenario) -> None:
    changed = quickstart.with_({"sites.tesla-downtown.ports": 4})
    assert [p["count"] for p in changed.to_dict()["networks"][0]["sites"][0]["ports"]] == [4]


def test_a_port_count_on_a_site_with_two_kinds_of_port_is_refused(
    quickstart: chargenet.Scenario,
) -> None:
    with pytest.raises(chargenet.UserError, match="ea-highway has 2 kinds of port"):
        quickstart.with_({"sites.ea-highway.ports": 4})


def test_a_key_that_is_not_there_is_one_line_naming_it(quickstart: chargenet.Scenario) -> None:
    with pytest.raises(chargenet.UserError, match=r"no key 'nonsense'") as raised:
        quickstart.with_(nonsense=1)
    assert "\n" not in str(raised.value)


def test_a_value_the_file_format_refuses_is_one_scenario_error_naming_the_change(
    quickstart: chargenet.Scenario,
) -> None:
    with pytest.raises(chargenet.ScenarioError) as raised:
        quickstart.with_(demand=-1)
    assert str(raised.value) == (
        f"{QUICKSTART} with demand=-1: arrivals.multiplier = -1: Input should be greater than 0"
    )


def test_from_dict_takes_back_what_to_dict_gives(quickstart: chargenet.Scenario) -> None:
    again = chargenet.Scenario.from_dict(quickstart.to_dict())
    assert again.model == quickstart.model


def test_every_shipped_scenario_loads() -> None:
    for path in sorted(SCENARIOS.glob("*.toml")):
        assert chargenet.load(path).name
