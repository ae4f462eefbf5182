"""DataTransfer policy: always a status, never a CALLERROR."""

from __future__ import annotations

from typing import Any, Final

from central_system.backend import Backend
from central_system.grid import MESSAGE_ID as GRID_MESSAGE_ID
from central_system.records import DataTransferReply

__all__ = [
    "ECHO_MESSAGE_ID",
    "VENDOR_ID",
    "answer_data_transfer",
    "is_grid_report",
    "receive_data_transfer",
]

#: The one vendor id this central system understands.
VENDOR_ID: Final = "org.chargenet"
#: Its message ids: "echo" answers the data back.
ECHO_MESSAGE_ID: Final = "echo"


def is_grid_report(action: str, payload: Any) -> bool:
    """The CALL is a site's SiteChargingNeeds report (central_system.grid), in either version:
    its answer waits for the shares' replies, so a session handles it beside its receive loop."""
    return (
        action == "DataTransfer"
        and isinstance(payload, dict)
        and payload.get("vendorId") == VENDOR_ID
        and payload.get("messageId") == GRID_MESSAGE_ID
    )


def answer_data_transfer(
    vendor_id: str, message_id: str | None, data: str | None
) -> DataTransferReply:
    if vendor_id != VENDOR_ID:
        return DataTransferReply("UnknownVendorId")
    if message_id == ECHO_MESSAGE_ID:
        return DataTransferReply("Accepted", data)
    return DataTransferReply("UnknownMessageId")


def receive_data_transfer(
    backend: Backend,
    charge_point_id: str,
    vendor_id: str,
    message_id: str | None,
    data: str | None,
) -> DataTransferReply:
    reply = answer_data_transfer(vendor_id, message_id, data)
    backend.store.record_data_transfer(
        charge_point_id, vendor_id, message_id, data, reply.status, backend.clock()
    )
    return reply
