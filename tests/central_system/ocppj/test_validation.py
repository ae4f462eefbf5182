"""ocppj.validation: the ocpp package's schemas, compiled, with OCPP error codes per version."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.exceptions import (
    NotImplementedError,
    OccurenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)

from ocppj import OCPP16, OCPP201, is_known_action, validate_request, validate_response
from ocppj.validation import actions, warm_up

BOOT16 = {"chargePointVendor": "V", "chargePointModel": "M"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


def test_valid_payloads_pass_in_both_versions() -> None:
    validate_request(OCPP16, "BootNotification", BOOT16)
    validate_response(
        OCPP16,
        "BootNotification",
        {"status": "Accepted", "currentTime": "2025-01-01T00:00:00Z", "interval": 300},
    )
    validate_request(OCPP201, "BootNotification", BOOT201)
    validate_request(OCPP16, "Heartbeat", {})


@pytest.mark.parametrize(
    ("version", "action", "payload", "error"),
    [
        (OCPP16, "BootNotification", {"chargePointVendor": "V"}, OccurenceConstraintViolationError),
        (OCPP16, "BootNotification", {**BOOT16, "x": 1}, PropertyConstraintViolationError),
        (
            OCPP16,
            "BootNotification",
            {**BOOT16, "chargePointModel": 5},
            TypeConstraintViolationError,
        ),
        (
            OCPP16,
            "BootNotification",
            {**BOOT16, "chargePointModel": "M" * 21},
            TypeConstraintViolationError,
        ),
        (OCPP16, "Reset", {"type": "Gentle"}, PropertyConstraintViolationError),
        (
            OCPP16,
            "MeterValues",
            {"connectorId": 1, "meterValue": []},
            OccurenceConstraintViolationError,
        ),
        (OCPP16, "TransactionEvent", {}, NotImplementedError),
        (OCPP201, "BootNotification", {"reason": "PowerUp"}, OccurenceConstraintViolationError),
        (
            OCPP201,
            "BootNotification",
            {**BOOT201, "reason": "Boredom"},
            PropertyConstraintViolationError,
        ),
        (OCPP201, "StartTransaction", {}, NotImplementedError),
    ],
)
def test_a_schema_failure_raises_the_ocpp_error_for_the_defect(
    version: str, action: str, payload: dict[str, Any], error: type[OCPPError]
) -> None:
    with pytest.raises(error) as raised:
        validate_request(version, action, payload)
    assert raised.value.description
    assert len(raised.value.description) <= 255


def test_the_description_names_the_action_and_the_path() -> None:
    with pytest.raises(OCPPError) as raised:
        validate_request(OCPP16, "StartTransaction", {"connectorId": "1"})
    assert raised.value.description.startswith("StartTransaction request: payload")
    assert raised.value.details["rule"] in {"type", "required"}


@pytest.mark.parametrize(
    ("timestamp", "valid"),
    [
        ("2025-01-01T00:00:00Z", True),
        ("2025-01-01T00:00:00.123+02:00", True),
        ("2025-01-01T00:00:00", True),  # no offset: real chargers send it; read as UTC
        ("2025-01-01", False),
        ("yesterday", False),
        ("2025-13-01T00:00:00Z", False),
    ],
)
def test_date_times_are_checked_leniently_about_the_offset(timestamp: str, valid: bool) -> None:
    payload = {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": timestamp,
    }
    if valid:
        validate_request(OCPP16, "StatusNotification", payload)
    else:
        with pytest.raises(TypeConstraintViolationError):
            validate_request(OCPP16, "StatusNotification", payload)


def test_a_limit_with_one_decimal_is_a_multiple_of_one_tenth_despite_binary_floats() -> None:
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
            },
        },
    }
    validate_request(OCPP16, "SetChargingProfile", profile)
    period = profile["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]  # type: ignore[index]
    period["limit"] = 21.45
    with pytest.raises(PropertyConstraintViolationError):
        validate_request(OCPP16, "SetChargingProfile", profile)


def test_known_actions_come_from_the_schema_files() -> None:
    assert {"BootNotification", "Heartbeat", "Reset", "DataTransfer"} <= actions(OCPP16)
    assert is_known_action(OCPP201, "TransactionEvent")
    assert not is_known_action(OCPP16, "TransactionEvent")
    assert not is_known_action(OCPP16, "../../etc/passwd")


def test_every_schema_of_both_versions_compiles() -> None:
    assert warm_up(OCPP16) == 2 * len(actions(OCPP16))
    assert warm_up(OCPP201) == 2 * len(actions(OCPP201))


def test_an_unsupported_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        validate_request("ocpp1.5", "Heartbeat", {})
