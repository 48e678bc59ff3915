"""Deal-timing games at period ends, and the flags that detect them.

In the last week of a reward period, a partner can

* **pull forward** won deals due in the next ``pull_weeks`` weeks, buying the
  customer's early close with a ``pull_discount`` (which costs us revenue); or
* **push** the deals due this week into the next period, losing
  ``push_loss`` of them.

Only ``movable_share`` of the deals concerned can move: the rest of the
customers will not change their close date.

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

from sim.levers.effects import Outlook
from sim.levers.roles import TimedReward
from sim.levers.schedule import ALL, Rows
from sim.world.pipeline import Pipeline
from sim.world.world import World

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
        rewards: list[TimedReward],
        outlook: Outlook,
        scale: FloatArray,
        last_week: int,
    ) -> TimingMoves | None:
        """Decide and apply this week's moves in the pipeline; ``None`` if no period ends.

        ``scale`` converts a reward dollar into the partner's perceived value
        (deferral, budget). No deal moves across ``last_week``, the horizon's
        end, so that the horizon's revenue is not inflated or cut by deals the
        simulation never books.
        """
        ending = [r for r in rewards if r.is_period_end(week)]
        if not ending or week >= last_week:
            return None
        traits = self.world.traits
        discount, funded = traits.pull_discount, traits.discount_funding
        booked_share = self.keep * (1.0 - discount * (1.0 - funded))  # our revenue per list $
        unit_cost = self.keep * discount * (traits.partner_margin * (1.0 - funded) + funded)
        due = pipeline.due(week) * self.keep  # booked this week if nothing moves
        # [weeks ahead, partners]: which of the next weeks' deals each partner may pull
        weeks_ahead = np.arange(1, min(self.max_pull, last_week - week) + 1)[:, None]
        reach = weeks_ahead <= traits.pull_weeks
        # customers willing to close early (list value)
        ahead = (pipeline.due(week + weeks_ahead) * reach).sum(axis=0) * traits.movable_share

        # What each reward pays as planned, on its audience's spans (it pays nothing elsewhere).
        as_planned = [_as_planned(reward, due) for reward in ending]

        def value(now: FloatArray, later: FloatArray, rows: Rows = ALL) -> FloatArray:
            """Perceived change in rewards from booking ``now`` more this period, ``later`` next.

            For partner ``rows`` (``now`` and ``later`` are theirs). For every
            partner, each reward is valued on its own spans only.
            """
            total = np.zeros_like(now)
            for reward, planned in zip(ending, as_planned, strict=True):
                fresh = reward.fresh_signal(outlook)
                for part, at in _parts(reward, rows):
                    total[at] += reward.earned(due[part] + now[at], part) - planned[part]
                    total[at] += later[at] * fresh[part]
            return total * scale[rows]

        def pull_value(listed: FloatArray, rows: Rows = ALL) -> FloatArray:
            booked = listed * booked_share[rows]
            return value(booked, -booked, rows) - unit_cost[rows] * listed

        best = ahead.copy()
        best_value = pull_value(ahead)
        for reward in ending:  # pulling just enough to reach the next threshold
            # Valued only for the partners who can reach it.
            rows, amount = _reachable(reward, due, ahead, booked_share)
            candidate = pull_value(amount, rows)
            better = candidate > best_value[rows]
            winners = rows[better]
            best[winners], best_value[winners] = amount[better], candidate[better]
        pull = np.where(best_value > 0, best, 0.0)  # list value pulled
        movable = due * traits.movable_share  # customers willing to wait
        lose = traits.partner_margin * movable * traits.push_loss  # margin on deals lost
        push_value = value(-movable, movable * (1.0 - traits.push_loss)) - lose
        push = (pull == 0) & (movable > 0) & (push_value > 0)

        share = np.divide(pull, ahead, out=np.zeros_like(pull), where=ahead > 0)
        pipeline.pull_in(share * traits.movable_share * reach, week)
        push_share = push * traits.movable_share
        pushed = push_share * pipeline.due(week)
        pipeline.move(push_share, week, week + 1, survive=1.0 - traits.push_loss)
        crossed = np.zeros(due.size, dtype=bool)
        pulled = np.flatnonzero(pull > 0)
        for reward in ending:
            base = reward.measure[pulled] + reward.weight * due[pulled]
            target = reward.next_threshold(base, pulled)
            booked = base + reward.weight * pull[pulled] * booked_share[pulled]
            crossed[pulled] |= booked >= target
        return TimingMoves(pulled=pull, pushed=pushed, flagged=crossed)


def _as_planned(reward: TimedReward, due: FloatArray) -> FloatArray:
    """What ``reward`` pays if the deals ``due`` book as planned, on its spans (0 elsewhere)."""

    def earned(rows: slice) -> FloatArray:
        return reward.earned(due[rows], rows)

    return reward.on_spans(earned)


def _parts(reward: TimedReward, rows: Rows) -> list[tuple[Rows, Rows]]:
    """Where to value ``reward`` for partner ``rows``: (partner rows, their places in ``rows``).

    For every partner, the reward's spans (it pays nothing elsewhere); for
    some rows, those rows.
    """
    if isinstance(rows, slice) and rows == ALL:
        return [(span, span) for span in reward.spans]
    return [(rows, ALL)]


def _reachable(
    reward: TimedReward, due: FloatArray, ahead: FloatArray, booked_share: FloatArray
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Partners who can pull enough of ``ahead`` to reach the reward's next threshold.

    Returns their rows and the list value each must pull (a hair more than
    just enough, so that rounding cannot leave it short).
    """
    found, amounts = [], []
    for span in reward.spans:
        base = reward.measure[span] + reward.weight * due[span]
        gap = reward.next_threshold(base, span) - base
        need = gap / reward.weight / booked_share[span]
        local = np.flatnonzero(np.isfinite(need) & (need > 0) & (need <= ahead[span]))
        found.append(local + span.start)
        amounts.append(need[local] * (1 + 1e-9))
    if not found:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(found), np.concatenate(amounts)
