"""OCTT 1.6 FirmwareManagement cases: UpdateFirmware and GetDiagnostics, with their status
notifications.

The backend is made to send UpdateFirmware or GetDiagnostics through the run's trigger; the
scripted charge point answers, then reports its progress as a real one would, and the backend
must answer every status notification with its CALLRESULT (`{}`, the schema's only answer).
A successful install reboots the charge point: it reconnects, boots, and reports Installed
from the new firmware.
"""

from __future__ import annotations

from typing import Final

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import ScriptedChargePoint

FIRMWARE = Profile.FIRMWARE
FIRMWARE_LOCATION: Final = "ftp://127.0.0.1/chargenet-check/firmware-check-2.bin"
DIAGNOSTICS_LOCATION: Final = "ftp://127.0.0.1/chargenet-check/diagnostics/"


async def _update_firmware(ctx: CheckContext, station: ScriptedChargePoint) -> None:
    await ctx.backend_sends(
        station,
        "UpdateFirmware",
        {"location": FIRMWARE_LOCATION, "retrieveDate": ctx.now()},
    )


async def _firmware_statuses(
    ctx: CheckContext, station: ScriptedChargePoint, *statuses: str
) -> None:
    for status in statuses:
        await ctx.result(station, "FirmwareStatusNotification", {"status": status})


async def _diagnostics(ctx: CheckContext, *statuses: str) -> None:
    """GetDiagnostics answered with a file name, then the upload's progress."""
    async with ctx.booted() as station:
        file_name = f"diagnostics-{ctx.charge_point_id[:20]}.log"
        await ctx.backend_sends(
            station,
            "GetDiagnostics",
            {"location": DIAGNOSTICS_LOCATION},
            reply={"fileName": file_name},
        )
        for status in statuses:
            await ctx.result(station, "DiagnosticsStatusNotification", {"status": status})
        await station.still_open()


@check(
    "TC_044_1_CS",
    "Firmware update: download and install",
    profile=FIRMWARE,
    clause="OCPP 1.6 §5.19 UpdateFirmware, §4.5 FirmwareStatusNotification, §4.2 BootNotification",
    sends="answers UpdateFirmware; FirmwareStatusNotification Downloading, Downloaded, "
    "Installing; reboots (reconnects, boots, Available); FirmwareStatusNotification Installed",
    expects="UpdateFirmware with location and retrieveDate; every FirmwareStatusNotification "
    "answered; the boot after the install Accepted",
    backend_initiated=True,
)
async def firmware_update_installed(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await _update_firmware(ctx, station)
        await _firmware_statuses(ctx, station, "Downloading", "Downloaded", "Installing")
        ctx.note("the charge point reboots into the new firmware")
    async with ctx.booted() as station:
        await _firmware_statuses(ctx, station, "Installed")
        await station.still_open()


@check(
    "TC_044_2_CS",
    "Firmware update: download failed",
    profile=FIRMWARE,
    clause="OCPP 1.6 §5.19 UpdateFirmware, §4.5 FirmwareStatusNotification (DownloadFailed)",
    sends="answers UpdateFirmware; FirmwareStatusNotification Downloading, DownloadFailed; "
    "Heartbeat",
    expects="UpdateFirmware with location and retrieveDate; both notifications answered and "
    "the connection kept",
    backend_initiated=True,
)
async def firmware_download_failed(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await _update_firmware(ctx, station)
        await _firmware_statuses(ctx, station, "Downloading", "DownloadFailed")
        await station.still_open()


@check(
    "TC_044_3_CS",
    "Firmware update: installation failed",
    profile=FIRMWARE,
    clause="OCPP 1.6 §5.19 UpdateFirmware, §4.5 FirmwareStatusNotification (InstallationFailed)",
    sends="answers UpdateFirmware; FirmwareStatusNotification Downloading, Downloaded, "
    "Installing, InstallationFailed; Heartbeat",
    expects="UpdateFirmware with location and retrieveDate; every notification answered and "
    "the connection kept",
    backend_initiated=True,
)
async def firmware_installation_failed(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await _update_firmware(ctx, station)
        await _firmware_statuses(
            ctx, station, "Downloading", "Downloaded", "Installing", "InstallationFailed"
        )
        await station.still_open()


@check(
    "TC_045_1_CS",
    "Get diagnostics",
    profile=FIRMWARE,
    clause="OCPP 1.6 §5.9 GetDiagnostics, §4.4 DiagnosticsStatusNotification",
    sends="answers GetDiagnostics with a fileName; DiagnosticsStatusNotification Uploading, "
    "Uploaded; Heartbeat",
    expects="GetDiagnostics with a location; both notifications answered and the connection kept",
    backend_initiated=True,
)
async def get_diagnostics(ctx: CheckContext) -> None:
    await _diagnostics(ctx, "Uploading", "Uploaded")


@check(
    "TC_045_2_CS",
    "Get diagnostics: upload failed",
    profile=FIRMWARE,
    clause="OCPP 1.6 §5.9 GetDiagnostics, §4.4 DiagnosticsStatusNotification (UploadFailed)",
    sends="answers GetDiagnostics with a fileName; DiagnosticsStatusNotification Uploading, "
    "UploadFailed; Heartbeat",
    expects="GetDiagnostics with a location; both notifications answered and the connection kept",
    backend_initiated=True,
)
async def get_diagnostics_upload_failed(ctx: CheckContext) -> None:
    await _diagnostics(ctx, "Uploading", "UploadFailed")
