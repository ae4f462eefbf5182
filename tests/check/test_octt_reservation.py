"""The Reservation cases beyond the mutants: a backend that does not offer the profile makes
them not applicable, and without a trigger they are not run, each with its reason."""

from __future__ import annotations

import pytest

from simulator.check.catalogue import Profile, catalogue, select
from simulator.check.runner import run_check, run_checks
from simulator.check.verdicts import Verdict
from tests.check import mutant_csms
from tests.check.helpers import PASSWORD, TAGS, TIMEOUT_S, target
from tests.check.mutant_csms import Fault, MutantTrigger, mutant


async def test_a_reserved_status_answered_not_supported_makes_the_case_not_applicable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The faultless mutant, but without the Reservation profile: Reserved is NotSupported.
    refusal = ("StatusNotification", lambda p: p["status"] == "Reserved", "NotSupported")
    monkeypatch.setitem(mutant_csms.REFUSALS, Fault.NONE, refusal)
    (check,) = select(catalogue(), ["TC_046_1_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        run_target = target(central.ws_url, trigger=MutantTrigger(central, TIMEOUT_S))
        outcome = await run_check(run_target, check)
    assert outcome.verdict is Verdict.NOT_APPLICABLE
    assert "StatusNotification with NotSupported" in outcome.reason
    assert "Reservation profile" in outcome.reason


async def test_without_a_trigger_every_reservation_case_is_not_run_naming_its_call() -> None:
    checks = [c for c in catalogue() if c.profile is Profile.RESERVATION]
    assert len(checks) == 16
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        outcomes = await run_checks(target(central.ws_url), checks)
    assert {o.verdict for o in outcomes} == {Verdict.NOT_RUN}
    for outcome in outcomes:
        call = "CancelReservation" if outcome.check_id == "TC_052_CS" else "ReserveNow"
        assert f"needs the backend to send {call}" in outcome.reason, outcome.check_id
