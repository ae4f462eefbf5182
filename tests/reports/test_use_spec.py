"""The EV Charging Use Specification's measures, on hand-made records whose answers were worked
out by hand: sessions by plug-in time, durations summed, open hours as the denominator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.model.records import Outcome, PowerSegment, Records, SessionRecord
from simulator.reports import use_spec as us
from simulator.reports.document import ChargeX, ChargeXMetrics, UseSpec, UseSpecMetrics
from simulator.reports.metrics import PortInfo
from simulator.reports.summary_blocks import use_spec_block
from tests.reports.helpers import region_run

ROOT = Path(__file__).resolve().parents[2]
H = 3600.0
WINDOW = (1800.0, 1800.0 + 24 * H)  # one day after a half-hour warm-up
PORTS = [
    PortInfo("p1", "s", "n", 100.0),
    PortInfo("p2", "s", "n", 50.0),
    PortInfo("p3", "t", "n", 50.0),
]


def plugged(
    port: str, start_s: float, depart_s: float, energy_kwh: float, **kw: object
) -> SessionRecord:
    site = "t" if port == "p3" else "s"
    fields: dict = {"outcome": Outcome.SERVED, "reason": "Local", **kw}
    return SessionRecord(
        start_s,
        "v",
        "V",
        int(start_s),
        fields.pop("outcome"),
        fields.pop("reason"),
        network="n",
        site=site,
        port=port,
        start_s=start_s,
        depart_s=depart_s,
        energy_kwh=energy_kwh,
        **fields,
    )


SESSIONS = (
    plugged("p2", 1000.0, 1700.0, 5.0),  # plugged in before the window: not this period's
    plugged("p2", 1900.0, 2000.0, 0.0, outcome=Outcome.TURNED_AWAY, reason="authorization_invalid"),
    plugged("p1", 1 * H, 3 * H, 100.0),  # 2 h plugged in, 1 h charging
    plugged("p2", 2 * H, 3 * H, 25.0),  # 1 h plugged in, 0.5 h charging
    plugged("p3", 20_000.0, 20_000.0 + 2 * H, 10.0),  # 2 h plugged in, 0.5 h charging
)
SEGMENTS = (
    PowerSegment("p2", 1000.0, 1700.0, 5.0, 30.0, 20.0),
    PowerSegment("p1", 1 * H + 600.0, 2 * H + 600.0, 100.0, 100.0, 100.0),
    PowerSegment("p2", 2 * H, 2.5 * H, 25.0, 50.0, 50.0),
    PowerSegment("p3", 20_000.0, 20_000.0 + 0.5 * H, 10.0, 20.0, 20.0),
)
RECORDS = Records(WINDOW[1], WINDOW[0], SESSIONS, (), SEGMENTS)


def test_the_period_holds_the_sessions_plugged_in_within_it_with_energy() -> None:
    sessions = us.spec_sessions(SESSIONS, SEGMENTS, WINDOW)
    assert [(s.port, s.plug_start_s) for s in sessions] == [
        ("p1", 1 * H),
        ("p2", 2 * H),
        ("p3", 20_000.0),
    ]
    assert [s.charging_duration_s for s in sessions] == [1 * H, 0.5 * H, 0.5 * H]


def test_charging_duration_counts_only_the_time_energy_flowed_inside_the_plug_in() -> None:
    session = plugged("p1", 0.0, 1000.0, 5.0)
    segments = [
        PowerSegment("p1", 200.0, 500.0, 2.0, 30.0, 20.0),
        PowerSegment("p1", 500.0, 700.0, 0.0, 0.0, 0.0),  # paused: no energy
        PowerSegment("p1", 700.0, 1500.0, 3.0, 20.0, 10.0),  # runs past plug-out
        PowerSegment("p2", 0.0, 1000.0, 9.0, 30.0, 30.0),  # another port
    ]
    assert us.charging_durations([session], segments) == {0: 300.0 + 300.0}


def test_a_sites_rates_are_its_sessions_hours_over_its_open_hours() -> None:
    block = use_spec_block(RECORDS, PORTS, WINDOW)
    site = block.sites["s"]
    assert (site.ports, site.session_count) == (2, 2)
    assert site.available_h == pytest.approx(48.0)
    assert (site.time_occupied_h, site.time_charging_h, site.time_idle_h) == pytest.approx(
        (3.0, 1.5, 1.5)
    )
    assert site.occupied_utilization_rate_pct == pytest.approx(100 * 3 / 48)
    assert site.station_utilization_rate_pct == pytest.approx(100 * 1.5 / 48)
    assert site.idle_utilization_rate_pct == pytest.approx(100 * 1.5 / 48)
    # 125 kWh of (100 + 50) kW x 24 h
    assert site.capacity_factor_pct == pytest.approx(100 * 125 / 3600)
    # both ports held a session from 2 h to 3 h: 1 h of 24
    assert site.site_congestion_rate_pct == pytest.approx(100 / 24)


def test_a_one_port_site_is_congested_whenever_it_is_occupied() -> None:
    block = use_spec_block(RECORDS, PORTS, WINDOW)
    assert block.sites["t"].site_congestion_rate_pct == pytest.approx(100 * 2 / 24)


def test_a_network_averages_its_sites_congestion_and_sums_its_hours() -> None:
    block = use_spec_block(RECORDS, PORTS, WINDOW)
    network = block.networks["n"]
    assert network.site_congestion_rate_pct == pytest.approx((100 / 24 + 200 / 24) / 2)
    assert network.time_occupied_h == pytest.approx(5.0)
    assert network.available_h == pytest.approx(72.0)
    assert network.capacity_factor_pct == pytest.approx(100 * 135 / (200 * 24))
    assert block.totals == network


def test_a_port_has_its_own_rates_and_no_congestion_rate() -> None:
    port = use_spec_block(RECORDS, PORTS, WINDOW).ports["p1"]
    assert port.occupied_utilization_rate_pct == pytest.approx(100 * 2 / 24)
    assert port.capacity_factor_pct == pytest.approx(100 * 100 / 2400)
    assert port.site_congestion_rate_pct is None


def test_congestion_needs_every_port_busy_and_touching_sessions_do_not_overlap() -> None:
    a = us.SpecSession("p1", 0.0, 10.0, 0.0, 1.0)
    b = us.SpecSession("p2", 10.0, 20.0, 0.0, 1.0)
    assert us.site_congestion([a, b], 2, (0.0, 40.0)) == 0.0
    assert us.site_congestion([a, b], 1, (0.0, 40.0)) == pytest.approx(0.5)
    assert us.site_congestion([a], 1, (5.0, 15.0)) == pytest.approx(0.5)  # clipped


def test_an_empty_window_measures_zero() -> None:
    empty = us.measures(PORTS, [], (WINDOW[0], WINDOW[0]))
    assert (empty.occupied_utilization_rate, empty.capacity_factor) == (0.0, 0.0)
    assert us.site_congestion([], 2, (5.0, 5.0)) == 0.0


def test_a_real_runs_groups_add_up_and_congestion_is_below_occupancy() -> None:
    spec = region_run().summary.ev_charging_use_spec
    assert spec is not None
    ports = spec.ports.values()
    assert spec.totals.session_count == sum(p.session_count for p in ports) > 0
    assert spec.totals.time_occupied_h == pytest.approx(sum(p.time_occupied_h for p in ports))
    assert spec.totals.time_charging_h <= spec.totals.time_occupied_h
    for site in spec.sites.values():
        assert site.site_congestion_rate_pct is not None
        assert site.site_congestion_rate_pct <= site.occupied_utilization_rate_pct + 1e-9


def test_every_use_spec_and_chargex_key_is_documented_in_outputs_md() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z0-9_]+)`", text))
    scopes = {"totals", "networks", "sites", "brands", "ports"}  # summary.json's own groups
    keys = [*UseSpec.model_fields, *UseSpecMetrics.model_fields, *ChargeX.model_fields]
    keys = [k for k in (*keys, *ChargeXMetrics.model_fields) if k not in scopes]
    assert [k for k in keys if k not in documented] == []
