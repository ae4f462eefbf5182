"""Progress for the Python API: a rich bar in a terminal, one updating line in a notebook.

rich draws in Jupyter only through ipywidgets; a notebook gets instead one output line that
IPython's display updates in place (`runs 4/6, 3 s, about 2 s left`), and that stays as the
cell's record of how long it took. No bar at all when `shown` is false.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

UPDATE_EVERY_S = 0.25
"""A notebook's line is redrawn at most this often (each redraw is a message to the browser)."""

Advance = Callable[[float], None]
"""Called with how much is done in all (days simulated, runs finished)."""


@contextlib.contextmanager
def progress(shown: bool, label: str, total: float, unit: str) -> Iterator[Advance]:
    if not shown:
        yield lambda _done: None
        return
    shell = _notebook_shell()
    if shell is not None:
        with _notebook_line(label, total, unit) as advance:
            yield advance
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn(f"{{task.completed:.4g}}/{{task.total:.4g}} {unit}"),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _notebook_shell() -> Any:
    """IPython's shell when this runs in a notebook's kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


@contextlib.contextmanager
def _notebook_line(label: str, total: float, unit: str) -> Iterator[Advance]:
    from IPython.display import display

    started = time.monotonic()
    handle = display(line(label, 0, total, unit, 0.0), display_id=True)  # type: ignore[no-untyped-call]
    last = [started]

    def advance(done: float) -> None:
        now = time.monotonic()
        if now - last[0] >= UPDATE_EVERY_S or done >= total:
            last[0] = now
            handle.update(line(label, done, total, unit, now - started))

    yield advance
    handle.update(line(label, total, total, unit, time.monotonic() - started, final=True))


def line(
    label: str, done: float, total: float, unit: str, elapsed_s: float, *, final: bool = False
) -> str:
    """`runs 4/6, 3 s, about 2 s left` (the ETA from the pace so far); `runs 6/6 in 5 s`."""
    count = f"{label} {done:.4g}/{total:.4g} {unit}"
    if final:
        return f"{count} in {_seconds(elapsed_s)}"
    if done <= 0 or done >= total:
        return f"{count}, {_seconds(elapsed_s)}"
    left_s = elapsed_s * (total - done) / done
    return f"{count}, {_seconds(elapsed_s)}, about {_seconds(left_s)} left"


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"
