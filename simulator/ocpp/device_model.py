"""A simulated OCPP 2.0.1 charging station's device model: components, variables, attributes.

The variables are the standard ones (OCPP 2.0.1 part 2, appendix 3) a station of the Core
profile reports and a CSMS configures: OCPPCommCtrlr, SampledDataCtrlr, AlignedDataCtrlr,
TxCtrlr, AuthCtrlr, SecurityCtrlr, DeviceDataCtrlr, ClockCtrlr, and the ChargingStation, EVSE
and Connector components of the station's own topology (one EVSE, its connectors numbered from
1). Only the Actual attribute exists; asking for Target, MinSet or MaxSet is
NotSupportedAttributeType.

The rules of Get/SetVariables: an unknown component is UnknownComponent, a known component
without the variable UnknownVariable; reading a WriteOnly variable (BasicAuthPassword) is
Rejected, and so is writing a ReadOnly one or a value its data type refuses (an integer out of
its range, a boolean other than true/false, a member list with a member not in its list).

SecurityCtrlr tells what the station's transport is: SecurityProfile (0 none, 1 basic auth,
2 TLS, 3 TLS with a client certificate), Identity (the station id, the basic auth username),
CertificateEntries (the CA certificates it verifies the CSMS with, and its own); all ReadOnly
(a CSMS changes the profile through SetNetworkProfile, which the station does not support).

SmartChargingCtrlr (K01-K08): Available says whether the station has smart charging at all
(false on a network whose scenario sets `smart_charging = false`, and Enabled then reads false
and cannot be set true); ProfileStackLevel, RateUnit and PeriodsPerSchedule are the 1.6
Smart Charging keys of the same `Configuration` (ChargeProfileMaxStackLevel,
ChargingScheduleAllowedChargingRateUnit as A/W, ChargingScheduleMaxPeriods), Entries
[ChargingProfiles] the profiles installed now, its maxLimit MaxChargingProfilesInstalled.

Variables the station's client keeps in its 1.6-shaped `Configuration` (the heartbeat and the
transaction message retries, which `OcppClient` reads) live there, so that both read one value.
Definitions are shared; a station stores only the values a CSMS changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from simulator.ocpp.configuration import MEASURANDS, Configuration

__all__ = [
    "GET_REPORT_ITEMS",
    "Attribute",
    "DeviceModel",
    "GetStatus",
    "Mutability",
    "SetStatus",
    "Variable",
]

GET_REPORT_ITEMS: Final = 20
"""Report entries per NotifyReport (DeviceDataCtrlr.ItemsPerMessage[GetReport])."""
VARIABLES_PER_MESSAGE: Final = 32
ACTUAL: Final = "Actual"
BASIC_AUTH_PASSWORD: Final = "BasicAuthPassword"


class Mutability(StrEnum):
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    READ_WRITE = "ReadWrite"


class GetStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"


class SetStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED_ATTRIBUTE_TYPE = "NotSupportedAttributeType"
    REBOOT_REQUIRED = "RebootRequired"


class Attribute(StrEnum):
    ACTUAL = "Actual"
    TARGET = "Target"
    MIN_SET = "MinSet"
    MAX_SET = "MaxSet"


def _integer(low: int, high: int = 999_999_999) -> Callable[[str], bool]:
    def valid(value: str) -> bool:
        text = value[1:] if value.startswith("-") else value
        return text.isdigit() and len(text) <= 9 and low <= int(value) <= high

    return valid


_NON_NEGATIVE: Final = _integer(0)


def _boolean(value: str) -> bool:
    return value in ("true", "false")


def _members(allowed: tuple[str, ...]) -> Callable[[str], bool]:
    def valid(value: str) -> bool:
        items = [v.strip() for v in value.split(",")]
        return all(v in allowed for v in items) and len(set(items)) == len(items)

    return valid


def _password(value: str) -> bool:
    # passwordString of the security whitepaper: 16 to 40 printable characters
    return 16 <= len(value) <= 40 and value.isprintable()


def _percent(value: str) -> bool:
    try:
        return 0.0 <= float(value) <= 100.0
    except ValueError:
        return False


def _text(max_length: int) -> Callable[[str], bool]:
    return lambda value: len(value) <= max_length


@dataclass(frozen=True, slots=True)
class Variable:
    """One variable of a component (instance: the component's or the variable's)."""

    component: str
    name: str
    default: str
    mutability: Mutability = Mutability.READ_WRITE
    data_type: str = "integer"
    valid: Callable[[str], bool] = _NON_NEGATIVE
    unit: str | None = None
    values_list: tuple[str, ...] | None = None
    instance: str | None = None
    """The variable's instance (MessageAttempts[TransactionEvent])."""
    configuration_key: str | None = None
    """The 1.6-shaped `Configuration` key holding the value, for those the client reads."""
    persistent: bool = True
    constant: bool = False
    max_limit_key: str | None = None
    """The `Configuration` key of the variable's maxLimit characteristic."""

    @property
    def configurable(self) -> bool:
        return self.mutability is not Mutability.READ_ONLY


_TX_POINTS: Final = ("EVConnected", "Authorized")
SMART: Final = "SmartChargingCtrlr"
RATE_UNITS: Final = ("A", "W")
_STATES: Final = ("Available", "Occupied", "Reserved", "Unavailable", "Faulted")
_ALL_MEASURANDS: Final = ",".join(MEASURANDS)
_V = Variable
_RO = Mutability.READ_ONLY
_COMMON: Final = (
    _V(
        "OCPPCommCtrlr",
        "HeartbeatInterval",
        "300",
        valid=_integer(1),
        unit="s",
        configuration_key="HeartbeatInterval",
    ),
    _V(
        "OCPPCommCtrlr",
        "MessageAttempts",
        "3",
        valid=_integer(1, 10),
        instance="TransactionEvent",
        configuration_key="TransactionMessageAttempts",
    ),
    _V(
        "OCPPCommCtrlr",
        "MessageAttemptInterval",
        "1",
        valid=_integer(1, 3600),
        unit="s",
        instance="TransactionEvent",
        configuration_key="TransactionMessageRetryInterval",
    ),
    _V("OCPPCommCtrlr", "MessageTimeout", "30", _RO, unit="s", instance="Default", constant=True),
    _V(
        "OCPPCommCtrlr",
        "NetworkConfigurationPriority",
        "0",
        data_type="SequenceList",
        valid=_members(("0",)),
    ),
    _V("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "3", valid=_integer(1, 100)),
    _V("OCPPCommCtrlr", "OfflineThreshold", "60", valid=_integer(0), unit="s"),
    _V("OCPPCommCtrlr", "ResetRetries", "1", valid=_integer(0, 10)),
    _V("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "true", data_type="boolean", valid=_boolean),
    _V("OCPPCommCtrlr", "WebSocketPingInterval", "0", valid=_integer(0), unit="s"),
    _V(
        "OCPPCommCtrlr",
        "FileTransferProtocols",
        "HTTP,HTTPS",
        _RO,
        data_type="MemberList",
        valid=_members(("HTTP", "HTTPS")),
        values_list=("HTTP", "HTTPS"),
        constant=True,
    ),
    _V("SampledDataCtrlr", "Enabled", "true", data_type="boolean", valid=_boolean),
    _V("SampledDataCtrlr", "TxUpdatedInterval", "60", valid=_integer(0), unit="s"),
    _V(
        "SampledDataCtrlr",
        "TxUpdatedMeasurands",
        _ALL_MEASURANDS,
        data_type="MemberList",
        valid=_members(MEASURANDS),
        values_list=MEASURANDS,
    ),
    _V(
        "SampledDataCtrlr",
        "TxStartedMeasurands",
        MEASURANDS[0],
        data_type="MemberList",
        valid=_members(MEASURANDS),
        values_list=MEASURANDS,
    ),
    _V(
        "SampledDataCtrlr",
        "TxEndedMeasurands",
        MEASURANDS[0],
        data_type="MemberList",
        valid=_members(MEASURANDS),
        values_list=MEASURANDS,
    ),
    _V("SampledDataCtrlr", "TxEndedInterval", "0", valid=_integer(0), unit="s"),
    _V(
        "SampledDataCtrlr",
        "RegisterValuesWithoutPhases",
        "true",
        data_type="boolean",
        valid=_boolean,
    ),
    _V("AlignedDataCtrlr", "Enabled", "false", data_type="boolean", valid=_boolean),
    _V("AlignedDataCtrlr", "Interval", "0", valid=_integer(0), unit="s"),
    _V(
        "AlignedDataCtrlr",
        "Measurands",
        MEASURANDS[0],
        data_type="MemberList",
        valid=_members(MEASURANDS),
        values_list=MEASURANDS,
    ),
    _V("AlignedDataCtrlr", "TxEndedInterval", "0", valid=_integer(0), unit="s"),
    _V(
        "AlignedDataCtrlr",
        "TxEndedMeasurands",
        MEASURANDS[0],
        data_type="MemberList",
        valid=_members(MEASURANDS),
        values_list=MEASURANDS,
    ),
    _V("TxCtrlr", "EVConnectionTimeOut", "60", valid=_integer(1), unit="s"),
    _V("TxCtrlr", "StopTxOnEVSideDisconnect", "true", _RO, data_type="boolean", valid=_boolean),
    _V("TxCtrlr", "StopTxOnInvalidId", "true", data_type="boolean", valid=_boolean),
    _V("TxCtrlr", "TxBeforeAcceptedEnabled", "false", data_type="boolean", valid=_boolean),
    # the model starts a transaction once the car is plugged in and its driver authorized
    _V(
        "TxCtrlr",
        "TxStartPoint",
        ",".join(_TX_POINTS),
        _RO,
        data_type="MemberList",
        valid=_members(_TX_POINTS),
        values_list=_TX_POINTS,
    ),
    _V(
        "TxCtrlr",
        "TxStopPoint",
        ",".join(_TX_POINTS),
        _RO,
        data_type="MemberList",
        valid=_members(_TX_POINTS),
        values_list=_TX_POINTS,
    ),
    _V("AuthCtrlr", "Enabled", "true", data_type="boolean", valid=_boolean),
    _V("AuthCtrlr", "AuthorizeRemoteStart", "true", data_type="boolean", valid=_boolean),
    _V("AuthCtrlr", "LocalAuthorizeOffline", "false", data_type="boolean", valid=_boolean),
    _V("AuthCtrlr", "LocalPreAuthorize", "false", data_type="boolean", valid=_boolean),
    _V("AuthCtrlr", "OfflineTxForUnknownIdEnabled", "false", data_type="boolean", valid=_boolean),
    _V(
        "SecurityCtrlr",
        BASIC_AUTH_PASSWORD,
        "",
        Mutability.WRITE_ONLY,
        data_type="string",
        valid=_password,
    ),
    _V("SecurityCtrlr", "OrganizationName", "chargenet", data_type="string", valid=_text(50)),
    # per station (DeviceModel's arguments): what the station's transport actually is
    _V("SecurityCtrlr", "SecurityProfile", "1", _RO),
    _V("SecurityCtrlr", "Identity", "", _RO, data_type="string"),
    _V("SecurityCtrlr", "CertificateEntries", "0", _RO),
    _V(
        "DeviceDataCtrlr",
        "ItemsPerMessage",
        str(GET_REPORT_ITEMS),
        _RO,
        instance="GetReport",
        constant=True,
    ),
    _V(
        "DeviceDataCtrlr",
        "ItemsPerMessage",
        str(VARIABLES_PER_MESSAGE),
        _RO,
        instance="GetVariables",
        constant=True,
    ),
    _V(
        "DeviceDataCtrlr",
        "ItemsPerMessage",
        str(VARIABLES_PER_MESSAGE),
        _RO,
        instance="SetVariables",
        constant=True,
    ),
    _V("DeviceDataCtrlr", "BytesPerMessage", "65000", _RO, instance="GetReport", constant=True),
    _V(SMART, "Enabled", "true", data_type="boolean", valid=_boolean),
    _V(SMART, "Available", "true", _RO, data_type="boolean", persistent=False),
    _V(SMART, "ProfileStackLevel", "8", _RO, configuration_key="ChargeProfileMaxStackLevel"),
    _V(
        SMART,
        "RateUnit",
        "A,W",
        _RO,
        data_type="MemberList",
        valid=_members(RATE_UNITS),
        values_list=RATE_UNITS,
    ),
    _V(SMART, "PeriodsPerSchedule", "24", _RO, configuration_key="ChargingScheduleMaxPeriods"),
    _V(
        SMART,
        "Entries",
        "0",
        _RO,
        instance="ChargingProfiles",
        persistent=False,
        max_limit_key="MaxChargingProfilesInstalled",
    ),
    _V(SMART, "LimitChangeSignificance", "10", data_type="decimal", valid=_percent, unit="Percent"),
    _V(SMART, "ExternalControlSignalsEnabled", "false", data_type="boolean", valid=_boolean),
    _V(
        "ClockCtrlr",
        "TimeSource",
        "Heartbeat",
        data_type="SequenceList",
        valid=_members(("Heartbeat",)),
    ),
)


@dataclass(frozen=True, slots=True)
class Where:
    """A component's place: the station (no EVSE), an EVSE, or a connector of one."""

    evse: int | None = None
    connector: int | None = None

    def wire(self) -> dict[str, int] | None:
        if self.evse is None:
            return None
        out = {"id": self.evse}
        if self.connector is not None:
            out["connectorId"] = self.connector
        return out


def _topology(
    model: str, vendor: str, connectors: tuple[str, ...], power_kw: float
) -> tuple[tuple[Variable, Where], ...]:
    """The station's own components: the ChargingStation, its EVSE 1 and the connectors."""
    station = Where()
    evse = Where(1)
    out: list[tuple[Variable, Where]] = [
        (
            _V(
                "ChargingStation",
                "AvailabilityState",
                "Available",
                _RO,
                data_type="OptionList",
                values_list=_STATES,
                persistent=False,
            ),
            station,
        ),
        (
            _V("ChargingStation", "Available", "true", _RO, data_type="boolean", constant=True),
            station,
        ),
        (_V("ChargingStation", "Model", model, _RO, data_type="string", constant=True), station),
        (
            _V("ChargingStation", "VendorName", vendor, _RO, data_type="string", constant=True),
            station,
        ),
        (
            _V(
                "EVSE",
                "AvailabilityState",
                "Available",
                _RO,
                data_type="OptionList",
                values_list=_STATES,
                persistent=False,
            ),
            evse,
        ),
        (_V("EVSE", "Available", "true", _RO, data_type="boolean", constant=True), evse),
        (
            _V(
                "EVSE",
                "Power",
                f"{power_kw * 1000:.0f}",
                _RO,
                data_type="decimal",
                unit="W",
                constant=True,
            ),
            evse,
        ),
    ]
    for c, kind in enumerate(connectors, start=1):
        where = Where(1, c)
        out += [
            (
                _V(
                    "Connector",
                    "AvailabilityState",
                    "Available",
                    _RO,
                    data_type="OptionList",
                    values_list=_STATES,
                    persistent=False,
                ),
                where,
            ),
            (_V("Connector", "Available", "true", _RO, data_type="boolean", constant=True), where),
            (
                _V("Connector", "ConnectorType", kind, _RO, data_type="OptionList", constant=True),
                where,
            ),
        ]
    return tuple(out)


_REPORTS: Final[dict[str, Callable[[Variable], bool]]] = {
    "FullInventory": lambda _: True,
    "ConfigurationInventory": lambda v: v.configurable,
    "SummaryInventory": lambda v: v.name == "AvailabilityState",
}
_COMMON_ENTRIES: Final = tuple((v, Where()) for v in _COMMON)


@functools.cache
def _layout(
    model: str, vendor: str, connectors: tuple[str, ...], power_kw: float
) -> tuple[
    tuple[tuple[Variable, Where], ...],
    dict[Key, tuple[Variable, Where]],
    frozenset[tuple[str, int | None, int | None]],
]:
    entries = _COMMON_ENTRIES + _topology(model, vendor, connectors, power_kw)
    index = {_key(v, w): (v, w) for v, w in entries}
    components = frozenset((v.component, w.evse, w.connector) for v, w in entries)
    return entries, index, components


Key = tuple[str, str | None, int | None, int | None, str, str | None]
"""(component, component instance, evse, connector, variable, variable instance)."""


def _key(variable: Variable, where: Where) -> Key:
    return (variable.component, None, where.evse, where.connector, variable.name, variable.instance)


class DeviceModel:
    """One station's variables: the shared definitions, its topology, its changed values."""

    __slots__ = ("_changed", "_components", "_config", "_entries", "_index", "_live", "_states")

    def __init__(
        self,
        config: Configuration,
        *,
        model: str,
        vendor: str,
        connectors: tuple[str, ...],
        power_kw: float,
        identity: str = "",
        security_profile: int = 1,
        certificate_entries: int = 0,
    ) -> None:
        self._config = config
        # shared by every station of the same make: a fleet costs one layout per port type
        self._entries, self._index, self._components = _layout(model, vendor, connectors, power_kw)
        self._changed: dict[Key, str] = {}
        for name, value in (
            ("Identity", identity),
            ("SecurityProfile", str(security_profile)),
            ("CertificateEntries", str(certificate_entries)),
        ):
            variable, where = self._index[("SecurityCtrlr", None, None, None, name, None)]
            if value != variable.default:
                self._changed[_key(variable, where)] = value
        self._states: dict[tuple[int | None, int | None], str] = {}
        self._live: dict[tuple[str, str], str] = {}

    # --- values ---------------------------------------------------------------------------

    def value(self, component: str, name: str, instance: str | None = None) -> str:
        """A station-level variable's value (the station's own reads)."""
        variable, where = self._index[(component, None, None, None, name, instance)]
        return self._value(variable, where)

    def int_value(self, component: str, name: str, instance: str | None = None) -> int:
        return int(self.value(component, name, instance))

    def members(self, component: str, name: str) -> frozenset[str]:
        return frozenset(v.strip() for v in self.value(component, name).split(",") if v.strip())

    def set_availability(self, evse: int | None, connector: int | None, state: str) -> None:
        """The AvailabilityState the station reports for a component (Available, Occupied,
        Unavailable, Faulted)."""
        self._states[(evse, connector)] = state

    def set_live(self, component: str, name: str, value: str) -> None:
        """A value the station itself keeps current (SmartChargingCtrlr.Entries)."""
        self._live[(component, name)] = value

    def smart_charging(self) -> bool:
        """SmartChargingCtrlr: Available and Enabled."""
        return self.value(SMART, "Enabled") == "true"

    def _value(self, variable: Variable, where: Where) -> str:
        if variable.name == "AvailabilityState":
            return self._states.get((where.evse, where.connector), variable.default)
        if variable.component == SMART:
            return self._smart_value(variable, where)
        if variable.configuration_key is not None:
            return self._config.value(variable.configuration_key)
        return self._changed.get(_key(variable, where), variable.default)

    def _smart_value(self, variable: Variable, where: Where) -> str:
        available = self._config.smart_charging()
        name = variable.name
        if name == "Available" or (name == "Enabled" and not available):
            return "true" if available else "false"
        if name == "RateUnit":
            return ",".join(sorted(self._config.rate_units()))
        if variable.configuration_key is not None:
            return self._config.value(variable.configuration_key)
        live = self._live.get((SMART, name))
        return (
            live if live is not None else self._changed.get(_key(variable, where), variable.default)
        )

    def _find(
        self, component: dict[str, Any], variable: dict[str, Any]
    ) -> tuple[Variable, Where] | GetStatus:
        name = str(component.get("name", ""))
        evse = component.get("evse") or {}
        evse_id = evse.get("id")
        connector = evse.get("connector_id", evse.get("connectorId"))
        if component.get("instance") is not None or (name, evse_id, connector) not in (
            self._components
        ):
            return GetStatus.UNKNOWN_COMPONENT
        found = self._index.get(
            (
                name,
                None,
                evse_id,
                connector,
                str(variable.get("name", "")),
                variable.get("instance"),
            )
        )
        return GetStatus.UNKNOWN_VARIABLE if found is None else found

    # --- GetVariables / SetVariables ------------------------------------------------------

    def get(
        self, component: dict[str, Any], variable: dict[str, Any], attribute: str | None
    ) -> tuple[GetStatus, str | None]:
        """(status, value) for one GetVariableData (snake_case or camelCase keys)."""
        found = self._find(component, variable)
        if isinstance(found, GetStatus):
            return found, None
        if attribute not in (None, ACTUAL):
            return GetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE, None
        var, where = found
        if var.mutability is Mutability.WRITE_ONLY:
            return GetStatus.REJECTED, None
        return GetStatus.ACCEPTED, self._value(var, where)

    def set(
        self,
        component: dict[str, Any],
        variable: dict[str, Any],
        attribute: str | None,
        value: str,
    ) -> tuple[SetStatus, Variable | None]:
        """Apply one SetVariableData; the variable is returned when it was changed."""
        found = self._find(component, variable)
        if isinstance(found, GetStatus):
            return SetStatus(found.value), None
        if attribute not in (None, ACTUAL):
            return SetStatus.NOT_SUPPORTED_ATTRIBUTE_TYPE, None
        var, where = found
        if var.mutability is Mutability.READ_ONLY or not var.valid(value):
            return SetStatus.REJECTED, None
        if var.component == SMART and not self._config.smart_charging():
            return SetStatus.REJECTED, None  # no smart charging to configure
        if var.configuration_key is not None:
            self._config.set(var.configuration_key, value)
        elif value == var.default:
            self._changed.pop(_key(var, where), None)
        else:
            self._changed[_key(var, where)] = value
        return SetStatus.ACCEPTED, var

    # --- GetBaseReport --------------------------------------------------------------------

    def report(self, base: str) -> list[dict[str, Any]]:
        """NotifyReport's reportData for a GetBaseReport's reportBase: every variable
        (FullInventory), the configurable ones (ConfigurationInventory), or the availability
        of every component (SummaryInventory)."""
        wanted = _REPORTS.get(base)
        if wanted is None:
            return []
        return [self._report_entry(v, w) for v, w in self._entries if wanted(v)]

    def _report_entry(self, var: Variable, where: Where) -> dict[str, Any]:
        component: dict[str, Any] = {"name": var.component}
        evse = where.wire()
        if evse is not None:
            component["evse"] = evse
        variable: dict[str, Any] = {"name": var.name}
        if var.instance is not None:
            variable["instance"] = var.instance
        attribute: dict[str, Any] = {
            "type": ACTUAL,
            "mutability": var.mutability.value,
            "persistent": var.persistent,
            "constant": var.constant,
        }
        if var.mutability is not Mutability.WRITE_ONLY:
            attribute["value"] = self._value(var, where)
        characteristics: dict[str, Any] = {"dataType": var.data_type, "supportsMonitoring": False}
        if var.unit is not None:
            characteristics["unit"] = var.unit
        if var.values_list is not None:
            characteristics["valuesList"] = ",".join(var.values_list)
        if var.max_limit_key is not None:
            characteristics["maxLimit"] = self._config.int_value(var.max_limit_key)
        return {
            "component": component,
            "variable": variable,
            "variableAttribute": [attribute],
            "variableCharacteristics": characteristics,
        }
