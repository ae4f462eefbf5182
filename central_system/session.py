"""`ChargePointSession`: one connected charge point, with thin `@on` handlers.

Handlers translate between the ocpp package's types and `records`, and call plain functions
that hold the logic; their writes join the store's group commit (`Store.batched`), and the
reply is only sent once they are committed (`Store.durable`). There is a handler for every
action a 1.6J charge point sends: Core, the optional profiles (firmware management) and the
security extension.

A value the semantic rules refuse (`semantics.Implausible`) is answered with the error OCPP-J
1.6 §4.2.3 names for it, PropertyConstraintViolation ("Payload is syntactically correct but at
least one field contains an invalid value"), logged once, and nothing of it is stored.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final, ParamSpec, TypeVar

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from websockets.exceptions import ConnectionClosed

from central_system import charge_points, notifications, semantics, transactions
from central_system.data_transfer import VENDOR_ID, receive_data_transfer
from central_system.grid import MESSAGE_ID as GRID_MESSAGE_ID
from central_system.meter_values import samples_from_meter_values
from central_system.records import (
    Authorization,
    Boot,
    SecurityEvent,
    StatusReport,
    StatusUpdate,
    StopOutcome,
    TransactionStart,
    TransactionStop,
)
from central_system.serving import ServedSession
from central_system.timestamps import format_timestamp
from ocppj import Defect, error_for

__all__ = [
    "ChargePointSession",
]

LOGGER = logging.getLogger("central_system.session")


def _id_tag_info(authorization: Authorization) -> dict[str, str]:
    info = {"status": authorization.status.value}
    if authorization.expiry_date is not None:
        info["expiry_date"] = format_timestamp(authorization.expiry_date)
    if authorization.parent_id_tag is not None:
        info["parent_id_tag"] = authorization.parent_id_tag
    return info


_SNAKE: Final = re.compile(r"_([a-z])")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _refusing(handler: Callable[_P, _R]) -> Callable[_P, _R]:
    """Check the payload's numbers, and answer `Implausible` with PropertyConstraintViolation
    (OCPP-J 1.6 §4.2.3) instead of letting it become an InternalError."""

    @functools.wraps(handler)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            semantics.check_integers(kwargs)
            return handler(*args, **kwargs)
        except semantics.Implausible as exc:
            session = args[0]
            assert isinstance(session, ChargePointSession)
            field = _SNAKE.sub(lambda m: m.group(1).upper(), exc.field)  # the wire's names
            description = f"{field}: {exc.reason}"
            raise error_for(
                session.wire_version, Defect.INVALID_VALUE, description, {"field": field}
            ) from None

    return checked


class ChargePointSession(ServedSession):
    """The central system's side of one websocket connection to a charge point."""

    session_logger = LOGGER

    def _init_session(self) -> None:
        #: The latest StatusNotification per connector (connector 0: the charge point).
        self.last_status: dict[int, StatusReport] = {}

    @on(Action.boot_notification, skip_schema_validation=True)
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **optional: str
    ) -> call_result.BootNotification:
        registration = charge_points.boot(
            self._backend, Boot(self.id, charge_point_vendor, charge_point_model, **optional)
        )
        return call_result.BootNotification(
            current_time=format_timestamp(self._backend.clock()),
            interval=registration.interval_s,
            status=registration.status.value,
        )

    @on(Action.heartbeat, skip_schema_validation=True)
    def on_heartbeat(self) -> call_result.Heartbeat:
        now = charge_points.heartbeat(self._backend, self.id)
        return call_result.Heartbeat(current_time=format_timestamp(now))

    @on(Action.status_notification, skip_schema_validation=True)
    @_refusing
    def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        **optional: str,
    ) -> call_result.StatusNotification:
        semantics.check_reported_connector(connector_id)
        moment = semantics.optional_timestamp("timestamp", timestamp)
        report = StatusReport(self.id, connector_id, status, error_code, moment, **optional)
        charge_points.report_status(self._backend, report)
        self.last_status[connector_id] = report
        return call_result.StatusNotification()

    @on(Action.authorize, skip_schema_validation=True)
    @_refusing
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        authorization = transactions.authorize_tag(self._backend, id_tag)
        return call_result.Authorize(id_tag_info=_id_tag_info(authorization))

    @on(Action.start_transaction, skip_schema_validation=True)
    @_refusing
    def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        moment = semantics.timestamp("timestamp", timestamp)
        start = TransactionStart(self.id, connector_id, id_tag, meter_start, moment, reservation_id)
        started = transactions.start_transaction(self._backend, start)
        return call_result.StartTransaction(
            transaction_id=started.transaction_id,
            id_tag_info=_id_tag_info(started.authorization),
        )

    @on(Action.stop_transaction, skip_schema_validation=True)
    @_refusing
    def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        moment = semantics.timestamp("timestamp", timestamp)
        stop = TransactionStop(self.id, transaction_id, meter_stop, moment, id_tag, reason)
        samples = samples_from_meter_values(transaction_data or (), "transactionData")
        outcome, authorization = transactions.stop_transaction(self._backend, stop, samples)
        log = LOGGER.info if outcome is StopOutcome.FLAGGED else LOGGER.debug
        log("%s: stop of transaction %s: %s", self.id, transaction_id, outcome)
        if authorization is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=_id_tag_info(authorization))

    @on(Action.meter_values, skip_schema_validation=True)
    @_refusing
    def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        samples = samples_from_meter_values(meter_value)
        transactions.record_meter_values(
            self._backend, self.id, connector_id, transaction_id, samples
        )
        return call_result.MeterValues()

    @on(Action.data_transfer, skip_schema_validation=True)
    @_refusing
    def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer | Coroutine[Any, Any, call_result.DataTransfer]:
        grid = self._backend.grid
        if grid is not None and vendor_id == VENDOR_ID and message_id == GRID_MESSAGE_ID:
            return self._site_charging_needs(vendor_id, message_id, data)
        reply = receive_data_transfer(self._backend, self.id, vendor_id, message_id, data)
        return call_result.DataTransfer(status=reply.status, data=reply.data)

    async def _site_charging_needs(
        self, vendor_id: str, message_id: str, data: str | None
    ) -> call_result.DataTransfer:
        """A site's report: the shares that changed go out first (central_system.grid)."""
        grid = self._backend.grid
        assert grid is not None
        reply = await grid.answer(data)
        self._backend.store.record_data_transfer(
            self.id, vendor_id, message_id, data, reply.status, self._backend.clock()
        )
        return call_result.DataTransfer(status=reply.status, data=reply.data)

    # Firmware management (an optional 1.6 profile) and the security extension.

    @on(Action.firmware_status_notification, skip_schema_validation=True)
    @_refusing
    def on_firmware_status_notification(
        self, status: str
    ) -> call_result.FirmwareStatusNotification:
        update = StatusUpdate(self.id, Action.firmware_status_notification.value, status)
        notifications.firmware_status(self._backend, update)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification, skip_schema_validation=True)
    @_refusing
    def on_diagnostics_status_notification(
        self, status: str
    ) -> call_result.DiagnosticsStatusNotification:
        update = StatusUpdate(self.id, Action.diagnostics_status_notification.value, status)
        notifications.diagnostics_status(self._backend, update)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.signed_firmware_status_notification, skip_schema_validation=True)
    @_refusing
    def on_signed_firmware_status_notification(
        self, status: str, request_id: int | None = None
    ) -> call_result.SignedFirmwareStatusNotification:
        action = Action.signed_firmware_status_notification.value
        notifications.firmware_status(
            self._backend, StatusUpdate(self.id, action, status, request_id)
        )
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.log_status_notification, skip_schema_validation=True)
    @_refusing
    def on_log_status_notification(
        self, status: str, request_id: int | None = None
    ) -> call_result.LogStatusNotification:
        action = Action.log_status_notification.value
        notifications.diagnostics_status(
            self._backend, StatusUpdate(self.id, action, status, request_id)
        )
        return call_result.LogStatusNotification()

    @on(Action.security_event_notification, skip_schema_validation=True)
    @_refusing
    def on_security_event_notification(
        self, type: str, timestamp: str, tech_info: str | None = None
    ) -> call_result.SecurityEventNotification:
        moment = semantics.timestamp("timestamp", timestamp)
        event = SecurityEvent(self.id, type, moment, tech_info)
        notifications.security_event(self._backend, event)
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate, skip_schema_validation=True)
    @_refusing
    def on_sign_certificate(self, csr: str) -> call_result.SignCertificate:
        request_id, outcome = notifications.sign_certificate(self._backend, self.id, csr)
        LOGGER.info("%s: SignCertificate %s: %s", self.id, request_id, outcome.reason)
        chain = outcome.certificate_chain_pem
        if chain is not None:
            self._after_reply.append(functools.partial(self._deliver, request_id, chain))
        return call_result.SignCertificate(status="Accepted" if outcome.accepted else "Rejected")

    async def _deliver(self, request_id: int, chain: str) -> None:
        """CertificateSigned with a signed chain, once SignCertificate.conf has gone out."""
        try:
            reply = await self.call_payload("CertificateSigned", {"certificateChain": chain})
            status = str(reply.get("status"))
        except OCPPError as error:
            status = f"CALLERROR {error.code}"
        except TimeoutError:
            status = "no reply"
        except ConnectionClosed:
            status = "connection closed"
        notifications.certificate_delivered(self._backend, request_id, status)
