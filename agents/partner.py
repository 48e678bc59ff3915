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
from pydantic import create_model

from agents.params import PartnerParams
from agents.traits import Traits

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Lifecycle status codes: in the channel (active or dormant), gone, or not joined yet.
ACTIVE, DORMANT, CHURNED, PROSPECT = 0, 1, 2, 3
STATUS_NAMES = ("active", "dormant", "churned", "prospect")


def in_channel(status: npt.NDArray[np.int8]) -> BoolArray:
    """Partners that have joined and not churned: active or dormant."""
    return (status == ACTIVE) | (status == DORMANT)


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
        engagement relative to its baseline; churned partners, and those not
        joined yet, have none. Dormancy itself does not cut the flow (a dormant
        partner is one whose flow has produced no win lately); it exposes the
        partner to churn.
        """
        weight = traits.activity_engagement_weight[rows]
        ratio = engagement / np.maximum(traits.engagement_baseline[rows], 1e-9)
        flow = 1.0 - weight + weight * ratio
        return flow * in_channel(status)

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
