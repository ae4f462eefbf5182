"""`python -m central_system serve|call`: the command line of the built-in central system.

This parser is the source of truth for `chargenet csms serve ...` and `chargenet csms call ...`,
which run `python -m central_system ...`. Exit codes: 0 done, 1 runtime failure (cannot listen;
charge point not connected, no reply, CALLERROR; API unreachable), 2 bad input (arguments,
provisioning files, payload).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from central_system.defaults import (
    DEFAULT_API_PORT,
    DEFAULT_HANDSHAKE_TIMEOUT_S,
    DEFAULT_LOG_INTERVAL_S,
    DEFAULT_LOG_REPEATS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_PORT,
)
from central_system.operator_client import CallFailed, call_charge_point

if TYPE_CHECKING:
    from central_system.config import CentralSystemConfig

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535, 0 picks a free one)")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="websocket address to listen on; the operator API stays on 127.0.0.1 "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="websocket port; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("chargenet-csms.sqlite"),
        help="SQLite store, created if missing and kept across restarts (default %(default)s)",
    )
    api = parser.add_mutually_exclusive_group()
    api.add_argument(
        "--api-port",
        type=_port,
        default=DEFAULT_API_PORT,
        help="operator HTTP API port on 127.0.0.1; 0 picks a free one (default %(default)s)",
    )
    api.add_argument("--no-api", action="store_true", help="do not serve the operator API")
    parser.add_argument(
        "--id-tags",
        type=Path,
        metavar="FILE",
        help="provision id tags: CSV id_tag,status[,expiry_date[,parent_id_tag]] or a JSON list",
    )
    parser.add_argument(
        "--accept-unknown-tags",
        action="store_true",
        help="authorize any id tag not provisioned (default: unknown tags are Invalid)",
    )
    parser.add_argument(
        "--allow-ids",
        type=Path,
        metavar="FILE",
        help="only these charge point ids (one per line) may connect; others get HTTP 404",
    )
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--password",
        metavar="PW",
        help="require HTTP basic auth (username = charge point id) with this shared password",
    )
    auth.add_argument(
        "--passwords",
        type=Path,
        metavar="FILE",
        help="require HTTP basic auth with per-id passwords: CSV id,password or a JSON object",
    )
    parser.add_argument(
        "--heartbeat-interval-s",
        type=_positive_int,
        default=300,
        help="interval given in an accepted BootNotification (default %(default)s)",
    )
    parser.add_argument(
        "--pending-ids",
        type=Path,
        metavar="FILE",
        help="answer the first --pending-boots boots of these charge point ids (one per line) "
        "with Pending",
    )
    parser.add_argument(
        "--pending-boots",
        type=_positive_int,
        default=1,
        help="how many boots per server run a --pending-ids charge point gets Pending "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--boot-retry-interval-s",
        type=_positive_int,
        default=10,
        help="interval given with a Pending boot (default %(default)s)",
    )
    parser.add_argument(
        "--max-frame-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_FRAME_BYTES,
        help="longer frames are answered with FormationViolation, unparsed; twice as long "
        "ones close the connection (1009) (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        help="open websockets plus handshakes under way; at the cap the oldest connection "
        "without a complete HTTP request is closed to make room, else the newcomer gets HTTP "
        "503; lowered to the descriptor limit minus 64 (default %(default)s)",
    )
    parser.add_argument(
        "--handshake-timeout-s",
        type=_positive_float,
        default=DEFAULT_HANDSHAKE_TIMEOUT_S,
        help="close a connection that has not completed its websocket upgrade by then "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--call-timeout-s",
        type=_positive_float,
        default=30.0,
        help="default wait for a charge point's reply to an operator call (default %(default)s)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level on stderr (default %(default)s)",
    )
    parser.add_argument(
        "--log-repeats",
        type=_non_negative_int,
        default=DEFAULT_LOG_REPEATS,
        help="lines of one kind (logger, level, message) per --log-interval-s; the rest are "
        "counted in one line; 0: no limit (default %(default)s)",
    )
    parser.add_argument(
        "--log-interval-s",
        type=_positive_float,
        default=DEFAULT_LOG_INTERVAL_S,
        help="the interval of --log-repeats (default %(default)s)",
    )


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("charge_point_id", metavar="CP_ID", help="the connected charge point")
    parser.add_argument(
        "action",
        metavar="ACTION",
        help="an OCPP 1.6 action the central system sends, e.g. Reset, RemoteStartTransaction",
    )
    parser.add_argument(
        "payload",
        metavar="JSON",
        nargs="?",
        default="{}",
        help="the OCPP payload, camelCase as on the wire (default {}; - reads stdin)",
    )
    parser.add_argument(
        "--api-url",
        default=f"http://127.0.0.1:{DEFAULT_API_PORT}",
        help="the operator API of a running central system (default %(default)s)",
    )
    parser.add_argument(
        "--timeout-s",
        type=_positive_float,
        help="how long to wait for the charge point's reply (default: the server's)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m central_system",
        description="chargenet's built-in OCPP 1.6J central system.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the central system",
        description="Run the central system. Once listening, prints one JSON line to stdout: "
        '{"ws_url": ..., "api_url": ...}; charge points connect to <ws_url>/<charge point id>. '
        "Stops cleanly on SIGTERM or SIGINT.",
    )
    add_serve_arguments(serve)
    call = commands.add_parser(
        "call",
        help="send a central-system-initiated call to a connected charge point",
        description="Send a call through a running central system's operator API and print the "
        "charge point's reply as JSON. Exit 1 when it is not connected, does not answer, "
        "answers with a CALLERROR or the API is unreachable; exit 2 for a bad payload.",
    )
    add_call_arguments(call)
    return parser


def config_from_arguments(args: argparse.Namespace) -> CentralSystemConfig:
    """Raises ProvisioningError for an unusable file."""
    from central_system.config import CentralSystemConfig
    from central_system.handshake import Credentials
    from central_system.provisioning_files import load_id_list, load_id_tags, load_passwords
    from central_system.registration import BootPolicy

    passwords = load_passwords(args.passwords) if args.passwords else {}
    return CentralSystemConfig(
        db_path=args.db,
        host=args.host,
        port=args.port,
        api_port=None if args.no_api else args.api_port,
        boot_policy=BootPolicy(
            heartbeat_interval_s=args.heartbeat_interval_s,
            pending_ids=load_id_list(args.pending_ids) if args.pending_ids else frozenset(),
            pending_boots=args.pending_boots,
            boot_retry_interval_s=args.boot_retry_interval_s,
        ),
        id_tags=load_id_tags(args.id_tags) if args.id_tags else (),
        accept_unknown_tags=args.accept_unknown_tags,
        allowed_ids=load_id_list(args.allow_ids) if args.allow_ids else None,
        credentials=Credentials(args.password, passwords),
        max_frame_bytes=args.max_frame_bytes,
        max_connections=args.max_connections,
        handshake_timeout_s=args.handshake_timeout_s,
        call_timeout_s=args.call_timeout_s,
    )


async def _serve_until_stopped(config: CentralSystemConfig) -> None:
    from central_system.server import running

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    async with running(config) as central_system:
        print(
            json.dumps({"ws_url": central_system.ws_url, "api_url": central_system.api_url}),
            flush=True,
        )
        await stop.wait()


def _raise_open_file_limit() -> None:
    """One socket per charge point: lift the soft descriptor limit (often 1024) to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def serve(args: argparse.Namespace) -> int:
    # Imported here so that `call` starts fast: it needs none of the server.
    from central_system.log_format import configure_logging
    from central_system.provisioning_files import ProvisioningError

    repeats = configure_logging(
        args.log_level,
        stream=sys.stderr,
        repeats=args.log_repeats,
        interval_s=args.log_interval_s,
    )
    try:
        config = config_from_arguments(args)
    except ProvisioningError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    from central_system.store import StoreError

    _raise_open_file_limit()
    try:
        asyncio.run(_serve_until_stopped(config))
    except StoreError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except OSError as exc:
        return _fail(
            f"cannot serve on {config.host}:{config.port}: {exc.strerror or exc}", EXIT_FAILED
        )
    finally:
        repeats.flush()  # the counts of lines held back
    return EXIT_OK


def _read_payload(text: str) -> dict[str, Any]:
    if text == "-":
        text = sys.stdin.read()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the payload is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ValueError("the payload must be a JSON object")
    return payload


def call(args: argparse.Namespace) -> int:
    try:
        payload = _read_payload(args.payload)
    except ValueError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    try:
        reply = call_charge_point(
            args.api_url, args.charge_point_id, args.action, payload, timeout_s=args.timeout_s
        )
    except CallFailed as exc:
        return _fail(str(exc), EXIT_BAD_INPUT if exc.http_status == 400 else EXIT_FAILED)
    print(json.dumps(reply))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return call(args)
