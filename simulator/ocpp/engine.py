"""The OCPP engine's entry points: `run_ocpp` / `run_ocpp_async` run a world over OCPP (1.6J,
or 2.0.1 for the networks `OcppRunOptions.versions` names) with the settings of one
`OcppRunOptions`.

With no `csms_url` the built-in central system runs as its own process for the run (its store
at `csms_db`, or a temporary file), with every id tag accepted, as the fast engine does, and
shares the sites' grid limits out (`OcppRunOptions.grid_in_csms`). The run itself is a
`Lockstep` (simulator.ocpp.lockstep).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ocppj import Version, event_loop
from simulator.model.records import Records
from simulator.model.world import World
from simulator.ocpp.builtin_csms import BuiltinCsms, CsmsTls, write_grid_sites
from simulator.ocpp.lockstep import Lockstep, Progress
from simulator.ocpp.transport import TransportConfig, ssl_context
from simulator.ocpp.wire_stats import DEFAULT_MAX_LAG_S, WireStats

__all__ = ["OcppRunOptions", "OnWire", "Progress", "run_ocpp", "run_ocpp_async"]

OnWire = Callable[[WireStats], None]
"""Gets the run's wire statistics (wire.json) once it is over."""


@dataclass(frozen=True, slots=True)
class OcppRunOptions:
    """How to run a world over OCPP (every field has the command line's default)."""

    csms_url: str | None = None
    """The central system's websocket URL (or template); None: the built-in one."""
    pace: float | None = None
    """Virtual seconds per wall second (--pace); None: as fast as the wire allows."""
    message_log: Path | None = None
    """Where every frame goes, with virtual and wall time (JSON lines)."""
    progress: Progress | None = None
    csms_db: Path | None = None
    """The built-in central system's store (None: a temporary file)."""
    password: str | None = None
    """Security profile 1: the basic auth password of every charge point."""
    ca_file: Path | None = None
    """Verify a wss:// central system against this CA file (with `csms_url`)."""
    transport: TransportConfig | None = None
    """Every connection setting (URL, TLS, timeouts, back-off, buffers): used as given with
    `csms_url` (its URL is the one dialled); with the built-in central system, that one's URL
    and `password` replace the URL and password given here."""
    max_lag_s: float | None = DEFAULT_MAX_LAG_S
    """How far virtual time may run ahead of the oldest unanswered message (None: no
    bound)."""
    on_wire: OnWire | None = None
    versions: Mapping[str, Version] | None = None
    """The OCPP version of each network's charge points, by network id (1.6 where none is
    given): `scenario.ocpp_versions`."""
    csms_tls: CsmsTls | None = None
    """The built-in central system serves wss:// with this certificate (`transport` then
    says how the charge points verify it)."""
    grid_in_csms: bool | None = None
    """Who shares the sites' grid limits out: None (the default) the built-in central system
    when it is the one and some site has a limit (its ports 1.6, 2.0.1 or both), else the model;
    True: the central system (a `csms_url` backend that answers the sites' SiteChargingNeeds
    reports with TxProfiles); False: the model, whatever the central system."""

    def __post_init__(self) -> None:
        if self.max_lag_s is not None and not self.max_lag_s >= 0:
            raise ValueError(f"max_lag_s must be 0 or more, not {self.max_lag_s}")


async def run_ocpp_async(world: World, options: OcppRunOptions | None = None) -> Records:
    """Run `world` over OCPP as `options` say (default: against the built-in central
    system, as fast as the wire allows)."""
    o = OcppRunOptions() if options is None else options
    grid_in_csms = o.grid_in_csms
    if grid_in_csms is None:
        grid_in_csms = o.csms_url is None and _has_grid_sites(world)

    async def drive(config: TransportConfig) -> Records:
        lockstep = Lockstep(
            world,
            config,
            pace=o.pace,
            message_log=o.message_log,
            progress=o.progress,
            max_lag_s=o.max_lag_s,
            versions=o.versions,
            grid_in_csms=grid_in_csms,
        )
        records = await lockstep.run()
        if o.on_wire is not None and lockstep.wire is not None:
            o.on_wire(lockstep.wire)
        return records

    if o.csms_url is None:
        with tempfile.TemporaryDirectory(prefix="chargenet-grid-") as tmp:
            grid = write_grid_sites(world, Path(tmp) / "grid.json") if grid_in_csms else None
            csms = BuiltinCsms(db=o.csms_db, password=o.password, tls=o.csms_tls, grid_sites=grid)
            async with csms:
                if o.transport is None:
                    config = TransportConfig(csms.ws_url, password=o.password)
                else:
                    config = dataclasses.replace(o.transport, url=csms.ws_url, password=o.password)
                return await drive(config)
    config = o.transport or TransportConfig(
        o.csms_url, password=o.password, ssl_context=ssl_context(o.ca_file)
    )
    return await drive(config)


def _has_grid_sites(world: World) -> bool:
    """Some site with a grid limit has ports (1.6, 2.0.1 or both: the built-in central system
    sends each port its share in the port's own version)."""
    sites = {s.id for s in world.sites if s.grid is not None}
    return any(p.site in sites for p in world.ports)


def run_ocpp(world: World, options: OcppRunOptions | None = None) -> Records:
    """`run_ocpp_async` on a fresh event loop (uvloop where installed: `ocppj.event_loop`)."""
    return event_loop.run(run_ocpp_async(world, options))
