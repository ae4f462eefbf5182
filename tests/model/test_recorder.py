"""What a run writes down: intervals of positive length, a port that is down stays down, power
in linear pieces, one record per visit."""

from __future__ import annotations

import pytest

from simulator.model.curve import Curve, profile
from simulator.model.recorder import Recorder
from simulator.model.records import Outcome, PortInterval, PortState
from simulator.model.site import Site
from tests.model.worlds import visit, world


def test_a_state_that_lasts_no_time_leaves_no_interval() -> None:
    [port] = Site(world().sites[0]).ports
    recorder = Recorder()
    recorder.set_state(port, PortState.OCCUPIED, 10.0)
    recorder.set_state(port, PortState.CHARGING, 10.0)  # an answer that came at once
    recorder.set_state(port, PortState.CHARGING, 20.0)  # no change: nothing to write
    recorder.close_interval(port, 30.0)
    assert recorder.intervals == [
        PortInterval(port.id, PortState.AVAILABLE, 0.0, 10.0),
        PortInterval(port.id, PortState.CHARGING, 10.0, 30.0),
    ]


def test_a_port_that_is_down_is_recorded_down_whatever_else_happens_on_it() -> None:
    [port] = Site(world().sites[0]).ports
    recorder = Recorder()
    port.down = True
    recorder.set_state(port, PortState.OCCUPIED, 5.0)
    assert port.state is PortState.DOWN


def test_a_curved_charge_is_booked_as_one_segment_per_piece_it_crossed() -> None:
    prof = profile(Curve.two_stage(0.8), 60.0, 120.0, 150.0)
    recorder = Recorder()
    recorder.charge("p", prof, 0.0, 9.9, 0.5, 0.9, 24.0)
    first, second = recorder.segments
    assert first.start_s == 0.0
    assert first.end_s == second.start_s
    assert first.energy_kwh + second.energy_kwh == pytest.approx(24.0)
    assert first.start_kw == first.end_kw == 120.0
    assert second.end_kw < second.start_kw


def test_a_visit_turned_away_is_recorded_at_its_arrival_with_no_site() -> None:
    recorder = Recorder()
    v = visit(world(), at_s=42.0, driver=3)
    recorder.turned_away(v, "no_access")
    [record] = recorder.records(86_400.0, 0.0).sessions
    assert (record.outcome, record.reason, record.depart_s, record.site) == (
        Outcome.TURNED_AWAY,
        "no_access",
        42.0,
        "",
    )


def test_every_record_has_every_field_of_its_type() -> None:
    recorder = Recorder()
    recorder.turned_away(visit(world()), "balked")
    [port] = Site(world().sites[0]).ports
    recorder.set_state(port, PortState.DOWN, 1.0)
    recorder.charge("p", profile(Curve.flat(), 60.0, 50.0, 50.0), 0.0, 3600.0, 0.0, 0.5, 30.0)
    for record in (*recorder.sessions, *recorder.intervals, *recorder.segments):
        assert len(record) == len(type(record)._fields)
        assert type(record)(*record) == record
