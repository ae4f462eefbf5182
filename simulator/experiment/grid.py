"""Sweep grids: `--vary KEY=V1,V2,...` parsed, applied to a scenario by key path, re-validated.

A key is a path into the scenario file, dots between keys and brackets to pick list items:

    arrivals.multiplier                          a key of a table
    networks[tesla].non_member_price_per_kwh     the list item whose id is tesla
    networks[tesla].sites[sc].ports[0].count     ... a position in a list (from 0)
    vehicles[*].adapter_share                    every item of a list
    deals[brand=nissan].session_cap_min          the items whose key equals a value
    deals[nissan@evgo].eligible_share            a deal, by brand@network (deals have no id)
    sites[sc].queue_limit                        a site by id, whichever network it is in
    sites.sc.grid_limit_kw                       the same: a name after a list is an id in it

and a few friendly aliases (see ALIASES): `demand` for arrivals.multiplier, `price[NET]`,
`non_member_price[NET]`, `idle_fee[NET]`, `roaming_fee[NET]`, `open_from_day[NET]`,
`adapter_share[VEHICLE]`, `ports[SITE]` (the port count of a site with one kind of port),
`patience` (the mean of drivers.patience_min) and `warmup_days`.

Values are TOML values (1.2, true, "NACS", ["CCS1", "NACS"], {dist = "fixed", value = 10}),
and a bare word is a string; `none` unsets an optional key. Every grid point is validated by
the scenario's own pydantic model before anything runs: a bad key or value is one line.
"""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator import scenario as sc
from simulator.errors import UserError

ALIASES: dict[str, str] = {
    "demand": "arrivals.multiplier",
    "price[]": "networks[{}].price_per_kwh",
    "non_member_price[]": "networks[{}].non_member_price_per_kwh",
    "idle_fee[]": "networks[{}].idle_fee_per_min",
    "roaming_fee[]": "networks[{}].roaming_fee_per_kwh",
    "open_from_day[]": "networks[{}].open_from_day",
    "adapter_share[]": "vehicles[{}].adapter_share",
    "ports[]": "sites[{}].ports[*].count",
    "patience": "drivers.patience_min.mean",
    "warmup_days": "simulation.warmup_days",
}
"""Alias -> key path; `[]` takes one selector, substituted for `{}`."""

PORT_COUNTS = ".ports[*].count"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
"""A key, or an id after a list (ids may hold hyphens or start with a digit)."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    selectors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vary:
    key: str
    """As the user wrote it: the column name in the sweep's tables."""
    path: str
    """The key path it stands for (aliases expanded)."""
    values: tuple[Any, ...]
    texts: tuple[str, ...]
    """Each value as written."""


@dataclass(frozen=True, slots=True)
class Point:
    index: int
    settings: tuple[tuple[str, Any], ...]
    """(key, value) for every varied key, in the order of the --vary options."""
    label: str
    scenario: Mapping[str, Any]
    """The validated scenario at this point, as plain data."""


def parse_vary(text: str) -> Vary:
    """`KEY=V1,V2,...` -> Vary; a malformed option is a one-line UserError."""
    split = _top_level_index(text, "=")
    if split is None:
        raise UserError(f"--vary {text}: expected KEY=V1,V2,...")
    key, rest = text[:split].strip(), text[split + 1 :]
    if not key:
        raise UserError(f"--vary {text}: the key is missing before '='")
    texts = tuple(v.strip() for v in _split_top_level(rest, ","))
    if not texts or any(not v for v in texts):
        raise UserError(f"--vary {text}: expected values after '=', separated by commas")
    if len(set(texts)) != len(texts):
        raise UserError(f"--vary {text}: a value appears twice")
    path = expand_alias(key)
    try:
        steps(path)
    except ValueError as e:
        raise UserError(f"--vary {text}: {e}") from None
    return Vary(key, path, tuple(parse_value(v) for v in texts), texts)


def expand_alias(key: str) -> str:
    if key in ALIASES:
        return ALIASES[key]
    m = re.fullmatch(r"([A-Za-z_]+)\[([^\[\]]+)\]", key)
    if m and f"{m.group(1)}[]" in ALIASES:
        return ALIASES[f"{m.group(1)}[]"].format(m.group(2))
    return key


def parse_value(text: str) -> Any:
    if text.lower() in {"none", "null"}:
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def steps(path: str) -> list[Step]:
    """`a.b[x][0].c` -> [Step(a), Step(b, (x, 0)), Step(c)]; ValueError names the defect."""
    out: list[Step] = []
    i = 0
    while True:
        m = _NAME.match(path, i)
        if not m:
            raise ValueError(f"expected a key name at {path[i:] or 'the end'!r}")
        i = m.end()
        selectors: list[str] = []
        while i < len(path) and path[i] == "[":
            end = path.find("]", i)
            if end < 0:
                raise ValueError("a '[' is not closed")
            selector = path[i + 1 : end].strip()
            if not selector:
                raise ValueError("empty brackets")
            selectors.append(selector)
            i = end + 1
        out.append(Step(m.group(0), tuple(selectors)))
        if i == len(path):
            return out
        if path[i] != ".":
            raise ValueError(f"unexpected {path[i]!r} in {path!r}")
        i += 1


def apply(data: Mapping[str, Any], settings: Sequence[tuple[Vary, Any]]) -> dict[str, Any]:
    """A deep copy of scenario data with each varied key set (not yet validated)."""
    out = copy.deepcopy(dict(data))
    for vary, value in settings:
        slots = _resolve(out, vary.path)
        for container, key in slots:
            container[key] = copy.deepcopy(value)
    return out


def grid(base: sc.Scenario, varies: Sequence[Vary]) -> list[Point]:
    """Every combination of the varied values (the first key varies slowest), each validated."""
    if not varies:
        raise UserError("sweep: give at least one --vary KEY=V1,V2,...")
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise UserError(f"--vary: key {_first_repeat(keys)!r} is varied twice")
    data = base.model_dump()
    for vary in varies:
        try:
            _resolve(data, vary.path)
            if vary.path.endswith(PORT_COUNTS):
                _one_kind_of_port(data, vary.path.removesuffix(PORT_COUNTS))
        except LookupError as e:
            raise UserError(f"--vary {vary.key}: {e.args[0]}") from None
    points = []
    for index, combo in enumerate(itertools.product(*[range(len(v.values)) for v in varies])):
        settings = [(v, v.values[j]) for v, j in zip(varies, combo, strict=True)]
        label = " ".join(f"{v.key}={v.texts[j]}" for v, j in zip(varies, combo, strict=True))
        point_data = apply(data, settings)
        validated = sc.parse(point_data, source=f"--vary {label}")
        points.append(
            Point(
                index,
                tuple((v.key, value) for v, value in settings),
                label,
                validated.model_dump(),
            )
        )
    return points


def _one_kind_of_port(data: dict[str, Any], sites_path: str) -> None:
    """`ports[SITE]` sets the count of every port spec: only unambiguous with one spec."""
    for holder, key in _resolve(data, sites_path):
        site = holder[key]
        if len(site["ports"]) > 1:
            raise LookupError(
                f"site {site['id']} has {len(site['ports'])} kinds of port; "
                f"vary sites[{site['id']}].ports[N].count instead"
            )


# --- resolving a path to the places it names ---------------------------------------------


def _resolve(data: dict[str, Any], path: str) -> list[tuple[Any, Any]]:
    """(container, key) of every place `path` names; LookupError says what is not there.

    A name after a list is an id in it: `sites.ID.key` is `sites[ID].key`, and
    `networks.ID.key` is `networks[ID].key` (a list has no keys, so this is never ambiguous).
    """
    slots: list[tuple[Any, Any]] = [({"": data}, "")]
    where = ""
    listed: list[tuple[Any, Any]] | None = None
    """The items of the list the last step reached, when no bracket picked among them."""
    for n, step in enumerate(steps(path)):
        selectors = step.selectors
        if listed is not None:  # list.ID: the items whose id is ID
            slots = _select(listed, step.name, where)
            where, listed = f"{where}[{step.name}]", None
        elif n == 0 and step.name == "sites" and "sites" not in data:
            # a site by id, whichever network holds it
            every = [(n["sites"], i) for n in data["networks"] for i in range(len(n["sites"]))]
            if not selectors:
                listed, where = every, "sites"
                continue
            slots = _select(every, selectors[0], "sites")
            where, selectors = f"sites[{selectors[0]}]", selectors[1:]
        else:
            slots = [(_node(holder, key, where), step.name) for holder, key in slots]
            for holder, _ in slots:
                if not isinstance(holder, dict) or step.name not in holder:
                    raise LookupError(_no_key(holder, step.name, where))
            where = f"{where}.{step.name}" if where else step.name
            nodes = [holder[key] for holder, key in slots]
            if not selectors and nodes and all(isinstance(x, list) for x in nodes):
                listed = [(x, i) for x in nodes for i in range(len(x))]
                continue
        for selector in selectors:
            chosen: list[tuple[Any, Any]] = []
            for holder, key in slots:
                items = _node(holder, key, where)
                if not isinstance(items, list):
                    raise LookupError(f"{where} is not a list; drop [{selector}]")
                chosen += _select([(items, i) for i in range(len(items))], selector, where)
            slots = chosen
            where = f"{where}[{selector}]"
    if listed is not None and where == "sites":
        raise LookupError("sites needs a site id, such as sites.ID or sites[ID]")
    return slots


def _node(holder: Any, key: Any, where: str) -> Any:
    value = holder[key]
    if value is None:
        raise LookupError(f"{where} is not set in the scenario")
    return value


def _no_key(node: Any, name: str, where: str) -> str:
    place = where or "the scenario"
    if not isinstance(node, dict):
        return f"{place} has no key {name!r} (it is a {type(node).__name__})"
    return f"{place} has no key {name!r} (keys: {', '.join(node)})"


def _select(slots: list[tuple[Any, Any]], selector: str, where: str) -> list[tuple[Any, Any]]:
    """The slots of one list whose items the selector picks."""
    items = [holder[key] for holder, key in slots]
    if selector == "*":
        if not items:
            raise LookupError(f"{where} is empty")
        return slots
    if re.fullmatch(r"-?\d+", selector):
        i = int(selector)
        if not -len(items) <= i < len(items):
            raise LookupError(f"{where}[{selector}]: the list has {len(items)} items")
        return [slots[i]]
    if "=" in selector:
        conditions = [tuple(p.strip() for p in c.split("=", 1)) for c in selector.split(",")]
        picked = [
            s
            for s, x in zip(slots, items, strict=True)
            if isinstance(x, dict) and all(k in x and _text(x[k]) == v for k, v in conditions)
        ]
        if not picked:
            raise LookupError(f"{where}[{selector}]: no item matches")
        return picked
    ids = [str(x["id"]) for x in items if isinstance(x, dict) and "id" in x]
    if ids:
        picked = [s for s, x in zip(slots, items, strict=True) if x.get("id") == selector]
        if not picked:
            raise LookupError(f"{where}[{selector}]: no item has that id (ids: {', '.join(ids)})")
        return picked
    # deals have no id: by brand, or brand@network
    brand, _, network = selector.partition("@")
    picked = [
        s
        for s, x in zip(slots, items, strict=True)
        if isinstance(x, dict)
        and x.get("brand") == brand
        and (not network or x.get("network") == network)
    ]
    if not picked:
        raise LookupError(f"{where}[{selector}]: no item matches (use an index or KEY=VALUE)")
    return picked


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _top_level_index(text: str, char: str) -> int | None:
    depth = 0
    quote = ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == char and depth == 0:
            return i
    return None


def _split_top_level(text: str, char: str) -> list[str]:
    parts = []
    while True:
        i = _top_level_index(text, char)
        if i is None:
            parts.append(text)
            return parts
        parts.append(text[:i])
        text = text[i + 1 :]


def _first_repeat(keys: Sequence[str]) -> str:
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            return k
        seen.add(k)
    return ""
