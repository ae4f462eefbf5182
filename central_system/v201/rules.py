"""The 2.0.1 semantic rules: schema-valid numbers no charging station can mean (the schemas
bound none of these). Each raises `central_system.semantics.Implausible`, which the session
answers with PropertyConstraintViolation, storing nothing."""

from __future__ import annotations

from typing import Final, overload

from central_system.semantics import MAX_CONNECTOR_ID, Implausible

__all__ = [
    "MAX_INTEGER",
    "check_evse",
    "check_phases",
    "count",
]

#: What SQLite stores as an integer.
MAX_INTEGER: Final = 2**63 - 1


@overload
def count(field: str, value: int) -> int: ...
@overload
def count(field: str, value: int | None) -> int | None: ...
def count(field: str, value: int | None) -> int | None:
    """seqNo, requestId, cableMaxCurrent, ...: 0 to MAX_INTEGER, as an int (the schemas'
    "integer" also lets a whole float such as 1e308 through)."""
    if value is None:
        return None
    if not 0 <= value <= MAX_INTEGER:
        raise Implausible(field, f"{value} is not 0 to {MAX_INTEGER}")
    return int(value)


def check_evse(
    field: str, evse_id: int | None, connector_id: int | None, *, lowest_evse: int
) -> None:
    """EVSEs are numbered from 1 (0: the station as a whole, or its main meter, where
    `lowest_evse` allows it), connectors from 1 per EVSE; both at most MAX_CONNECTOR_ID."""
    if evse_id is not None and not lowest_evse <= evse_id <= MAX_CONNECTOR_ID:
        raise Implausible(field, f"EVSE {evse_id} is not {lowest_evse} to {MAX_CONNECTOR_ID}")
    if connector_id is not None and not 1 <= connector_id <= MAX_CONNECTOR_ID:
        raise Implausible(field, f"connector {connector_id} is not 1 to {MAX_CONNECTOR_ID}")


def check_phases(value: int | None) -> None:
    if value is not None and not 0 <= value <= 3:
        raise Implausible("numberOfPhasesUsed", f"{value} is not 0 to 3")
