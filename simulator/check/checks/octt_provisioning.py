"""OCTT 1.6 provisioning cases the central system initiates: reset, configuration, the
authorization cache, data transfer to the charge point.

Each makes the backend send its CALL through the run's trigger (`CheckContext.backend_sends`);
without one they report "not run" with the reason.
"""

from __future__ import annotations

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext

CORE = Profile.CORE


async def _backend_call(
    ctx: CheckContext, action: str, payload: dict[str, object], *, reboot: bool = False
) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(station, action, payload)
        if reboot:
            await ctx.boot(station)


@check(
    "TC_013_CS",
    "Hard reset without a transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset",
    sends="answers Reset Accepted, then boots again",
    expects="Reset type Hard; the new boot Accepted",
    backend_initiated=True,
)
async def hard_reset(ctx: CheckContext) -> None:
    await _backend_call(ctx, "Reset", {"type": "Hard"}, reboot=True)


@check(
    "TC_014_CS",
    "Soft reset without a transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.14 Reset",
    sends="answers Reset Accepted, then boots again",
    expects="Reset type Soft; the new boot Accepted",
    backend_initiated=True,
)
async def soft_reset(ctx: CheckContext) -> None:
    await _backend_call(ctx, "Reset", {"type": "Soft"}, reboot=True)


@check(
    "TC_019_1_CS",
    "Retrieve all configuration keys",
    profile=CORE,
    clause="OCPP 1.6 §5.8 GetConfiguration",
    sends="answers GetConfiguration with its keys",
    expects="GetConfiguration (no key list: all keys)",
    backend_initiated=True,
)
async def get_configuration(ctx: CheckContext) -> None:
    await _backend_call(ctx, "GetConfiguration", {})


@check(
    "TC_021_CS",
    "Change a configuration key",
    profile=CORE,
    clause="OCPP 1.6 §5.3 ChangeConfiguration",
    sends="answers ChangeConfiguration Accepted",
    expects="ChangeConfiguration MeterValueSampleInterval",
    backend_initiated=True,
)
async def change_configuration(ctx: CheckContext) -> None:
    await _backend_call(
        ctx, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"}
    )


@check(
    "TC_061_CS",
    "Clear the authorization cache",
    profile=CORE,
    clause="OCPP 1.6 §5.4 ClearCache",
    sends="answers ClearCache Accepted",
    expects="ClearCache",
    backend_initiated=True,
)
async def clear_cache(ctx: CheckContext) -> None:
    await _backend_call(ctx, "ClearCache", {})


@check(
    "TC_062_CS",
    "Data transfer to the charge point",
    profile=CORE,
    clause="OCPP 1.6 §5.6 DataTransfer",
    sends="answers DataTransfer Accepted",
    expects="DataTransfer with a vendorId",
    backend_initiated=True,
)
async def data_transfer_to_charge_point(ctx: CheckContext) -> None:
    await _backend_call(ctx, "DataTransfer", {"vendorId": "chargenet", "messageId": "check"})
