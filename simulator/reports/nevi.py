"""A NEVI-style per-session export: the charging-session data of 23 CFR 680.112(a) that states
submit each quarter, one row per charging session, as far as the model has them.

A charging session is a driver who plugged in (a refused authorization included: it is an
unsuccessful session with its error code), by its plug-in time within the measurement window;
a car still plugged in when the run ended has no end yet and is left out. "Charging station" is
NEVI's (23 CFR 680.104: the chargers of one place, here a site), the port is chargenet's port
(one charge point each). Column by column, and what is not modelled: docs/outputs.md.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from simulator.model.records import Outcome, PowerSegment, Records
from simulator.reports.chargex import attempt_succeeded

__all__ = ["FIELDS", "nevi_csv", "peak_kw_by_session"]

FIELDS: tuple[str, ...] = (
    "charging_station_id",
    "charging_port_id",
    "charging_session_id",
    "session_start_time",
    "session_end_time",
    "successful_completion",
    "error_code",
    "energy_dispensed_kwh",
    "peak_session_power_kw",
    "payment_method",
    "price_paid_usd",
    "network",
)
"""The columns of nevi.csv, in order (23 CFR 680.112(a)(1)-(6), and the network)."""
DIGITS = 6


def peak_kw_by_session(
    spans: Iterable[tuple[str, float, float]], segments: Iterable[PowerSegment]
) -> list[float]:
    """The highest power of each (port, plug-in s, plug-out s) span: the largest end of its
    port's power segments inside it (power is monotone within a segment)."""
    by_port: dict[str, list[PowerSegment]] = defaultdict(list)
    for seg in segments:
        by_port[seg.port].append(seg)
    starts: dict[str, list[float]] = {}
    for port, segs in by_port.items():
        segs.sort(key=lambda s: s.start_s)
        starts[port] = [s.start_s for s in segs]
    out = []
    for port, start_s, end_s in spans:
        peak = 0.0
        segs = by_port.get(port, [])
        first = max(bisect.bisect_right(starts.get(port, []), start_s) - 1, 0)
        for seg in segs[first:]:
            if seg.start_s >= end_s:
                break
            if seg.end_s > start_s:
                peak = max(peak, seg.start_kw, seg.end_kw)
        out.append(peak)
    return out


def nevi_csv(records: Records, start: datetime) -> str:
    """nevi.csv's text: times are ISO 8601 UTC, counted from the run's `start`."""
    window = (records.warmup_s, records.horizon_s)
    sessions = [
        s
        for s in records.sessions
        if s.port and window[0] <= s.start_s < window[1] and s.outcome is not Outcome.ON_SITE
    ]
    peaks = peak_kw_by_session(
        ((s.port, s.start_s, s.depart_s) for s in sessions), records.segments
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for number, (s, peak) in enumerate(zip(sessions, peaks, strict=True), start=1):
        ok = attempt_succeeded(s)
        writer.writerow(
            (
                s.site,
                s.port,
                f"{s.port}-{number}",
                _time(start, s.start_s),
                _time(start, s.depart_s),
                "TRUE" if ok else "FALSE",
                "" if ok else s.reason,
                round(s.energy_kwh, DIGITS),
                round(peak, DIGITS),
                "",
                round(s.price_paid, 2),
                s.network,
            )
        )
    return out.getvalue()


def _time(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=round(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")
