"""The command line's side of running an experiment: a spinner while the cluster starts."""

from __future__ import annotations

import io

from rich.console import Console

from simulator.experiment.progress import cluster


def _terminal() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, force_terminal=True, width=100), text


def test_a_spinner_says_what_is_starting_until_the_cluster_is_ready(dask_address: str) -> None:
    err, text = _terminal()
    with cluster(dask_address, None, 2, quiet=False, stderr=err) as client:
        shown = text.getvalue()
        assert client.scheduler_info()["workers"]  # type: ignore[attr-defined]
    assert f"connecting to {dask_address}" in shown


def test_quiet_shows_no_spinner(dask_address: str) -> None:
    err, text = _terminal()
    with cluster(dask_address, None, 2, quiet=True, stderr=err):
        pass
    assert text.getvalue() == ""
