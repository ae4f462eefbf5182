"""Station templates: `[station_templates.<id>]` named by ports; the BootNotification's vendor,
model and firmware and the 1.6 configuration come from it, the defaults stay today's, mistakes
end in one line; and over the real wire the built-in central system records what it was told."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator import cli, runner
from simulator import scenario as sc
from simulator.model import world as mw
from simulator.ocpp.clock import VirtualClock
from simulator.ocpp.transport import TransportConfig
from simulator.ocpp.v16 import ChargePointV16
from simulator.reports.summary import to_json
from tests.ocpp.helpers import RecordingStation, write_small_scenario

EXIT_USAGE = 2

# Laid over tests/ocpp/helpers.py's small scenario: site "s" of network "south" gets a template.
TEMPLATED = """\
extends = "ocpp-small.toml"

[station_templates.terra]
vendor = "ABB"
model = "Terra 184"
firmware_version = "1.4.2"
configuration = {{ MeterValuesSampledData = "Energy.Active.Import.Register,Power.Active.Import", \
StopTransactionOnInvalidId = false, ConnectionTimeOut = 90 }}

[[networks]]
id = "south"
[[networks.sites]]
id = "s"
ports = [{{ power_kw = 250, connectors = ["NACS", "CCS1"], count = 2, template = "{template}" }}]
"""


def templated(tmp_path: Path, template: str = "terra", **small: Any) -> Path:
    write_small_scenario(tmp_path, **small)
    path = tmp_path / "templated.toml"
    path.write_text(TEMPLATED.format(template=template), encoding="utf-8")
    return path


def client_for(port: mw.Port) -> ChargePointV16:
    clock = VirtualClock(datetime(2025, 1, 6, tzinfo=UTC))
    return ChargePointV16(0, port, RecordingStation(), TransportConfig("ws://127.0.0.1:9"), clock)


def test_ports_that_name_a_template_carry_its_station_and_others_the_default(
    tmp_path: Path,
) -> None:
    world = sc.world(sc.load(templated(tmp_path)))
    stations = {p.id: p.station for p in world.ports}
    terra = stations["s-01"]
    assert (terra.vendor, terra.model, terra.firmware_version) == ("ABB", "Terra 184", "1.4.2")
    assert dict(terra.configuration) == {
        "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import",
        "StopTransactionOnInvalidId": "false",
        "ConnectionTimeOut": "90",
    }
    assert stations["s-02"] == terra
    assert stations["n-01"] == mw.DEFAULT_STATION


def test_a_templated_boot_names_the_templates_vendor_model_and_firmware(tmp_path: Path) -> None:
    world = sc.world(sc.load(templated(tmp_path)))
    ports = {p.id: p for p in world.ports}
    payload = client_for(ports["s-01"]).boot_payload()
    assert payload == {
        "chargePointVendor": "ABB",
        "chargePointModel": "Terra 184",
        "chargePointSerialNumber": "s-01",
        "firmwareVersion": "1.4.2",
    }
    # the defaults are today's identity
    assert client_for(ports["n-01"]).boot_payload() == {
        "chargePointVendor": "chargenet",
        "chargePointModel": "150kW CCS1+CHAdeMO",
        "chargePointSerialNumber": "n-01",
        "firmwareVersion": "chargenet-0.1",
    }


def test_a_templates_configuration_seeds_the_charge_points_keys(tmp_path: Path) -> None:
    world = sc.world(sc.load(templated(tmp_path)))
    ports = {p.id: p for p in world.ports}
    client = client_for(ports["s-01"])
    assert client.config.value("StopTransactionOnInvalidId") == "false"
    assert client.config.int_value("ConnectionTimeOut") == 90
    assert client._measurands == {"Energy.Active.Import.Register", "Power.Active.Import"}
    plain = client_for(ports["n-01"])
    assert plain.config.value("StopTransactionOnInvalidId") == "true"
    assert "SoC" in plain._measurands


def test_a_templated_scenario_round_trips_through_its_plain_data(tmp_path: Path) -> None:
    scenario = sc.load(templated(tmp_path))
    assert sc.parse(scenario.model_dump()) == scenario


BAD_TEMPLATES = {
    "an unknown template": (
        'template = "terra"',
        'template = "nope"',
        "networks[1].sites[0].ports[0].template = 'nope': no such station template",
    ),
    "an unknown configuration key": (
        "ConnectionTimeOut = 90",
        "Colour = 1",
        "station_templates.terra.configuration: Colour: not a configuration key of the "
        "charge point",
    ),
    "a read-only key": (
        "ConnectionTimeOut = 90",
        "NumberOfConnectors = 3",
        "station_templates.terra.configuration: NumberOfConnectors: read-only key",
    ),
    "a write-only key": (
        "ConnectionTimeOut = 90",
        'AuthorizationKey = "00112233445566778899aabbccddeeff"',
        "station_templates.terra.configuration: AuthorizationKey: write-only key",
    ),
    "a bad value": (
        "ConnectionTimeOut = 90",
        "ConnectionTimeOut = 0",
        "station_templates.terra.configuration: ConnectionTimeOut = 0: not a valid value for "
        "this key",
    ),
    "a vendor too long for CiString20": (
        'vendor = "ABB"',
        'vendor = "ABB E-mobility Holding AG"',
        "station_templates.terra.vendor = 'ABB E-mobility Holding AG': String should have at "
        "most 20 characters",
    ),
    "an unknown template key": (
        'vendor = "ABB"',
        'vendor = "ABB"\nocpp_version = "2.0.1"',
        "station_templates.terra.ocpp_version: unknown key",
    ),
}


@pytest.mark.parametrize("case", BAD_TEMPLATES)
def test_a_bad_template_ends_in_one_line_naming_the_key(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, message = BAD_TEMPLATES[case]
    path = templated(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert cli.main(["validate", str(path)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"chargenet: {path}: {message}\n"


def test_over_the_wire_the_central_system_records_each_templates_identity_and_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = templated(tmp_path, days=0.5)
    db = tmp_path / "csms.sqlite"
    args = ["run", str(scenario), "--quiet", "--days", "0.5"]
    assert cli.main([*args, "--out", str(tmp_path / "ocpp"), "--csms-db", str(db)]) == 0
    assert capsys.readouterr().err == ""
    with contextlib.closing(sqlite3.connect(db)) as store:
        identity = {
            cp: (vendor, model, firmware)
            for cp, vendor, model, firmware in store.execute(
                "SELECT id, vendor, model, firmware_version FROM charge_points"
            )
        }
        periodic = {
            (cp[0], measurand)
            for cp, measurand in store.execute(
                "SELECT charge_point_id, measurand FROM meter_values "
                "WHERE context = 'Sample.Periodic'"
            )
        }
    assert identity == {
        "n-01": ("chargenet", "150kW CCS1+CHAdeMO", "chargenet-0.1"),
        "n-02": ("chargenet", "150kW CCS1+CHAdeMO", "chargenet-0.1"),
        "n-03": ("chargenet", "50kW CCS1", "chargenet-0.1"),
        "s-01": ("ABB", "Terra 184", "1.4.2"),
        "s-02": ("ABB", "Terra 184", "1.4.2"),
    }
    assert {m for site, m in periodic if site == "s"} == {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
    }
    assert "SoC" in {m for site, m in periodic if site == "n"}
    # a template changes what the charge point says, never what happens
    # (the fast engine in process, as `chargenet run --engine fast` computes its summary: its
    # HTML report would be most of the run's cost)
    world = sc.world(sc.load(scenario), days=0.5)
    summary = (tmp_path / "ocpp" / "summary.json").read_bytes()
    assert summary == to_json(runner.summarize_world(world, runner.run_fast(world))).encode()
    assert json.loads(summary)["totals"]["served"] > 0
