"""TriggerMessage from a backend while the model is mid-session, over a real websocket with
the whole lockstep (the model's meter behind the wire's answer)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from simulator import runner
from simulator.ocpp.engine import OcppRunOptions, run_ocpp_async
from simulator.reports.summary import to_json
from tests.ocpp.helpers import SILENT, ScriptedCsms, answer_everything, scripted_csms, small_world


async def test_a_meter_values_trigger_while_a_car_is_plugged_in_but_not_charging_is_answered(
    tmp_path: Path,
) -> None:
    world = small_world(tmp_path, days=0.25)
    box: list[ScriptedCsms] = []
    asked: dict[str, Any] = {}
    tasks: list[asyncio.Task[None]] = []

    async def trigger_then_authorize(number: int, authorize: list[Any]) -> None:
        # the car is on its connector (Preparing) and waits for this Authorize: ask its meter
        csms = box[0]
        preparing = [
            f[3]["connectorId"]
            for n, f in csms.calls("StatusNotification")
            if n == number and f[3]["status"] == "Preparing"
        ]
        asked["connector"] = preparing[-1]
        asked["sent_before"] = len(csms.received)
        payload = {"requestedMessage": "MeterValues", "connectorId": preparing[-1]}
        asked["reply"] = await csms.call(number, "TriggerMessage", payload)
        answer = [3, authorize[1], {"idTagInfo": {"status": "Accepted"}}]
        await csms._sockets[number].send(json.dumps(answer))

    async def handler(number: int, frame: list[Any]) -> Any:
        if frame[2] == "Authorize" and not tasks:
            asked["number"] = number
            tasks.append(asyncio.create_task(trigger_then_authorize(number, frame)))
            return SILENT
        return await answer_everything(number, frame)

    async with scripted_csms(handler) as csms:
        box.append(csms)
        records = await run_ocpp_async(world, OcppRunOptions(csms_url=csms.url))
        await asyncio.gather(*tasks)

    assert asked["reply"][0] == 3, asked["reply"]  # a CALLRESULT, not InternalError
    assert asked["reply"][2] == {"status": "Accepted"}
    later = csms.received[asked["sent_before"] :]
    triggered = [
        f[3]
        for n, f in later
        if n == asked["number"]
        and f[0] == 2
        and f[2] == "MeterValues"
        and f[3]["meterValue"][0]["sampledValue"][0].get("context") == "Trigger"
    ]
    assert triggered
    assert triggered[0]["connectorId"] == asked["connector"]
    # the question changed nothing in the physics
    assert to_json(runner.summarize_world(world, records)) == to_json(
        runner.summarize_world(world, runner.run_fast(world))
    )
