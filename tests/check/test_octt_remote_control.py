"""The remote control cases: without a trigger they are not run before any connection is
opened; with one, an unlock during a session is answered only after its stop."""

from __future__ import annotations

import json

from simulator.check.catalogue import catalogue, select
from simulator.check.evidence import Direction
from simulator.check.runner import run_check
from simulator.check.verdicts import Verdict
from tests.check.helpers import PASSWORD, TAGS, TIMEOUT_S, target
from tests.check.mutant_csms import Fault, MutantTrigger, mutant

MODULE = "simulator.check.checks.octt_remote_control"


async def test_without_a_trigger_every_case_is_not_run_and_opens_no_connection() -> None:
    checks = [c for c in catalogue() if c.run.__module__ == MODULE]
    assert len(checks) == 17
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        for check in checks:
            outcome = await run_check(target(central.ws_url, id_tags={}), check)
            assert outcome.verdict is Verdict.NOT_RUN, (check.id, outcome.reason)
            assert "--trigger" in outcome.reason
            assert outcome.frames == ()
    assert central.connections == {}


async def test_an_unlock_during_a_session_is_answered_after_the_stop_with_unlock_command() -> None:
    check = select(catalogue(), ["TC_018_1_CS"])[0]
    async with mutant(Fault.NONE, TAGS, PASSWORD) as central:
        run_target = target(central.ws_url, trigger=MutantTrigger(central, TIMEOUT_S))
        outcome = await run_check(run_target, check)
    assert outcome.verdict is Verdict.PASS, (outcome.expected, outcome.reason)
    sent = [json.loads(f.text) for f in outcome.frames if f.direction is Direction.SENT]
    unlock = next(
        json.loads(f.text)
        for f in outcome.frames
        if f.direction is Direction.RECEIVED and '"UnlockConnector"' in f.text
    )
    stop = next(i for i, m in enumerate(sent) if m[0] == 2 and m[2] == "StopTransaction")
    answer = next(i for i, m in enumerate(sent) if m[0] == 3 and m[1] == unlock[1])
    assert sent[stop][3]["reason"] == "UnlockCommand"
    assert stop < answer
    assert sent[answer][2] == {"status": "Unlocked"}
