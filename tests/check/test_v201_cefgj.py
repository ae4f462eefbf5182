"""Blocks C, E, F, G, J of the 2.0.1 catalogue (simulator/check/checks/v201_[cefgj]_*.py),
beyond the mutant table: what the cases leave in a CSMS's store (every transaction they open
is ended, its seqNos gap-free from 0), and what they do without a trigger or test data.
Against the built-in central system in this process (tests/check/mutant_csms201.py, no
fault)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from central_system.v201.store import Store201
from ocppj.versions import OCPP201
from simulator.check.catalogue import Check, catalogue
from simulator.check.runner import run_check
from simulator.check.verdicts import Verdict
from tests.check.helpers import TIMEOUT_S, target
from tests.check.mutant_csms201 import Fault, mutant201, mutant_sessions

#: The blocks of these modules.
BLOCKS: Final = ("TC_C_", "TC_E_", "TC_F_", "TC_G_", "TC_J_")
STATION: Final = "chargenet-check"


def _cases(*, backend_initiated: bool | None = None) -> list[Check]:
    return [
        c
        for c in catalogue(OCPP201)
        if c.id.startswith(BLOCKS)
        and (backend_initiated is None or c.backend_initiated is backend_initiated)
    ]


async def test_every_transaction_the_cases_open_is_ended_with_gap_free_seq_nos_from_0(
    tmp_path: Path,
) -> None:
    cases = _cases()
    with mutant_sessions():
        async with mutant201(tmp_path, Fault.NONE, timeout_s=TIMEOUT_S) as m:

            async def run(group: int) -> dict[str, Verdict]:
                # Four stations at once (each case's steps wait on the CSMS's commits).
                run_target = target(
                    m.ws_url,
                    trigger=m.trigger,
                    ocpp_version=OCPP201,
                    charge_point_id=f"{STATION}-{group}",
                )
                return {c.id: (await run_check(run_target, c)).verdict for c in cases[group::4]}

            verdicts: dict[str, Verdict] = {}
            for part in await asyncio.gather(*(run(group) for group in range(4))):
                verdicts |= part
            store = Store201(m.central.store)
            transactions = store.transactions()
            seq_nos = {
                t.transaction_id: store.seq_nos(t.charge_point_id, t.transaction_id)
                for t in transactions
            }
            gaps = [gap for group in range(4) for gap in store.seq_no_gaps(f"{STATION}-{group}")]
            signed = m.central.store.execute(
                "SELECT COUNT(*) FROM meter_values_201 WHERE signed_meter_value IS NOT NULL"
            ).fetchone()[0]
            contexts = {
                row[0]
                for row in m.central.store.execute("SELECT DISTINCT context FROM meter_values_201")
            }
    assert len(verdicts) == len(cases)
    assert set(verdicts.values()) == {Verdict.PASS}, verdicts
    # Every case with a transaction: E_53 has two, the status cases one each, ...
    assert len(transactions) >= 40
    open_ = [t.transaction_id for t in transactions if t.ended_at is None]
    assert not open_, f"transactions left open: {open_}"
    assert not gaps
    for transaction_id, numbers in seq_nos.items():
        assert numbers == list(range(len(numbers))), (transaction_id, numbers)
    reasons = {t.stopped_reason for t in transactions}
    assert {"EVDisconnected", "DeAuthorized", "Remote", "Timeout", "StoppedByEV"} <= reasons
    assert "Local" in reasons  # TC_E_07_CSMS's Ended without stoppedReason is Local
    assert sum(t.offline_events > 0 for t in transactions) == 3  # TC_E_29, E_31, E_33
    assert signed == 4  # TC_J_04 and J_11: two readings each
    assert {"Transaction.Begin", "Sample.Periodic", "Sample.Clock", "Trigger"} <= contexts
    assert "Transaction.End" in contexts


async def test_without_a_trigger_the_cases_the_csms_starts_are_not_run_and_connect_nowhere(
    tmp_path: Path,
) -> None:
    with mutant_sessions():
        async with mutant201(tmp_path, Fault.NONE, timeout_s=TIMEOUT_S) as m:
            run_target = target(m.ws_url, ocpp_version=OCPP201)
            outcomes = [await run_check(run_target, c) for c in _cases(backend_initiated=True)]
    assert len(outcomes) >= 30
    for outcome in outcomes:
        assert outcome.verdict is Verdict.NOT_RUN, (outcome.check_id, outcome.reason)
        assert "--trigger" in outcome.reason
        assert not any(frame.connection for frame in outcome.frames), outcome.check_id


async def test_without_id_tags_the_cases_needing_a_token_are_not_applicable(
    tmp_path: Path,
) -> None:
    with mutant_sessions():
        async with mutant201(tmp_path, Fault.NONE, timeout_s=TIMEOUT_S) as m:
            run_target = target(m.ws_url, id_tags={}, sibling_tags=None, ocpp_version=OCPP201)
            outcomes = {
                c.id: await run_check(run_target, c) for c in _cases(backend_initiated=False)
            }
    passed = {i for i, o in outcomes.items() if o.verdict is Verdict.PASS}
    # A token nobody knows, or none at all, is all these need.
    assert passed == {
        "TC_C_02_CSMS",
        "TC_C_20_CSMS",
        "TC_E_16_CSMS",
        "TC_G_20_CSMS",
        "TC_J_01_CSMS",
    }
    for check_id, outcome in outcomes.items():
        if check_id not in passed:
            assert outcome.verdict is Verdict.NOT_APPLICABLE, (check_id, outcome.reason)
            assert "--id-tags" in outcome.reason
            assert not outcome.frames, check_id  # decided before connecting
