"""The SmartCharging cases: a profile relayed wrong fails naming the field, and without a
trigger they are not run before anything reaches the backend."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from simulator.check.catalogue import Profile, catalogue, select
from simulator.check.checks.octt_smart_charging import _difference
from simulator.check.evidence import Direction
from simulator.check.runner import run_check
from simulator.check.trigger import TriggerFailed
from simulator.check.verdicts import Outcome, Verdict
from tests.check.helpers import PASSWORD, TAGS, TIMEOUT_S, target
from tests.check.mutant_csms import Fault, MutantTrigger, mutant


class _ReportsEveryProfileAsFailed(MutantTrigger):
    """A trigger that relays SetChargingProfile, then answers as if it had failed (HTTP 502:
    how some operator APIs report what the charge point answered)."""

    async def send(self, charge_point_id: str, action: str, payload: Mapping[str, Any]) -> None:
        await super().send(charge_point_id, action, payload)
        if action == "SetChargingProfile":
            raise TriggerFailed("HTTP 502 the charge point did not accept the profile")


def _run(
    fault: Fault,
    check_id: str,
    *,
    with_trigger: bool = True,
    trigger_class: type[MutantTrigger] = MutantTrigger,
) -> Outcome:
    async def run() -> Outcome:
        async with mutant(fault, TAGS, PASSWORD) as central:
            trigger = trigger_class(central, TIMEOUT_S) if with_trigger else None
            check = select(catalogue(), [check_id])[0]
            return await run_check(target(central.ws_url, trigger=trigger), check)

    return asyncio.run(run())


def test_a_profile_relayed_with_another_rate_unit_fails_naming_that_field() -> None:
    outcome = _run(Fault.PROFILE_RATE_UNIT_SWAPPED, "TC_056_CS")
    assert outcome.verdict is Verdict.FAIL
    field = "csChargingProfiles.chargingSchedule.chargingRateUnit"
    assert outcome.expected == f'SetChargingProfile with {field} = "A"'
    assert outcome.reason == f'{field} = "W"'


def test_the_first_differing_field_is_named_by_its_path_and_added_fields_are_not_compared() -> None:
    wanted = {"a": {"b": [{"c": 1}, {"c": 2}]}, "d": 3}
    assert (
        _difference(wanted, {"a": {"b": [{"c": 1}, {"c": 2, "e": 0}]}, "d": 3, "f": 4}, "") is None
    )
    assert _difference(wanted, {"a": {"b": [{"c": 1}, {"c": 5}]}, "d": 3}, "") == (
        "a.b[1].c",
        "2",
        "5",
    )
    assert _difference(wanted, {"a": {"b": [{"c": 1}]}}, "") == (
        "a.b",
        '[{"c": 1}, {"c": 2}]',
        '[{"c": 1}]',
    )
    assert _difference(wanted, {"a": {"b": [{"c": 1}, {"c": 2}]}}, "") == ("d", "3", "absent")


def test_without_a_trigger_no_smart_charging_case_opens_a_transaction() -> None:
    smart = [c.id for c in catalogue() if c.profile is Profile.SMART_CHARGING]
    assert len(smart) == 10
    for check_id in smart:
        outcome = _run(Fault.NONE, check_id, with_trigger=False)
        assert outcome.verdict is Verdict.NOT_RUN, (check_id, outcome.reason)
        assert "--trigger" in outcome.reason
        sent = [f.text for f in outcome.frames if f.direction is Direction.SENT]
        assert not any("StartTransaction" in text for text in sent), check_id


def test_a_trigger_failure_after_a_rejected_profile_is_taken_but_not_after_an_accepted_one() -> (
    None
):
    rejected = _run(Fault.NONE, "TC_058_1_CS", trigger_class=_ReportsEveryProfileAsFailed)
    assert rejected.verdict is Verdict.PASS, rejected.reason
    notes = [f.text for f in rejected.frames if f.direction is Direction.EVENT]
    assert any("reported the Rejected SetChargingProfile as a failure" in n for n in notes)
    accepted = _run(Fault.NONE, "TC_056_CS", trigger_class=_ReportsEveryProfileAsFailed)
    assert accepted.verdict is Verdict.FAIL
    assert "HTTP 502" in accepted.reason
