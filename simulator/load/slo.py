"""Service-level objectives of `chargenet load --slo`: parsed before the run, held against the
run's load.json document after it (docs/load.md lists the forms).

    p99(StartTransaction) < 500ms     a latency percentile of one action (p50, p90, p99, p99.9)
    p50 < 100ms                       ... of every action together (their histograms merged)
    max(Heartbeat) <= 2s              max and mean too; p99(handshake): the websocket handshakes
    errors < 0.1%                     (CALLERRORs + timeouts + lost) / calls; without % a count
    callerrors(Authorize) == 0        CALLERRORs only; timeouts(...), lost(...) alike
    msgs/s >= 500                     answered CALLs per second over the run
    connected >= 1000                 the peak of connected charge points
    reconnects < 10, connect_failures == 0

A latency needs its unit (us, ms, s); a share needs %. A bad expression is a UserError naming
it, so that `chargenet load` stops in one line before any connection. An SLO that cannot be
measured (no answered call of that action, no call at all) is broken, never held: a CI gate must
not pass on a run that measured nothing.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from simulator.errors import UserError

__all__ = [
    "HANDSHAKE",
    "Slo",
    "Verdict",
    "at_percentile_ms",
    "evaluate",
    "evaluate_all",
    "merged_histogram",
    "parse",
    "percentile_ms",
]

#: The argument of a latency function that names the websocket handshakes, not an action.
HANDSHAKE: Final = "handshake"

_OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
#: Latency units → milliseconds (load.json's unit).
_LATENCY_UNITS: Final = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILES: Final = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 99.9, "p999": 99.9}
_LATENCIES: Final = (*_PERCENTILES, "max", "mean")
#: Counts of calls that may be a count or (with %) a share of the calls.
_CALL_COUNTS: Final = ("errors", "callerrors", "timeouts", "lost")
#: Run-wide figures, each with the path of its number in load.json.
_RUN_FIGURES: Final[dict[str, tuple[str, ...]]] = {
    "msgs/s": ("totals", "msgs_per_s"),
    "connected": ("totals", "connections", "peak_connected"),
    "reconnects": ("totals", "connections", "reconnects"),
    "connect_failures": ("totals", "connections", "failed"),
}
_EXPRESSION: Final = re.compile(
    r"""^\s*(?P<metric>[a-z_][a-z0-9_]*(?:/s|\.[0-9]+)?)\s*
        (?:\(\s*(?P<argument>[A-Za-z0-9_]+)\s*\))?\s*
        (?P<op><=|>=|==|<|>)\s*
        (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*
        (?P<unit>[a-zµ%]*)\s*$""",
    re.VERBOSE,
)
_FORMS: Final = "e.g. 'p99(StartTransaction) < 500ms', 'errors < 0.1%', 'msgs/s >= 500'"


@dataclass(frozen=True, slots=True)
class Slo:
    """One objective: `metric(argument) op bound`, the bound in the unit load.json keeps
    (ms for latencies, a 0..1 share for %, a plain number otherwise)."""

    text: str
    metric: str
    argument: str | None
    op: str
    bound: float
    unit: str
    """As written: "ms", "s", "us", "%" or "" (kept to say the verdict in the user's words)."""

    @property
    def share(self) -> bool:
        return self.unit == "%"

    def holds_for(self, measured: float) -> bool:
        return _OPERATORS[self.op](measured, self.bound)

    def show(self, value: float) -> str:
        """A value of this SLO's metric in its unit as written (ms → '812.4 ms')."""
        if self.metric in _LATENCIES:
            factor = _LATENCY_UNITS[self.unit]
            return f"{_number(value / factor)} {self.unit}"
        if self.share:
            return f"{_number(100.0 * value)}%"
        return _number(value)


@dataclass(frozen=True, slots=True)
class Verdict:
    slo: Slo
    held: bool
    measured: float | None
    """None when there was nothing to measure (then the SLO is broken)."""
    why: str = ""
    """Why there is no measurement."""

    def line(self) -> str:
        """One line naming the SLO, the measured value and the bound."""
        state = "held" if self.held else "BROKEN"
        bound = f"{self.slo.op} {self.slo.show(self.slo.bound)}"
        if self.measured is None:
            return f"SLO {self.slo.text}: {state} ({self.why}; bound {bound})"
        shown = self.slo.show(self.measured)
        return f"SLO {self.slo.text}: {state} (measured {shown}, bound {bound})"


def parse(text: str) -> Slo:
    """An SLO expression, or a UserError naming what is wrong with it."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise UserError(f"--slo {text!r}: not an SLO expression ({_FORMS})")
    metric, argument, op = match["metric"], match["argument"], match["op"]
    unit, number = match["unit"], float(match["number"])
    written = f"--slo {text!r}"
    if metric in _LATENCIES:
        if argument is not None and argument != HANDSHAKE and argument not in _known_actions():
            raise UserError(f"{written}: {argument!r} is not an OCPP action (nor 'handshake')")
        if unit not in _LATENCY_UNITS:
            raise UserError(f"{written}: a latency needs a unit: us, ms or s")
        bound = number * _LATENCY_UNITS[unit]
    elif metric in _CALL_COUNTS or metric in _RUN_FIGURES:
        if argument is not None:
            if metric not in _CALL_COUNTS:
                raise UserError(f"{written}: {metric} takes no action")
            if argument not in _known_actions():
                raise UserError(f"{written}: {argument!r} is not an OCPP action")
        if unit == "%":
            if metric not in _CALL_COUNTS:
                raise UserError(f"{written}: {metric} is not a share of the calls (drop the %)")
            if number > 100:
                raise UserError(f"{written}: a share above 100%")
            bound = number / 100.0
        elif unit:
            raise UserError(f"{written}: {metric} takes no unit {unit!r}")
        else:
            bound = number
    else:
        raise UserError(
            f"{written}: unknown metric {metric!r} (one of "
            f"{', '.join((*_LATENCIES, *_CALL_COUNTS, *_RUN_FIGURES))})"
        )
    return Slo(text.strip(), metric, argument, op, bound, unit)


def evaluate(slo: Slo, document: Mapping[str, Any]) -> Verdict:
    """The SLO held against a load.json document (schema_version 1)."""
    if slo.metric in _LATENCIES:
        return _latency(slo, document)
    if slo.metric in _CALL_COUNTS:
        return _calls(slo, document)
    value: Any = document
    for key in _RUN_FIGURES[slo.metric]:
        value = value[key]
    if isinstance(value, Mapping):  # failed connections: a count per cause
        value = sum(value.values())
    return _verdict(slo, float(value))


def evaluate_all(slos: Iterable[Slo], document: Mapping[str, Any]) -> tuple[Verdict, ...]:
    return tuple(evaluate(slo, document) for slo in slos)


def merged_histogram(document: Mapping[str, Any], actions: Iterable[str] | None = None) -> Any:
    """The HdrHistogram of these actions (default: every action) merged exactly, or None
    when none was recorded. An "all" entry (the merge itself, when present) is skipped."""
    from hdrh.histogram import HdrHistogram

    entries = document.get("actions", {})
    names = [n for n in entries if n != "all"] if actions is None else list(actions)
    merged = None
    for name in names:
        entry = entries.get(name)
        if entry is None or not entry.get("histogram"):
            continue
        histogram = HdrHistogram.decode(entry["histogram"])
        if merged is None:
            merged = histogram
        else:
            merged.add(histogram)
    return merged


def percentile_ms(histogram: Any, metric: str) -> float:
    """A latency figure (p50, ..., max, mean) of a microsecond histogram, in ms, unrounded."""
    if histogram.get_total_count() == 0:
        return 0.0
    if metric == "max":
        return float(histogram.get_max_value()) / 1000.0
    if metric == "mean":
        from simulator.load.result import mean_us  # numpy: only once a figure is read

        return mean_us(histogram) / 1000.0
    return at_percentile_ms(histogram, _PERCENTILES[metric])


def at_percentile_ms(histogram: Any, percentile: float) -> float:
    """`get_value_at_percentile(percentile)` in ms (see `result.value_at_percentile_us`)."""
    from simulator.load.result import value_at_percentile_us

    return value_at_percentile_us(histogram, percentile) / 1000.0


def _latency(slo: Slo, document: Mapping[str, Any]) -> Verdict:
    if slo.argument == HANDSHAKE:
        encoded = document.get("handshake", {}).get("histogram")
        from hdrh.histogram import HdrHistogram

        histogram = HdrHistogram.decode(encoded) if encoded else None
        nothing = "no handshake was measured"
    elif slo.argument is not None:
        histogram = merged_histogram(document, [slo.argument])
        nothing = f"no {slo.argument} was answered"
    else:
        histogram = merged_histogram(document)
        nothing = "no call was answered"
    if histogram is None or histogram.get_total_count() == 0:
        return Verdict(slo, held=False, measured=None, why=nothing)
    return _verdict(slo, percentile_ms(histogram, slo.metric))


def _calls(slo: Slo, document: Mapping[str, Any]) -> Verdict:
    if slo.argument is not None:
        entry = document.get("actions", {}).get(slo.argument)
        calls = int(entry["count"]) if entry else 0
        callerrors = int(entry["errors"]) if entry else 0
        timeouts = int(entry["timeouts"]) if entry else 0
        lost = int(entry.get("lost", 0)) if entry else 0
        nothing = f"no {slo.argument} was sent"
    else:
        totals = document["totals"]
        calls = int(totals["calls"])
        callerrors = sum(int(n) for n in totals["callerrors"].values())
        timeouts = int(totals["timeouts"])
        lost = int(totals.get("lost", 0))
        nothing = "no call was sent"
    # a call lost with its connection is as unanswered as one that timed out
    count = {
        "errors": callerrors + timeouts + lost,
        "callerrors": callerrors,
        "timeouts": timeouts,
        "lost": lost,
    }[slo.metric]
    if not slo.share:
        return _verdict(slo, float(count))
    if calls == 0:
        return Verdict(slo, held=False, measured=None, why=nothing)
    return _verdict(slo, count / calls)


def _verdict(slo: Slo, measured: float) -> Verdict:
    return Verdict(slo, held=slo.holds_for(measured), measured=measured)


def _number(value: float) -> str:
    if abs(value) >= 1000 and math.isfinite(value):
        return f"{value:,.0f}"
    return f"{value:.4g}"


@cache
def _known_actions() -> frozenset[str]:
    from ocppj.validation import actions

    return actions("ocpp1.6") | actions("ocpp2.0.1")
