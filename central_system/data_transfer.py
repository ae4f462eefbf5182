"""DataTransfer policy: always a status, never a CALLERROR."""

from __future__ import annotations

from typing import Final

from central_system.backend import Backend
from central_system.records import DataTransferReply

__all__ = [
    "ECHO_MESSAGE_ID",
    "VENDOR_ID",
    "answer_data_transfer",
    "receive_data_transfer",
]

#: The one vendor id this central system understands.
VENDOR_ID: Final = "org.chargenet"
#: Its message ids: "echo" answers the data back.
ECHO_MESSAGE_ID: Final = "echo"


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
