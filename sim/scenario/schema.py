"""The scenario schema: one incentive design tested against a baseline, in one world.

Every model forbids unknown keys and is frozen once validated. Field
descriptions double as the YAML reference (``docs/scenarios.md``). Money is in
dollars and time in weeks; a quarter is 13 weeks and a year 52.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    NonNegativeInt,
    PlainValidator,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from agents import ARCHETYPES, PartnerParams
from sim.limits import HORIZON_WEEKS, PARTNERS, REPLICATIONS, Limit
from sim.scenario.fields import (
    SUBFIELD,
    Name,
    Rate,
    Strict,
    known_archetypes,
    plain_values,
    shares,
)
from sim.scenario.program import Program

#: Most regions or size bands a population may have.
MAX_SEGMENTS = 100
Shares = Annotated[
    dict[str, Annotated[float, Field(gt=0)]], Field(min_length=1, max_length=MAX_SEGMENTS)
]


def within(limit: Limit) -> Callable[[int], int]:
    """A field validator: the value is at most ``limit`` (see :mod:`sim.limits`)."""

    def check(value: int) -> int:
        problem = limit.excess(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


class Population(Strict):
    """Who the partners are. Sizes are drawn per archetype (see ``behaviour``)."""

    partners: dict[str, NonNegativeInt] = Field(
        default_factory=lambda: {"reseller": 420, "integrator": 140, "alliance": 40},
        description="number of partners per archetype",
    )
    regions: Shares = Field(
        default_factory=lambda: {"north_america": 0.40, "emea": 0.35, "apac": 0.25},
        description="share of partners per region (summing to 1)",
    )
    new_share: Rate = Field(0.2, description="share of partners new to the program")
    size_bands: Shares = Field(
        default_factory=lambda: {"small": 0.6, "medium": 0.3, "large": 0.1},
        description="size bands, smallest first, with the share of each archetype in each "
        "(summing to 1)",
    )

    _check_partners = field_validator("partners")(known_archetypes)
    _check_shares = field_validator("regions", "size_bands")(shares)

    @model_validator(mode="after")
    def _someone(self) -> Population:
        total = sum(self.partners.values())
        if total == 0:
            raise ValueError("the population needs at least one partner")
        problem = PARTNERS.excess(total)
        if problem is not None:
            raise ValueError(f"{SUBFIELD}partners: {problem}")
        return self


class Seasonality(Strict):
    """A yearly cosine in demand."""

    amplitude: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.1, description="peak-to-mean demand swing"
    )
    peak_week: Annotated[int, Field(ge=0, le=51)] = Field(
        47, description="week of the year with the highest demand"
    )


class Shock(Strict):
    """A downturn: demand falls by ``depth`` for ``duration_weeks`` from ``start_week``."""

    start_week: NonNegativeInt = Field(description="first week of the downturn")
    duration_weeks: Annotated[int, Field(ge=1)] = Field(description="length of the downturn")
    depth: Rate = Field(description="share of demand lost during the downturn")


class ChannelConflict(Strict):
    """Partners of one region chasing the same customer: contested deals are lost more often."""

    rate: Rate = Field(0.15, description="share of opportunities contested by another channel")
    loss: Rate = Field(
        0.4, description="relative drop in win rate of an unprotected contested deal"
    )


class Returns(Strict):
    """Won deals cancelled or returned after booking; revenue is reversed."""

    rate: Rate = Field(0.03, description="share of won deals returned")
    delay_weeks: Annotated[int, Field(ge=1, le=26)] = Field(6, description="weeks until the return")


class Supply(Strict):
    """A supply constraint: only ``capacity`` of due deals can close each week for a span."""

    start_week: NonNegativeInt = Field(description="first constrained week")
    duration_weeks: Annotated[int, Field(ge=1)] = Field(description="length of the constraint")
    capacity: Rate = Field(description="share of due deals that can close each week")


class Market(Strict):
    """End-customer demand, the channel environment and our economics."""

    demand: Annotated[float, Field(gt=0)] = Field(
        1.0, description="multiplier on every partner's opportunity flow"
    )
    gross_margin: Rate = Field(0.35, description="our gross margin on revenue booked via partners")
    seasonality: Seasonality = Field(default_factory=Seasonality)
    shock: Shock | None = Field(None, description="an optional downturn")
    supply: Supply | None = Field(None, description="an optional supply constraint")
    channel_conflict: ChannelConflict = Field(default_factory=ChannelConflict)
    returns: Returns = Field(default_factory=Returns)
    competitor_reward_rate: Rate = Field(
        0.02,
        description="reward per $ of revenue other vendors' programs offer; share of wallet "
        "moves with our program's rate relative to it",
    )


def _behaviour(value: Any) -> dict[str, PartnerParams]:
    """Each registered archetype's parameters: its defaults, with the scenario's values over them.

    Read from the archetype registry when a scenario is validated, so an
    archetype registered after import is known, and every archetype has its
    resolved parameters (the defaults where the scenario says nothing).
    """
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of archetype names to their parameters")
    known_archetypes(value)
    resolved: dict[str, PartnerParams] = {}
    for name, cls in ARCHETYPES.items():
        given = value.get(name, {})
        model = cls.params_model()
        if isinstance(given, model):
            resolved[name] = given
            continue
        if isinstance(given, PartnerParams):
            given = given.model_dump()
        try:
            resolved[name] = model.model_validate(given)
        except ValidationError as error:
            raise _under(error, name) from None
    return resolved


def _under(error: ValidationError, name: str) -> ValidationError:
    """``error`` with its locations moved under the archetype ``name``."""
    lines = [{**line, "loc": (name, *line["loc"])} for line in error.errors()]
    return ValidationError.from_exception_data(error.title, lines)  # type: ignore[arg-type]


#: Behavioural parameters per archetype; see docs/model.md for each default.
Behaviour = Annotated[dict[str, SerializeAsAny[PartnerParams]], PlainValidator(_behaviour)]


#: Sections that only the command reading them validates (see each command's docs).
TOOL_SECTIONS = {"search", "pilot", "sensitivity", "calibrate"}


class Scenario(Strict):
    """A complete, validated scenario: world, baseline, design and run settings."""

    name: Name = Field("scenario", description="scenario name (defaults to the file name)")
    description: str = Field("", description="free text shown in reports")
    seed: NonNegativeInt = Field(0, description="root seed of every random stream")
    replications: Annotated[int, Field(ge=1), AfterValidator(within(REPLICATIONS))] = Field(
        8, description="independent worlds"
    )
    horizon_weeks: Annotated[int, Field(ge=1), AfterValidator(within(HORIZON_WEEKS))] = Field(
        52, description="simulated weeks"
    )
    population: Population = Field(default_factory=Population)
    market: Market = Field(default_factory=Market)
    behaviour: Behaviour = Field(
        default_factory=lambda: _behaviour({}),
        description="behavioural parameters per archetype (docs/model.md)",
    )
    baseline: Program = Field(default_factory=lambda: Program(name="baseline"))
    design: Program = Field(default_factory=lambda: Program(name="design"))
    search: dict[str, Any] | None = Field(
        None, description="optimization search space, read by `partnerlab optimize`"
    )
    pilot: dict[str, Any] | None = Field(None, description="pilot plan, read by `partnerlab pilot`")
    sensitivity: dict[str, Any] | None = Field(
        None, description="parameter ranges, read by `partnerlab sensitivity`"
    )
    calibrate: dict[str, Any] | None = Field(
        None, description="parameters to fit and their priors, read by `partnerlab calibrate`"
    )

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        """Every number finite and within 10^12, no NUL in text, in every section."""
        plain_values(data)
        return data

    def __iter__(self) -> Any:
        """Not iterable, so ``mesa.batch_run`` treats a scenario as one parameter value."""
        raise TypeError("a Scenario is one value, not an iterable of fields; use model_dump()")

    @model_validator(mode="after")
    def _per_archetype_values(self) -> Scenario:
        """Per-archetype values cover the archetypes the population holds (and levers reach)."""
        present = [a for a, n in self.population.partners.items() if n > 0]
        for label, program in (("baseline", self.baseline), ("design", self.design)):
            missing = program.missing_archetypes(present)
            if missing is not None:
                raise ValueError(f"{SUBFIELD}{label}.{missing.removeprefix(SUBFIELD)}")
        return self

    def archetype_params(self, archetype: str) -> PartnerParams:
        """Resolved behavioural parameters of one archetype."""
        return self.behaviour[archetype]

    def world_key(self) -> dict[str, Any]:
        """Everything that shapes the worlds and the baseline: equal keys, same worlds."""
        return self.model_dump(exclude=TOOL_SECTIONS | {"name", "description", "design"})
