"""The catalogue: every check described, ids well formed and unique, selection by id,
pattern and profile; the tag file the built-in central system reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.check.catalogue import Kind, Profile, catalogue, check, select
from simulator.check.reports.markdown import catalogue_markdown
from simulator.check.tags import load_id_tags
from simulator.errors import UserError


def test_every_check_is_described_and_its_id_well_formed() -> None:
    checks = catalogue()
    assert len({c.id for c in checks}) == len(checks)
    for c in checks:
        assert c.title, c.id
        assert c.clause, c.id
        assert c.sends, c.id
        assert c.expects, c.id
        assert c.id.startswith("RB_") or (c.id.startswith("TC_") and c.id.endswith("_CS"))
    robustness = [c for c in checks if c.kind is Kind.ROBUSTNESS]
    assert len(robustness) >= 15


def test_the_catalogue_lists_octt_cases_first_then_robustness_checks() -> None:
    kinds = [c.kind for c in catalogue()]
    assert kinds == sorted(kinds, key=lambda k: k is Kind.ROBUSTNESS)


def test_only_takes_ids_and_patterns_and_profile_filters() -> None:
    checks = catalogue()
    chosen = [c.id for c in select(checks, ["TC_023_*"])]
    assert chosen == [c.id for c in checks if c.id.startswith("TC_023_")]
    assert {"TC_023_1_CS", "TC_023_2_CS", "TC_023_3_CS"} <= set(chosen)
    assert [c.id for c in select(checks, ["tc_001_cs"])] == ["TC_001_CS"]
    firmware = select(checks, profiles=["firmwaremanagement"])
    assert firmware
    assert {c.profile for c in firmware} == {Profile.FIRMWARE}
    assert select(checks, ["RB_*"], ["Security"]) == [
        c for c in checks if c.id.startswith("RB_") and c.profile is Profile.SECURITY
    ]


def test_an_unknown_id_or_profile_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no check 'TC_999_CS'"):
        select(catalogue(), ["TC_999_CS"])
    with pytest.raises(UserError, match="unknown profile 'Teleport'"):
        select(catalogue(), profiles=["Teleport"])


def test_a_malformed_id_or_a_second_declaration_is_refused() -> None:
    async def body(ctx: object) -> None:
        pass

    with pytest.raises(ValueError, match="ids are"):
        check("CHECK_1", "t", profile=Profile.CORE, clause="c", sends="s", expects="e")
    catalogue()
    with pytest.raises(ValueError, match="declared twice"):
        check("TC_001_CS", "t", profile=Profile.CORE, clause="c", sends="s", expects="e")(body)


def test_the_tag_file_gives_the_first_tag_of_each_status(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text(
        "id_tag,status,expiry_date,parent_id_tag\n# a comment\nA1,Accepted\nA2,Accepted,,P\n"
        "OLD,Accepted,2020-01-01T00:00:00Z,P\nB1,Blocked\nA3,Accepted,,P\n"
    )
    tags = load_id_tags(path)
    assert tags.by_status == {"Accepted": "A1", "Expired": "OLD", "Blocked": "B1"}
    assert tags.siblings == ("A2", "A3", "P")  # the expired one is no sibling
    path.write_text('[{"id_tag": "J1", "status": "Invalid"}]')
    assert load_id_tags(path).by_status == {"Invalid": "J1"}
    assert load_id_tags(path).siblings is None
    path.write_text("lonely\n")
    with pytest.raises(UserError, match="row 1"):
        load_id_tags(path)


def test_docs_checking_holds_the_catalogue_table_as_the_code_declares_it() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "checking.md").read_text("utf-8")
    section = doc[doc.index("## The catalogue") :].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert listed == [c.id for c in catalogue()]
    # `chargenet check --list --markdown` regenerates it
    assert table == catalogue_markdown(catalogue())
