"""Semantic rules on top of the schema: values a schema-valid message may carry but no charge
point can mean (pure functions; the session turns `Implausible` into a CALLERROR).

OCPP-J 1.6 §4.2.3 names the error for them: "PropertyConstraintViolation: Payload is
syntactically correct but at least one field contains an invalid value". A stop is the
exception: §4.10 "The Central System cannot prevent a transaction from stopping", so a stop
whose values contradict its transaction is accepted and flagged (`stop_flag`), not refused.

The rules:
- integers fit SQLite's signed 64 bits; a connector is never negative, and is > 0 where a
  transaction runs on it (StartTransaction.req: "connectorId > 0"); meterStart is >= 0;
- a connector exists: once a charge point has reported connectors in StatusNotification, its
  connectors are those it reported (connector 0 is the charge point itself); before any report,
  any id up to `MAX_CONNECTOR_ID`, which also bounds what a StatusNotification may introduce;
- timestamps lie in 1970..2099 (`timestamps.EARLIEST`, `LATEST`);
- a Raw sampled value is a finite decimal number (1.6 §7.45 ValueFormat Raw: "integer/decimal
  numeric data"), and a register (`*.Register`) is not negative; SignedData is not checked;
- MeterValues for a transaction name one of this charge point's transactions on that connector,
  and the energy register (Energy.Active.Import.Register, phase unset, the reading
  `chargenet report` uses) never goes below meterStart nor backwards in time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from central_system.records import MeterSample, StopFlag, Transaction, TransactionStop
from central_system.timestamps import TimestampError, parse_timestamp

__all__ = [
    "ENERGY_REGISTER",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_CONNECTOR_ID",
    "Implausible",
    "check_connector",
    "check_integers",
    "check_meter_start",
    "check_register",
    "check_reported_connector",
    "check_sample",
    "check_transaction_reference",
    "optional_timestamp",
    "register_wh",
    "stop_flag",
    "timestamp",
]

#: The highest connector id a charge point may report (no charger has more outlets).
MAX_CONNECTOR_ID: Final = 100
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
ENERGY_REGISTER: Final = "Energy.Active.Import.Register"

_DECIMAL: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WH_PER_UNIT: Final = {"Wh": 1.0, "kWh": 1000.0}


class Implausible(ValueError):
    """A schema-valid value that no charge point can mean; `field` names it (wire name)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _plausible_numbers(payload: Any) -> bool:
    """Whether check_integers passes, without building a path per value (it runs on every
    message; the paths are only needed for the refusal)."""
    kind = type(payload)
    if kind is str or kind is bool or payload is None:
        return True
    if kind is int:
        return bool(INT64_MIN <= payload <= INT64_MAX)
    if kind is float:
        return math.isfinite(payload)
    if kind is dict:
        return all(_plausible_numbers(value) for value in payload.values())
    if kind is list:
        return all(_plausible_numbers(value) for value in payload)
    return False  # anything else: the full check decides


def check_integers(payload: Any, path: str = "payload") -> None:
    """Every integer in `payload` fits a signed 64-bit integer (what SQLite stores)."""
    if _plausible_numbers(payload):
        return
    _check_integers(payload, path)


def _check_integers(payload: Any, path: str) -> None:
    if isinstance(payload, bool):
        return
    if isinstance(payload, int):
        if not INT64_MIN <= payload <= INT64_MAX:
            raise Implausible(path, f"{payload} is out of range (64-bit integers)")
    elif isinstance(payload, float):
        if not math.isfinite(payload):
            raise Implausible(path, "is not a finite number")
    elif isinstance(payload, Mapping):
        for key, value in payload.items():
            _check_integers(value, f"{path}.{key}")
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            _check_integers(value, f"{path}[{index}]")


def timestamp(field: str, text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except TimestampError as exc:
        raise Implausible(field, str(exc)) from None


def optional_timestamp(field: str, text: str | None) -> datetime | None:
    return None if text is None else timestamp(field, text)


def check_reported_connector(connector_id: int) -> None:
    """A StatusNotification's connector: 0 (the charge point) to MAX_CONNECTOR_ID."""
    if not 0 <= connector_id <= MAX_CONNECTOR_ID:
        raise Implausible("connectorId", f"{connector_id} is not 0 to {MAX_CONNECTOR_ID}")


def check_connector(
    connector_id: int, known: frozenset[int] | set[int], *, transaction: bool
) -> None:
    """`connector_id` is one the charge point has (see the module's rule); > 0 for a
    transaction, >= 0 otherwise (connector 0 is the main meter)."""
    lowest = 1 if transaction else 0
    if connector_id < lowest:
        raise Implausible("connectorId", f"{connector_id} is not >= {lowest}")
    if connector_id > MAX_CONNECTOR_ID:
        raise Implausible("connectorId", f"{connector_id} is not <= {MAX_CONNECTOR_ID}")
    if known and connector_id not in known:
        listed = ", ".join(str(c) for c in sorted(known))
        raise Implausible(
            "connectorId", f"{connector_id} is not a connector of this charge point ({listed})"
        )


def check_meter_start(meter_start_wh: int) -> None:
    if meter_start_wh < 0:
        raise Implausible("meterStart", f"{meter_start_wh} Wh is below 0")


def check_sample(field: str, sample: MeterSample) -> None:
    if sample.format != "Raw":
        return
    if _DECIMAL.fullmatch(sample.value) is None or not math.isfinite(float(sample.value)):
        raise Implausible(f"{field}.value", f"{sample.value!r} is not a finite decimal number")
    if sample.measurand.endswith(".Register") and float(sample.value) < 0:
        raise Implausible(f"{field}.value", f"register {sample.measurand} reads below 0")


def register_wh(sample: MeterSample) -> float | None:
    """The energy register reading in Wh that the rules (and the report) follow, else None."""
    if sample.measurand != ENERGY_REGISTER or sample.phase or sample.format != "Raw":
        return None
    factor = _WH_PER_UNIT.get(sample.unit)
    return None if factor is None else float(sample.value) * factor


def check_transaction_reference(
    transaction: Transaction | None, transaction_id: int, connector_id: int
) -> Transaction:
    """MeterValues' transactionId names a transaction of this charge point on that connector."""
    if transaction is None:
        raise Implausible(
            "transactionId", f"{transaction_id} is not a transaction of this charge point"
        )
    if transaction.connector_id != connector_id:
        raise Implausible(
            "connectorId",
            f"{connector_id} is not the connector of transaction {transaction_id} "
            f"({transaction.connector_id})",
        )
    return transaction


def check_register(
    readings: Sequence[tuple[datetime, float]],
    meter_start_wh: int,
    neighbours: Mapping[datetime, tuple[float | None, float | None]],
) -> None:
    """The new register readings (time, Wh) of one transaction, with the stored reading just
    before and just after each one's time: none below meterStart, none going backwards."""
    for moment, wh in readings:
        if not math.isfinite(wh):  # 1e308 kWh
            raise Implausible("sampledValue.value", "energy register is not a finite number of Wh")
        if wh < meter_start_wh:
            raise Implausible(
                "sampledValue.value", f"energy register {wh:g} Wh is below meterStart"
            )
        before, after = neighbours.get(moment, (None, None))
        earlier = [w for t, w in readings if t < moment]
        later = [w for t, w in readings if t > moment]
        if before is not None:
            earlier.append(before)
        if after is not None:
            later.append(after)
        if (earlier and wh < max(earlier)) or (later and wh > min(later)):
            raise Implausible(
                "sampledValue.value", f"energy register {wh:g} Wh goes backwards in time"
            )


def stop_flag(
    transaction: Transaction, stop: TransactionStop, last_register_wh: float | None
) -> StopFlag | None:
    """Why an accepted stop contradicts its transaction, or None."""
    if stop.meter_stop_wh < transaction.meter_start_wh:
        return StopFlag.METER_STOP_BELOW_START
    if stop.stopped_at < transaction.started_at:
        return StopFlag.STOP_BEFORE_START
    if last_register_wh is not None and stop.meter_stop_wh < last_register_wh:
        return StopFlag.METER_WENT_BACKWARDS
    return None
