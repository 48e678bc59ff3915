"""Growth rebates (``growth_rebate``): a rate on revenue above last year's same period.

The threshold is the partner's revenue in the same period a year before,
times ``1 + growth_target``; it moves every period as the history does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.levers.period_reward import PeriodReward
from sim.levers.schedule import Schedule
from sim.scenario.fields import PerArchetype, Rate, per_archetype_names
from sim.scenario.program import Lever, Period
from sim.scenario.registry import component


class GrowthRebate(Lever):
    """A rebate on revenue above the same period a year before (times 1 + target)."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "growth_rebate",
        "rate": 0.05,
        "growth_target": 0.05,
    }

    type: Literal["growth_rebate"]
    period: Period = Field("quarter", description="evaluation period")
    rate: Rate = Field(description="rebate rate on revenue above the growth threshold")
    growth_target: float = Field(
        0.0, ge=-1, description="growth over last year's same period before the rate applies"
    )
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check_cap = field_validator("cap")(per_archetype_names)


@component(GrowthRebate)
class GrowthReward(PeriodReward):
    """A growth rebate at run time: its threshold is set anew each period from last year's."""

    spec: GrowthRebate
    renews = True

    def build_schedule(self) -> Schedule:
        """``rate`` on revenue above last year's same period times ``1 + growth_target``."""
        spec = self.spec
        base = np.where(self.eligible, self.prior() * (1.0 + spec.growth_target), np.inf)[None]
        return Schedule.by_breakpoint(base, spec.rate, 0.0, self.cap(), self.world.layout.blocks)
