"""`ChargingStationSession`: one connected OCPP 2.0.1 charging station, with thin handlers.

The 2.0.1 counterpart of `central_system.session.ChargePointSession`, with the same contract:
handlers translate the wire (snake_case dicts) into `records`, call the plain functions of
`transactions`, and their writes join the store's group commit; a reply goes out only once
what was written for it is committed, so a crash never loses an answered message and a
retransmitted TransactionEvent (same seqNo) is applied once, also after a restart.

A value the semantic rules refuse (`semantics.Implausible`: an unreadable timestamp, an integer
beyond 64 bits) is answered with PropertyConstraintViolation, and nothing of it is stored. While
the latest BootNotification of this connection was answered Rejected, every other message is
answered with SecurityError (2.0.1 B03: a rejected station must not send other messages).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Final

from ocpp.exceptions import OCPPError, SecurityError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action
from websockets.exceptions import ConnectionClosed

from central_system import charge_points, notifications, semantics
from central_system.data_transfer import answer_data_transfer, is_grid_report
from central_system.records import (
    Authorization,
    Boot,
    RegistrationStatus,
    SecurityEvent,
    StatusUpdate,
)
from central_system.serving import ServedSession
from central_system.timestamps import format_timestamp
from central_system.v201 import device_model, grid, rules, transactions
from central_system.v201.meter_values import samples_from_meter_values
from central_system.v201.records import ConnectorStatus, ReportedVariable, TransactionEvent
from central_system.v201.store import Store201
from ocppj import OCPP201, Defect, Version, error_for

__all__ = [
    "ChargingStationSession",
]

LOGGER = logging.getLogger("central_system.v201.session")

_SNAKE: Final = re.compile(r"_([a-z])")


def _id_token_info(authorization: Authorization) -> dict[str, Any]:
    info: dict[str, Any] = {"status": authorization.status.value}
    if authorization.expiry_date is not None:
        info["cache_expiry_date_time"] = format_timestamp(authorization.expiry_date)
    if authorization.parent_id_tag is not None:
        info["group_id_token"] = {"id_token": authorization.parent_id_tag, "type": "Central"}
    return info


def _wire_name(field: str) -> str:
    return _SNAKE.sub(lambda match: match.group(1).upper(), field)


class ChargingStationSession(ServedSession):
    """The CSMS's side of one `ocpp2.0.1` websocket connection."""

    default_version: ClassVar[Version] = OCPP201

    session_logger = LOGGER

    def _init_session(self) -> None:
        #: The latest StatusNotification per "evseId/connectorId".
        self.last_status: dict[str, ConnectorStatus] = {}
        self._store = Store201(self._backend.store)
        self._registration: RegistrationStatus | None = None
        #: The wire payload of the CALL being handled (DataTransfer's data is any JSON, which
        #: the snake-cased keyword arguments would alter).
        self._payload: dict[str, Any] = {}

    def _invoke(self, handler: Callable[..., Any], kwargs: dict[str, Any], call: Call) -> Any:
        if self._registration is RegistrationStatus.REJECTED and call.action != "BootNotification":
            raise SecurityError(
                description="the BootNotification of this connection was Rejected", details={}
            )
        self._payload = call.payload
        try:
            semantics.check_integers(kwargs)
            return super()._invoke(handler, kwargs, call)
        except semantics.Implausible as exc:
            field = _wire_name(exc.field)
            raise error_for(
                OCPP201, Defect.INVALID_VALUE, f"{field}: {exc.reason}", {"field": field}
            ) from None

    def grid_share_payload(self, connector_id: int, share_w: int) -> dict[str, Any] | None:
        """The SetChargingProfile of a grid share (None: no transaction on the connector)."""
        return grid.share_payload(self._store, self.id, connector_id, share_w)

    # Provisioning (B).

    async def call_payload(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
        validate: bool = True,
    ) -> dict[str, Any]:
        """As the endpoint's, but a GetVariables larger than the station takes (its reported
        ItemsPerMessage / BytesPerMessage for GetVariables) goes as several, answered as one."""
        if action != "GetVariables":
            return await super().call_payload(
                action, payload, timeout_s=timeout_s, validate=validate
            )
        parts = device_model.split_get_variables(payload, self.get_variables_limits())
        replies = []
        for part in parts:
            reply = await super().call_payload(action, part, timeout_s=timeout_s, validate=validate)
            replies.append(reply)
        return replies[0] if len(replies) == 1 else device_model.join_get_variables(replies)

    def get_variables_limits(self) -> device_model.MessageLimits:
        """What the station reported of its GetVariables limits (NotifyReport)."""

        def reported(variable: str) -> int | None:
            value = self._store.device_value(
                self.id, device_model.DEVICE_DATA_CTRLR, variable, device_model.GET_VARIABLES
            )
            return device_model.limit(value)

        return device_model.MessageLimits(reported("ItemsPerMessage"), reported("BytesPerMessage"))

    @on(Action.boot_notification, skip_schema_validation=True)
    def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        modem = charging_station.get("modem") or {}
        boot = Boot(
            self.id,
            charging_station["vendor_name"],
            charging_station["model"],
            charge_point_serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            iccid=modem.get("iccid"),
            imsi=modem.get("imsi"),
        )
        registration = charge_points.boot(self._backend, boot)
        self._registration = registration.status
        LOGGER.debug("%s: boot (%s): %s", self.id, reason, registration.status)
        return call_result.BootNotification(
            current_time=format_timestamp(self._backend.clock()),
            interval=registration.interval_s,
            status=registration.status.value,
        )

    @on(Action.heartbeat, skip_schema_validation=True)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        now = charge_points.heartbeat(self._backend, self.id)
        return call_result.Heartbeat(current_time=format_timestamp(now))

    @on(Action.status_notification, skip_schema_validation=True)
    def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        moment = semantics.timestamp("timestamp", timestamp)
        rules.check_evse("evseId", evse_id, connector_id, lowest_evse=1)
        evse_id, connector_id = int(evse_id), int(connector_id)  # 1.0 is a schema "integer"
        status = ConnectorStatus(self.id, evse_id, connector_id, connector_status, moment)
        self._store.record_status(status, self._backend.clock())
        self.last_status[f"{evse_id}/{connector_id}"] = status
        return call_result.StatusNotification()

    @on(Action.notify_report, skip_schema_validation=True)
    def on_notify_report(
        self,
        request_id: int,
        generated_at: str,
        seq_no: int,
        tbc: bool = False,
        report_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.NotifyReport:
        moment = semantics.timestamp("generatedAt", generated_at)
        seq_no = rules.count("seqNo", seq_no)
        request_id = rules.count("requestId", request_id)
        variables = [
            variable for item in report_data or () for variable in _reported_variables(item)
        ]
        self._store.record_report(
            self.id, request_id, seq_no, moment, tbc, variables, self._backend.clock()
        )
        return call_result.NotifyReport()

    @on(Action.notify_event, skip_schema_validation=True)
    def on_notify_event(
        self, generated_at: str, seq_no: int, event_data: list[dict[str, Any]], **_: Any
    ) -> call_result.NotifyEvent:
        # Answered, not stored: a station reports a connector's AvailabilityState (G01, G03)
        # and its problems this way beside StatusNotification, and must get a response.
        semantics.timestamp("generatedAt", generated_at)
        rules.count("seqNo", seq_no)
        LOGGER.debug("%s: NotifyEvent seqNo %s, %d events", self.id, seq_no, len(event_data))
        return call_result.NotifyEvent()

    # Authorization (C) and transactions (E).

    @on(Action.authorize, skip_schema_validation=True)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        authorization = transactions.authorize_token(
            self._backend, id_token["id_token"], id_token["type"]
        )
        return call_result.Authorize(id_token_info=_id_token_info(authorization))

    @on(Action.transaction_event, skip_schema_validation=True)
    def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        offline: bool = False,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        number_of_phases_used: int | None = None,
        cable_max_current: int | None = None,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        seq_no = rules.count("seqNo", seq_no)
        cable_max_current = rules.count("cableMaxCurrent", cable_max_current)
        reservation_id = rules.count("reservationId", reservation_id)
        rules.check_phases(number_of_phases_used)
        if evse is not None:
            rules.check_evse("evse", evse["id"], evse.get("connector_id"), lowest_evse=1)
        event = TransactionEvent(
            charge_point_id=self.id,
            transaction_id=transaction_info["transaction_id"],
            event_type=event_type,
            timestamp=semantics.timestamp("timestamp", timestamp),
            trigger_reason=trigger_reason,
            seq_no=seq_no,
            offline=offline,
            evse_id=None if evse is None else int(evse["id"]),
            connector_id=rules.count("evse.connectorId", (evse or {}).get("connector_id")),
            id_token=None if id_token is None else id_token["id_token"],
            id_token_type=None if id_token is None else id_token["type"],
            charging_state=transaction_info.get("charging_state"),
            stopped_reason=transaction_info.get("stopped_reason"),
            remote_start_id=rules.count(
                "transactionInfo.remoteStartId", transaction_info.get("remote_start_id")
            ),
            number_of_phases_used=number_of_phases_used,
            cable_max_current=cable_max_current,
            reservation_id=reservation_id,
            samples=samples_from_meter_values(meter_value or ()),
        )
        outcome, authorization = transactions.record_transaction_event(
            self._backend, self._store, event
        )
        LOGGER.debug(
            "%s: %s %s seqNo %s: %s",
            self.id,
            event_type,
            event.transaction_id,
            seq_no,
            outcome,
        )
        if authorization is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info=_id_token_info(authorization))

    # Meter values (J), security (A), data transfer (P) and notifications.

    @on(Action.meter_values, skip_schema_validation=True)
    def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        rules.check_evse("evseId", evse_id, None, lowest_evse=0)
        samples = samples_from_meter_values(meter_value)
        transactions.record_meter_values(self._backend, self._store, self.id, int(evse_id), samples)
        return call_result.MeterValues()

    @on(Action.security_event_notification, skip_schema_validation=True)
    def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        moment = semantics.timestamp("timestamp", timestamp)
        notifications.security_event(self._backend, SecurityEvent(self.id, type, moment, tech_info))
        return call_result.SecurityEventNotification()

    # Security (A02, A03): the central system's test CA signs the station's CSR.

    @on(Action.sign_certificate, skip_schema_validation=True)
    def on_sign_certificate(
        self, csr: str, certificate_type: str | None = None, **_: Any
    ) -> call_result.SignCertificate:
        request_id, outcome = notifications.sign_certificate(self._backend, self.id, csr)
        LOGGER.info("%s: SignCertificate %s: %s", self.id, request_id, outcome.reason)
        chain = outcome.certificate_chain_pem
        if chain is not None:
            kind = certificate_type or "ChargingStationCertificate"
            self._after_reply.append(functools.partial(self._deliver, request_id, chain, kind))
        return call_result.SignCertificate(status="Accepted" if outcome.accepted else "Rejected")

    async def _deliver(self, request_id: int, chain: str, certificate_type: str) -> None:
        """CertificateSigned with the signed chain, once SignCertificateResponse has gone out."""
        payload = {"certificateChain": chain, "certificateType": certificate_type}
        try:
            reply = await self.call_payload("CertificateSigned", payload)
            status = str(reply.get("status"))
        except OCPPError as error:
            status = f"CALLERROR {error.code}"
        except TimeoutError:
            status = "no reply"
        except ConnectionClosed:
            status = "connection closed"
        notifications.certificate_delivered(self._backend, request_id, status)

    @on(Action.data_transfer, skip_schema_validation=True)
    def on_data_transfer(
        self, vendor_id: str, **_: Any
    ) -> call_result.DataTransfer | Coroutine[Any, Any, call_result.DataTransfer]:
        message_id = self._payload.get("messageId")
        data = self._payload.get("data")
        if self._backend.grid is not None and is_grid_report("DataTransfer", self._payload):
            return grid.answer(self._backend, self.id, data)  # a site's report
        reply = answer_data_transfer(vendor_id, message_id, None)
        text = None if data is None else json.dumps(data, separators=(",", ":"))
        self._backend.store.record_data_transfer(
            self.id, vendor_id, message_id, text, reply.status, self._backend.clock()
        )
        # The echo message id answers the data back, whatever JSON it is.
        echoed = data if reply.status == "Accepted" else None
        return call_result.DataTransfer(status=reply.status, data=echoed)

    @on(Action.firmware_status_notification, skip_schema_validation=True)
    def on_firmware_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        update = StatusUpdate(
            self.id, Action.firmware_status_notification.value, status, request_id
        )
        notifications.firmware_status(self._backend, update)
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification, skip_schema_validation=True)
    def on_log_status_notification(
        self, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        update = StatusUpdate(self.id, Action.log_status_notification.value, status, request_id)
        notifications.diagnostics_status(self._backend, update)
        return call_result.LogStatusNotification()


def _reported_variables(item: dict[str, Any]) -> list[ReportedVariable]:
    component = item["component"]
    evse = component.get("evse") or {}
    variable = item["variable"]
    characteristics = item.get("variable_characteristics") or {}
    return [
        ReportedVariable(
            component_name=component["name"],
            component_instance=component.get("instance", ""),
            evse_id=evse.get("id", 0),
            connector_id=evse.get("connector_id", 0),
            variable_name=variable["name"],
            variable_instance=variable.get("instance", ""),
            attribute_type=attribute.get("type", "Actual"),
            value=attribute.get("value"),
            mutability=attribute.get("mutability"),
            data_type=characteristics.get("data_type"),
            unit=characteristics.get("unit"),
        )
        for attribute in item["variable_attribute"]
    ]
