"""OCTT 1.6 SmartCharging cases: SetChargingProfile, GetCompositeSchedule, ClearChargingProfile."""

from __future__ import annotations
