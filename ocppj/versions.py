"""OCPP-J versions: the websocket subprotocol names."""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["OCPP16", "OCPP201", "SUPPORTED_VERSIONS", "Version", "check_version"]

OCPP16: Final = "ocpp1.6"
OCPP201: Final = "ocpp2.0.1"

Version = Literal["ocpp1.6", "ocpp2.0.1"]

#: Subprotocols in order of preference (the server picks the first one the client also offers).
SUPPORTED_VERSIONS: Final[tuple[Version, ...]] = (OCPP16, OCPP201)


def check_version(version: str) -> Version:
    """Return `version` if it is a supported subprotocol name, else raise ValueError."""
    if version == OCPP16:
        return OCPP16
    if version == OCPP201:
        return OCPP201
    raise ValueError(f"unsupported OCPP version {version!r}; expected one of {SUPPORTED_VERSIONS}")
