"""Robustness of a 2.0.1 connection: the subprotocol the CSMS selects, and the short ocpp1.6
probe a multi-version station opens before its real ocpp2.0.1 session (issue 10)."""

from __future__ import annotations

from simulator.check.catalogue import check201
from simulator.check.context import CheckContext
from simulator.check.station import OCPP16, OCPP201, HandshakeRefused

#: A subprotocol no CSMS serves.
BOGUS: str = "chargenet.bogus.v9"


@check201(
    "RB_SUBPROTOCOL_SELECTED",
    "Offered [bogus, ocpp2.0.1], the CSMS selects ocpp2.0.1",
    clause="OCPP-J 2.0.1 §3.1 (Sec-WebSocket-Protocol: ocpp2.0.1); RFC 6455 §4.2.2",
    sends="the handshake offering a bogus subprotocol, then ocpp2.0.1; BootNotification",
    expects="101 with Sec-WebSocket-Protocol: ocpp2.0.1 (never one not offered); the boot Accepted",
)
async def subprotocol_selected(ctx: CheckContext) -> None:
    async with ctx.open_or_fail(subprotocols=(BOGUS, OCPP201)) as station:
        await ctx.boot(station)


@check201(
    "RB_SUBPROTOCOL_UNSUPPORTED",
    "Offered only an unknown subprotocol, the CSMS refuses or closes at once",
    clause="OCPP-J 2.0.1 §3.1 (no agreed subprotocol: the connection is not served); RFC 6455 "
    "§4.2.2",
    sends="the handshake offering only a bogus subprotocol",
    expects="the handshake refused (HTTP 4xx), or accepted without a subprotocol and closed "
    "by the CSMS within the timeout; never a subprotocol that was not offered",
)
async def subprotocol_unsupported(ctx: CheckContext) -> None:
    try:
        async with ctx.connection(subprotocols=(BOGUS,), require_ocpp16=False) as station:
            ctx.expect(
                station.subprotocol is None,
                f"no subprotocol selected (only {BOGUS} was offered)",
                f"subprotocol {station.subprotocol!r}",
            )
            closed = await station.wait_closed()
            ctx.expect(
                closed, "the CSMS to close the connection", f"still open after {ctx.timeout_s:g} s"
            )
    except HandshakeRefused as refused:
        ctx.expect(
            refused.status is not None and 400 <= refused.status < 500,
            "the handshake refused with an HTTP 4xx status",
            refused.reason,
        )


@check201(
    "RB_PROBE_CONNECTION",
    "A short ocpp1.6 probe, then the real ocpp2.0.1 session under the same id",
    clause="OCPP-J 2.0.1 §3.1 (one connection per station; a multi-version station may probe "
    "the versions a CSMS serves first)",
    sends="a connection offering ocpp1.6 only, closed at once without a message (refused is "
    "fine: a CSMS may serve 2.0.1 only); at once an ocpp2.0.1 one: BootNotification",
    expects="the ocpp2.0.1 handshake accepted within the timeout and its boot Accepted",
)
async def probe_connection(ctx: CheckContext) -> None:
    try:
        async with ctx.connection(subprotocols=(OCPP16,), require_ocpp16=False) as probe:
            ctx.note(f"probe: subprotocol {probe.subprotocol or 'none'}, closed at once")
    except HandshakeRefused as refused:
        ctx.note(f"probe refused: {refused.reason}")
    async with ctx.open_or_fail() as station:
        await ctx.boot(station)
