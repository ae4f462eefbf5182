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

A check belongs to one OCPP version (`ocpp_version`, default 1.6): a 2.0.1 case is declared
with `@check201(...)` (the same arguments) under its OCTT 2.0.1 id, `TC_<block>_<nn>_CSMS`
(TC_B_01_CSMS), and `catalogue(OCPP201)` holds those only.
"""

from __future__ import annotations

import enum
import fnmatch
import importlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ocppj.versions import OCPP16, OCPP201
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
#: The modules that declare 2.0.1 checks (one line per module; blocks A, B, P first).
CHECK_MODULES_201: Final = (
    "simulator.check.checks.v201_a_security",
    "simulator.check.checks.v201_b_provisioning",
    "simulator.check.checks.v201_b_more",
    "simulator.check.checks.v201_p_data_transfer",
    "simulator.check.checks.v201_transport",
    "simulator.check.checks.v201_c_authorization",
    "simulator.check.checks.v201_e_transactions",
    "simulator.check.checks.v201_f_remote_control",
    "simulator.check.checks.v201_g_availability",
    "simulator.check.checks.v201_j_meter_values",
)
#: The versions a catalogue exists for, by the name `--ocpp` takes.
OCPP_VERSIONS: Final = {"1.6": OCPP16, "2.0.1": OCPP201}
#: The name of each version in reports (`1.6`, `2.0.1`).
VERSION_LABELS: Final = {version: label for label, version in OCPP_VERSIONS.items()}


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
    #: The OCPP version the case speaks (its subprotocol, schemas and trigger path).
    ocpp_version: str = OCPP16

    @property
    def kind(self) -> Kind:
        return Kind.OCTT if self.id.startswith("TC_") else Kind.ROBUSTNESS


_CHECKS: dict[tuple[str, str], Check] = {}


def check(
    check_id: str,
    title: str,
    *,
    profile: Profile,
    clause: str,
    sends: str,
    expects: str,
    backend_initiated: bool = False,
    ocpp_version: str = OCPP16,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check: register the function under its id with its description."""
    suffix = "_CS" if ocpp_version == OCPP16 else "_CSMS"
    if not (check_id.startswith("TC_") and check_id.endswith(suffix)) and not check_id.startswith(
        "RB_"
    ):
        raise ValueError(f"{check_id}: ids are TC_…{suffix} (OCTT) or RB_… (robustness)")

    def register(function: CheckFunction) -> CheckFunction:
        if (ocpp_version, check_id) in _CHECKS:
            raise ValueError(f"{check_id} is declared twice")
        _CHECKS[(ocpp_version, check_id)] = Check(
            check_id,
            title,
            profile,
            clause,
            sends,
            expects,
            function,
            backend_initiated,
            ocpp_version,
        )
        return function

    return register


def check201(
    check_id: str,
    title: str,
    *,
    profile: Profile = Profile.CORE,
    clause: str,
    sends: str,
    expects: str,
    backend_initiated: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare an OCPP 2.0.1 check (`check` with ocpp_version 2.0.1; Core unless told)."""
    return check(
        check_id,
        title,
        profile=profile,
        clause=clause,
        sends=sends,
        expects=expects,
        backend_initiated=backend_initiated,
        ocpp_version=OCPP201,
    )


def catalogue(ocpp_version: str = OCPP16) -> list[Check]:
    """Every declared check of `ocpp_version`: OCTT cases first, then robustness checks, each
    by id (2.0.1: by block, then by number)."""
    for module in CHECK_MODULES + CHECK_MODULES_201:
        importlib.import_module(module)
    return sorted(
        (c for c in _CHECKS.values() if c.ocpp_version == ocpp_version),
        key=lambda c: (c.kind is Kind.ROBUSTNESS, _sort_key(c)),
    )


def _sort_key(check: Check) -> tuple[tuple[int, int, str], ...]:
    """1.6: by id as text (its numbers are zero-padded); 2.0.1: TC_B_9 before TC_B_10 (the
    numbers of an id compared as numbers)."""
    parts = [check.id] if check.ocpp_version == OCPP16 else check.id.split("_")
    return tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in parts)


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
