"""The scenario format: a user's mistake ends in one line naming the key path and the value,
exit code 2, no traceback, nothing written; and the schema's defaults and site templates."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from simulator import cli
from simulator import scenario as sc
from simulator.model import world as mw
from simulator.model.world import DAY_S

EXIT_USAGE = 2

# A small, complete, valid scenario; each bad case below changes one thing in it.
GOOD = """\
name = "two sites"

[simulation]
days = 1

[[networks]]
id = "tesla"
access = "members_only"
members = ["Tesla"]
price_per_kwh = 0.42

[[networks.sites]]
id = "tesla-site"
ports = [{ power_kw = 250, connectors = ["NACS"], count = 4 }]

[[networks]]
id = "ea"
price_per_kwh = 0.56

[[networks.sites]]
id = "ea-site"
ports = [
  { power_kw = 350, connectors = ["CCS1"], count = 2 },
  { power_kw = 150, connectors = ["CCS1", "CHAdeMO"] },
]

[[vehicles]]
id = "model_y"
brand = "Tesla"
share = 0.6
battery_kwh = 75
peak_kw = 250
connectors = ["NACS"]

[[vehicles]]
id = "id4"
brand = "Volkswagen"
share = 0.4
battery_kwh = 77
peak_kw = 135
connectors = ["CCS1"]

[drivers]
idle_min = { dist = "exponential", mean = 5 }

[arrivals]
kind = "constant"
rate_per_h = 4
"""


def edited(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, f"{old!r} must occur once in GOOD"
    return GOOD.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(args)
    except SystemExit as e:  # argparse's errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- bad files through the real command line ---------------------------------------------

BAD_FILES = {
    "an unknown key": (
        edited("days = 1", "days = 1\nsede = 2"),
        "simulation.sede: unknown key",
    ),
    "a wrong type": (
        edited("rate_per_h = 4", 'rate_per_h = "four"'),
        "arrivals.rate_per_h = 'four': Input should be a valid number",
    ),
    "shares that do not sum to 1": (
        edited("share = 0.4", "share = 0.5"),
        "vehicles: vehicle shares sum to 1.1, not 1",
    ),
    "failure probabilities that sum to more than 1": (
        edited("[arrivals]", "[attempts]\nhandshake = 0.7\npayment = 0.5\n\n[arrivals]"),
        "attempts: failure probabilities sum to 1.2, more than 1",
    ),
    "a negative power": (
        edited("{ power_kw = 350,", "{ power_kw = -350,"),
        "networks[1].sites[0].ports[0].power_kw = -350: Input should be greater than 0",
    ),
    "a vehicle that can use no site": (
        edited(
            'peak_kw = 135\nconnectors = ["CCS1"]',
            'peak_kw = 135\nconnectors = ["NACS"]',
        ),
        "vehicles[1]: vehicle 'id4' can use no site",
    ),
    "an unknown distribution": (
        edited('{ dist = "exponential", mean = 5 }', '{ dist = "weibull", mean = 5 }'),
        "drivers.idle_min.dist = 'weibull': Input tag 'weibull' found using "
        "'dist' does not match any of the expected tags: 'fixed', 'uniform', 'exponential', "
        "'normal', 'lognormal'",
    ),
    "a missing required key": (
        GOOD.split("[arrivals]")[0],
        "arrivals: required key is missing",
    ),
    "invalid TOML": (
        edited("days = 1", "days = = 1"),
        "not valid TOML: Invalid value (at line 4, column 8)",
    ),
    "a uniform whose high is below its low": (
        edited(
            "[drivers]\n",
            '[drivers]\narrival_soc = { dist = "uniform", low = 0.5, high = 0.4 }\n',
        ),
        "drivers.arrival_soc: high 0.4 is below low 0.5",
    ),
    "a queue limit below the site's ports": (
        edited('id = "ea-site"', 'id = "ea-site"\nqueue_limit = 2'),
        "networks[1].sites[0]: queue_limit 2 is below the 3 ports",
    ),
    "a deal with an unknown network": (
        GOOD + '\n[[deals]]\nbrand = "Volkswagen"\nnetwork = "evgo"\nperk = "complimentary"\n',
        "deals[0].network = 'evgo': no such network",
    ),
    "a member-price deal without a price": (
        GOOD + '\n[[deals]]\nbrand = "Volkswagen"\nnetwork = "ea"\nperk = "member_price"\n',
        "deals[0]: a member_price deal needs price_per_kwh",
    ),
    # the keys of the consortium, adapter caps and perk fine print (issue 12)
    "an adapter cap without adapter connectors": (
        edited(
            'peak_kw = 135\nconnectors = ["CCS1"]',
            'peak_kw = 135\nconnectors = ["CCS1"]\nadapter_kw = 50',
        ),
        "vehicles[1]: adapter_kw needs adapter_connectors",
    ),
    "an adapter cap of zero": (
        edited(
            'peak_kw = 135\nconnectors = ["CCS1"]',
            'peak_kw = 135\nconnectors = ["CCS1"]\nadapter_connectors = ["NACS"]\nadapter_kw = 0',
        ),
        "vehicles[1].adapter_kw = 0: Input should be greater than 0",
    ),
    "fine print on a perk that is not complimentary": (
        GOOD
        + '\n[[deals]]\nbrand = "Volkswagen"\nnetwork = "ea"\nperk = "member_price"\n'
        + "price_per_kwh = 0.4\nmin_interval_min = 60\n",
        "deals[0]: min_interval_min only applies to a complimentary deal",
    ),
    "a negative minimum interval": (
        GOOD
        + '\n[[deals]]\nbrand = "Volkswagen"\nnetwork = "ea"\nperk = "complimentary"\n'
        + "min_interval_min = -5\n",
        "deals[0].min_interval_min = -5: Input should be greater than 0",
    ),
    "an owner with no vehicle of its brand": (
        edited('id = "ea"\n', 'id = "ea"\nowners = ["Volkswagen", "Hyundai"]\n'),
        "networks[1].owners[1] = 'Hyundai': no vehicle of this brand",
    ),
    "an owner deal without owners": (
        edited('id = "ea"\n', 'id = "ea"\nowner_deal = { perk = "complimentary" }\n'),
        "networks[1]: owner_deal needs owners",
    ),
    "an owner named twice": (
        edited('id = "ea"\n', 'id = "ea"\nowners = ["Volkswagen", "Volkswagen"]\n'),
        "networks[1]: owners names a brand twice: ['Volkswagen', 'Volkswagen']",
    ),
    "an owner deal with an unknown key": (
        edited(
            'id = "ea"\n',
            'id = "ea"\nowners = ["Volkswagen"]\n'
            'owner_deal = { perk = "complimentary", brand = "X" }\n',
        ),
        "networks[1].owner_deal.brand: unknown key",
    ),
    "an owner with an owner deal and a deal of its own": (
        edited(
            'id = "ea"\n',
            'id = "ea"\nowners = ["Volkswagen"]\nowner_deal = { perk = "complimentary" }\n',
        )
        + '\n[[deals]]\nbrand = "Volkswagen"\nnetwork = "ea"\nperk = "complimentary"\n',
        "networks[1].owners[0] = 'Volkswagen': "
        "has owner_deal and a [[deals]] entry at this network",
    ),
    # validation gaps of issue 12: each passed validate (or crashed run) before
    "a start that is not a timestamp": (
        edited("days = 1", 'days = 1\nstart = "next monday"'),
        "simulation.start = 'next monday': not an ISO 8601 timestamp such as 2025-01-06T00:00:00Z",
    ),
    "a start that is a TOML time of day": (
        edited("days = 1", "days = 1\nstart = 07:32:00"),
        "simulation.start = 07:32:00: a time of day is not a timestamp; "
        "expected e.g. 2025-01-06T00:00:00Z",
    ),
    "a number written as a string": (
        GOOD + '\n[failures]\nmtbf_days = "20"\nmttr_days = 1\n',
        "failures.mtbf_days = '20': Input should be a valid number",
    ),
    "a whole number written as a string": (
        edited("days = 1", 'days = 1\nseed = "3"'),
        "simulation.seed = '3': Input should be a valid integer",
    ),
    "a boolean for a number": (
        edited("days = 1", "days = true"),
        "simulation.days = true: Input should be a valid number",
    ),
    "a fraction for a count": (
        edited("count = 4 }", "count = 4.5 }"),
        "networks[0].sites[0].ports[0].count = 4.5: Input should be a valid integer",
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD_FILES), ids=lambda c: c.replace(" ", "-"))
def test_a_bad_scenario_file_ends_in_its_exact_one_line_message_with_exit_code_2(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = BAD_FILES[case]
    path = write(tmp_path, text)
    out_dir = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out_dir)] if command == "run" else [])
    code, out, err = run_cli(args, capsys)
    assert code == EXIT_USAGE
    assert err == f"chargenet: {path}: {message}\n"
    assert out == ""
    assert not out_dir.exists(), "a bad scenario must write nothing"


def test_a_missing_file_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nowhere.toml"
    code, out, err = run_cli(["run", str(path), "--out", str(tmp_path / "out")], capsys)
    assert (code, out, err) == (EXIT_USAGE, "", f"chargenet: {path}: no such file\n")
    assert not (tmp_path / "out").exists()


def test_a_bad_file_in_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, edited("{ power_kw = 350,", "{ power_kw = -350,"))
    out_dir = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(path), "--out", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_USAGE
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"chargenet: {path}: networks[1].sites[0].ports[0].power_kw = -350: "
        "Input should be greater than 0"
    ]
    assert not out_dir.exists()


# The issue asks every bad input to name the key path and the value, cross-field checks too.
@pytest.mark.parametrize(
    ("case", "path"),
    [
        ("shares that do not sum to 1", "vehicles"),
        ("a vehicle that can use no site", "vehicles[1]"),
        ("a deal with an unknown network", "deals[0].network"),
    ],
)
def test_a_cross_field_mistake_names_its_key_path(case: str, path: str, tmp_path: Path) -> None:
    with pytest.raises(sc.ScenarioError) as e:
        sc.load(write(tmp_path, BAD_FILES[case][0]))
    assert f": {path}" in str(e.value)


def test_a_misspelt_key_is_reported_as_unknown_rather_than_its_twin_as_missing(
    tmp_path: Path,
) -> None:
    text = edited("{ power_kw = 250, connectors", "{ power_kw = 250, conectors")
    with pytest.raises(sc.ScenarioError) as e:
        sc.load(write(tmp_path, text))
    assert str(e.value).endswith("networks[0].sites[0].ports[0].conectors: unknown key")


# --- the schema -----------------------------------------------------------------------------


def test_the_good_example_is_valid() -> None:
    scenario = sc.parse(tomllib.loads(GOOD))
    assert scenario.name == "two sites"
    assert [n.id for n in scenario.networks] == ["tesla", "ea"]


def test_defaults_fill_every_optional_key() -> None:
    minimal = {
        "name": "minimal",
        "networks": [
            {"id": "n", "sites": [{"id": "s", "ports": [{"power_kw": 50, "connectors": ["CCS1"]}]}]}
        ],
        "vehicles": [
            {
                "id": "v",
                "brand": "b",
                "share": 1.0,
                "battery_kwh": 60,
                "peak_kw": 100,
                "connectors": ["CCS1"],
            }
        ],
        "arrivals": {"kind": "constant", "rate_per_h": 1},
    }
    s = sc.parse(minimal)
    assert (s.simulation.days, s.simulation.seed, s.simulation.warmup_days) == (7.0, 1, 0.0)
    assert s.simulation.start == "2025-01-06T00:00:00Z"
    network = s.networks[0]
    assert (network.access, network.members, network.open_from_day) == ("open", [], None)
    assert network.price_per_kwh == 0.0
    assert network.non_member_price_per_kwh is None
    port = network.sites[0].ports[0]
    assert port.count == 1
    assert network.sites[0].count == 1
    assert network.sites[0].queue_limit is None
    vehicle = s.vehicles[0]
    assert vehicle.adapter_share == 0.0
    assert vehicle.adapter_connectors == []
    assert vehicle.curve == sc.TwoStageCurve(kind="two_stage", knee_soc=0.8)
    d = s.drivers
    assert d.population == 10_000
    assert d.arrival_soc == sc.Uniform(dist="uniform", low=0.1, high=0.4)
    assert d.target_soc == sc.Uniform(dist="uniform", low=0.8, high=0.95)
    assert d.idle_min == sc.Fixed(dist="fixed", value=0.0)
    assert d.energy_kwh is None
    assert d.patience_min is None
    assert d.balk_wait_min is None
    assert d.balk_queue_length is None
    c = d.choice
    assert (c.rule, c.candidates, c.site_spacing_km) == ("logit", None, 10.0)
    assert (c.price_weight, c.wait_weight, c.power_weight) == (-0.05, -0.1, 0.01)
    assert (c.perk_weight, c.size_weight, c.detour_weight) == (1.0, 0.5, -0.05)
    assert s.deals == []
    assert s.failures is None


def test_a_deal_defaults_to_every_driver_settled_at_the_list_price() -> None:
    deal = sc.DealSpec(brand="Nissan", network="evgo", perk="complimentary")
    assert deal.eligible_share == 1.0
    assert deal.settlement == "list_price"
    assert deal.session_cap_min is None
    assert deal.paid_by == ""


def test_a_site_template_expands_into_numbered_sites_placed_round_robin_by_network() -> None:
    s = sc.parse(tomllib.loads(edited('id = "tesla-site"', 'id = "tesla"\ncount = 3')))
    world = sc.world(s)
    assert [site.id for site in world.sites] == ["tesla-1", "ea-site", "tesla-2", "tesla-3"]
    assert [site.network for site in world.sites] == ["tesla", "ea", "tesla", "tesla"]
    assert [site.position for site in world.sites] == [0, 1, 2, 3]
    assert [p.id for p in world.sites[2].ports] == [f"tesla-2-0{i}" for i in range(1, 5)]
    assert len(world.ports) == 3 * 4 + 3
    assert world.network("tesla").sites == ("tesla-1", "tesla-2", "tesla-3")
    combined = world.sites[1].ports[2]
    assert combined.connectors == ("CCS1", "CHAdeMO")
    assert combined.power_kw == 150


def _leaves(value: object) -> list[object]:
    """Every value inside a spec, dataclasses and containers opened up."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        assert type(value).__dataclass_params__.frozen, type(value)  # type: ignore[attr-defined]
        return [
            value,
            *(x for f in dataclasses.fields(value) for x in _leaves(getattr(value, f.name))),
        ]
    if isinstance(value, tuple | list | frozenset | set):
        return [value, *(x for item in value for x in _leaves(item))]
    return [value]


def test_the_spec_holds_only_plain_frozen_values_and_builds_the_scenarios_world() -> None:
    s = sc.parse(tomllib.loads(edited('id = "tesla-site"', 'id = "tesla"\ncount = 3')))
    spec = sc.spec(s)
    leaves = _leaves(spec)
    assert not [x for x in leaves if isinstance(x, BaseModel)]
    assert not [x for x in leaves if isinstance(x, list | dict | set)]  # nothing mutable
    assert mw.build(spec) == sc.world(s)
    assert mw.build(spec, days=2, seed=5) == sc.world(s, days=2, seed=5)


def test_a_start_without_a_zone_is_utc_and_one_with_a_zone_is_converted_to_utc() -> None:
    naive = sc.spec(
        sc.parse(tomllib.loads(GOOD.replace("days = 1", 'days = 1\nstart = "2025-01-06T00:00:00"')))
    )
    zoned = sc.spec(
        sc.parse(
            tomllib.loads(GOOD.replace("days = 1", 'days = 1\nstart = "2025-01-06T01:00:00+01:00"'))
        )
    )
    assert str(naive.start) == str(zoned.start) == "2025-01-06 00:00:00+00:00"


@pytest.mark.parametrize(
    ("start", "utc"),
    [
        ("2025-01-06T00:00:00Z", "2025-01-06 00:00:00+00:00"),
        ("2025-01-06T08:30:00", "2025-01-06 08:30:00+00:00"),
        ("2025-01-06T01:00:00+01:00", "2025-01-06 00:00:00+00:00"),
        ("2025-01-06", "2025-01-06 00:00:00+00:00"),
    ],
    ids=["offset date-time", "local date-time", "date-time with an offset", "local date"],
)
def test_a_native_toml_date_time_or_date_is_a_start(start: str, utc: str) -> None:
    text = GOOD.replace("days = 1", f"days = 1\nstart = {start}")  # unquoted: TOML's own type
    parsed = sc.parse(tomllib.loads(text))
    assert str(sc.spec(parsed).start) == utc
    assert isinstance(parsed.simulation.start, str)  # the document keeps a timestamp's text
    assert sc.parse(parsed.model_dump()) == parsed


def test_strict_types_still_take_a_whole_number_where_a_float_is_meant() -> None:
    s = sc.parse(tomllib.loads(GOOD))
    assert s.networks[0].sites[0].ports[0].power_kw == 250.0
    assert isinstance(s.networks[0].sites[0].ports[0].power_kw, int | float)


def test_every_shipped_scenario_validates_under_strict_types() -> None:
    root = Path(__file__).resolve().parent.parent / "scenarios"
    # scenarios/regions/ holds what overlays extend: not scenarios by themselves
    paths = sorted(p for p in root.rglob("*.toml") if "regions" not in p.relative_to(root).parts)
    assert len(paths) >= 15
    for path in paths:
        assert sc.load(path).name
    region = sc.compose(root / "regions" / "shared.toml").data  # strict types there too
    assert sc.parse({**region, "name": "the shared region"}).networks


def test_validate_checks_every_file_given_and_says_which_are_not_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, GOOD)
    bad = tmp_path / "bad.toml"
    bad.write_text(edited("days = 1", 'days = 1\nstart = "next monday"'), encoding="utf-8")
    missing = tmp_path / "missing.toml"
    code, out, err = run_cli(["validate", str(bad), str(good), str(missing)], capsys)
    assert code == EXIT_USAGE
    assert out == f"{good}: valid scenario 'two sites'\n"
    assert err.splitlines() == [
        f"chargenet: {bad}: simulation.start = 'next monday': not an ISO 8601 timestamp such as "
        "2025-01-06T00:00:00Z",
        f"chargenet: {missing}: no such file",
        "chargenet: 2 of 3 files are not valid",
    ]
    code, out, _ = run_cli(["validate", str(good), str(good)], capsys)
    assert (code, out.count("valid scenario")) == (0, 2)


def test_flags_override_the_files_days_and_seed() -> None:
    s = sc.parse(tomllib.loads(GOOD))
    assert sc.world(s).horizon_s == 1 * DAY_S
    assert sc.world(s).seed == 1
    world = sc.world(s, days=3.5, seed=9)
    assert (world.horizon_s, world.seed) == (3.5 * DAY_S, 9)


def test_profile_arrivals_spread_sessions_per_day_over_the_hours_by_weight() -> None:
    weights = [0.0] * 24
    weights[8], weights[18] = 1.0, 3.0
    text = edited(
        'kind = "constant"\nrate_per_h = 4',
        f'kind = "profile"\nsessions_per_day = 100\nweekday = {weights}\nweekend_factor = 0.5',
    )
    world = sc.world(sc.parse(tomllib.loads(text)))
    assert world.arrivals.hourly_weekday_per_h[8] == pytest.approx(25)
    assert world.arrivals.hourly_weekday_per_h[18] == pytest.approx(75)
    assert sum(world.arrivals.hourly_weekend_per_h) == pytest.approx(50)


def test_a_flat_curve_charges_at_full_power_with_no_battery_bound() -> None:
    text = edited(
        'connectors = ["CCS1"]\n\n[drivers]',
        'connectors = ["CCS1"]\ncurve = { kind = "flat" }\n\n[drivers]',
    )
    vehicle = sc.world(sc.parse(tomllib.loads(text))).vehicles[1]
    assert vehicle.curve.is_flat
    assert math.isinf(vehicle.curve.max_soc)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("simulation.days", 0),
        ("arrivals.rate_per_h", -1),
        ("drivers.balk_wait_min", -5),
        ("vehicles[0].adapter_share", 1.5),
    ],
)
def test_out_of_range_numbers_are_refused_with_their_path(key: str, value: float) -> None:
    data = tomllib.loads(GOOD)
    node: object = data
    parts = key.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})  # type: ignore[index]
    node[parts[-1]] = value  # type: ignore[index]
    with pytest.raises(sc.ScenarioError) as e:
        sc.parse(data)
    assert str(e.value).startswith(f"scenario: {key} = {value}: ")


def test_an_adapter_share_without_adapter_connectors_is_refused() -> None:
    text = edited(
        'connectors = ["CCS1"]\n\n[drivers]',
        'connectors = ["CCS1"]\nadapter_share = 0.3\n\n[drivers]',
    )
    with pytest.raises(sc.ScenarioError, match="adapter_share > 0 needs adapter_connectors"):
        sc.parse(tomllib.loads(text))


def test_an_opening_day_on_an_open_network_is_refused() -> None:
    text = edited('id = "ea"\n', 'id = "ea"\nopen_from_day = 3\n')
    with pytest.raises(sc.ScenarioError, match="open_from_day only applies to a members_only"):
        sc.parse(tomllib.loads(text))


def test_an_adapter_lets_a_car_that_fits_no_socket_use_a_site() -> None:
    text = edited(
        'peak_kw = 135\nconnectors = ["CCS1"]',
        'peak_kw = 135\nconnectors = ["CHAdeMO"]\n'
        'adapter_share = 0.1\nadapter_connectors = ["CCS1"]',
    )
    text = text.replace('connectors = ["CCS1", "CHAdeMO"]', 'connectors = ["CCS1"]')
    assert sc.parse(tomllib.loads(text)).vehicles[1].adapter_share == 0.1


def test_an_owner_deal_becomes_one_deal_per_owner_each_paid_by_its_owner() -> None:
    text = edited(
        'id = "ea"\n',
        'id = "ea"\nowners = ["Volkswagen", "Tesla"]\n'
        'owner_deal = { perk = "complimentary", session_cap_min = 30, min_interval_min = 60 }\n',
    )
    deals = sc.spec(sc.parse(tomllib.loads(text))).deals
    assert [(d.brand, d.network, d.paid_by) for d in deals] == [
        ("Volkswagen", "ea", "Volkswagen"),
        ("Tesla", "ea", "Tesla"),
    ]
    assert {(d.perk, d.session_cap_s, d.min_interval_s) for d in deals} == {
        ("complimentary", 1800.0, 3600.0)
    }


def test_an_adapter_cap_reaches_the_models_vehicle() -> None:
    text = edited(
        'peak_kw = 135\nconnectors = ["CCS1"]',
        'peak_kw = 135\nconnectors = ["CCS1"]\nadapter_share = 0.2\n'
        'adapter_connectors = ["NACS"]\nadapter_kw = 50',
    )
    vehicles = sc.spec(sc.parse(tomllib.loads(text))).vehicles
    assert [v.adapter_kw for v in vehicles] == [None, 50.0]
