"""A site's SiteChargingNeeds report from a 2.0.1 station (central_system.grid): the 2.0.1
DataTransfer carries the report's JSON as an object and gets the shares back as one, and a
2.0.1 port's share is held to the transaction it runs: the report names the port's connector,
the station's TransactionEvents its EVSE (the simulated stations have one, id 1)."""

from __future__ import annotations

import json
from typing import Any

from ocpp.v201 import call_result

from central_system.backend import Backend
from central_system.data_transfer import VENDOR_ID
from central_system.grid import MESSAGE_ID, tx_profile_201
from central_system.v201.store import Store201

__all__ = ["answer", "share_payload"]


def share_payload(
    store: Store201, charge_point_id: str, connector_id: int, share_w: int
) -> dict[str, Any] | None:
    """The SetChargingProfile of a grid share for the transaction running on the connector,
    on its EVSE, known from the station's TransactionEvents (None: none runs)."""
    running = store.running_transaction(charge_point_id, connector_id)
    if running is None:
        return None
    evse_id, transaction_id = running
    return tx_profile_201(evse_id, share_w, transaction_id)


async def answer(backend: Backend, charge_point_id: str, data: Any) -> call_result.DataTransfer:
    """Send the shares that changed, then the answer; the report is stored like any
    DataTransfer."""
    grid = backend.grid
    assert grid is not None
    reply = await grid.answer(data if isinstance(data, str | dict) else None)
    text = None if data is None else json.dumps(data, separators=(",", ":"))
    backend.store.record_data_transfer(
        charge_point_id, VENDOR_ID, MESSAGE_ID, text, reply.status, backend.clock()
    )
    shares = None if reply.data is None else json.loads(reply.data)
    return call_result.DataTransfer(status=reply.status, data=shares)
