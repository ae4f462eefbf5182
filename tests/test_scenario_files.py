"""Scenario composition: `extends` chains and overlays, what each merge rule does, errors that
name the file that set the bad key, and `validate --print`; the shipped shared-region overlays
give back the data of the six files they replaced (tests/scenarios/old/)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from simulator import cli
from simulator import scenario as sc
from simulator import scenario_files as sf

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
OLD = Path(__file__).resolve().parent / "scenarios" / "old"
REGION = sorted(p.name for p in OLD.glob("*.toml"))
EXIT_USAGE = 2

# A complete region but for its name; overlays below change it.
BASE = """\
[simulation]
days = 2
seed = 7

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
ports = [{ power_kw = 350, connectors = ["CCS1"], count = 2 }]

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

[arrivals]
kind = "constant"
rate_per_h = 4
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def overlay(tmp_path: Path, text: str) -> Path:
    write(tmp_path, "regions/base.toml", BASE)
    return write(tmp_path, "scenario.toml", 'extends = "regions/base.toml"\n' + text)


def composed(tmp_path: Path, text: str) -> dict[str, Any]:
    return sf.read(overlay(tmp_path, text)).data


def refusal(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err.removeprefix("chargenet: ").rstrip("\n")


# --- the merge rules ------------------------------------------------------------------------


def test_an_overlay_entry_with_a_known_id_updates_that_entry_key_by_key(tmp_path: Path) -> None:
    data = composed(tmp_path, 'name = "x"\n[[networks]]\nid = "ea"\nprice_per_kwh = 0.40\n')
    ea = data["networks"][1]
    assert (ea["id"], ea["price_per_kwh"]) == ("ea", 0.40)
    assert ea["sites"][0]["id"] == "ea-site"  # untouched keys of the entry stay
    assert data["networks"][0]["price_per_kwh"] == 0.42


def test_an_overlay_entry_with_a_new_id_is_appended(tmp_path: Path) -> None:
    data = composed(
        tmp_path,
        'name = "x"\n[[networks]]\nid = "evgo"\nprice_per_kwh = 0.55\n'
        '[[networks.sites]]\nid = "evgo-site"\n'
        'ports = [{ power_kw = 100, connectors = ["CCS1"] }]\n',
    )
    assert [n["id"] for n in data["networks"]] == ["tesla", "ea", "evgo"]
    assert sc.load(tmp_path / "scenario.toml").networks[2].sites[0].id == "evgo-site"


def test_lists_by_id_merge_at_any_depth(tmp_path: Path) -> None:
    data = composed(
        tmp_path,
        'name = "x"\n[[networks]]\nid = "tesla"\n[[networks.sites]]\nid = "tesla-site"\n'
        "count = 3\n",
    )
    site = data["networks"][0]["sites"][0]
    assert site["count"] == 3
    assert site["ports"] == [{"power_kw": 250, "connectors": ["NACS"], "count": 4}]


def test_remove_true_takes_an_entry_out(tmp_path: Path) -> None:
    data = composed(
        tmp_path,
        'name = "x"\n[[vehicles]]\nid = "id4"\nremove = true\n'
        '[[vehicles]]\nid = "model_y"\nshare = 1.0\n',
    )
    assert [(v["id"], v["share"]) for v in data["vehicles"]] == [("model_y", 1.0)]
    assert sc.load(tmp_path / "scenario.toml").vehicles[0].share == 1.0


def test_a_list_without_ids_replaces_the_parents_list(tmp_path: Path) -> None:
    data = composed(
        tmp_path,
        'name = "x"\n[[networks]]\nid = "ea"\n[[networks.sites]]\nid = "ea-site"\n'
        'ports = [{ power_kw = 150, connectors = ["CCS1", "CHAdeMO"] }]\n',
    )
    assert data["networks"][1]["sites"][0]["ports"] == [
        {"power_kw": 150, "connectors": ["CCS1", "CHAdeMO"]}
    ]


def test_tables_merge_key_by_key_and_scalars_replace(tmp_path: Path) -> None:
    data = composed(tmp_path, 'name = "x"\n[simulation]\ndays = 5\n[arrivals]\nrate_per_h = 9\n')
    assert data["simulation"] == {"days": 5, "seed": 7}
    assert data["arrivals"] == {"kind": "constant", "rate_per_h": 9}
    assert "extends" not in data


def test_a_chain_of_three_files_lays_each_over_its_parent(tmp_path: Path) -> None:
    write(tmp_path, "a/base.toml", BASE)
    write(tmp_path, "a/mid.toml", 'extends = "base.toml"\nname = "mid"\n[simulation]\ndays = 3\n')
    top = write(tmp_path, "top.toml", 'extends = "a/mid.toml"\n[simulation]\nseed = 9\n')
    result = sf.read(top)
    assert result.data["name"] == "mid"
    assert result.data["simulation"] == {"days": 3, "seed": 9}
    assert [p.name for p in result.files] == ["top.toml", "mid.toml", "base.toml"]
    assert result.file_for(("simulation", "days")).name == "mid.toml"
    assert result.file_for(("simulation", "seed")).name == "top.toml"
    assert result.file_for(("vehicles", 1, "share")).name == "base.toml"


def test_a_merged_scenario_runs_like_the_same_scenario_written_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(tmp_path, 'name = "x"\n[[networks]]\nid = "ea"\nprice_per_kwh = 0.40\n')
    assert cli.main(["validate", str(path), "--print"]) == 0
    printed = write(tmp_path, "printed.toml", capsys.readouterr().out)
    assert sc.load(printed) == sc.load(path)
    assert sc.spec(sc.load(printed)) == sc.spec(sc.load(path))


# --- mistakes: one line naming the file -----------------------------------------------------


def test_a_cycle_is_refused_in_one_line_naming_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\nname = "a"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    line = refusal(["validate", str(a)], capsys)
    assert line == f"{a} -> {tmp_path / 'b.toml'} -> {a}: extends forms a cycle"


def test_a_file_extending_itself_is_a_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.toml", 'extends = "./a.toml"\n')
    assert refusal(["validate", str(a)], capsys).endswith(": extends forms a cycle")


def test_a_missing_parent_names_it_and_the_file_extending_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.toml", 'extends = "gone.toml"\n')
    line = refusal(["validate", str(a)], capsys)
    assert line == f"{tmp_path / 'gone.toml'}: no such file (extended by {a})"


def test_extends_must_be_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.toml", "extends = 3\n")
    assert refusal(["validate", str(a)], capsys) == f"{a}: extends = 3: must be the path of a file"


def test_a_bad_value_in_the_parent_names_the_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "regions/base.toml", BASE.replace("price_per_kwh = 0.56", "price_per_kwh = -1"))
    top = write(tmp_path, "s.toml", 'extends = "regions/base.toml"\nname = "x"\n')
    line = refusal(["validate", str(top)], capsys)
    assert line.startswith(f"{tmp_path / 'regions/base.toml'}: networks[1].price_per_kwh = -1")
    assert line.endswith(f" (extended by {top})")


def test_a_bad_value_in_the_overlay_names_the_overlay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(tmp_path, 'name = "x"\n[[networks]]\nid = "ea"\nprice_per_kwh = -1\n')
    line = refusal(["validate", str(path)], capsys)
    assert line.startswith(f"{path}: networks[1].price_per_kwh = -1: ")


def test_an_unknown_key_in_the_overlay_names_the_overlay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(tmp_path, 'name = "x"\n[simulation]\nsede = 2\n')
    assert refusal(["validate", str(path)], capsys) == f"{path}: simulation.sede: unknown key"


def test_a_check_across_keys_names_the_file_that_broke_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(tmp_path, 'name = "x"\n[[vehicles]]\nid = "id4"\nshare = 0.5\n')
    line = refusal(["validate", str(path)], capsys)
    assert line == f"{path}: vehicles: vehicle shares sum to 1.1, not 1"


def test_removing_an_unknown_id_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(tmp_path, 'name = "x"\n[[vehicles]]\nid = "leaf"\nremove = true\n')
    line = refusal(["validate", str(path)], capsys)
    assert line == f"{path}: vehicles: no entry with id 'leaf' to remove"


def test_a_missing_name_in_a_region_alone_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = write(tmp_path, "region.toml", BASE)
    assert refusal(["validate", str(region)], capsys) == f"{region}: name: required key is missing"


# --- the shipped shared region --------------------------------------------------------------


def test_the_old_region_files_are_kept_as_test_data() -> None:
    assert set(REGION) == {
        "interoperability.toml",
        "nacs_opening.toml",
        "nissan_evgo.toml",
        "vw_ea_allowance.toml",
        "vw_ea_free.toml",
        "walled_gardens.toml",
    }


@pytest.mark.parametrize("name", REGION)
def test_a_shipped_overlay_prints_the_data_of_the_file_it_replaced(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(SCENARIOS / name), "--print"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    old = tomllib.loads((OLD / name).read_text(encoding="utf-8"))
    assert printed == old


@pytest.mark.parametrize("name", REGION)
def test_a_shipped_overlay_is_short_and_extends_the_shared_region(name: str) -> None:
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    assert 'extends = "regions/shared.toml"' in text
    assert len(text.splitlines()) <= 40
    assert sf.read(SCENARIOS / name).files[1] == SCENARIOS / "regions" / "shared.toml"


def test_the_shared_region_cites_its_sources_and_marks_its_assumptions() -> None:
    text = (SCENARIOS / "regions" / "shared.toml").read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if "#" in line)
    assert "*assumption*" in comments
    assert all(source in comments for source in ("parameters.md", "SimBEV", "23 CFR 680"))
    assert "name" not in tomllib.loads(text)  # a region, not a scenario
