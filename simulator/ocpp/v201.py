"""OCPP 2.0.1 for a simulated charging station: model requests <-> wire payloads, and handlers.

The sibling of `simulator.ocpp.v16`, on the same `OcppClient` (one websocket, the offline
queue, the boot): one charging station per model port, with one EVSE (id 1) whose connectors
are the port's, numbered from 1. Outgoing payloads are wire dicts validated by
`OcppClient.enqueue` with ocppj's compiled 2.0.1 schemas; the central system's calls arrive at
the `@on` handlers, which answer with `ocpp.v201.call_result` types.

Mapping rules (docs/ocpp.md has the table):
- Model statuses become StatusNotification per connector with 2.0.1's connector statuses
  (Preparing, Charging, SuspendedEV, Finishing -> Occupied); a status for connector 0 (the
  whole port) goes to every connector whose status differs. Repeats are not sent.
- The model's StartTransaction is a TransactionEvent Started with a transactionId the station
  chooses (run prefix, station index, a counter), its Transaction.Begin register and
  triggerReason Authorized (RemoteStart with the remoteStartId for a RequestStartTransaction's
  token). The model's Transaction.Begin sample is an Updated event (ChargingStateChanged to
  Charging); periodic samples are Updated events (MeterValuePeriodic) thinned to
  SampledDataCtrlr.TxUpdatedInterval (0: none); the Transaction.End sample rides in the Ended
  event, whose triggerReason and stoppedReason come from the model's stop reason.
- Every event of a transaction carries the next seqNo (0 first), and offline = true when it
  was raised while the station had no accepted connection. They all go through the client's
  one FIFO, in order, and a refused one is retried (OCPPCommCtrlr.MessageAttempts /
  MessageAttemptInterval of TransactionEvent) with the same seqNo.
- A sample with no transaction of the station's becomes MeterValues for EVSE 1.

Security (security profiles 1-3 are the transport's; SecurityCtrlr reports which): the station
sends SecurityEventNotification for StartupOfTheDevice (after its first accepted boot),
ResetOrReboot (after the boot a Reset caused), ReconfigurationOfSecurityParameters (a
BasicAuthPassword accepted: on the connection opened with it), FailedToAuthenticateAtCsms (a
handshake refused with HTTP 401, or a TLS alert refusing our certificate) and InvalidCsmsCertificate
(the CSMS's certificate did not verify); the last two once per run of refused attempts, queued
and delivered on the next connection that works.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final

from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import (
    Action,
    AuthorizationStatusEnumType,
    ChangeAvailabilityStatusEnumType,
    ChargingProfileStatusEnumType,
    ClearCacheStatusEnumType,
    ClearChargingProfileStatusEnumType,
    DataTransferStatusEnumType,
    GenericDeviceModelStatusEnumType,
    GenericStatusEnumType,
    GetChargingProfileStatusEnumType,
    MessageTriggerEnumType,
    OperationalStatusEnumType,
    ReasonEnumType,
    RegistrationStatusEnumType,
    RequestStartStopStatusEnumType,
    ResetEnumType,
    ResetStatusEnumType,
    TriggerMessageStatusEnumType,
    TriggerReasonEnumType,
    UnlockStatusEnumType,
)
from websockets.asyncio.client import ClientConnection

from ocppj import OCPP201
from simulator.model.charging_profiles import ChargingProfile, RateUnit
from simulator.model.requests import (
    Authorize,
    AuthReply,
    AuthStatus,
    MeterSample,
    PortStatus,
    Reply,
    Request,
    SiteNeeds,
    StartReply,
    StartTransaction,
    StatusChange,
    StopReason,
    StopTransaction,
)
from simulator.model.smart_charging import PortProfiles
from simulator.ocpp import site_needs
from simulator.ocpp.client import OcppClient, Pending
from simulator.ocpp.device_model import (
    BASIC_AUTH_PASSWORD,
    GET_REPORT_ITEMS,
    SMART,
    DeviceModel,
    GetStatus,
)
from simulator.ocpp.smart_charging201 import Refusal, StationProfiles, composite_schedule
from simulator.ocpp.transport import (
    CREDENTIALS,
    SERVER_CERTIFICATE,
    BackendError,
    TransportConfig,
    security_profile,
)
from simulator.ocpp.v16 import MAX_COMPOSITE_S, SAMPLE_EPSILON_S

__all__ = ["SECURITY_EVENTS", "STOP_REASONS", "ChargingStationV201"]

EVSE_ID: Final = 1
DEFAULT_TOKEN_TYPE: Final = "ISO14443"  # a driver's RFID card
_CONNECTOR_STATUS: Final = {
    PortStatus.AVAILABLE: "Available",
    PortStatus.PREPARING: "Occupied",
    PortStatus.CHARGING: "Occupied",
    PortStatus.SUSPENDED_EV: "Occupied",
    PortStatus.FINISHING: "Occupied",
    PortStatus.FAULTED: "Faulted",
    PortStatus.UNAVAILABLE: "Unavailable",
}
_AUTH: Final = {
    AuthorizationStatusEnumType.accepted.value: AuthStatus.ACCEPTED,
    AuthorizationStatusEnumType.blocked.value: AuthStatus.BLOCKED,
    AuthorizationStatusEnumType.expired.value: AuthStatus.EXPIRED,
    AuthorizationStatusEnumType.invalid.value: AuthStatus.INVALID,
    AuthorizationStatusEnumType.concurrent_tx.value: AuthStatus.CONCURRENT_TX,
    # NoCredit, NotAllowedTypeEVSE, NotAtThisLocation, NotAtThisTime, Unknown: turned away
}
STOP_REASONS: Final = {
    # model stop reason -> (triggerReason, stoppedReason)
    StopReason.LOCAL: (TriggerReasonEnumType.stop_authorized, ReasonEnumType.local),
    StopReason.EV_DISCONNECTED: (
        TriggerReasonEnumType.ev_communication_lost,
        ReasonEnumType.ev_disconnected,
    ),
    StopReason.REMOTE: (TriggerReasonEnumType.remote_stop, ReasonEnumType.remote),
    StopReason.UNLOCK_COMMAND: (TriggerReasonEnumType.unlock_command, ReasonEnumType.other),
    StopReason.POWER_LOSS: (TriggerReasonEnumType.abnormal_condition, ReasonEnumType.power_loss),
    StopReason.OTHER: (TriggerReasonEnumType.time_limit_reached, ReasonEnumType.other),
    StopReason.DE_AUTHORIZED: (TriggerReasonEnumType.deauthorized, ReasonEnumType.de_authorized),
    StopReason.HARD_RESET: (TriggerReasonEnumType.reset_command, ReasonEnumType.immediate_reset),
    StopReason.SOFT_RESET: (TriggerReasonEnumType.reset_command, ReasonEnumType.reboot),
}
_UNITS: Final = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}
_ENDED_STATE: Final = {StopReason.EV_DISCONNECTED: "Idle"}
_ENERGY: Final = "Energy.Active.Import.Register"
_PERIODIC: Final = "Sample.Periodic"
_BEGIN: Final = "Transaction.Begin"
_END: Final = "Transaction.End"
_SAMPLED: Final = "SampledDataCtrlr"
_TRANSACTION_EVENT: Final = Action.transaction_event.value
_STATUS_NOTIFICATION: Final = Action.status_notification.value
_SECURITY_EVENT: Final = Action.security_event_notification.value
_RESET_BOOTS: Final = ("RemoteReset", "ScheduledReset")
SECURITY_EVENTS: Final = {
    # a refused handshake (BackendError.refused) -> the security event it is
    CREDENTIALS: "FailedToAuthenticateAtCsms",
    SERVER_CERTIFICATE: "InvalidCsmsCertificate",
}

Message = tuple[str, dict[str, Any], bool]


@dataclass(slots=True)
class _Transaction:
    """What the station keeps of a transaction it runs (mutable: seqNo moves on)."""

    id: str
    connector_id: int
    id_token: dict[str, str]
    seq_no: int = 0
    end_sample: MeterSample | None = field(default=None)

    def next_seq_no(self) -> int:
        seq_no = self.seq_no
        self.seq_no += 1
        return seq_no


def _auth_status(payload: dict[str, Any]) -> AuthStatus:
    info = payload.get("idTokenInfo")
    if info is None:  # a TransactionEvent answered without a verdict: accepted
        return AuthStatus.ACCEPTED
    return _AUTH.get(info["status"], AuthStatus.INVALID)


class ChargingStationV201(OcppClient):
    """A simulated OCPP 2.0.1 charging station: one model port, one EVSE, its connectors."""

    default_version = OCPP201

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transport = replace(self.transport, subprotocol=OCPP201)
        port = self.port
        n = len(port.connectors)
        self._status = ["Available"] * (n + 1)  # by connector; [0] unused
        station = port.station  # the scenario's station template, or chargenet's default
        self._model_name = (station.model or f"{port.power_kw:g}kW {'+'.join(port.connectors)}")[
            :20
        ]
        self.device = DeviceModel(
            self.config,
            model=self._model_name,
            vendor=station.vendor,
            connectors=tuple(port.connectors),
            power_kw=port.power_kw,
            identity=port.id,
            security_profile=security_profile(self.transport),
            certificate_entries=_certificate_entries(self.transport),
        )
        self._profiles = StationProfiles(
            self.device, self.config, self.clock, station.configuration
        )
        self._transactions: dict[int, _Transaction] = {}  # model transaction ref -> state
        self._started = 0
        self._meter_wh = 0
        self._last_periodic_s = -1e18
        self._remote: dict[str, tuple[int, str]] = {}
        """id token -> (remoteStartId, type) of an accepted RequestStartTransaction."""
        self._boot_reason = "PowerUp"
        self._reset_on_idle = False
        self._reset_info = ("", 0.0)  # the last Reset's type and virtual time
        self._started_up = False
        self._handshake_refused: str | None = None
        """The refusal of the last handshake, reported once until a handshake succeeds."""

    # --- model -> wire ------------------------------------------------------------------

    def boot_payload(self) -> dict[str, Any]:
        return {
            "chargingStation": {
                "model": self._model_name,
                "vendorName": self.port.station.vendor,
                "serialNumber": self.port.id[:25],
                "firmwareVersion": self.port.station.firmware_version,
            },
            "reason": self._boot_reason,
        }

    def wire_messages(self, request: Request) -> list[Message]:
        if isinstance(request, MeterSample):
            return self._meter_values(request)
        if isinstance(request, StatusChange):
            return self._status_changes(request)
        if isinstance(request, Authorize):
            return [(Action.authorize.value, {"idToken": self._token(request.id_tag)}, False)]
        if isinstance(request, StartTransaction):
            return [self._started_event(request)]
        if isinstance(request, SiteNeeds):  # the site's local controller's report
            payload = site_needs.data_transfer_201(request, self.clock.iso)
            return [(Action.data_transfer.value, payload, False)]
        return self._ended_event(request)

    def _token(self, id_tag: str) -> dict[str, str]:
        remote = self._remote.get(id_tag)
        return {"idToken": id_tag, "type": DEFAULT_TOKEN_TYPE if remote is None else remote[1]}

    def _status_changes(self, change: StatusChange) -> list[Message]:
        status = _CONNECTOR_STATUS[change.status]
        connectors = (
            range(1, len(self._status)) if change.connector_id == 0 else (change.connector_id,)
        )
        at = self.clock.iso(change.at_s)
        out = []
        for c in connectors:
            if self._status[c] != status:
                self._status[c] = status
                self.device.set_availability(EVSE_ID, c, status)
                out.append((_STATUS_NOTIFICATION, self._status_payload(c, at), False))
        if change.connector_id == 0:
            self.device.set_availability(None, None, status)
            self.device.set_availability(EVSE_ID, None, status)
        return out

    def _status_payload(self, connector_id: int, at: str) -> dict[str, Any]:
        return {
            "timestamp": at,
            "connectorStatus": self._status[connector_id],
            "evseId": EVSE_ID,
            "connectorId": connector_id,
        }

    def _event(
        self,
        tx: _Transaction,
        event_type: str,
        at_s: float,
        trigger: str,
        meter_value: list[dict[str, Any]] | None = None,
        **transaction_info: str,
    ) -> Message:
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": self.clock.iso(at_s),
            "triggerReason": trigger,
            "seqNo": tx.next_seq_no(),
            "transactionInfo": {"transactionId": tx.id, **transaction_info},
        }
        if not self.online:
            payload["offline"] = True
        kept = [m for m in meter_value or () if m["sampledValue"]]  # none: measurands off
        if kept:
            payload["meterValue"] = kept
        return (_TRANSACTION_EVENT, payload, True)

    def _started_event(self, start: StartTransaction) -> Message:
        self._meter_wh = start.meter_start_wh
        self._started += 1
        tx = _Transaction(
            f"{self._id_prefix}{self.index}-{self._started}",
            start.connector_id,
            self._token(start.id_tag),
        )
        self._transactions[start.transaction_ref] = tx
        remote = self._remote.pop(start.id_tag, None)
        trigger = (
            TriggerReasonEnumType.authorized
            if remote is None
            else (TriggerReasonEnumType.remote_start)
        )
        begin = [self._register(start.meter_start_wh, start.at_s, _BEGIN, "TxStartedMeasurands")]
        info: dict[str, Any] = {"chargingState": "EVConnected"}
        if remote is not None:
            info["remoteStartId"] = remote[0]
        action, payload, transactional = self._event(
            tx, "Started", start.at_s, trigger.value, begin, **info
        )
        payload["idToken"] = tx.id_token
        payload["evse"] = {"id": EVSE_ID, "connectorId": start.connector_id}
        return action, payload, transactional

    def _register(
        self, energy_wh: int, at_s: float, context: str, measurands: str
    ) -> dict[str, Any]:
        """A meter value of the energy register only (when no fuller sample is at hand)."""
        sampled = [_sampled(energy_wh, context, _ENERGY)]
        if _ENERGY not in self.device.members(_SAMPLED, measurands):
            sampled = []
        return {"timestamp": self.clock.iso(at_s), "sampledValue": sampled}

    def _meter_values(self, sample: MeterSample) -> list[Message]:
        self._meter_wh = sample.energy_wh
        tx = self._transactions.get(sample.transaction_ref)
        context = sample.context
        if tx is None:
            value = self._meter_value(sample, "TxUpdatedMeasurands")
            return [(Action.meter_values.value, {"evseId": EVSE_ID, "meterValue": [value]}, False)]
        if context == _END:
            tx.end_sample = sample  # rides in the Ended event that follows at this instant
            return []
        if context == _BEGIN:
            value = self._meter_value(sample, "TxUpdatedMeasurands")
            return [
                self._event(
                    tx,
                    "Updated",
                    sample.at_s,
                    TriggerReasonEnumType.charging_state_changed.value,
                    [value],
                    chargingState="Charging",
                )
            ]
        interval_s = self.device.int_value(_SAMPLED, "TxUpdatedInterval")
        if interval_s == 0 or sample.at_s - self._last_periodic_s < interval_s - SAMPLE_EPSILON_S:
            return []
        self._last_periodic_s = sample.at_s
        value = self._meter_value(sample, "TxUpdatedMeasurands")
        trigger = TriggerReasonEnumType.meter_value_periodic.value
        return [self._event(tx, "Updated", sample.at_s, trigger, [value])]

    def _meter_value(self, sample: MeterSample, measurands: str) -> dict[str, Any]:
        wanted = self.device.members(_SAMPLED, measurands)
        context = sample.context
        power_w = sample.power_kw * 1000.0
        out = []
        if _ENERGY in wanted:
            out.append(_sampled(sample.energy_wh, context, _ENERGY))
        if "Power.Active.Import" in wanted:
            out.append(_sampled(round(power_w), context, "Power.Active.Import"))
        if "Current.Import" in wanted and sample.voltage_v > 0:
            out.append(_sampled(round(power_w / sample.voltage_v, 1), context, "Current.Import"))
        if "Voltage" in wanted:
            out.append(_sampled(round(sample.voltage_v), context, "Voltage"))
        if "SoC" in wanted and sample.soc is not None:
            soc = _sampled(round(sample.soc * 100.0, 1), context, "SoC")
            soc["location"] = "EV"
            out.append(soc)
        if not out:  # sampledValue needs one at least: the register is always measured
            out.append(_sampled(sample.energy_wh, context, _ENERGY))
        return {"timestamp": self.clock.iso(sample.at_s), "sampledValue": out}

    def _ended_event(self, stop: StopTransaction) -> list[Message]:
        self._meter_wh = stop.meter_stop_wh
        tx = self._transactions.pop(stop.transaction_ref, None)
        if tx is None:
            self.logger.warning("%s: stop of a transaction the station never started", self.id)
            return []
        if tx.end_sample is not None:
            end = self._meter_value(tx.end_sample, "TxEndedMeasurands")
        else:
            end = self._register(stop.meter_stop_wh, stop.at_s, _END, "TxEndedMeasurands")
        trigger, reason = STOP_REASONS[stop.reason]
        return [
            self._event(
                tx,
                "Ended",
                stop.at_s,
                trigger.value,
                [end],
                chargingState="Idle"
                if stop.reason is StopReason.EV_DISCONNECTED
                else "EVConnected",
                stoppedReason=reason.value,
            )
        ]

    # --- wire -> model ------------------------------------------------------------------

    def reply_for(self, pending: Pending, payload: dict[str, Any]) -> Reply:
        request = pending.request
        if isinstance(request, Authorize):
            return AuthReply(_auth_status(payload))
        if isinstance(request, StartTransaction):
            return StartReply(_auth_status(payload), self._started)
        if self._reset_on_idle and isinstance(request, StopTransaction) and not self._transactions:
            self._reset_now()
        return None

    def refused_reply(self, request: Request) -> Reply:
        if isinstance(request, StartTransaction):
            return StartReply(AuthStatus.INVALID, 0)
        return AuthReply(AuthStatus.INVALID)

    def boot_answer(self, payload: dict[str, Any]) -> tuple[bool, int]:
        accepted = payload["status"] == RegistrationStatusEnumType.accepted.value
        return accepted, int(payload["interval"])

    def after_boot(self) -> None:
        reason, self._boot_reason = self._boot_reason, "PowerUp"
        now_s = self.station.now_s()
        at = self.clock.iso(now_s)
        for c in range(1, len(self._status)):
            self.enqueue(_STATUS_NOTIFICATION, self._status_payload(c, at))
        if reason in _RESET_BOOTS:
            kind, reset_s = self._reset_info
            self.security_event("ResetOrReboot", reset_s, f"Reset {kind} ({reason})")
        elif not self._started_up:
            self.security_event("StartupOfTheDevice", now_s)
        self._started_up = True

    def security_event(self, kind: str, at_s: float, tech_info: str | None = None) -> None:
        """Queue a SecurityEventNotification (sent in order, or on the next connection)."""
        payload = {"type": kind, "timestamp": self.clock.iso(at_s)}
        if tech_info:
            payload["techInfo"] = tech_info[:255]
        self.enqueue(_SECURITY_EVENT, payload)

    async def _open(self) -> ClientConnection:
        try:
            ws = await super()._open()
        except BackendError as error:
            kind = None if error.refused is None else SECURITY_EVENTS[error.refused]
            if kind is not None and self._handshake_refused != kind:
                self._handshake_refused = kind
                self.security_event(kind, self.station.now_s(), str(error))
            raise
        self._handshake_refused = None
        return ws

    def heartbeat(self) -> None:
        self.enqueue(Action.heartbeat.value, {})

    # --- calls from the central system --------------------------------------------------

    def _transaction_by_id(self, transaction_id: str) -> tuple[int, _Transaction] | None:
        for ref, tx in self._transactions.items():
            if tx.id == transaction_id:
                return ref, tx
        return None

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.RequestStartTransaction:
        token = str(id_token["id_token"])
        profile: ChargingProfile | None = None
        if charging_profile is not None and self._profiles.enabled:
            # the TxProfile of the transaction this starts (ignored without smart charging)
            checked = self._profiles.remote_start(charging_profile, self.station.now_s())
            if isinstance(checked, Refusal):
                return call_result.RequestStartTransaction(
                    status=RequestStartStopStatusEnumType.rejected,
                    status_info=checked.status_info(),
                )
            profile = checked
        accepted = evse_id in (None, EVSE_ID) and self.station.remote_start(self.index, token)
        if accepted:
            self._remote[token] = (remote_start_id, str(id_token["type"]))
            smart = None if profile is None else self.station.smart_charging(self.index)
            if smart is not None and profile is not None:
                smart.number_by_evse()
                self._profiles.remote_started(smart, profile, charging_profile or {})
        return call_result.RequestStartTransaction(
            status=RequestStartStopStatusEnumType.accepted
            if accepted
            else RequestStartStopStatusEnumType.rejected
        )

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(
        self, transaction_id: str, **_: Any
    ) -> call_result.RequestStopTransaction:
        found = self._transaction_by_id(transaction_id)
        accepted = found is not None and self.station.remote_stop(self.index, found[0])
        return call_result.RequestStopTransaction(
            status=RequestStartStopStatusEnumType.accepted
            if accepted
            else RequestStartStopStatusEnumType.rejected
        )

    @on(Action.get_transaction_status)
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        queued = any(
            p.action == _TRANSACTION_EVENT
            and (
                transaction_id is None
                or p.payload["transactionInfo"]["transactionId"] == transaction_id
            )
            for p in self._queue
        )
        ongoing = None
        if transaction_id is not None:
            ongoing = self._transaction_by_id(transaction_id) is not None
        return call_result.GetTransactionStatus(messages_in_queue=queued, ongoing_indicator=ongoing)

    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:
        if evse_id is not None:  # one EVSE: resetting it alone is not supported
            return call_result.Reset(status=ResetStatusEnumType.rejected)
        if type == ResetEnumType.on_idle.value and self._transactions:
            # OnIdle waits for the running transaction to end (reply_for of its Ended)
            self._reset_on_idle = True
            self._reset_info = (type, self.station.now_s())
            return call_result.Reset(status=ResetStatusEnumType.scheduled)
        accepted = self.station.reset(self.index, type == ResetEnumType.immediate.value)
        if accepted:
            self._reset_info = (type, self.station.now_s())
            self._boot_reason = "RemoteReset"
            self.request_reboot()
        return call_result.Reset(
            status=ResetStatusEnumType.accepted if accepted else ResetStatusEnumType.rejected
        )

    def _reset_now(self) -> None:
        self._reset_on_idle = False
        if self.station.reset(self.index, False):
            self._reset_info = (self._reset_info[0], self.station.now_s())
            self._boot_reason = "ScheduledReset"
            self.request_reboot()

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        if evse is not None:
            connector = evse.get("connector_id")
            if evse.get("id") != EVSE_ID or (
                connector is not None and not 1 <= connector < len(self._status)
            ):
                return call_result.ChangeAvailability(
                    status=ChangeAvailabilityStatusEnumType.rejected
                )
        status = self.station.change_availability(
            self.index, operational_status == OperationalStatusEnumType.operative.value
        )
        return call_result.ChangeAvailability(status=ChangeAvailabilityStatusEnumType(status))

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        connectors: range | tuple[int, ...] = range(1, len(self._status))
        if evse is not None:
            connector = evse.get("connector_id")
            if evse.get("id") != EVSE_ID or (
                connector is not None and not 1 <= connector < len(self._status)
            ):
                return call_result.TriggerMessage(status=TriggerMessageStatusEnumType.rejected)
            if connector is not None:
                connectors = (connector,)
        now_s = self.station.now_s()
        at = self.clock.iso(now_s)
        accepted = TriggerMessageStatusEnumType.accepted
        if requested_message == MessageTriggerEnumType.boot_notification.value:
            self._boot_reason = "Triggered"
            self.trigger_boot()
            self._boot_reason = "PowerUp"
        elif requested_message == MessageTriggerEnumType.heartbeat.value:
            self.heartbeat()
        elif requested_message == MessageTriggerEnumType.status_notification.value:
            for c in connectors:
                self.enqueue(_STATUS_NOTIFICATION, self._status_payload(c, at))
        elif requested_message == MessageTriggerEnumType.meter_values.value:
            self.enqueue(Action.meter_values.value, self._triggered_meter_values(now_s))
        elif requested_message == MessageTriggerEnumType.transaction_event.value:
            if not self._transactions:
                return call_result.TriggerMessage(status=TriggerMessageStatusEnumType.rejected)
            for tx in self._transactions.values():
                value = self._triggered_meter_values(now_s)["meterValue"]
                event = self._event(tx, "Updated", now_s, "Trigger", value)
                self.enqueue(event[0], event[1], transactional=True)
        elif requested_message == MessageTriggerEnumType.firmware_status_notification.value:
            self.enqueue(Action.firmware_status_notification.value, {"status": "Idle"})
        elif requested_message == MessageTriggerEnumType.log_status_notification.value:
            self.enqueue(Action.log_status_notification.value, {"status": "Idle"})
        else:
            accepted = TriggerMessageStatusEnumType.not_implemented
        return call_result.TriggerMessage(status=accepted)

    def _triggered_meter_values(self, now_s: float) -> dict[str, Any]:
        # the register now while a session is on the port, else as of its last reading
        register_wh = self.station.meter_wh(self.index)
        if register_wh is None:
            register_wh = self._meter_wh
        value = {
            "timestamp": self.clock.iso(now_s),
            "sampledValue": [_sampled(register_wh, "Trigger", _ENERGY)],
        }
        return {"evseId": EVSE_ID, "meterValue": [value]}

    @on(Action.unlock_connector)
    def on_unlock_connector(
        self, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.UnlockConnector:
        if evse_id != EVSE_ID or not 1 <= connector_id < len(self._status):
            return call_result.UnlockConnector(status=UnlockStatusEnumType.unknown_connector)
        if any(tx.connector_id == connector_id for tx in self._transactions.values()):
            # 2.0.1 (F05.FR.02): a running transaction is stopped by RequestStop, not unlocked
            return call_result.UnlockConnector(
                status=UnlockStatusEnumType.ongoing_authorized_transaction
            )
        self.station.unlock(self.index, connector_id)
        return call_result.UnlockConnector(status=UnlockStatusEnumType.unlocked)

    # --- smart charging (the logic: simulator.ocpp.smart_charging201) -------------------

    def _smart(self) -> PortProfiles | None:
        """The port's profiles in the model (None: not booted); a station without smart
        charging answers these calls with the CALLERROR NotSupported."""
        if not self._profiles.enabled:
            raise NotSupportedError(description="SmartChargingCtrlr is not enabled")
        smart = self.station.smart_charging(self.index)  # the model brought to now
        if smart is not None:
            smart.number_by_evse()
        return smart

    def _transaction_ref(self, transaction_id: str) -> int | None:
        found = self._transaction_by_id(transaction_id)
        return None if found is None else found[0]

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        smart = self._smart()
        why = (
            Refusal("NotBooted", "not booted")
            if smart is None
            else self._profiles.set(
                smart, evse_id, charging_profile, self._transaction_ref, self.station.now_s()
            )
        )
        if why is None:
            return call_result.SetChargingProfile(status=ChargingProfileStatusEnumType.accepted)
        self.logger.info("%s: SetChargingProfile rejected: %s", self.id, why.info)
        return call_result.SetChargingProfile(
            status=ChargingProfileStatusEnumType.rejected, status_info=why.status_info()
        )

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        smart = self._smart()
        cleared = smart is not None and self._profiles.clear(
            smart, charging_profile_id, charging_profile_criteria
        )
        return call_result.ClearChargingProfile(
            status=ClearChargingProfileStatusEnumType.accepted
            if cleared
            else ClearChargingProfileStatusEnumType.unknown
        )

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self,
        request_id: int,
        charging_profile: dict[str, Any],
        evse_id: int | None = None,
        **_: Any,
    ) -> call_result.GetChargingProfiles:
        smart = self._smart()
        reports = (
            []
            if smart is None
            else self._profiles.report(smart, request_id, evse_id, charging_profile)
        )
        for payload in reports:
            self.enqueue(Action.report_charging_profiles.value, payload)  # after this reply
        return call_result.GetChargingProfiles(
            status=GetChargingProfileStatusEnumType.accepted
            if reports
            else GetChargingProfileStatusEnumType.no_profiles
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        smart = self._smart()
        if smart is None or not self._profiles.known_evse(evse_id):
            return call_result.GetCompositeSchedule(
                status=GenericStatusEnumType.rejected,
                status_info=Refusal("UnknownEvse", f"no EVSE {evse_id}").status_info(),
            )
        now_s = self.station.now_s()
        schedule = composite_schedule(
            smart,
            evse_id,
            min(duration, MAX_COMPOSITE_S),
            RateUnit(charging_rate_unit or RateUnit.W.value),
            now_s,
            self.clock.iso(now_s),
        )
        return call_result.GetCompositeSchedule(
            status=GenericStatusEnumType.accepted, schedule=schedule
        )

    def _refresh_entries(self) -> None:
        """SmartChargingCtrlr.Entries as of the model's last event (a read: the model is
        not brought to now)."""
        self._profiles.refresh()

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(status=ClearCacheStatusEnumType.accepted)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:  # noqa: ARG002
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)

    # --- the device model ---------------------------------------------------------------

    @on(Action.get_variables)
    def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.GetVariables:
        if any(item["component"].get("name") == SMART for item in get_variable_data):
            self._refresh_entries()
        results = []
        for item in get_variable_data:
            attribute = item.get("attribute_type")
            status, value = self.device.get(item["component"], item["variable"], attribute)
            result: dict[str, Any] = {
                "attribute_status": status.value,
                "component": item["component"],
                "variable": item["variable"],
            }
            if attribute is not None:
                result["attribute_type"] = attribute
            if status is GetStatus.ACCEPTED:
                result["attribute_value"] = value
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.SetVariables:
        results = []
        for item in set_variable_data:
            attribute = item.get("attribute_type")
            value = str(item["attribute_value"])
            status, changed = self.device.set(item["component"], item["variable"], attribute, value)
            if changed is not None:
                self._changed(changed.name, value)
            result: dict[str, Any] = {
                "attribute_status": status.value,
                "component": item["component"],
                "variable": item["variable"],
            }
            if attribute is not None:
                result["attribute_type"] = attribute
            results.append(result)
        return call_result.SetVariables(set_variable_result=results)

    def _changed(self, name: str, value: str) -> None:
        if name == "HeartbeatInterval":
            self.station.heartbeat_changed(self.index)
        elif name == BASIC_AUTH_PASSWORD:
            # sent on the connection opened with the new password (A01: this reply first)
            self.security_event(
                "ReconfigurationOfSecurityParameters",
                self.station.now_s(),
                "SecurityCtrlr.BasicAuthPassword changed",
            )
            self.use_password(value)  # reconnects once this reply is sent

    @on(Action.get_base_report)
    def on_get_base_report(
        self, request_id: int, report_base: str, **_: Any
    ) -> call_result.GetBaseReport:
        self._refresh_entries()
        data = self.device.report(report_base)
        if not data:
            return call_result.GetBaseReport(
                status=GenericDeviceModelStatusEnumType.empty_result_set
            )
        at = self.clock.iso(self.station.now_s())
        chunks = [data[i : i + GET_REPORT_ITEMS] for i in range(0, len(data), GET_REPORT_ITEMS)]
        for seq_no, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "requestId": request_id,
                "generatedAt": at,
                "seqNo": seq_no,
                "reportData": chunk,
            }
            if seq_no < len(chunks) - 1:
                payload["tbc"] = True
            self.enqueue(Action.notify_report.value, payload)  # after this reply
        return call_result.GetBaseReport(status=GenericDeviceModelStatusEnumType.accepted)


def _sampled(value: float, context: str, measurand: str) -> dict[str, Any]:
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "unitOfMeasure": {"unit": _UNITS[measurand]},
    }


def _certificate_entries(transport: TransportConfig) -> int:
    """The CA certificates a wss:// station verifies its CSMS with, and its own."""
    context = transport.ssl_context
    if context is None:
        return 0
    return len(context.get_ca_certs()) + int(transport.client_certificate)
