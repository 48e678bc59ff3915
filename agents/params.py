"""The behavioural parameters every archetype shares, with their documented defaults.

An archetype's own defaults (``Partner.defaults``) override these; a
scenario's ``behaviour.<archetype>`` section overrides both.
``docs/model.md`` gives each default's source.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Archetype(Protocol):
    """What the parameters know of their archetype class: how to build its parameter model."""

    @classmethod
    def params_model(cls) -> type[PartnerParams]:
        """The archetype's parameter model, with its own defaults."""
        ...


class PartnerParams(BaseModel):
    """Behavioural parameters shared by every archetype; subclasses change defaults.

    Units: money in dollars, time in weeks, rates per week unless stated.
    ``docs/model.md`` gives each default's source.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    #: The archetype whose defaults these are (``None``: the shared defaults).
    archetype_class: ClassVar[type[Archetype] | None] = None

    size_sigma: float = Field(1.5, gt=0, le=4, description="lognormal dispersion of partner size")
    opportunity_rate: float = Field(
        0.10, gt=0, description="opportunities per week for a median-size partner at effort 1"
    )
    rate_size_exponent: float = Field(
        0.6, ge=0, le=1, description="share of size that shows as more deals (rest: bigger deals)"
    )
    deal_size: float = Field(8_000.0, gt=0, description="median list value of a deal, $")
    deal_size_sigma: float = Field(
        0.6, ge=0, le=3, description="lognormal dispersion of deal value"
    )
    win_rate: float = Field(0.35, ge=0, le=1, description="probability an opportunity is won")
    cycle_weeks_min: int = Field(2, ge=1, description="shortest sales cycle, weeks")
    cycle_weeks_max: int = Field(8, ge=1, le=156, description="longest sales cycle, weeks")
    customer_discount: float = Field(
        0.05, ge=0, lt=1, description="share of list value given to the customer as discount"
    )
    partner_margin: float = Field(
        0.15, gt=0, le=1, description="partner's own margin per $ of our revenue"
    )
    effort_elasticity: float = Field(
        0.8, ge=0, le=3, description="elasticity of effort to the perceived value of a sale"
    )
    max_effort: float = Field(
        2.5, ge=1, description="upper bound on effort (1 = business as usual)"
    )
    new_partner_activity: float = Field(
        0.5, ge=0, le=1, description="opportunity rate of a partner that just joined"
    )
    ramp_weeks: float = Field(
        26.0, gt=0, le=156, description="weeks for a new partner's opportunity rate to reach full"
    )
    entry_rate: float = Field(
        0.05,
        ge=0,
        le=2,
        description="partners recruited per year, as a share of the archetype's partners at week 0",
    )
    recruit_size: float = Field(
        0.7,
        gt=0,
        le=5,
        description="median size of a recruit relative to the partners of week 0",
    )
    engagement_baseline: float = Field(0.5, ge=0, le=1, description="long-run engagement level")
    engagement_half_life_weeks: float = Field(
        8.0, gt=0, description="decay of engagement to baseline"
    )
    engagement_on_payout: float = Field(
        0.15, ge=0, le=1, description="share of the gap to 1 closed by receiving a reward payout"
    )
    engagement_on_win: float = Field(
        0.05, ge=0, le=1, description="share of the gap to 1 closed by winning a deal"
    )
    activity_engagement_weight: float = Field(
        0.3, ge=0, le=1, description="share of opportunity flow that scales with engagement"
    )
    nudge_lift: float = Field(
        0.04, ge=0, le=1, description="effort spike from one contact before habituation"
    )
    nudge_half_life_weeks: float = Field(1.0, gt=0, description="decay of a nudge's effort spike")
    nudge_engagement: float = Field(
        0.02, ge=0, le=1, description="share of the engagement gap closed by one contact"
    )
    habituation_half_life_weeks: float = Field(
        6.0, gt=0, description="how long past contacts dull the next one"
    )
    opt_out_rate: float = Field(
        0.0015,
        ge=0,
        le=1,
        description="opt-out probability per contact, times (1 + recent contacts)",
    )
    dormancy_weeks: int = Field(26, ge=1, description="weeks without a win before going dormant")
    churn_rate: float = Field(
        0.004, ge=0, le=1, description="weekly churn probability when dormant"
    )
    fatigue: float = Field(
        0.003, ge=0, le=1, description="engagement lost per contact per unit of habituation"
    )
    responder_share: float = Field(
        0.2, ge=0, le=1, description="share of partners who respond to recognition"
    )
    recognition_value: float = Field(
        1.5,
        ge=0,
        le=10,
        description="what an award is worth to a responder, in periods of its own margin",
    )
    disappointment_sensitivity: float = Field(
        0.6,
        ge=0,
        le=1,
        description="most engagement a period that paid less than expected can cost (a share)",
    )
    pull_discount: float = Field(
        0.02,
        ge=0,
        le=0.5,
        description="price concession a customer asks to close in this period, not the next",
    )
    pull_discount_per_week: float = Field(
        0.03,
        ge=0,
        le=0.1,
        description="further concession per week a close is brought forward",
    )
    pull_weeks: int = Field(13, ge=0, le=13, description="how far ahead deals can be pulled, weeks")
    discount_funding: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of a pull-forward discount the partner funds itself (we fund the rest)",
    )
    movable_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="share of deals whose customers accept a moved close date (pulled or pushed)",
    )
    push_loss: float = Field(0.1, ge=0, le=1, description="share of pushed deals that are lost")
    future_value: float = Field(
        0.85,
        gt=0,
        le=1,
        description="value now of a reward dollar earned in a later period (present bias)",
    )
    mdf_claim_rate: float = Field(
        0.08, ge=0, le=1, description="weekly claim probability of a median partner, no friction"
    )
    mdf_size_elasticity: float = Field(
        0.4, ge=0, le=2, description="elasticity of the claim rate to partner size"
    )
    lead_lift: float = Field(
        0.3, ge=0, le=3, description="opportunity-flow gain per log unit of marketing stock"
    )
    lead_lag_weeks: int = Field(4, ge=0, le=26, description="weeks before marketing yields leads")
    marketing_half_life_weeks: float = Field(8.0, gt=0, description="decay of marketing effect")
    registration_share: float = Field(
        0.6, ge=0, le=1, description="share of deals a partner registers when registration pays"
    )
    certification_rate: float = Field(
        0.008, ge=0, le=1, description="weekly probability to start a certification"
    )
    wallet_elasticity: float = Field(
        0.3, ge=0, le=3, description="elasticity of share of wallet to our relative reward rate"
    )
    wallet_half_life_weeks: float = Field(
        26.0, gt=0, description="how slowly share of wallet follows attractiveness"
    )
    deferral_value: float = Field(
        0.8, ge=0, le=1, description="value a partner puts on a deferred dollar"
    )

    def __reduce__(self) -> str | tuple[Any, ...]:
        """Pickle an archetype's parameters by its class, whose parameter model is made on demand.

        The model of each archetype's parameters is built from its
        ``defaults`` at run time, so it has no importable name; the archetype
        class has one, and rebuilds it in the process that unpickles.
        """
        if self.archetype_class is None:
            return super().__reduce__()
        return (_restore_params, (self.archetype_class, self.model_dump()))

    @model_validator(mode="after")
    def _cycle_range(self) -> PartnerParams:
        if self.cycle_weeks_max < self.cycle_weeks_min:
            raise ValueError(
                f"cycle_weeks_max ({self.cycle_weeks_max}) must be >= "
                f"cycle_weeks_min ({self.cycle_weeks_min})"
            )
        return self


def _restore_params(archetype: type[Archetype], values: dict[str, Any]) -> PartnerParams:
    """An archetype's parameters, rebuilt on unpickling (see ``PartnerParams.__reduce__``)."""
    return archetype.params_model()(**values)
