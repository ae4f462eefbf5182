"""Provisioning: boots, heartbeats and status notifications."""

from __future__ import annotations

from datetime import datetime

from central_system.backend import Backend
from central_system.records import Boot, Registration, StatusReport
from central_system.registration import register

__all__ = [
    "boot",
    "heartbeat",
    "report_status",
]


def boot(backend: Backend, request: Boot) -> Registration:
    earlier = backend.boots_this_run.get(request.charge_point_id, 0)
    registration = register(backend.boot_policy, request.charge_point_id, earlier)
    backend.store.record_boot(request, registration.status, backend.clock())
    backend.boots_this_run[request.charge_point_id] = earlier + 1
    return registration


def heartbeat(backend: Backend, charge_point_id: str) -> datetime:
    now = backend.clock()
    backend.store.record_heartbeat(charge_point_id, now)
    return now


def report_status(backend: Backend, report: StatusReport) -> None:
    """Store a status; its connector is from now on one the charge point has."""
    known = backend.known_connectors(report.charge_point_id)
    backend.store.record_status(report, backend.clock())
    known.add(report.connector_id)
