"""Site grid limits: the central system shares each site's limit among its charging ports.

A site's local controller (the site's first charge point) reports, at each instant the shares
may change (a charge starts or ends, the scheduled limit changes), each charging port's demand
in W and priority class: a DataTransfer, vendorId "org.chargenet", messageId
"SiteChargingNeeds" (docs/central_system.md); its data a JSON string in 1.6, the same JSON as
an object in 2.0.1. The limit in force is the site's schedule's period the report names; the
shares are `policy.grid.allocate` of the site's policy, the same function the fast engine
applies. Before answering, the central system sends each port whose share changed (and the
starting port, whatever its share), one after the other in the report's order, a
SetChargingProfile in the port's own version (a site may mix them): a TxProfile with
chargingProfileId `GRID_PROFILE_ID`, one period from the transaction's start at the share in W
(2.0.1: on EVSE 1, for the station's running transaction). The answer is Accepted with the
shares as data once every charge point has answered; Rejected (and nothing sent) for a report
that does not parse or names an unknown site or period.

The sites (id, policy, schedule) come from a JSON file given to `serve --grid-sites`:
{"sites": [{"id": "g", "policy": "priority", "schedule": [{"fromS": 0, "kw": 180}, ...]}]}.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from ocpp.exceptions import OCPPError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from websockets.exceptions import ConnectionClosed

from central_system.records import DataTransferReply
from policy.grid import Demand, GridPolicy, allocate, to_w

__all__ = [
    "GRID_PROFILE_ID",
    "MESSAGE_ID",
    "Caller",
    "GridSites",
    "Need",
    "Report",
    "SchedulePeriod",
    "SiteController",
    "SiteGrid",
    "Station",
    "changed_shares",
    "load_grid_sites",
    "tx_profile",
    "tx_profile_201",
]

LOGGER = logging.getLogger("central_system.grid")

MESSAGE_ID: Final = "SiteChargingNeeds"
#: The chargingProfileId of a port's share (the simulated charge points know it as theirs).
GRID_PROFILE_ID: Final = 7100
GRID_STACK_LEVEL: Final = 0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SchedulePeriod(_Strict):
    from_s: float = Field(alias="fromS", ge=0, lt=86400)
    kw: float = Field(ge=0)


class SiteGrid(_Strict):
    id: str = Field(min_length=1)
    policy: GridPolicy = "equal"
    schedule: tuple[SchedulePeriod, ...] = Field(min_length=1)


class GridSites(_Strict):
    sites: tuple[SiteGrid, ...] = ()

    def by_id(self) -> dict[str, SiteGrid]:
        return {site.id: site for site in self.sites}


class Need(_Strict):
    charge_point_id: str = Field(alias="chargePointId", min_length=1)
    connector_id: int = Field(alias="connectorId", ge=1)
    demand_w: int = Field(alias="demandW", ge=0)
    priority: int = Field(ge=0)


class Report(_Strict):
    site_id: str = Field(alias="siteId")
    period: int = Field(ge=0)
    starting: str | None = None
    timestamp: str
    needs: tuple[Need, ...]


def load_grid_sites(path: Path) -> GridSites:
    """The sites of a --grid-sites file; ValueError with one line saying what is wrong."""
    try:
        return GridSites.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ValueError(f"{path}: {where}: {first['msg']}") from None


def changed_shares(
    report: Report, site: SiteGrid, last_w: dict[str, int]
) -> tuple[dict[str, int], list[Need]]:
    """The shares of every reported port (W), and the needs whose port must be sent its share:
    the starting port, and every port whose share differs from the last one sent (`last_w`)."""
    limit_w = to_w(site.schedule[report.period].kw)
    demands = [Demand(n.charge_point_id, n.demand_w, n.priority) for n in report.needs]
    shares = allocate(site.policy, limit_w, demands)
    changed = [
        n
        for n in report.needs
        if n.charge_point_id == report.starting
        or last_w.get(n.charge_point_id) != shares[n.charge_point_id]
    ]
    return shares, changed


def tx_profile(connector_id: int, share_w: int) -> dict[str, Any]:
    """The SetChargingProfile payload that holds the connector's transaction to `share_w`."""
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": GRID_PROFILE_ID,
            "stackLevel": GRID_STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": share_w}],
            },
        },
    }


def tx_profile_201(evse_id: int, share_w: int, transaction_id: str) -> dict[str, Any]:
    """The 2.0.1 SetChargingProfile payload that holds `transaction_id` to `share_w`."""
    return {
        "evseId": evse_id,
        "chargingProfile": {
            "id": GRID_PROFILE_ID,
            "stackLevel": GRID_STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "transactionId": transaction_id,
            "chargingSchedule": [
                {
                    "id": GRID_PROFILE_ID,
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": share_w}],
                }
            ],
        },
    }


class Caller(Protocol):
    """A connected charge point, as far as sending it a CALL goes."""

    async def call_payload(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
        validate: bool = True,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Station:
    """A connected port: its session, and the SetChargingProfile payload of a share in its
    version (`payload(connector_id, share_w)`; None: no transaction to hold to it)."""

    caller: Caller
    payload: Callable[[int, int], dict[str, Any] | None]


class SiteController:
    """The sites' grid limits and the shares last sent to each port."""

    def __init__(self, sites: GridSites) -> None:
        self.sites = sites.by_id()
        self.sessions: Callable[[str], Station | None] = lambda _: None
        """The connected port of an id, 1.6 or 2.0.1 (the server's registry, once it runs)."""
        self._last_w: dict[str, dict[str, int]] = {}

    async def answer(self, data: str | dict[str, Any] | None) -> DataTransferReply:
        """Send the shares that changed, then the answer to the report (`data`: 1.6's JSON
        string, or 2.0.1's JSON value)."""
        try:
            if isinstance(data, dict):
                report = Report.model_validate(data)
            else:
                report = Report.model_validate_json(data or "")
        except ValidationError as exc:
            LOGGER.info("SiteChargingNeeds refused: %s", exc.errors()[0]["msg"])
            return DataTransferReply("Rejected")
        site = self.sites.get(report.site_id)
        if site is None or report.period >= len(site.schedule):
            LOGGER.info("SiteChargingNeeds for an unknown site or period: %s", report.site_id)
            return DataTransferReply("Rejected")
        last_w = self._last_w.setdefault(site.id, {})
        shares, changed = changed_shares(report, site, last_w)
        for need in changed:  # one after the other, in the report's order, as the site's
            # own controller would: the charge points apply them in a known order
            await self._send(need, shares[need.charge_point_id], last_w)
        return DataTransferReply("Accepted", json.dumps(shares, separators=(",", ":")))

    async def _send(self, need: Need, share_w: int, last_w: dict[str, int]) -> None:
        station = self.sessions(need.charge_point_id)
        if station is None:
            LOGGER.warning("%s: not connected, its grid share not sent", need.charge_point_id)
            return
        payload = station.payload(need.connector_id, share_w)
        if payload is None:
            LOGGER.warning("%s: no running transaction, grid share not sent", need.charge_point_id)
            last_w.pop(need.charge_point_id, None)
            return
        try:
            reply = await station.caller.call_payload("SetChargingProfile", payload)
        except (OCPPError, TimeoutError, ConnectionClosed) as exc:
            LOGGER.warning("%s: grid share not sent: %s", need.charge_point_id, exc)
            last_w.pop(need.charge_point_id, None)
            return
        if reply.get("status") == "Accepted":
            last_w[need.charge_point_id] = share_w
        else:
            LOGGER.warning("%s: grid share %s", need.charge_point_id, reply.get("status"))
            last_w.pop(need.charge_point_id, None)
