"""simulator/check/context.py: what a check stamps on the readings it sends."""

from __future__ import annotations

from datetime import timedelta

from ocppj.versions import OCPP16, OCPP201
from simulator.check.catalogue import catalogue
from simulator.check.checks.v201_e_states import meter_value
from simulator.check.context import CheckContext
from tests.check.helpers import target

READINGS = 500


def _context(ocpp_version: str) -> CheckContext:
    return CheckContext(target("ws://127.0.0.1:9/"), catalogue(ocpp_version)[0])


def test_readings_stamped_in_a_burst_are_each_a_millisecond_after_the_last() -> None:
    # 500 stamps take well under 500 ms, so many fall in one wall-clock millisecond.
    ctx = _context(OCPP16)
    stamps = [ctx.meter_value(ctx.next_meter_wh(1))["timestamp"] for _ in range(READINGS)]
    assert stamps == sorted(set(stamps))
    assert len(stamps) == READINGS


def test_2_0_1_readings_share_the_context_s_clock_with_explicit_instants_left_alone() -> None:
    ctx = _context(OCPP201)
    first = ctx.reading_at()
    stamps = [meter_value(ctx, ctx.next_meter_wh(1))["timestamp"] for _ in range(READINGS)]
    assert stamps == sorted(set(stamps))
    assert first.microsecond % 1000 == 0
    earlier = first - timedelta(hours=1)
    assert meter_value(ctx, 1, at=earlier)["timestamp"].startswith(earlier.strftime("%Y-%m-%dT%H:"))
