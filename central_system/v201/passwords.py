"""2.0.1's password rotation (use case A01): the CSMS sets SecurityCtrlr.BasicAuthPassword with
SetVariables, and once the station answers that item Accepted, the new password is the one its
next connection must use (1.6 does the same with ChangeConfiguration AuthorizationKey)."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["BASIC_AUTH_PASSWORD", "SECURITY_CTRLR", "accepted_password"]

SECURITY_CTRLR: Final = "SecurityCtrlr"
BASIC_AUTH_PASSWORD: Final = "BasicAuthPassword"


def _names_the_password(item: dict[str, Any]) -> bool:
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    return (
        component.get("name") == SECURITY_CTRLR
        and variable.get("name") == BASIC_AUTH_PASSWORD
        and item.get("attributeType", "Actual") == "Actual"
    )


def accepted_password(payload: dict[str, Any], reply: dict[str, Any]) -> str | None:
    """The BasicAuthPassword a SetVariables (wire payloads) set and the station accepted."""
    wanted = [
        item
        for item in payload.get("setVariableData") or ()
        if _names_the_password(item) and isinstance(item.get("attributeValue"), str)
    ]
    if not wanted:
        return None
    accepted = any(
        result.get("attributeStatus") == "Accepted"
        for result in reply.get("setVariableResult") or ()
        if _names_the_password(result)
    )
    return wanted[-1]["attributeValue"] if accepted else None
