"""TC_002_CS, the boot answered Pending: not applicable without a charge point id the backend
keeps Pending, and a fail when that id's first boot is Accepted (its pass and its fail against
a backend that never accepts it are in test_mutants.py and test_against_builtin.py)."""

from __future__ import annotations

from simulator.check.catalogue import catalogue, select
from simulator.check.runner import run_check
from simulator.check.verdicts import Verdict
from tests.check.helpers import PASSWORD, PENDING_ID, TAGS, target
from tests.check.mutant_csms import Fault, mutant


async def test_the_pending_boot_is_not_applicable_without_a_pending_id() -> None:
    (check,) = select(catalogue(), ["TC_002_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        outcome = await run_check(target(central.ws_url), check)
    assert outcome.verdict is Verdict.NOT_APPLICABLE
    assert "--pending-id" in outcome.reason


async def test_the_pending_boot_fails_when_the_first_boot_is_accepted() -> None:
    (check,) = select(catalogue(), ["TC_002_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        accepted_id = target(central.ws_url, pending_charge_point_id="chk-never-pending")
        outcome = await run_check(accepted_id, check)
    assert outcome.verdict is Verdict.FAIL
    assert "status Pending" in outcome.expected
    assert "'Accepted'" in outcome.reason


async def test_the_pending_boot_passes_when_pending_first_then_accepted() -> None:
    (check,) = select(catalogue(), ["TC_002_CS"])
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        outcome = await run_check(target(central.ws_url, pending_charge_point_id=PENDING_ID), check)
    assert outcome.verdict is Verdict.PASS, (outcome.expected, outcome.reason)
    received = [f.text for f in outcome.frames if f.direction.value == "received"]
    assert any('"Pending"' in text for text in received), received
