"""`chargenet run SCENARIO`: simulate one scenario, print the tables, write the summary, the
sessions, the method and an HTML report (and, with `--export nevi`, the NEVI session data).
By default every port speaks OCPP 1.6J to the built-in central system (and the wire's own
statistics go to wire.json); `--engine fast` runs the same physics with no wire.
`--csms-cert`/`--csms-key` serve the built-in central system over wss:// with the user's
certificate (security profile 2, for 1.6 and 2.0.1 alike); `--csms-client-ca` and the charge
points' `--client-cert` make it mutual TLS (profile 3)."""

from __future__ import annotations

import argparse
import contextlib
import math
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

from simulator import runner
from simulator import scenario as sc
from simulator.commands import _credentials as credentials
from simulator.commands._common import (
    add_window_options,
    check_window,
    non_negative_int,
    positive_float,
    positive_int,
    prepare_out,
    say,
    with_warmup,
    write_atomic,
)
from simulator.errors import UserError
from simulator.model.world import DAY_S
from simulator.ocpp.wire_stats import DEFAULT_MAX_LAG_S, WireStats
from simulator.reports import chart_worker, html, render, views
from simulator.reports.method import run_method
from simulator.reports.nevi import nevi_csv
from simulator.reports.summary import sessions_csv, to_json

if TYPE_CHECKING:
    from simulator.ocpp.builtin_csms import CsmsTls
    from simulator.ocpp.transport import TransportConfig

DEFAULT_HANDSHAKE_TIMEOUT_S = 10.0  # TransportConfig.open_timeout_s's default
EXPORTS = ("nevi",)
LONG_RUN_DAYS = 14  # a progress bar from this many simulated days on
LONG_OCPP_RUN_DAYS = 1  # the OCPP engine takes seconds per simulated day
OCPP_FLAGS = (
    "ocpp",
    "csms",
    "pace",
    "message_log",
    "csms_db",
    "grid_shares",
    "csms_password",
    "csms_password_file",
    "csms_ca",
    "csms_cert",
    "csms_key",
    "csms_client_ca",
    "client_cert",
    "client_key",
    "response_timeout",
    "call_attempts",
    "offline_limit",
    "refusal_limit",
    "max_lag",
    "handshake_timeout",
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="simulate a scenario and report utilization")
    p.add_argument("scenario", type=Path)
    add_window_options(p, "simulated days (default: the file's)")
    p.add_argument("--seed", type=int, help="random seed (default: the file's)")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out)")
    p.add_argument(
        "--engine",
        choices=("fast", "ocpp"),
        default="ocpp",
        help="ocpp (default): every port speaks OCPP (1.6J, or its network's `ocpp` key) to a "
        "central system; fast: the same physics with no wire",
    )
    p.add_argument("--quiet", action="store_true", help="print no table")
    p.add_argument(
        "--export",
        action="append",
        choices=EXPORTS,
        default=[],
        help="also write an export: nevi (nevi.csv, the per-session data of 23 CFR 680.112)",
    )
    ocpp = p.add_argument_group("OCPP engine")
    ocpp.add_argument(
        "--ocpp",
        choices=("1.6", "2.0.1"),
        help="the OCPP version every charge point speaks (default: each network's `ocpp` key, "
        "else 1.6)",
    )
    ocpp.add_argument(
        "--csms",
        metavar="URL",
        help="the central system's ws:// or wss:// URL; a charge point connects to the URL with "
        "its id where it says {id} (ws://host/ws/ocpp/{id}/), else to URL/<id> "
        "(default: start the built-in one for the run)",
    )
    ocpp.add_argument(
        "--handshake-timeout",
        type=positive_float,
        metavar="SECONDS",
        help="how long a charge point waits for its websocket handshake "
        f"(default {DEFAULT_HANDSHAKE_TIMEOUT_S:g})",
    )
    ocpp.add_argument(
        "--pace",
        type=positive_float,
        metavar="N",
        help="virtual time runs N times the wall clock (default: as fast as the wire allows)",
    )
    ocpp.add_argument(
        "--message-log", type=Path, metavar="FILE", help="write every OCPP frame as JSON lines"
    )
    ocpp.add_argument(
        "--csms-db",
        type=Path,
        metavar="FILE",
        help="where the built-in central system keeps its SQLite store (see chargenet report)",
    )
    ocpp.add_argument(
        "--grid-shares",
        choices=("csms", "model"),
        help="who shares the sites' grid limits out: the central system, answering each site's "
        "SiteChargingNeeds report with TxProfiles (1.6 and 2.0.1), or the model itself "
        "(default: csms for the built-in central system, model with --csms)",
    )
    credentials.add_password_arguments(ocpp, "--csms-password")
    ocpp.add_argument(
        "--csms-ca",
        type=Path,
        metavar="FILE",
        help="CA certificate to verify a wss:// backend (or the --csms-cert of the built-in one)",
    )
    ocpp.add_argument(
        "--csms-cert",
        type=Path,
        metavar="FILE",
        help="serve the built-in central system over wss:// with this PEM certificate (chain), "
        "valid for 127.0.0.1 (security profile 2; with --csms-key; the charge points verify it "
        "against --csms-ca, else against this file)",
    )
    ocpp.add_argument(
        "--csms-key", type=Path, metavar="FILE", help="the unencrypted PEM key of --csms-cert"
    )
    ocpp.add_argument(
        "--csms-client-ca",
        type=Path,
        metavar="FILE",
        help="the built-in central system asks every charge point for a certificate this PEM CA "
        "issued, subject CN = its id (security profile 3; with --csms-cert; see --client-cert)",
    )
    ocpp.add_argument(
        "--client-cert",
        type=Path,
        metavar="PATH",
        help="security profile 3: the PEM certificate every charge point presents (with "
        "--client-key), or a folder of <id>.crt and <id>.key, each charge point's own",
    )
    ocpp.add_argument(
        "--client-key", type=Path, metavar="FILE", help="the unencrypted PEM key of --client-cert"
    )
    # the bounds on every wait of a charge point (defaults: TransportConfig's)
    ocpp.add_argument(
        "--response-timeout",
        type=positive_float,
        metavar="S",
        help="a CALL unanswered this long is sent again on a new connection (default 30)",
    )
    ocpp.add_argument(
        "--call-attempts",
        type=positive_int,
        metavar="N",
        help="give up after N sends in a row without a reply within --response-timeout (default 3)",
    )
    ocpp.add_argument(
        "--offline-limit",
        type=positive_float,
        metavar="S",
        help="give up when a charge point has no working connection, or its boot is not "
        "accepted, for S seconds (default 120)",
    )
    ocpp.add_argument(
        "--refusal-limit",
        type=non_negative_int,
        metavar="N",
        help="give up when N messages in a row are refused (CALLERROR or invalid reply), "
        "none accepted (default 10; 0: never)",
    )
    ocpp.add_argument(
        "--max-lag",
        type=_lag_seconds,
        metavar="SECONDS",
        help="virtual seconds the model may run ahead of the oldest unanswered message "
        f"(0: strict lockstep; default {DEFAULT_MAX_LAG_S:g})",
    )


def _lag_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _check_ocpp_flags(args: argparse.Namespace) -> None:
    if args.engine != "ocpp":
        given = [f for f in OCPP_FLAGS if getattr(args, f) is not None]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise UserError(f"{flag} needs --engine ocpp")
        return
    if args.csms is not None and args.csms_db is not None:
        raise UserError("--csms-db is the built-in central system's store: drop it with --csms")
    if args.csms_ca is not None and not args.csms_ca.is_file():
        raise UserError(f"--csms-ca {args.csms_ca}: no such file")
    if args.csms_db is not None and args.csms_db.exists():
        raise UserError(f"--csms-db {args.csms_db} exists: a report would mix two runs")
    for path in (args.message_log, args.csms_db):
        if path is not None and not path.parent.is_dir():
            raise UserError(f"{path}: the folder {path.parent} does not exist")


def _csms_tls(args: argparse.Namespace) -> CsmsTls | None:
    """The built-in central system's certificate, key and client CA, checked before any work:
    certificate and key both given or neither, each file readable, a pair that loads."""
    cert, key, client_ca = args.csms_cert, args.csms_key, args.csms_client_ca
    if cert is None and key is None and client_ca is None:
        return None
    if args.csms is not None:
        flag = "--csms-cert" if cert is not None else "--csms-key" if key is not None else ""
        flag = flag or "--csms-client-ca"
        raise UserError(f"{flag} is the built-in central system's: drop it with --csms")
    if cert is None or key is None:
        if cert is None and key is None:
            raise UserError("--csms-client-ca needs --csms-cert and --csms-key (wss://)")
        raise UserError(
            "--csms-cert needs --csms-key" if key is None else "--csms-key needs --csms-cert"
        )
    _load_pair(cert, key, "--csms-cert", "--csms-key", server=True)
    if client_ca is not None:
        _readable(client_ca, "--csms-client-ca")
        try:
            ssl.create_default_context(cafile=client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise UserError(f"--csms-client-ca {client_ca}: cannot load: {_reason(exc)}") from None
    from simulator.ocpp.builtin_csms import CsmsTls

    return CsmsTls(cert, key, client_ca)


def _readable(path: Path, flag: str) -> None:
    try:
        path.read_bytes()
    except OSError as exc:
        raise UserError(f"{flag} {path}: {exc.strerror or exc}") from None


def _reason(exc: OSError) -> str:
    return str(getattr(exc, "reason", None) or exc.strerror or exc)


def _load_pair(
    cert: Path, key: Path | None, cert_flag: str, key_flag: str, *, server: bool = False
) -> None:
    """A certificate and its unencrypted key (None: in the certificate's file) that load."""
    _readable(cert, cert_flag)
    if key is not None:
        _readable(key, key_flag)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)

    def no_passphrase() -> str:  # an encrypted key would make OpenSSL prompt on the terminal
        raise UserError(f"{key_flag} {key or cert}: the key is encrypted; give an unencrypted one")

    try:
        context.load_cert_chain(cert, key, password=no_passphrase)
    except (OSError, ssl.SSLError) as exc:
        pair = f"{cert_flag} {cert}" + ("" if key is None else f" / {key_flag} {key}")
        raise UserError(f"{pair}: cannot load: {_reason(exc)}") from None


def _check_client_certificate(args: argparse.Namespace, station_ids: list[str]) -> None:
    """--client-cert: one certificate (and --client-key) every charge point presents, or a
    folder of `<id>.crt` and `<id>.key` with one pair for every charge point of the run."""
    cert = args.client_cert
    if cert is None:
        if args.client_key is not None:
            raise UserError("--client-key needs --client-cert")
        return
    if not cert.is_dir():
        _load_pair(cert, args.client_key, "--client-cert", "--client-key")
        return
    if args.client_key is not None:
        raise UserError(
            f"--client-key goes with a --client-cert file: the folder {cert} holds <id>.key "
            "beside each <id>.crt"
        )
    for station in station_ids:
        _load_pair(
            cert / f"{station}.crt", cert / f"{station}.key", "--client-cert", "--client-cert"
        )


def _trust(args: argparse.Namespace) -> ssl.SSLContext | None:
    """What the charge points verify the central system's certificate against."""
    from simulator.ocpp.transport import ssl_context

    if args.csms is None and args.csms_ca is None and args.csms_cert is not None:
        # the built-in central system over wss://: its own certificate is the trust anchor,
        # whoever issued it
        context = ssl_context(args.csms_cert)
        assert context is not None
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return context
    return ssl_context(args.csms_ca)


def _with_certificate(args: argparse.Namespace, cert: Path, key: Path | None) -> ssl.SSLContext:
    context = _trust(args)
    if context is None:  # the system's CAs
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def _transport_config(args: argparse.Namespace, password: str | None = None) -> TransportConfig:
    """The connection settings of every charge point (the built-in central system's URL
    replaces `url` when no --csms is given)."""
    from simulator.ocpp.transport import TransportConfig

    bounds = {
        field: value
        for field, value in (
            ("response_timeout_s", args.response_timeout),
            ("call_attempts", args.call_attempts),
            ("offline_limit_s", args.offline_limit),
            ("refusal_limit", args.refusal_limit),
        )
        if value is not None
    }
    timeout_s = args.handshake_timeout
    context = _trust(args)
    per_station: Callable[[str], ssl.SSLContext] | None = None
    cert = args.client_cert
    if cert is not None and cert.is_dir():
        contexts: dict[str, ssl.SSLContext] = {}

        def per_station(station: str) -> ssl.SSLContext:
            if station not in contexts:  # a reconnect reuses it
                contexts[station] = _with_certificate(
                    args, cert / f"{station}.crt", cert / f"{station}.key"
                )
            return contexts[station]

    elif cert is not None:
        context = _with_certificate(args, cert, args.client_key)
    return TransportConfig(
        args.csms or "",
        password=password,
        ssl_context=context,
        client_certificate=cert is not None,
        ssl_context_for=per_station,
        **bounds,
        open_timeout_s=DEFAULT_HANDSHAKE_TIMEOUT_S if timeout_s is None else timeout_s,
    )


def main(args: argparse.Namespace, console: Console) -> int:
    _check_ocpp_flags(args)
    password = credentials.password(args, "--csms-password") if args.engine == "ocpp" else None
    tls = _csms_tls(args) if args.engine == "ocpp" else None
    if args.client_cert is None or not args.client_cert.is_dir():  # a folder: once ids are known
        _check_client_certificate(args, [])
    with contextlib.ExitStack() as stack:
        if args.engine == "ocpp" and args.csms is None:
            from simulator.ocpp.builtin_csms import started_early, stopped_late

            # its exit overlaps the reports' writing (waited for before main returns)
            stack.enter_context(stopped_late())
            # its start-up overlaps the scenario's build (killed if that fails)
            stack.enter_context(started_early(db=args.csms_db, password=password, tls=tls))
        return _run(args, console, password, tls, stack)


def _run(
    args: argparse.Namespace,
    console: Console,
    password: str | None,
    tls: CsmsTls | None,
    stack: contextlib.ExitStack,
) -> int:
    scenario = with_warmup(sc.load(args.scenario), args.warmup_days)
    check_window(args.scenario, scenario.simulation, args.days, args.warmup_days)
    out = prepare_out(args.out)
    started_s = time.perf_counter()
    world = sc.world(scenario, days=args.days, seed=args.seed)
    if args.engine == "ocpp":
        _check_client_certificate(args, [p.id for p in world.ports])
    # matplotlib loads in a helper while the run runs (not before: the cores are busy starting
    # it); the helper draws report.html's charts
    charts = stack.enter_context(chart_worker.started())
    days = world.horizon_s / DAY_S
    long_run: float = LONG_RUN_DAYS
    if args.engine == "ocpp":
        # a failed connection must end in one line, with no bar drawn on a non-terminal
        long_run = LONG_OCPP_RUN_DAYS if sys.stderr.isatty() else math.inf
    with Progress(
        SpinnerColumn(finished_text=" "),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} days"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=args.quiet or days < long_run,
    ) as bar:
        task = bar.add_task("simulating", total=days)

        def progress(done_s: float, _total_s: float) -> None:
            bar.update(task, completed=done_s / DAY_S)

        wire: list[WireStats] = []
        versions: Mapping[str, str] = {}
        if args.engine == "ocpp":
            # asyncio, websockets, ocpp: only when asked
            from simulator.ocpp.engine import OcppRunOptions, run_ocpp

            max_lag_s = DEFAULT_MAX_LAG_S if args.max_lag is None else args.max_lag
            subprotocols = sc.ocpp_versions(scenario, args.ocpp)
            versions = subprotocols
            options = OcppRunOptions(
                csms_url=args.csms,
                pace=args.pace,
                message_log=args.message_log,
                progress=progress,
                csms_db=args.csms_db,
                password=password,
                transport=_transport_config(args, password),
                max_lag_s=max_lag_s,
                on_wire=wire.append,
                versions=subprotocols,
                csms_tls=tls,
                grid_in_csms=None if args.grid_shares is None else args.grid_shares == "csms",
            )
            records = run_ocpp(world, options)
        else:
            records = runner.run_fast(world, progress)
        # the bar stays up, as a phase, while the reports are written (seconds, not nothing)
        bar.update(task, description="writing reports", completed=days)
        bar.refresh()
        summary = runner.summarize_world(world, records)
        run = run_method(args.engine, time.perf_counter() - started_s, versions)
        page = views.run_page(summary, run)
        charts.send(html.charts(page))  # drawn there while the other files are written here
        files = ["summary.json", "sessions.csv"]
        write_atomic(out / "summary.json", to_json(summary))
        write_atomic(out / "sessions.csv", sessions_csv(records))
        if wire:
            files.append("wire.json")
            write_atomic(out / "wire.json", wire[0].to_json())
        files.append("method.json")
        write_atomic(out / "method.json", run.to_json(summary.method))
        if "nevi" in args.export:
            files.append("nevi.csv")
            write_atomic(out / "nevi.csv", nevi_csv(records, world.start))
        html.write(page, out / "report.html", charts.svgs())
    if not args.quiet:
        render.print_summary(summary, console, run)
        if wire:
            say(console, wire[0].line())
        written = ", ".join(str(out / name) for name in files)
        say(console, f"wrote {written} and {out / 'report.html'}")
    warning = wire[0].warning() if wire else None
    if warning is not None:
        print(f"chargenet: {warning}", file=sys.stderr)
    return 0
