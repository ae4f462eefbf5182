"""`chargenet load URL --ocpp 2.0.1` picks the version the run speaks (the runs themselves, a
synthetic fleet's and a scenario's, against the built-in central system:
test_against_builtin201)."""

from __future__ import annotations

from simulator.cli import build_parser
from simulator.commands.load import options_from
from simulator.load import LoadOptions


def _options(*arguments: str) -> LoadOptions:
    parser, _ = build_parser()
    options, _ = options_from(parser.parse_args(["load", "ws://127.0.0.1:1/ocpp", *arguments]))
    return options


def test_ocpp_picks_the_synthetic_fleet_s_version_and_1_6_is_the_default() -> None:
    assert _options("--charge-points", "3", "--ocpp", "2.0.1").ocpp == "2.0.1"
    assert _options("--charge-points", "3").ocpp is None  # the fleet's dialect: 1.6
