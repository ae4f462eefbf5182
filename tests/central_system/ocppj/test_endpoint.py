"""ocppj.endpoint.FastValidation on the charge point's side, against the real central system."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.exceptions import NotImplementedError as NotImplementedByUs
from ocpp.exceptions import OCPPError, PropertyConstraintViolationError
from ocpp.messages import CallError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from central_system.server import RunningCentralSystem
from ocppj import FastValidation, exception_for
from tests.central_system.conftest import (
    OCPP16_SUBPROTOCOL,
    REPLY_TIMEOUT_S,
    wait_until_connected,
)


class FastChargePoint(FastValidation, ChargePoint):
    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        return call_result.Reset(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        return call_result.ClearCache(status="Nope")  # wrong on purpose


async def _serve(charge_point: ChargePoint) -> None:
    with contextlib.suppress(ConnectionClosed):
        await charge_point.start()


@contextlib.asynccontextmanager
async def fast_charge_point(ws_url: str, charge_point_id: str) -> AsyncIterator[FastChargePoint]:
    async with connect(f"{ws_url}/{charge_point_id}", subprotocols=[OCPP16_SUBPROTOCOL]) as ws:
        charge_point = FastChargePoint(charge_point_id, ws, response_timeout=REPLY_TIMEOUT_S)
        async with asyncio.TaskGroup() as tasks:
            serving = tasks.create_task(_serve(charge_point))
            try:
                yield charge_point
            finally:
                serving.cancel()


def test_every_route_skips_stock_validation() -> None:
    charge_point = FastChargePoint("CP", connection=None)
    assert all(route["_skip_schema_validation"] for route in charge_point.route_map.values())
    assert charge_point.wire_version == "ocpp1.6"


async def test_calls_are_validated_and_answered_through_the_stock_call_api(
    central_system: RunningCentralSystem,
) -> None:
    async with fast_charge_point(central_system.ws_url, "FAST1") as cp:
        boot = await cp.call(call.BootNotification("M", "V"), suppress=False)
        assert boot.status == "Accepted"
        reply = await cp.call_payload("Authorize", {"idTag": "ACCEPTED1"})
        assert reply == {"idTagInfo": {"status": "Accepted"}}
        with pytest.raises(PropertyConstraintViolationError):  # refused before sending
            await cp.call(call.StatusNotification(1, "NoError", "Sleeping"), suppress=False)
        with pytest.raises(OCPPError):
            await cp.call_payload("Authorize", {"idTag": 7})


async def test_handlers_answer_validated_calls_and_a_bad_own_reply_becomes_internal_error(
    central_system: RunningCentralSystem,
) -> None:
    async with fast_charge_point(central_system.ws_url, "FAST1"):
        await wait_until_connected(central_system, "FAST1")
        session = central_system.registry.get("FAST1")
        assert session is not None
        assert await session.call_payload("Reset", {"type": "Soft"}) == {"status": "Accepted"}
        with pytest.raises(OCPPError) as refused:
            await session.call_payload("Reset", {"type": "Soft", "x": 1}, validate=False)
        assert refused.value.code == "PropertyConstraintViolation"
        with pytest.raises(OCPPError) as internal:
            await session.call_payload("ClearCache", {})
        assert internal.value.code == "InternalError"
        with pytest.raises(OCPPError) as missing:
            await session.call_payload("UnlockConnector", {"connectorId": 1})
        assert missing.value.code == "NotSupported"  # a 1.6 action it does not handle


def test_an_unknown_callerror_code_maps_to_generic_error() -> None:
    error = exception_for(CallError("1", "Teapot", "short and stout", {}))
    assert error.code == "GenericError" and error.details["error_code"] == "Teapot"
    known = exception_for(CallError("1", "NotSupported", "no", {}))
    assert known.code == "NotSupported"


def test_the_oversized_limit_applies_to_received_frames() -> None:
    sent: list[Any] = []

    class Connection:
        async def send(self, text: str) -> None:
            sent.append(json.loads(text))

    charge_point = FastChargePoint("CP", Connection())
    charge_point.max_frame_bytes = 100
    asyncio.run(charge_point.route_message(json.dumps([2, "m1", "Reset", {"type": "Soft" * 40}])))
    assert sent[0][:3] == [4, "m1", "FormationViolation"]


class FaultyChargePoint(FastValidation, ChargePoint):
    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        raise NotImplementedByUs(description="not now")

    @on(Action.clear_cache)
    def on_clear_cache(self) -> dict[str, str]:
        return {"status": "Accepted"}  # not a dataclass: the stock serializer refuses it

    @on(Action.unlock_connector)
    def on_unlock(self, connector_id: int, call_unique_id: str) -> call_result.UnlockConnector:
        self.unique_ids = [call_unique_id]
        return call_result.UnlockConnector(status="Unlocked")


def test_a_handlers_error_is_its_answer_and_a_bug_is_an_internal_error() -> None:
    sent: list[Any] = []

    class Connection:
        async def send(self, text: str) -> None:
            sent.append(json.loads(text))

    charge_point = FaultyChargePoint("CP", Connection())

    async def exchange() -> None:
        await charge_point.route_message('[2, "a", "Reset", {"type": "Soft"}]')
        await charge_point.route_message('[2, "b", "ClearCache", {}]')
        await charge_point.route_message('[2, "c", "UnlockConnector", {"connectorId": 1}]')

    asyncio.run(exchange())
    assert [frame[:3] for frame in sent] == [
        [4, "a", "NotImplemented"],
        [4, "b", "InternalError"],
        [3, "c", {"status": "Unlocked"}],
    ]
    assert charge_point.unique_ids == ["c"]
