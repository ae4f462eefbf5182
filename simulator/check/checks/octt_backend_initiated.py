"""OCTT 1.6 cases the central system initiates.

Each needs the backend to send a CALL; `CheckContext.backend_must_send` is where a trigger
adapter (--trigger, the OCTT HTTP convention) or an interactive prompt will make it do so. In
this version there is neither, so these report "not run" with the reason, never "pass".
The steps after the trigger are written now, so adding the trigger runs them.
"""

from __future__ import annotations

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext

CORE = Profile.CORE


async def _backend_call(
    ctx: CheckContext, action: str, payload_hint: dict[str, object], *, reboot: bool = False
) -> None:
    async with ctx.booted() as station:
        since = station.mark()
        ctx.backend_must_send(action, payload_hint)
        call = await station.expect_call(action, since=since)
        for key, value in payload_hint.items():
            ctx.expect(
                call.payload.get(key) == value,
                f"{action} with {key} = {value!r}",
                f"{key} = {call.payload.get(key)!r}",
            )
        if reboot:
            await ctx.boot(station)


@check(
    "TC_010_CS",
    "Remote start, cable plugged in first",
    profile=CORE,
    clause="OCPP 1.6 §5.11 RemoteStartTransaction",
    sends="Preparing; answers RemoteStartTransaction Accepted",
    expects="RemoteStartTransaction for connector 1 with an idTag",
    backend_initiated=True,
)
async def remote_start_plugged_in(ctx: CheckContext) -> None:
    await _backend_call(ctx, "RemoteStartTransaction", {"connectorId": 1})


@check(
    "TC_012_CS",
    "Remote stop of a running transaction",
    profile=CORE,
    clause="OCPP 1.6 §5.12 RemoteStopTransaction",
    sends="a transaction; answers RemoteStopTransaction Accepted",
    expects="RemoteStopTransaction naming the running transaction",
    backend_initiated=True,
)
async def remote_stop(ctx: CheckContext) -> None:
    await _backend_call(ctx, "RemoteStopTransaction", {})


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
    "TC_017_1_CS",
    "Unlock a connector without a session",
    profile=CORE,
    clause="OCPP 1.6 §5.18 UnlockConnector",
    sends="answers UnlockConnector Unlocked",
    expects="UnlockConnector for connector 1",
    backend_initiated=True,
)
async def unlock_connector(ctx: CheckContext) -> None:
    await _backend_call(ctx, "UnlockConnector", {"connectorId": 1})


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
    await _backend_call(ctx, "ChangeConfiguration", {"key": "MeterValueSampleInterval"})


@check(
    "TC_054_CS",
    "Trigger a message",
    profile=Profile.REMOTE_TRIGGER,
    clause="OCPP 1.6 §5.17 TriggerMessage",
    sends="answers TriggerMessage Accepted, then sends the requested message",
    expects="TriggerMessage requestedMessage Heartbeat",
    backend_initiated=True,
)
async def trigger_message(ctx: CheckContext) -> None:
    await _backend_call(ctx, "TriggerMessage", {"requestedMessage": "Heartbeat"})


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
    await _backend_call(ctx, "DataTransfer", {})


@check(
    "TC_073_CS",
    "Update the charge point's basic-auth password (AuthorizationKey)",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (AuthorizationKey); §5.3 ChangeConfiguration",
    sends="answers ChangeConfiguration AuthorizationKey Accepted, reconnects with the new key",
    expects="ChangeConfiguration key AuthorizationKey; the new key let in, the old one 401",
    backend_initiated=True,
)
async def authorization_key(ctx: CheckContext) -> None:
    await _backend_call(ctx, "ChangeConfiguration", {"key": "AuthorizationKey"})
