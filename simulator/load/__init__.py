"""`chargenet load`'s generator: a synthetic fleet, ramps, honest latency (docs/load.md).

- `Ramp` / `RampStep` (`ramp`): how many charge points are wanted connected over time.
- `MessagePlan` (`plan`): what each charge point sends.
- `Schedule` (`schedule`): one charge point's CALLs at their intended (open-loop) times.
- `Recorder` (`recorder`): counters and HdrHistograms, per action and per window.
- `LoadChargePoint` (`charge_point`): one charge point on the wire.
- `Dialect` (`dialect`): the OCPP version a run speaks; `Schedule201` (`schedule201`) and the
  2.0.1 payloads (`plan201`).
- `run_load` / `LoadOptions` (`fleet`, `options`): the fleet run.
- `LoadResult` / `WindowStats` (`result`): the measurement, load.json, windows.csv.
"""

from simulator.load.fleet import run_load
from simulator.load.options import LoadOptions
from simulator.load.plan import MessagePlan
from simulator.load.ramp import Ramp, RampStep
from simulator.load.result import LoadResult, WindowStats

__all__ = [
    "LoadOptions",
    "LoadResult",
    "MessagePlan",
    "Ramp",
    "RampStep",
    "WindowStats",
    "run_load",
]
