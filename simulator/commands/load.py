"""`chargenet load URL`: load-test an OCPP 1.6J or 2.0.1 backend (docs/load.md).

A fleet of charge points (synthetic, or a scenario's) follows a ramp against the backend; every
CALL's latency counts from its intended send time (open loop). Writes DIR/load.json,
DIR/windows.csv and DIR/report.html, prints the figures and the SLO verdicts. Exit 0 when every
--slo holds, 1 when one is broken or the run stopped before its ramp ended (each named in one
line), 2 for a usage error: those are found before any connection is made.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from simulator.commands import _credentials as credentials
from simulator.errors import EXIT_FAILURE, UserError

if TYPE_CHECKING:  # imported where used: `chargenet` imports every command's module at start
    import ssl

    from rich.console import Console

    from simulator.load import LoadOptions, LoadResult, Ramp
    from simulator.load.slo import Slo

#: How long a ramp that sets no duration of its own ("500", "boot-storm:5000") is held.
DEFAULT_DURATION_S: Final = 60.0
#: Open files a load process needs besides one per connection (imports, the loop, logs).
OPEN_FILES_MARGIN: Final = 64
PORT_RANGE: Final = "/proc/sys/net/ipv4/ip_local_port_range"
_DURATION: Final = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value


def duration_s(text: str) -> float:
    """`90`, `90s`, `10m`, `1h`, `1h30m`, `1.5m` in seconds (argparse type of --duration)."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or match is None or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a duration (90s, 10m, 1h30m): {text!r}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = 3600 * hours + 60 * minutes + seconds
    if not total > 0:
        raise argparse.ArgumentTypeError(f"must be longer than 0: {text!r}")
    return total


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "load",
        help="load-test an OCPP 1.6J or 2.0.1 backend: ramps, open-loop latency percentiles, SLOs",
        description="Connect a fleet of charge points to the central system at URL along a "
        "ramp and measure every call's latency from its intended send time. Writes "
        "DIR/load.json, DIR/windows.csv and DIR/report.html. Exit 0 when every --slo holds, "
        "1 when one is broken or the run stopped early, 2 for a usage error (docs/load.md).",
    )
    p.add_argument("url", help="ws:// or wss:// URL; the charge point id is appended")
    traffic = p.add_argument_group("traffic (one of --charge-points, --ramp, --scenario)")
    traffic.add_argument(
        "--charge-points",
        type=_count,
        metavar="N",
        help="a constant fleet of N synthetic charge points (the ramp 'N', held --duration)",
    )
    traffic.add_argument(
        "--ramp",
        metavar="SPEC",
        help="how many charge points over time: '0->10000 over 10m, hold 20m', "
        "'boot-storm:5000' (all at once), '500'",
    )
    traffic.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="the fleet and drivers of a scenario, in wall-clock time at --speed (its charge "
        "points keep the scenario's ids and all connect at the start)",
    )
    traffic.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        metavar="N",
        help="with --scenario: N x real time (default 1); the scenario runs --duration x N "
        "virtual seconds, or its own days when shorter (the default --duration)",
    )
    traffic.add_argument(
        "--duration",
        type=duration_s,
        metavar="D",
        help="the run's length (90s, 10m, 1h); a ramp shorter than D holds its last target "
        f"(default: the ramp's own, or {DEFAULT_DURATION_S:g} s for a ramp without one)",
    )
    traffic.add_argument(
        "--ocpp",
        choices=("1.6", "2.0.1"),
        help="the OCPP version every charge point speaks (default 1.6; with --scenario: each "
        "network's `ocpp` key, which this overrides)",
    )
    plan = p.add_argument_group("message plan of each synthetic charge point")
    plan.add_argument(
        "--heartbeat-interval-s",
        type=_positive,
        default=60.0,
        metavar="S",
        help="a Heartbeat every S seconds (default 60)",
    )
    plan.add_argument(
        "--active-share",
        type=_share,
        default=0.0,
        metavar="F",
        help="share of charge points that run transaction cycles, 0..1 (default 0: idle)",
    )
    plan.add_argument(
        "--meter-interval-s",
        type=_positive,
        default=60.0,
        metavar="S",
        help="MeterValues every S seconds during a transaction (default 60)",
    )
    plan.add_argument(
        "--transaction-s",
        type=_positive,
        default=600.0,
        metavar="S",
        help="StopTransaction S seconds after the cycle's Authorize (default 600)",
    )
    p.add_argument(
        "--id-prefix",
        default="load",
        metavar="TEXT",
        help="charge point ids are TEXT-<number> (default load)",
    )
    p.add_argument(
        "--shards",
        type=_count,
        default=1,
        metavar="K",
        help="spread the fleet over K local processes (default 1)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="place the shards on the Dask cluster at ADDRESS (tcp://host:port)",
    )
    p.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="EXPR",
        help="an objective the run must meet, e.g. 'p99(StartTransaction) < 500ms', "
        "'errors < 0.1%%', 'msgs/s >= 500' (repeatable; exit 1 when one is broken)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out-load"),
        metavar="DIR",
        help="output folder (default out-load)",
    )
    credentials.add_password_arguments(p)
    p.add_argument(
        "--ca", type=Path, metavar="FILE", help="CA certificate(s) to verify a wss:// backend"
    )
    p.add_argument(
        "--timeout",
        type=_positive,
        default=30.0,
        metavar="S",
        help="a call with no answer after S seconds is a timeout (default 30)",
    )
    p.add_argument(
        "--connect-timeout",
        type=_positive,
        default=30.0,
        metavar="S",
        help="bound of each websocket opening handshake (default 30)",
    )
    p.add_argument(
        "--window-s",
        type=_positive,
        default=10.0,
        metavar="S",
        help="statistics per window of S seconds (default 10)",
    )


def main(args: argparse.Namespace, console: Console) -> int:
    from ocppj import event_loop
    from simulator.commands._common import prepare_out

    options, slos = options_from(args)
    if args.scheduler is None:  # on Dask, the shards' connections are the workers' to hold
        machine_limits(options.ramp, args.shards)
    out = prepare_out(args.out)
    if args.shards > 1 or args.scheduler is not None:
        result, shards = _run_sharded(options, args, console)
    else:
        result, shards = event_loop.run(_run(options, console)), ()
    return finish(result, slos, out, console, shards)


def options_from(args: argparse.Namespace) -> tuple[LoadOptions, list[Slo]]:
    """Everything the run needs, or the user's mistake as a UserError: no connection yet."""
    from simulator.load.slo import parse

    parts = urlsplit(args.url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UserError(f"load: {args.url!r} is not a ws:// or wss:// URL")
    slos = [parse(text) for text in args.slo]
    if args.scheduler is not None and not re.match(r"^(tcp|tls|inproc|ucx)://\S+$", args.scheduler):
        raise UserError(f"--scheduler {args.scheduler!r}: not a Dask address (tcp://host:port)")
    if args.scenario is not None:
        _check_scenario_flags(args)
    password = credentials.password(args)
    ssl_context = _ssl_context(args, parts.scheme)
    # imported after the checks above: they need no generator (and its imports take a while)
    from simulator.load import LoadOptions, MessagePlan

    plan = MessagePlan(
        heartbeat_interval_s=args.heartbeat_interval_s,
        active_share=args.active_share,
        meter_interval_s=args.meter_interval_s,
        transaction_s=args.transaction_s,
    )
    options = LoadOptions(
        url=args.url,
        ramp=_ramp(args),
        plan=plan,
        id_prefix=args.id_prefix,
        window_s=args.window_s,
        timeout_s=args.timeout,
        connect_timeout_s=args.connect_timeout,
        password=password,
        ssl_context=ssl_context,
        shards=1,
        scenario=args.scenario,
        speed=args.speed,
        ocpp=args.ocpp,
    )
    return options, slos


#: The synthetic fleet's message plan flags: a scenario's drivers decide instead.
_PLAN_FLAGS: Final = {
    "heartbeat_interval_s": ("--heartbeat-interval-s", 60.0),
    "active_share": ("--active-share", 0.0),
    "meter_interval_s": ("--meter-interval-s", 60.0),
    "transaction_s": ("--transaction-s", 600.0),
}


def _check_scenario_flags(args: argparse.Namespace) -> None:
    """What does not go with --scenario, in one line each (exit 2, before any connection)."""
    if args.ramp is not None:
        raise UserError(
            "--ramp goes with a synthetic fleet: a scenario's charge points all connect at the "
            "start and its drivers set the activity (drop --ramp, or use --charge-points)"
        )
    if args.shards > 1 or args.scheduler is not None:
        flag = "--shards" if args.shards > 1 else "--scheduler"
        raise UserError(
            f"{flag} cannot split a scenario: it is one simulation whose drivers share sites "
            "and queues (run it in one process; raise --speed for more traffic)"
        )
    for name, (flag, default) in _PLAN_FLAGS.items():
        if getattr(args, name) != default:
            raise UserError(
                f"{flag} is the synthetic fleet's message plan: with --scenario, its drivers "
                "and the central system's heartbeat interval decide"
            )


def _scenario_duration_s(args: argparse.Namespace) -> float:
    """--duration, or the scenario's own days at --speed; the file is read either way, so that
    a bad one is a usage error here (a ScenarioError names it), before any connection."""
    from simulator import scenario as sc
    from simulator.model.world import DAY_S

    days = sc.load(args.scenario).simulation.days
    return float(args.duration) if args.duration is not None else days * DAY_S / args.speed


def _ramp(args: argparse.Namespace) -> Ramp:
    from simulator.load import Ramp

    given = [f for f in ("charge_points", "ramp", "scenario") if getattr(args, f) is not None]
    if args.charge_points is not None and args.ramp is not None:
        raise UserError("--charge-points and --ramp both set the fleet: give one of them")
    if args.scenario is not None:
        if args.charge_points is not None:
            raise UserError("--scenario brings its own fleet: drop --charge-points")
        if not args.scenario.is_file():
            raise UserError(f"--scenario {args.scenario}: no such file")
    elif args.speed != 1.0:
        raise UserError("--speed goes with --scenario")
    if not given:
        raise UserError("load: give --charge-points N, --ramp SPEC or --scenario FILE")
    if args.scenario is not None:  # the scenario's fleet: the ramp only carries the duration
        return Ramp.parse("0").held_until(_scenario_duration_s(args))
    if args.ramp is not None:
        ramp = Ramp.parse(args.ramp)
    else:
        ramp = Ramp.parse(str(args.charge_points or 0))
    wanted_s = args.duration if args.duration is not None else ramp.duration_s
    if not wanted_s > 0:
        wanted_s = DEFAULT_DURATION_S
    if ramp.duration_s > wanted_s:
        raise UserError(
            f"--duration {wanted_s:g} s is shorter than the ramp ({ramp.duration_s:g} s)"
        )
    return ramp.held_until(wanted_s)  # a shorter ramp holds its last target for the rest


def machine_limits(ramp: Ramp, shards: int) -> None:
    """Raise the open-files limit to what the fleet needs of each local process, or say in one
    line why it cannot be; warn in one line when one source address has too few ephemeral
    ports for the fleet (every connection to the backend's address needs its own)."""
    import math
    import resource
    import sys

    peak = ramp.peak
    needed = math.ceil(peak / shards) + OPEN_FILES_MARGIN
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    infinite = resource.RLIM_INFINITY
    if soft != infinite and soft < needed:
        if hard != infinite and hard < needed:
            raise UserError(
                f"the fleet needs {needed:,} open files per process, the hard limit is "
                f"{hard:,} (ulimit -Hn): raise it (LimitNOFILE, limits.conf) or use --shards"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))  # children inherit it
    try:
        note = ephemeral_ports_note(peak, Path(PORT_RANGE).read_text())
    except OSError:
        return  # not Linux: nothing to read
    if note is not None:
        print(f"chargenet: note: {note}", file=sys.stderr)


def ephemeral_ports_note(peak: int, port_range: str) -> str | None:
    """One line when `peak` connections from one source address to one backend address need
    more ephemeral ports than `port_range` (ip_local_port_range's text: "low high") holds."""
    try:
        low, high = map(int, port_range.split())
    except ValueError:
        return None
    ports = high - low + 1
    if peak <= ports:
        return None
    return (
        f"{peak:,} connections to one address from one source address need as many "
        f"ephemeral ports, this machine has {ports:,} ({PORT_RANGE}: {low} {high}): widen "
        "it, or place shards on other machines (--scheduler)"
    )


def _ssl_context(args: argparse.Namespace, scheme: str) -> ssl.SSLContext | None:
    import ssl

    if scheme == "ws":
        if args.ca is not None:
            raise UserError("--ca needs a wss:// URL")
        return None
    try:
        return ssl.create_default_context(cafile=str(args.ca) if args.ca else None)
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"--ca {args.ca}: {getattr(exc, 'strerror', None) or exc}") from None


async def _run(options: LoadOptions, console: Console) -> LoadResult:
    from simulator.load import run_load
    from simulator.load.live import LiveView

    with LiveView(console, options.url, options.ramp.duration_s) as view:
        return await run_load(options, on_window=view.update)


def _run_sharded(
    options: LoadOptions, args: argparse.Namespace, console: Console
) -> tuple[LoadResult, tuple[dict[str, Any], ...]]:
    from simulator.load.live import LiveView, ShardWindows
    from simulator.load.shards import run_shards

    ca_pem = None
    if args.ca is not None:
        try:
            ca_pem = args.ca.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--ca {args.ca}: {getattr(exc, 'strerror', None) or exc}") from None
    with LiveView(console, options.url, options.ramp.duration_s) as view:
        joined = ShardWindows(args.shards, view.update)
        run = run_shards(options, args.shards, args.scheduler, ca_pem, on_window=joined.add)
    return run.merged, run.shards


def finish(
    result: LoadResult,
    slos: list[Slo],
    out: Path,
    console: Console,
    shards: tuple[dict[str, Any], ...] = (),
) -> int:
    """Write the run's files (and each shard's load.json when sharded), print its figures and
    verdicts; the exit code of the SLOs and of an early stop."""
    import json

    from rich.console import Console as StderrConsole

    from simulator.commands._common import say, write_atomic
    from simulator.load.live import print_summary
    from simulator.load.report import write_report
    from simulator.load.slo import evaluate_all

    document = result.to_json()
    verdicts = evaluate_all(slos, document)
    try:
        write_atomic(out / "load.json", json.dumps(document, indent=1) + "\n")
        for k, shard in enumerate(shards):
            write_atomic(out / f"shard-{k}.json", json.dumps(shard, indent=1) + "\n")
        write_atomic(out / "windows.csv", result.windows_csv())
        write_report(document, out / "report.html", verdicts)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    print_summary(console, document, verdicts)
    say(console, f"wrote {out / 'load.json'}, {out / 'windows.csv'}, {out / 'report.html'}")
    broken = [v for v in verdicts if not v.held]
    stopped = document.get("stopped")
    if not broken and not stopped:
        return 0
    errors = StderrConsole(stderr=True)
    if stopped:  # the ramp did not run to its end: the figures cover less than was asked
        say(errors, f"chargenet: the run stopped early: {stopped}")
    for verdict in broken:
        say(errors, f"chargenet: {verdict.line()}")
    return EXIT_FAILURE
