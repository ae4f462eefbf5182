"""OCPP 2.0.1 smart charging for a simulated station (K01 SetChargingProfile, K05 the TxProfile
of a RequestStartTransaction, K08 GetCompositeSchedule, K09 GetChargingProfiles, K10
ClearChargingProfile): the wire's charging profiles become the model's
(`simulator.model.charging_profiles`), checked against SmartChargingCtrlr, and installed in
the model's `SmartCharging`, whose composite limit the charge obeys exactly as over 1.6.

Mapping (docs/ocpp.md, "Smart charging over 2.0.1"):
- evseId 0 is the station (the model's connector 0), evseId 1 its one EVSE, whichever
  connector the car uses (`PortProfiles.number_by_evse`); ChargingStationMaxProfile is the
  model's ChargePointMaxProfile; the first (only) chargingSchedule is the profile's schedule;
  dates become virtual seconds with the run's clock; A become W with the port's supply.
- A refusal is Rejected with a statusInfo reasonCode: UnknownEvse, InvalidProfile (the
  profile's rules; a Relative ChargingStationMaxProfile; a transactionId on a profile other
  than a TxProfile),
  InvalidSchedule (more periods than PeriodsPerSchedule, more than one schedule),
  InvalidStackLevel (above ProfileStackLevel), UnsupportedRateUnit (not in RateUnit),
  TxNotFound (a TxProfile whose transactionId is not the EVSE's running transaction),
  DuplicateProfile (K01.FR.06: another id of the same purpose and stack level on the same
  EVSE with an overlapping validity; K01.FR.39 for the TxProfiles of one transaction),
  TooManyProfiles (MaxChargingProfilesInstalled).
- A profile replaces the installed one of the same id only (K01.FR.05).
- The site's grid share (id `GRID_PROFILE_ID`, when the built-in central system shares the
  grid out) stands apart, as over 1.6: it neither clashes with the other profiles' stack
  levels nor counts towards MaxChargingProfilesInstalled; the model applies it as the share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ocppj.casing import camel_keys
from simulator.model.charging_profiles import (
    ChargingProfile,
    Kind,
    Purpose,
    RateUnit,
    Recurrency,
)
from simulator.model.smart_charging import GRID_PROFILE_ID, PortProfiles
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.configuration import FEATURE_PROFILES, Configuration
from simulator.ocpp.device_model import SMART, DeviceModel
from simulator.ocpp.v16 import composite_periods as periods  # the same rounding as 1.6
from simulator.ocpp.v16 import schedule_from_wire

__all__ = ["CONFIGURATION_KEYS", "PURPOSES", "Refusal", "StationProfiles", "composite_schedule"]

CONFIGURATION_KEYS: Final = frozenset(
    {
        FEATURE_PROFILES,
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
    }
)
"""The keys of a station template's 1.6 configuration a 2.0.1 station takes too: those its
SmartChargingCtrlr reads (a network's `smart_charging = false` sets the feature profiles)."""

PURPOSES: Final = {
    "ChargingStationMaxProfile": Purpose.CHARGE_POINT_MAX,
    "TxDefaultProfile": Purpose.TX_DEFAULT,
    "TxProfile": Purpose.TX,
}
"""The 2.0.1 purposes a CSMS may set (not ChargingStationExternalConstraints)."""
REPORTED_SOURCE: Final = "CSO"
"""Every profile of the station came from its CSMS."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a profile is refused: a reasonCode and the human text of its statusInfo."""

    reason_code: str
    info: str

    def status_info(self) -> dict[str, str]:
        return {"reason_code": self.reason_code, "additional_info": self.info[:512]}


class StationProfiles:
    """One 2.0.1 station's side of smart charging: conversion, checks, reports."""

    __slots__ = ("_clock", "_config", "_device", "_evses", "_remote_id", "_smart", "_wire")

    def __init__(
        self,
        device: DeviceModel,
        config: Configuration,
        clock: VirtualClock,
        template: tuple[tuple[str, str], ...] = (),
        evses: int = 1,
    ) -> None:
        for key, value in template:  # the station template's (1.6) configuration
            if key in CONFIGURATION_KEYS:
                config.set(key, value)
        self._device = device
        self._config = config
        self._clock = clock
        self._evses = evses
        self._wire: dict[int, dict[str, Any]] = {}
        """Installed profile id -> the profile as it came (snake_case), for reports."""
        self._remote_id: int | None = None
        self._smart: PortProfiles | None = None
        """The port's profiles, once a call reached them (none before: none installed)."""
        """A RequestStartTransaction's TxProfile, installed when its transaction starts."""

    @property
    def enabled(self) -> bool:
        return self._device.smart_charging()

    def known_evse(self, evse_id: int) -> bool:
        return 0 <= evse_id <= self._evses

    # --- SetChargingProfile ---------------------------------------------------------------

    def set(
        self,
        smart: PortProfiles,
        evse_id: int,
        wire: dict[str, Any],
        transaction_ref: Callable[[str], int | None],
        now_s: float,
    ) -> Refusal | None:
        """Install the profile (None); else why not. `transaction_ref` is the model's handle
        of a running transaction's transactionId (None: no such transaction)."""
        if not self.known_evse(evse_id):
            return Refusal("UnknownEvse", f"no EVSE {evse_id}")
        profile = self.profile(wire, evse_id, now_s)
        if isinstance(profile, Refusal):
            return profile
        asked = wire.get("transaction_id")
        if profile.purpose is Purpose.TX:
            tx = smart.transaction
            ref = None if asked is None else transaction_ref(str(asked))
            if tx is None or ref is None or ref != tx.ref or tx.connector != evse_id:
                return Refusal("TxNotFound", f"no running transaction {asked} on EVSE {evse_id}")
        elif asked is not None:
            return Refusal("InvalidProfile", "a transactionId on a profile other than TxProfile")
        installed = smart.profiles
        grid = smart.grid_share_apart and profile.id == GRID_PROFILE_ID
        apart = GRID_PROFILE_ID if smart.grid_share_apart else profile.id
        for p in installed.profiles:
            if (
                not grid
                and p.id not in (profile.id, apart)
                and p.purpose is profile.purpose
                and p.stack_level == profile.stack_level
                and p.connector == profile.connector
                and _overlap(p, profile)
            ):
                return Refusal("DuplicateProfile", f"profile {p.id} has that stack level")
        others = sum(p.id not in (profile.id, apart) for p in installed.profiles)
        if not grid and others >= self._config.int_value("MaxChargingProfilesInstalled"):
            return Refusal("TooManyProfiles", "MaxChargingProfilesInstalled reached")
        smart.install(profile, by_level=False)
        self._wire[profile.id] = wire
        self.refresh(smart)
        return None

    def profile(
        self, wire: dict[str, Any], evse_id: int, now_s: float
    ) -> ChargingProfile | Refusal:
        """The model's profile of a (schema-valid, snake_case) 2.0.1 chargingProfile, checked
        against its rules and SmartChargingCtrlr; else why not."""
        purpose = PURPOSES.get(wire["charging_profile_purpose"])
        if purpose is None:
            return Refusal("InvalidProfile", f"{wire['charging_profile_purpose']} is not set")
        schedules = wire["charging_schedule"]
        if len(schedules) != 1:
            return Refusal("InvalidSchedule", "one chargingSchedule (no ISO 15118 EV chooses)")
        schedule = schedules[0]
        try:
            start_s = self._seconds(schedule.get("start_schedule"))
            valid_from_s = self._seconds(wire.get("valid_from"))
            valid_to_s = self._seconds(wire.get("valid_to"))
        except ValueError:
            return Refusal("InvalidValue", "a date that is not one")
        kind = Kind(wire["charging_profile_kind"])
        if start_s is None and kind is Kind.ABSOLUTE:
            start_s = now_s  # no startSchedule: from when it came
        recurrency = wire.get("recurrency_kind")
        profile = ChargingProfile(
            id=int(wire["id"]),
            connector=evse_id,
            stack_level=int(wire["stack_level"]),
            purpose=purpose,
            kind=kind,
            schedule=schedule_from_wire(schedule, start_s),
            recurrency=None if recurrency is None else Recurrency(recurrency),
            valid_from_s=valid_from_s,
            valid_to_s=valid_to_s,
        )
        return self._within_limits(profile)

    def _within_limits(self, profile: ChargingProfile) -> ChargingProfile | Refusal:
        problem = profile.problem()
        if problem is not None:
            problem = problem.replace("ChargePointMaxProfile", "ChargingStationMaxProfile")
            problem = problem.replace("a connector", "an EVSE").replace("connector", "EVSE")
            return Refusal("InvalidProfile", problem)
        if profile.purpose is Purpose.CHARGE_POINT_MAX and profile.kind is Kind.RELATIVE:
            return Refusal("InvalidProfile", "a Relative ChargingStationMaxProfile")
        device = self._device
        if profile.stack_level > device.int_value(SMART, "ProfileStackLevel"):
            return Refusal("InvalidStackLevel", f"stack level {profile.stack_level}")
        if profile.schedule.unit.value not in device.members(SMART, "RateUnit"):
            return Refusal("UnsupportedRateUnit", f"{profile.schedule.unit.value} not allowed")
        if len(profile.schedule.periods) > device.int_value(SMART, "PeriodsPerSchedule"):
            return Refusal("InvalidSchedule", "more periods than PeriodsPerSchedule")
        return profile

    def _seconds(self, text: str | None) -> float | None:
        return None if text is None else self._clock.seconds(text)

    # --- RequestStartTransaction ----------------------------------------------------------

    def remote_start(self, wire: dict[str, Any], now_s: float) -> ChargingProfile | Refusal:
        """A RequestStartTransaction's chargingProfile, for the transaction it starts."""
        if wire["charging_profile_purpose"] != "TxProfile" or "transaction_id" in wire:
            return Refusal("InvalidProfile", "a TxProfile without transactionId")
        return self.profile(wire, 1, now_s)

    def remote_started(
        self, smart: PortProfiles, profile: ChargingProfile, wire: dict[str, Any]
    ) -> None:
        smart.remote_start_profile(profile)
        self._smart = smart
        self._wire[profile.id] = wire
        self._remote_id = profile.id

    # --- ClearChargingProfile -------------------------------------------------------------

    def clear(
        self, smart: PortProfiles, profile_id: int | None, criteria: dict[str, Any] | None
    ) -> bool:
        """Clear by id, else by the criteria (every profile when none): whether any went."""
        criteria = criteria or {}
        wire_purpose = criteria.get("charging_profile_purpose")
        purpose = None if wire_purpose is None else PURPOSES.get(wire_purpose)
        if wire_purpose is not None and purpose is None:
            return False  # ChargingStationExternalConstraints: none of the CSMS's
        removed = smart.clear(
            profile_id, criteria.get("evse_id"), purpose, criteria.get("stack_level")
        )
        self.refresh(smart)
        return removed > 0

    # --- GetChargingProfiles --------------------------------------------------------------

    def report(
        self, smart: PortProfiles, request_id: int, evse_id: int | None, criteria: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The ReportChargingProfiles payloads (camelCase) of the profiles asked for, one per
        EVSE; none: NoProfiles."""
        ids = criteria.get("charging_profile_id")
        sources = criteria.get("charging_limit_source")
        if sources is not None and REPORTED_SOURCE not in sources:
            return []
        purpose = PURPOSES.get(criteria.get("charging_profile_purpose") or "")
        level = criteria.get("stack_level")
        by_evse: dict[int, list[dict[str, Any]]] = {}
        for p in smart.profiles.profiles:
            if ids is not None:
                if p.id not in ids:
                    continue
            elif (
                (evse_id is not None and p.connector != evse_id)
                or (purpose is not None and p.purpose is not purpose)
                or (level is not None and p.stack_level != level)
                or ("charging_profile_purpose" in criteria and purpose is None)
            ):
                continue
            wire = self._wire.get(p.id)
            if wire is not None:
                by_evse.setdefault(p.connector, []).append(camel_keys(wire))
        payloads = []
        for n, (evse, profiles) in enumerate(sorted(by_evse.items())):
            payload: dict[str, Any] = {
                "requestId": request_id,
                "chargingLimitSource": REPORTED_SOURCE,
                "evseId": evse,
                "chargingProfile": profiles,
            }
            if n < len(by_evse) - 1:
                payload["tbc"] = True
            payloads.append(payload)
        return payloads

    def refresh(self, smart: PortProfiles | None = None) -> None:
        """SmartChargingCtrlr.Entries: the profiles installed (a TxProfile ends with its
        transaction); the wire copies of the others go. Without `smart`, through the port's
        profiles a call reached last: a read that does not bring the model to now."""
        if smart is not None:
            self._smart = smart
        elif self._smart is None:
            return
        installed = {p.id for p in self._smart.profiles.profiles}
        self._wire = {i: w for i, w in self._wire.items() if i in installed or i == self._remote_id}
        self._device.set_live(SMART, "Entries", str(len(installed)))


def composite_schedule(
    smart: PortProfiles, evse_id: int, duration_s: int, unit: RateUnit, now_s: float, at: str
) -> dict[str, Any]:
    """GetCompositeSchedule's schedule (snake_case) from now (`at`) over `duration_s`; the
    station's (EVSE 0) is its one EVSE's, which every profile of the station limits."""
    return {
        "evse_id": evse_id,
        "duration": duration_s,
        "schedule_start": at,
        "charging_rate_unit": unit.value,
        "charging_schedule_period": periods(smart, 1, duration_s, unit, now_s),
    }


def _overlap(a: ChargingProfile, b: ChargingProfile) -> bool:
    """Whether the two profiles' validity periods overlap (no bound: open-ended)."""
    a_from = -float("inf") if a.valid_from_s is None else a.valid_from_s
    b_from = -float("inf") if b.valid_from_s is None else b.valid_from_s
    a_to = float("inf") if a.valid_to_s is None else a.valid_to_s
    b_to = float("inf") if b.valid_to_s is None else b.valid_to_s
    return a_from < b_to and b_from < a_to
