"""`chargenet load URL --ocpp 2.0.1`: the synthetic fleet's version (its run against the
built-in central system: test_against_builtin201), and a scenario's traffic in 2.0.1 as a real
process against the built-in central system: load.json says so, and an SLO on a 2.0.1 action
(`p99(TransactionEvent)`) is held against its histogram."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.cli import build_parser
from simulator.commands.load import options_from
from simulator.load import LoadOptions
from tests.check.helpers import builtin_central_system, write_password
from tests.load.test_command import chargenet_load

SCENARIO = Path(__file__).with_name("small_scenario.toml")


def _options(*arguments: str) -> LoadOptions:
    parser, _ = build_parser()
    options, _ = options_from(parser.parse_args(["load", "ws://127.0.0.1:1/ocpp", *arguments]))
    return options


def test_ocpp_picks_the_synthetic_fleet_s_version_and_1_6_is_the_default() -> None:
    assert _options("--charge-points", "3", "--ocpp", "2.0.1").ocpp == "2.0.1"
    assert _options("--charge-points", "3").ocpp is None  # the fleet's dialect: 1.6


async def test_ocpp_with_a_scenario_makes_every_network_speak_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    async with builtin_central_system(tmp_path, "--accept-unknown-tags") as url:
        result = await chargenet_load(
            url,
            "--scenario",
            str(SCENARIO),
            "--ocpp",
            "2.0.1",
            "--speed",
            "1200",
            "--duration",
            "2s",
            "--timeout",
            "20",
            "--password-file",
            str(write_password(tmp_path)),
            "--out",
            str(out),
            "--slo",
            "p99(TransactionEvent) < 60s",
        )
    assert result.code == 0, result.stderr
    assert "SLO p99(TransactionEvent) < 60s: held" in result.stdout
    document: dict[str, Any] = json.loads((out / "load.json").read_text())
    assert document["ocpp"] == "2.0.1"
    assert document["plan"]["traffic"] == "scenario"
    assert document["totals"]["calls"] == document["totals"]["answered"] > 0
    assert {"BootNotification", "Authorize", "TransactionEvent"} <= set(document["actions"])
    assert "StartTransaction" not in document["actions"]
