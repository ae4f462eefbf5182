"""OCPP-J versions: the websocket subprotocol names and the `ocpp` package's names for them."""

from __future__ import annotations

from typing import Final, Literal

OCPP16: Final = "ocpp1.6"
OCPP201: Final = "ocpp2.0.1"

Version = Literal["ocpp1.6", "ocpp2.0.1"]

#: Subprotocols in order of preference (the server picks the first one the client also offers).
SUPPORTED_VERSIONS: Final[tuple[Version, ...]] = (OCPP16, OCPP201)

_PACKAGE_VERSION: Final[dict[str, str]] = {OCPP16: "1.6", OCPP201: "2.0.1"}
_WIRE_VERSION: Final[dict[str, Version]] = {"1.6": OCPP16, "2.0.1": OCPP201}


def package_version(version: str) -> str:
    """The `ocpp` package's name for a subprotocol: "ocpp1.6" -> "1.6"."""
    try:
        return _PACKAGE_VERSION[version]
    except KeyError:
        raise ValueError(f"unsupported OCPP version {version!r}") from None


def wire_version(package_version: str) -> Version:
    """The subprotocol for an `ocpp` package version: "1.6" -> "ocpp1.6"."""
    try:
        return _WIRE_VERSION[package_version]
    except KeyError:
        raise ValueError(f"unsupported OCPP version {package_version!r}") from None


def check_version(version: str) -> Version:
    """Return `version` if it is a supported subprotocol name, else raise ValueError."""
    if version == OCPP16:
        return OCPP16
    if version == OCPP201:
        return OCPP201
    raise ValueError(f"unsupported OCPP version {version!r}; expected one of {SUPPORTED_VERSIONS}")
