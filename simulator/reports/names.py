"""How a report names a summary's groups: networks by their scenario names, sites under their
network. Pure: from summary.json's data (its `network_names` and each site's `network`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["display_names"]


def display_names(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """How a summary's groups are shown: each network by its scenario name (its id where it
    has none or two share one), each site as "network / site", sites grouped by network in
    the networks' order (a region's sites are interleaved: round-robin over the networks)."""
    names: Mapping[str, str] = data.get("network_names") or {}
    ids = list(data["networks"])
    shown = [names.get(n) or n for n in ids]
    network = dict(zip(ids, shown, strict=True)) if len(set(shown)) == len(ids) else {}
    network = {n: network.get(n, n) for n in ids}
    sites: Mapping[str, Any] = data["sites"]
    order = sorted(sites, key=lambda s: _position(ids, sites[s].get("network")))
    return network, {
        s: f"{network.get(sites[s]['network'], sites[s]['network'])} / {s}"
        if sites[s].get("network")
        else s
        for s in order
    }


def _position(ids: Sequence[str], network: str | None) -> int:
    return ids.index(network) if network in ids else len(ids)
