"""orjson where it is installed, for the hot path's frames; the standard library otherwise.

`fast_loads` is `orjson.loads` or None; `dumps_compact(value)` is the text of
`json.dumps(value, separators=(",", ":"))` (ASCII, non-ASCII characters escaped), byte for
byte: orjson writes it unless its text could differ from the standard library's (non-ASCII,
DEL, NaN or infinities, floats below 1e-4 or from 1e16 on, which the standard library writes
with an exponent), and then the standard encoder does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["dumps_compact", "fast_dumps", "fast_loads", "has_long_integer"]

_STANDARD: Final = json.JSONEncoder(separators=(",", ":")).encode
# Where orjson's text may not be the standard library's: an exponent (orjson always writes
# a digit, "e" and a sign), a float below 1e-4 (orjson writes it without one), NaN/Infinity
# (orjson: null), DEL (the standard library escapes it). Checked with bytes.translate and
# substring tests (C speed: a regular expression costs more than orjson saves): digits read
# as "0", signs as "+", "e" stays, everything else is a space.
_SHAPES: Final = bytes(
    0x30 if 0x30 <= i <= 0x39 else i if i == 0x65 else 0x2B if i in (0x2B, 0x2D) else 0x20
    for i in range(256)
)


def _may_differ(encoded: bytes) -> bool:
    return (
        b"null" in encoded
        or b"0.0000" in encoded
        or b"\x7f" in encoded
        or ((b"e+" in encoded or b"e-" in encoded) and b"0e+" in encoded.translate(_SHAPES))
    )


fast_loads: Callable[[str | bytes], Any] | None
try:
    import orjson
except ImportError:  # optional: the standard library does it all, a little slower
    fast_loads = None
    _fast_dumps: Callable[..., bytes] | None = None
    _PASSTHROUGH = 0
else:
    fast_loads = orjson.loads
    _fast_dumps = orjson.dumps
    # Subclasses (enums), dataclasses and datetimes go to the standard encoder, as without
    # orjson (which would write them where the standard library refuses or spells otherwise).
    _PASSTHROUGH = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )


def fast_dumps(value: Any) -> str | None:
    """orjson's text of `value` where it is the standard library's compact text byte for byte;
    None where orjson is not installed, refuses the value, or could write it otherwise."""
    if _fast_dumps is None:
        return None
    try:
        encoded = _fast_dumps(value, option=_PASSTHROUGH)
    except TypeError:  # a value orjson does not take as the standard library would
        return None
    if encoded.isascii() and not _may_differ(encoded):
        return encoded.decode("ascii")
    return None


def dumps_compact(value: Any) -> str:
    """`json.dumps(value, separators=(",", ":"))`, faster where orjson is installed."""
    text = fast_dumps(value)
    return _STANDARD(value) if text is None else text


# Digits read as "0", all else as a space: a run of 19 zeros is an integer of 19 digits or
# more, which orjson reads as a float where the standard library keeps an int.
_DIGITS: Final = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_RUN: Final = b"0" * 19


def has_long_integer(text: str) -> bool:
    """Whether `text` holds a run of 19 digits or more (orjson would read a float there)."""
    return _LONG_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGITS)
