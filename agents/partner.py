"""The partner base class: behavioural parameters and vectorized decision rules.

A partner archetype is a :class:`Partner` subclass. The class owns two things:

* ``Params``, a pydantic model of its behavioural parameters with documented
  defaults (the scenario's ``behaviour.<archetype>`` section overrides them);
* classmethod decision rules that act on the arrays of *all* partners that share
  the rule, never on one partner at a time.

Instances are thin Mesa agents: each one is a view on one row of the model's
state arrays, so ``model.agents``, ``DataCollector`` and ``batch_run`` work as
Mesa users expect while the weekly step never touches the objects.
"""

from __future__ import annotations

from copy import copy
from typing import Any, ClassVar, Protocol, cast

import mesa
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from agents.traits import Traits

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ACTIVE, DORMANT, CHURNED = 0, 1, 2
STATUS_NAMES = ("active", "dormant", "churned")


class Rows(Protocol):
    """What a partner agent reads of its model's population: one array per attribute."""

    size: FloatArray
    region: npt.NDArray[np.int8]
    region_names: list[str]
    size_band: npt.NDArray[np.int8]
    band_names: list[str]
    is_new: BoolArray


class Dynamics(Protocol):
    """What a partner agent reads of its model's weekly state."""

    engagement: FloatArray
    effort: FloatArray
    status: npt.NDArray[np.int8]
    revenue: FloatArray
    program_cost: FloatArray


class ProgramModel(Protocol):
    """The model a partner agent belongs to: its world's rows and its state (``sim.engine``)."""

    world: Rows
    state: Dynamics


class PartnerParams(BaseModel):
    """Behavioural parameters shared by every archetype; subclasses change defaults.

    Units: money in dollars, time in weeks, rates per week unless stated.
    ``docs/model.md`` gives each default's source.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    #: The archetype whose defaults these are (``None``: the shared defaults).
    archetype_class: ClassVar[type[Partner] | None] = None

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
        0.5, ge=0, le=1, description="opportunity rate of a new partner relative to established"
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
    recognition_lift: float = Field(
        0.10, ge=0, le=1, description="effort gain of a responder while recognition is on offer"
    )
    near_miss_band: float = Field(
        0.15, ge=0, le=1, description="a miss within this share below a threshold is narrow"
    )
    near_miss_penalty: float = Field(
        0.3, ge=0, le=1, description="share of engagement lost after a narrow miss"
    )
    demotion_penalty: float = Field(
        0.15, ge=0, le=1, description="share of engagement lost per tier level on demotion"
    )
    pull_discount: float = Field(
        0.06, ge=0, le=0.5, description="customer discount that buys an early close"
    )
    pull_weeks: int = Field(4, ge=0, le=13, description="how far ahead deals can be pulled, weeks")
    discount_funding: float = Field(
        0.5, ge=0, le=1, description="share of a pull-forward discount the partner funds itself"
    )
    movable_share: float = Field(
        0.4,
        ge=0,
        le=1,
        description="share of deals whose customers accept a moved close date (pulled or pushed)",
    )
    push_loss: float = Field(0.05, ge=0, le=1, description="share of pushed deals that are lost")
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


class Partner(mesa.Agent):
    """A partner firm: a Mesa agent that is a view on one row of the model's arrays.

    Subclasses set ``archetype`` (the name used in scenario files) and
    ``defaults`` (and ``Params`` if they need parameters of their own).
    Decision rules are classmethods over arrays; a subclass overrides one to
    give its archetype different behaviour, and the model then calls it on that
    archetype's rows only.
    """

    archetype: ClassVar[str] = "partner"
    Params: ClassVar[type[PartnerParams]] = PartnerParams
    defaults: ClassVar[dict[str, Any]] = {}
    registry: ClassVar[dict[str, type[Partner]]] = {}
    _params_model: ClassVar[type[PartnerParams]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "archetype" in cls.__dict__:
            Partner.registry[cls.archetype] = cls

    @classmethod
    def params_model(cls) -> type[PartnerParams]:
        """The pydantic model of this archetype's parameters, with its own defaults."""
        if "_params_model" not in cls.__dict__:
            fields: dict[str, Any] = {}
            for name, value in cls.defaults.items():
                info = copy(cls.Params.model_fields[name])
                info.default = value
                fields[name] = (info.annotation, info)
            model = cast(
                type[PartnerParams],
                create_model(
                    f"{cls.__name__}Params", __base__=cls.Params, __doc__=cls.__doc__, **fields
                ),
            )
            model.archetype_class = cls
            cls._params_model = model
        return cls._params_model

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _rows(self) -> ProgramModel:
        return cast(ProgramModel, self.model)

    # -- row views -----------------------------------------------------------------
    @property
    def size(self) -> float:
        """Relative size of the firm (median partner = 1)."""
        return float(self._rows.world.size[self.row])

    @property
    def region(self) -> str:
        """Sales region."""
        return self._rows.world.region_names[self._rows.world.region[self.row]]

    @property
    def size_band(self) -> str:
        """Size band within its archetype (small, medium, large)."""
        return self._rows.world.band_names[self._rows.world.size_band[self.row]]

    @property
    def is_new(self) -> bool:
        """Whether the partner is new to the program (maturity)."""
        return bool(self._rows.world.is_new[self.row])

    @property
    def engagement(self) -> float:
        """Engagement with the program, 0 to 1."""
        return float(self._rows.state.engagement[self.row])

    @property
    def effort(self) -> float:
        """Selling effort chosen this week (1 = business as usual)."""
        return float(self._rows.state.effort[self.row])

    @property
    def status(self) -> str:
        """Lifecycle status: active, dormant or churned."""
        return STATUS_NAMES[self._rows.state.status[self.row]]

    @property
    def revenue(self) -> float:
        """Our revenue booked through this partner so far, $."""
        return float(self._rows.state.revenue[self.row])

    @property
    def program_cost(self) -> float:
        """Program cost spent on this partner so far, $."""
        return float(self._rows.state.program_cost[self.row])

    # -- vectorized decision rules ---------------------------------------------
    @classmethod
    def choose_effort(
        cls,
        traits: Traits,
        rows: slice,
        reward_per_dollar: FloatArray,
        engagement: FloatArray,
        nudge_stock: FloatArray,
    ) -> FloatArray:
        """Effort that maximizes perceived value of sales minus a convex effort cost.

        A partner values one more dollar of our revenue at its own margin plus
        the program's expected marginal reward, discounted by its engagement
        (a partner that pays little attention to the program perceives little of
        it). With effort cost convex with exponent 1 + 1/elasticity, the optimum
        is ``(perceived value / margin) ** elasticity``, which is 1 when the
        program offers nothing; a recent nudge multiplies it.
        """
        margin = traits.partner_margin[rows]
        value = (margin + engagement * reward_per_dollar) / margin
        effort = np.power(np.maximum(value, 0.0), traits.effort_elasticity[rows])
        effort *= 1.0 + nudge_stock
        return np.minimum(effort, traits.max_effort[rows])

    @classmethod
    def activity_multiplier(
        cls, traits: Traits, rows: slice, engagement: FloatArray, status: npt.NDArray[np.int8]
    ) -> FloatArray:
        """Opportunity flow relative to a typical active partner, from engagement and status.

        A share ``activity_engagement_weight`` of deal flow scales with
        engagement relative to its baseline; churned partners have none. Dormancy
        itself does not cut the flow (a dormant partner is one whose flow has
        produced no win lately); it exposes the partner to churn.
        """
        weight = traits.activity_engagement_weight[rows]
        ratio = engagement / np.maximum(traits.engagement_baseline[rows], 1e-9)
        flow = 1.0 - weight + weight * ratio
        return flow * (status != CHURNED)

    @classmethod
    def nudge_response(
        cls, traits: Traits, rows: slice, strength: FloatArray, habituation: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Effort spike and engagement change from this week's contacts.

        ``strength`` is the week's contacts weighted by channel (an email is 1).
        Each unit adds ``nudge_lift`` to the nudge stock and closes
        ``nudge_engagement`` of the engagement gap, both divided by ``1 +
        habituation`` (recent contacts dull the next one, Allcott and Rogers
        2014); contacts also irritate: ``fatigue x habituation`` of engagement
        is lost per contact, so heavy cadences end up lowering engagement.
        """
        dull = strength / (1.0 + habituation)
        irritation = traits.fatigue[rows] * habituation * (strength > 0)
        return traits.nudge_lift[rows] * dull, traits.nudge_engagement[rows] * dull - irritation

    @classmethod
    def opt_out_probability(
        cls, traits: Traits, rows: slice, contacted: BoolArray, habituation: FloatArray
    ) -> FloatArray:
        """Probability that a contacted partner opts out; it grows with recent contacts."""
        return contacted * traits.opt_out_rate[rows] * (1.0 + habituation)


def _restore_params(archetype: type[Partner], values: dict[str, Any]) -> PartnerParams:
    """An archetype's parameters, rebuilt on unpickling (see ``PartnerParams.__reduce__``)."""
    return archetype.params_model()(**values)
