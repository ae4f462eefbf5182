"""OCPP 1.6J for a simulated charge point: model requests <-> wire payloads, and the handlers.

Everything version-specific lives here (a 2.0.1 module would subclass `OcppClient` the same
way). Outgoing payloads are built as wire dicts (camelCase) from the model's requests with the
`ocpp.v16.enums` values and validated by `OcppClient.enqueue` with ocppj's compiled schemas.
Calls from the central system arrive through ocppj's `Endpoint` routing at the `@on` handlers,
which answer with `ocpp.v16.call_result` types and enter the model through the `Station`.

Mapping rules:
- A model status change for connector 0 (the whole port: Available, Faulted, Unavailable)
  becomes a StatusNotification for connector 0 and for every connector whose status differs;
  a connector's own change (Preparing, Charging, Finishing) for that connector. Repeats are
  not sent.
- The model's transaction handle (`transaction_ref`, carried by its StartTransaction) is bound
  to the transactionId of that StartTransaction's reply.
- Smart charging (SetChargingProfile, ClearChargingProfile, GetCompositeSchedule, the
  TxProfile of a RemoteStartTransaction): profiles are checked against the Smart Charging
  keys here and installed in the model (`simulator.model.smart_charging`), whose composite
  limit the charge obeys; dates become virtual seconds with the run's clock.
- MeterValues carry Energy.Active.Import.Register (Wh), Power.Active.Import (W),
  Current.Import (A = P/V), Voltage (V) and SoC (%), as MeterValuesSampledData allows;
  periodic samples are thinned to MeterValueSampleInterval (0: none).
"""

from __future__ import annotations

from typing import Any, Final

from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    DataTransferStatus,
    GetCompositeScheduleStatus,
    Measurand,
    MessageTrigger,
    ReadingContext,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnitOfMeasure,
    UnlockStatus,
)

from simulator.model.charging_profiles import (
    ChargingProfile,
    Kind,
    Period,
    Purpose,
    RateUnit,
    Recurrency,
    Schedule,
)
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    MeterSample,
    Reply,
    Request,
    SiteNeeds,
    StartReply,
    StartTransaction,
    StatusChange,
    StopTransaction,
)
from simulator.model.smart_charging import PortProfiles
from simulator.model.world import DEFAULT_STATION
from simulator.ocpp import site_needs
from simulator.ocpp.client import OcppClient, Pending
from simulator.ocpp.configuration import AUTHORIZATION_KEY, ChangeStatus

VENDOR: Final = DEFAULT_STATION.vendor
FIRMWARE: Final = DEFAULT_STATION.firmware_version
SAMPLE_EPSILON_S: Final = 1e-6
MAX_COMPOSITE_S: Final = 31 * 86_400
"""GetCompositeSchedule answers for at most this long (a month of daily recurrences), so
an absurd duration cannot hold the event loop."""
_AUTH: Final = {
    AuthorizationStatus.accepted: AuthStatus.ACCEPTED,
    AuthorizationStatus.blocked: AuthStatus.BLOCKED,
    AuthorizationStatus.expired: AuthStatus.EXPIRED,
    AuthorizationStatus.invalid: AuthStatus.INVALID,
    # the model knows no ConcurrentTx: the driver is turned away as with an invalid tag
    AuthorizationStatus.concurrent_tx: AuthStatus.INVALID,
}
_ERROR_CODE: Final = {
    ChargePointStatus.faulted: ChargePointErrorCode.internal_error,
}
_ENERGY: Final = Measurand.energy_active_import_register.value
_POWER: Final = Measurand.power_active_import.value
_CURRENT: Final = Measurand.current_import.value
_VOLTAGE: Final = Measurand.voltage.value
_SOC: Final = Measurand.soc.value
_PERIODIC: Final = ReadingContext.sample_periodic.value


__all__ = [
    "FIRMWARE",
    "MAX_COMPOSITE_S",
    "SAMPLE_EPSILON_S",
    "VENDOR",
    "ChargePointV16",
    "composite_periods",
    "schedule_from_wire",
]


def _configuration_key(key: str, readonly: bool, value: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": key, "readonly": readonly}
    if value is not None:  # a write-only key (AuthorizationKey) goes without one
        entry["value"] = value
    return entry


def _auth_status(payload: dict[str, Any]) -> AuthStatus:
    return _AUTH.get(AuthorizationStatus(payload["idTagInfo"]["status"]), AuthStatus.INVALID)


class ChargePointV16(OcppClient):
    """A simulated OCPP 1.6J charge point: one model port, connectors numbered from 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        n = len(self.port.connectors)
        self._status = [ChargePointStatus.available.value] * (n + 1)
        self._tx_ids: dict[int, int] = {}  # model transaction ref -> transactionId
        self._active: dict[int, int] = {}  # connector -> transactionId
        self._meter_wh = 0
        self._last_periodic_s = -1e18
        for key, value in self.port.station.configuration:  # the station template's values
            self.config.set(key, value)
        self._measurands = self.config.measurands()

    # --- model -> wire ------------------------------------------------------------------

    def boot_payload(self) -> dict[str, Any]:
        port = self.port
        station = port.station
        model = station.model or f"{port.power_kw:g}kW {'+'.join(port.connectors)}"
        return {
            "chargePointVendor": station.vendor,
            "chargePointModel": model[:20],
            "chargePointSerialNumber": port.id[:25],
            "firmwareVersion": station.firmware_version,
        }

    def wire_messages(self, request: Request) -> list[tuple[str, dict[str, Any], bool]]:
        if isinstance(request, MeterSample):
            return self._meter_values(request)
        if isinstance(request, StatusChange):
            return self._status_changes(request)
        if isinstance(request, Authorize):
            return [(Action.authorize.value, {"idTag": request.id_tag}, False)]
        if isinstance(request, StartTransaction):
            self._meter_wh = request.meter_start_wh
            payload = {
                "connectorId": request.connector_id,
                "idTag": request.id_tag,
                "meterStart": request.meter_start_wh,
                "timestamp": self.clock.iso(request.at_s),
            }
            return [(Action.start_transaction.value, payload, True)]
        if isinstance(request, SiteNeeds):  # the site's local controller's report
            return [
                (
                    Action.data_transfer.value,
                    site_needs.data_transfer(request, self.clock.iso),
                    False,
                )
            ]
        return self._stop(request)

    def _bind(self, ref: int) -> int | None:
        return self._tx_ids.get(ref)

    def _status_changes(self, change: StatusChange) -> list[tuple[str, dict[str, Any], bool]]:
        status = change.status.value
        connectors = (
            range(len(self._status)) if change.connector_id == 0 else (change.connector_id,)
        )
        out = []
        at = self.clock.iso(change.at_s)
        for c in connectors:
            if self._status[c] != status:
                self._status[c] = status
                out.append((Action.status_notification.value, self._status_payload(c, at), False))
        return out

    def _status_payload(self, connector_id: int, at: str) -> dict[str, Any]:
        status = ChargePointStatus(self._status[connector_id])
        error = _ERROR_CODE.get(status, ChargePointErrorCode.no_error)
        return {
            "connectorId": connector_id,
            "errorCode": error.value,
            "status": status.value,
            "timestamp": at,
        }

    def _meter_values(self, sample: MeterSample) -> list[tuple[str, dict[str, Any], bool]]:
        self._meter_wh = sample.energy_wh
        if sample.context == _PERIODIC:
            interval_s = self.config.int_value("MeterValueSampleInterval")
            if (
                interval_s == 0
                or sample.at_s - self._last_periodic_s < interval_s - SAMPLE_EPSILON_S
            ):
                return []
            self._last_periodic_s = sample.at_s
        transaction_id = self._bind(sample.transaction_ref)
        payload: dict[str, Any] = {
            "connectorId": sample.connector_id,
            "meterValue": [
                {
                    "timestamp": self.clock.iso(sample.at_s),
                    "sampledValue": self._sampled_values(sample),
                }
            ],
        }
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
        return [(Action.meter_values.value, payload, transaction_id is not None)]

    def _sampled_values(self, sample: MeterSample) -> list[dict[str, str]]:
        wanted = self._measurands
        context = sample.context
        power_w = sample.power_kw * 1000.0
        out = []
        if _ENERGY in wanted:
            out.append(
                {
                    "value": str(sample.energy_wh),
                    "context": context,
                    "measurand": _ENERGY,
                    "unit": UnitOfMeasure.wh.value,
                }
            )
        if _POWER in wanted:
            out.append(
                {
                    "value": f"{power_w:.0f}",
                    "context": context,
                    "measurand": _POWER,
                    "unit": UnitOfMeasure.w.value,
                }
            )
        if _CURRENT in wanted and sample.voltage_v > 0:
            out.append(
                {
                    "value": f"{power_w / sample.voltage_v:.1f}",
                    "context": context,
                    "measurand": _CURRENT,
                    "unit": UnitOfMeasure.a.value,
                }
            )
        if _VOLTAGE in wanted:
            out.append(
                {
                    "value": f"{sample.voltage_v:.0f}",
                    "context": context,
                    "measurand": _VOLTAGE,
                    "unit": UnitOfMeasure.v.value,
                }
            )
        if _SOC in wanted and sample.soc is not None:
            out.append(
                {
                    "value": f"{sample.soc * 100.0:.1f}",
                    "context": context,
                    "measurand": _SOC,
                    "location": "EV",
                    "unit": UnitOfMeasure.percent.value,
                }
            )
        return out

    def _stop(self, stop: StopTransaction) -> list[tuple[str, dict[str, Any], bool]]:
        self._meter_wh = stop.meter_stop_wh
        transaction_id = self._bind(stop.transaction_ref)
        if transaction_id is None:
            self.logger.warning(
                "%s: stop of a transaction the central system never numbered", self.id
            )
            return []
        del self._tx_ids[stop.transaction_ref]
        for connector, active in list(self._active.items()):
            if active == transaction_id:
                del self._active[connector]
        payload = {
            "transactionId": transaction_id,
            "idTag": stop.id_tag,
            "meterStop": stop.meter_stop_wh,
            "timestamp": self.clock.iso(stop.at_s),
            "reason": Reason(stop.reason.value).value,
        }
        return [(Action.stop_transaction.value, payload, True)]

    # --- wire -> model ------------------------------------------------------------------

    def reply_for(self, pending: Pending, payload: dict[str, Any]) -> Reply:
        request = pending.request
        if isinstance(request, Authorize):
            return AuthReply(_auth_status(payload))
        if isinstance(request, StartTransaction):
            transaction_id = int(payload["transactionId"])
            self._tx_ids[request.transaction_ref] = transaction_id
            self._active[request.connector_id] = transaction_id
            return StartReply(_auth_status(payload), transaction_id)
        return None

    def refused_reply(self, request: Request) -> Reply:
        if isinstance(request, StartTransaction):
            return StartReply(AuthStatus.INVALID, 0)
        return AuthReply(AuthStatus.INVALID)

    def boot_answer(self, payload: dict[str, Any]) -> tuple[bool, int]:
        accepted = payload["status"] == RegistrationStatus.accepted.value
        return accepted, int(payload["interval"])

    def after_boot(self) -> None:
        at = self.clock.iso(self.station.now_s())
        for c in range(len(self._status)):
            self.enqueue(Action.status_notification.value, self._status_payload(c, at))

    def heartbeat(self) -> None:
        self.enqueue(Action.heartbeat.value, {})

    # --- calls from the central system --------------------------------------------------

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
    ) -> call_result.RemoteStartTransaction:
        valid = connector_id is None or 1 <= connector_id < len(self._status)
        profile = None
        if valid and charging_profile is not None and self.config.smart_charging():
            # a TxProfile for the transaction this starts (a charge point without the Smart
            # Charging profile ignores the field)
            profile = self._charging_profile(charging_profile, connector_id or 1)
            valid = (
                profile is not None
                and profile.purpose is Purpose.TX
                and self._within_limits(profile) is None
            )
        accepted = valid and self.station.remote_start(self.index, id_tag)
        if accepted and profile is not None:
            smart = self.station.smart_charging(self.index)
            if smart is not None:
                smart.remote_start_profile(profile)
        return call_result.RemoteStartTransaction(
            status=RemoteStartStopStatus.accepted if accepted else RemoteStartStopStatus.rejected
        )

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int) -> call_result.RemoteStopTransaction:
        accepted = False
        if transaction_id in self._active.values():
            refs = [r for r, t in self._tx_ids.items() if t == transaction_id]
            # a start whose first sample is still to come: the port's current transaction
            accepted = self.station.remote_stop(self.index, refs[0] if refs else -1)
        return call_result.RemoteStopTransaction(
            status=RemoteStartStopStatus.accepted if accepted else RemoteStartStopStatus.rejected
        )

    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        accepted = self.station.reset(self.index, type == ResetType.hard.value)
        if accepted:
            self.request_reboot()
        return call_result.Reset(status=ResetStatus.accepted if accepted else ResetStatus.rejected)

    @on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str
    ) -> call_result.ChangeAvailability:
        if not 0 <= connector_id < len(self._status):
            return call_result.ChangeAvailability(status=AvailabilityStatus.rejected)
        status = self.station.change_availability(
            self.index, type == AvailabilityType.operative.value
        )
        return call_result.ChangeAvailability(status=AvailabilityStatus(status))

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        known, unknown = self.config.get(key)
        return call_result.GetConfiguration(
            configuration_key=[_configuration_key(k, ro, v) for k, ro, v in known],
            unknown_key=unknown or None,
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> call_result.ChangeConfiguration:
        status = self.config.change(key, value)
        if status is ChangeStatus.ACCEPTED:
            if key == "HeartbeatInterval":
                self.station.heartbeat_changed(self.index)
            elif key == "MeterValuesSampledData":
                self._measurands = self.config.measurands()
            elif key == AUTHORIZATION_KEY:
                self.use_password(value)  # reconnects once this reply is sent
        return call_result.ChangeConfiguration(status=ConfigurationStatus(status.value))

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None
    ) -> call_result.TriggerMessage:
        if connector_id is not None and not 0 <= connector_id < len(self._status):
            return call_result.TriggerMessage(status=TriggerMessageStatus.rejected)
        at = self.clock.iso(self.station.now_s())
        connectors = range(len(self._status)) if connector_id is None else (connector_id,)
        if requested_message == MessageTrigger.boot_notification.value:
            self.trigger_boot()
        elif requested_message == MessageTrigger.heartbeat.value:
            self.heartbeat()
        elif requested_message == MessageTrigger.status_notification.value:
            for c in connectors:
                self.enqueue(Action.status_notification.value, self._status_payload(c, at))
        elif requested_message == MessageTrigger.meter_values.value:
            for c in connectors:
                self.enqueue(Action.meter_values.value, self._triggered_meter_values(c, at))
        elif requested_message == MessageTrigger.diagnostics_status_notification.value:
            self.enqueue(Action.diagnostics_status_notification.value, {"status": "Idle"})
        elif requested_message == MessageTrigger.firmware_status_notification.value:
            self.enqueue(Action.firmware_status_notification.value, {"status": "Idle"})
        else:
            return call_result.TriggerMessage(status=TriggerMessageStatus.not_implemented)
        return call_result.TriggerMessage(status=TriggerMessageStatus.accepted)

    def _triggered_meter_values(self, connector_id: int, at: str) -> dict[str, Any]:
        # the register now while a session is on the port, else as of its last reading
        register_wh = self.station.meter_wh(self.index)
        if register_wh is None:
            register_wh = self._meter_wh
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "meterValue": [
                {
                    "timestamp": at,
                    "sampledValue": [
                        {
                            "value": str(register_wh),
                            "context": ReadingContext.trigger.value,
                            "measurand": _ENERGY,
                            "unit": UnitOfMeasure.wh.value,
                        }
                    ],
                }
            ],
        }
        transaction_id = self._active.get(connector_id)
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
        return payload

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int) -> call_result.UnlockConnector:
        if not 1 <= connector_id < len(self._status):
            return call_result.UnlockConnector(status=UnlockStatus.not_supported)
        self.station.unlock(self.index, connector_id)
        return call_result.UnlockConnector(status=UnlockStatus.unlocked)

    # --- smart charging -----------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> call_result.SetChargingProfile:
        if not self.config.smart_charging():
            return call_result.SetChargingProfile(status=ChargingProfileStatus.not_supported)
        why = self._refusal(connector_id, cs_charging_profiles)
        if why is not None:
            self.logger.info("%s: SetChargingProfile rejected: %s", self.id, why)
            return call_result.SetChargingProfile(status=ChargingProfileStatus.rejected)
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    def _refusal(self, connector_id: int, wire: dict[str, Any]) -> str | None:
        """Install the profile; else why not."""
        if not 0 <= connector_id < len(self._status):
            return f"no connector {connector_id}"
        smart = self.station.smart_charging(self.index)  # the model brought to now
        if smart is None:
            return "not booted"
        profile = self._charging_profile(wire, connector_id)
        if profile is None:
            return "a date that is not one"
        if profile.purpose is Purpose.TX:
            tx = smart.transaction
            if tx is None or tx.connector != connector_id:
                return "a TxProfile without a transaction on the connector"
            asked = wire.get("transaction_id")
            if asked is not None and asked != self._active.get(connector_id):
                return f"a TxProfile for transaction {asked}, not the running one"
        why = self._within_limits(profile)
        if why is not None:
            return why
        installed = smart.profiles
        if len(installed) - installed.replaced_count(profile) >= self.config.int_value(
            "MaxChargingProfilesInstalled"
        ):
            return "MaxChargingProfilesInstalled reached"
        smart.install(profile)
        return None

    def _within_limits(self, profile: ChargingProfile) -> str | None:
        """Why the profile breaks the rules or the Smart Charging keys (None: it does not)."""
        problem = profile.problem()
        if problem is not None:
            return problem
        config = self.config
        if profile.stack_level > config.int_value("ChargeProfileMaxStackLevel"):
            return f"stack level {profile.stack_level} above ChargeProfileMaxStackLevel"
        if profile.schedule.unit.value not in config.rate_units():
            return f"rate unit {profile.schedule.unit.value} not allowed"
        if len(profile.schedule.periods) > config.int_value("ChargingScheduleMaxPeriods"):
            return "more periods than ChargingScheduleMaxPeriods"
        return None

    def _charging_profile(self, wire: dict[str, Any], connector_id: int) -> ChargingProfile | None:
        """The model's profile of a (schema-valid, snake_case) csChargingProfiles; None when a
        date does not parse."""
        schedule = wire["charging_schedule"]
        try:
            start_s = self._seconds(schedule.get("start_schedule"))
            valid_from_s = self._seconds(wire.get("valid_from"))
            valid_to_s = self._seconds(wire.get("valid_to"))
        except ValueError:
            return None
        kind = Kind(wire["charging_profile_kind"])
        if start_s is None and kind is Kind.ABSOLUTE:
            start_s = self.station.now_s()  # no startSchedule: from when it came
        recurrency = wire.get("recurrency_kind")
        return ChargingProfile(
            id=int(wire["charging_profile_id"]),
            connector=connector_id,
            stack_level=int(wire["stack_level"]),
            purpose=Purpose(wire["charging_profile_purpose"]),
            kind=kind,
            schedule=schedule_from_wire(schedule, start_s),
            recurrency=None if recurrency is None else Recurrency(recurrency),
            valid_from_s=valid_from_s,
            valid_to_s=valid_to_s,
        )

    def _smart(self) -> PortProfiles | None:
        """The port's profiles; None without the Smart Charging feature profile."""
        if not self.config.smart_charging():
            return None
        return self.station.smart_charging(self.index)

    def _seconds(self, text: str | None) -> float | None:
        return None if text is None else self.clock.seconds(text)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,  # the CALL's field
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
    ) -> call_result.ClearChargingProfile:
        smart = self._smart()
        removed = 0
        if smart is not None:
            purpose = (
                None if charging_profile_purpose is None else Purpose(charging_profile_purpose)
            )
            removed = smart.clear(id, connector_id, purpose, stack_level)
        return call_result.ClearChargingProfile(
            status=ClearChargingProfileStatus.accepted
            if removed
            else ClearChargingProfileStatus.unknown
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None
    ) -> call_result.GetCompositeSchedule:
        smart = self._smart()
        if smart is None or not 0 <= connector_id < len(self._status):
            return call_result.GetCompositeSchedule(status=GetCompositeScheduleStatus.rejected)
        unit = RateUnit(charging_rate_unit or ChargingRateUnitType.watts.value)
        duration = min(duration, MAX_COMPOSITE_S)
        now_s = self.station.now_s()
        start = self.clock.iso(now_s)
        return call_result.GetCompositeSchedule(
            status=GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=start,
            charging_schedule={
                "duration": duration,
                "start_schedule": start,
                "charging_rate_unit": unit.value,
                "charging_schedule_period": composite_periods(
                    smart, connector_id, duration, unit, now_s
                ),
            },
        )

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        return call_result.ClearCache(status=ClearCacheStatus.accepted)

    @on(Action.data_transfer)
    def on_data_transfer(
        self,
        vendor_id: str,  # noqa: ARG002 (the CALL's fields; this charge point knows no vendor)
        message_id: str | None = None,  # noqa: ARG002
        data: str | None = None,  # noqa: ARG002
    ) -> call_result.DataTransfer:
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)


def schedule_from_wire(schedule: dict[str, Any], start_s: float | None) -> Schedule:
    """A chargingSchedule as the `ocpp` package gives it (snake case; the same fields in 1.6
    and 2.0.1), starting at virtual `start_s`."""
    duration = schedule.get("duration")
    min_rate = schedule.get("min_charging_rate")
    return Schedule(
        unit=RateUnit(schedule["charging_rate_unit"]),
        periods=tuple(
            Period(float(p["start_period"]), float(p["limit"]), p.get("number_phases"))
            for p in schedule["charging_schedule_period"]
        ),
        duration_s=None if duration is None else float(duration),
        start_s=start_s,
        min_rate=None if min_rate is None else float(min_rate),
    )


def composite_periods(
    smart: PortProfiles, connector_id: int, duration_s: int, unit: RateUnit, now_s: float
) -> list[dict[str, Any]]:
    """The composite schedule as 1.6 chargingSchedulePeriods: whole seconds from now, limits
    in `unit` to 0.1 (the port's rating where no profile limits it)."""
    out: list[dict[str, Any]] = []
    supply = smart.supply
    for from_s, kw in smart.composite(connector_id, float(duration_s)):
        start = round(from_s - now_s)
        limit = round(supply.in_unit(smart.rating_kw if kw is None else kw, unit), 1)
        if out and out[-1]["start_period"] == start:
            out.pop()  # two changes within the same second: the later one holds
        if out and out[-1]["limit"] == limit:
            continue
        out.append({"start_period": start, "limit": limit})
    return out
