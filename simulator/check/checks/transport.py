"""Robustness of the connection: subprotocol, basic auth, probes, one id twice, ping."""

from __future__ import annotations

import asyncio
import contextlib

from simulator.check.catalogue import Profile, check
from simulator.check.context import CheckContext
from simulator.check.station import OCPP16, HandshakeRefused, ScriptedChargePoint
from simulator.check.verdicts import CheckFailed, NotApplicable

CORE = Profile.CORE


@check(
    "RB_SUBPROTOCOL_SELECTED",
    "Offered [bogus, ocpp1.6], the backend selects ocpp1.6",
    profile=CORE,
    clause="OCPP-J 1.6 §3.1.2 (Sec-WebSocket-Protocol: ocpp1.6); RFC 6455 §4.2.2",
    sends="the handshake offering bogus.v9, then ocpp1.6",
    expects="101 with Sec-WebSocket-Protocol: ocpp1.6 (never one not offered, never none)",
)
async def subprotocol_selected(ctx: CheckContext) -> None:
    async with ctx.open_or_fail(subprotocols=("bogus.v9", OCPP16)) as station:
        await ctx.boot(station)


@check(
    "RB_SUBPROTOCOL_UNSUPPORTED",
    "Offered only an unknown subprotocol, the backend refuses or closes at once",
    profile=CORE,
    clause="OCPP-J 1.6 §3.1.2 (no agreed subprotocol: answer without the header and close "
    "the connection)",
    sends="the handshake offering only bogus.v9",
    expects="the handshake refused (HTTP 4xx), or accepted without a subprotocol and closed "
    "by the backend within the timeout",
)
async def subprotocol_unsupported(ctx: CheckContext) -> None:
    try:
        async with ctx.connection(subprotocols=("bogus.v9",), require_ocpp16=False) as station:
            ctx.expect(
                station.subprotocol is None,
                "no subprotocol selected (only bogus.v9 was offered)",
                f"subprotocol {station.subprotocol!r}",
            )
            closed = await station.wait_closed()
            ctx.expect(
                closed,
                "the backend to close the connection",
                f"still open after {ctx.timeout_s:g} s",
            )
    except HandshakeRefused as refused:
        ctx.expect(
            refused.status is not None and 400 <= refused.status < 500,
            "the handshake refused with an HTTP 4xx status",
            refused.reason,
        )


async def _refused_401(ctx: CheckContext, password: str | None, what: str) -> None:
    if ctx.target.password is None:
        raise NotApplicable("no password given (--password-file or CHARGENET_CSMS_PASSWORD)")
    try:
        async with ctx.connection(password=password, retry_conflict=False) as station:
            await station.still_open()
    except HandshakeRefused as refused:
        ctx.expect(refused.status == 401, f"HTTP 401 for {what}", refused.reason)
        return
    except CheckFailed:
        pass  # opened, then closed: still not the 401 the handshake owes
    raise CheckFailed(f"HTTP 401 for {what}", "the websocket was opened")


@check(
    "RB_WRONG_PASSWORD",
    "A wrong basic-auth password is refused with 401",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (profile 1); RFC 7617",
    sends="the handshake with the run's charge point id and a wrong password",
    expects="HTTP 401, no websocket",
)
async def wrong_password(ctx: CheckContext) -> None:
    await _refused_401(ctx, f"{ctx.target.password}-wrong", "a wrong password")


@check(
    "RB_NO_CREDENTIALS",
    "A handshake without credentials is refused with 401",
    profile=Profile.SECURITY,
    clause="OCPP 1.6 Security Whitepaper (profile 1)",
    sends="the handshake without an Authorization header",
    expects="HTTP 401, no websocket",
)
async def no_credentials(ctx: CheckContext) -> None:
    await _refused_401(ctx, None, "a missing Authorization header")


@check(
    "RB_PROBE_CONNECTION",
    "A short probe connection, then the real session under the same id",
    profile=CORE,
    clause="OCPP-J 1.6 §3.1 (one connection per charge point; multi-version chargers probe first)",
    sends="a connection closed at once without a message; at once a second one: BootNotification",
    expects="the second handshake accepted within the timeout and its boot Accepted",
)
async def probe_connection(ctx: CheckContext) -> None:
    async with ctx.open_or_fail():
        pass
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)


@check(
    "RB_RECONNECT_AFTER_DROP",
    "After a dropped connection the charge point gets back in under its id",
    profile=CORE,
    clause="OCPP-J 1.6 §5 (the charge point reconnects); §3.1",
    sends="a booted connection aborted without a close frame; a new connection, BootNotification",
    expects="the new handshake accepted within the timeout (HTTP 409 retried), its boot Accepted",
)
async def reconnect_after_drop(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        await station.drop()
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)


@check(
    "RB_TWO_CONNECTIONS",
    "Two connections under one id: exactly one of them is served",
    profile=CORE,
    clause="OCPP-J 1.6 §3.1 (one websocket per charge point)",
    sends="connection A booted; connection B with the same id; a Heartbeat on each",
    expects="B refused (A still answered), or A closed by the backend (B answered): never two "
    "live sessions for one id",
)
async def two_connections(ctx: CheckContext) -> None:
    async with ctx.booted() as first:
        try:
            async with ctx.connection(retry_conflict=False) as second:
                a, b = await asyncio.gather(_answers(first), _answers(second))
                if a and b:  # a backend may close the old one a moment after the new one opened
                    await _either_closed(first, second, ctx.timeout_s)
                    a, b = await asyncio.gather(_answers(first), _answers(second))
        except HandshakeRefused as refused:
            ctx.note(f"second connection refused: {refused.reason}")
            await first.still_open()
            return
        ctx.expect(
            a != b,
            "exactly one of the two connections served",
            "both served" if a else "neither served",
        )


async def _either_closed(
    first: ScriptedChargePoint, second: ScriptedChargePoint, timeout_s: float
) -> None:
    waits = [asyncio.ensure_future(s.closed.wait()) for s in (first, second)]
    try:
        await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _answers(station: ScriptedChargePoint) -> bool:
    try:
        await station.still_open()
    except CheckFailed:
        return False
    return True


@check(
    "RB_PING",
    "A websocket ping is answered with a pong",
    profile=CORE,
    clause="OCPP-J 1.6 §5.3 (WebSocket ping/pong keep the connection alive); RFC 6455 §5.5.2",
    sends="a websocket ping",
    expects="the pong within the timeout",
)
async def ping(ctx: CheckContext) -> None:
    async with ctx.booted() as station:
        ctx.note("ping")
        waiter = await station.ws.ping(b"chargenet-check")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ctx.timeout_s):
                await waiter
                ctx.note("pong")
                return
        raise CheckFailed("a pong", f"none within {ctx.timeout_s:g} s")
