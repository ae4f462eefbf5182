"""`ChargePointSession`: one connected charge point, with thin `@on` handlers.

Handlers translate between the ocpp package's types and `records`, and call plain functions
that hold the logic; each of those commits to the store before the handler returns, and the
reply is only sent after that.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from central_system import charge_points, transactions
from central_system.backend import Backend
from central_system.data_transfer import receive_data_transfer
from central_system.meter_values import samples_from_meter_values
from central_system.records import (
    Authorization,
    Boot,
    StatusReport,
    TransactionStart,
    TransactionStop,
)
from central_system.timestamps import format_timestamp, parse_timestamp
from ocppj import FastValidation

LOGGER = logging.getLogger("central_system.session")


def _id_tag_info(authorization: Authorization) -> dict[str, str]:
    info = {"status": authorization.status.value}
    if authorization.expiry_date is not None:
        info["expiry_date"] = format_timestamp(authorization.expiry_date)
    if authorization.parent_id_tag is not None:
        info["parent_id_tag"] = authorization.parent_id_tag
    return info


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text)


class ChargePointSession(FastValidation, ChargePoint):
    """The central system's side of one websocket connection to a charge point."""

    def __init__(
        self,
        charge_point_id: str,
        connection: ServerConnection,
        backend: Backend,
        *,
        max_frame_bytes: int | None,
        response_timeout_s: float,
    ) -> None:
        super().__init__(
            charge_point_id, connection, response_timeout=response_timeout_s, logger=LOGGER
        )
        self.max_frame_bytes = max_frame_bytes
        self.connection = connection
        self.connected_at = backend.clock()
        #: The latest StatusNotification per connector (connector 0: the charge point).
        self.last_status: dict[int, StatusReport] = {}
        self._backend = backend
        self._replaced = asyncio.Event()

    async def run(self) -> None:
        """Serve the connection until it closes, or until a newer one replaces it."""
        async with asyncio.TaskGroup() as tasks:
            closer = tasks.create_task(self._close_when_replaced())
            try:
                await self.start()
            except ConnectionClosed:
                pass
            finally:
                closer.cancel()

    def replace(self) -> None:
        """A newer connection took this charge point id: close this one (it may be half-open,
        so the close runs in this session's own task group, not the newcomer's)."""
        self._replaced.set()

    async def _close_when_replaced(self) -> None:
        await self._replaced.wait()
        await self.connection.close(1000, "replaced by a newer connection")

    async def route_message(self, raw_msg: str | bytes) -> None:
        try:
            await super().route_message(raw_msg)
        except ConnectionClosed:
            raise
        except Exception:
            # Last resort: a bug must cost one message, not the connection.
            LOGGER.exception("%s: failed to route a message", self.id)

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
    def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        **optional: str,
    ) -> call_result.StatusNotification:
        report = StatusReport(
            self.id, connector_id, status, error_code, _optional_time(timestamp), **optional
        )
        charge_points.report_status(self._backend, report)
        self.last_status[connector_id] = report
        return call_result.StatusNotification()

    @on(Action.authorize, skip_schema_validation=True)
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        authorization = transactions.authorize_tag(self._backend, id_tag)
        return call_result.Authorize(id_tag_info=_id_tag_info(authorization))

    @on(Action.start_transaction, skip_schema_validation=True)
    def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        start = TransactionStart(
            self.id, connector_id, id_tag, meter_start, parse_timestamp(timestamp), reservation_id
        )
        started = transactions.start_transaction(self._backend, start)
        return call_result.StartTransaction(
            transaction_id=started.transaction_id,
            id_tag_info=_id_tag_info(started.authorization),
        )

    @on(Action.stop_transaction, skip_schema_validation=True)
    def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        stop = TransactionStop(
            self.id, transaction_id, meter_stop, parse_timestamp(timestamp), id_tag, reason
        )
        samples = samples_from_meter_values(transaction_data or ())
        outcome, authorization = transactions.stop_transaction(self._backend, stop, samples)
        LOGGER.debug("%s: stop of transaction %s: %s", self.id, transaction_id, outcome)
        if authorization is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=_id_tag_info(authorization))

    @on(Action.meter_values, skip_schema_validation=True)
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
    def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer:
        reply = receive_data_transfer(self._backend, self.id, vendor_id, message_id, data)
        return call_result.DataTransfer(status=reply.status, data=reply.data)
