"""Lump-sum bonuses (``bonus``): a fixed amount when the period measure reaches a threshold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.levers.base import per_archetype
from sim.levers.period_reward import PeriodReward
from sim.levers.schedule import Schedule
from sim.scenario.fields import PerArchetype, per_archetype_names
from sim.scenario.program import Measured
from sim.scenario.registry import component


class Bonus(Measured):
    """A lump sum paid when the period measure reaches a threshold."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "bonus",
        "threshold": {"reseller": 12_000, "integrator": 30_000, "alliance": 80_000},
        "amount": {"reseller": 600, "integrator": 1_500, "alliance": 4_000},
    }

    type: Literal["bonus"]
    threshold: PerArchetype = Field(description="period measure that earns the bonus")
    amount: PerArchetype = Field(description="bonus paid, $")

    _check = field_validator("threshold", "amount")(per_archetype_names)


@component(Bonus)
class BonusReward(PeriodReward):
    """A lump-sum bonus at run time: one jump at the threshold."""

    spec: Bonus

    def build_schedule(self) -> Schedule:
        """A jump of ``amount`` at ``threshold``; partners without a threshold get none."""
        spec, world = self.spec, self.world
        threshold = np.where(self.eligible, per_archetype(world, spec.threshold), np.inf)[None]
        amount = per_archetype(world, spec.amount, missing=0.0)[None]
        return Schedule.by_breakpoint(threshold, 0.0, amount, blocks=world.layout.blocks)
