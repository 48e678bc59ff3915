"""Recognition (``recognition``): badges or a leaderboard, with optional priority access.

Only a minority of partners respond to symbolic recognition (Kosfeld and
Neckermann 2011; Hoernle et al. 2020); the responders raise effort while
recognition is on offer. Recognized partners hold the award over the next
period, and priority access raises their win rate; each award costs money.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.levers.base import BoolArray, Component, FloatArray, per_archetype
from sim.levers.effects import Boosts, Outcome
from sim.scenario.calendar import WEEKS_PER, is_period_end
from sim.scenario.fields import SUBFIELD, Money, PerArchetype, per_archetype_names
from sim.scenario.program import Lever, Period
from sim.scenario.registry import component
from sim.world.world import World


class Recognition(Lever):
    """Badges, a public leaderboard and priority access; only some partners care."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "recognition",
        "kind": "badge",
        "threshold": {"reseller": 10_000, "integrator": 25_000, "alliance": 60_000},
        "priority_access": 0.05,
    }

    type: Literal["recognition"]
    kind: Literal["badge", "leaderboard"] = Field("badge", description="how partners earn it")
    period: Period = Field("quarter", description="evaluation period")
    threshold: PerArchetype | None = Field(None, description="badge: period revenue to earn it")
    top: int | None = Field(None, ge=1, description="leaderboard: top N per archetype")
    priority_access: float = Field(
        0.0, ge=0, le=1, description="relative win-rate gain while recognized"
    )
    cost_per_award: Money = Field(50.0, description="cost of one award, $")

    _check = field_validator("threshold")(per_archetype_names)

    @model_validator(mode="after")
    def _rule(self) -> Recognition:
        if self.kind == "badge" and self.threshold is None:
            raise ValueError(f"{SUBFIELD}threshold: expected a threshold for a badge")
        if self.kind == "leaderboard" and self.top is None:
            raise ValueError(f"{SUBFIELD}top: expected top N for a leaderboard")
        return self


@component(Recognition)
class RecognitionProgram(Component):
    """Badges or a leaderboard, with optional priority access; only responders care.

    Responders (``responder_share`` of partners, drawn once per world) raise
    effort by ``recognition_lift`` while recognition is on offer (Kosfeld and
    Neckermann 2011). Recognized partners hold the award over the next period
    (priority access raises their win rate); each award costs money.
    """

    spec: Recognition

    def __init__(self, spec: Recognition, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        self.period_weeks = WEEKS_PER[spec.period]
        self.threshold = (
            per_archetype(world, spec.threshold) if spec.threshold is not None else None
        )
        self.measure = np.zeros(world.partners)
        self.recognized = np.zeros(world.partners, dtype=bool)
        self.awarded = 0
        # Responders in the audience try harder as long as recognition is on offer.
        lift = 1.0 + world.traits.recognition_lift
        self.effort: FloatArray = np.where(audience & world.responder, lift, 1.0)

    def boost(self, week: int, boosts: Boosts) -> None:
        """Responders try harder; recognized partners get priority access."""
        boosts.effort *= self.effort
        boosts.win_rate += self._priority

    @property
    def recognized(self) -> BoolArray:
        """Partners holding an award (over the period after it was made)."""
        return self._recognized

    @recognized.setter
    def recognized(self, recognized: BoolArray) -> None:
        self._recognized = recognized
        self._priority = np.where(recognized, self.spec.priority_access, 0.0)  # until changed

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue period revenue."""
        self.measure += outcome.revenue

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """At a period end, award badges or the leaderboard's top places."""
        if not is_period_end(week, self.period_weeks):
            return None
        if self.spec.kind == "badge":
            self.recognized = self.eligible & (self.measure >= cast(FloatArray, self.threshold))
        else:
            self.recognized = self._top(self.measure)
        self.awarded = int(self.recognized.sum())
        self.measure = np.zeros_like(self.measure)
        return None

    def _top(self, measure: FloatArray) -> BoolArray:
        top = np.zeros(measure.size, dtype=bool)
        for rows in self.world.layout.blocks:  # per archetype, in each arm and replication
            if not self.eligible[rows].any():
                continue
            score = np.where(self.eligible[rows] & (measure[rows] > 0), measure[rows], -np.inf)
            count = min(self.spec.top or 0, int(np.isfinite(score).sum()))
            if count:
                best = np.argpartition(-score, count - 1)[:count]
                top[rows.start + best] = True
        return top

    def costs(self, week: int) -> FloatArray | None:
        """Award costs, charged in the week awards are made."""
        if self.awarded == 0:
            return None
        cost: FloatArray = np.where(self.recognized, self.spec.cost_per_award, 0.0)
        self.awarded = 0
        return cost
