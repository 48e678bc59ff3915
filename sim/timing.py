"""Deal-timing games at period ends, and the flags that detect them.

In the last week of a reward period, a partner can

* **pull forward** won deals due in the next ``pull_weeks`` weeks, buying the
  customer's early close with a ``pull_discount`` (which costs us revenue); or
* **push** the deals due this week into the next period, losing
  ``push_loss`` of them.

It does what raises its expected earnings most: the change in this period's
rewards, minus what the moved deals would have earned next period (valued at
a fresh period's marginal rate), minus its own margin on the discount or on
lost deals. This is the same marginal-value logic as effort (Larkin 2014,
Oyer 1998). Pulls that lift a partner over a threshold are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.components import Outlook
from sim.incentives import PeriodReward
from sim.pipeline import Pipeline
from sim.world import World

FloatArray = npt.NDArray[np.float64]


@dataclass
class TimingMoves:
    """This week's timing decisions per partner (list values)."""

    pulled: FloatArray  # pulled into this week, booked at our share of the discount
    pushed: FloatArray  # moved from this week to next week
    flagged: npt.NDArray[np.bool_]  # pulled and crossed a threshold thanks to it


class TimingGame:
    """Pull-forward and push decisions for the rewards whose period ends this week."""

    def __init__(self, world: World) -> None:
        self.world = world
        traits = world.traits
        self.keep = 1.0 - traits.customer_discount
        self.max_pull = int(traits.pull_weeks.max())

    def play(
        self,
        week: int,
        pipeline: Pipeline,
        rewards: list[PeriodReward],
        outlook: Outlook,
        scale: FloatArray,
    ) -> TimingMoves | None:
        """Decide and apply this week's moves in the pipeline; ``None`` if no period ends.

        ``scale`` converts a reward dollar into the partner's perceived value
        (deferral, budget, engagement).
        """
        ending = [r for r in rewards if r.is_period_end(week)]
        if not ending:
            return None
        traits = self.world.traits
        ring = pipeline.ring_weeks
        due = pipeline.won[week % ring] * self.keep  # booked this week if nothing moves
        ahead = np.zeros_like(due)
        for j in range(1, self.max_pull + 1):
            ahead += np.where(j <= traits.pull_weeks, pipeline.won[(week + j) % ring], 0.0)
        ahead *= traits.pullable_share  # customers willing to close early
        pullable = ahead * self.keep * (1.0 - traits.pull_discount)  # booked value if pulled

        def gain(extra: FloatArray) -> FloatArray:
            """Change in this and next period's perceived rewards from booking ``extra`` now."""
            total = np.zeros_like(extra)
            for reward in ending:
                base = reward.measure + reward.weight * due
                now = reward.schedule.reward(base + reward.weight * extra) - reward.schedule.reward(
                    base
                )
                total += now - extra * reward.weight * reward.fresh_signal(outlook)
            return total * scale

        # A pull costs the partner its margin on our share of the discount, plus the share
        # of the discount it funds itself.
        unit_cost = traits.pull_discount * (
            traits.partner_margin * (1.0 - traits.discount_funding) + traits.discount_funding
        )
        margin = traits.partner_margin
        pull_value = gain(pullable) - unit_cost * ahead * self.keep
        best, best_value = pullable, pull_value
        for reward in ending:  # pulling just enough to reach the next threshold
            base = reward.measure + reward.weight * due
            need = (reward.schedule.next_breakpoint(base) - base) / reward.weight
            ok = np.isfinite(need) & (need > 0) & (need <= pullable)
            amount = np.where(ok, need * (1 + 1e-9), 0.0)
            value = (
                gain(amount) - margin * amount / (1.0 - traits.pull_discount) * traits.pull_discount
            )
            better = ok & (value > best_value)
            best = np.where(better, amount, best)
            best_value = np.where(better, value, best_value)
        pull = np.where(best_value > 0, best, 0.0)
        pushed_value = gain(-due) - margin * due * traits.push_loss
        push = (pull == 0) & (due > 0) & (pushed_value > 0)

        share = np.divide(pull, pullable, out=np.zeros_like(pull), where=pullable > 0)
        pulled_list = share * ahead
        for j in range(1, self.max_pull + 1):
            pipeline.move(share * traits.pullable_share * (j <= traits.pull_weeks), week + j, week)
        pushed_list = np.where(push, pipeline.won[week % ring], 0.0)
        pipeline.move(push.astype(float), week, week + 1, survive=1.0 - traits.push_loss)
        crossed = np.zeros(due.size, dtype=bool)
        for reward in ending:
            base = reward.measure + reward.weight * due
            target = reward.schedule.next_breakpoint(base)
            crossed |= (pull > 0) & (base + reward.weight * pull >= target)
        return TimingMoves(pulled=pulled_list, pushed=pushed_list, flagged=crossed)
