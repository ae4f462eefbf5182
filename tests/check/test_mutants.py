"""Every check can fail: each mutant (a central system with one fault) is caught by the check
meant for it, and the faultless one passes them all. Prints the mutants × checks table."""

from __future__ import annotations

import asyncio
from typing import Final

from simulator.check.catalogue import catalogue, select
from simulator.check.runner import run_check
from simulator.check.verdicts import Outcome, Verdict
from tests.check.helpers import PASSWORD, TAGS, target
from tests.check.mutant_csms import Fault, mutant

#: The check meant to catch each mutant.
CAUGHT_BY: Final = {
    Fault.SILENT_ON_INVALID_JSON: "RB_INVALID_JSON",
    Fault.OCPP201_ERROR_NAMES: "RB_NOT_AN_ARRAY",
    Fault.CLOSES_ON_UNKNOWN_ACTION: "RB_UNKNOWN_ACTION",
    Fault.INTERNAL_ERROR_ON_MISSING_FIELD: "RB_MISSING_FIELD",
    Fault.NO_SCHEMA_VALIDATION: "RB_EXTRA_PROPERTY",
    Fault.GENERIC_ERROR_ON_TYPE: "RB_WRONG_TYPE",
    Fault.CLOSES_ON_OVERSIZED: "RB_OVERSIZED_FRAME",
    Fault.ANSWERS_STRAY_RESPONSES: "RB_UNKNOWN_CALLRESULT",
    Fault.TRUNCATES_MESSAGE_IDS: "RB_LONG_MESSAGE_ID",
    Fault.SILENT_ON_UNKNOWN_MESSAGE_TYPE: "RB_UNKNOWN_MESSAGE_TYPE",
    Fault.INTERNAL_ERROR_ON_CENTRAL_SYSTEM_ACTION: "RB_CENTRAL_SYSTEM_ACTION",
    Fault.NEW_TRANSACTION_ON_RETRANSMIT: "RB_RETRANSMITTED_START",
    Fault.REUSES_TRANSACTION_ID: "RB_TRANSACTION_IDS_UNIQUE",
    Fault.NO_HEARTBEAT_INTERVAL: "TC_001_CS",
    Fault.ACCEPTS_BLOCKED: "TC_023_3_CS",
    Fault.ACCEPTS_EXPIRED: "TC_023_2_CS",
    Fault.ACCEPTS_UNKNOWN: "TC_023_1_CS",
    Fault.DROPS_METER_VALUES: "TC_070_CS",
    Fault.REFUSES_OFFLINE_START: "TC_037_1_CS",
    Fault.STOP_WITHOUT_ID_TAG_INFO: "TC_068_CS",
    Fault.CALLERROR_FOR_UNKNOWN_STOP: "RB_STOP_UNKNOWN_TRANSACTION",
    Fault.CALLERROR_ON_DATA_TRANSFER: "TC_064_CS",
    Fault.PARTIAL_STATUS_ENUM: "RB_STATUS_EVERY_STATUS",
    Fault.PICKS_FIRST_SUBPROTOCOL: "RB_SUBPROTOCOL_SELECTED",
    Fault.ACCEPTS_ANY_SUBPROTOCOL: "RB_SUBPROTOCOL_UNSUPPORTED",
    Fault.NO_PASSWORD_CHECK: "RB_WRONG_PASSWORD",
    Fault.CLOCK_AN_HOUR_AHEAD: "RB_CLOCK_SKEW",
    Fault.TWO_SESSIONS_PER_ID: "RB_TWO_CONNECTIONS",
    Fault.PROBE_HOLDS_ID: "RB_PROBE_CONNECTION",
    Fault.NO_CERTIFICATE_SIGNED: "TC_074_CS",
    Fault.FIRMWARE_STATUS_INTERNAL_ERROR: "RB_FIRMWARE_STATUS",
    Fault.FORGETS_TRANSACTIONS_ON_DISCONNECT: "TC_036_CS",
}
LETTERS: Final = {
    Verdict.PASS: ".",
    Verdict.FAIL: "F",
    Verdict.ERROR: "E",
    Verdict.NOT_APPLICABLE: "n",
    Verdict.NOT_RUN: "r",
}
#: Mutants checked at once (their waits for silence overlap; each has its own server).
CONCURRENT_MUTANTS: Final = 12


async def _verdicts(
    fault: Fault, check_ids: list[str], gate: asyncio.Semaphore
) -> dict[str, Outcome]:
    # The check meant for the mutant runs last: a fault may poison what follows (an id held).
    meant = CAUGHT_BY.get(fault)
    checks = sorted(select(catalogue(), check_ids), key=lambda c: c.id == meant)
    async with gate, mutant(fault, TAGS, PASSWORD) as central:
        run_target = target(central.ws_url)
        return {check.id: await run_check(run_target, check) for check in checks}


def _table(results: dict[Fault, dict[str, Outcome]], columns: list[str]) -> str:
    width = max(len(f.name) for f in results)
    header = [" " * width + "  " + " ".join(f"{i:>2}" for i in range(len(columns)))]
    lines = [
        f"{fault.name:<{width}}  " + " ".join(f"{LETTERS[row[c].verdict]:>2}" for c in columns)
        for fault, row in results.items()
    ]
    legend = [f"{i:>2} {c}" for i, c in enumerate(columns)]
    return "\n".join(header + lines + ["", ". pass  F fail  E error  n not applicable"] + legend)


async def test_every_mutant_is_caught_by_its_check_and_the_faultless_one_passes() -> None:
    columns = sorted(set(CAUGHT_BY.values()), key=lambda c: (c.startswith("RB_"), c))
    assert set(CAUGHT_BY) == set(Fault) - {Fault.NONE}, "a mutant without its check"
    gate = asyncio.Semaphore(CONCURRENT_MUTANTS)
    faults = list(Fault)
    rows = await asyncio.gather(*(_verdicts(fault, columns, gate) for fault in faults))
    results = dict(zip(faults, rows, strict=True))
    print("\nmutants × checks\n" + _table(results, columns))

    clean = {c: o for c, o in results[Fault.NONE].items() if o.verdict is not Verdict.PASS}
    assert not clean, {c: (o.verdict, o.expected, o.reason) for c, o in clean.items()}
    missed = {
        fault.name: (check_id, results[fault][check_id].verdict, results[fault][check_id].reason)
        for fault, check_id in CAUGHT_BY.items()
        if results[fault][check_id].verdict is not Verdict.FAIL
    }
    assert not missed, missed
    errors = [
        (fault.name, c, o.reason)
        for fault, row in results.items()
        for c, o in row.items()
        if o.verdict is Verdict.ERROR
    ]
    assert not errors, errors


def test_a_failed_verdict_names_what_was_expected_and_keeps_the_frames() -> None:
    async def run() -> Outcome:
        check = select(catalogue(), ["TC_023_3_CS"])[0]
        async with mutant(Fault.ACCEPTS_BLOCKED, TAGS, PASSWORD) as central:
            return await run_check(target(central.ws_url), check)

    outcome = asyncio.run(run())
    assert outcome.verdict is Verdict.FAIL
    assert "Blocked" in outcome.expected and "Accepted" in outcome.reason
    sent = [f.text for f in outcome.frames if f.direction.value == "sent"]
    assert any('"Authorize"' in text and "CHK-BLOCKED" in text for text in sent)
    received = [f.text for f in outcome.frames if f.direction.value == "received"]
    assert any('"Accepted"' in text for text in received)
