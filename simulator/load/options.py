"""`LoadOptions`: everything one load run (or one shard of it) needs to know."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from simulator.errors import UserError
from simulator.load.dialect import DIALECTS, OcppLabel
from simulator.load.plan import MessagePlan
from simulator.load.ramp import Ramp

__all__ = ["MAX_DURATION_MARGIN_S", "LoadOptions"]

MAX_DURATION_MARGIN_S = 60.0
"""The default hard bound is the ramp's duration plus this (the last answers, the closes)."""


@dataclass(frozen=True, slots=True)
class LoadOptions:
    url: str
    """ws:// or wss://; the charge point id is appended as a path segment (or put at {id})."""
    ramp: Ramp
    plan: MessagePlan = field(default_factory=MessagePlan)
    id_prefix: str = "load"
    window_s: float = 10.0
    timeout_s: float = 30.0
    """A CALL with no answer this long after it was sent is a timeout."""
    connect_timeout_s: float = 30.0
    password: str | None = None
    """Security profile 1: HTTP basic auth, username = charge point id."""
    ssl_context: ssl.SSLContext | None = None
    max_duration_s: float | None = None
    """Hard bound on the run (default: the ramp's duration + 60 s)."""
    shard: int = 0
    shards: int = 1
    scenario: Path | None = None
    """Traffic from this scenario's fleet and drivers (scenario_traffic), not `plan`'s."""
    speed: float = 1.0
    """With `scenario`: virtual seconds per wall second."""
    silence_limit: int = 3
    """This many CALLs in a row of one charge point without an answer end the run."""
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    """Reconnects after a drop or a failed attempt wait an exponential, jittered back-off."""
    close_timeout_s: float = 2.0
    ocpp: OcppLabel | None = None
    """The OCPP version spoken ("1.6", "2.0.1"); None: 1.6, or with `scenario` each
    network's own `ocpp` key (given: every network's)."""

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme not in ("ws", "wss"):
            raise UserError(f"{self.url} is not a ws:// or wss:// URL")
        for name in ("window_s", "timeout_s", "connect_timeout_s", "speed"):
            if not getattr(self, name) > 0:
                raise UserError(f"{name} must be positive, not {getattr(self, name)}")
        if self.max_duration_s is not None and not self.max_duration_s > 0:
            raise UserError(f"max_duration_s must be positive, not {self.max_duration_s}")
        if not 0 <= self.shard < self.shards:
            raise UserError(f"shard {self.shard} is not one of {self.shards} shards")
        if self.ocpp is not None and self.ocpp not in DIALECTS:
            raise UserError(f"ocpp {self.ocpp!r}: expected one of {', '.join(DIALECTS)}")
        if self.silence_limit < 1:
            raise UserError(f"silence_limit must be at least 1, not {self.silence_limit}")
        if self.scenario is not None and self.shards > 1:
            raise UserError(
                "a scenario is one simulation (its drivers share sites and queues): it cannot "
                "be split over shards; run it in one process"
            )

    @property
    def hard_limit_s(self) -> float:
        if self.max_duration_s is not None:
            return self.max_duration_s
        return self.ramp.duration_s + MAX_DURATION_MARGIN_S
