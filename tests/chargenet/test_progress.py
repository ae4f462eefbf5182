"""chargenet.progress: the line a notebook shows, and no bar when none is asked for."""

from __future__ import annotations

from chargenet import progress


def test_the_line_gives_an_eta_from_the_pace_so_far() -> None:
    assert progress.line("finished", 2, 6, "runs", 4.0) == (
        "finished 2/6 runs, 4 s, about 8 s left"
    )


def test_the_last_line_says_how_long_it_took() -> None:
    assert progress.line("simulated", 2, 2, "days", 1.2, final=True) == "simulated 2/2 days in 1 s"
    assert progress.line("finished", 60, 60, "runs", 300, final=True).endswith("in 5.0 min")


def test_nothing_done_yet_gives_no_eta() -> None:
    assert progress.line("finished", 0, 6, "runs", 0.0) == "finished 0/6 runs, 0 s"


def test_outside_a_notebook_there_is_no_notebook_shell() -> None:
    assert progress._notebook_shell() is None
