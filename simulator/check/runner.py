"""Run checks one after another against a target and turn what happened into verdicts.

Before any check, `preflight` opens one connection: an unreachable backend, or one that
refuses the run's own charge point id or credentials, is a `UserError` (one line, exit 2),
not fifty fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Final

from simulator.check.catalogue import Check
from simulator.check.context import CheckContext, Target, basic_auth
from simulator.check.evidence import Direction
from simulator.check.station import OCPP16, HandshakeRefused, connected
from simulator.check.trigger import TriggerFailed
from simulator.check.verdicts import CheckFailed, NotApplicable, NotRun, Outcome, Verdict
from simulator.errors import UserError


def budget_s(target: Target) -> float:
    """The bound of one check in all (each of its waits is bounded by timeout_s already, a
    wait for a person by trigger_wait_s: room for three of those)."""
    return 12 * target.timeout_s + 5 + 3 * (target.trigger_wait_s or 0.0)


async def preflight(target: Target) -> None:
    """One handshake as the run's charge point; a refusal is the user's to fix."""

    def ignore(direction: Direction, text: str) -> None:
        pass

    headers = (
        basic_auth(target.charge_point_id, target.password) if target.password is not None else {}
    )
    url = target.url_for(target.charge_point_id)
    other_version = target.ocpp_version != OCPP16
    try:
        async with connected(
            url,
            record=ignore,
            timeout_s=target.timeout_s,
            headers=headers,
            ssl_context=target.ssl_context,
            version=target.ocpp_version,
        ) as station:
            selected = station.subprotocol
    except HandshakeRefused as refused:
        if refused.status == 400 and other_version:
            hint = f"does it speak {target.ocpp_version}? --ocpp chooses the version"
        elif refused.status == 401:
            hint = "check --password-file or CHARGENET_CSMS_PASSWORD"
        elif refused.status in (403, 404):
            hint = f"does it know charge point id {target.charge_point_id!r}? (--id)"
        elif refused.status == 409:
            hint = f"another connection holds charge point id {target.charge_point_id!r}"
        elif refused.status in (429, 503):
            hint = "it refuses connections for now: try again later"
        else:
            hint = "is it running, and is the URL right?"
        raise UserError(f"backend {url} unusable: {refused.reason} ({hint})") from None
    if other_version and selected != target.ocpp_version:
        raise UserError(
            f"backend {url} does not speak {target.ocpp_version}: the handshake selected "
            f"{selected or 'no subprotocol'} (--ocpp chooses the version)"
        )


#: The tag statuses a run provisions through its trigger when --id-tags names none.
PROVISIONED_STATUSES: Final = ("Accepted", "Blocked", "Expired")


async def provision_tags(target: Target) -> Target:
    """With a trigger, the id tags no --id-tags file gave: new tags of each status (and two
    Accepted ones of one group) the backend is made to know through create-token. A trigger
    that cannot is the user's to fix (a `UserError`)."""
    trigger = target.trigger
    if trigger is None:
        return target
    run = secrets.token_hex(4).upper()
    tags = dict(target.id_tags)
    siblings = target.sibling_tags
    try:
        for status in PROVISIONED_STATUSES:
            if status not in tags:
                tags[status] = f"CHK-{run}-{status[:3].upper()}"
                await trigger.create_token(tags[status], status)
        if siblings is None:
            parent = f"CHK-{run}-GRP"
            siblings = (f"{parent}-1", f"{parent}-2", parent)
            await trigger.create_token(parent, "Accepted")
            for tag in siblings[:2]:
                await trigger.create_token(tag, "Accepted", parent_id_tag=parent)
    except TriggerFailed as failed:
        raise UserError(
            f"cannot create the run's id tags through {trigger.description}: {failed}"
        ) from None
    return dataclasses.replace(target, id_tags=tags, sibling_tags=siblings)


#: Frames of these files are the framework's or a library's, not the check's own line.
_FRAMEWORK: Final = (
    "site-packages",
    "/ocppj/",
    "/simulator/check/station.py",
    "/simulator/check/context.py",
    "/simulator/check/runner.py",
)


def _where_it_broke(exc: Exception) -> str:
    """The exception and the deepest line of the check's own code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not any(part in f.filename for part in _FRAMEWORK)]
    frame = (own or frames)[-1]
    text = str(exc)
    name = type(exc).__name__
    message = text if text.startswith(name) else f"{name}: {text}"
    return f"{message} (at {frame.filename}:{frame.lineno})"


async def run_check(target: Target, check: Check) -> Outcome:
    context = CheckContext(target, check)
    started = time.monotonic()
    expected = ""
    try:
        async with asyncio.timeout(budget_s(target)):
            await check.run(context)
        verdict, reason = Verdict.PASS, "as expected"
        violations = context.backend_violations()
        if violations:
            verdict, reason = Verdict.FAIL, "; ".join(violations)
            expected = (
                "every CALL of the backend valid: a central-system action, schema-valid, "
                "a message id of at most 36 characters"
            )
    except CheckFailed as failed:
        verdict, reason, expected = Verdict.FAIL, failed.observed, failed.expected
    except NotApplicable as exc:
        verdict, reason = Verdict.NOT_APPLICABLE, str(exc)
    except NotRun as exc:
        verdict, reason = Verdict.NOT_RUN, str(exc)
    except TimeoutError:
        verdict = Verdict.FAIL
        reason = f"the check did not finish within {budget_s(target):g} s"
        expected = "the backend to answer each message within the timeout"
    except HandshakeRefused as refused:
        verdict, reason = Verdict.FAIL, refused.reason
        expected = "the websocket handshake to succeed"
    except Exception as exc:  # the check itself broke: its error, not the backend's fail
        verdict, reason = Verdict.ERROR, _where_it_broke(exc)
    return Outcome(
        check.id,
        verdict,
        reason,
        expected,
        tuple(context.frames),
        time.monotonic() - started,
    )


async def run_checks(
    target: Target,
    checks: Sequence[Check],
    on_outcome: Callable[[Check, Outcome], None] | None = None,
    *,
    retries: int = 0,
) -> list[Outcome]:
    """Every check in order (one at a time: they share the charge point id).

    A fail is run again up to `retries` times (a backend under test may restart or stall for
    a moment); a later pass is reported as a pass that names the failed attempt.
    """
    outcomes = []
    for check in checks:
        outcome = await run_check(target, check)
        for attempt in range(2, retries + 2):
            if outcome.verdict is not Verdict.FAIL:
                break
            again = await run_check(target, check)
            if again.verdict is Verdict.PASS:
                first = f"expected {outcome.expected}; got {outcome.reason}"
                again = dataclasses.replace(
                    again, reason=f"passed on attempt {attempt}; attempt 1 failed: {first}"
                )
            outcome = again
        if on_outcome is not None:
            on_outcome(check, outcome)
        outcomes.append(outcome)
    return outcomes
