"""Recognition (``recognition``): badges or a leaderboard, with optional priority access.

Only a minority of partners respond to symbolic recognition (Kosfeld and
Neckermann 2011; Hoernle et al. 2020). To a responder an award is worth
``recognition_value`` periods of its own margin: esteem, not money. It pulls
a responder's effort as a lump-sum bonus of that value would (the density of
ending the period near the threshold), so the effort gain emerges from where
the threshold lies against each responder's outlook. A badge's threshold is
fixed; a leaderboard's is where the last of the top ``N`` of the audience
ended the period before. Recognized partners hold the award over the next
period, and priority access raises their win rate; each award costs money.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.levers.base import BoolArray, FloatArray, per_archetype
from sim.levers.effects import Boosts
from sim.levers.period import typical_margin
from sim.levers.period_reward import PeriodReward
from sim.levers.schedule import Schedule
from sim.scenario.calendar import WEEKS_PER
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
class RecognitionProgram(PeriodReward):
    """Badges or a leaderboard: awards valued in esteem by responders, paid for by us per award.

    The period-reward machinery runs on the responders of the audience, with
    a schedule that jumps by each responder's esteem value at the threshold:
    it drives their effort, their deal timing and their disappointment at a
    near miss. Awards go to every partner of the audience who earns one.
    """

    spec: Recognition
    renews = True  # a leaderboard's threshold follows the last period's top places

    def __init__(self, spec: Recognition, world: World, audience: BoolArray) -> None:
        self.audience = audience
        self.esteem = world.traits.recognition_value * typical_margin(world, WEEKS_PER[spec.period])
        self.cutoff = np.full(world.partners, np.inf)
        super().__init__(spec, world, audience & world.responder)
        self.recognized = np.zeros(world.partners, dtype=bool)
        self.awarded = 0

    def renew(self, attained: FloatArray | None) -> None:
        """A leaderboard's threshold: the last place of the top ``N`` in the period before."""
        if self.spec.kind == "leaderboard":
            measure = self.prior() if attained is None else attained
            self.cutoff = self._cutoff(measure)

    def build_schedule(self) -> Schedule:
        """A jump of each responder's esteem value at the threshold."""
        world = self.world
        if self.spec.kind == "badge":
            threshold = per_archetype(world, self.spec.threshold or 0.0)  # a badge has one
        else:
            threshold = self.cutoff
        points = np.where(self.eligible, np.maximum(threshold, 1.0), np.inf)[None]
        return Schedule.by_breakpoint(points, 0.0, self.esteem[None], blocks=world.layout.blocks)

    def boost(self, week: int, boosts: Boosts) -> None:
        """Recognized partners get priority access."""
        boosts.win_rate += self._priority

    @property
    def recognized(self) -> BoolArray:
        """Partners holding an award (over the period after it was made)."""
        return self._recognized

    @recognized.setter
    def recognized(self, recognized: BoolArray) -> None:
        self._recognized = recognized
        self._priority = np.where(recognized, self.spec.priority_access, 0.0)  # until changed

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """At a period end, make the awards; esteem is not money, so nothing is paid."""
        if self.is_period_end(week):
            if self.spec.kind == "badge":
                threshold = per_archetype(self.world, self.spec.threshold or 0.0)
                self.recognized = self.audience & (self.measure >= threshold)
            else:
                self.recognized = self.audience & (self.measure >= self._cutoff(self.measure))
            self.awarded = int(self.recognized.sum())
        super().settle(week, final)
        return None

    def _cutoff(self, measure: FloatArray) -> FloatArray:
        """Each block's ``N``-th best positive measure among the audience (``inf`` if fewer)."""
        cutoff = np.full(measure.size, np.inf)
        for rows in self.world.layout.blocks:  # per archetype, in each arm and replication
            scores = measure[rows][self.audience[rows] & (measure[rows] > 0)]
            count = min(self.spec.top or 0, scores.size)
            if count:
                cutoff[rows] = np.partition(scores, scores.size - count)[scores.size - count]
        return cutoff

    def costs(self, week: int) -> FloatArray | None:
        """Award costs, charged in the week awards are made."""
        if self.awarded == 0:
            return None
        cost: FloatArray = np.where(self.recognized, self.spec.cost_per_award, 0.0)
        self.awarded = 0
        return cost
