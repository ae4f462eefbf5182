"""Charging profiles (OCPP 1.6 Smart Charging) and the composite schedule they stack into.

Pure: times are the model's virtual seconds, limits are kW once converted. A charge point's
installed profiles form a `ProfileSet`; its `composite` is the limit over a window, the rules
of OCPP 1.6 section 3.13:

- a profile applies at an instant when it is valid then (validFrom <= t < validTo) and its
  schedule runs then (from its start, for its duration; Recurring restarts every day or week
  from startSchedule; Relative starts at the transaction's start);
- within a purpose the highest stack level that applies wins (on equal levels a profile on
  the connector itself beats one on connector 0);
- a TxProfile (only the running transaction's, on its connector) overrides every
  TxDefaultProfile; a ChargePointMaxProfile (connector 0) caps the result;
- TxDefaultProfiles on connector 0 apply to every connector.

Amperes become watts with the port's `Supply`: DC, W = A x the DC voltage; AC, W = A x the
line-to-neutral voltage (230 V) x the phases in use (numberPhases, 3 when absent).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "AC_PHASE_VOLTAGE_V",
    "DAY_S",
    "WEEK_S",
    "ChargingProfile",
    "Kind",
    "Period",
    "ProfileSet",
    "Purpose",
    "RateUnit",
    "Recurrency",
    "Schedule",
    "Supply",
    "Transaction",
]

DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
AC_PHASE_VOLTAGE_V = 230.0
"""Line-to-neutral: each phase of a 400 V three-phase supply carries 230 V."""
DEFAULT_PHASES = 3


class Purpose(StrEnum):
    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"


class Kind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class RateUnit(StrEnum):
    W = "W"
    A = "A"


@dataclass(frozen=True, slots=True)
class Supply:
    """How a port's amperes become watts: DC at `voltage_v` (phases 0), or AC with
    `AC_PHASE_VOLTAGE_V` per phase."""

    voltage_v: float
    ac: bool = False

    def kw(self, limit: float, unit: RateUnit, phases: int | None) -> float:
        if unit is RateUnit.W:
            return limit / 1000.0
        return limit * self.volts_per_amp(phases) / 1000.0

    def in_unit(self, kw: float, unit: RateUnit, phases: int | None = None) -> float:
        """A kW limit in `unit` (A: at `phases`, 3 when None, on AC)."""
        if unit is RateUnit.W:
            return kw * 1000.0
        return kw * 1000.0 / self.volts_per_amp(phases)

    def volts_per_amp(self, phases: int | None) -> float:
        if not self.ac:
            return self.voltage_v
        return AC_PHASE_VOLTAGE_V * (DEFAULT_PHASES if phases is None else phases)


@dataclass(frozen=True, slots=True)
class Period:
    start_s: float
    """From the schedule's start."""
    limit: float
    """In the schedule's unit (W or A)."""
    phases: int | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    unit: RateUnit
    periods: tuple[Period, ...]
    """Sorted by start, the first at 0."""
    duration_s: float | None = None
    """None: the last period lasts (for Recurring: until the next recurrence)."""
    start_s: float | None = None
    """startSchedule (Absolute, Recurring); ignored by Relative profiles."""
    min_rate: float | None = None
    """minChargingRate: stored and reported, the model's cars need no minimum."""


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    id: int
    connector: int
    stack_level: int
    purpose: Purpose
    kind: Kind
    schedule: Schedule
    recurrency: Recurrency | None = None
    valid_from_s: float | None = None
    valid_to_s: float | None = None
    transaction: int | None = None
    """A TxProfile's transaction (the model's handle): it ends with it."""

    def problem(self) -> str | None:
        """Why the profile is malformed (None: it is not)."""
        periods = self.schedule.periods
        if self.stack_level < 0:
            return "a negative stack level"
        if not periods:
            return "no schedule period"
        if periods[0].start_s != 0:
            return "the first period does not start at 0"
        if any(b.start_s <= a.start_s for a, b in itertools.pairwise(periods)):
            return "periods not in increasing order of start"
        if any(p.limit < 0 or not math.isfinite(p.limit) for p in periods):
            return "a negative limit"
        if self.kind is Kind.RECURRING and self.recurrency is None:
            return "a Recurring profile without recurrencyKind"
        if self.kind is not Kind.RELATIVE and self.schedule.start_s is None:
            return f"an {self.kind.value} profile without startSchedule"
        if self.purpose is Purpose.CHARGE_POINT_MAX and self.connector != 0:
            return "a ChargePointMaxProfile on a connector other than 0"
        if self.purpose is Purpose.TX and self.connector == 0:
            return "a TxProfile on connector 0"
        return None

    def schedule_offset_s(self, t: float, tx_start_s: float | None) -> float | None:
        """How far into its schedule the profile is at `t`; None when it does not apply then."""
        if self.valid_from_s is not None and t < self.valid_from_s:
            return None
        if self.valid_to_s is not None and t >= self.valid_to_s:
            return None
        start = self._start_at(t, tx_start_s)
        if start is None or t < start:
            return None
        offset = t - start
        duration = self.schedule.duration_s
        if duration is not None and offset >= duration:
            return None
        return offset

    def _start_at(self, t: float, tx_start_s: float | None) -> float | None:
        if self.kind is Kind.RELATIVE:
            return tx_start_s
        first = self.schedule.start_s
        assert first is not None
        if self.kind is Kind.ABSOLUTE or t < first:
            return first
        every = self._recurrence_s()
        return first + math.floor((t - first) / every) * every

    def _recurrence_s(self) -> float:
        return WEEK_S if self.recurrency is Recurrency.WEEKLY else DAY_S

    def limit_kw(self, offset_s: float, supply: Supply) -> float:
        """The limit `offset_s` into the schedule."""
        periods = self.schedule.periods
        chosen = periods[0]
        for p in periods:
            if p.start_s > offset_s:
                break
            chosen = p
        return supply.kw(chosen.limit, self.schedule.unit, chosen.phases)

    def boundaries(self, a: float, b: float, tx_start_s: float | None) -> list[float]:
        """The instants in (a, b] at which this profile's contribution may change."""
        out: list[float] = []
        for edge in (self.valid_from_s, self.valid_to_s):
            if edge is not None and a < edge <= b:
                out.append(edge)
        starts: list[float] = []
        if self.kind is Kind.RELATIVE:
            if tx_start_s is not None:
                starts.append(tx_start_s)
        else:
            first = self.schedule.start_s
            assert first is not None
            if self.kind is Kind.ABSOLUTE:
                starts.append(first)
            else:
                every = self._recurrence_s()
                k = max(0, math.floor((a - first) / every))
                while first + k * every <= b:
                    starts.append(first + k * every)
                    k += 1
        duration = self.schedule.duration_s
        for start in starts:
            for p in self.schedule.periods:
                if duration is not None and p.start_s >= duration:
                    break
                if a < start + p.start_s <= b:
                    out.append(start + p.start_s)
            if duration is not None and a < start + duration <= b:
                out.append(start + duration)
        return out


@dataclass(frozen=True, slots=True)
class Transaction:
    """The transaction running on a charge point: its connector, handle and start."""

    connector: int
    ref: int
    start_s: float


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """The profiles installed on one charge point (a model port), in installation order."""

    profiles: tuple[ChargingProfile, ...] = ()

    def __len__(self) -> int:
        return len(self.profiles)

    def install(self, profile: ChargingProfile, by_level: bool = True) -> ProfileSet:
        """With `profile` added; it replaces one of the same id, and (`by_level`, 1.6) one of
        the same purpose and stack level on the same connector."""
        kept = tuple(
            p
            for p in self.profiles
            if p.id != profile.id
            and not (
                by_level
                and p.purpose is profile.purpose
                and p.stack_level == profile.stack_level
                and p.connector == profile.connector
            )
        )
        return ProfileSet((*kept, profile))

    def replaced_count(self, profile: ChargingProfile) -> int:
        """How many installed profiles `install(profile)` would replace."""
        return len(self) + 1 - len(self.install(profile))

    def clear(
        self,
        profile_id: int | None = None,
        connector: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> ProfileSet:
        """Without the profiles ClearChargingProfile names: by id when given (the rest is then
        ignored), else every one that matches all the criteria given."""
        if profile_id is not None:
            return ProfileSet(tuple(p for p in self.profiles if p.id != profile_id))

        def matches(p: ChargingProfile) -> bool:
            return (
                (connector is None or p.connector == connector)
                and (purpose is None or p.purpose is purpose)
                and (stack_level is None or p.stack_level == stack_level)
            )

        return ProfileSet(tuple(p for p in self.profiles if not matches(p)))

    def without_transaction(self, ref: int) -> ProfileSet:
        """The TxProfiles of transaction `ref` end with it."""
        return ProfileSet(
            tuple(
                p for p in self.profiles if not (p.purpose is Purpose.TX and p.transaction == ref)
            )
        )

    def limit_kw(
        self,
        connector: int,
        t: float,
        tx: Transaction | None,
        supply: Supply,
        relative_from_s: float | None = None,
    ) -> float | None:
        """The composite limit on `connector` at `t` (0: the charge point as a whole, which
        is the running transaction's connector when one runs); None: no profile limits it.
        Relative profiles start with the connector's transaction, else at `relative_from_s`
        (default `t`: as if a transaction started now)."""
        if connector == 0 and tx is not None:
            connector = tx.connector
        own_tx = tx if tx is not None and tx.connector == connector else None
        relative_start = _relative_start(
            connector, tx, t if relative_from_s is None else relative_from_s
        )
        best: dict[Purpose, tuple[int, bool, float]] = {}
        for p in self.profiles:
            if p.purpose is Purpose.TX:
                if own_tx is None or p.connector != connector:
                    continue
                if p.transaction is not None and p.transaction != own_tx.ref:
                    continue
            elif p.purpose is Purpose.TX_DEFAULT and p.connector not in (0, connector):
                continue
            offset = p.schedule_offset_s(t, relative_start)
            if offset is None:
                continue
            rank = (p.stack_level, p.connector != 0)
            held = best.get(p.purpose)
            if held is None or rank > held[:2]:
                best[p.purpose] = (*rank, p.limit_kw(offset, supply))
        tx_limit = best.get(Purpose.TX) or best.get(Purpose.TX_DEFAULT)
        cap = best.get(Purpose.CHARGE_POINT_MAX)
        limits = [x[2] for x in (tx_limit, cap) if x is not None]
        return min(limits) if limits else None

    def composite(
        self,
        connector: int,
        start_s: float,
        duration_s: float,
        tx: Transaction | None,
        supply: Supply,
    ) -> list[tuple[float, float | None]]:
        """The composite schedule over [start_s, start_s + duration_s): (from_s, limit_kw)
        at each change, the first at start_s; None where no profile limits."""
        end = start_s + duration_s
        instants = sorted(
            {start_s, *self._boundaries(connector, start_s, end, tx, start_s)} - {end}
        )
        out: list[tuple[float, float | None]] = []
        for t in instants:
            limit = self.limit_kw(connector, t, tx, supply, start_s)
            if not out or out[-1][1] != limit:
                out.append((t, limit))
        return out

    def next_change_s(
        self, connector: int, t: float, tx: Transaction | None, supply: Supply
    ) -> float | None:
        """The first instant after `t` (within a week and a day) at which the limit on
        `connector` changes; None when none does."""
        now = self.limit_kw(connector, t, tx, supply, t)
        for b in sorted(set(self._boundaries(connector, t, t + WEEK_S + DAY_S, tx, t))):
            if self.limit_kw(connector, b, tx, supply, t) != now:
                return b
        return None

    def _boundaries(
        self, connector: int, a: float, b: float, tx: Transaction | None, relative_from_s: float
    ) -> list[float]:
        start = _relative_start(connector, tx, relative_from_s)
        out: list[float] = []
        for p in self.profiles:
            out += [x for x in p.boundaries(a, b, start) if x < b]
        return out


def _relative_start(connector: int, tx: Transaction | None, fallback_s: float) -> float:
    """Where Relative schedules start on `connector`: its transaction's start, else
    `fallback_s`."""
    if tx is not None and connector in (0, tx.connector):
        return tx.start_s
    return fallback_s


def with_transaction(profile: ChargingProfile, ref: int) -> ChargingProfile:
    """A TxProfile bound to the transaction it was sent for."""
    return replace(profile, transaction=ref)
