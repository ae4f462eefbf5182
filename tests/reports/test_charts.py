"""Charts are self-contained inline SVG whose ids do not collide, labelled with their units."""

from __future__ import annotations

import re

from simulator.reports import chart_drawing
from simulator.reports.charts import Bars, Forest, Lines, Series, svg

BARS = Bars(
    "Occupancy by network",
    ("tesla", "ea"),
    (Series("A", (0.2, 0.3), (0.01, 0.02)), Series("B", (0.25, 0.35), (0.01, float("nan")))),
    "occupancy (%)",
    share=True,
)
LINES = Lines(
    "Hourly occupancy",
    tuple(range(24)),
    "hour of day (h)",
    (Series("all", tuple(h / 48 for h in range(24)), tuple(0.01 for _ in range(24))),),
    "occupancy (% of ports)",
    share=True,
    bands=True,
)
FOREST = Forest("Revenue", ("B", "C"), (120.0, -40.0), (30.0, 60.0), "difference in revenue ($)")


def test_a_chart_is_inline_svg_with_no_external_reference() -> None:
    for chart in (BARS, LINES, FOREST):
        text = svg(chart, "x")
        assert text.startswith("<svg")
        assert "<image" not in text
        assert "<script" not in text
        # the only URLs are XML namespace names, which are never fetched
        urls = set(re.findall(r"https?://[^\"' )]+", text))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
        assert not re.search(r'href="(?!#)', text)


def test_every_id_carries_the_prefix_and_every_reference_resolves() -> None:
    text = svg(LINES, "f7")
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert ids
    assert all(i.startswith("f7-") for i in ids)
    for ref in re.findall(r"url\(#([^)]+)\)", text) + re.findall(r'href="#([^"]+)"', text):
        assert ref in ids


def test_two_charts_on_one_page_share_no_id() -> None:
    a = set(re.findall(r'\bid="([^"]+)"', svg(BARS, "f1")))
    b = set(re.findall(r'\bid="([^"]+)"', svg(BARS, "f2")))
    assert a
    assert b
    assert not a & b


def test_titles_and_axes_are_text_with_their_units() -> None:
    text = svg(BARS, "a")
    assert "Occupancy by network" in text
    assert "occupancy (%)" in text
    assert "difference in revenue ($)" in svg(FOREST, "b")
    assert "hour of day (h)" in svg(LINES, "c")


def test_the_same_chart_draws_the_same_bytes() -> None:
    assert svg(BARS, "a") == svg(BARS, "a")


def test_lines_that_meet_differ_in_style_and_marker_not_only_in_colour() -> None:
    hours = tuple(range(24))
    same = tuple(0.1 for _ in hours)
    chart = Lines(
        "Hourly occupancy",
        hours,
        "hour",
        (Series("a", same), Series("b", same), Series("c", same)),
        "occ",
        share=True,
    )
    ax = chart_drawing._lines(chart).axes[0]
    drawn = ax.get_lines()
    assert len({line.get_linestyle() for line in drawn}) == 3
    assert len({line.get_marker() for line in drawn}) == 3
    assert {x for line in drawn for x in line.get_xdata()} == set(hours)  # on the hours
