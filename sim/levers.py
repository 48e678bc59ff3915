"""The program levers a scenario can combine, as validated YAML schemas.

A program is a list of mechanics plus guardrails. Every mechanic is one YAML
mapping picked by its ``type:`` and may be restricted to some partners with
``applies_to`` (archetypes) and ``segments`` (size bands, regions, maturity).
Money is in dollars, time in weeks; "per archetype" values are one number or a
mapping ``{reseller: .., integrator: .., alliance: ..}``. ``docs/scenarios.md``
is the reference; ``docs/model.md`` explains what each lever does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator, model_validator

from agents import ARCHETYPES

WEEKS_PER = {"quarter": 13, "year": 52}
#: A validator message that starts with this marker names a sub-field first:
#: ``"@tiers.2.threshold: expected ..."``; error reports append it to the path.
SUBFIELD = "@"

Rate = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]
PerArchetype = Money | dict[str, Money]
Period = Literal["quarter", "year"]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def known_archetypes(names: Any) -> Any:
    """Validate archetype names (a list, or the keys of a mapping)."""
    for name in names or []:
        if name not in ARCHETYPES:
            raise ValueError(f"unknown archetype {name!r}; expected one of {sorted(ARCHETYPES)}")
    return names


def _per_archetype(value: Any) -> Any:
    return known_archetypes(value) if isinstance(value, dict) else value


def for_archetype(value: float | dict[str, float], archetype: str) -> float:
    """The value of a per-archetype field for one archetype (``KeyError`` if absent)."""
    return value[archetype] if isinstance(value, dict) else value


class Segments(Strict):
    """Which partners, beyond archetype, a lever reaches; empty means all."""

    size_bands: list[str] | None = Field(None, description="size bands, e.g. [large]")
    regions: list[str] | None = Field(None, description="regions, e.g. [emea]")
    maturity: Literal["new", "established"] | None = Field(None, description="new or established")


class Lever(Strict):
    """Fields every mechanic has: who it applies to."""

    applies_to: list[str] | None = Field(None, description="archetypes reached (default all)")
    segments: Segments | None = Field(None, description="segments reached (default all)")

    _check_applies = field_validator("applies_to")(known_archetypes)


class Scorecard(Strict):
    """Points for a points-measured lever: a weighted scorecard of partner outcomes."""

    revenue: float = Field(1.0, ge=0, description="points per $1,000 of revenue")
    certifications: float = Field(0.0, ge=0, description="points per certification earned")
    registered_deals: float = Field(0.0, ge=0, description="points per registered deal")
    co_marketing: float = Field(
        0.0, ge=0, description="points per $1,000 of co-marketing (MDF-funded) spend"
    )


class Measured(Lever):
    """A lever judged on a period measure: revenue, or points from a scorecard."""

    period: Period = Field("quarter", description="evaluation period")
    measure: Literal["revenue", "points"] = Field("revenue", description="what is measured")
    scorecard: Scorecard | None = Field(None, description="points weights (measure: points)")

    @model_validator(mode="after")
    def _scorecard_for_points(self) -> Measured:
        if self.measure == "points" and self.scorecard is None:
            raise ValueError(f"{SUBFIELD}scorecard: expected a scorecard when measure is points")
        return self


def _check_increasing(
    thresholds: list[PerArchetype], applies_to: list[str] | None, label: str
) -> None:
    for archetype in ARCHETYPES:
        try:
            values = [for_archetype(t, archetype) for t in thresholds]
        except KeyError:
            if applies_to is None or archetype in applies_to:
                raise ValueError(
                    f"every {label} needs a threshold for {archetype!r} when thresholds "
                    "are given per archetype"
                ) from None
            continue
        for index, (lower, upper) in enumerate(zip(values, values[1:], strict=False)):
            if upper <= lower:
                raise ValueError(
                    f"{SUBFIELD}{label}s.{index + 1}.threshold: expected thresholds that "
                    f"increase; got {upper:g} after {lower:g} for {archetype}"
                )


class Tier(Strict):
    """One rung of a rebate ladder: from ``threshold`` of the period measure up, ``rate``."""

    name: str = Field(description="tier name, e.g. silver")
    threshold: PerArchetype = Field(
        description="period measure at which the tier starts ($ or points); per archetype"
    )
    rate: Rate = Field(description="rebate rate on revenue in this tier")

    _check = field_validator("threshold")(_per_archetype)

    def threshold_for(self, archetype: str) -> float:
        """The threshold that applies to partners of ``archetype``."""
        return for_archetype(self.threshold, archetype)


class TieredRebate(Measured):
    """A rebate ladder on period revenue (or points), paid at each period end."""

    type: Literal["tiered_rebate"]
    basis: Literal["marginal", "retroactive"] = Field(
        "retroactive",
        description="marginal: each rate on the revenue within its tier; "
        "retroactive: the reached tier's rate on all revenue of the period",
    )
    tiers: list[Tier] = Field(min_length=1, description="tiers, lowest threshold first")
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check_cap = field_validator("cap")(_per_archetype)

    @model_validator(mode="after")
    def _increasing(self) -> TieredRebate:
        _check_increasing([t.threshold for t in self.tiers], self.applies_to, "tier")
        if self.measure == "points" and self.basis == "marginal":
            raise ValueError(
                f"{SUBFIELD}basis: expected retroactive when measure is points "
                "(points set the tier, whose rate applies to the period's revenue)"
            )
        return self


class GrowthRebate(Lever):
    """A rebate on revenue above the same period a year before (times 1 + target)."""

    type: Literal["growth_rebate"]
    period: Period = Field("quarter", description="evaluation period")
    rate: Rate = Field(description="rebate rate on revenue above the growth threshold")
    growth_target: float = Field(
        0.0, ge=-1, description="growth over last year's same period before the rate applies"
    )
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check_cap = field_validator("cap")(_per_archetype)


class Accelerator(Lever):
    """A quota plan: ``base_rate`` up to the quota, ``accelerated_rate`` above it."""

    type: Literal["accelerator"]
    period: Period = Field("quarter", description="evaluation period")
    quota: PerArchetype | None = Field(None, description="quota per period, $")
    quota_from_prior: float | None = Field(
        None, gt=0, description="quota = this x the partner's revenue in last year's same period"
    )
    base_rate: Rate = Field(0.0, description="rate on revenue up to the quota")
    accelerated_rate: Rate = Field(description="rate on revenue above the quota")
    ratchet: float | None = Field(
        None, gt=0, description="next quota = max(quota, ratchet x this period's revenue)"
    )
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check = field_validator("quota", "cap")(_per_archetype)

    @model_validator(mode="after")
    def _one_quota(self) -> Accelerator:
        if (self.quota is None) == (self.quota_from_prior is None):
            raise ValueError("expected exactly one of quota and quota_from_prior")
        return self


class Bonus(Measured):
    """A lump sum paid when the period measure reaches a threshold."""

    type: Literal["bonus"]
    threshold: PerArchetype = Field(description="period measure that earns the bonus")
    amount: PerArchetype = Field(description="bonus paid, $")

    _check = field_validator("threshold", "amount")(_per_archetype)


class Milestone(Lever):
    """A one-off reward for an event: first deal, onboarding complete, certification."""

    type: Literal["milestone"]
    event: Literal["first_deal", "onboarding", "certification"] = Field(
        description="first_deal: first won deal of a partner with no revenue last year; "
        "onboarding: a new partner's first won deal or certification; "
        "certification: a certification earned"
    )
    amount: PerArchetype = Field(description="reward paid once per partner, $")

    _check = field_validator("amount")(_per_archetype)


class Spiff(Lever):
    """A per-deal bonus on a product line for a limited window."""

    type: Literal["spiff"]
    amount_per_deal: Money = Field(description="bonus per won deal of the line, $")
    line_share: Rate = Field(0.3, description="share of each partner's deals in the line")
    start_week: NonNegativeInt = Field(0, description="first week deals count")
    end_week: NonNegativeInt = Field(12, description="last week deals count")

    @model_validator(mode="after")
    def _window(self) -> Spiff:
        if self.end_week < self.start_week:
            raise ValueError(f"{SUBFIELD}end_week: expected a week >= start_week")
        return self


class MarketDevelopmentFund(Lever):
    """Co-marketing funds: accrue on revenue, claimed against friction, expire unused."""

    type: Literal["mdf"]
    accrual_rate: Rate = Field(
        0.02, description="funds accrued as a share of last period's revenue"
    )
    period: Period = Field("quarter", description="accrual and expiry period")
    co_investment: float = Field(
        0.5, ge=0, lt=1, description="share of spend the partner must co-invest"
    )
    friction: Rate = Field(0.3, description="administrative friction of claims (0 none, 1 total)")


class DealRegistration(Lever):
    """Registered deals win more often and are protected from channel conflict."""

    type: Literal["deal_registration"]
    win_rate_uplift: float = Field(0.15, ge=0, le=2, description="relative win-rate gain")
    protection: Rate = Field(0.8, description="share of the channel-conflict loss avoided")
    approval_weeks: Annotated[int, Field(ge=0, le=13)] = Field(
        1, description="approval delay added to the cycle, weeks"
    )
    cost_per_registration: Money = Field(20.0, description="cost of processing one, $")


class Certification(Lever):
    """Enablement: partners invest effort now for higher win rates and larger deals later."""

    type: Literal["certification"]
    training_weeks: Annotated[int, Field(ge=1)] = Field(4, description="weeks of training")
    effort_share: Rate = Field(0.2, description="share of selling effort diverted while training")
    win_rate_boost: float = Field(0.15, ge=0, le=2, description="relative win-rate gain")
    deal_size_boost: float = Field(0.10, ge=0, le=2, description="relative deal-size gain")
    cost_per_certification: Money = Field(1_500.0, description="training cost paid by us, $")


class Recognition(Lever):
    """Badges, a public leaderboard and priority access; only some partners care."""

    type: Literal["recognition"]
    kind: Literal["badge", "leaderboard"] = Field("badge", description="how partners earn it")
    period: Period = Field("quarter", description="evaluation period")
    threshold: PerArchetype | None = Field(None, description="badge: period revenue to earn it")
    top: int | None = Field(None, ge=1, description="leaderboard: top N per archetype")
    priority_access: float = Field(
        0.0, ge=0, le=1, description="relative win-rate gain while recognized"
    )
    cost_per_award: Money = Field(50.0, description="cost of one award, $")

    _check = field_validator("threshold")(_per_archetype)

    @model_validator(mode="after")
    def _rule(self) -> Recognition:
        if self.kind == "badge" and self.threshold is None:
            raise ValueError(f"{SUBFIELD}threshold: expected a threshold for a badge")
        if self.kind == "leaderboard" and self.top is None:
            raise ValueError(f"{SUBFIELD}top: expected top N for a leaderboard")
        return self


class StatusTier(Strict):
    """A partner tier and what holding it gives during the next period."""

    name: str = Field(description="tier name, e.g. gold")
    threshold: PerArchetype = Field(description="period measure that earns the tier")
    rebate_rate: Rate = Field(0.0, description="rebate on revenue while holding the tier")
    mdf_rate: Rate = Field(0.0, description="MDF accrual on revenue while holding the tier")
    win_rate_boost: float = Field(0.0, ge=0, le=2, description="relative win-rate gain")
    lead_boost: float = Field(0.0, ge=0, le=2, description="relative gain in opportunity flow")

    _check = field_validator("threshold")(_per_archetype)


class TierStatus(Measured):
    """A status ladder: the period measure sets the tier held, and its benefits, next period."""

    type: Literal["tier_status"]
    tiers: list[StatusTier] = Field(min_length=1, description="tiers, lowest threshold first")
    grace_periods: NonNegativeInt = Field(
        1, description="periods below a tier's threshold before demotion (one tier at a time)"
    )

    @model_validator(mode="after")
    def _increasing(self) -> TierStatus:
        _check_increasing([t.threshold for t in self.tiers], self.applies_to, "tier")
        return self


class Nudge(Lever):
    """An engagement channel: a cadence, a target rule and a cost per contact."""

    type: Literal["email", "portal", "call", "qbr"]
    every_weeks: Annotated[int, Field(ge=1)] = Field(4, description="cadence, weeks between sends")
    first_week: NonNegativeInt = Field(0, description="week of the first contact")
    cost_per_contact: Money = Field(1.0, description="cost of one contact, $")
    target: Literal["all", "near_threshold", "lapsing"] = Field(
        "all",
        description="all; near_threshold: projected to fall just short of a threshold; "
        "lapsing: no win for lapsing_weeks",
    )
    near_threshold_share: Rate = Field(
        0.25, description="near_threshold: projected within this share below a threshold"
    )
    lapsing_weeks: NonNegativeInt = Field(13, description="lapsing: weeks without a win")
    strength: float | None = Field(
        None, ge=0, description="response relative to an email (default by channel)"
    )
    managers: int | None = Field(None, ge=1, description="call/qbr: partner managers available")
    contacts_per_manager: int = Field(
        10, ge=1, description="call/qbr: contacts one manager makes per send week"
    )


Mechanic = Annotated[
    TieredRebate
    | GrowthRebate
    | Accelerator
    | Bonus
    | Milestone
    | Spiff
    | MarketDevelopmentFund
    | DealRegistration
    | Certification
    | Recognition
    | TierStatus
    | Nudge,
    Field(discriminator="type"),
]
MECHANIC_TYPES = (
    "tiered_rebate",
    "growth_rebate",
    "accelerator",
    "bonus",
    "milestone",
    "spiff",
    "mdf",
    "deal_registration",
    "certification",
    "recognition",
    "tier_status",
    "email",
    "portal",
    "call",
    "qbr",
)


class Deferral(Strict):
    """Part of every payout held back and paid later; forfeited if the partner churns."""

    share: Rate = Field(description="share of each payout deferred")
    periods: Annotated[int, Field(ge=1)] = Field(1, description="quarters until it vests")


class Guardrails(Strict):
    """Program-wide limits on rewards."""

    budget: Money | None = Field(None, description="total rewards over the horizon; accruals stop")
    deferral: Deferral | None = Field(None, description="deferred share of payouts")
    clawback: bool = Field(False, description="claw back rewards paid on returned deals")


class Program(Strict):
    """A partner program: the rules that turn outcomes into rewards, plus nudges."""

    name: str = Field("program", description="label used in tables and plots")
    mechanics: list[Mechanic] = Field(default_factory=list, description="components, any order")
    guardrails: Guardrails = Field(default_factory=Guardrails)
