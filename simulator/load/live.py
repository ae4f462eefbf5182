"""What `chargenet load` shows in the terminal: a live view while the run goes (fed by
`run_load`'s `on_window`, one window's statistics at a time) and the summary after it.

The live view is on only when the console is a terminal: piped or captured, the run prints
nothing until its summary (a CI log gets no redraws). It refreshes when a window arrives, not
on a timer, so it starts no thread and costs the generator nothing between windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from simulator.load.slo import Verdict, merged_histogram, percentile_ms

if TYPE_CHECKING:
    from types import TracebackType

    from rich.console import Console, RenderableType
    from rich.live import Live

__all__ = ["LiveView", "ShardWindows", "combine_windows", "print_summary"]

#: Counts of a window that add across shards.
_ADDED: Final = ("target", "connected", "calls", "answered", "errors", "timeouts", "lost")


class LiveView:
    """`with LiveView(console, url, duration_s) as view: run_load(..., on_window=view.update)`"""

    def __init__(self, console: Console, url: str, duration_s: float) -> None:
        self.console = console
        self.url = url
        self.duration_s = duration_s
        self.enabled = console.is_terminal
        self.windows = 0
        self.calls = 0
        self.bad = 0  # CALLERRORs, timeouts and lost calls so far
        self.last: Mapping[str, Any] | None = None
        self._live: Live | None = None

    def __enter__(self) -> LiveView:
        if self.enabled:
            from rich.live import Live

            self._live = Live(
                self.renderable(),
                console=self.console,
                auto_refresh=False,
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def update(self, window: Mapping[str, Any]) -> None:
        """One window's statistics (an element of load.json "windows") arrived."""
        self.windows += 1
        self.calls += int(window.get("calls", 0))
        self.bad += sum(int(window.get(k, 0)) for k in ("errors", "timeouts", "lost"))
        self.last = window
        if self._live is not None:
            self._live.update(self.renderable(), refresh=True)

    def renderable(self) -> RenderableType:
        window = self.last
        if window is None:
            return Text(f"load {self.url}: connecting…")
        end_s = float(window["end_s"])
        head = Text.assemble(
            ("load ", "bold"),
            self.url,
            f"  {end_s:,.0f} s of {self.duration_s:,.0f} s",
            "  connected ",
            (f"{int(window['connected']):,}", "bold"),
            f" / {int(window['target']):,} target",
            "  ",
            (f"{float(window['msgs_per_s']):,.1f}", "bold"),
            " msgs/s",
            "  errors ",
            (f"{self.bad:,}", "bold red" if self.bad else "bold"),
            f" of {self.calls:,} calls",
        )
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
        table.add_column("action (last window)")
        for column in ("calls", "errors", "timeouts", "p50 ms", "p99 ms", "max ms"):
            table.add_column(column, justify="right")
        actions: Mapping[str, Any] = window.get("actions", {})
        for name in sorted(actions, key=lambda n: (-int(actions[n]["count"]), n)):
            entry = actions[name]
            table.add_row(
                name,
                f"{int(entry['count']):,}",
                f"{int(entry.get('errors', 0)):,}",
                f"{int(entry.get('timeouts', 0)):,}",
                *(_ms(float(entry[k])) for k in ("p50_ms", "p99_ms", "max_ms")),
            )
        return Group(head, table)


class ShardWindows:
    """The windows of K shards joined by position: the view gets a window once every shard has
    sent its own (shards start within moments of each other, each counts from its start)."""

    def __init__(self, shards: int, update: Callable[[Mapping[str, Any]], None]) -> None:
        self.shards = shards
        self.update = update
        self._sent = [0] * shards
        self._pending: dict[int, dict[int, Mapping[str, Any]]] = {}

    def add(self, shard: int, window: Mapping[str, Any]) -> None:
        index = self._sent[shard]
        self._sent[shard] += 1
        arrived = self._pending.setdefault(index, {})
        arrived[shard] = window
        if len(arrived) == self.shards:
            del self._pending[index]
            self.update(combine_windows([arrived[k] for k in sorted(arrived)]))


def combine_windows(windows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Shards' windows of one position as one: counts and rates add, histograms merge."""
    first = windows[0]
    combined: dict[str, Any] = {"start_s": first["start_s"], "end_s": first["end_s"]}
    for key in (*_ADDED, "msgs_per_s"):
        combined[key] = sum(w.get(key, 0) for w in windows)
    actions: dict[str, Any] = {}
    for name in sorted({n for w in windows for n in w.get("actions", {})}):
        entries = [w["actions"][name] for w in windows if name in w.get("actions", {})]
        histogram = merged_histogram({"actions": {str(i): e for i, e in enumerate(entries)}})
        entry: dict[str, Any] = {
            key: sum(int(e.get(key, 0)) for e in entries)
            for key in ("count", "answered", "errors", "timeouts")
        }
        for figure in ("p50", "p99", "max"):
            entry[f"{figure}_ms"] = percentile_ms(histogram, figure) if histogram else 0.0
        entry["histogram"] = histogram.encode().decode("ascii") if histogram else ""
        actions[name] = entry
    combined["actions"] = actions
    return combined


def print_summary(
    console: Console, document: Mapping[str, Any], verdicts: Sequence[Verdict] = ()
) -> None:
    """The run's figures (load.json's) as a table, the totals in a line, then the SLOs."""
    table = Table(
        title=f"load {document['target']}: {float(document['duration_s']):,.1f} s",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("action")
    for column in ("calls", "errors", "timeouts", "lost"):
        table.add_column(column, justify="right")
    for column in ("p50", "p90", "p99", "p99.9", "max"):
        table.add_column(f"{column} ms", justify="right")
    actions: Mapping[str, Any] = document["actions"]
    names = sorted((n for n in actions if n != "all"), key=lambda n: (-int(actions[n]["count"]), n))
    keys = ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")
    for name in names:
        entry = actions[name]
        table.add_row(
            name,
            *(f"{int(entry.get(c, 0)):,}" for c in ("count", "errors", "timeouts", "lost")),
            *(_ms(float(entry[k])) for k in keys),
        )
    merged = merged_histogram(document)
    if merged is not None and merged.get_total_count() and len(names) > 1:
        table.add_row(
            Text("all actions", style="bold"),
            *(
                f"{sum(int(actions[n].get(c, 0)) for n in names):,}"
                for c in ("count", "errors", "timeouts", "lost")
            ),
            *(_ms(percentile_ms(merged, f)) for f in ("p50", "p90", "p99", "p99.9", "max")),
        )
    console.print(table)
    totals = document["totals"]
    connections = totals["connections"]
    failed = sum(int(n) for n in connections["failed"].values())
    console.print(
        f"{int(totals['calls']):,} calls, {int(totals['answered']):,} answered, "
        f"{float(totals['msgs_per_s']):,.1f} msgs/s; connections: peak "
        f"{int(connections['peak_connected']):,}, {failed:,} failed, "
        f"{int(connections['reconnects']):,} reconnects",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if document.get("stopped"):
        console.print(
            f"stopped early: {document['stopped']}", style="bold red", markup=False, soft_wrap=True
        )
    for verdict in verdicts:
        console.print(
            verdict.line(),
            style=None if verdict.held else "bold red",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value >= 100 else f"{value:.3g}"
