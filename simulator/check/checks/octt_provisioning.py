"""OCTT 1.6 provisioning cases: reset (with and without a transaction), configuration, the
authorization cache, data transfer to the charge point, fault behaviour and a power failure.

The cases the central system initiates make the backend send its CALL through the run's
trigger (`CheckContext.backend_sends`; without one they report "not run" with the reason), then
play the charge point's part of what follows (a reboot, a stop, meter values) and hold the
backend's answers to the spec.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext, utc_text
from simulator.check.station import ScriptedChargePoint

CORE = Profile.CORE

#: What the scripted charge point reports for GetConfiguration: the Core keys of 1.6 §9.1
#: a real charge point holds, with its values (readonly as a real one marks them).
CONFIGURATION: Final[tuple[tuple[str, bool, str], ...]] = (
    ("AuthorizeRemoteTxRequests", False, "true"),
    ("ClockAlignedDataInterval", False, "900"),
    ("ConnectionTimeOut", False, "60"),
    ("ConnectorPhaseRotation", False, "0.RST,1.RST,2.RST"),
    ("GetConfigurationMaxKeys", True, "50"),
    ("HeartbeatInterval", False, "300"),
    ("LocalAuthorizeOffline", False, "true"),
    ("LocalPreAuthorize", False, "false"),
    ("MeterValuesAlignedData", False, "Energy.Active.Import.Register"),
    ("MeterValuesSampledData", False, "Energy.Active.Import.Register,Power.Active.Import"),
    ("MeterValueSampleInterval", False, "60"),
    ("NumberOfConnectors", True, "2"),
    ("ResetRetries", False, "3"),
    ("StopTransactionOnEVSideDisconnect", False, "true"),
    ("StopTransactionOnInvalidId", False, "true"),
    ("StopTxnAlignedData", False, ""),
    ("StopTxnSampledData", False, "Energy.Active.Import.Register"),
    (
        "SupportedFeatureProfiles",
        True,
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
    ),
    ("TransactionMessageAttempts", False, "3"),
    ("TransactionMessageRetryInterval", False, "60"),
    ("UnlockConnectorOnEVSideDisconnect", False, "true"),
)
#: The interval TC_021_CS configures, and its meter values are spaced by.
SAMPLE_INTERVAL_S: Final = 60
#: A key no charge point has (TC_040_1_CS).
UNKNOWN_KEY: Final = "ChargenetNoSuchKey"


def _keys(ctx: CheckContext, names: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The configuration keys (`names`, else all), NumberOfConnectors the run's own."""
    return [
        {
            "key": key,
            "readonly": readonly,
            "value": str(ctx.target.connectors) if key == "NumberOfConnectors" else value,
        }
        for key, readonly, value in CONFIGURATION
        if names is None or key in names
    ]


def _stop_answered(ctx: CheckContext, reply: dict[str, Any]) -> None:
    """A stop with the transaction's idTag: idTagInfo, if given, Accepted (§4.10)."""
    info = reply.get("idTagInfo")
    ctx.expect(
        info is None or info.get("status") == "Accepted",
        "StopTransaction.conf idTagInfo (if any) Accepted for the transaction's own tag",
        f"idTagInfo {info!r}",
    )


async def _power_down(station: ScriptedChargePoint, reset_type: str) -> None:
    """A hard reset restarts the hardware (the connection is lost); a soft one closes it
    (the close frame is sent when the connection's block ends)."""
    if reset_type == "Hard":
        await station.drop()


async def _reset(ctx: CheckContext, reset_type: str) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station, "Reset", {"type": reset_type}, reply={"status": "Accepted"}
        )
        await _power_down(station, reset_type)
    ctx.note(f"{reset_type.lower()} reset: the charge point restarts and boots again")
    async with ctx.booted():
        pass


async def _reset_with_transaction(ctx: CheckContext, reset_type: str) -> None:
    """§5.14: a soft reset stops transactions gracefully (reason SoftReset) before the
    restart; after a hard one the stop (reason HardReset) follows the new boot."""
    ctx.require_trigger("Reset", {"type": reset_type})
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        transaction_id, _ = await ctx.start_transaction(station, tag)
        await ctx.status(station, 1, "Charging")
        await ctx.backend_sends(
            station, "Reset", {"type": reset_type}, reply={"status": "Accepted"}
        )
        stopped_at = ctx.now()
        if reset_type == "Soft":
            reply = await ctx.stop_transaction(
                station, transaction_id, reason="SoftReset", id_tag=tag
            )
            _stop_answered(ctx, reply)
            await ctx.status(station, 1, "Finishing")
        await _power_down(station, reset_type)
    async with ctx.booted() as station:
        if reset_type == "Hard":
            reply = await ctx.stop_transaction(
                station, transaction_id, reason="HardReset", id_tag=tag, timestamp=stopped_at
            )
            _stop_answered(ctx, reply)


@check(
    "TC_013_CS",
    "Hard reset without a transaction: the charge point reboots and is accepted",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset (Hard), §4.2 BootNotification, §4.9 StatusNotification",
    sends="answers Reset Accepted; the connection lost; a new connection, BootNotification, "
    "StatusNotification Available for each connector",
    expects="Reset type Hard and the trigger's success; the new boot Accepted and every "
    "status answered",
    backend_initiated=True,
)
async def hard_reset(ctx: CheckContext) -> None:
    await _reset(ctx, "Hard")


@check(
    "TC_014_CS",
    "Soft reset without a transaction: the charge point reboots and is accepted",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset (Soft), §4.2 BootNotification, §4.9 StatusNotification",
    sends="answers Reset Accepted; closes the connection; a new connection, "
    "BootNotification, StatusNotification Available for each connector",
    expects="Reset type Soft and the trigger's success; the new boot Accepted and every "
    "status answered",
    backend_initiated=True,
)
async def soft_reset(ctx: CheckContext) -> None:
    await _reset(ctx, "Soft")


@check(
    "TC_015_CS",
    "Hard reset with a transaction: the stop (HardReset) after the new boot is answered",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset (Hard: the StopTransaction follows the reboot), §4.10 "
    "StopTransaction, Reason HardReset",
    sends="a transaction, Charging; answers Reset Accepted; the connection lost; a new "
    "connection, boot, statuses, StopTransaction reason HardReset timestamped at the reset",
    expects="Reset type Hard; the new boot Accepted; the stop answered (its idTagInfo, if "
    "any, Accepted)",
    backend_initiated=True,
)
async def hard_reset_with_transaction(ctx: CheckContext) -> None:
    await _reset_with_transaction(ctx, "Hard")


@check(
    "TC_016_CS",
    "Soft reset with a transaction: the stop (SoftReset) before the reboot is answered",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset (Soft: transactions stopped gracefully first), §4.10 "
    "StopTransaction, Reason SoftReset",
    sends="a transaction, Charging; answers Reset Accepted; StopTransaction reason "
    "SoftReset, Finishing; closes the connection; a new connection, boot, statuses",
    expects="Reset type Soft; the stop answered (its idTagInfo, if any, Accepted); the new "
    "boot Accepted",
    backend_initiated=True,
)
async def soft_reset_with_transaction(ctx: CheckContext) -> None:
    await _reset_with_transaction(ctx, "Soft")


@check(
    "TC_019_1_CS",
    "Retrieve all configuration keys",
    profile=CORE,
    clause="OCPP 1.6 §5.8 GetConfiguration (no key: all keys), §9.1 Core keys",
    sends=f"answers GetConfiguration with its {len(CONFIGURATION)} Core keys (values, readonly "
    "flags)",
    expects="GetConfiguration without a key list, and the trigger's success once the keys "
    "are answered",
    backend_initiated=True,
)
async def get_configuration(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        call = await ctx.backend_sends(
            station, "GetConfiguration", {}, reply={"configurationKey": _keys(ctx)}
        )
        ctx.expect(
            not call.payload.get("key"),
            "GetConfiguration without a key list (§5.8: all keys are reported)",
            f"key {call.payload.get('key')!r}",
        )


@check(
    "TC_019_2_CS",
    "Retrieve a specific configuration key",
    profile=CORE,
    clause="OCPP 1.6 §5.8 GetConfiguration (key: the keys asked for)",
    sends="answers GetConfiguration with that key's value",
    expects="GetConfiguration key [MeterValueSampleInterval], and the trigger's success",
    backend_initiated=True,
)
async def get_configuration_key(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "GetConfiguration",
            {"key": ["MeterValueSampleInterval"]},
            reply={"configurationKey": _keys(ctx, ("MeterValueSampleInterval",))},
        )


@check(
    "TC_021_CS",
    "Change a configuration key: meter values at the new sample interval",
    profile=CORE,
    clause="OCPP 1.6 §5.3 ChangeConfiguration, §9.1 MeterValueSampleInterval, §4.7 MeterValues",
    sends=f"answers ChangeConfiguration Accepted; a transaction with two MeterValues "
    f"{SAMPLE_INTERVAL_S} s apart; its stop",
    expects=f'ChangeConfiguration key MeterValueSampleInterval value "{SAMPLE_INTERVAL_S}" (a '
    "string); every meter value and the stop answered",
    backend_initiated=True,
)
async def change_configuration(ctx: CheckContext) -> None:
    payload = {"key": "MeterValueSampleInterval", "value": str(SAMPLE_INTERVAL_S)}
    ctx.require_trigger("ChangeConfiguration", payload)
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "ChangeConfiguration", payload)
        started = datetime.now(UTC) - timedelta(seconds=2 * SAMPLE_INTERVAL_S)
        start_wh = ctx.next_meter_wh()
        transaction_id, _ = await ctx.start_transaction(
            station, tag, timestamp=utc_text(started), meter_start_wh=start_wh
        )
        await ctx.status(station, 1, "Charging")
        for step in (1, 2):
            at = started + timedelta(seconds=step * SAMPLE_INTERVAL_S)
            await ctx.result(
                station,
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": transaction_id,
                    "meterValue": [ctx.meter_value(start_wh + 250 * step, at=at)],
                },
            )
        await ctx.stop_transaction(station, transaction_id, meter_stop_wh=start_wh + 500)
        await ctx.status(station, 1, "Available")


@check(
    "TC_040_1_CS",
    "Change an unknown configuration key: NotSupported is taken",
    profile=CORE,
    clause="OCPP 1.6 §5.3 ChangeConfiguration (an unknown key: NotSupported)",
    sends=f"answers ChangeConfiguration of {UNKNOWN_KEY} NotSupported; a Heartbeat",
    expects="the ChangeConfiguration, and the trigger's success with the NotSupported "
    "answer; the connection kept",
    backend_initiated=True,
)
async def change_unknown_key(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "ChangeConfiguration",
            {"key": UNKNOWN_KEY, "value": "1"},
            reply={"status": "NotSupported"},
        )
        await station.still_open()


@check(
    "TC_040_2_CS",
    "Change a configuration key to an invalid value: Rejected is taken",
    profile=CORE,
    clause="OCPP 1.6 §5.3 ChangeConfiguration (a value that is not correct: Rejected)",
    sends='answers ChangeConfiguration MeterValueSampleInterval "-1" Rejected; a Heartbeat',
    expects="the ChangeConfiguration, and the trigger's success with the Rejected answer; "
    "the connection kept",
    backend_initiated=True,
)
async def change_key_invalid_value(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "-1"},
            reply={"status": "Rejected"},
        )
        await station.still_open()


@check(
    "TC_041_CS",
    "Fault behaviour: a Faulted connector with its error, then Available again",
    profile=CORE,
    clause="OCPP 1.6 §4.9 StatusNotification (Faulted, errorCode, info, vendorErrorCode), "
    "ChargePointErrorCode",
    sends="StatusNotification Faulted GroundFailure with info, vendorId and vendorErrorCode "
    "for connector 1; then Available (NoError)",
    expects="both answered with a CALLRESULT",
)
async def fault_behaviour(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.result(
            station,
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "GroundFailure",
                "info": "residual current detected",
                "status": "Faulted",
                "timestamp": ctx.now(),
                "vendorId": "org.chargenet",
                "vendorErrorCode": "RCD-30mA",
            },
        )
        await ctx.status(station, 1, "Available")


@check(
    "TC_032_2_CS",
    "Power failure: the transactions stopped after the reboot, reason PowerLoss",
    profile=CORE,
    clause="OCPP 1.6 §4.10 StopTransaction (reason PowerLoss), §4.2 BootNotification, "
    "§5.14 (stops of transactions found after a restart)",
    sends="a transaction on connectors 1 and 2 (Charging); the connection lost; a new "
    "connection, boot, statuses; a StopTransaction reason PowerLoss for each, timestamped "
    "after the reboot",
    expects="the new boot Accepted; both stops answered (their idTagInfo, if any, Accepted)",
)
async def power_failure_stops_after_reboot(ctx: CheckContext) -> None:
    tag = ctx.tag("Accepted")
    connectors = range(1, min(ctx.target.connectors, 2) + 1)
    running = {}
    async with ctx.booted() as station:
        for connector in connectors:
            # A second tag for the second connector: one tag may not run two transactions.
            own = tag if connector == 1 else await ctx.backend_knows_tag("Accepted")
            transaction_id, _ = await ctx.start_transaction(station, own, connector=connector)
            running[transaction_id] = own
            await ctx.status(station, connector, "Charging")
        await station.drop()
    async with ctx.booted() as station:
        for transaction_id, own in running.items():
            reply = await ctx.stop_transaction(
                station, transaction_id, reason="PowerLoss", id_tag=own
            )
            _stop_answered(ctx, reply)


@check(
    "TC_061_CS",
    "Clear the authorization cache: a known tag is still Accepted",
    profile=CORE,
    clause="OCPP 1.6 §5.4 ClearCache (the charge point's cache; the tags stay valid), §4.1 "
    "Authorize",
    sends="answers ClearCache Accepted; Authorize with the Accepted tag",
    expects="ClearCache and the trigger's success; Authorize idTagInfo Accepted",
    backend_initiated=True,
)
async def clear_cache(ctx: CheckContext) -> None:
    ctx.require_trigger("ClearCache", {})
    tag = ctx.tag("Accepted")
    async with ctx.booted() as station:
        await ctx.backend_sends(station, "ClearCache", {}, reply={"status": "Accepted"})
        status = await ctx.authorize(station, tag)
        ctx.expect(
            status == "Accepted",
            f"Authorize idTagInfo Accepted for {tag!r} after ClearCache (only the charge "
            "point's cache is cleared: the central system must still know the tag)",
            f"idTagInfo status {status}",
        )


@check(
    "TC_062_CS",
    "Data transfer to the charge point: an UnknownVendorId answer is taken",
    profile=CORE,
    clause="OCPP 1.6 §5.6 DataTransfer (a charge point that does not know the vendorId "
    "answers UnknownVendorId)",
    sends="answers DataTransfer UnknownVendorId; a Heartbeat",
    expects="DataTransfer with a vendorId, and the trigger's success with that answer; the "
    "connection kept",
    backend_initiated=True,
)
async def data_transfer_to_charge_point(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(
            station,
            "DataTransfer",
            {"vendorId": "chargenet", "messageId": "check"},
            reply={"status": "UnknownVendorId"},
        )
        await station.still_open()
