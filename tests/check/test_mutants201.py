"""Every 2.0.1 check can fail: each fails against the built-in central system with the one
fault meant for it (tests/check/mutant_csms201.py), and passes against it without faults.
Prints the mutants × checks table. (The TLS cases need wss://: test_tls201.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Final

from ocppj.versions import OCPP201
from simulator.check.catalogue import catalogue, select
from simulator.check.runner import run_check
from simulator.check.verdicts import Outcome, Verdict
from tests.check.helpers import PENDING_ID, TIMEOUT_S, target
from tests.check.mutant_csms201 import REJECTED_ID, Fault, mutant201, mutant_sessions

#: The checks meant to catch each mutant (append a block per set of cases).
CAUGHT_BY: Final[dict[Fault, tuple[str, ...]]] = {
    # -- A: security --
    Fault.ALWAYS_401: ("TC_A_01_CSMS",),
    Fault.USERNAME_NOT_CHECKED: ("TC_A_02_CSMS",),
    Fault.NO_PASSWORD_CHECK: ("TC_A_02_CSMS", "TC_A_03_CSMS", "TC_A_10_CSMS"),
    Fault.NEW_PASSWORD_NOT_TAKEN: ("TC_A_09_CSMS",),
    Fault.REJECTED_PASSWORD_TAKEN: ("TC_A_10_CSMS",),
    Fault.SIGN_CERTIFICATE_TYPE_REFUSED: ("TC_A_11_CSMS", "TC_A_14_CSMS"),
    Fault.CHAIN_WITHOUT_LEAF: ("TC_A_11_CSMS",),
    Fault.PROFILE_NOT_RAISED: ("TC_A_19_CSMS",),
    # -- B: provisioning --
    Fault.BOOT_INTERVAL_ZERO: ("TC_B_01_CSMS",),
    Fault.HEARTBEAT_TIME_WITHOUT_OFFSET: ("TC_B_01_CSMS",),
    Fault.STATUS_REFUSED: ("TC_B_01_CSMS", "TC_B_02_CSMS"),
    Fault.PENDING_FOREVER: ("TC_B_02_CSMS",),
    Fault.REJECTED_STATION_SERVED: ("TC_B_30_CSMS",),
    Fault.NO_CALLS_BEFORE_ACCEPTED: ("TC_B_31_CSMS",),
    Fault.VARIABLE_INSTANCE_ADDED: (
        "TC_B_06_CSMS",
        "TC_B_07_CSMS",
        "TC_B_09_CSMS",
        "TC_B_10_CSMS",
    ),
    Fault.GET_VARIABLES_FIRST_ONLY: ("TC_B_07_CSMS",),
    Fault.UNKNOWN_COMPONENT_FAILS: ("TC_B_07_CSMS",),
    Fault.SET_VARIABLES_VALUE_ZERO: ("TC_B_09_CSMS", "TC_B_10_CSMS"),
    Fault.REJECTED_VARIABLE_FAILS: ("TC_B_10_CSMS",),
    Fault.NOTIFY_REPORT_REFUSED: ("TC_B_12_CSMS", "TC_B_13_CSMS", "TC_B_14_CSMS"),
    Fault.NOTIFY_REPORT_TBC_REFUSED: ("TC_B_13_CSMS",),
    Fault.BASE_REPORT_ALWAYS_FULL: ("TC_B_12_CSMS", "TC_B_14_CSMS"),
    Fault.BOOT_AFTER_RESET_REJECTED: ("TC_B_20_CSMS", "TC_B_21_CSMS", "TC_B_22_CSMS"),
    Fault.RESET_ALWAYS_IMMEDIATE: ("TC_B_20_CSMS", "TC_B_21_CSMS"),
    Fault.RESET_ALWAYS_ON_IDLE: ("TC_B_22_CSMS",),
    Fault.RESET_SCHEDULED_FAILS: ("TC_B_21_CSMS",),
    Fault.RESET_EVENT_REFUSED: ("TC_B_20_CSMS", "TC_B_21_CSMS", "TC_B_22_CSMS"),
    Fault.IMMEDIATE_RESET_END_REFUSED: ("TC_B_22_CSMS",),
    Fault.EV_DISCONNECTED_END_REFUSED: ("TC_B_21_CSMS",),
    # -- P: data transfer --
    Fault.UNKNOWN_VENDOR_ERROR: ("TC_P_02_CSMS",),
    Fault.DATA_TRANSFER_ALWAYS_ACCEPTED: ("TC_P_02_CSMS",),
    Fault.DATA_TRANSFER_DATA_AS_TEXT: ("RB_DATA_TRANSFER_TO_STATION",),
    # -- robustness --
    Fault.PICKS_FIRST_SUBPROTOCOL: ("RB_SUBPROTOCOL_SELECTED",),
    Fault.FORCES_OCPP201: ("RB_SUBPROTOCOL_UNSUPPORTED",),
    Fault.PROBE_HOLDS_ID: ("RB_PROBE_CONNECTION",),
    # Every case the backend initiates waits for a CALL that never comes.
    Fault.TRIGGER_IGNORED: tuple(c.id for c in catalogue(OCPP201) if c.backend_initiated),
    # -- C: authorization (check201b) --
    Fault.ACCEPTS_UNKNOWN_TOKEN: ("TC_C_02_CSMS",),
    Fault.ACCEPTS_BLOCKED_TOKEN: ("TC_C_06_CSMS",),
    Fault.ACCEPTS_EXPIRED_TOKEN: ("TC_C_07_CSMS",),
    Fault.EVENT_TOKEN_INFO_ONLY_ON_STARTED: (
        "TC_C_08_CSMS",
        "TC_C_20_CSMS",
        "TC_E_03_CSMS",
        "TC_E_07_CSMS",
        "TC_E_15_CSMS",
        "TC_F_01_CSMS",
    ),
    Fault.EVENT_TOKENS_TRUSTED: ("TC_C_20_CSMS", "TC_E_16_CSMS"),
    Fault.CLEAR_CACHE_FORGETS_TOKENS: ("TC_C_37_CSMS",),
    Fault.CLOSES_UNLESS_ACCEPTED: (
        "TC_C_38_CSMS",
        "TC_F_27_CSMS",
        "TC_G_11_CSMS",
        "TC_G_14_CSMS",
        "TC_G_17_CSMS",
    ),
    Fault.NO_GROUP_ID_TOKEN: ("TC_C_39_CSMS",),
    # -- E: transactions (check201b) --
    Fault.STARTED_NEEDS_ID_TOKEN: (
        "TC_E_03_CSMS",
        "TC_C_08_CSMS",
        "TC_C_20_CSMS",
        "TC_F_01_CSMS",
        "TC_J_07_CSMS",
    ),
    Fault.NO_EVENT_ID_TOKEN_INFO: (
        "TC_E_01_CSMS",
        "TC_E_02_CSMS",
        "TC_E_04_CSMS",
        "TC_E_10_CSMS",
        "TC_E_39_CSMS",
        "TC_F_02_CSMS",
        "TC_F_03_CSMS",
        "TC_F_04_CSMS",
        "TC_J_08_CSMS",
    ),
    Fault.ENDED_ONLY_LOCAL: (
        "TC_E_14_CSMS",
        "TC_E_16_CSMS",
        "TC_E_20_CSMS",
        "TC_E_21_CSMS",
        "TC_E_22_CSMS",
        "TC_E_39_CSMS",
    ),
    Fault.STOPPED_REASON_REQUIRED: ("TC_E_07_CSMS",),
    Fault.SEQ_NO_PER_STATION: ("TC_E_53_CSMS",),
    Fault.OFFLINE_EVENTS_REFUSED: ("TC_E_29_CSMS", "TC_E_31_CSMS", "TC_E_33_CSMS"),
    Fault.TRANSACTION_STATUS_OTHER_ID: ("TC_E_29_CSMS", "TC_E_30_CSMS", "TC_E_31_CSMS"),
    Fault.TRANSACTION_STATUS_ADDS_ID: ("TC_E_33_CSMS", "TC_E_34_CSMS"),
    Fault.SUSPENDED_EV_REFUSED: ("TC_E_01_CSMS", "TC_E_22_CSMS", "TC_E_38_CSMS"),
    Fault.EV_SIDE_DISCONNECT_ENDS: ("TC_E_26_CSMS",),
    Fault.STOP_AUTHORIZED_ENDS: ("TC_E_08_CSMS",),
    Fault.REQUEST_STOP_OTHER_ID: ("TC_E_21_CSMS",),
    Fault.TOKEN_NEEDS_AUTHORIZE: ("TC_E_10_CSMS", "TC_C_08_CSMS", "TC_F_03_CSMS"),
    # -- F: remote control (check201b) --
    Fault.REQUEST_START_OTHER_EVSE: (
        "TC_F_01_CSMS",
        "TC_F_02_CSMS",
        "TC_F_03_CSMS",
        "TC_F_04_CSMS",
    ),
    Fault.UNLOCK_OTHER_CONNECTOR: ("TC_F_06_CSMS",),
    Fault.TRIGGER_MESSAGE_DROPS_EVSE: (
        "TC_F_11_CSMS",
        "TC_F_13_CSMS",
        "TC_F_23_CSMS",
        "TC_F_24_CSMS",
    ),
    Fault.TRIGGER_READINGS_REFUSED: (
        "TC_F_11_CSMS",
        "TC_F_12_CSMS",
        "TC_F_13_CSMS",
        "TC_F_14_CSMS",
    ),
    Fault.TRIGGER_MESSAGE_AS_STATUS: ("TC_F_15_CSMS", "TC_F_18_CSMS", "TC_F_20_CSMS"),
    Fault.IDLE_NOTIFICATION_REFUSED: ("TC_F_15_CSMS", "TC_F_18_CSMS"),
    Fault.NOTIFY_EVENT_UNSUPPORTED: (
        "TC_F_23_CSMS",
        "TC_F_24_CSMS",
        "TC_G_03_CSMS",
        "TC_G_06_CSMS",
        "TC_G_20_CSMS",
    ),
    # -- G: availability (check201b) --
    Fault.AVAILABILITY_DROPS_EVSE: (
        "TC_G_03_CSMS",
        "TC_G_04_CSMS",
        "TC_G_07_CSMS",
        "TC_G_08_CSMS",
        "TC_G_11_CSMS",
        "TC_G_17_CSMS",
    ),
    Fault.AVAILABILITY_DROPS_CONNECTOR: ("TC_G_07_CSMS", "TC_G_08_CSMS", "TC_G_17_CSMS"),
    Fault.AVAILABILITY_ALWAYS_INOPERATIVE: ("TC_G_04_CSMS", "TC_G_06_CSMS", "TC_G_08_CSMS"),
    Fault.AVAILABILITY_ADDS_EVSE: ("TC_G_05_CSMS", "TC_G_06_CSMS", "TC_G_14_CSMS"),
    Fault.UNAVAILABLE_REFUSED: (
        "TC_G_03_CSMS",
        "TC_G_05_CSMS",
        "TC_G_07_CSMS",
        "TC_G_11_CSMS",
        "TC_G_14_CSMS",
        "TC_G_17_CSMS",
    ),
    # -- J: meter values (check201b) --
    Fault.CLOCK_READINGS_REFUSED: (
        "TC_J_01_CSMS",
        "TC_J_02_CSMS",
        "TC_J_03_CSMS",
        "TC_J_04_CSMS",
    ),
    Fault.SIGNED_READINGS_REFUSED: ("TC_J_04_CSMS", "TC_J_11_CSMS"),
    Fault.MAIN_METER_REFUSED: ("TC_J_01_CSMS",),
    Fault.METER_VALUES_IN_TRANSACTION_REFUSED: ("TC_J_02_CSMS",),
    Fault.STARTED_WITHOUT_EVSE_REFUSED: ("TC_J_08_CSMS",),
    Fault.BEGIN_READING_OUTSIDE_STARTED_REFUSED: ("TC_J_08_CSMS",),
    Fault.ENDED_READINGS_REFUSED: (
        "TC_J_03_CSMS",
        "TC_J_04_CSMS",
        "TC_J_10_CSMS",
        "TC_J_11_CSMS",
    ),
    Fault.PERIODIC_UPDATES_REFUSED: ("TC_J_09_CSMS",),
    # -- B: the rest of Core (core201b) --
    Fault.RESET_DROPS_EVSE: ("TC_B_25_CSMS", "TC_B_26_CSMS", "TC_B_27_CSMS"),
    Fault.GET_REPORT_DROPS_CRITERIA: ("TC_B_18_CSMS",),
    Fault.GET_VARIABLES_NOT_SPLIT: ("TC_B_08_CSMS",),
    Fault.NETWORK_PROFILE_OTHER_URL: ("TC_B_42_CSMS", "TC_B_44_CSMS"),
    Fault.NETWORK_PROFILE_REJECTED_FAILS: ("TC_B_44_CSMS",),
}
#: Checked elsewhere: the TLS cases need a wss:// central system (test_tls201.py).
ELSEWHERE: Final = {"TC_A_04_CSMS", "TC_A_06_CSMS", "TC_A_07_CSMS", "TC_A_08_CSMS"}
#: Mutants served at once (their waits for silence overlap; each has its own server).
CONCURRENT_MUTANTS: Final = 8
#: A mutant meant for more checks than this is run as several servers of that fault.
CHECKS_PER_SERVER: Final = 4
#: The wait for a triggered CALL where the fault is that none comes (nothing late is missed:
#: a silent mutant sends nothing at all).
SILENT_WAIT_S: Final = {Fault.TRIGGER_IGNORED: 1.0}


async def _verdicts(
    folder: Path, fault: Fault, check_ids: list[str], gate: asyncio.Semaphore
) -> dict[str, Outcome]:
    async def server(part: int, ids: list[str]) -> dict[str, Outcome]:
        async with (
            gate,
            mutant201(folder / f"{fault.name}-{part}", fault, timeout_s=TIMEOUT_S) as m,
        ):
            run_target = target(
                m.ws_url,
                trigger=m.trigger,
                pending_charge_point_id=PENDING_ID,
                rejected_charge_point_id=REJECTED_ID,
                ocpp_version=OCPP201,
                trigger_wait_s=SILENT_WAIT_S.get(fault),
            )
            return {c.id: await run_check(run_target, c) for c in select(catalogue(OCPP201), ids)}

    chunks = [
        check_ids[i : i + CHECKS_PER_SERVER] for i in range(0, len(check_ids), CHECKS_PER_SERVER)
    ]
    verdicts: dict[str, Outcome] = {}
    for part in await asyncio.gather(*(server(n, ids) for n, ids in enumerate(chunks))):
        verdicts.update(part)
    return verdicts


def _table(results: dict[Fault, dict[str, Outcome]]) -> str:
    rows = [("mutant", "fault", "check", "verdict", "why")]
    for fault, outcomes in results.items():
        if fault is Fault.NONE:
            passed = sum(o.verdict is Verdict.PASS for o in outcomes.values())
            rows.append(("NONE", "no fault", f"all {len(outcomes)} checks", f"{passed} pass", ""))
            continue
        for check_id, outcome in outcomes.items():
            rows.append(
                (fault.name, fault.value, check_id, outcome.verdict.value, outcome.reason[:70])
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    )


async def test_every_2_0_1_check_fails_against_its_mutant_and_passes_without_faults(
    tmp_path: Path,
) -> None:
    runnable = [c.id for c in catalogue(OCPP201) if c.id not in ELSEWHERE]
    meant = {check_id for checks in CAUGHT_BY.values() for check_id in checks}
    assert set(CAUGHT_BY) == set(Fault) - {Fault.NONE}, "a mutant without its check"
    assert meant == set(runnable), f"checks without a mutant: {set(runnable) - meant}"
    gate = asyncio.Semaphore(CONCURRENT_MUTANTS)
    plan = {Fault.NONE: runnable} | {fault: list(ids) for fault, ids in CAUGHT_BY.items()}
    with mutant_sessions():
        rows = await asyncio.gather(
            *(_verdicts(tmp_path, fault, ids, gate) for fault, ids in plan.items())
        )
    results = dict(zip(plan, rows, strict=True))
    print(
        f"\n2.0.1 mutants × checks ({len(CAUGHT_BY)} mutants, {len(runnable)} checks)\n"
        + _table(results)
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
