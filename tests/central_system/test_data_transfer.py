from __future__ import annotations

from central_system.data_transfer import answer_data_transfer
from central_system.records import DataTransferReply


def test_an_unknown_vendor_gets_unknown_vendor_id() -> None:
    assert answer_data_transfer("com.other", "echo", "x") == DataTransferReply("UnknownVendorId")


def test_our_vendor_echoes_and_refuses_unknown_message_ids() -> None:
    assert answer_data_transfer("org.chargenet", "echo", "x") == DataTransferReply("Accepted", "x")
    assert answer_data_transfer("org.chargenet", None, None).status == "UnknownMessageId"
