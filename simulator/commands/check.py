"""`chargenet check URL`: test an OCPP 1.6J or 2.0.1 backend (`--ocpp`), a verdict per check
(docs/checking.md)."""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from simulator.commands import _credentials as credentials
from simulator.errors import UserError

if TYPE_CHECKING:  # imported where used: `chargenet` imports every command's module at start
    import ssl

    from rich.console import Console

    from simulator.check.catalogue import Check
    from simulator.check.context import Target
    from simulator.check.prompt import PromptTrigger
    from simulator.check.reports.model import Run
    from simulator.check.trigger import HttpTrigger

#: The trigger's bearer token when --trigger-token-file is not given (the built-in central
#: system's operator API token, under the name `chargenet csms call` reads it from).
TRIGGER_TOKEN_ENVIRONMENT_VARIABLE: Final = "CHARGENET_CSMS_API_TOKEN"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _count(text: str) -> int:
    value = _positive(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


def _list(text: str) -> list[str]:
    return [item for item in text.split(",") if item.strip()]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="test an OCPP 1.6J or 2.0.1 backend for conformance: a verdict per check",
        description="Run the catalogue of checks against the central system at URL as a "
        "scripted charge point, and print a verdict per check. Exit 0 when every check that "
        "ran passed, 1 after a fail or error, 2 for a usage error or an unreachable backend.",
    )
    p.add_argument("url", nargs="?", help="ws:// or wss:// URL; the charge point id is appended")
    p.add_argument("--list", action="store_true", help="print the catalogue and exit")
    p.add_argument(
        "--ocpp",
        default="1.6",
        metavar="VERSION",
        help="the OCPP version to check: 1.6 (default) or 2.0.1 (its own catalogue, the "
        "ocpp2.0.1 subprotocol, the trigger's /api/octt/2.0.1 paths)",
    )
    p.add_argument(
        "--markdown", action="store_true", help="with --list: print it as a Markdown table"
    )
    p.add_argument(
        "--only",
        type=_list,
        default=[],
        metavar="ID,...",
        help="only these checks (ids or patterns such as 'TC_023_*')",
    )
    p.add_argument(
        "--profile",
        type=_list,
        default=[],
        metavar="P,...",
        help="only checks of these profiles (Core, FirmwareManagement, Security, ...)",
    )
    p.add_argument(
        "--id",
        default="chargenet-check",
        metavar="CP_ID",
        help="the charge point id to connect as (default chargenet-check)",
    )
    p.add_argument(
        "--pending-id",
        metavar="CP_ID",
        help="a charge point id the backend answers Pending at its first boot (TC_002_CS, "
        "TC_B_02_CSMS; not applicable without it)",
    )
    p.add_argument(
        "--rejected-id",
        metavar="CP_ID",
        help="a charge point id the backend answers Rejected at every boot (TC_B_30_CSMS; "
        "not applicable without it)",
    )
    p.add_argument(
        "--id-tags",
        type=Path,
        metavar="FILE",
        help="id tags the backend knows: CSV id_tag,status (the built-in central "
        "system's --id-tags format); checks needing a tag of a status not in it are "
        "not applicable",
    )
    credentials.add_password_arguments(p)
    p.add_argument(
        "--trigger",
        metavar="URL",
        help="the backend's OCTT trigger API (http://host:port): POST "
        "{URL}/api/octt/1.6/{id}/{kebab-action} makes it send a call, so the cases it "
        "initiates run; the built-in central system serves it on its operator API",
    )
    p.add_argument(
        "--trigger-token-file",
        type=Path,
        metavar="FILE",
        help="bearer token for --trigger on this file's first line "
        f"(or set {TRIGGER_TOKEN_ENVIRONMENT_VARIABLE}; the built-in's api_token)",
    )
    p.add_argument(
        "--prompt-timeout",
        type=_positive,
        default=120.0,
        metavar="S",
        help="without --trigger, on a terminal: how long each prompt (what to make the "
        "backend send, or do and confirm with Enter) waits (default 120)",
    )
    p.add_argument(
        "--ca", type=Path, metavar="FILE", help="CA certificate(s) to verify a wss:// backend"
    )
    p.add_argument(
        "--cert",
        type=Path,
        metavar="FILE",
        help="client certificate (PEM) for security profile 3 (with --key)",
    )
    p.add_argument("--key", type=Path, metavar="FILE", help="the unencrypted key of --cert")
    p.add_argument(
        "--timeout",
        type=_positive,
        default=10.0,
        metavar="S",
        help="bound of every wait for the backend (default 10)",
    )
    p.add_argument(
        "--connectors",
        type=_count,
        default=2,
        metavar="N",
        help="connectors of the scripted charge point (default 2)",
    )
    p.add_argument(
        "--max-skew-s",
        type=_positive,
        default=60.0,
        metavar="S",
        help="most the backend's clock may differ from ours (default 60)",
    )
    p.add_argument(
        "--oversized-bytes",
        type=_count,
        default=100_000,
        metavar="N",
        help="size of RB_OVERSIZED_FRAME's frame (default 100000)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=0,
        choices=range(0, 4),
        metavar="N",
        help="run a failed check again up to N times (0-3; default 0); a later pass is reported "
        "as a pass naming the failed attempt",
    )
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the verdicts as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report")


def ocpp_version(text: str) -> str:
    """The subprotocol name of `--ocpp`'s value; an unknown one is the user's to fix."""
    from simulator.check.catalogue import OCPP_VERSIONS

    version = OCPP_VERSIONS.get(text.strip())
    if version is None:
        known = ", ".join(OCPP_VERSIONS)
        raise UserError(f"--ocpp: unknown OCPP version {text.strip()!r} (known: {known})")
    return version


def _trigger(args: argparse.Namespace, version: str) -> HttpTrigger | None:
    from simulator.check.trigger import HttpTrigger

    if args.trigger is None:
        if args.trigger_token_file is not None:
            raise UserError("--trigger-token-file needs --trigger URL")
        return None
    parts = urlsplit(args.trigger)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--trigger: {args.trigger!r} is not an http:// or https:// URL")
    if args.trigger_token_file is not None:
        token: str | None = credentials.first_line(args.trigger_token_file, "--trigger-token-file")
    else:
        token = os.environ.get(TRIGGER_TOKEN_ENVIRONMENT_VARIABLE) or None
    return HttpTrigger(args.trigger, token=token, timeout_s=args.timeout, ocpp_version=version)


def _prompt(args: argparse.Namespace) -> PromptTrigger | None:
    """A terminal both ways: the user is prompted for the cases the backend initiates."""
    import sys

    from simulator.check.prompt import PromptTrigger

    if sys.stdin is None or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    return PromptTrigger(
        input_fd=sys.stdin.fileno(), output=sys.stdout, timeout_s=args.prompt_timeout
    )


def _ssl_contexts(
    args: argparse.Namespace, scheme: str
) -> tuple[ssl.SSLContext | None, ssl.SSLContext | None]:
    """The run's TLS settings, and (with --cert) the same without the client certificate."""
    import ssl

    if scheme == "ws":
        for flag in ("ca", "cert", "key"):
            if getattr(args, flag) is not None:
                raise UserError(f"--{flag} needs a wss:// URL")
        return None, None
    if (args.cert is None) != (args.key is None):
        raise UserError("--cert and --key go together")
    try:
        context = ssl.create_default_context(cafile=str(args.ca) if args.ca else None)
        without = ssl.create_default_context(cafile=str(args.ca) if args.ca else None)
        if args.cert is not None:
            context.load_cert_chain(str(args.cert), str(args.key))
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"TLS files: {getattr(exc, 'strerror', None) or exc}") from None
    return context, (without if args.cert is not None else None)


def target_from(args: argparse.Namespace) -> Target:
    from simulator.check.context import Target
    from simulator.check.tags import load_id_tags

    if not args.url:
        raise UserError("check: give the backend's URL (ws://host:port/path), or --list")
    parts = urlsplit(args.url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UserError(f"check: {args.url!r} is not a ws:// or wss:// URL")
    version = ocpp_version(args.ocpp)
    ssl_context, without_certificate = _ssl_contexts(args, parts.scheme)
    tags = load_id_tags(args.id_tags) if args.id_tags else None
    trigger = _trigger(args, version)
    prompt = _prompt(args) if trigger is None else None
    return Target(
        url=args.url,
        charge_point_id=args.id,
        password=credentials.password(args),
        ssl_context=ssl_context,
        ssl_without_client_certificate=without_certificate,
        client_certificate_files=(str(args.cert), str(args.key)) if args.cert else None,
        timeout_s=args.timeout,
        id_tags=tags.by_status if tags else {},
        sibling_tags=tags.siblings if tags else None,
        connectors=args.connectors,
        max_skew_s=args.max_skew_s,
        oversized_bytes=args.oversized_bytes,
        trigger=trigger or prompt,
        trigger_wait_s=prompt.timeout_s if prompt is not None else None,
        pending_charge_point_id=args.pending_id,
        rejected_charge_point_id=args.rejected_id,
        ocpp_version=version,
    )


async def run(target: Target, checks: list[Check], console: Console, retries: int = 0) -> Run:
    from simulator.check.reports.model import Run
    from simulator.check.reports.terminal import STYLES
    from simulator.check.runner import preflight, provision_tags, run_checks
    from simulator.check.trigger import HttpTrigger, TriggerFailed
    from simulator.check.verdicts import Outcome

    started_at = datetime.now(UTC)
    started = time.monotonic()
    await preflight(target)
    if isinstance(target.trigger, HttpTrigger):
        try:
            await target.trigger.preflight()
        except TriggerFailed as failed:
            raise UserError(f"--trigger unusable: {failed}") from None
    target = await provision_tags(target)

    def progress(check: Check, outcome: Outcome) -> None:
        style = STYLES[outcome.verdict]
        console.print(
            f"{check.id:<28} [{style}]{outcome.verdict.value}[/] {outcome.duration_s:.2f} s",
            highlight=False,
        )

    outcomes = await run_checks(target, checks, progress, retries=retries)
    return Run(
        target.url,
        target.charge_point_id,
        started_at,
        time.monotonic() - started,
        tuple(zip(checks, outcomes, strict=True)),
        target.ocpp_version,
    )


def main(args: argparse.Namespace, console: Console) -> int:
    import asyncio

    from simulator.check.catalogue import catalogue, select
    from simulator.check.reports import html, json_report, junit
    from simulator.check.reports.terminal import catalogue_table, print_run

    checks = select(catalogue(ocpp_version(args.ocpp)), args.only, args.profile)
    if args.markdown and not args.list:
        raise UserError("--markdown goes with --list")
    if args.list:
        if args.markdown:
            from simulator.check.reports.markdown import catalogue_markdown

            print(catalogue_markdown(checks))
        else:
            console.print(catalogue_table(checks))
        return 0
    target = target_from(args)
    if not checks:
        raise UserError("check: --only/--profile select no check")
    result = asyncio.run(run(target, checks, console, args.retries))
    print_run(console, result)
    for path, writer in (
        (args.junit, junit.write),
        (args.json, json_report.write),
        (args.html, html.write),
    ):
        if path is not None:
            try:
                writer(path, result)
            except OSError as exc:
                raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    return result.exit_code
