"""The catalogue: every check with its id, title, profile, clause and what it sends and expects.

A check is one small async function, declared where it is written:

    @check(
        "TC_001_CS",
        "Cold boot: the boot is accepted and every connector's status answered",
        profile=Profile.CORE,
        clause="OCPP 1.6 §4.2 BootNotification, §4.9 StatusNotification",
        sends="BootNotification, then StatusNotification Available for connectors 0..N",
        expects="BootNotification.conf Accepted with currentTime and interval > 0; ...",
    )
    async def cold_boot(ctx: CheckContext) -> None:
        ...

Ids: `TC_nnn[_m]_CS` for a central-system case of the OCA's OCTT 1.6 case list (the numbering
only: titles and assertions are ours), `RB_…` for the robustness checks OCTT lacks.
"""

from __future__ import annotations

import enum
import fnmatch
import importlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from simulator.errors import UserError

if TYPE_CHECKING:
    from simulator.check.context import CheckContext

CheckFunction = Callable[["CheckContext"], Awaitable[None]]

#: The modules that declare checks (imported by `catalogue()`).
CHECK_MODULES: Final = (
    "simulator.check.checks.octt_core",
    "simulator.check.checks.octt_security",
    "simulator.check.checks.octt_boot",
    "simulator.check.checks.octt_sessions",
    "simulator.check.checks.octt_provisioning",
    "simulator.check.checks.octt_remote_control",
    "simulator.check.checks.octt_remote_trigger",
    "simulator.check.checks.octt_reservation",
    "simulator.check.checks.octt_local_list",
    "simulator.check.checks.octt_firmware",
    "simulator.check.checks.octt_smart_charging",
    "simulator.check.checks.framing",
    "simulator.check.checks.transport",
    "simulator.check.checks.behaviour",
)


class Profile(enum.Enum):
    """OCPP 1.6 feature profiles, and the security extension."""

    CORE = "Core"
    FIRMWARE = "FirmwareManagement"
    LOCAL_AUTH_LIST = "LocalAuthListManagement"
    RESERVATION = "Reservation"
    SMART_CHARGING = "SmartCharging"
    REMOTE_TRIGGER = "RemoteTrigger"
    SECURITY = "Security"


class Kind(enum.Enum):
    OCTT = "OCTT"
    ROBUSTNESS = "robustness"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    profile: Profile
    #: The spec text the check holds the backend to.
    clause: str
    #: What the scripted charge point sends (and does).
    sends: str
    #: What the backend must answer for a pass.
    expects: str
    run: CheckFunction
    #: The case needs the backend to initiate a call (made to by --trigger, next session).
    backend_initiated: bool = False

    @property
    def kind(self) -> Kind:
        return Kind.OCTT if self.id.startswith("TC_") else Kind.ROBUSTNESS


_CHECKS: dict[str, Check] = {}


def check(
    check_id: str,
    title: str,
    *,
    profile: Profile,
    clause: str,
    sends: str,
    expects: str,
    backend_initiated: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check: register the function under its id with its description."""
    if not (check_id.startswith("TC_") and check_id.endswith("_CS")) and not check_id.startswith(
        "RB_"
    ):
        raise ValueError(f"{check_id}: ids are TC_…_CS (OCTT) or RB_… (robustness)")

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in _CHECKS:
            raise ValueError(f"{check_id} is declared twice")
        _CHECKS[check_id] = Check(
            check_id, title, profile, clause, sends, expects, function, backend_initiated
        )
        return function

    return register


def catalogue() -> list[Check]:
    """Every declared check: OCTT cases first, then robustness checks, each by id."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return sorted(_CHECKS.values(), key=lambda c: (c.kind is Kind.ROBUSTNESS, c.id))


def _profile(name: str) -> Profile:
    for profile in Profile:
        if profile.value.lower() == name.strip().lower():
            return profile
    known = ", ".join(p.value for p in Profile)
    raise UserError(f"--profile: unknown profile {name.strip()!r} (known: {known})")


def select(
    checks: Sequence[Check], only: Iterable[str] = (), profiles: Iterable[str] = ()
) -> list[Check]:
    """The checks named by `only` (ids or shell patterns: TC_023_*) and in `profiles`."""
    chosen = list(checks)
    patterns = [p.strip() for p in only if p.strip()]
    if patterns:
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(c.id, pattern.upper()) for c in checks):
                raise UserError(f"--only: no check {pattern!r} (chargenet check --list)")
        chosen = [c for c in chosen if any(fnmatch.fnmatchcase(c.id, p.upper()) for p in patterns)]
    wanted = {_profile(p) for p in profiles if p.strip()}
    if wanted:
        chosen = [c for c in chosen if c.profile in wanted]
    return chosen
