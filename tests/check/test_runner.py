"""The runner: a fail run again with --retries, a later pass naming the failed attempt; a
check's own exception is an error, not a fail; a check whose backend CALL breaks its schema
fails although its own steps passed."""

from __future__ import annotations

from simulator.check.catalogue import Check, Profile, catalogue, select
from simulator.check.context import CheckContext
from simulator.check.runner import run_check, run_checks
from simulator.check.verdicts import Verdict
from tests.check.helpers import PASSWORD, TAGS, target
from tests.check.mutant_csms import Fault, mutant


async def test_a_passing_retry_is_a_pass_that_names_the_failed_attempt() -> None:
    checks = select(catalogue(), ["TC_023_3_CS"])
    async with mutant(Fault.ACCEPTS_BLOCKED_ONCE, TAGS, PASSWORD) as central:
        (outcome,) = await run_checks(target(central.ws_url), checks, retries=1)
    assert outcome.verdict is Verdict.PASS
    assert outcome.reason.startswith("passed on attempt 2; attempt 1 failed: expected ")


async def test_a_fail_stays_a_fail_after_its_retries_and_without_them() -> None:
    checks = select(catalogue(), ["TC_023_3_CS"])
    async with mutant(Fault.ACCEPTS_BLOCKED, TAGS, PASSWORD) as central:
        retried = await run_checks(target(central.ws_url), checks, retries=2)
    async with mutant(Fault.ACCEPTS_BLOCKED_ONCE, TAGS, PASSWORD) as central:
        once = await run_checks(target(central.ws_url), checks)
    assert [o.verdict for o in retried + once] == [Verdict.FAIL, Verdict.FAIL]


async def test_a_check_that_breaks_is_an_error_with_where_it_broke() -> None:
    async def broken(ctx: CheckContext) -> None:
        async with ctx.booted() as station:
            await ctx.result(station, "Heartbeat", {"surprise": 1})  # invalid: our own bug

    check = Check("RB_BROKEN", "t", Profile.CORE, "c", "s", "e", broken)
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        outcome = await run_check(target(central.ws_url), check)
    assert outcome.verdict is Verdict.ERROR
    assert "test_runner.py:" in outcome.reason  # the line of the check, not of the framework
    assert outcome.reason.startswith("PropertyConstraintViolationError: ")
    assert outcome.reason.count("PropertyConstraintViolationError") == 1
