"""The 2.0.1 half of the catalogue: its cases apart from 1.6's, its scripted replies, the
--ocpp flag, and docs/checking.md's 2.0.1 table as the code declares it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from central_system.config import CentralSystemConfig
from central_system.server import running
from central_system.v201.actions import CSMS_ACTIONS_201
from ocppj.validation import validate_response
from ocppj.versions import OCPP16, OCPP201
from simulator import cli
from simulator.check.catalogue import Profile, catalogue, check201
from simulator.check.reports.markdown import catalogue_markdown
from simulator.check.runner import preflight
from simulator.check.station import DEFAULT_REPLIES_201, VARIABLES_201
from simulator.commands.check import ocpp_version
from simulator.errors import UserError
from tests.check.helpers import target

#: A request for each action whose scripted reply is computed from it.
REQUESTS: dict[str, dict[str, Any]] = {
    "GetVariables": {
        "getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NoSuchVariable"}},
            {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "Enabled"}},
        ]
    },
    "SetVariables": {
        "setVariableData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "attributeValue": "60",
            }
        ]
    },
    "SetVariableMonitoring": {
        "setMonitoringData": [
            {
                "value": 1.0,
                "type": "Delta",
                "severity": 5,
                "component": {"name": "EVSE"},
                "variable": {"name": "Power"},
            }
        ]
    },
    "ClearVariableMonitoring": {"id": [3, 4]},
}


def test_the_2_0_1_catalogue_holds_only_2_0_1_cases_and_the_1_6_one_none() -> None:
    cases = catalogue(OCPP201)
    assert cases
    assert all(c.ocpp_version == OCPP201 for c in cases)
    assert all(c.id.endswith("_CSMS") or c.id.startswith("RB_") for c in cases)
    assert all(c.ocpp_version == OCPP16 for c in catalogue())
    assert not {c.id for c in cases} & {c.id for c in catalogue() if c.id.startswith("TC_")}
    ids = [c.id for c in cases if c.id.startswith("TC_")]
    assert ids.index("TC_B_09_CSMS") < ids.index("TC_B_10_CSMS")  # numbers sorted as numbers


def test_a_2_0_1_id_must_end_in_csms() -> None:
    with pytest.raises(ValueError, match="_CSMS"):
        check201("TC_B_99_CS", "t", profile=Profile.CORE, clause="c", sends="s", expects="e")


def test_every_csms_initiated_2_0_1_action_has_a_schema_valid_scripted_reply() -> None:
    assert set(DEFAULT_REPLIES_201) == CSMS_ACTIONS_201
    for action, reply in DEFAULT_REPLIES_201.items():
        payload = reply(REQUESTS[action]) if callable(reply) else reply
        assert isinstance(payload, dict), action
        validate_response(OCPP201, action, payload)


def test_get_variables_answers_from_the_device_model_and_names_what_it_lacks() -> None:
    reply = DEFAULT_REPLIES_201["GetVariables"]
    assert callable(reply)
    results = reply(REQUESTS["GetVariables"])["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == [
        "Accepted",
        "UnknownVariable",
        "UnknownComponent",
    ]
    assert results[0]["attributeValue"] == VARIABLES_201[("OCPPCommCtrlr", "HeartbeatInterval")]


def test_ocpp_takes_1_6_and_2_0_1_and_names_an_unknown_version_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert ocpp_version("1.6") == OCPP16
    assert ocpp_version("2.0.1") == OCPP201
    assert cli.main(["check", "ws://127.0.0.1:1/ocpp", "--ocpp", "2.1"]) == 2
    err = capsys.readouterr().err
    assert err == "chargenet: --ocpp: unknown OCPP version '2.1' (known: 1.6, 2.0.1)\n"
    with pytest.raises(
        UserError, match=r"--ocpp: unknown OCPP version '2\.1' \(known: 1\.6, 2\.0\.1\)"
    ):
        ocpp_version("2.1")


def test_docs_checking_holds_the_2_0_1_catalogue_table_as_the_code_declares_it() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "checking.md").read_text("utf-8")
    section = doc[doc.index("## The 2.0.1 catalogue") :].split("\n## ", 1)[0]
    header = catalogue_markdown([]).splitlines()[0]
    lines = section.splitlines()
    start = lines.index(header)
    table = "\n".join(lines[start : start + 2 + len(catalogue(OCPP201))])
    # `chargenet check --list --markdown --ocpp 2.0.1` regenerates it
    assert table == catalogue_markdown(catalogue(OCPP201))
    verdicts = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert verdicts[len(catalogue(OCPP201)) :] == [c.id for c in catalogue(OCPP201)]


async def test_a_backend_that_does_not_speak_2_0_1_is_the_users_to_fix_before_any_check(
    tmp_path: Path,
) -> None:
    config = CentralSystemConfig(
        db_path=tmp_path / "csms.sqlite", port=0, api_port=None, subprotocols=(OCPP16,)
    )
    async with running(config) as central:
        with pytest.raises(UserError) as refused:
            await preflight(target(central.ws_url, password=None, ocpp_version=OCPP201))
    assert str(refused.value).startswith(f"backend {central.ws_url}/chargenet-check unusable")
    assert "does it speak ocpp2.0.1? --ocpp chooses the version" in str(refused.value)
