"""The ocpp package's camelCase <-> snake_case key conversion, cached per key.

`ocpp.charge_point.camel_to_snake_case` runs two regular expressions on every key of every
message; the set of keys a connection sees is small, so each key is converted once by the
package's own function and remembered (up to a bound, as 2.0.1 customData allows any key).
"""

from __future__ import annotations

import re
from typing import Any, Final

from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case

__all__ = ["camel_key", "camel_keys", "kebab_action", "snake_keys"]

_MAX_CACHED_KEYS: Final = 4096
_snake: dict[str, str] = {}
_camel: dict[str, str] = {}


def _snake_key(key: str) -> str:
    try:
        return _snake[key]
    except KeyError:
        converted: str = next(iter(camel_to_snake_case({key: None})))
        if len(_snake) < _MAX_CACHED_KEYS:
            _snake[key] = converted
        return converted


def camel_key(key: str) -> str:
    """One snake_case key in camelCase (cached)."""
    try:
        return _camel[key]
    except KeyError:
        return _camel_key(key)


def _camel_key(key: str) -> str:
    try:
        return _camel[key]
    except KeyError:
        converted: str = next(iter(snake_to_camel_case({key: None})))
        if len(_camel) < _MAX_CACHED_KEYS:
            _camel[key] = converted
        return converted


_LEAVES: Final = frozenset({str, int, float, bool, type(None)})


def snake_keys(data: Any) -> Any:
    """`camel_to_snake_case(data)`, with cached keys."""
    kind = type(data)
    if kind is dict:  # what a decoded frame holds: the hot path, without a call per leaf
        snake, leaves = _snake, _LEAVES
        return {
            (snake[key] if key in snake else _snake_key(key)): (
                value if type(value) in leaves else snake_keys(value)
            )
            for key, value in data.items()
        }
    if kind is list:
        return [value if type(value) in _LEAVES else snake_keys(value) for value in data]
    if isinstance(data, dict):
        return {_snake_key(key): snake_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [snake_keys(value) for value in data]
    return data


def camel_keys(data: Any) -> Any:
    """`snake_to_camel_case(data)`, with cached keys."""
    if isinstance(data, dict):
        return {_camel_key(key): camel_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [camel_keys(value) for value in data]
    return data


def kebab_action(action: str) -> str:
    """RemoteStartTransaction -> remote-start-transaction: an action as the OCTT trigger
    convention names it in a path."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", action).lower()
