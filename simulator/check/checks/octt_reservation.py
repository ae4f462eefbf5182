"""OCTT 1.6 Reservation cases: ReserveNow and CancelReservation, and the reserved
connector's use."""

from __future__ import annotations
