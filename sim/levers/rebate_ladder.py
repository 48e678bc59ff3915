"""Rebate ladders (``tiered_rebate``): rates by tier on period revenue or scorecard points.

Marginal ladders pay each tier's rate on the revenue within the tier;
retroactive (all-units) ladders pay the reached tier's rate on the whole
period, which makes each threshold a jump. A ladder measured in points sets
the tier by points and pays the tier's rate on the period's revenue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator, model_validator

from sim.levers.base import BoolArray, FloatArray, per_archetype
from sim.levers.period_reward import PeriodReward
from sim.levers.schedule import ALL, Rows, Schedule, ladder, threshold_pull
from sim.scenario.fields import (
    MAX_ITEMS,
    SUBFIELD,
    Name,
    PerArchetype,
    Rate,
    Strict,
    per_archetype_names,
)
from sim.scenario.program import Measured, check_increasing, missing_thresholds
from sim.scenario.registry import component
from sim.world.world import World


class Tier(Strict):
    """One rung of a rebate ladder: from ``threshold`` of the period measure up, ``rate``."""

    name: Name = Field(description="tier name, e.g. silver")
    threshold: PerArchetype = Field(
        description="period measure at which the tier starts ($ or points); per archetype"
    )
    rate: Rate = Field(description="rebate rate on revenue in this tier")

    _check = field_validator("threshold")(per_archetype_names)


class TieredRebate(Measured):
    """A rebate ladder on period revenue (or points), paid at each period end."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "tiered_rebate",
        "tiers": [
            {"name": "base", "threshold": 0, "rate": 0.01},
            {
                "name": "gold",
                "threshold": {"reseller": 20_000, "integrator": 40_000, "alliance": 100_000},
                "rate": 0.04,
            },
        ],
    }

    type: Literal["tiered_rebate"]
    basis: Literal["marginal", "retroactive"] = Field(
        "retroactive",
        description="marginal: each rate on the revenue within its tier; "
        "retroactive: the reached tier's rate on all revenue of the period",
    )
    tiers: list[Tier] = Field(
        min_length=1, max_length=MAX_ITEMS, description="tiers, lowest threshold first"
    )
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check_cap = field_validator("cap")(per_archetype_names)

    @model_validator(mode="after")
    def _increasing(self) -> TieredRebate:
        check_increasing([t.threshold for t in self.tiers], "tier")
        if self.measure == "points" and self.basis == "marginal":
            raise ValueError(
                f"{SUBFIELD}basis: expected retroactive when measure is points "
                "(points set the tier, whose rate applies to the period's revenue)"
            )
        return self

    def missing_archetypes(self, archetypes: Sequence[str]) -> str | None:
        """A tier without a threshold for an archetype the ladder reaches."""
        return missing_thresholds([t.threshold for t in self.tiers], archetypes, "tier")


@component(TieredRebate)
class RebateLadder(PeriodReward):
    """A rebate ladder at run time; it records the tier each partner reached each period."""

    spec: TieredRebate

    def __init__(self, spec: TieredRebate, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        #: Points set the tier, whose rate then applies to the period's revenue.
        self.pays_on_revenue = self.scorecard is not None
        self.levels: list[npt.NDArray[np.int64]] = []  # tier reached in each settled period

    def build_schedule(self) -> Schedule:
        """Rates by tier from each tier's threshold up; thresholds per archetype."""
        spec, world = self.spec, self.world
        thresholds = np.vstack([per_archetype(world, t.threshold) for t in spec.tiers])
        rates = np.array([t.rate for t in spec.tiers])
        thresholds = np.where(self.eligible, thresholds, np.inf)
        blocks = world.layout.blocks
        if self.scorecard is not None:  # the points set the tier; the tier's rate acts on revenue
            steps = np.diff(rates, prepend=0.0)[:, None]
            return Schedule.by_breakpoint(thresholds, steps, 0.0, blocks=blocks)
        return ladder(thresholds.T, rates, spec.basis == "retroactive", self.cap(), blocks)

    def earned(self, extra: FloatArray | float = 0.0, rows: Rows = ALL) -> FloatArray:
        """The reward on the period so far, plus ``extra`` revenue booked now if given."""
        if not self.pays_on_revenue:
            return super().earned(extra, rows)
        measure = self.measure[rows] + self.weight * extra
        # The points schedule's slopes are the steps in rate: summed over the tiers
        # reached they give the tier's rate, paid on the period's revenue.
        rate = self.schedule.slope_at(measure, rows)
        cap = self.cap()
        revenue = self.period_revenue[rows] + extra
        reward = np.clip(rate * revenue, 0.0, np.inf if cap is None else cap[rows])
        return np.where(self.eligible[rows], reward, 0.0)

    def marginal(
        self, mean: FloatArray, sd: FloatArray, revenue: FloatArray, rows: slice | None = None
    ) -> FloatArray:
        """Expected reward per extra $; by points, the rate plus the pull of each tier."""
        if not self.pays_on_revenue:
            return super().marginal(mean, sd, revenue, rows)
        # E[rate] plus the pull of each tier: a step in rate times the period's revenue.
        schedule = self.schedule
        rate = schedule.marginal(mean, sd, rows)
        every = slice(None) if rows is None else rows
        # [K, partners] views of the schedule's own rows
        thresholds, steps = schedule.breakpoints.T[:, every], schedule.slopes.T[:, every]
        pull = threshold_pull(thresholds, steps * revenue, mean, sd)
        return rate + pull * self.weight

    @property
    def flat(self) -> FloatArray | None:
        """A ladder paid on revenue by points is never a constant rate."""
        return None if self.pays_on_revenue else super().flat

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Record the tier reached, then pay as every period reward does."""
        if self.is_period_end(week) or final:
            reached = self.schedule.reached(self.measure)
            self.levels.append(np.where(self.eligible, reached, 0).astype(np.int64))
        return super().settle(week, final)

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier reached in each settled period."""
        return self.levels
