"""OCTT 2.0.1 block P, data transfer: the station's DataTransfer of a vendor the CSMS does not
know, and the CSMS's own DataTransfer through the trigger."""

from __future__ import annotations

import secrets
from typing import Final

from simulator.check.catalogue import check201
from simulator.check.context import CheckContext

#: The answers a CSMS may give a vendor or message it does not know (P01/P02: never an error).
NOT_ACCEPTED: Final = frozenset({"Rejected", "UnknownVendorId", "UnknownMessageId"})


@check201(
    "TC_P_02_CSMS",
    "Data Transfer to the CSMS of an unknown vendor: a status, never an error",
    clause="OCPP 2.0.1 P02 Data Transfer to the CSMS (an unknown vendorId is answered "
    "UnknownVendorId; Rejected, UnknownMessageId are statuses as well)",
    sends="booted; DataTransferRequest of a vendorId no backend knows, with a messageId and data",
    expects="a DataTransferResponse (schema-valid) with status UnknownVendorId, Rejected or "
    "UnknownMessageId; never a CALLERROR",
)
async def data_transfer_unknown_vendor(ctx: CheckContext) -> None:
    vendor = f"org.chargenet.check.{secrets.token_hex(4)}"
    async with ctx.booted() as station:
        reply = await ctx.result(
            station,
            "DataTransfer",
            {"vendorId": vendor, "messageId": "Probe", "data": {"probe": [1, 2, 3]}},
        )
        ctx.expect(
            reply.get("status") in NOT_ACCEPTED,
            f"DataTransferResponse status {' or '.join(sorted(NOT_ACCEPTED))} for vendor "
            f"{vendor!r}",
            f"status {reply.get('status')!r}",
        )


@check201(
    "RB_DATA_TRANSFER_TO_STATION",
    "Data Transfer to the station: the CSMS's DataTransferRequest as triggered",
    clause="OCPP 2.0.1 P01 Data Transfer to the Charging Station",
    sends="booted; answers the backend's DataTransferRequest Accepted with data",
    expects="DataTransferRequest with the triggered vendorId, messageId and data; the "
    "trigger reports success",
    backend_initiated=True,
)
async def data_transfer_to_station(ctx: CheckContext) -> None:
    ctx.require_trigger("DataTransfer")
    payload = {
        "vendorId": "org.chargenet.check",
        "messageId": "Probe",
        "data": {"nonce": secrets.token_hex(4), "values": [1, 2.5, "three"]},
    }
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "DataTransfer", payload, reply={"status": "Accepted", "data": "ok"}
        )
