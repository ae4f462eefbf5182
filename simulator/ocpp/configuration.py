"""A charge point's configuration keys (OCPP 1.6 GetConfiguration / ChangeConfiguration).

The keys and their defaults are shared; a charge point stores only the values a central system
changed, so thousands of charge points cost nothing until one is configured. The keys that
matter to the wire take effect at once: HeartbeatInterval (the virtual-time heartbeat),
MeterValueSampleInterval (periodic samples are thinned to it; the model samples at the
scenario's interval, which is the finest available) and MeterValuesSampledData (which
measurands a sample carries).

The Smart Charging profile's keys are read-only and bound what SetChargingProfile accepts
(ChargeProfileMaxStackLevel, ChargingScheduleAllowedChargingRateUnit, ChargingScheduleMaxPeriods,
MaxChargingProfilesInstalled); a network whose scenario sets `smart_charging = false` has
charge points whose SupportedFeatureProfiles lack SmartCharging (`feature_profiles`).

AuthorizationKey (OCPP 1.6 security whitepaper, security profiles 1 and 2) is write-only: it
is listed by GetConfiguration without a value, and a value is accepted only as the whitepaper
shapes it, 16 to 20 bytes written as 32 to 40 hexadecimal digits (else Rejected). The charge
point's client takes an accepted key as its basic auth password (`OcppClient.use_password`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "AUTHORIZATION_KEY",
    "KEYS",
    "MAX_KEYS",
    "MEASURANDS",
    "SMART_CHARGING",
    "ChangeStatus",
    "Configuration",
    "Key",
    "feature_profiles",
]

MEASURANDS: Final = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
)
MAX_KEYS: Final = 50
AUTHORIZATION_KEY: Final = "AuthorizationKey"
SMART_CHARGING: Final = "SmartCharging"
FEATURE_PROFILES: Final = "SupportedFeatureProfiles"
_FEATURES: Final = "Core,RemoteTrigger"
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")


class ChangeStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


def _non_negative_int(value: str) -> bool:
    return value.isdigit() and len(value) <= 9


def _positive_int(value: str) -> bool:
    return _non_negative_int(value) and int(value) > 0


def _boolean(value: str) -> bool:
    return value.lower() in ("true", "false")


def _authorization_key(value: str) -> bool:
    # 16..20 bytes, hex encoded: an even number of 32..40 hex digits
    return 32 <= len(value) <= 40 and len(value) % 2 == 0 and set(value) <= _HEX_DIGITS


def _measurands(value: str) -> bool:
    items = [v.strip() for v in value.split(",") if v.strip()]
    return all(v in MEASURANDS for v in items)


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    default: str
    readonly: bool = False
    valid: Callable[[str], bool] = _non_negative_int
    write_only: bool = False
    """Never reported: GetConfiguration lists the key without its value."""


KEYS: Final = {
    k.name: k
    for k in (
        Key("HeartbeatInterval", "300", valid=_positive_int),
        Key("MeterValueSampleInterval", "60"),
        Key("MeterValuesSampledData", ",".join(MEASURANDS), valid=_measurands),
        Key("StopTxnSampledData", "Energy.Active.Import.Register", valid=_measurands),
        Key("ClockAlignedDataInterval", "0"),
        Key("MeterValuesAlignedData", "Energy.Active.Import.Register", valid=_measurands),
        Key("ConnectionTimeOut", "60", valid=_positive_int),
        Key("AuthorizeRemoteTxRequests", "true", valid=_boolean),
        Key("LocalAuthorizeOffline", "false", valid=_boolean),
        Key("LocalPreAuthorize", "false", valid=_boolean),
        Key("StopTransactionOnEVSideDisconnect", "true", valid=_boolean),
        Key("StopTransactionOnInvalidId", "true", valid=_boolean),
        Key("UnlockConnectorOnEVSideDisconnect", "true", valid=_boolean),
        Key("TransactionMessageAttempts", "3", valid=_positive_int),
        Key("TransactionMessageRetryInterval", "1", valid=_positive_int),
        Key("ResetRetries", "1"),
        Key("WebSocketPingInterval", "0"),
        Key(AUTHORIZATION_KEY, "", valid=_authorization_key, write_only=True),
        Key("NumberOfConnectors", "1", readonly=True),
        Key(FEATURE_PROFILES, f"{_FEATURES},{SMART_CHARGING}", readonly=True),
        Key("GetConfigurationMaxKeys", str(MAX_KEYS), readonly=True),
        # Smart Charging: what SetChargingProfile accepts
        Key("ChargeProfileMaxStackLevel", "8", readonly=True),
        Key("ChargingScheduleAllowedChargingRateUnit", "Current,Power", readonly=True),
        Key("ChargingScheduleMaxPeriods", "24", readonly=True),
        Key("MaxChargingProfilesInstalled", "10", readonly=True),
        Key("ConnectorSwitch3to1PhaseSupported", "false", readonly=True, valid=_boolean),
    )
}


class Configuration:
    """One charge point's keys: shared defaults, its own changes."""

    __slots__ = ("_changed", "_number_of_connectors")

    def __init__(self, number_of_connectors: int) -> None:
        self._number_of_connectors = number_of_connectors
        self._changed: dict[str, str] | None = None

    def value(self, name: str) -> str:
        if name == "NumberOfConnectors":
            return str(self._number_of_connectors)
        if self._changed is not None and name in self._changed:
            return self._changed[name]
        return KEYS[name].default

    def int_value(self, name: str) -> int:
        return int(self.value(name))

    def get(
        self, names: Iterable[str] | None
    ) -> tuple[list[tuple[str, bool, str | None]], list[str]]:
        """(key, readonly, value) for each known key asked for (all when None), and the
        unknown ones; the value of a write-only key is None."""
        wanted = list(KEYS) if names is None else list(names)
        known = [(n, KEYS[n].readonly, self._reported(n)) for n in wanted if n in KEYS]
        unknown = [n for n in wanted if n not in KEYS]
        return known, unknown

    def _reported(self, name: str) -> str | None:
        return None if KEYS[name].write_only else self.value(name)

    def change(self, name: str, value: str) -> ChangeStatus:
        key = KEYS.get(name)
        if key is None:
            return ChangeStatus.NOT_SUPPORTED
        if key.readonly or not key.valid(value):
            return ChangeStatus.REJECTED
        self.set(name, value)
        return ChangeStatus.ACCEPTED

    def set(self, name: str, value: str) -> None:
        """Set a key without the checks (the charge point's own updates, e.g. from a boot)."""
        if self._changed is None:
            self._changed = {}
        if value == KEYS[name].default:
            self._changed.pop(name, None)
        else:
            self._changed[name] = value

    def smart_charging(self) -> bool:
        """SmartCharging is among the charge point's SupportedFeatureProfiles."""
        return SMART_CHARGING in self.value(FEATURE_PROFILES).split(",")

    def rate_units(self) -> frozenset[str]:
        """The schedule units SetChargingProfile accepts: A for Current, W for Power."""
        names = self.value("ChargingScheduleAllowedChargingRateUnit").split(",")
        return frozenset({"Current": "A", "Power": "W"}[n.strip()] for n in names)

    def measurands(self) -> frozenset[str]:
        return frozenset(v.strip() for v in self.value("MeterValuesSampledData").split(","))


def feature_profiles(smart_charging: bool) -> tuple[str, str]:
    """The SupportedFeatureProfiles of a charge point with or without smart charging, as a
    configuration (key, value) a station starts with."""
    return FEATURE_PROFILES, f"{_FEATURES},{SMART_CHARGING}" if smart_charging else _FEATURES
