"""Every check can fail: each runnable check fails against the mutant (a central system with
one fault) meant for it, and passes against the faultless one. Prints the mutants × checks
table (each mutant with the check or checks meant for it, and why they failed)."""

from __future__ import annotations

import asyncio
from typing import Final

from simulator.check.catalogue import Profile, catalogue, select
from simulator.check.runner import run_check
from simulator.check.verdicts import Outcome, Verdict
from tests.check.helpers import PASSWORD, PENDING_ID, TAGS, TIMEOUT_S, target
from tests.check.mutant_csms import Fault, MutantTrigger, mutant

#: The checks meant to catch each mutant.
CAUGHT_BY: Final[dict[Fault, tuple[str, ...]]] = {
    Fault.SILENT_ON_INVALID_JSON: ("RB_INVALID_JSON",),
    Fault.OCPP201_ERROR_NAMES: ("RB_NOT_AN_ARRAY", "RB_INVALID_JSON"),
    Fault.CLOSES_ON_UNKNOWN_ACTION: ("RB_UNKNOWN_ACTION",),
    Fault.INTERNAL_ERROR_ON_MISSING_FIELD: ("RB_MISSING_FIELD",),
    Fault.NO_SCHEMA_VALIDATION: ("RB_EXTRA_PROPERTY", "RB_BAD_ENUM"),
    Fault.GENERIC_ERROR_ON_TYPE: ("RB_WRONG_TYPE",),
    Fault.CLOSES_ON_OVERSIZED: ("RB_OVERSIZED_FRAME",),
    Fault.ANSWERS_STRAY_RESPONSES: ("RB_UNKNOWN_CALLRESULT", "RB_UNKNOWN_CALLERROR"),
    Fault.TRUNCATES_MESSAGE_IDS: ("RB_LONG_MESSAGE_ID",),
    Fault.SILENT_ON_UNKNOWN_MESSAGE_TYPE: ("RB_UNKNOWN_MESSAGE_TYPE",),
    Fault.INTERNAL_ERROR_ON_CENTRAL_SYSTEM_ACTION: ("RB_CENTRAL_SYSTEM_ACTION",),
    Fault.NEW_TRANSACTION_ON_RETRANSMIT: ("RB_RETRANSMITTED_START", "RB_DUPLICATE_MESSAGE_ID"),
    Fault.REUSES_TRANSACTION_ID: ("RB_TRANSACTION_IDS_UNIQUE",),
    Fault.NO_HEARTBEAT_INTERVAL: ("TC_001_CS",),
    Fault.ACCEPTS_BLOCKED: ("TC_023_3_CS",),
    Fault.ACCEPTS_EXPIRED: ("TC_023_2_CS",),
    Fault.ACCEPTS_UNKNOWN: ("TC_023_1_CS",),
    Fault.DROPS_METER_VALUES: ("TC_070_CS",),
    Fault.REFUSES_OFFLINE_START: ("TC_037_1_CS",),
    Fault.STOP_WITHOUT_ID_TAG_INFO: ("TC_068_CS",),
    Fault.CALLERROR_FOR_UNKNOWN_STOP: ("RB_STOP_UNKNOWN_TRANSACTION",),
    Fault.CALLERROR_ON_DATA_TRANSFER: ("TC_064_CS",),
    Fault.PARTIAL_STATUS_ENUM: ("RB_STATUS_EVERY_STATUS",),
    Fault.PICKS_FIRST_SUBPROTOCOL: ("RB_SUBPROTOCOL_SELECTED",),
    Fault.ACCEPTS_ANY_SUBPROTOCOL: ("RB_SUBPROTOCOL_UNSUPPORTED",),
    Fault.NO_PASSWORD_CHECK: ("RB_WRONG_PASSWORD",),
    Fault.CLOCK_AN_HOUR_AHEAD: ("RB_CLOCK_SKEW",),
    Fault.TWO_SESSIONS_PER_ID: ("RB_TWO_CONNECTIONS",),
    Fault.PROBE_HOLDS_ID: ("RB_PROBE_CONNECTION",),
    Fault.NO_CERTIFICATE_SIGNED: ("TC_074_CS",),
    Fault.FIRMWARE_STATUS_INTERNAL_ERROR: ("RB_FIRMWARE_STATUS",),
    Fault.FORGETS_TRANSACTIONS_ON_DISCONNECT: ("TC_036_CS",),
    Fault.TRANSACTION_ID_ZERO: ("TC_003_CS",),
    Fault.AUTHORIZE_NEEDS_PREPARING: ("TC_004_1_CS",),
    Fault.AVAILABLE_AFTER_PREPARING_REFUSED: ("TC_004_2_CS",),
    Fault.EV_DISCONNECTED_REFUSED: ("TC_005_1_CS",),
    Fault.STOP_BEFORE_BOOT_REFUSED: ("TC_032_1_CS",),
    Fault.CONNECTOR_ZERO_ONLY_AVAILABLE: ("TC_034_CS",),
    Fault.INVALID_TAG_START_REFUSED: ("TC_037_3_CS",),
    Fault.STOP_IN_THE_PAST_REFUSED: ("TC_038_CS",),
    Fault.OLD_METER_VALUES_REFUSED: ("TC_039_CS",),
    Fault.METER_VALUES_NEED_TRANSACTION: ("TC_071_CS",),
    Fault.ALWAYS_401: ("TC_085_CS",),
    Fault.SILENT_ON_BINARY: ("RB_BINARY_FRAME",),
    Fault.INTERNAL_ERROR_ON_SHORT_CALL: ("RB_TOO_FEW_ELEMENTS",),
    Fault.PARTIAL_ERROR_CODES: ("RB_STATUS_ERROR_CODES",),
    Fault.DROP_HOLDS_ID: ("RB_RECONNECT_AFTER_DROP",),
    Fault.NO_PONG: ("RB_PING",),
    Fault.SECURITY_EVENT_INTERNAL_ERROR: ("RB_SECURITY_EVENT",),
    Fault.SIGNED_FIRMWARE_PARTIAL_ENUM: ("RB_SIGNED_FIRMWARE_STATUS",),
    Fault.DIAGNOSTICS_PARTIAL_ENUM: ("RB_DIAGNOSTICS_STATUS",),
    Fault.MISSING_CREDENTIALS_LET_IN: ("RB_NO_CREDENTIALS",),
    Fault.FLOOD_CLOSE: ("RB_OFFLINE_QUEUE_REPLAY",),
    Fault.CONNECTION_SLOTS_LEAK: ("RB_RECONNECT_STORM",),
    Fault.BOOT_LOCK: ("RB_BOOT_BURST",),
    Fault.BLOCKS_WHILE_AWAITING: ("RB_INDEPENDENT_DIRECTIONS",),
    Fault.LONG_CALL_IDS: ("TC_074_CS",),
    Fault.CERTIFICATE_SIGNED_OFF_SCHEMA: ("TC_074_CS",),
    Fault.NO_PARENT_ID_TAG: ("TC_069_CS",),
    Fault.ACCEPTS_BLOCKED_ONCE: ("TC_023_3_CS",),
    Fault.NO_LENGTH_CHECK: ("RB_STRING_LENGTH",),
    Fault.OFF_BY_ONE_LENGTH: ("RB_STRING_LENGTH",),
    # -- profiles --
    Fault.LIST_VERSION_NEGATIVE_REFUSED: ("TC_042_1_CS",),
    Fault.LIST_VERSION_ZERO_MISSING: ("TC_042_2_CS", "TC_043_CS"),
    Fault.LOCAL_LIST_EMPTIED: ("TC_043_CS", "TC_008_1_CS"),
    Fault.LOCAL_LIST_VERSION_STALE: ("TC_043_CS", "TC_043_1_CS"),
    Fault.LOCAL_LIST_REFUSAL_CLOSES: ("TC_043_1_CS", "TC_043_2_CS", "TC_043_3_CS"),
    Fault.LOCAL_LIST_VERSION_MISMATCH_UNKNOWN: ("TC_043_2_CS",),
    Fault.START_NEEDS_AUTHORIZE: ("TC_008_1_CS", "TC_008_2_CS"),
    Fault.FIRMWARE_INSTALLED_REFUSED: ("TC_044_1_CS",),
    Fault.FIRMWARE_FAILURE_REFUSED: ("TC_044_2_CS", "TC_044_3_CS"),
    Fault.DIAGNOSTICS_UPLOADED_REFUSED: ("TC_045_1_CS",),
    Fault.DIAGNOSTICS_FAILURE_OFF_SCHEMA: ("TC_045_2_CS",),
    Fault.TRIGGER_CONTEXT_REFUSED: ("TC_054_CS",),
    Fault.REPEATED_STATUS_REFUSED: ("TC_054_CS",),
    Fault.TRIGGER_DROPS_CONNECTOR_ID: ("TC_054_CS", "TC_055_CS"),
    Fault.TRIGGER_REFUSAL_CLOSES: ("TC_055_CS",),
    # Every case the backend initiates waits for a CALL that never comes.
    Fault.TRIGGER_IGNORED: tuple(c.id for c in catalogue() if c.backend_initiated),
    # -- reservation --
    Fault.RESERVED_STATUS_REFUSED: (
        "TC_046_1_CS",
        "TC_046_2_CS",
        "TC_047_CS",
        "TC_051_CS",
        "TC_053_1_CS",
        "TC_053_2_CS",
    ),
    Fault.RESERVED_START_REFUSED: (
        "TC_046_1_CS",
        "TC_046_2_CS",
        "TC_049_CS",
        "TC_053_1_CS",
        "TC_053_2_CS",
    ),
    # Every reservation case but TC_052_CS (no ReserveNow) checks the reservationId.
    Fault.RESERVE_NOW_OTHER_ID: tuple(
        c.id for c in catalogue() if c.profile is Profile.RESERVATION and c.id != "TC_052_CS"
    ),
    Fault.RESERVE_NOW_CONNECTOR_ONE: (
        "TC_049_CS",
        "TC_050_1_CS",
        "TC_050_2_CS",
        "TC_050_3_CS",
        "TC_050_4_CS",
    ),
    Fault.RESERVE_NOW_WITHOUT_PARENT: ("TC_053_1_CS", "TC_053_2_CS"),
    Fault.CANCEL_OTHER_RESERVATION: ("TC_051_CS", "TC_052_CS"),
    Fault.AVAILABLE_AFTER_RESERVED_REFUSED: ("TC_047_CS", "TC_051_CS"),
    Fault.AUTHORIZE_WITHOUT_PARENT: ("TC_053_1_CS", "TC_053_2_CS"),
    Fault.REFUSED_RESERVATION_KEPT: (
        "TC_048_1_CS",
        "TC_048_2_CS",
        "TC_048_3_CS",
        "TC_048_4_CS",
        "TC_050_1_CS",
        "TC_050_2_CS",
        "TC_050_3_CS",
        "TC_050_4_CS",
    ),
    # -- smart --
    Fault.PROFILE_RATE_UNIT_SWAPPED: ("TC_056_CS", "TC_082_CS"),
    Fault.PROFILE_PERIODS_TRUNCATED: ("TC_057_CS", "TC_058_1_CS", "TC_072_CS"),
    Fault.PROFILE_TRANSACTION_ID_DROPPED: ("TC_057_CS", "TC_058_2_CS"),
    Fault.PROFILE_STACK_LEVEL_FLATTENED: ("TC_072_CS",),
    Fault.REMOTE_START_PROFILE_DROPPED: ("TC_059_CS", "TC_060_CS"),
    Fault.CLEAR_PROFILE_WITHOUT_ID: ("TC_067_CS",),
    Fault.COMPOSITE_SCHEDULE_REFUSED: ("TC_066_CS",),
    Fault.METER_VALUES_REFUSED_UNDER_PROFILE: (
        "TC_056_CS",
        "TC_057_CS",
        "TC_059_CS",
        "TC_072_CS",
        "TC_082_CS",
    ),
    Fault.REJECTED_REMOTE_START_HOLDS_TAG: ("TC_060_CS",),
    # -- remote --
    Fault.REMOTE_START_OTHER_CONNECTOR: (
        "TC_010_CS",
        "TC_011_1_CS",
        "TC_011_2_CS",
        "TC_026_CS",
        "TC_027_CS",
        "TC_007_2_CS",
        "TC_023_5_CS",
    ),
    Fault.REMOTE_START_NEEDS_AUTHORIZE: ("TC_010_CS", "TC_007_2_CS"),
    Fault.REMOTE_START_CONCURRENT_TX: ("TC_011_1_CS",),
    Fault.REMOTE_START_TIMEOUT_REFUSED: ("TC_011_2_CS",),
    Fault.REMOTE_TAG_TRUSTED: ("TC_023_5_CS",),
    Fault.REMOTE_STOP_OTHER_TRANSACTION: ("TC_012_CS", "TC_028_CS"),
    Fault.REMOTE_STOP_REASON_REFUSED: ("TC_012_CS",),
    Fault.UNLOCK_COMMAND_REASON_REFUSED: ("TC_018_1_CS",),
    Fault.UNLOCK_OTHER_CONNECTOR: (
        "TC_017_1_CS",
        "TC_017_2_CS",
        "TC_018_1_CS",
        "TC_018_2_CS",
        "TC_030_CS",
        "TC_031_CS",
    ),
    Fault.ENDS_TRANSACTION_ON_CALL: ("TC_018_2_CS", "TC_028_CS"),
    Fault.CLOSES_UNLESS_ACCEPTED: (
        "TC_017_2_CS",
        "TC_026_CS",
        "TC_027_CS",
        "TC_028_CS",
        "TC_030_CS",
        "TC_031_CS",
        "RB_CHANGE_AVAILABILITY_SCHEDULED",
    ),
    Fault.UNAVAILABLE_REFUSED: ("RB_CHANGE_AVAILABILITY", "RB_CHANGE_AVAILABILITY_SCHEDULED"),
    # -- sessions --
    Fault.BOOT_AFTER_RESET_REJECTED: ("TC_013_CS", "TC_014_CS", "TC_015_CS", "TC_016_CS"),
    Fault.RESET_ALWAYS_SOFT: ("TC_013_CS", "TC_015_CS"),
    Fault.RESET_ALWAYS_HARD: ("TC_014_CS", "TC_016_CS"),
    Fault.HARD_RESET_STOP_REFUSED: ("TC_015_CS",),
    Fault.SOFT_RESET_STOP_REFUSED: ("TC_016_CS",),
    Fault.GET_CONFIGURATION_ADDS_KEY: ("TC_019_1_CS",),
    Fault.GET_CONFIGURATION_DROPS_KEY: ("TC_019_2_CS",),
    Fault.CONFIGURATION_VALUE_AS_NUMBER: ("TC_021_CS", "TC_040_2_CS"),
    Fault.NOT_ACCEPTED_FAILS_TRIGGER: ("TC_040_1_CS", "TC_040_2_CS", "TC_062_CS"),
    Fault.FAULT_INFO_REFUSED: ("TC_041_CS", "TC_024_CS"),
    Fault.BOOT_CLOSES_TRANSACTIONS: ("TC_032_2_CS", "TC_015_CS"),
    Fault.CLEAR_CACHE_FORGETS_TAGS: ("TC_061_CS",),
    Fault.STOP_NEEDS_ID_TAG: ("TC_005_2_CS", "TC_023_4_CS"),
    Fault.CHARGING_AFTER_SUSPENDED_EV_REFUSED: ("TC_005_3_CS",),
    Fault.START_NEEDS_AUTHORIZE_ON_CONNECTION: ("TC_007_1_CS",),
    Fault.INVALID_AUTHORIZE_HOLDS_CONNECTOR: ("TC_023_4_CS",),
    Fault.LOCK_FAILURE_REFUSED: ("TC_024_CS",),
    Fault.INVALID_TX_METER_VALUES_REFUSED: ("TC_037_2_CS",),
    Fault.PENDING_FOREVER: ("TC_002_CS",),
    Fault.METER_VALUES_RATE_LIMITED: ("TC_021_CS",),
    # -- security --
    Fault.INSTALL_CERTIFICATE_CUT: ("TC_075_1_CS", "TC_075_2_CS"),
    Fault.DELETE_CERTIFICATE_OTHER_SERIAL: ("TC_076_CS",),
    Fault.CERTIFICATE_EVENTS_REFUSED: ("TC_077_CS", "TC_078_CS"),
    Fault.LOG_UPLOADED_REFUSED: ("TC_079_CS",),
    Fault.SIGNED_FIRMWARE_INSTALLED_REFUSED: ("TC_080_CS",),
    Fault.FIRMWARE_SIGNATURE_EVENT_REFUSED: ("TC_081_CS",),
    Fault.SECURITY_PROFILE_AS_NUMBER: ("TC_083_CS",),
    Fault.REJECTED_DOWNGRADE_TAKEN: ("TC_084_CS",),
    Fault.AUTHORIZATION_KEY_NOT_TAKEN: ("TC_073_CS",),
}
#: Checked elsewhere: the TLS checks need a wss:// mutant (test_tls.py).
ELSEWHERE: Final = {"TC_086_CS", "TC_087_CS"}
#: Mutants checked at once (their waits for silence overlap; each has its own server).
#: The test waits, it hardly computes (3 CPU s in 20 to 30 s), so more at once costs nothing:
#: 24 servers of 4 checks took 19.7 s where 12 of 8 took 31.2 s (load 16, 2026-12-02).
CONCURRENT_MUTANTS: Final = 24
#: A mutant meant for more checks than this is run as several servers of that fault (a
#: server's checks run one after another: its chain of 3 s silences is the critical path).
CHECKS_PER_SERVER: Final = 4


async def _verdicts(
    fault: Fault, check_ids: list[str], gate: asyncio.Semaphore
) -> dict[str, Outcome]:
    async def server(ids: list[str]) -> dict[str, Outcome]:
        async with gate, mutant(fault, TAGS, PASSWORD) as central:
            trigger = MutantTrigger(central, TIMEOUT_S)
            run_target = target(central.ws_url, trigger=trigger, pending_charge_point_id=PENDING_ID)
            return {c.id: await run_check(run_target, c) for c in select(catalogue(), ids)}

    chunks = [
        check_ids[i : i + CHECKS_PER_SERVER] for i in range(0, len(check_ids), CHECKS_PER_SERVER)
    ]
    verdicts: dict[str, Outcome] = {}
    for part in await asyncio.gather(*(server(ids) for ids in chunks)):
        verdicts.update(part)
    return verdicts


def _table(results: dict[Fault, dict[str, Outcome]]) -> str:
    rows = [("mutant", "fault", "check", "verdict", "why")]
    for fault, outcomes in results.items():
        for check_id, outcome in outcomes.items():
            why = outcome.reason if fault is not Fault.NONE else ""
            rows.append((fault.name, fault.value, check_id, outcome.verdict.value, why[:70]))
            if fault is Fault.NONE:
                passed = sum(o.verdict is Verdict.PASS for o in outcomes.values())
                rows[-1] = ("NONE", "no fault", f"all {len(outcomes)} checks", f"{passed} pass", "")
                break
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    )


async def test_every_check_fails_against_the_mutant_meant_for_it_and_passes_without_faults() -> (
    None
):
    runnable = [c.id for c in catalogue() if c.id not in ELSEWHERE]
    meant = {check_id for checks in CAUGHT_BY.values() for check_id in checks}
    assert set(CAUGHT_BY) == set(Fault) - {Fault.NONE}, "a mutant without its check"
    assert meant == set(runnable), f"checks without a mutant: {set(runnable) - meant}"
    gate = asyncio.Semaphore(CONCURRENT_MUTANTS)
    plan = {Fault.NONE: runnable} | {fault: list(ids) for fault, ids in CAUGHT_BY.items()}
    rows = await asyncio.gather(*(_verdicts(fault, ids, gate) for fault, ids in plan.items()))
    results = dict(zip(plan, rows, strict=True))
    print(
        f"\nmutants × checks ({len(CAUGHT_BY)} mutants, {len(runnable)} checks)\n" + _table(results)
    )

    clean = {c: o for c, o in results[Fault.NONE].items() if o.verdict is not Verdict.PASS}
    assert not clean, {c: (o.verdict, o.expected, o.reason) for c, o in clean.items()}
    missed = {
        (fault.name, check_id): (outcome.verdict, outcome.reason)
        for fault, outcomes in results.items()
        if fault is not Fault.NONE
        for check_id, outcome in outcomes.items()
        if outcome.verdict is not Verdict.FAIL
    }
    assert not missed, missed


def test_a_failed_verdict_names_what_was_expected_and_keeps_the_frames() -> None:
    async def run() -> Outcome:
        check = select(catalogue(), ["TC_023_3_CS"])[0]
        async with mutant(Fault.ACCEPTS_BLOCKED, TAGS, PASSWORD) as central:
            return await run_check(target(central.ws_url), check)

    outcome = asyncio.run(run())
    assert outcome.verdict is Verdict.FAIL
    assert "Blocked" in outcome.expected
    assert "Accepted" in outcome.reason
    sent = [f.text for f in outcome.frames if f.direction.value == "sent"]
    assert any('"Authorize"' in text and "CHK-BLOCKED" in text for text in sent)
    received = [f.text for f in outcome.frames if f.direction.value == "received"]
    assert any('"Accepted"' in text for text in received)
