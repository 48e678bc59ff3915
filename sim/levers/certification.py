"""Certification (``certification``): training now for higher win rates and deal sizes later.

Take-up is a behavioural parameter of each archetype (``certification_rate``),
not an optimization; training diverts effort for its weeks; certified
partners win more often and sell larger deals for the rest of the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.levers.base import BoolArray, FloatArray
from sim.levers.effects import Boosts
from sim.levers.roles import Contributor, Decision
from sim.scenario.fields import Money, Rate
from sim.scenario.program import Lever
from sim.scenario.registry import component
from sim.world.streams import Draws
from sim.world.world import World


class Certification(Lever):
    """Enablement: partners invest effort now for higher win rates and larger deals later."""

    example: ClassVar[Mapping[str, Any]] = {"type": "certification"}

    type: Literal["certification"]
    training_weeks: Annotated[int, Field(ge=1)] = Field(4, description="weeks of training")
    effort_share: Rate = Field(0.2, description="share of selling effort diverted while training")
    win_rate_boost: float = Field(0.15, ge=0, le=2, description="relative win-rate gain")
    deal_size_boost: float = Field(0.10, ge=0, le=2, description="relative deal-size gain")
    cost_per_certification: Money = Field(1_500.0, description="training cost paid by us, $")


@component(Certification)
class CertificationProgram(Decision, Contributor):
    """Certification: partners take up training; certified partners sell better.

    Each week an uncertified, eligible, active partner starts training with a
    fixed probability ``certification_rate`` (``u < p``): take-up is a
    behavioural parameter, not an optimization. Training diverts
    ``effort_share`` of selling effort for ``training_weeks``; then the partner
    is certified for the rest of the horizon: win rate and deal size rise by
    the lever's boosts. We pay the training cost at completion.
    """

    spec: Certification
    purposes = {"certify": "uniform"}
    outcomes = ("certified",)

    def __init__(self, spec: Certification, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        self.training_left = np.zeros(world.partners)
        self.certified = np.zeros(world.partners, dtype=bool)
        self.completed = np.zeros(world.partners, dtype=bool)
        # What training and certification do to partners, kept until someone starts or ends.
        self._effects: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def decide(self, week: int, draws: Draws, alive: BoolArray) -> None:
        """Start training (``u < certification_rate``) and advance training already under way."""
        u = draws["certify"]
        training = self.training_left > 0
        self.training_left = self.training_left - training  # a week less for those training
        self.completed = training & (self.training_left == 0)
        self.certified |= self.completed
        idle = self.eligible & alive & ~self.certified & (self.training_left == 0) & ~self.completed
        start = idle & (u < self.world.traits.certification_rate)
        self.training_left += start * self.spec.training_weeks  # idle partners have 0 left
        if start.any() or self.completed.any():
            self._effects = None

    def boost(self, week: int, boosts: Boosts) -> None:
        """Training takes effort; certification raises win rate and deal size."""
        effort, win_rate, deal_size = self.effects()
        boosts.effort *= effort
        boosts.win_rate += win_rate
        boosts.deal_size += deal_size

    def effects(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Effort factor (training), win-rate and deal-size gains (certified), per partner.

        Kept until a partner starts or completes training; do not modify them.
        """
        if self._effects is None:
            spec, certified = self.spec, self.certified
            training = self.training_left > 0
            effort: FloatArray = np.where(training, 1.0 - spec.effort_share, 1.0)
            win_rate: FloatArray = spec.win_rate_boost * certified
            deal_size: FloatArray = spec.deal_size_boost * certified
            self._effects = (effort, win_rate, deal_size)
        return self._effects

    def contribute(self, week: int) -> Mapping[str, BoolArray]:
        """The certifications completed this week."""
        return {"certified": self.completed}

    def costs(self, week: int) -> FloatArray | None:
        """Training cost at completion."""
        return self.spec.cost_per_certification * self.completed if self.completed.any() else None
