"""The chart worker draws a run page's charts in its own process, byte for byte as this
process would; whatever goes wrong with it, the page is drawn here and comes out the same."""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import pytest

from simulator.reports import chart_worker, html, views
from simulator.reports.chart_worker import ChartWorker, ChartWorkers
from simulator.reports.page import Page
from tests.reports.helpers import region_run

WAIT_S = 100


@cache
def page() -> Page:
    result = region_run()
    return views.run_page(result.summary, None)


@cache
def in_process() -> str:
    return html.render(page())


def drawn_by(worker: ChartWorker | ChartWorkers) -> str:
    try:
        worker.send(html.charts(page()))
        return html.render(page(), worker.svgs())
    finally:
        worker.close()


def test_a_page_drawn_by_the_worker_is_byte_identical_to_one_drawn_in_process() -> None:
    charts = html.charts(page())
    assert len(charts) > 10
    worker = ChartWorker.start()
    try:
        worker.send(charts)
        drawn = worker.svgs()
        assert worker._reply, "the worker answered (not the fallback)"
    finally:
        worker.close()
    assert html.render(page(), drawn) == in_process()


def test_a_worker_killed_before_the_charts_are_sent_leaves_the_page_drawn_here() -> None:
    worker = ChartWorker.start()
    assert worker._process is not None
    worker._process.kill()
    worker._process.wait(WAIT_S)
    assert drawn_by(worker) == in_process()


def test_a_worker_that_answers_garbage_leaves_the_page_drawn_here() -> None:
    garbage = "import sys; sys.stdin.buffer.read(); print('[\"<svg\"]')"
    assert drawn_by(ChartWorker.start([sys.executable, "-c", garbage])) == in_process()


def test_a_worker_that_cannot_start_leaves_the_page_drawn_here(tmp_path: object) -> None:
    worker = ChartWorker.start([f"{tmp_path}/no-such-program"])
    assert worker.pid is None
    assert drawn_by(worker) == in_process()


def test_a_worker_that_does_not_answer_in_time_is_killed_and_the_page_drawn_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chart_worker, "TIMEOUT_S", 0.5)
    silent = "import sys, time; sys.stdin.buffer.read(); time.sleep(300)"
    worker = ChartWorker.start([sys.executable, "-c", silent])
    assert drawn_by(worker) == in_process()
    assert worker._process is not None
    assert worker._process.poll() is not None  # killed, not left sleeping


def test_a_worker_whose_stdin_closes_unused_exits_on_its_own() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", chart_worker.MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.communicate(b"", timeout=WAIT_S)  # what a command that died leaves
    assert (process.returncode, out, err) == (0, b"", b"")


def test_two_workers_draw_every_other_chart_and_the_page_is_the_same() -> None:
    assert drawn_by(ChartWorkers([ChartWorker.start(), ChartWorker.start()])) == in_process()


def test_of_two_workers_one_that_died_leaves_its_half_drawn_here() -> None:
    dead = ChartWorker.start([sys.executable, "-c", "raise SystemExit(3)"])
    assert drawn_by(ChartWorkers([ChartWorker.start(), dead])) == in_process()


def test_leaving_the_block_ends_every_worker() -> None:
    with chart_worker.started() as workers:
        processes = [w._process for w in workers._workers]
    assert len(processes) == chart_worker.WORKERS
    assert all(p is not None and p.poll() is not None for p in processes)
