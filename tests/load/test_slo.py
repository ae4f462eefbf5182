"""The SLO expressions of `chargenet load --slo`: every form, every unit, held and broken
against load.json documents of real HdrHistograms, and bad expressions as one-line errors."""

from __future__ import annotations

import random
from typing import Any

import pytest

from simulator.errors import UserError
from simulator.load import slo
from tests.load.load_documents import Action, document, histogram, lognormal_us, ramp_run


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return ramp_run()


def measured(text: str, doc: dict[str, Any]) -> slo.Verdict:
    return slo.evaluate(slo.parse(text), doc)


def start_histogram(doc: dict[str, Any]) -> Any:
    from hdrh.histogram import HdrHistogram

    return HdrHistogram.decode(doc["actions"]["StartTransaction"]["histogram"])


def test_a_percentile_of_one_action_is_that_actions_histograms(run: dict[str, Any]) -> None:
    p99_ms = start_histogram(run).get_value_at_percentile(99) / 1000
    verdict = measured("p99(StartTransaction) < 500ms", run)
    assert verdict.measured == pytest.approx(p99_ms)
    assert verdict.held is (p99_ms < 500)


def test_the_stall_breaks_the_max_and_a_loose_p50_holds(run: dict[str, Any]) -> None:
    assert not measured("max(StartTransaction) <= 1s", run).held
    assert measured("max(StartTransaction) <= 2.5s", run).held
    assert measured("p50(StartTransaction) < 100ms", run).held
    assert not measured("p50(StartTransaction) < 10ms", run).held


def test_without_an_action_the_percentile_is_of_every_action_merged(run: dict[str, Any]) -> None:
    merged = histogram()
    for name in ("Heartbeat", "StartTransaction"):
        from hdrh.histogram import HdrHistogram

        merged.add(HdrHistogram.decode(run["actions"][name]["histogram"]))
    verdict = measured("p90 < 1s", run)
    assert verdict.measured == pytest.approx(merged.get_value_at_percentile(90) / 1000)
    # merged, the many fast heartbeats pull the p90 below StartTransaction's own
    assert verdict.measured is not None
    assert verdict.measured < measured("p90(StartTransaction) < 1s", run).measured  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("p50 < 5000us", "5,000 us"),
        ("p50 < 5000µs", "5,000 µs"),
        ("p50 < 5ms", "5 ms"),
        ("p50 < 0.005s", "0.005 s"),
    ],
)
def test_latency_bounds_are_read_in_their_unit(text: str, shown: str) -> None:
    parsed = slo.parse(text)
    assert parsed.bound == pytest.approx(5.0)  # in ms, load.json's unit
    assert parsed.show(parsed.bound) == shown


@pytest.mark.parametrize(
    ("metric", "percentile"),
    [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("p999", 99.9)],
)
def test_every_percentile_form_reads_the_histogram_at_its_percentile(
    run: dict[str, Any], metric: str, percentile: float
) -> None:
    expected = start_histogram(run).get_value_at_percentile(percentile) / 1000
    assert measured(f"{metric}(StartTransaction) < 3600s", run).measured == pytest.approx(expected)


def test_mean_and_max_are_the_histograms(run: dict[str, Any]) -> None:
    h = start_histogram(run)
    assert measured("mean(StartTransaction) < 1s", run).measured == pytest.approx(
        h.get_mean_value() / 1000
    )
    assert measured("max(StartTransaction) < 1s", run).measured == pytest.approx(
        h.get_max_value() / 1000
    )


def test_the_handshake_latency_is_its_own_histogram(run: dict[str, Any]) -> None:
    from hdrh.histogram import HdrHistogram

    h = HdrHistogram.decode(run["handshake"]["histogram"])
    verdict = measured("p99(handshake) < 1s", run)
    assert verdict.measured == pytest.approx(h.get_value_at_percentile(99) / 1000)
    assert verdict.held


def test_errors_are_callerrors_timeouts_and_lost_calls_over_calls(run: dict[str, Any]) -> None:
    totals = run["totals"]
    bad = sum(totals["callerrors"].values()) + totals["timeouts"] + totals["lost"]
    assert bad > 0
    share = measured("errors < 0.1%", run)
    assert share.measured == pytest.approx(bad / totals["calls"])
    assert not share.held
    assert measured("errors < 50%", run).held
    assert measured("errors < 5", run).measured == bad
    assert measured("callerrors == 3", run).held
    assert measured("timeouts == 1", run).held
    assert not measured("timeouts == 0", run).held
    assert measured("lost == 1", run).held


def test_errors_of_one_action_count_only_its_calls(run: dict[str, Any]) -> None:
    start = run["actions"]["StartTransaction"]
    verdict = measured("errors(StartTransaction) < 1%", run)
    unanswered = start["errors"] + start["timeouts"] + start["lost"]
    assert verdict.measured == pytest.approx(unanswered / start["count"])
    assert measured("errors(Heartbeat) == 0%", run).held
    assert measured("timeouts(Heartbeat) == 0", run).held


def test_throughput_connections_and_reconnects_come_from_the_totals(run: dict[str, Any]) -> None:
    totals = run["totals"]
    assert measured("msgs/s >= 1", run).measured == pytest.approx(totals["msgs_per_s"])
    peak = totals["connections"]["peak_connected"]
    assert measured(f"connected >= {peak}", run).held
    assert not measured(f"connected >= {peak + 1}", run).held
    assert measured("reconnects == 1", run).held
    assert measured("connect_failures == 2", run).held
    assert not measured("connect_failures == 0", run).held


@pytest.mark.parametrize(("op", "held"), [("<", False), ("<=", True), (">", False), (">=", True)])
def test_every_comparison_is_as_written(run: dict[str, Any], op: str, held: bool) -> None:
    assert measured(f"reconnects {op} 1", run).held is held


def test_a_broken_verdict_names_the_slo_the_measured_value_and_the_bound(
    run: dict[str, Any],
) -> None:
    verdict = measured("p50 < 1us", run)
    line = verdict.line()
    assert not verdict.held
    assert line.startswith("SLO p50 < 1us: BROKEN (measured ")
    assert line.endswith(" us, bound < 1 us)")
    assert "\n" not in line
    held = measured("errors < 50%", run).line()
    assert held.startswith("SLO errors < 50%: held (measured ")
    assert held.endswith("%, bound < 50%)")


def test_an_slo_of_an_action_that_was_never_answered_is_broken(run: dict[str, Any]) -> None:
    verdict = measured("p99(Authorize) < 10s", run)
    assert not verdict.held
    assert verdict.measured is None
    assert "no Authorize was answered" in verdict.line()
    assert not measured("errors(Authorize) < 1%", run).held


def test_a_run_without_calls_breaks_every_share_and_latency_slo() -> None:
    empty = document({"Heartbeat": Action([[]])}, targets=[1], connected=[0])
    assert not measured("errors < 1%", empty).held
    assert not measured("p99 < 3600s", empty).held
    assert measured("timeouts == 0", empty).held  # a count of nothing is 0


def test_evaluate_all_keeps_the_order_of_the_slos(run: dict[str, Any]) -> None:
    slos = [slo.parse("timeouts == 1"), slo.parse("p50 < 1us")]
    assert [v.held for v in slo.evaluate_all(slos, run)] == [True, False]


def test_the_merged_histogram_counts_every_answer() -> None:
    rng = random.Random(3)
    a, b = lognormal_us(rng, 50, 5), lognormal_us(rng, 70, 9)
    doc = document({"Heartbeat": Action([a]), "Authorize": Action([b])}, [5], [5])
    assert slo.merged_histogram(doc).get_total_count() == 120
    assert slo.merged_histogram(doc, ["Authorize"]).get_total_count() == 70


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("p99(StartTransaction) 500ms", "not an SLO expression"),
        ("p99(StartTransaction) < 500", "a latency needs a unit"),
        ("p99(StartTransaction) < 500kg", "a latency needs a unit"),
        ("p99(StartTranzaction) < 500ms", "'StartTranzaction' is not an OCPP action"),
        ("p42 < 5ms", "unknown metric 'p42'"),
        ("latency < 5ms", "unknown metric 'latency'"),
        ("errors < 0.1s", "errors takes no unit 's'"),
        ("errors < 120%", "a share above 100%"),
        ("msgs/s >= 50%", "msgs/s is not a share"),
        ("msgs/s(Heartbeat) >= 5", "msgs/s takes no action"),
        ("connected => 5", "not an SLO expression"),
        ("errors(Nope) < 1%", "'Nope' is not an OCPP action"),
        ("", "not an SLO expression"),
        ("p99 < -5ms", "not an SLO expression"),
    ],
)
def test_a_bad_expression_is_one_line_naming_it(text: str, names: str) -> None:
    with pytest.raises(UserError) as raised:
        slo.parse(text)
    message = str(raised.value)
    assert message.startswith(f"--slo {text!r}: ")
    assert names in message
    assert "\n" not in message


@pytest.mark.parametrize("metric", ["p50", "p90", "p99", "p99.9", "max", "mean"])
def test_the_fast_figures_are_hdrhs_own(metric: str) -> None:
    rng = random.Random(11)
    h = histogram([*lognormal_us(rng, 3000, 20.0, sigma=1.5), 2_000_000, 1, 3_599_000_000])
    if metric == "max":
        expected = h.get_max_value()
    elif metric == "mean":
        expected = h.get_mean_value()
    else:
        expected = h.get_value_at_percentile(float(metric[1:]))
    assert slo.percentile_ms(h, metric) == pytest.approx(expected / 1000, rel=1e-12)
    from hdrh.histogram import HdrHistogram

    decoded = HdrHistogram.decode(h.encode())  # as load.json's histograms arrive
    assert slo.percentile_ms(decoded, metric) == pytest.approx(expected / 1000, rel=1e-12)
