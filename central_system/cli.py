"""`python -m central_system serve|call`: the command line of the built-in central system.

This parser is the source of truth for `chargenet csms serve ...` and `chargenet csms call ...`,
which replace their process with `python -m central_system --prog "chargenet csms" ...` (so
signals reach the server itself); `--prog`, accepted only as the first argument, names the
command in usage lines and its first word prefixes every error line. Exit codes: 0 done,
1 runtime failure (cannot listen; charge point not connected, no reply, CALLERROR; API
unreachable), 2 bad input (arguments, provisioning files, payload, API token), 130 interrupted
before the server was up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

from central_system.api_token import (
    TOKEN_ENV,
    ApiTokenError,
    checked_token,
    load_or_create_token_file,
    new_api_token,
    read_token_file,
    readable_by_others,
)
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
from ocppj import event_loop

__all__ = [
    "DIRECT",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "PASSWORD_ENVIRONMENT_VARIABLE",
    "PROG_FLAG",
    "Invocation",
    "Parser",
    "add_call_arguments",
    "add_serve_arguments",
    "build_parser",
    "call",
    "config_from_arguments",
    "main",
    "serve",
]

if TYPE_CHECKING:
    from central_system.certificates import CertificateSigning
    from central_system.config import CentralSystemConfig
    from central_system.grid import GridSites

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

#: `--prog NAME` as the first argument: how the command was invoked (see the docstring).
PROG_FLAG: Final = "--prog"
#: The API's refusals that are the caller's mistake: bad payload, token, Host, content type.
_BAD_INPUT_STATUSES: Final = frozenset({400, 401, 403, 415})


@dataclass(frozen=True, slots=True)
class Invocation:
    #: Names the command in usage lines ("chargenet csms").
    prog: str
    #: Starts every error line ("chargenet: ...").
    error_prefix: str


DIRECT: Final = Invocation("python -m central_system", "central_system")
_invocation = DIRECT  # set once by main()


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, `<prefix>: <message> (see <prog> --help)`, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{_invocation.error_prefix}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


#: The shared basic auth password, when --password-file is not given.
PASSWORD_ENVIRONMENT_VARIABLE = "CHARGENET_CSMS_PASSWORD"


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
        "--api-token-file",
        type=Path,
        metavar="FILE",
        help="the operator API token: read from FILE, or generated and written there (mode "
        "0600) if FILE does not exist (default: generated, printed once as api_token)",
    )
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
        "--grid-sites",
        type=Path,
        metavar="FILE",
        help="share these sites' grid limits among their charging ports (JSON, see "
        "docs/central_system.md): their SiteChargingNeeds reports are answered with TxProfiles",
    )
    parser.add_argument(
        "--allow-ids",
        type=Path,
        metavar="FILE",
        help="only these charge point ids (one per line) may connect; others get HTTP 404",
    )
    # Refused with a one-line error (serve): a password in argv is in the process list.
    parser.add_argument("--password", help=argparse.SUPPRESS)
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="require HTTP basic auth (username = charge point id) with the shared password on "
        f"this file's first line (or set {PASSWORD_ENVIRONMENT_VARIABLE})",
    )
    parser.add_argument(
        "--passwords",
        type=Path,
        metavar="FILE",
        help="require HTTP basic auth with per-id passwords: CSV id,password or a JSON object "
        "(an id's own password wins over the shared one)",
    )
    parser.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve wss:// with this PEM certificate chain (security profile 2; needs --tls-key)",
    )
    parser.add_argument(
        "--tls-key", type=Path, metavar="FILE", help="the unencrypted PEM key of --tls-cert"
    )
    parser.add_argument(
        "--client-ca",
        type=Path,
        metavar="FILE",
        help="require client certificates issued by this PEM CA, subject CN = charge point id "
        "(security profile 3; needs --tls-cert)",
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
        "--rejected-ids",
        type=Path,
        metavar="FILE",
        help="answer every boot of these charge point ids (one per line) with Rejected",
    )
    parser.add_argument(
        "--boot-retry-interval-s",
        type=_positive_int,
        default=10,
        help="interval given with a Pending or Rejected boot (default %(default)s)",
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
        "--certificate-signing",
        choices=["test-ca", "reject"],
        default="test-ca",
        help="SignCertificate: sign the CSR with a test CA and send CertificateSigned, or "
        "answer Rejected (default %(default)s)",
    )
    parser.add_argument(
        "--ca-cert",
        type=Path,
        metavar="FILE",
        help="the test CA's certificate (PEM; with --ca-key); default: <db>-ca.pem, generated "
        "on the first CSR",
    )
    parser.add_argument(
        "--ca-key", type=Path, metavar="FILE", help="the test CA's private key (PEM, unencrypted)"
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
        "--api-token-file",
        type=Path,
        metavar="FILE",
        help=f"read the operator API token from FILE (default: the {TOKEN_ENV} environment "
        "variable)",
    )
    parser.add_argument(
        "--timeout-s",
        type=_positive_float,
        help="how long to wait for the charge point's reply (default: the server's)",
    )


def build_parser(prog: str = DIRECT.prog) -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog, description="chargenet's built-in OCPP 1.6J and 2.0.1 central system."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    serve = commands.add_parser(
        "serve",
        help="run the central system",
        description="Run the central system. Once listening, prints one JSON line to stdout: "
        '{"ws_url": ..., "api_url": ..., "api_token": ...}; charge points connect to '
        "<ws_url>/<charge point id>; operator API requests carry "
        "'Authorization: Bearer <api_token>'. Stops cleanly on SIGTERM or SIGINT.",
    )
    add_serve_arguments(serve)
    call = commands.add_parser(
        "call",
        help="send a central-system-initiated call to a connected charge point",
        description="Send a call through a running central system's operator API and print the "
        f"charge point's reply as JSON. The API token comes from --api-token-file or {TOKEN_ENV}. "
        "Exit 1 when it is not connected, does not answer, answers with a CALLERROR or the API "
        "is unreachable; exit 2 for a bad payload or a missing or wrong token.",
    )
    add_call_arguments(call)
    return parser


def config_from_arguments(args: argparse.Namespace) -> CentralSystemConfig:
    """Raises ProvisioningError for an unusable file or flag, TlsError for unusable TLS
    files."""
    from central_system.config import CentralSystemConfig
    from central_system.handshake import Credentials
    from central_system.provisioning_files import (
        ProvisioningError,
        load_id_list,
        load_id_tags,
        load_password_file,
        load_passwords,
    )
    from central_system.registration import BootPolicy
    from central_system.tls import TlsSettings, server_context

    if args.password is not None:
        raise ProvisioningError(
            "--password would show the password in the process list: put it on the first line "
            f"of a file given with --password-file FILE, or in {PASSWORD_ENVIRONMENT_VARIABLE}"
        )
    if args.password_file is not None:
        shared_password: str | None = load_password_file(args.password_file)
    else:
        shared_password = os.environ.get(PASSWORD_ENVIRONMENT_VARIABLE)
        if shared_password == "":
            raise ProvisioningError(f"{PASSWORD_ENVIRONMENT_VARIABLE} is set but empty")
    passwords = load_passwords(args.passwords) if args.passwords else {}
    tls = None
    if args.tls_cert is None:
        if args.tls_key is not None or args.client_ca is not None:
            flag = "--tls-key" if args.tls_key is not None else "--client-ca"
            raise ProvisioningError(f"{flag} needs --tls-cert")
    elif args.tls_key is None:
        raise ProvisioningError("--tls-cert needs --tls-key")
    else:
        tls = TlsSettings(args.tls_cert, args.tls_key, args.client_ca)
        server_context(tls)  # one-line error now, not when the server starts
    return CentralSystemConfig(
        db_path=args.db,
        host=args.host,
        port=args.port,
        api_port=None if args.no_api else args.api_port,
        boot_policy=BootPolicy(
            heartbeat_interval_s=args.heartbeat_interval_s,
            pending_ids=load_id_list(args.pending_ids) if args.pending_ids else frozenset(),
            pending_boots=args.pending_boots,
            rejected_ids=load_id_list(args.rejected_ids) if args.rejected_ids else frozenset(),
            boot_retry_interval_s=args.boot_retry_interval_s,
        ),
        id_tags=load_id_tags(args.id_tags) if args.id_tags else (),
        accept_unknown_tags=args.accept_unknown_tags,
        allowed_ids=load_id_list(args.allow_ids) if args.allow_ids else None,
        credentials=Credentials.from_passwords(shared_password, passwords),
        tls=tls,
        max_frame_bytes=args.max_frame_bytes,
        max_connections=args.max_connections,
        handshake_timeout_s=args.handshake_timeout_s,
        call_timeout_s=args.call_timeout_s,
        certificate_signing=_certificate_signing(args),
        api_token=_serve_api_token(args.api_token_file),
        grid_sites=_grid_sites(args.grid_sites),
    )


def _grid_sites(path: Path | None) -> GridSites | None:
    from central_system.grid import load_grid_sites
    from central_system.provisioning_files import ProvisioningError

    if path is None:
        return None
    try:
        return load_grid_sites(path)
    except ValueError as exc:
        raise ProvisioningError(str(exc)) from None


def _certificate_signing(args: argparse.Namespace) -> CertificateSigning:
    from central_system.certificates import CertificateSigning, SigningMode
    from central_system.provisioning_files import ProvisioningError

    if (args.ca_cert is None) != (args.ca_key is None):
        raise ProvisioningError("--ca-cert and --ca-key go together")
    for path in (args.ca_cert, args.ca_key):
        if path is not None and not path.is_file():
            raise ProvisioningError(f"{path}: no such file")
    return CertificateSigning(SigningMode(args.certificate_signing), args.ca_cert, args.ca_key)


def _serve_api_token(path: Path | None) -> str:
    """Raises ApiTokenError for an unusable token file."""
    if path is None:
        return new_api_token()
    token, created = load_or_create_token_file(path)
    if not created and readable_by_others(path):
        logging.getLogger("central_system.cli").warning(
            "the API token file %s is readable by other users (chmod 600 it)", path
        )
    return token


async def _serve_until_stopped(config: CentralSystemConfig, *, print_token: bool) -> bool:
    """Serve until SIGTERM or SIGINT; True if it was SIGINT (Ctrl-C)."""
    from central_system.server import running

    stop = asyncio.Event()
    stopped_by: list[int] = []
    loop = asyncio.get_running_loop()

    def stop_on(signal_number: int) -> None:
        stopped_by.append(signal_number)
        stop.set()

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop_on, signal_number)
    async with running(config) as central_system:
        line: dict[str, str | None] = {
            "ws_url": central_system.ws_url,
            "api_url": central_system.api_url,
        }
        if central_system.api_url is not None and print_token:
            line["api_token"] = central_system.api_token  # printed this once, nowhere else
        print(json.dumps(line), flush=True)
        await stop.wait()
    return stopped_by[:1] == [signal.SIGINT]


def _raise_open_file_limit() -> None:
    """One socket per charge point: lift the soft descriptor limit (often 1024) to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _fail(message: str, code: int) -> int:
    print(f"{_invocation.error_prefix}: {message}", file=sys.stderr)
    return code


def serve(args: argparse.Namespace) -> int:
    # Imported here so that `call` starts fast: it needs none of the server.
    from central_system.log_format import configure_logging
    from central_system.provisioning_files import ProvisioningError
    from central_system.tls import TlsError

    repeats = configure_logging(
        args.log_level,
        stream=sys.stderr,
        repeats=args.log_repeats,
        interval_s=args.log_interval_s,
    )
    if args.no_api and args.api_token_file is not None:
        return _fail("--api-token-file needs the operator API (drop --no-api)", EXIT_BAD_INPUT)
    try:
        config = config_from_arguments(args)
    except (ProvisioningError, TlsError, ApiTokenError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    from central_system.store import StoreError

    _raise_open_file_limit()
    try:
        interrupted = event_loop.run(
            _serve_until_stopped(config, print_token=args.api_token_file is None)
        )
    except (StoreError, OSError, BaseExceptionGroup) as raised:
        # the server's task group wraps what failed in an ExceptionGroup
        cause = _leaf(raised)
        if isinstance(cause, StoreError):
            return _fail(str(cause), EXIT_FAILED)
        if isinstance(cause, OSError):
            return _fail(_cannot_listen(config, cause), EXIT_FAILED)
        raise
    finally:
        repeats.flush()  # the counts of lines held back
    if interrupted:  # a person at a terminal: say it stopped (a supervisor's SIGTERM: quiet)
        print(
            f"{_invocation.error_prefix}: interrupted; the central system stopped cleanly",
            file=sys.stderr,
        )
    return EXIT_OK


def _leaf(raised: BaseException) -> BaseException:
    """The first exception an ExceptionGroup holds (nested groups unwrapped), or `raised`."""
    while isinstance(raised, BaseExceptionGroup) and raised.exceptions:
        raised = raised.exceptions[0]
    return raised


def _cannot_listen(config: CentralSystemConfig, exc: OSError) -> str:
    """One line naming the address that could not be bound: the websocket's (bound first) if it
    cannot be bound now, else the operator API's."""
    # asyncio's message repeats the address as a Python tuple: the errno's own words instead
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if config.api_port is None or (config.port != 0 and not _can_bind(config.host, config.port)):
        return f"cannot serve on {config.host}:{config.port}: {reason}"
    return f"cannot serve the operator API on 127.0.0.1:{config.api_port}: {reason}"


def _can_bind(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_server((host, port)).close()  # SO_REUSEADDR, as the server binds
    except OSError:
        return False
    return True


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


def _call_api_token(path: Path | None) -> str:
    """From the file, else the environment (never the command line); raises ApiTokenError."""
    if path is not None:
        return read_token_file(path)
    text = os.environ.get(TOKEN_ENV)
    if text is None:
        raise ApiTokenError(
            f"no operator API token: set {TOKEN_ENV} (serve printed it as api_token) "
            "or pass --api-token-file FILE"
        )
    return checked_token(text, TOKEN_ENV)


def call(args: argparse.Namespace) -> int:
    try:
        payload = _read_payload(args.payload)
        api_token = _call_api_token(args.api_token_file)
    except (ValueError, ApiTokenError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    try:
        reply = call_charge_point(
            args.api_url,
            args.charge_point_id,
            args.action,
            payload,
            api_token=api_token,
            timeout_s=args.timeout_s,
        )
    except CallFailed as exc:
        bad_input = exc.http_status in _BAD_INPUT_STATUSES
        return _fail(str(exc), EXIT_BAD_INPUT if bad_input else EXIT_FAILED)
    print(json.dumps(reply))
    return EXIT_OK


def _invocation_from(argv: list[str]) -> tuple[Invocation, list[str]]:
    if argv[:1] == [PROG_FLAG] and len(argv) >= 2 and argv[1].strip():
        return Invocation(argv[1], argv[1].split()[0]), argv[2:]
    return DIRECT, argv


def main(argv: Sequence[str] | None = None) -> int:
    global _invocation
    _invocation, arguments = _invocation_from(list(sys.argv[1:] if argv is None else argv))
    try:
        args = build_parser(_invocation.prog).parse_args(arguments)
        if args.command == "serve":
            return serve(args)
        return call(args)
    except KeyboardInterrupt:
        # Ctrl-C before the server's own handler is installed (or during `call`): no traceback.
        return _fail("interrupted", EXIT_INTERRUPTED)
