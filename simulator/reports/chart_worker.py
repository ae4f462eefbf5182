"""Helper processes that draw a page's charts off the command's critical path.

`chargenet run` starts one (`WORKERS`) as its run starts (`started()`): importing
matplotlib (about half a CPU second) then overlaps the run. When the summary is ready the
command sends the chart descriptions (`send`; with n workers each draws every n-th) and
writes its other files meanwhile; `svgs` then takes the SVG strings back. Drawing is
deterministic (simulator.reports.chart_drawing), so a page drawn there is byte for byte the
page drawn in-process; and whatever goes wrong with a worker (it did not start, died,
answered garbage or not within `TIMEOUT_S`), `svgs` draws its charts in-process instead.

The protocol is one request per process: the command writes the pickled (chart, prefix)
pairs to the worker's stdin and closes it; the worker answers a JSON list of SVG strings on
stdout and exits. A worker whose stdin closes with nothing on it (the command ended, or
died) exits too, and it ignores Ctrl-C: the command, which gets it, ends the worker itself.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Final

from simulator.reports.charts import Chart, svgs

__all__ = ["TIMEOUT_S", "WORKERS", "ChartWorker", "ChartWorkers", "started"]

MODULE: Final = "simulator.reports.chart_worker"
TIMEOUT_S: Final = 60.0
"""How long the command waits for the worker's answer before drawing the charts itself
(in-process the quickstart's 17 charts take about 0.6 s on an idle machine)."""
CLOSE_TIMEOUT_S: Final = 10.0
WORKERS: Final = 1
"""Workers a run starts. Two halve the wait for the charts at the run's end (0.25-0.3 s of
the quickstart's) but each costs another half CPU second of imports and, on this project's
loaded 2-core machine, lost as often as they won end to end (docs/benchmarks.md)."""

Pairs = Sequence[tuple[Chart, str]]


class ChartWorker:
    """One worker process (None: it could not be started) and its one request."""

    def __init__(self, process: subprocess.Popen[bytes] | None) -> None:
        self._process = process
        self._exchange: threading.Thread | None = None
        self._reply: list[bytes] = []
        self._sent: Pairs = ()

    @classmethod
    def start(cls, argv: Sequence[str] | None = None) -> ChartWorker:
        """Spawn `python -m simulator.reports.chart_worker` (or `argv`, for the tests)."""
        try:
            process = subprocess.Popen(
                list(argv or [sys.executable, "-m", MODULE]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a failure shows as a missing answer: drawn here
            )
        except OSError:
            process = None
        return cls(process)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def send(self, charts: Pairs) -> None:
        """Hand the charts over and return at once (a thread writes and reads the pipes)."""
        process = self._process
        if self._exchange is not None:
            return
        self._sent = tuple(charts)
        if process is None:
            return
        request = pickle.dumps(self._sent, protocol=pickle.HIGHEST_PROTOCOL)

        def exchange() -> None:
            with contextlib.suppress(OSError, ValueError, subprocess.TimeoutExpired):
                out, _ = process.communicate(request, timeout=TIMEOUT_S)
                if process.returncode == 0:
                    self._reply.append(out)

        self._exchange = threading.Thread(target=exchange, name="chart-worker", daemon=True)
        self._exchange.start()

    def svgs(self) -> list[str]:
        """The SVGs of the charts sent: the worker's if it answered in time and well, else
        drawn in this process."""
        if self._exchange is not None:
            self._exchange.join(TIMEOUT_S)
            drawn = _valid(self._reply[0], len(self._sent)) if self._reply else None
            if drawn is not None:
                return drawn
        self.close()
        return svgs(self._sent)

    def close(self) -> None:
        """End the worker (killed if still running) and wait for it."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(CLOSE_TIMEOUT_S)
        if self._exchange is not None:
            self._exchange.join(CLOSE_TIMEOUT_S)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _valid(reply: bytes, count: int) -> list[str] | None:
    """The reply as `count` SVG elements, or None if it is anything else."""
    try:
        drawn = json.loads(reply)
    except ValueError:
        return None
    if not isinstance(drawn, list) or len(drawn) != count:
        return None
    if not all(isinstance(s, str) and s.startswith("<svg") for s in drawn):
        return None
    return drawn


class ChartWorkers:
    """Workers that share a page's charts: the i-th of n draws every n-th chart from the i-th."""

    def __init__(self, workers: Sequence[ChartWorker]) -> None:
        self._workers = tuple(workers)

    def send(self, charts: Pairs) -> None:
        n = len(self._workers)
        for i, worker in enumerate(self._workers):
            worker.send(charts[i::n])

    def svgs(self) -> list[str]:
        n = len(self._workers)
        parts = [worker.svgs() for worker in self._workers]
        drawn: list[str] = [""] * sum(map(len, parts))
        for i, part in enumerate(parts):
            drawn[i::n] = part
        return drawn

    def close(self) -> None:
        for worker in self._workers:
            worker.close()


@contextlib.contextmanager
def started(count: int = WORKERS) -> Iterator[ChartWorkers]:
    """`count` workers for the block, ended on leaving it (however the block ends)."""
    workers = ChartWorkers([ChartWorker.start() for _ in range(count)])
    try:
        yield workers
    finally:
        workers.close()


def serve() -> int:
    """The worker's side: import matplotlib, then answer one request from stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from simulator.reports import chart_drawing

    chart_drawing.warm_up()
    request = sys.stdin.buffer.read()
    if not request:  # the command is gone, or needs no charts
        return 0
    # pickle: the only writer of this pipe is the command that spawned this process
    charts = pickle.loads(request)
    reply = json.dumps(chart_drawing.svgs(charts)).encode("utf-8")
    try:
        sys.stdout.buffer.write(reply)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the command stopped waiting
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(serve())
