"""The simulated drivers' RFID tags: one encoding, written by the model and read back by the
report on the central system's store.

A tag is `D` + the vehicle model's index (2 digits) + the driver's number (7 digits): 10
characters, within OCPP's idTag limit of 20.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["decode", "encode"]

_TAG: Final = re.compile(r"D(\d{2})(\d{7})")


def encode(vehicle_index: int, driver: int) -> str:
    """The tag of driver `driver` of vehicle model `vehicle_index`."""
    return f"D{vehicle_index:02d}{driver:07d}"


def decode(tag: str) -> tuple[int, int] | None:
    """(vehicle index, driver) of a simulated driver's tag; None for any other tag."""
    match = _TAG.fullmatch(tag)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))
