"""ocppj.endpoint.Endpoint over real websockets on 127.0.0.1, frames written by hand on the
other side (a peer), and against the real central system."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.exceptions import NotImplementedError as NotImplementedByUs
from ocpp.exceptions import OCPPError, PropertyConstraintViolationError
from ocpp.messages import CallError
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from central_system.server import RunningCentralSystem
from ocppj import OCPP16, OCPP201, Endpoint, Version, exception_for
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    REPLY_TIMEOUT_S,
    wait_until_connected,
)

WAIT_S = 10.0  # the longest a test waits for one frame or one reply
STAMP = "2026-01-01T00:00:00Z"


class ChargePointEndpoint(Endpoint):
    """A 1.6 charge point's handlers, good and bad on purpose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unique_ids: list[str] = []
        self.after_reset: list[dict[str, Any]] = []
        self.hook_reply: asyncio.Future[dict[str, Any]] | None = None

    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        if type == "Hard":
            raise NotImplementedByUs(description="not now")
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    async def after_reset_hook(self, type: str) -> None:
        # a hook may make a call of its own: its reply comes through the receive loop
        self.after_reset.append({"type": type})
        reply = await self.call_payload("Heartbeat", {}, timeout_s=WAIT_S)
        if self.hook_reply is not None:
            self.hook_reply.set_result(reply)

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        return call_result.ClearCache(status="Nope")  # fails its schema: on purpose

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self) -> dict[str, int]:
        return {"listVersion": 1}  # not a dataclass: refused

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> Any:
        raise ValueError("a bug")

    @on(Action.unlock_connector)
    async def on_unlock(self, connector_id: int, call_unique_id: str) -> Any:
        self.unique_ids.append(call_unique_id)
        return call_result.UnlockConnector(status="Unlocked")


class Peer:
    """The other end of the websocket, frames by hand."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws

    async def receive(self) -> list[Any]:
        frame: list[Any] = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT_S))
        return frame

    async def send(self, frame: Any) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def exchange(self, frame: Any) -> list[Any]:
        await self.send(frame)
        return await self.receive()


async def _serve(endpoint: Endpoint) -> None:
    with contextlib.suppress(ConnectionClosed):
        await endpoint.start()


@contextlib.asynccontextmanager
async def connected(
    version: Version = OCPP16, **options: Any
) -> AsyncIterator[tuple[ChargePointEndpoint, Peer]]:
    """A ChargePointEndpoint connected to a Peer on 127.0.0.1, its receive loop running."""
    peers: asyncio.Queue[ServerConnection] = asyncio.Queue()
    done = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await peers.put(ws)
        await done.wait()

    protocol = Subprotocol(version)
    async with serve(handler, "127.0.0.1", 0, subprotocols=[protocol]) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/CP1", subprotocols=[protocol]) as ws:
            endpoint = ChargePointEndpoint("CP1", ws, version=version, **options)
            peer = Peer(await asyncio.wait_for(peers.get(), WAIT_S))
            async with asyncio.TaskGroup() as tasks:
                serving = tasks.create_task(_serve(endpoint))
                try:
                    yield endpoint, peer
                finally:
                    serving.cancel()
                    done.set()


# --- our CALLs ----------------------------------------------------------------------------


async def test_each_call_gets_a_fresh_uuid_message_id_and_returns_its_reply() -> None:
    async with connected() as (endpoint, peer):
        ids = []
        for _ in range(2):
            calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
            message_type, message_id, action, payload = await peer.receive()
            assert (message_type, action, payload) == (2, "Heartbeat", {})
            await peer.send([3, message_id, {"currentTime": STAMP}])
            assert await calling == {"currentTime": STAMP}
            ids.append(message_id)
    assert all(uuid.UUID(message_id).version == 4 for message_id in ids)
    assert ids[0] != ids[1]


async def test_a_reply_with_an_unknown_id_is_ignored_and_the_call_gets_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with connected() as (endpoint, peer):
        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        message_id = (await peer.receive())[1]
        with caplog.at_level(logging.WARNING, "ocppj"):
            await peer.send([3, "not-ours", {"currentTime": "2000-01-01T00:00:00Z"}])
            await peer.send([4, "neither", "InternalError", "", {}])
            await peer.send([3, message_id, {"currentTime": STAMP}])
            assert await calling == {"currentTime": STAMP}
    unknown = [r.getMessage() for r in caplog.records if "unknown id" in r.getMessage()]
    assert unknown == [
        "CP1: ignoring a reply with unknown id not-ours",
        "CP1: ignoring a reply with unknown id neither",
    ]


async def test_a_call_without_a_reply_times_out_and_its_late_reply_is_ignored() -> None:
    async with connected() as (endpoint, peer):
        with pytest.raises(TimeoutError, match=r"no reply to Heartbeat [-0-9a-f]+ within 0\.2 s"):
            await endpoint.call_payload("Heartbeat", {}, timeout_s=0.2)
        late_id = (await peer.receive())[1]
        await peer.send([3, late_id, {"currentTime": "2000-01-01T00:00:00Z"}])
        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        message_id = (await peer.receive())[1]
        assert message_id != late_id
        await peer.send([3, message_id, {"currentTime": STAMP}])
        assert await calling == {"currentTime": STAMP}


async def test_the_default_timeout_is_the_endpoints_response_timeout() -> None:
    async with connected(response_timeout=0.2) as (endpoint, peer):
        assert endpoint.response_timeout_s == 0.2
        with pytest.raises(TimeoutError, match=r"no reply to Heartbeat [-0-9a-f]+ within 0\.2 s"):
            await endpoint.call_payload("Heartbeat", {})
        assert (await peer.receive())[2] == "Heartbeat"


async def test_only_one_call_of_ours_is_outstanding_on_a_connection() -> None:
    async with connected() as (endpoint, peer):
        first = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        first_id = (await peer.receive())[1]
        second = asyncio.create_task(endpoint.call_payload("Authorize", {"idTag": "T1"}))
        await asyncio.sleep(0)  # one step: the second call runs up to its wait for the first
        # A CALL of the peer's is answered meanwhile: the next frame is that reply, not a CALL.
        assert await peer.exchange([2, "p1", "UnlockConnector", {"connectorId": 1}]) == [
            3,
            "p1",
            {"status": "Unlocked"},
        ]
        assert not second.done()
        await peer.send([3, first_id, {"currentTime": STAMP}])
        assert await first == {"currentTime": STAMP}
        second_id, action = (await peer.receive())[1:3]
        assert action == "Authorize"
        await peer.send([3, second_id, {"idTagInfo": {"status": "Accepted"}}])
        assert await second == {"idTagInfo": {"status": "Accepted"}}


async def test_a_callerror_reply_raises_its_error_and_an_invalid_reply_raises_its_defect() -> None:
    async with connected() as (endpoint, peer):
        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        message_id = (await peer.receive())[1]
        await peer.send([4, message_id, "NotSupported", "no", {"why": "test"}])
        with pytest.raises(OCPPError) as refused:
            await calling
        assert (refused.value.code, refused.value.details) == ("NotSupported", {"why": "test"})

        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        await peer.send([3, (await peer.receive())[1], {"currentTime": 7}])
        with pytest.raises(OCPPError) as invalid:
            await calling
        assert invalid.value.code == "TypeConstraintViolation"

        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}, timeout_s=WAIT_S))
        await peer.send(f'[3, "{(await peer.receive())[1]}", "not an object"]')
        with pytest.raises(OCPPError) as garbled:  # at once, not after the timeout
            await calling
        assert garbled.value.code == "FormationViolation"


async def test_a_request_that_fails_its_schema_is_not_sent() -> None:
    async with connected() as (endpoint, peer):
        with pytest.raises(OCPPError) as refused:
            await endpoint.call_payload("Authorize", {"idTag": 7})
        assert refused.value.code == "TypeConstraintViolation"
        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}))
        frame = await peer.receive()
        assert frame[2] == "Heartbeat"  # the refused Authorize never went out
        await peer.send([3, frame[1], {"currentTime": STAMP}])
        await calling


async def test_a_closed_connection_fails_the_waiting_call_at_once() -> None:
    async with connected() as (endpoint, peer):
        calling = asyncio.create_task(endpoint.call_payload("Heartbeat", {}, timeout_s=WAIT_S))
        await peer.receive()
        await peer.ws.close()
        with pytest.raises(ConnectionClosed):
            await calling


async def test_call_sends_a_dataclass_and_returns_the_call_result_dataclass() -> None:
    async with connected() as (endpoint, peer):
        calling = asyncio.create_task(endpoint.call(call.BootNotification("Model", "Vendor")))
        frame = await peer.receive()
        assert frame[2:] == [
            "BootNotification",
            {"chargePointModel": "Model", "chargePointVendor": "Vendor"},
        ]
        await peer.send([3, frame[1], {"currentTime": STAMP, "interval": 60, "status": "Accepted"}])
        assert await calling == call_result.BootNotification(STAMP, 60, "Accepted")
        with pytest.raises(PropertyConstraintViolationError):  # refused before sending
            await endpoint.call(call.StatusNotification(1, "NoError", "Sleeping"))


# --- received CALLs -----------------------------------------------------------------------


async def test_received_calls_are_validated_dispatched_and_answered() -> None:
    async with connected() as (endpoint, peer):
        unlocked = await peer.exchange([2, "u1", "UnlockConnector", {"connectorId": 1}])
        assert unlocked == [3, "u1", {"status": "Unlocked"}]
        assert endpoint.unique_ids == ["u1"]
        wrong = await peer.exchange([2, "u2", "UnlockConnector", {"connectorId": "one"}])
        assert wrong[:3] == [4, "u2", "TypeConstraintViolation"]
        extra = await peer.exchange([2, "u3", "UnlockConnector", {"connectorId": 1, "x": 1}])
        assert extra[:3] == [4, "u3", "PropertyConstraintViolation"]
        assert endpoint.unique_ids == ["u1"]  # refused requests never reach the handler
        unhandled = await peer.exchange([2, "n1", "GetDiagnostics", {"location": "ftp://x"}])
        assert unhandled[:3] == [4, "n1", "NotSupported"]
        unknown = await peer.exchange([2, "n2", "Teleport", {}])
        assert unknown[:3] == [4, "n2", "NotImplemented"]


async def test_a_handlers_error_is_its_answer_and_a_bug_is_an_internal_error() -> None:
    async with connected() as (_, peer):
        refused = await peer.exchange([2, "a", "Reset", {"type": "Hard"}])
        assert refused == [4, "a", "NotImplemented", "not now", {}]
        bug = await peer.exchange([2, "b", "ChangeAvailability", {"connectorId": 0, "type": "x"}])
        assert bug[:3] == [4, "b", "PropertyConstraintViolation"]  # the schema answers first
        bug = await peer.exchange(
            [2, "c", "ChangeAvailability", {"connectorId": 0, "type": "Operative"}]
        )
        assert bug[:3] == [4, "c", "InternalError"]
        not_a_dataclass = await peer.exchange([2, "d", "GetLocalListVersion", {}])
        assert not_a_dataclass[:3] == [4, "d", "InternalError"]
        bad_reply = await peer.exchange([2, "e", "ClearCache", {}])
        assert bad_reply[:4] == [4, "e", "InternalError", "ClearCache reply failed its schema"]
        # and the connection goes on
        assert await peer.exchange([2, "f", "UnlockConnector", {"connectorId": 2}]) == [
            3,
            "f",
            {"status": "Unlocked"},
        ]


async def test_an_after_hook_runs_once_the_reply_is_out_and_may_call() -> None:
    async with connected() as (endpoint, peer):
        endpoint.hook_reply = asyncio.get_running_loop().create_future()
        assert await peer.exchange([2, "r", "Reset", {"type": "Soft"}]) == [
            3,
            "r",
            {"status": "Accepted"},
        ]
        hook_call = await peer.receive()
        assert hook_call[2] == "Heartbeat"
        await peer.send([3, hook_call[1], {"currentTime": STAMP}])
        assert await asyncio.wait_for(endpoint.hook_reply, WAIT_S) == {"currentTime": STAMP}
        assert endpoint.after_reset == [{"type": "Soft"}]


@pytest.mark.parametrize(
    ("version", "codes"),
    [
        (OCPP16, ["FormationViolation", "ProtocolError", "FormationViolation"]),
        (OCPP201, ["RpcFrameworkError", "RpcFrameworkError", "FormatViolation"]),
    ],
)
async def test_defective_frames_get_the_callerror_the_connections_version_names(
    version: Version, codes: list[str]
) -> None:
    async with connected(version) as (endpoint, peer):
        endpoint.max_frame_bytes = 200
        assert endpoint.wire_version == version
        not_json = await peer.exchange("[2, ")
        too_short = await peer.exchange('[2, "s1"]')
        oversized = await peer.exchange(json.dumps([2, "o1", "Reset", {"type": "Soft" * 60}]))
        assert [not_json[:3], too_short[:3], oversized[:3]] == [
            [4, "-1", codes[0]],
            [4, "s1", codes[1]],
            [4, "o1", codes[2]],
        ]


async def test_a_201_endpoint_is_the_same_class_with_another_version() -> None:
    async with connected(OCPP201) as (endpoint, peer):
        calling = asyncio.create_task(
            endpoint.call_payload(
                "BootNotification",
                {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"},
            )
        )
        frame = await peer.receive()
        await peer.send([3, frame[1], {"currentTime": STAMP, "interval": 60, "status": "Accepted"}])
        assert (await calling)["status"] == "Accepted"
        # 1.6's Reset handler: the 2.0.1 Reset has another schema, which is checked first
        refused = await peer.exchange([2, "r", "Reset", {"type": "Soft"}])
        assert refused[:3] == [4, "r", "PropertyConstraintViolation"]


def test_an_endpoint_refuses_a_version_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unsupported OCPP version"):
        Endpoint("CP1", None, version="ocpp2.1")  # type: ignore[arg-type]


def test_an_unknown_callerror_code_maps_to_generic_error() -> None:
    error = exception_for(CallError("1", "Teapot", "short and stout", {}))
    assert error.code == "GenericError"
    assert error.details["error_code"] == "Teapot"
    known = exception_for(CallError("1", "NotSupported", "no", {}))
    assert known.code == "NotSupported"


# --- against the real central system -----------------------------------------------------


@contextlib.asynccontextmanager
async def charge_point(ws_url: str, charge_point_id: str) -> AsyncIterator[ChargePointEndpoint]:
    async with connect(f"{ws_url}/{charge_point_id}", subprotocols=[OCPP16_SUBPROTOCOL]) as ws:
        endpoint = ChargePointEndpoint(charge_point_id, ws, response_timeout=REPLY_TIMEOUT_S)
        async with asyncio.TaskGroup() as tasks:
            serving = tasks.create_task(_serve(endpoint))
            try:
                yield endpoint
            finally:
                serving.cancel()


async def test_both_ends_are_endpoints_against_the_real_central_system(
    central_system: RunningCentralSystem,
) -> None:
    async with charge_point(central_system.ws_url, "FAST1") as cp:
        boot = await cp.call(call.BootNotification("M", "V"))
        assert boot.status == "Accepted"
        reply = await cp.call_payload("Authorize", {"idTag": "ACCEPTED1"})
        assert reply == {"idTagInfo": {"status": "Accepted"}}
        await wait_until_connected(central_system, "FAST1")
        session = central_system.registry.get("FAST1")
        assert session is not None
        assert await session.call_payload("UnlockConnector", {"connectorId": 1}) == {
            "status": "Unlocked"
        }
        with pytest.raises(OCPPError) as refused:
            await session.call_payload("Reset", {"type": "Soft", "x": 1}, validate=False)
        assert refused.value.code == "PropertyConstraintViolation"
        with pytest.raises(OCPPError) as internal:
            await session.call_payload("ClearCache", {})
        assert internal.value.code == "InternalError"
        with pytest.raises(OCPPError) as missing:
            await session.call_payload("GetDiagnostics", {"location": "ftp://x"})
        assert missing.value.code == "NotSupported"  # a 1.6 action it does not handle
