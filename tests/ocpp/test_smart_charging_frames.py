"""Smart-charging CALLs the charge point cannot take: a malformed frame gets the CALLERROR
OCPP-J names, and a well-formed one while no model stands behind the charge point is
refused, never an InternalError (the wire alone, a scripted central system on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

from tests.ocpp.helpers import answer_everything, charge_point, running, scripted_csms, wait_for

FAST: dict[str, Any] = {"backoff_initial_s": 0.02, "backoff_max_s": 0.1}
PROFILE: dict[str, Any] = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
    },
}


async def test_malformed_smart_charging_calls_get_the_callerror_ocpp_j_names() -> None:
    async with scripted_csms(answer_everything) as csms:
        client, station = charge_point(csms.url, **FAST)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")

            async def call(action: str, payload: dict[str, Any]) -> Any:
                reply = await csms.call(1, action, payload)
                return reply[2]  # a CALLRESULT's payload, or a CALLERROR's code

            missing = {"connectorId": 0}
            wrong_type = {"connectorId": "zero", "csChargingProfiles": PROFILE}
            bad_value = {
                "connectorId": 0,
                "csChargingProfiles": {**PROFILE, "recurrencyKind": "Monthly"},
            }
            bad_enum = {
                "connectorId": 0,
                "csChargingProfiles": {**PROFILE, "chargingProfilePurpose": "Always"},
            }
            assert await call("SetChargingProfile", missing) == "OccurenceConstraintViolation"
            assert await call("SetChargingProfile", wrong_type) == "TypeConstraintViolation"
            assert await call("SetChargingProfile", bad_value) == "PropertyConstraintViolation"
            assert await call("SetChargingProfile", bad_enum) == "PropertyConstraintViolation"
            assert await call("GetCompositeSchedule", {"connectorId": 1}) == (
                "OccurenceConstraintViolation"
            )
            # well formed, but no model behind this charge point: refused, not an error
            good = {"connectorId": 0, "csChargingProfiles": PROFILE}
            assert await call("SetChargingProfile", good) == {"status": "Rejected"}
            assert await call("ClearChargingProfile", {}) == {"status": "Unknown"}
            composite = {"connectorId": 1, "duration": 60}
            assert await call("GetCompositeSchedule", composite) == {"status": "Rejected"}
