"""`run(coroutine)`: `asyncio.run` on uvloop's event loop where uvloop is installed.

Both ends run thousands of small websocket frames through one loop: uvloop (libuv) schedules
callbacks and does socket I/O in C, which pays on that hot path. It is optional (it does not
build everywhere, e.g. Windows): without it the standard loop runs, with the same behaviour.
`CHARGENET_EVENT_LOOP=asyncio` forces the standard loop (to compare, or to rule uvloop out).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

__all__ = ["EVENT_LOOP_VARIABLE", "loop_factory", "run"]

EVENT_LOOP_VARIABLE: Final = "CHARGENET_EVENT_LOOP"
_T = TypeVar("_T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop`, or None for the standard loop (not installed, or asked)."""
    if os.environ.get(EVENT_LOOP_VARIABLE, "") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """`asyncio.run(main)`, on uvloop when it is there."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
