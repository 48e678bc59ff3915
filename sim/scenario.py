"""The scenario schema: one incentive design tested against a baseline, in one world.

Every model forbids unknown keys and is frozen once validated. Field
descriptions double as the YAML reference (``docs/scenarios.md``). Money is in
dollars and time in weeks; a quarter is 13 weeks and a year 52.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    create_model,
    field_validator,
    model_validator,
)

from agents import ARCHETYPES, PartnerParams

WEEKS_PER = {"quarter": 13, "year": 52}
#: A validator message that starts with this marker names a sub-field first:
#: ``"@tiers.2.threshold: expected ..."``; error reports append it to the path.
SUBFIELD = "@"
Rate = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_archetypes(names: list[str] | dict[str, Any] | None) -> Any:
    for name in names or []:
        if name not in ARCHETYPES:
            raise ValueError(f"unknown archetype {name!r}; expected one of {sorted(ARCHETYPES)}")
    return names


class Population(Strict):
    """Who the partners are. Sizes are drawn per archetype (see ``behaviour``)."""

    partners: dict[str, NonNegativeInt] = Field(
        default_factory=lambda: {"reseller": 420, "integrator": 140, "alliance": 40},
        description="number of partners per archetype",
    )
    regions: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"north_america": 0.40, "emea": 0.35, "apac": 0.25},
        description="share of partners per region (normalized to sum to 1)",
    )
    new_share: Rate = Field(0.2, description="share of partners new to the program")
    size_bands: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"small": 0.6, "medium": 0.3, "large": 0.1},
        description="size bands, smallest first, with the share of each archetype in each",
    )

    _check_partners = field_validator("partners")(_known_archetypes)

    @model_validator(mode="after")
    def _someone(self) -> Population:
        if sum(self.partners.values()) == 0:
            raise ValueError("the population needs at least one partner")
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


class Market(Strict):
    """End-customer demand and our economics."""

    demand: Annotated[float, Field(gt=0)] = Field(
        1.0, description="multiplier on every partner's opportunity flow"
    )
    gross_margin: Rate = Field(0.35, description="our gross margin on revenue booked via partners")
    seasonality: Seasonality = Field(default_factory=Seasonality)
    shock: Shock | None = Field(None, description="an optional downturn")


class Tier(Strict):
    """One rung of a ladder: from ``threshold`` of period revenue up, ``rate`` applies."""

    name: str = Field(description="tier name, e.g. silver")
    threshold: Money | dict[str, Money] = Field(
        description="period revenue at which the tier starts, $; one number or one per archetype"
    )
    rate: Rate = Field(description="rebate rate on revenue in this tier")

    _check = field_validator("threshold")(
        lambda v: _known_archetypes(v) if isinstance(v, dict) else v
    )

    def threshold_for(self, archetype: str) -> float:
        """The threshold that applies to partners of ``archetype``."""
        if isinstance(self.threshold, dict):
            if archetype not in self.threshold:
                raise KeyError(archetype)
            return self.threshold[archetype]
        return self.threshold


class TieredRebate(Strict):
    """A rebate ladder on period revenue, settled at each period end."""

    type: Literal["tiered_rebate"]
    period: Literal["quarter", "year"] = Field("quarter", description="evaluation period")
    basis: Literal["marginal", "retroactive"] = Field(
        "retroactive",
        description="marginal: each rate on the revenue within its tier; "
        "retroactive: the reached tier's rate on all revenue of the period",
    )
    tiers: list[Tier] = Field(min_length=1, description="tiers, lowest threshold first")
    applies_to: list[str] | None = Field(None, description="archetypes eligible (default all)")

    _check = field_validator("applies_to")(_known_archetypes)

    @model_validator(mode="after")
    def _increasing(self) -> TieredRebate:
        for archetype in ARCHETYPES:
            try:
                values = [tier.threshold_for(archetype) for tier in self.tiers]
            except KeyError:
                if self.applies_to is None or archetype in self.applies_to:
                    raise ValueError(
                        f"every tier needs a threshold for {archetype!r} when thresholds "
                        "are given per archetype"
                    ) from None
                continue
            for index, (lower, upper) in enumerate(zip(values, values[1:], strict=False)):
                if upper <= lower:
                    raise ValueError(
                        f"{SUBFIELD}tiers.{index + 1}.threshold: expected thresholds that "
                        f"increase; got {upper:g} after {lower:g} for {archetype}"
                    )
        return self


class EmailNudge(Strict):
    """A recurring email to partners; each contact costs money and fades."""

    type: Literal["email"]
    every_weeks: Annotated[int, Field(ge=1)] = Field(4, description="cadence, weeks between sends")
    first_week: NonNegativeInt = Field(0, description="week of the first send")
    cost_per_contact: Money = Field(1.0, description="cost of one email to one partner, $")
    applies_to: list[str] | None = Field(None, description="archetypes targeted (default all)")

    _check = field_validator("applies_to")(_known_archetypes)


Mechanic = Annotated[TieredRebate | EmailNudge, Field(discriminator="type")]


class Program(Strict):
    """A partner program: the rules that turn outcomes into rewards, plus nudges."""

    name: str = Field("program", description="label used in tables and plots")
    mechanics: list[Mechanic] = Field(default_factory=list, description="components, any order")


def _behaviour_model() -> type[Strict]:
    fields: dict[str, Any] = {
        name: (cls.params_model(), Field(default_factory=cls.params_model()))
        for name, cls in ARCHETYPES.items()
    }
    return create_model(
        "Behaviour",
        __base__=Strict,
        __doc__="Behavioural parameters per archetype; see docs/model.md for each default.",
        **fields,
    )


Behaviour = _behaviour_model()


#: Sections that only the command reading them validates (see each command's docs).
TOOL_SECTIONS = {"search", "pilot", "sensitivity"}


class Scenario(Strict):
    """A complete, validated scenario: world, baseline, design and run settings."""

    name: str = Field("scenario", description="scenario name (defaults to the file name)")
    description: str = Field("", description="free text shown in reports")
    seed: NonNegativeInt = Field(0, description="root seed of every random stream")
    replications: Annotated[int, Field(ge=1)] = Field(8, description="independent worlds")
    horizon_weeks: Annotated[int, Field(ge=1, le=520)] = Field(52, description="simulated weeks")
    population: Population = Field(default_factory=Population)
    market: Market = Field(default_factory=Market)
    behaviour: Behaviour = Field(default_factory=Behaviour)  # type: ignore[valid-type]
    baseline: Program = Field(default_factory=lambda: Program(name="baseline"))
    design: Program = Field(default_factory=lambda: Program(name="design"))
    search: dict[str, Any] | None = Field(
        None, description="optimization search space, read by `partnerlab optimize`"
    )
    pilot: dict[str, Any] | None = Field(None, description="pilot plan, read by `partnerlab pilot`")
    sensitivity: dict[str, Any] | None = Field(
        None, description="parameter ranges, read by `partnerlab sensitivity`"
    )

    def __iter__(self) -> Any:
        """Not iterable, so ``mesa.batch_run`` treats a scenario as one parameter value."""
        raise TypeError("a Scenario is one value, not an iterable of fields; use model_dump()")

    def archetype_params(self, archetype: str) -> PartnerParams:
        """Resolved behavioural parameters of one archetype."""
        return getattr(self.behaviour, archetype)

    def world_key(self) -> dict[str, Any]:
        """Everything that shapes the worlds and the baseline: equal keys, same worlds."""
        return self.model_dump(exclude=TOOL_SECTIONS | {"name", "description", "design"})
