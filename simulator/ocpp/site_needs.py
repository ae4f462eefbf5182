"""A site's report of its charging ports' needs on the wire: a DataTransfer (vendorId
"org.chargenet", messageId "SiteChargingNeeds") from the site's first charge point, acting as
the site's local controller (docs/ocpp.md), in its version: 1.6 or 2.0.1. The built-in central
system answers it once it has sent each port whose share of the site's grid limit changed a
TxProfile (each in the port's own version).

`data` is JSON (1.6: as a string; 2.0.1, whose data is any JSON value: as an object):
{"siteId", "period" (the index of the site's grid limit schedule period in force), "starting"
(the charge point whose car is about to start, or null), "timestamp", "needs":
[{"chargePointId", "connectorId", "demandW", "priority"}]}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from simulator.model.requests import SiteNeeds

__all__ = ["MESSAGE_ID", "VENDOR_ID", "data_transfer", "data_transfer_201"]

VENDOR_ID: Final = "org.chargenet"
MESSAGE_ID: Final = "SiteChargingNeeds"


def data_transfer(needs: SiteNeeds, iso: Callable[[float], str]) -> dict[str, Any]:
    """The 1.6 DataTransfer payload of `needs` (`iso`: the clock's timestamp of a virtual time)."""
    data = json.dumps(_data(needs, iso))
    return {"vendorId": VENDOR_ID, "messageId": MESSAGE_ID, "data": data}


def data_transfer_201(needs: SiteNeeds, iso: Callable[[float], str]) -> dict[str, Any]:
    """The 2.0.1 DataTransfer payload of `needs`: the same data, as a JSON object."""
    return {"vendorId": VENDOR_ID, "messageId": MESSAGE_ID, "data": _data(needs, iso)}


def _data(needs: SiteNeeds, iso: Callable[[float], str]) -> dict[str, Any]:
    return {
        "siteId": needs.site_id,
        "period": needs.period,
        "starting": needs.starting,
        "timestamp": iso(needs.at_s),
        "needs": [
            {
                "chargePointId": n.port_id,
                "connectorId": n.connector_id,
                "demandW": n.demand_w,
                "priority": n.priority,
            }
            for n in needs.needs
        ],
    }
