"""ocppj.event_loop: uvloop where installed, the standard loop when asked or without it."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from ocppj import event_loop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_uvloop_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_loop.EVENT_LOOP_VARIABLE, raising=False)
    module = event_loop.run(_loop_module())
    if importlib.util.find_spec("uvloop") is None:
        assert module.startswith("asyncio")
    else:
        assert module.startswith("uvloop")


def test_the_standard_loop_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(event_loop.EVENT_LOOP_VARIABLE, "asyncio")
    assert event_loop.loop_factory() is None
    assert event_loop.run(_loop_module()).startswith("asyncio")


def test_run_returns_the_coroutines_result() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert event_loop.run(answer()) == 42
