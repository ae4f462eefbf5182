"""Defaults shared by the command line and the config (kept import-light for `call`)."""

from typing import Final

__all__ = [
    "DEFAULT_API_PORT",
    "DEFAULT_HANDSHAKE_TIMEOUT_S",
    "DEFAULT_LOG_INTERVAL_S",
    "DEFAULT_LOG_REPEATS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_FRAME_BYTES",
    "DEFAULT_PORT",
]

DEFAULT_PORT: Final = 9000
DEFAULT_API_PORT: Final = 9001
DEFAULT_MAX_FRAME_BYTES: Final = 65536
#: Open websockets plus unfinished handshakes; above the 10,000 connections measured and the
#: 5,000 charge points of benchmarks/ocpp.py. The descriptor limit may lower it (see limits).
DEFAULT_MAX_CONNECTIONS: Final = 20_000
#: From the accepted TCP connection to the end of the websocket upgrade (TLS included): a
#: charge point on a cellular link needs a few round trips, a slowloris gets no longer.
DEFAULT_HANDSHAKE_TIMEOUT_S: Final = 10.0
#: Log lines of one kind (logger, level, message template) let through per interval.
DEFAULT_LOG_REPEATS: Final = 5
DEFAULT_LOG_INTERVAL_S: Final = 10.0
