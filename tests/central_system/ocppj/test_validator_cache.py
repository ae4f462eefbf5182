"""ocppj.validator_cache: compiled validators kept on disk give the verdicts of a fresh compile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from ocpp.exceptions import OCPPError

from ocppj import OCPP16, OCPP201, validate_request, validate_response, validator_cache
from ocppj import validation as v

PROBES: list[Any] = [
    {},
    {"unexpected": 1},
    [],
    "text",
    {"connectorId": -1, "timestamp": "yesterday", "status": "Nope", "idTag": "x" * 30},
    {"reason": "PowerUp", "chargingStation": {"model": 5, "vendorName": "V"}},
    # formats: a valid payload but for its date-time, and the same valid
    {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "yesterday"},
    {"currentTime": "yesterday"},
    {"currentTime": "2025-01-01T00:00:00Z"},
]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A process that has compiled nothing yet, with its cache in tmp_path."""
    monkeypatch.setattr(v, "_validators", {})
    monkeypatch.setattr(v, "_disk_tried", set())
    monkeypatch.setattr(v, "_checks", {})
    monkeypatch.setenv("CHARGENET_CACHE_DIR", str(tmp_path))
    return tmp_path


def _outcome(validator: Any, payload: Any) -> tuple[str, str, str] | None:
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message, str(exc.name), str(exc.rule)
    return None


@pytest.mark.usefixtures("fresh")
@pytest.mark.parametrize("version", [OCPP16, OCPP201])
def test_every_cached_validator_judges_as_a_fresh_fastjsonschema_compile(version: str) -> None:
    v.warm_up(version)  # compiles and writes the cache
    loaded = validator_cache.load(version, v._schema_texts(version))
    assert loaded is not None
    for action in v.actions(version):
        for response in (False, True):
            name = v._file_name(version, action, response)
            text = v._schema_dir(version).joinpath(name).read_text(encoding="utf-8-sig")
            stock = fastjsonschema.compile(
                json.loads(text), formats={"date-time": v._is_date_time}, use_default=False
            )
            cached = v._validator(loaded[name])
            for payload in PROBES:
                assert _outcome(cached, payload) == _outcome(stock, payload), (name, payload)


def test_a_later_process_loads_the_validators_without_compiling(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v.warm_up(OCPP16)
    assert len(list(fresh.glob("validators-ocpp1.6-*.marshal"))) == 1
    monkeypatch.setattr(v, "_validators", {})
    monkeypatch.setattr(v, "_disk_tried", set())
    monkeypatch.setattr(v, "_checks", {})

    def no_compiling(*_: object) -> None:
        raise AssertionError("compiled although the cache holds it")

    monkeypatch.setattr(v, "_code", no_compiling)
    validate_request(OCPP16, "Heartbeat", {})
    validate_response(OCPP16, "Heartbeat", {"currentTime": "2025-01-01T00:00:00Z"})
    with pytest.raises(OCPPError):
        validate_request(OCPP16, "BootNotification", {"chargePointVendor": "V"})


def test_a_corrupt_cache_file_is_compiled_anew_and_replaced(fresh: Path) -> None:
    v.warm_up(OCPP16)
    (path,) = fresh.glob("validators-ocpp1.6-*.marshal")
    path.write_bytes(b"not marshal at all")
    v._validators.clear()
    v._disk_tried.clear()
    v._checks.clear()
    with pytest.raises(OCPPError):
        validate_request(OCPP16, "BootNotification", {"chargePointVendor": "V"})
    assert validator_cache.load(OCPP16, v._schema_texts(OCPP16)) is not None


@pytest.mark.usefixtures("fresh")
def test_a_changed_schema_file_is_a_different_cache_entry() -> None:
    texts = v._schema_texts(OCPP16)
    assert validator_cache.store(OCPP16, texts, {})
    changed = [(name, text + " ") for name, text in texts]
    assert validator_cache.load(OCPP16, changed) is None
    assert validator_cache.load(OCPP16, texts) == {}


def test_with_the_cache_off_nothing_is_written_and_validation_still_works(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARGENET_CACHE_DIR", "off")
    assert validator_cache.cache_dir() is None
    validate_request(OCPP16, "Heartbeat", {})
    with pytest.raises(OCPPError):
        validate_request(OCPP16, "BootNotification", {"chargePointVendor": "V"})
    assert list(fresh.iterdir()) == []
    assert len(v._validators) == 2  # compiled one by one, on first use


def test_an_unwritable_cache_falls_back_to_compiling_on_first_use(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(v, "_writable", lambda _: False)
    validate_request(OCPP16, "Heartbeat", {})
    assert list(fresh.iterdir()) == []
    assert list(v._validators) == [(OCPP16, "Heartbeat", False)]
