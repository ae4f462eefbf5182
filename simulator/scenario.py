"""The scenario file format: TOML validated by pydantic, unknown keys rejected.

This is the boundary where untrusted input enters. `spec` turns a validated `Scenario` into the
model's plain frozen dataclasses (a `simulator.model.world.WorldSpec`) and `world` builds the
`World` the engines run on from it, so the model never imports pydantic. docs/scenarios.md
documents every key.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from simulator import scenario_files
from simulator.model import world as mw
from simulator.model.attempts import AfterFailure, AttemptRules
from simulator.model.curve import Curve as ChargingCurve
from simulator.model.distribution import Dist
from simulator.ocpp.configuration import KEYS, feature_profiles

Connector = Literal["NACS", "CCS1", "CHAdeMO"]
OcppVersion = Literal["1.6", "2.0.1"]
Subprotocol = Literal["ocpp1.6", "ocpp2.0.1"]
_SUBPROTOCOLS: dict[OcppVersion, Subprotocol] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
SHARE_TOLERANCE = 1e-6
START_EXAMPLE = "2025-01-06T00:00:00Z"


class ScenarioError(Exception):
    """A user's mistake in a scenario file: one line naming the key path and the value."""


class KeyPathError(ValueError):
    """A check across several keys, raised with the key path it is about."""

    def __init__(self, path: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.path = path
        self.value = value


class Strict(BaseModel):
    """Unknown keys are errors, and so are values of the wrong type: `mtbf_days = "20"` is
    refused, not read as 20 (strict mode; a whole number is still a valid float)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- distributions ------------------------------------------------------------------------


class Fixed(Strict):
    dist: Literal["fixed"]
    value: float = Field(ge=0)


class Uniform(Strict):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high {self.high} is below low {self.low}")
        return self


class Exponential(Strict):
    dist: Literal["exponential"]
    mean: float = Field(gt=0)


class Normal(Strict):
    """A normal distribution truncated to [low, high] by resampling."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
    low: float = 0.0
    high: float = math.inf


class Lognormal(Strict):
    """Parametrised by the mean and standard deviation of the variable itself."""

    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


Distribution = Annotated[
    Fixed | Uniform | Exponential | Normal | Lognormal, Field(discriminator="dist")
]


# --- charging curves ----------------------------------------------------------------------


class FlatCurve(Strict):
    """Full peak power at any state of charge (the degenerate case theory can check)."""

    kind: Literal["flat"]


class TwoStageCurve(Strict):
    """Full power up to knee_soc, then linear down to zero at 100 % (ACN-Sim, EV2Gym)."""

    kind: Literal["two_stage"]
    knee_soc: float = Field(default=0.8, gt=0, lt=1)


class TableCurve(Strict):
    """Power as a fraction of peak at given SoC points, linear between, flat beyond the ends."""

    kind: Literal["table"]
    soc: list[float] = Field(min_length=1)
    fraction: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TableCurve:
        if len(self.soc) != len(self.fraction):
            raise ValueError(
                f"soc has {len(self.soc)} points but fraction has {len(self.fraction)}"
            )
        if any(not 0 <= s <= 1 for s in self.soc):
            raise ValueError(f"soc points must lie in [0, 1], got {self.soc}")
        if any(b <= a for a, b in zip(self.soc, self.soc[1:], strict=False)):
            raise ValueError(f"soc points must increase, got {self.soc}")
        if any(not 0 < f <= 1 for f in self.fraction):
            raise ValueError(f"fractions must lie in (0, 1], got {self.fraction}")
        return self


Curve = Annotated[FlatCurve | TwoStageCurve | TableCurve, Field(discriminator="kind")]


# --- the network --------------------------------------------------------------------------


class PortSpec(Strict):
    power_kw: float = Field(gt=0)
    connectors: list[Connector] = Field(min_length=1)
    count: int = Field(default=1, ge=1)
    template: str | None = None
    """The id of the [station_templates] entry these ports' charge points are built from."""


class StationTemplate(Strict):
    """A charge point's BootNotification identity and the OCPP configuration it starts with
    (1.6 CiString limits: vendor and model 20 characters, firmware 50)."""

    vendor: str = Field(default=mw.DEFAULT_STATION.vendor, min_length=1, max_length=20)
    model: str | None = Field(default=None, min_length=1, max_length=20)
    """Default: the port's power and connectors, e.g. "250kW NACS"."""
    firmware_version: str = Field(default=mw.DEFAULT_STATION.firmware_version, max_length=50)
    configuration: dict[str, str | bool | int] = {}
    """Configuration keys (GetConfiguration's names) and the values they start with."""

    @field_validator("configuration")
    @classmethod
    def _known_writable_keys(cls, keys: dict[str, str | bool | int]) -> dict[str, str | bool | int]:
        for name, value in keys.items():
            key = KEYS.get(name)
            if key is None:
                raise ValueError(f"{name}: not a configuration key of the charge point")
            if key.readonly or key.write_only:
                raise ValueError(f"{name}: {'read-only' if key.readonly else 'write-only'} key")
            if not key.valid(_configuration_value(value)):
                raise ValueError(f"{name} = {value!r}: not a valid value for this key")
        return keys


def _configuration_value(value: str | bool | int) -> str:
    """A TOML value as OCPP 1.6 writes configuration values (booleans as true / false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class GridPeriodSpec(Strict):
    """From this time of day (HH:MM, the clock of simulation.start) the site's grid limit is
    `kw`, until the next period's `from`."""

    # `from_` by name too: a dumped scenario (model_dump) parses again
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    from_: str = Field(alias="from", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    kw: float = Field(ge=0)

    @property
    def from_s(self) -> float:
        hours, minutes = self.from_.split(":")
        return int(hours) * 3600.0 + int(minutes) * 60.0


class SiteSpec(Strict):
    """A site, or a template repeated `count` times (ids get a -1, -2, ... suffix)."""

    id: str = Field(min_length=1)
    count: int = Field(default=1, ge=1)
    ports: list[PortSpec] = Field(min_length=1)
    queue_limit: int | None = Field(default=None, ge=1)
    """At most this many cars on site, charging or waiting; the next is turned away."""
    grid_limit_kw: float | None = Field(default=None, gt=0)
    """The most the site's ports draw together (its grid connection), shared by grid_policy."""
    grid_limit_schedule: list[GridPeriodSpec] | None = Field(default=None, min_length=1)
    """The grid limit by time of day instead: periods in order, the first from "00:00"."""
    grid_policy: Literal["equal", "priority"] = "equal"
    """equal: equal shares capped by each car's demand, the rest redistributed; priority: the
    same, partners (members and deal holders) first (docs/scenarios.md)."""

    @model_validator(mode="after")
    def _queue_holds_ports(self) -> SiteSpec:
        ports = sum(p.count for p in self.ports)
        if self.queue_limit is not None and self.queue_limit < ports:
            raise ValueError(f"queue_limit {self.queue_limit} is below the {ports} ports")
        return self

    @model_validator(mode="after")
    def _one_grid_limit(self) -> SiteSpec:
        schedule = self.grid_limit_schedule
        if schedule is not None:
            if self.grid_limit_kw is not None:
                raise ValueError("give grid_limit_kw or grid_limit_schedule, not both")
            if schedule[0].from_ != "00:00":
                raise ValueError('grid_limit_schedule must start from "00:00"')
            for before, after in itertools.pairwise(schedule):
                if after.from_s <= before.from_s:
                    raise ValueError(
                        f"grid_limit_schedule: {after.from_} does not come after {before.from_}"
                    )
        elif self.grid_policy != "equal" and self.grid_limit_kw is None:
            raise ValueError("grid_policy needs grid_limit_kw or grid_limit_schedule")
        return self

    def grid(self) -> mw.GridLimit | None:
        """The site's grid limit in the model's terms (None: no limit)."""
        if self.grid_limit_schedule is not None:
            periods = tuple((p.from_s, p.kw) for p in self.grid_limit_schedule)
        elif self.grid_limit_kw is not None:
            periods = ((0.0, self.grid_limit_kw),)
        else:
            return None
        return mw.GridLimit(periods, self.grid_policy)


class NetworkSpec(Strict):
    id: str = Field(min_length=1)
    name: str = ""
    access: Literal["open", "members_only"] = "open"
    members: list[str] = []
    """Brands whose drivers are members (native customers) of this network."""
    owners: list[str] = []
    """Brands that co-own the network (a consortium such as IONNA); each gets owner_deal."""
    owner_deal: PerkSpec | None = None
    """The deal every owner's drivers get at this network, each owner paying for its own
    (paid_by defaults to the owner): one [[deals]] entry per owner, written once."""
    open_from_day: float | None = Field(default=None, ge=0)
    """A members-only network opens to every brand from this day (Tesla's NACS opening)."""
    price_per_kwh: float = Field(default=0.0, ge=0)
    """What members pay."""
    non_member_price_per_kwh: float | None = Field(default=None, ge=0)
    """What everybody else pays; defaults to price_per_kwh."""
    idle_fee_per_min: float = Field(default=0.0, ge=0)
    idle_grace_min: float = Field(default=0.0, ge=0)
    roaming_fee_per_kwh: float = Field(default=0.0, ge=0)
    """Mark-up a non-member pays to a roaming hub (OCPI, Hubject) on top of the price."""
    roaming_fee_per_session: float = Field(default=0.0, ge=0)
    ocpp: OcppVersion = "1.6"
    """The OCPP version this network's charge points speak on the OCPP engine (the physics
    is the same on both)."""
    smart_charging: bool = True
    """Its 1.6 charge points support the Smart Charging feature profile (false:
    SetChargingProfile is answered NotSupported)."""
    attempts: AttemptsSpec | None = None
    """This network's failed-attempt rules, in place of the top-level [attempts]."""
    sites: list[SiteSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _opening_needs_members_only(self) -> NetworkSpec:
        if self.open_from_day is not None and self.access != "members_only":
            raise ValueError("open_from_day only applies to a members_only network")
        if self.owner_deal is not None and not self.owners:
            raise ValueError("owner_deal needs owners")
        if len(set(self.owners)) < len(self.owners):
            raise ValueError(f"owners names a brand twice: {self.owners}")
        return self

    def deals(self) -> list[DealSpec]:
        """owner_deal, once per owner."""
        if self.owner_deal is None:
            return []
        terms = self.owner_deal.model_dump()
        return [DealSpec(**terms, brand=b, network=self.id) for b in self.owners]


class VehicleSpec(Strict):
    id: str = Field(min_length=1)
    brand: str = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    battery_kwh: float = Field(gt=0)
    peak_kw: float = Field(gt=0)
    connectors: list[Connector] = Field(min_length=1)
    adapter_share: float = Field(default=0.0, ge=0, le=1)
    """Share of this model's drivers who carry an adapter."""
    adapter_connectors: list[Connector] = []
    adapter_kw: float | None = Field(default=None, gt=0)
    """The most the car draws through its adapter, on a port none of its own plugs fit (e.g.
    50 kW for a brand on another network's stalls); none: the adapter does not limit it."""
    curve: Curve = Field(default_factory=lambda: TwoStageCurve(kind="two_stage"))

    @model_validator(mode="after")
    def _adapter_has_connectors(self) -> VehicleSpec:
        if self.adapter_share > 0 and not self.adapter_connectors:
            raise ValueError("adapter_share > 0 needs adapter_connectors")
        if self.adapter_kw is not None and not self.adapter_connectors:
            raise ValueError("adapter_kw needs adapter_connectors")
        return self


# --- drivers ------------------------------------------------------------------------------


class FreeSessionBehaviour(Strict):
    """How drivers behave when the session costs them nothing (DOE: 1.9x longer sessions)."""

    target_soc: Distribution | None = None
    idle_min: Distribution | None = None


class ChoiceSpec(Strict):
    """Logit choice among the sites a driver may use; see docs/scenarios.md for the utility."""

    rule: Literal["logit", "first"] = "logit"
    candidates: int | None = Field(default=None, ge=1)
    """How many of the nearest sites on the corridor a driver considers (default: all)."""
    site_spacing_km: float = Field(default=10.0, gt=0)
    price_weight: float = -0.05
    """Utility per dollar of expected energy cost."""
    wait_weight: float = -0.1
    """Utility per minute of predicted wait."""
    power_weight: float = 0.01
    """Utility per kW of usable power."""
    perk_weight: float = 1.0
    """Utility of a partner perk (free session, member price, allowance) at the site's network."""
    size_weight: float = 0.5
    """Utility per ln(compatible ports)."""
    detour_weight: float = -0.05
    """Utility per km of detour."""


class DriverSpec(Strict):
    population: int = Field(default=10_000, ge=1)
    """Distinct drivers in the region, split among vehicle models by share; allowances,
    adapters and deal enrolment belong to a driver."""
    arrival_soc: Distribution = Field(
        default_factory=lambda: Uniform(dist="uniform", low=0.1, high=0.4)
    )
    target_soc: Distribution = Field(
        default_factory=lambda: Uniform(dist="uniform", low=0.8, high=0.95)
    )
    energy_kwh: Distribution | None = None
    """Draw the energy demand directly instead of a target SoC (degenerate validation cases)."""
    idle_min: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0.0))
    patience_min: Distribution | None = None
    """Renege after this long waiting for a port; none means unlimited patience."""
    balk_wait_min: float | None = Field(default=None, ge=0)
    """Leave at once when the predicted wait exceeds this."""
    balk_queue_length: int | None = Field(default=None, ge=0)
    """Leave at once when this many cars already wait."""
    free_sessions: FreeSessionBehaviour = FreeSessionBehaviour()
    choice: ChoiceSpec = ChoiceSpec()


# --- partnerships -------------------------------------------------------------------------


class PerkSpec(Strict):
    """A perk for a brand's drivers at a network, paid by someone: a deal's terms."""

    perk: Literal["complimentary", "member_price", "allowance", "membership"]
    eligible_share: float = Field(default=1.0, ge=0, le=1)
    """Share of the brand's drivers enrolled (e.g. only new buyers)."""
    session_cap_min: float | None = Field(default=None, gt=0)
    """Complimentary sessions stop after this long (Nissan + EVgo: 30 min)."""
    min_interval_min: float | None = Field(default=None, gt=0)
    """Fine print of a complimentary perk: a driver's next free session needs this long since
    the arrival of their last one; a driver back sooner pays price_per_kwh (else the list)."""
    price_per_kwh: float | None = Field(default=None, ge=0)
    """Member price, the price beyond an allowance, and what a session the fine print refused
    costs."""
    allowance_kwh: float | None = Field(default=None, gt=0)
    """Free kWh per driver over the run (Volkswagen + Electrify America: 500 kWh)."""
    paid_by: str = ""
    """Who pays the network for the perk (usually the automaker)."""
    settlement: Literal["none", "list_price", "per_kwh", "per_session"] = "list_price"
    settlement_per_kwh: float = Field(default=0.0, ge=0)
    settlement_per_session: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _perk_fields(self) -> PerkSpec:
        if self.perk == "member_price" and self.price_per_kwh is None:
            raise ValueError("a member_price deal needs price_per_kwh")
        if self.perk == "allowance" and self.allowance_kwh is None:
            raise ValueError("an allowance deal needs allowance_kwh")
        if self.min_interval_min is not None and self.perk != "complimentary":
            raise ValueError("min_interval_min only applies to a complimentary deal")
        return self


class DealSpec(PerkSpec):
    """An automaker's deal with a network: a perk for the brand's drivers, paid by someone."""

    brand: str = Field(min_length=1)
    network: str = Field(min_length=1)


# --- demand, failures, the run ------------------------------------------------------------


class ConstantArrivals(Strict):
    kind: Literal["constant"]
    rate_per_h: float = Field(gt=0)
    multiplier: float = Field(default=1.0, gt=0)


class ProfileArrivals(Strict):
    """Sessions per day spread over the hours by weights (weekday and weekend)."""

    kind: Literal["profile"]
    sessions_per_day: float = Field(gt=0)
    weekday: list[float] = Field(min_length=24, max_length=24)
    weekend: list[float] | None = Field(default=None, min_length=24, max_length=24)
    weekend_factor: float = Field(default=1.0, gt=0)
    """Weekend days see this many times the weekday sessions."""
    multiplier: float = Field(default=1.0, gt=0)

    @field_validator("weekday", "weekend")
    @classmethod
    def _weights(cls, weights: list[float] | None) -> list[float] | None:
        if weights is not None and (any(w < 0 for w in weights) or sum(weights) <= 0):
            raise ValueError("hourly weights must be non-negative with a positive sum")
        return weights


class SinusoidArrivals(Strict):
    """rate(t) = base + amplitude * sin(2 pi t / period): the M_t/M/inf validation case."""

    kind: Literal["sinusoid"]
    base_per_h: float = Field(gt=0)
    amplitude_per_h: float = Field(ge=0)
    period_h: float = Field(default=24.0, gt=0)
    multiplier: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _non_negative(self) -> SinusoidArrivals:
        if self.amplitude_per_h > self.base_per_h:
            raise ValueError("amplitude_per_h above base_per_h would make the rate negative")
        return self


Arrivals = Annotated[
    ConstantArrivals | ProfileArrivals | SinusoidArrivals, Field(discriminator="kind")
]


class FailureSpec(Strict):
    mtbf_days: float = Field(gt=0)
    mttr_days: float = Field(gt=0)


class AttemptsSpec(Strict):
    """Failed charge attempts (simulator.model.attempts): each try on a port fails with these
    probabilities per cause, which are exclusive and sum to at most 1; the defaults fail none."""

    handshake: float = Field(default=0.0, ge=0, le=1)
    """The car and the charger never agree (plug-in, cable check, EV communication)."""
    payment: float = Field(default=0.0, ge=0, le=1)
    """The charger's card reader or app payment fails (not a tag the backend refuses)."""
    communication: float = Field(default=0.0, ge=0, le=1)
    """The charger loses its backend mid-start: no StartTransaction is sent."""
    after_failure: Literal["retry", "move", "leave"] = "retry"
    """retry on the same port, move to another free port that fits (else retry), or leave."""
    retries: int = Field(default=1, ge=0, le=10)
    """Tries after a failure, at most (a driver makes at most retries + 1 tries)."""
    give_up_share: float = Field(default=0.0, ge=0, le=1)
    """The chance that a driver leaves after a failed try though a retry is left."""
    failed_try_min: float = Field(default=2.0, gt=0, le=60)
    """How long a failed try holds the port, plug-in to unplug (*assumption*)."""

    @model_validator(mode="after")
    def _at_most_certain(self) -> AttemptsSpec:
        total = self.handshake + self.payment + self.communication
        if total > 1 + SHARE_TOLERANCE:
            raise ValueError(f"failure probabilities sum to {total:g}, more than 1")
        return self

    def rules(self) -> AttemptRules:
        return AttemptRules(
            handshake=self.handshake,
            payment=self.payment,
            communication=self.communication,
            after_failure=AfterFailure(self.after_failure),
            retries=self.retries,
            give_up_share=self.give_up_share,
            failed_try_s=self.failed_try_min * 60.0,
        )


class SimulationSpec(Strict):
    days: float = Field(default=7.0, gt=0)
    seed: int = 1
    start: str = "2025-01-06T00:00:00Z"
    """Virtual time zero (a Monday by default): an ISO 8601 timestamp (UTC where it names no
    offset), as a string or a TOML date-time; a TOML date is its midnight UTC."""
    warmup_days: float = Field(default=0.0, ge=0)
    """Metrics ignore what happens before this (records are kept)."""
    meter_interval_s: float = Field(default=60.0, gt=0)
    """MeterValues sample interval on the OCPP engine."""

    @field_validator("start", mode="before")
    @classmethod
    def _timestamp(cls, value: object) -> object:
        """A TOML date-time or date becomes its ISO text; text must parse as a timestamp, so
        that a mistake fails `validate`, not the run."""
        if isinstance(value, datetime):
            return value.isoformat() if value.tzinfo else value.isoformat() + "Z"
        if isinstance(value, date):
            return f"{value.isoformat()}T00:00:00Z"
        if isinstance(value, time):
            raise ValueError(f"a time of day is not a timestamp; expected e.g. {START_EXAMPLE}")
        if isinstance(value, str):
            try:
                start_of(value)
            except ValueError:
                raise ValueError(f"not an ISO 8601 timestamp such as {START_EXAMPLE}") from None
        return value


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    simulation: SimulationSpec = SimulationSpec()
    networks: list[NetworkSpec] = Field(min_length=1)
    vehicles: list[VehicleSpec] = Field(min_length=1)
    drivers: DriverSpec = DriverSpec()
    deals: list[DealSpec] = []
    arrivals: Arrivals
    failures: FailureSpec | None = None
    attempts: AttemptsSpec | None = None
    """Failed charge attempts (none without the section: every try goes ahead)."""
    station_templates: dict[str, StationTemplate] = {}

    @model_validator(mode="after")
    def _coherent(self) -> Scenario:
        total = sum(v.share for v in self.vehicles)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise KeyPathError("vehicles", f"vehicle shares sum to {total:g}, not 1")
        _unique("networks", [n.id for n in self.networks])
        _unique("sites", [s.id for n in self.networks for s in n.sites])
        _unique("vehicles", [v.id for v in self.vehicles])
        networks = {n.id for n in self.networks}
        brands = {v.brand for v in self.vehicles}
        for i, deal in enumerate(self.deals):
            if deal.network not in networks:
                raise KeyPathError(f"deals[{i}].network", "no such network", deal.network)
            if deal.brand not in brands:
                raise KeyPathError(f"deals[{i}].brand", "no vehicle of this brand", deal.brand)
        dealt = {(d.brand, d.network) for d in self.deals}
        for i, network in enumerate(self.networks):
            for j, owner in enumerate(network.owners):
                if owner not in brands:
                    raise KeyPathError(
                        f"networks[{i}].owners[{j}]", "no vehicle of this brand", owner
                    )
                if network.owner_deal is not None and (owner, network.id) in dealt:
                    raise KeyPathError(
                        f"networks[{i}].owners[{j}]",
                        "has owner_deal and a [[deals]] entry at this network",
                        owner,
                    )
        for i, network in enumerate(self.networks):
            for j, site in enumerate(network.sites):
                for k, port in enumerate(site.ports):
                    if port.template is not None and port.template not in self.station_templates:
                        raise KeyPathError(
                            f"networks[{i}].sites[{j}].ports[{k}].template",
                            "no such station template",
                            port.template,
                        )
        for i, vehicle in enumerate(self.vehicles):
            if vehicle.share > 0 and not _usable_anywhere(self, vehicle):
                raise KeyPathError(f"vehicles[{i}]", f"vehicle {vehicle.id!r} can use no site")
        return self


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise KeyPathError(what, f"id {i!r} appears twice")
        seen.add(i)


def _usable_anywhere(scenario: Scenario, vehicle: VehicleSpec) -> bool:
    plugs = set(vehicle.connectors) | (
        set(vehicle.adapter_connectors) if vehicle.adapter_share > 0 else set()
    )
    for network in scenario.networks:
        member = vehicle.brand in network.members or any(
            d.brand == vehicle.brand and d.network == network.id and d.perk == "membership"
            for d in all_deals(scenario)
        )
        allowed = network.access == "open" or member or network.open_from_day is not None
        if allowed and any(plugs & set(p.connectors) for site in network.sites for p in site.ports):
            return True
    return False


def all_deals(scenario: Scenario) -> list[DealSpec]:
    """[[deals]] and every network's owner_deal, once per owner."""
    return [*scenario.deals, *(d for n in scenario.networks for d in n.deals())]


# --- loading ------------------------------------------------------------------------------


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (and the files it extends, see `scenario_files`);
    every defect becomes a one-line ScenarioError naming the file that set the bad key."""
    composed = compose(path)
    try:
        return Scenario.model_validate(composed.data)
    except ValidationError as e:
        setter = composed.file_for(_location(e, composed.data))
        top = composed.files[0]
        via = "" if setter == top else f" (extended by {top})"
        raise ScenarioError(f"{setter}: {describe(e, composed.data)}{via}") from None


def compose(path: str | Path) -> scenario_files.Composed:
    """A scenario file's data with the files it extends merged in, not yet validated."""
    try:
        return scenario_files.read(Path(path))
    except scenario_files.FileError as e:
        raise ScenarioError(str(e)) from None


def parse(data: dict[str, object], source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{source}: {describe(e, data)}") from None


def _first(error: ValidationError) -> ErrorDetails:
    errors = error.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _location(error: ValidationError, data: object) -> tuple[int | str, ...]:
    """The key path of the defect `describe` reports, as indices and keys into `data`."""
    first = _first(error)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, KeyPathError):
        return tuple(
            int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", cause.path)
        )
    return tuple(p for p in first["loc"] if not _is_union_tag(p, data, first["loc"]))


def describe(error: ValidationError, data: object) -> str:
    """The first defect as `key.path = value: what is wrong`.

    An unknown key goes first: a misspelt key also makes its correct twin "missing", and the
    typo is what the user has to see."""
    first = _first(error)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, KeyPathError):
        value = "" if cause.value is None else f" = {_short(cause.value)}"
        return f"{cause.path}{value}: {cause}"
    loc = [part for part in first["loc"] if not _is_union_tag(part, data, first["loc"])]
    path = _dotted(loc)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    if first["type"] == "missing":
        return f"{path}: required key is missing"
    if first["type"] == "union_tag_invalid":
        ctx = first.get("ctx", {})
        key = str(ctx.get("discriminator", "")).strip("'")
        return f"{path}.{key} = {_short(ctx.get('tag'))}: {message}"
    if not loc:
        return message
    value = first.get("input")
    if isinstance(value, dict | list):  # a check on a whole table: the table is not the value
        return f"{path}: {message}"
    return f"{path} = {_short(value)}: {message}"


def _is_union_tag(part: int | str, data: object, loc: tuple[int | str, ...]) -> bool:
    # pydantic inserts the discriminator's value (e.g. 'uniform') into the location
    return (
        isinstance(part, str)
        and part
        in {
            "fixed",
            "uniform",
            "exponential",
            "normal",
            "lognormal",
            "flat",
            "two_stage",
            "table",
            "constant",
            "profile",
            "sinusoid",
        }
        and not _is_key(part, data, loc)
    )


def _is_key(part: str, data: object, loc: tuple[int | str, ...]) -> bool:
    node = data
    for p in loc:
        if p == part:
            return isinstance(node, dict) and part in node
        if isinstance(node, dict) and isinstance(p, str):
            node = node.get(p)
        elif isinstance(node, list) and isinstance(p, int) and p < len(node):
            node = node[p]
        else:
            return False
    return False


def _dotted(loc: list[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _short(value: object) -> str:
    # TOML's dates, times and booleans as TOML writes them, not as Python's repr
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- the model's spec ---------------------------------------------------------------------


def start_of(text: str) -> datetime:
    """`simulation.start` as an aware UTC datetime (no offset: UTC); ValueError if it is none."""
    start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return start.astimezone(UTC)


def world(scenario: Scenario, *, days: float | None = None, seed: int | None = None) -> mw.World:
    """The world a validated scenario describes, over `days` with `seed` (default: the file's)."""
    return mw.build(spec(scenario), days=days, seed=seed)


def ocpp_versions(
    scenario: Scenario, override: OcppVersion | None = None
) -> dict[str, Subprotocol]:
    """Each network's OCPP subprotocol ("ocpp1.6", "ocpp2.0.1") by network id; `override`
    (`chargenet run --ocpp`) sets every network's."""
    return {n.id: _SUBPROTOCOLS[override or n.ocpp] for n in scenario.networks}


def spec(scenario: Scenario) -> mw.WorldSpec:
    """A validated scenario in the model's own types (no pydantic past this point)."""
    sim = scenario.simulation
    start = start_of(sim.start)
    d = scenario.drivers
    stations = _stations(scenario)
    c = d.choice
    return mw.WorldSpec(
        name=scenario.name,
        start=start,
        days=sim.days,
        warmup_days=sim.warmup_days,
        seed=sim.seed,
        meter_interval_s=sim.meter_interval_s,
        networks=tuple(_network(n, stations) for n in scenario.networks),
        vehicles=tuple(_vehicle(i, v) for i, v in enumerate(scenario.vehicles)),
        deals=tuple(_deal(x) for x in all_deals(scenario)),
        drivers=mw.Drivers(
            population=d.population,
            arrival_soc=dist(d.arrival_soc),
            target_soc=dist(d.target_soc),
            energy_kwh=None if d.energy_kwh is None else dist(d.energy_kwh),
            idle_min=dist(d.idle_min),
            patience_min=None if d.patience_min is None else dist(d.patience_min),
            balk_wait_min=d.balk_wait_min,
            balk_queue_length=d.balk_queue_length,
            free_target_soc=(
                None if d.free_sessions.target_soc is None else dist(d.free_sessions.target_soc)
            ),
            free_idle_min=(
                None if d.free_sessions.idle_min is None else dist(d.free_sessions.idle_min)
            ),
            choice=mw.Choice(
                rule=c.rule,
                candidates=c.candidates,
                site_spacing_km=c.site_spacing_km,
                price_weight=c.price_weight,
                wait_weight=c.wait_weight,
                power_weight=c.power_weight,
                perk_weight=c.perk_weight,
                size_weight=c.size_weight,
                detour_weight=c.detour_weight,
            ),
        ),
        arrivals=_arrivals(scenario.arrivals),
        failures=(
            None
            if scenario.failures is None
            else mw.Failures(
                scenario.failures.mtbf_days * mw.DAY_S, scenario.failures.mttr_days * mw.DAY_S
            )
        ),
        attempts=None if scenario.attempts is None else scenario.attempts.rules(),
    )


def dist(d: Distribution) -> Dist:
    if isinstance(d, Fixed):
        return Dist("fixed", d.value)
    if isinstance(d, Uniform):
        return Dist("uniform", d.low, d.high)
    if isinstance(d, Exponential):
        return Dist("exponential", d.mean)
    if isinstance(d, Normal):
        return Dist("normal", d.mean, d.sd, d.low, d.high)
    return Dist("lognormal", d.mean, d.sd)


def _stations(scenario: Scenario) -> dict[str, mw.Station]:
    return {
        name: mw.Station(
            vendor=t.vendor,
            model=t.model,
            firmware_version=t.firmware_version,
            configuration=tuple((k, _configuration_value(v)) for k, v in t.configuration.items()),
        )
        for name, t in scenario.station_templates.items()
    }


def _network(n: NetworkSpec, stations: dict[str, mw.Station]) -> mw.NetworkPlan:
    network = mw.Network(
        id=n.id,
        name=n.name or n.id,
        members_only=n.access == "members_only",
        members=frozenset(n.members),
        open_from_s=None if n.open_from_day is None else n.open_from_day * mw.DAY_S,
        price_per_kwh=n.price_per_kwh,
        non_member_price_per_kwh=(
            n.price_per_kwh if n.non_member_price_per_kwh is None else n.non_member_price_per_kwh
        ),
        idle_fee_per_min=n.idle_fee_per_min,
        idle_grace_min=n.idle_grace_min,
        roaming_fee_per_kwh=n.roaming_fee_per_kwh,
        roaming_fee_per_session=n.roaming_fee_per_session,
        sites=(),
        attempts=None if n.attempts is None else n.attempts.rules(),
    )
    sites = tuple(
        mw.SitePlan(
            id=site.id,
            ports=tuple(
                mw.PortGroup(
                    p.power_kw,
                    tuple(p.connectors),
                    p.count,
                    _smart_charging(
                        mw.DEFAULT_STATION if p.template is None else stations[p.template],
                        n.smart_charging,
                    ),
                )
                for p in site.ports
            ),
            count=site.count,
            queue_limit=site.queue_limit,
            grid=site.grid(),
        )
        for site in n.sites
    )
    return mw.NetworkPlan(network, sites)


def _smart_charging(station: mw.Station, enabled: bool) -> mw.Station:
    """The station as its network's smart_charging key has it (its feature profiles)."""
    if enabled:
        return station
    return replace(station, configuration=(*station.configuration, feature_profiles(False)))


def _vehicle(index: int, v: VehicleSpec) -> mw.VehicleModel:
    curve = v.curve
    if isinstance(curve, FlatCurve):
        c = ChargingCurve.flat()
    elif isinstance(curve, TwoStageCurve):
        c = ChargingCurve.two_stage(curve.knee_soc)
    else:
        c = ChargingCurve(tuple(curve.soc), tuple(curve.fraction))
    return mw.VehicleModel(
        id=v.id,
        index=index,
        brand=v.brand,
        share=v.share,
        battery_kwh=v.battery_kwh,
        peak_kw=v.peak_kw,
        connectors=frozenset(v.connectors),
        adapter_share=v.adapter_share,
        adapter_connectors=frozenset(v.adapter_connectors),
        curve=c,
        adapter_kw=v.adapter_kw,
    )


def _deal(d: DealSpec) -> mw.Deal:
    return mw.Deal(
        brand=d.brand,
        network=d.network,
        perk=d.perk,
        eligible_share=d.eligible_share,
        session_cap_s=None if d.session_cap_min is None else d.session_cap_min * 60,
        price_per_kwh=d.price_per_kwh,
        allowance_kwh=d.allowance_kwh,
        paid_by=d.paid_by or d.brand,
        settlement=d.settlement,
        settlement_per_kwh=d.settlement_per_kwh,
        settlement_per_session=d.settlement_per_session,
        min_interval_s=None if d.min_interval_min is None else d.min_interval_min * 60,
    )


def _arrivals(a: Arrivals) -> mw.Arrivals:
    if isinstance(a, ConstantArrivals):
        return mw.Arrivals("constant", rate_per_h=a.rate_per_h * a.multiplier)
    if isinstance(a, SinusoidArrivals):
        return mw.Arrivals(
            "sinusoid",
            base_per_h=a.base_per_h * a.multiplier,
            amplitude_per_h=a.amplitude_per_h * a.multiplier,
            period_h=a.period_h,
        )
    weekday_total = sum(a.weekday)
    weekend = a.weekend if a.weekend is not None else a.weekday
    weekend_total = sum(weekend)
    per_day = a.sessions_per_day * a.multiplier
    return mw.Arrivals(
        "profile",
        hourly_weekday_per_h=tuple(per_day * w / weekday_total for w in a.weekday),
        hourly_weekend_per_h=tuple(per_day * a.weekend_factor * w / weekend_total for w in weekend),
    )
