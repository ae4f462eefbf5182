"""OCTT 1.6 cases the central system initiates.

Each makes the backend send a CALL through the run's trigger (`CheckContext.backend_sends`:
--trigger, the OCTT HTTP convention); without one they report "not run" with the reason.
"""

from __future__ import annotations

import secrets

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import HandshakeRefused
from simulator.check.verdicts import CheckFailed, NotApplicable

CORE = Profile.CORE


async def _backend_call(
    ctx: CheckContext, action: str, payload: dict[str, object], *, reboot: bool = False
) -> None:
    async with ctx.booted() as station:
        await ctx.backend_sends(station, action, payload)
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
    await _backend_call(
        ctx, "RemoteStartTransaction", {"connectorId": 1, "idTag": ctx.tag("Accepted")}
    )


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
    await _backend_call(ctx, "RemoteStopTransaction", {"transactionId": 1})


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
    await _backend_call(
        ctx, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"}
    )


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
    await _backend_call(ctx, "DataTransfer", {"vendorId": "chargenet", "messageId": "check"})


@check(
    "TC_073_CS",
    "Update the charge point's basic-auth password (AuthorizationKey)",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (AuthorizationKey); §5.3 ChangeConfiguration",
    sends="as a second charge point id: answers ChangeConfiguration AuthorizationKey Accepted, "
    "reconnects with the new key, then tries the old password",
    expects="ChangeConfiguration key AuthorizationKey with the new key; the new key let in "
    "(101), the old password refused (401)",
    backend_initiated=True,
)
async def authorization_key(ctx: CheckContext) -> None:
    if ctx.target.password is None:
        raise NotApplicable("the run has no basic-auth password (--password-file) to rotate")
    # Another id than the run's: the rotation outlives the check on the backend.
    charge_point_id = f"{ctx.charge_point_id[:38]}-k{secrets.token_hex(4)}"
    new_key = secrets.token_hex(20)
    async with ctx.booted(charge_point_id=charge_point_id) as station:
        await ctx.backend_sends(
            station, "ChangeConfiguration", {"key": "AuthorizationKey", "value": new_key}
        )
    async with ctx.booted(charge_point_id=charge_point_id, password=new_key):
        pass
    try:
        async with ctx.connection(charge_point_id=charge_point_id):
            pass
    except HandshakeRefused as refused:
        ctx.expect(
            refused.status == 401,
            "HTTP 401 for the password the new key replaced",
            refused.reason,
        )
        return
    raise CheckFailed(
        "HTTP 401 for the password the new key replaced", "the old password was let in"
    )
