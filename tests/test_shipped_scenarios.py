"""Every shipped scenario validates, runs as a short golden test, and runs the same twice.

Each scenario under scenarios/ (any depth) runs for a couple of simulated days through the real
command line; its summary.json must equal tests/golden/<path>.json byte for byte. When the
engine or a scenario changes on purpose, regenerate the golden files and review the diff:

    CHARGENET_UPDATE_GOLDEN=1 pytest tests/test_shipped_scenarios.py
    git diff tests/golden/
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.commands._common import with_warmup
from simulator.reports.summary import sessions_csv, to_json

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CHARGENET_UPDATE_GOLDEN") == "1"
GOLDEN_DAYS = 2.0  # past the shipped scenarios' one warm-up day; a second or less each

# scenarios/regions/ holds what scenarios extend (a region is not a scenario by itself)
SHIPPED = sorted(
    p.relative_to(SCENARIOS).as_posix()
    for p in SCENARIOS.rglob("*.toml")
    if not p.relative_to(SCENARIOS).as_posix().startswith("regions/")
)
REGION = [
    "walled_gardens.toml",
    "nacs_opening.toml",
    "nissan_evgo.toml",
    "vw_ea_free.toml",
    "vw_ea_allowance.toml",
    "interoperability.toml",
]
# What may differ between the shared-region scenarios: the partnership rules.
NETWORK_RULES = {
    "access",
    "members",
    "open_from_day",
    "price_per_kwh",
    "non_member_price_per_kwh",
    "idle_fee_per_min",
    "idle_grace_min",
    "roaming_fee_per_kwh",
    "roaming_fee_per_session",
}


def golden_path(name: str) -> Path:
    return GOLDEN / (name.removesuffix(".toml").replace("/", "__") + ".json")


def days_for(name: str) -> float:
    scenario = sc.load(SCENARIOS / name)
    return max(GOLDEN_DAYS, scenario.simulation.warmup_days + 1)


def run(name: str, out: Path) -> Path:
    code = cli.main(
        [
            "run",
            str(SCENARIOS / name),
            "--engine",
            "fast",
            "--days",
            str(days_for(name)),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each scenario's short run, made once per test module and shared by the tests below (their
    group in tests/conftest.py keeps them in one test process)."""

    class Lazy(dict[str, Path]):
        def __missing__(self, name: str) -> Path:
            self[name] = run(name, tmp_path_factory.mktemp(name.replace("/", "_")))
            return self[name]

    return Lazy()


def served_by(out: Path) -> Counter[tuple[str, str]]:
    with (out / "sessions.csv").open(encoding="utf-8") as f:
        return Counter(
            (r["brand"], r["network"]) for r in csv.DictReader(f) if r["outcome"] == "served"
        )


def sessions(out: Path) -> list[dict[str, str]]:
    with (out / "sessions.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_scenarios_are_shipped() -> None:
    assert "quickstart.toml" in SHIPPED
    assert set(REGION) <= set(SHIPPED)
    assert any(name.startswith("validation/") for name in SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_validates(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(SCENARIOS / name)]) == 0
    assert "valid scenario" in capsys.readouterr().out


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_matches_its_golden_summary(name: str, outputs: dict[str, Path]) -> None:
    text = (outputs[name] / "summary.json").read_text(encoding="utf-8")
    golden = golden_path(name)
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), (
        f"no golden file {golden.relative_to(ROOT)}: "
        "run CHARGENET_UPDATE_GOLDEN=1 pytest tests/test_shipped_scenarios.py"
    )
    assert text == golden.read_text(encoding="utf-8"), (
        f"{name} no longer gives {golden.relative_to(ROOT)}; if the change is intended, "
        "run CHARGENET_UPDATE_GOLDEN=1 pytest tests/test_shipped_scenarios.py and review the diff"
    )


def test_every_golden_file_belongs_to_a_shipped_scenario() -> None:
    expected = {golden_path(name).name for name in SHIPPED}
    assert {p.name for p in GOLDEN.glob("*.json")} <= expected


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_gives_byte_identical_summaries_twice(
    name: str, outputs: dict[str, Path]
) -> None:
    # the second run in this process, as `chargenet run` computes the files but without its
    # HTML report (matplotlib: about 3 s of CPU a scenario, nine tenths of a run's cost)
    world = sc.world(sc.load(SCENARIOS / name), days=days_for(name))
    records = runner.run_fast(world)
    again = {
        "summary.json": to_json(runner.summarize_world(world, records)),
        "sessions.csv": sessions_csv(records),
    }
    for file, text in again.items():
        assert text.encode() == (outputs[name] / file).read_bytes(), file


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_cites_its_sources_in_comments(name: str) -> None:
    comments = "\n".join(
        line for line in (SCENARIOS / name).read_text(encoding="utf-8").splitlines() if "#" in line
    )
    if name.startswith("validation/"):
        assert "validation.md" in comments
        assert "Exact" in comments
    else:
        assert "*assumption*" in comments
        assert any(
            source in comments
            for source in ("parameters.md", "SimBEV", "NEVI", "23 CFR 680", "Paren", "DOE")
        )


# --- the shared region: one region, only the partnership rules differ --------------------


def _without_rules(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in ("name", "description", "deals"):
        data.pop(key, None)
    data["networks"] = [
        {k: v for k, v in network.items() if k not in NETWORK_RULES and k != "name"}
        for network in data["networks"]
    ]
    return data


def _load(name: str) -> dict[str, Any]:
    return sc.load(SCENARIOS / name).model_dump()


@pytest.mark.parametrize("name", REGION[1:])
def test_a_region_scenario_differs_from_walled_gardens_only_in_partnership_rules(
    name: str,
) -> None:
    base = _load("walled_gardens.toml")
    other = _load(name)
    assert _without_rules(other) == _without_rules(base)
    assert (other["networks"], other["deals"]) != (base["networks"], base["deals"])


def test_the_consortium_is_the_nacs_opening_with_ionna_its_owners_brands_and_an_adapter_cap() -> (
    None
):
    base = _load("nacs_opening.toml")
    consortium = _load("consortium.toml")
    assert [n for n in consortium["networks"] if n["id"] != "ionna"] == base["networks"]
    [ionna] = [n for n in consortium["networks"] if n["id"] == "ionna"]
    assert (ionna["access"], ionna["owners"]) == ("open", ["Hyundai", "Kia"])
    vehicles = {v["id"]: v for v in consortium["vehicles"]}
    owners = [vehicles.pop("hyundai_kona"), vehicles.pop("kia_niro")]
    other = vehicles["other_ccs"]
    assert [v["brand"] for v in owners] == ["Hyundai", "Kia"]
    assert other["share"] + sum(v["share"] for v in owners) == pytest.approx(0.23)
    assert all(
        {k: x for k, x in v.items() if k not in ("id", "brand", "share")}
        == {k: x for k, x in other.items() if k not in ("id", "brand", "share")}
        for v in owners
    )
    assert vehicles["nissan_ariya"]["adapter_kw"] == 50
    vehicles["nissan_ariya"]["adapter_kw"] = None
    vehicles["other_ccs"]["share"] = 0.23
    assert list(vehicles.values()) == base["vehicles"]
    for key in ("simulation", "drivers", "arrivals", "failures", "station_templates"):
        assert consortium[key] == base[key], key


def test_the_shared_region_has_121_ports_and_the_documented_fleet() -> None:
    scenario = sc.load(SCENARIOS / "walled_gardens.toml")
    ports = {
        n.id: sum(site.count * sum(p.count for p in site.ports) for site in n.sites)
        for n in scenario.networks
    }
    assert ports == {"tesla": 72, "ea": 25, "evgo": 24}
    shares: Counter[str] = Counter()
    for v in scenario.vehicles:
        shares[v.id.split("_")[0] if v.brand != "Nissan" else v.id] += v.share
    assert shares == pytest.approx(
        {
            "tesla": 0.55,
            "vw": 0.10,
            "nissan_leaf_40": 0.05,
            "nissan_leaf_e_plus": 0.03,
            "nissan_ariya": 0.04,
            "other": 0.23,
        }
    )
    assert scenario.arrivals.kind == "profile"
    assert scenario.arrivals.sessions_per_day == 670
    assert scenario.failures is not None
    assert (scenario.failures.mtbf_days, scenario.failures.mttr_days) == (30, 0.93)


def test_walled_gardens_keeps_every_other_brand_off_the_tesla_network(
    outputs: dict[str, Path],
) -> None:
    served = served_by(outputs["walled_gardens.toml"])
    assert served[("Tesla", "tesla")] > 0
    assert all(brand == "Tesla" for brand, network in served if network == "tesla")


def test_the_nacs_opening_lets_adapter_carrying_brands_charge_at_tesla_but_not_the_leaf(
    outputs: dict[str, Path],
) -> None:
    rows = sessions(outputs["nacs_opening.toml"])
    at_tesla = [r for r in rows if r["network"] == "tesla" and r["brand"] != "Tesla"]
    assert at_tesla, "nobody but Tesla charged at Tesla after the opening"
    assert all(float(r["arrival_s"]) >= 86_400 for r in at_tesla), "open only from day 1"
    assert not any(r["vehicle"].startswith("nissan_leaf") for r in at_tesla)


def test_nissan_drivers_charge_free_at_evgo_and_nissan_pays(outputs: dict[str, Path]) -> None:
    rows = [r for r in sessions(outputs["nissan_evgo.toml"]) if r["outcome"] == "served"]
    free = [r for r in rows if r["free"] == "1"]
    assert free
    assert all(
        (r["brand"], r["network"], r["paid_by"]) == ("Nissan", "evgo", "Nissan") for r in free
    )
    assert all(float(r["energy_cost"]) == 0 and float(r["settlement"]) > 0 for r in free)
    cap_s = 30 * 60
    assert all(float(r["charge_end_s"]) - float(r["start_s"]) <= cap_s + 1e-6 for r in free)


@pytest.mark.parametrize("name", ["vw_ea_free.toml", "vw_ea_allowance.toml"])
def test_id4_drivers_charge_free_at_electrify_america_and_volkswagen_pays(
    name: str, outputs: dict[str, Path]
) -> None:
    rows = [r for r in sessions(outputs[name]) if r["outcome"] == "served"]
    free = [r for r in rows if r["free"] == "1"]
    assert free
    assert all(
        (r["brand"], r["network"], r["paid_by"]) == ("Volkswagen", "ea", "Volkswagen") for r in free
    )
    base = served_by(outputs["walled_gardens.toml"])
    now = served_by(outputs[name])
    assert now[("Volkswagen", "ea")] > base[("Volkswagen", "ea")]


def test_interoperability_opens_every_network_and_charges_roaming_fees(
    outputs: dict[str, Path],
) -> None:
    rows = [r for r in sessions(outputs["interoperability.toml"]) if r["outcome"] == "served"]
    assert any(r["network"] == "tesla" and r["brand"] != "Tesla" for r in rows)
    roaming = [r for r in rows if float(r["roaming_fee"]) > 0]
    assert roaming
    assert all(r["partner"] == "0" for r in roaming)
    assert not any(float(r["roaming_fee"]) > 0 for r in rows if r["partner"] == "1")


def test_the_consortium_is_open_to_all_and_its_owners_drivers_charge_free_paid_by_their_brand(
    outputs: dict[str, Path],
) -> None:
    rows = [r for r in sessions(outputs["consortium.toml"]) if r["outcome"] == "served"]
    at_ionna = [r for r in rows if r["network"] == "ionna"]
    assert {"Tesla", "Hyundai", "Kia"} <= {r["brand"] for r in at_ionna}
    free = [r for r in at_ionna if r["free"] == "1"]
    assert {r["brand"] for r in free} == {"Hyundai", "Kia"}
    assert all(r["paid_by"] == r["brand"] and float(r["settlement"]) > 0 for r in free)
    assert all(float(r["charge_end_s"]) - float(r["start_s"]) <= 30 * 60 + 1e-6 for r in free)
    assert not any(r["free"] == "1" for r in rows if r["network"] != "ionna")
    summary = json.loads((outputs["consortium.toml"] / "summary.json").read_text("utf-8"))
    assert {(d["brand"], d["min_interval_min"]) for d in summary["perk_fine_print"]} == {
        ("Hyundai", 60.0),
        ("Kia", 60.0),
    }


def test_the_ariya_is_held_to_its_adapters_50_kw_at_tesla_and_nowhere_else(
    outputs: dict[str, Path],
) -> None:
    rows = [r for r in sessions(outputs["consortium.toml"]) if r["outcome"] == "served"]
    capped = [r for r in rows if float(r["adapter_kw"]) > 0]
    assert capped
    assert {(r["vehicle"], r["network"], r["adapter_kw"]) for r in capped} == {
        ("nissan_ariya", "tesla", "50.0")
    }
    assert not any(
        r["vehicle"] == "nissan_ariya" and r["network"] == "tesla"
        for r in rows
        if float(r["adapter_kw"]) == 0
    )


# --- one simulated day: every scenario runs, and a day that is all warm-up is refused --------


def one_day(name: str, out: Path, *engine: str) -> list[str]:
    """`chargenet run NAME --days 1`, with --warmup-days 0 where the file's warm-up would
    leave no window."""
    warmup = sc.load(SCENARIOS / name).simulation.warmup_days
    args = ["run", str(SCENARIOS / name), "--days", "1", "--out", str(out), "--quiet", *engine]
    return [*args, "--warmup-days", "0"] if warmup >= 1 else args


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_runs_for_one_day_from_the_command_line(
    name: str, tmp_path: Path
) -> None:
    assert cli.main(one_day(name, tmp_path, "--engine", "fast")) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    warmup = summary["warmup_days"]
    assert summary["days"] + warmup == 1
    assert warmup < 1
    # one row per arrival, and one more per failed try the driver retried ([attempts])
    rows = [r for r in sessions(tmp_path) if r["outcome"] != "retried"]
    assert summary["totals"]["arrivals"] == len(rows) - sum(
        1 for r in rows if float(r["arrival_s"]) < warmup * 86_400
    )


@pytest.mark.timeout(600)  # 37 s on an idle machine (121 charge points, 34,000 heartbeats)
def test_a_shared_region_scenario_runs_for_one_day_over_ocpp_as_on_the_fast_engine(
    tmp_path: Path,
) -> None:
    name = "nacs_opening.toml"
    assert cli.main(one_day(name, tmp_path / "ocpp")) == 0  # the built-in central system
    # the fast engine in process, on the same window (its HTML report would cost 3 s of CPU)
    world = sc.world(with_warmup(sc.load(SCENARIOS / name), 0.0), days=1.0)
    fast = runner.run_fast(world)
    summary_json = to_json(runner.summarize_world(world, fast))
    assert (tmp_path / "ocpp" / "summary.json").read_bytes() == summary_json.encode()
    assert (tmp_path / "ocpp" / "sessions.csv").read_bytes() == sessions_csv(fast).encode()
    summary = json.loads((tmp_path / "ocpp" / "summary.json").read_text(encoding="utf-8"))
    assert summary["days"] == 1
    assert summary["totals"]["served"] > 0


@pytest.mark.parametrize("name", REGION)
def test_one_day_with_the_default_warm_up_is_refused_in_one_line_before_any_work(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    path = SCENARIOS / name
    # the default engine: an OCPP run would take seconds; the refusal comes first
    assert cli.main(["run", str(path), "--days", "1", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"chargenet: {path}: --days 1 leaves nothing to measure after the warm-up "
        "(warmup_days = 1); give more --days or a shorter --warmup-days\n"
    )
    assert not out.exists()
