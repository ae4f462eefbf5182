from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_system.provisioning_files import (
    ProvisioningError,
    load_id_list,
    load_id_tags,
    load_password_file,
    load_passwords,
)
from central_system.records import IdTag, IdTagStatus


def test_id_tags_load_from_csv_with_an_optional_header_expiry_and_parent(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text(
        "id_tag,status,expiry_date,parent_id_tag\n"
        "A1,Accepted\n"
        "# a comment\n"
        "\n"
        "B1,Blocked,2030-01-01T00:00:00Z\n"
        "C1,Accepted,,FLEET\n"
    )
    assert load_id_tags(path) == (
        IdTag("A1", IdTagStatus.ACCEPTED),
        IdTag("B1", IdTagStatus.BLOCKED, datetime(2030, 1, 1, tzinfo=UTC)),
        IdTag("C1", IdTagStatus.ACCEPTED, None, "FLEET"),
    )


def test_id_tags_load_from_json(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text(
        json.dumps(
            [
                {"id_tag": "A1", "status": "Expired"},
                {"id_tag": "B1", "status": "Invalid", "expiry_date": "2030-01-01T00:00:00"},
            ]
        )
    )
    assert load_id_tags(path) == (
        IdTag("A1", IdTagStatus.EXPIRED),
        IdTag("B1", IdTagStatus.INVALID, datetime(2030, 1, 1, tzinfo=UTC)),
    )


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("tags.csv", "A1,Maybe\n", "status"),
        ("tags.csv", "A1\n", "expected id_tag,status"),
        ("tags.csv", "WAY_TOO_LONG_FOR_AN_ID_TAG,Accepted\n", "1 to 20"),
        ("tags.json", '[{"id_tag": "A1", "status": "Accepted", "colour": "red"}]', "colour"),
        ("tags.json", '{"A1": "Accepted"}', "JSON list"),
        ("tags.json", "[{", "not valid JSON"),
    ],
)
def test_a_bad_id_tags_file_is_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ProvisioningError) as error:
        load_id_tags(path)
    assert needle in str(error.value)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_a_missing_file_is_a_provisioning_error(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError, match="cannot read"):
        load_id_tags(tmp_path / "nope.csv")


def test_passwords_load_from_csv_or_json(tmp_path: Path) -> None:
    csv_path, json_path = tmp_path / "p.csv", tmp_path / "p.json"
    csv_path.write_text("charge_point_id,password\nCP1,one\nCP2,t,w,o\n")
    with pytest.raises(ProvisioningError, match=r"p\.csv:3"):
        load_passwords(csv_path)
    csv_path.write_text("CP1,one\nCP2,two\n")
    json_path.write_text('{"CP1": "one"}')
    assert load_passwords(csv_path) == {"CP1": "one", "CP2": "two"}
    assert load_passwords(json_path) == {"CP1": "one"}


def test_an_id_list_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("CP1\n\n# retired: CP0\n  CP2  \n")
    assert load_id_list(path) == frozenset({"CP1", "CP2"})


def test_an_id_no_charge_point_could_connect_with_is_a_one_line_error(tmp_path: Path) -> None:
    ids, passwords = tmp_path / "ids.txt", tmp_path / "p.json"
    ids.write_text("CP1\nCP\u00e92\n")
    with pytest.raises(ProvisioningError, match=r"ids\.txt:2: .*printable ASCII"):
        load_id_list(ids)
    passwords.write_text(json.dumps({"x" * 49: "pw"}))
    with pytest.raises(ProvisioningError, match=r"p\.json: .*at most 48"):
        load_passwords(passwords)


def test_a_password_file_holds_the_password_on_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "password.txt"
    path.write_text("s3cret with spaces \nignored\n")
    assert load_password_file(path) == "s3cret with spaces "
    path.write_text("\n")
    with pytest.raises(ProvisioningError, match="empty"):
        load_password_file(path)
