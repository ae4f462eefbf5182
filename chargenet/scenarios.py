"""A scenario in the Python API: loaded from a file, changed by key path, always validated.

The pydantic models of simulator.scenario are frozen, so a change is a new scenario:
`scenario.with_(demand=1.2)` or `scenario.with_({"sites.sc-1.ports": 4})` copies the data, sets
each key and validates the result with the file format's own models (a bad key or value is one
line, as in a file). Keys are those of `chargenet sweep --vary` (simulator/experiment/grid.py):
dotted paths, list items by id, index or `[brand@network]`, and the aliases (`demand`,
`price[NET]`, `ports[SITE]`, ...). A key of `[simulation]` (days, seed, start, warmup_days,
meter_interval_s) may be given bare, and a dotted step after a list picks the item by id, so
`sites.sc-1.ports` reads as `sites[sc-1].ports`; setting a site's `ports` to a whole number sets
its port count (a site with one kind of port).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import scenario as sc
from simulator.errors import UserError
from simulator.experiment import grid

SIMULATION_KEYS = frozenset(sc.SimulationSpec.model_fields)
"""Keys of [simulation] that `with_` takes bare: `with_(days=14)`."""
_PORT_COUNTS = "[*].count"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario; `with_` gives changed copies (this one never changes)."""

    model: sc.Scenario
    """The validated file format (simulator.scenario.Scenario)."""
    source: str = "scenario"
    """Where it came from (a path, or what changed it): named in error lines."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "scenario") -> Scenario:
        """A scenario from plain data (a TOML file's tables as Python dicts and lists)."""
        return cls(sc.parse(dict(data), source=source), source)

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def days(self) -> float:
        return self.model.simulation.days

    @property
    def seed(self) -> int:
        return self.model.simulation.seed

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (every default filled in), which `from_dict` takes back."""
        return self.model.model_dump()

    def with_(self, changes: Mapping[str, Any] | None = None, /, **keywords: Any) -> Scenario:
        """A copy with each key set to its value, validated as a whole.

        `changes` takes any key path ({"networks[tesla].price_per_kwh": 0.4}); keywords take
        the keys that are names (`days=14`, `seed=3`, `demand=1.2`, `name="busy"`)."""
        settings = {**(changes or {}), **keywords}
        if not settings:
            return self
        data = self.to_dict()
        for key, value in settings.items():
            _set(data, key, value)
        described = ", ".join(f"{k}={v!r}" for k, v in settings.items())
        source = f"{self.source} with {described}"
        return Scenario(sc.parse(data, source=source), source)

    def __repr__(self) -> str:
        return f"<chargenet.Scenario {self.name!r} from {self.source}>"


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (a defect is a one-line ScenarioError)."""
    return Scenario(sc.load(path), str(path))


def scenario_of(scenario: Scenario | str | Path) -> Scenario:
    """A Scenario as given, or loaded from its path."""
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def key_path(key: str, data: Mapping[str, Any]) -> str:
    """The sweep grid's key path for a `with_` key (aliases expanded, dotted ids bracketed)."""
    if key in SIMULATION_KEYS:
        return f"simulation.{key}"
    expanded = grid.expand_alias(key)
    if expanded != key or "[" in key:
        return expanded
    node: Any = data
    out = ""
    for n, part in enumerate(key.split(".")):
        if n == 0 and part == "sites" and "sites" not in data:
            out, node = "sites", [s for net in data.get("networks", []) for s in net["sites"]]
        elif isinstance(node, list):
            out += f"[{part}]"
            node = _item(node, part)
        else:
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _item(items: list[Any], selector: str) -> Any:
    if re.fullmatch(r"-?\d+", selector) and -len(items) <= int(selector) < len(items):
        return items[int(selector)]
    return next((x for x in items if isinstance(x, dict) and x.get("id") == selector), None)


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    path = key_path(key, data)
    if path.endswith(".ports") and isinstance(value, int) and not isinstance(value, bool):
        path += _PORT_COUNTS  # a site's port count, as the alias ports[SITE] sets it
    try:
        grid.steps(path)
        if path.endswith(".ports" + _PORT_COUNTS):
            _one_kind_of_port(data, path.removesuffix(_PORT_COUNTS))
        vary = grid.Vary(key, path, (value,), (str(value),))
        changed = grid.apply(data, [(vary, value)])
    except (LookupError, ValueError) as e:
        raise UserError(f"with_({key}=...): {e.args[0]}") from None
    data.clear()
    data.update(changed)


def _one_kind_of_port(data: dict[str, Any], ports_path: str) -> None:
    """Setting a count on every port spec is only unambiguous with one spec."""
    for site in _sites_at(data, ports_path.removesuffix(".ports")):
        if len(site["ports"]) > 1:
            raise LookupError(
                f"site {site['id']} has {len(site['ports'])} kinds of port; "
                f"set sites.{site['id']}.ports.N.count instead"
            )


def _sites_at(data: dict[str, Any], sites_path: str) -> list[dict[str, Any]]:
    """The sites a path names, found by the grid's own resolver: it tags their ids in a copy."""
    tag = "\x00chargenet-site"
    tagged = grid.apply(data, [(grid.Vary("site", f"{sites_path}.id", (tag,), (tag,)), tag)])
    before = [s for n in data["networks"] for s in n["sites"]]
    after = [s for n in tagged["networks"] for s in n["sites"]]
    return [b for b, a in zip(before, after, strict=True) if a["id"] == tag]


def check_window(where: str, simulation: sc.SimulationSpec, days: float | None) -> None:
    """Refuse, before any work, a horizon at or below the warm-up (no metric would have a
    window), in the API's words (the command line names its flags instead)."""
    horizon_days = simulation.days if days is None else days
    if horizon_days > simulation.warmup_days:
        return
    horizon = f"days={days:g}" if days is not None else f"simulation.days = {horizon_days:g}"
    raise UserError(
        f"{where}: {horizon} leaves nothing to measure after the warm-up "
        f"(simulation.warmup_days = {simulation.warmup_days:g}); give more days or "
        "with_(warmup_days=...) a shorter warm-up"
    )
