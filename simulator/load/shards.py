"""A load run spread over shards on Dask (`chargenet load --shards K [--scheduler ADDRESS]`).

Each shard is one long-running Dask task in a worker process: it runs `run_load` for the
charge points whose index is its own modulo K (`LoadOptions.shard`/`shards`), holds their
connections for the whole run and returns its load.json document; the documents merge exactly
(`LoadResult.merge`: histograms add bucket by bucket). Without `scheduler`, a local cluster of
K worker processes on 127.0.0.1 is started for the run; with it, the shards go to that
cluster's workers, which need chargenet installed and one free thread per shard (shards that
waited for a thread would run their ramps one after another).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from simulator.errors import UserError

if TYPE_CHECKING:
    from distributed import Client

    from simulator.load import LoadOptions, LoadResult, WindowStats

__all__ = ["ShardedRun", "run_shard", "run_shards"]


@dataclass(frozen=True, slots=True)
class ShardedRun:
    merged: LoadResult
    shards: tuple[dict[str, Any], ...]
    """Each shard's own load.json document, by shard number."""


def run_shard(
    options: LoadOptions, shard: int, shards: int, ca_pem: str | None, topic: str | None = None
) -> dict[str, Any]:
    """One shard, in a worker: its part of the fleet for the whole run (the Dask task). With
    `topic`, each window is also sent as a Dask event {"shard": k, "window": ...} under it."""
    import ssl
    from urllib.parse import urlsplit

    from ocppj import event_loop
    from simulator.load import run_load

    on_window = None
    if topic is not None:
        from distributed import get_worker

        worker = get_worker()

        def on_window(window: WindowStats) -> None:
            worker.log_event(topic, {"shard": shard, "window": window})

    # An SSLContext does not pickle: the worker builds its own from the CA text.
    context = None
    if urlsplit(options.url).scheme == "wss":
        context = ssl.create_default_context(cadata=ca_pem) if ca_pem else None
        context = context or ssl.create_default_context()
    mine = replace(options, shard=shard, shards=shards, ssl_context=context)
    return event_loop.run(run_load(mine, on_window=on_window)).to_json()


def run_shards(
    options: LoadOptions,
    shards: int,
    scheduler: str | None = None,
    ca_pem: str | None = None,
    on_window: Callable[[int, WindowStats], None] | None = None,
) -> ShardedRun:
    """Run `options` as `shards` shards at once and merge their results; `on_window(k, w)`
    gets shard k's windows as they close (in the client's thread, as Dask events)."""
    from simulator.experiment.execution import connect
    from simulator.load import LoadResult

    portable = replace(options, ssl_context=None)
    run_id = uuid.uuid4().hex[:8]  # task keys unique on a shared scheduler
    with connect(scheduler, workers=None if scheduler else shards) as connected:
        client = cast("Client", connected)
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        if threads < shards:
            raise UserError(
                f"--shards {shards}: the cluster has {threads} worker threads; every shard "
                "needs its own for the whole run"
            )
        topic = None
        if on_window is not None:
            topic = f"load-{run_id}-windows"
            receive = on_window

            def handle(event: tuple[float, dict[str, Any]]) -> None:
                receive(int(event[1]["shard"]), event[1]["window"])

            client.subscribe_topic(topic, handle)
        futures = [
            client.submit(
                run_shard,
                portable,
                k,
                shards,
                ca_pem,
                topic,
                key=f"load-{run_id}-shard-{k}",
                pure=False,
            )
            for k in range(shards)
        ]
        try:
            documents: list[dict[str, Any]] = client.gather(futures)
        finally:
            if topic is not None:
                client.unsubscribe_topic(topic)
    merged = LoadResult.from_json(documents[0])
    for document in documents[1:]:
        merged = merged.merge(LoadResult.from_json(document))
    return ShardedRun(merged, tuple(documents))
