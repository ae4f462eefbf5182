"""OCTT 1.6 FirmwareManagement cases: UpdateFirmware and GetDiagnostics, with their status
notifications."""

from __future__ import annotations
