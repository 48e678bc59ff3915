"""Deal-timing games at period ends: the effort choice applied to deals already in the pipeline.

In the last week of a reward period, a partner can

* **pull forward** won deals due in the next ``pull_weeks`` weeks: a customer
  closes ``j`` weeks early for a discount of ``pull_discount x j`` of the
  price. The partner funds ``discount_funding`` of it and asks us for the
  rest as special pricing, so most of the discount is our lost revenue; or
* **push** the deals due this week into the next period, losing
  ``push_loss`` of them to the delay.

Only ``movable_share`` of the customers concerned accept a moved close date.
The partner does what raises its perceived earnings most, among pulling the
nearest ``k`` weeks of movable deals (``k = 0 .. pull_weeks``), pulling just
enough of them to reach a reward's next threshold, and pushing: the change in
this period's rewards, minus what the moved deals would have earned in their
own period, valued at a typical later period's marginal rate and at
``future_value`` of a dollar now (a reward in a later period is worth less
than one now), minus its own cost of the discount or of the deals lost. Under
a linear rate the rewards do not change with the timing, so no deal moves;
under a threshold or an accelerating schedule the rewards of this period
can beat the discount (Larkin 2014, Oyer 1998). Pulls that lift a partner
over a threshold are flagged.
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
#: The largest discount a customer is given to close early, whatever the weeks.
MAX_DISCOUNT = 0.5


@dataclass
class TimingMoves:
    """This week's timing decisions per partner."""

    pulled: FloatArray  # list value pulled into this week
    discount: FloatArray  # our part of the pull discounts: revenue we give up, $
    pushed: FloatArray  # list value moved from this week to next week
    flagged: npt.NDArray[np.bool_]  # pulled and crossed a threshold thanks to it


@dataclass(frozen=True)
class _Pool:
    """The deals a partner can pull, week by week ahead ``[weeks, partners]``, cumulated."""

    booked: FloatArray  # our revenue if pulled now (after our part of the discount)
    forgone: FloatArray  # what they would book in their own weeks
    cost: FloatArray  # the partner's cost of the discounts
    ours: FloatArray  # our part of the discounts
    listed: FloatArray  # list value


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
        weeks = min(self.max_pull, last_week - week)
        if not ending or weeks <= 0:
            return None
        traits = self.world.traits
        due = pipeline.due(week) * self.keep  # booked this week if nothing moves
        ahead = np.arange(1, weeks + 1)[:, None]
        # customers willing to close early, by week ahead (list value)
        movable = pipeline.due(week + ahead) * (ahead <= traits.pull_weeks) * traits.movable_share
        # Only partners with a movable deal can pull: the candidates are valued on their rows.
        # (Valuing every partner's thirteen candidates cost a fifth of a quickstart run.)
        rows = np.flatnonzero(movable.any(axis=0)).astype(np.int64)
        pool = self._pool(movable[:, rows], ahead, rows)
        value = _Valuation(ending, outlook, due, scale)
        best = self._best_pulls(ending, value, due, pool, rows)

        take = np.clip(best - (ahead - 1), 0.0, 1.0)  # share of each week's movable deals
        pulled, discount = np.zeros(due.size), np.zeros(due.size)
        pulled[rows] = (take * np.diff(pool.listed, axis=0, prepend=0.0)).sum(axis=0)
        discount[rows] = (take * np.diff(pool.ours, axis=0, prepend=0.0)).sum(axis=0)
        flagged = np.zeros(due.size, dtype=bool)
        flagged[rows] = self._crossing(ending, due[rows], take, pool, rows)

        this_week = due * traits.movable_share  # customers willing to wait (booked value)
        pulls = np.zeros(due.size, dtype=bool)
        pulls[rows] = best > 0
        push = ~pulls & (this_week > 0) & (value.push(this_week) > 0)
        shares = take * (traits.movable_share * (ahead <= traits.pull_weeks))[:, rows]
        pipeline.pull_in(shares, week, rows)
        push_share = push * traits.movable_share
        pushed = push_share * pipeline.due(week)
        pipeline.move(push_share, week, week + 1, survive=1.0 - traits.push_loss)
        return TimingMoves(pulled=pulled, discount=discount, pushed=pushed, flagged=flagged)

    @staticmethod
    def _best_pulls(
        ending: list[TimedReward],
        value: _Valuation,
        due: FloatArray,
        pool: _Pool,
        rows: npt.NDArray[np.intp],
    ) -> FloatArray:
        """Partner ``rows``' best weeks of movable deals to pull (a fraction for the last; 0: none).

        Candidates: the nearest ``k`` weeks, for every ``k``, and just enough to
        reach each ending reward's next threshold.
        """
        # Every k at once, on the rows repeated once per week: one valuation, not one per k.
        weeks = pool.booked.shape[0]
        tiled = np.tile(rows, weeks)
        nearest = value.pull(pool.booked.ravel(), pool.forgone.ravel(), pool.cost.ravel(), tiled)
        nearest = nearest.reshape(weeks, rows.size)
        best_value = np.maximum(nearest.max(axis=0), 0.0)
        # the first k of the best value, if it gains anything
        best_weeks = np.where(best_value > 0, nearest.argmax(axis=0) + 1.0, 0.0)
        for reward in ending:
            local, reach = _reaching(reward, due, pool, rows)
            full = np.floor(reach).astype(np.int64)
            part = reach - full
            booked, forgone, cost = (
                _prefix(getattr(pool, name), local, full, part)
                for name in ("booked", "forgone", "cost")
            )
            candidate = value.pull(booked, forgone, cost, rows[local])
            better = candidate > best_value[local]
            best_weeks[local[better]], best_value[local[better]] = reach[better], candidate[better]
        return best_weeks

    def _pool(
        self, movable: FloatArray, ahead: npt.NDArray[np.int64], rows: npt.NDArray[np.intp]
    ) -> _Pool:
        """What pulling partner ``rows``' movable deals books, forgoes and costs, week by week.

        ``movable`` is theirs ``[weeks, rows]``.
        """
        traits = self.world.traits
        funded, margin = traits.discount_funding[rows], traits.partner_margin[rows]
        discount = np.minimum(  # [weeks, rows]
            traits.pull_discount[rows] + traits.pull_discount_per_week[rows] * ahead, MAX_DISCOUNT
        )
        value = movable * self.keep[rows]
        ours = value * discount * (1.0 - funded)
        cost = value * discount * (margin * (1.0 - funded) + funded)
        return _Pool(
            booked=np.cumsum(value - ours, axis=0),
            forgone=np.cumsum(value, axis=0),
            cost=np.cumsum(cost, axis=0),
            ours=np.cumsum(ours, axis=0),
            listed=np.cumsum(movable, axis=0),
        )

    @staticmethod
    def _crossing(
        ending: list[TimedReward],
        due: FloatArray,
        take: FloatArray,
        pool: _Pool,
        rows: npt.NDArray[np.intp],
    ) -> npt.NDArray[np.bool_]:
        """Which of partner ``rows`` a pull lifted over a threshold of a reward ending this week.

        ``due``, ``take`` and ``pool`` are theirs.
        """
        booked = (take * np.diff(pool.booked, axis=0, prepend=0.0)).sum(axis=0)
        crossed = np.zeros(rows.size, dtype=bool)
        pulled = np.flatnonzero(booked > 0)
        for reward in ending:
            base = reward.measure[rows[pulled]] + reward.weight * due[pulled]
            target = reward.next_threshold(base, rows[pulled])
            crossed[pulled] |= base + reward.weight * booked[pulled] >= target
        return crossed


class _Valuation:
    """A partner's perceived gain from moving deals across the ending period's end."""

    def __init__(
        self, ending: list[TimedReward], outlook: Outlook, due: FloatArray, scale: FloatArray
    ) -> None:
        self.ending = ending
        self.due = due
        self.scale = scale
        self.traits = ending[0].world.traits
        # What each reward pays as planned, on its audience's spans (it pays nothing elsewhere).
        self.planned = [_as_planned(reward, due) for reward in ending]
        # The next period's marginal rate, at what a reward dollar then is worth now.
        future = self.traits.future_value
        self.later = [reward.carry_rate(outlook) * future for reward in ending]

    def change(self, now: FloatArray, later: FloatArray, rows: Rows = ALL) -> FloatArray:
        """Perceived change in rewards from booking ``now`` more this period, ``later`` next.

        For partner ``rows`` (``now`` and ``later`` are theirs). For every
        partner, each reward is valued on its own spans only.
        """
        total = np.zeros_like(now)
        for reward, planned, rate in zip(self.ending, self.planned, self.later, strict=True):
            for part, at in _parts(reward, rows):
                total[at] += reward.earned(self.due[part] + now[at], part) - planned[part]
                total[at] += later[at] * rate[part]
        return total * self.scale[rows]

    def pull(
        self, booked: FloatArray, forgone: FloatArray, cost: FloatArray, rows: Rows = ALL
    ) -> FloatArray:
        """The gain from pulling deals that book ``booked`` now instead of ``forgone`` later."""
        return self.change(booked, -forgone, rows) - cost

    def push(self, moved: FloatArray) -> FloatArray:
        """The gain from pushing ``moved`` (booked value) into the next period."""
        traits = self.traits
        kept = moved * (1.0 - traits.push_loss)
        return self.change(-moved, kept) - traits.partner_margin * moved * traits.push_loss


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


def _reaching(
    reward: TimedReward, due: FloatArray, pool: _Pool, rows: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Which of partner ``rows`` can pull enough to reach the reward's next threshold, and how.

    Returns their places in ``rows`` and the weeks of movable deals that just
    reach it, the last week in part (a hair more than just enough, so that
    rounding cannot leave it short). ``pool`` is theirs.
    """
    weeks = pool.booked.shape[0]
    base = reward.measure[rows] + reward.weight * due[rows]
    need = (reward.next_threshold(base, rows) - base) / reward.weight
    local = np.flatnonzero(np.isfinite(need) & (need > 0) & (need <= pool.booked[-1]))
    need, booked = need[local] * (1 + 1e-9), pool.booked[:, local]
    index = np.arange(local.size)
    full = (booked < need).sum(axis=0)  # whole weeks pulled before the one that reaches it
    before = np.where(full > 0, booked[np.maximum(full - 1, 0), index], 0.0)
    week_value = booked[np.minimum(full, weeks - 1), index] - before
    part = np.divide(need - before, week_value, out=np.ones_like(need), where=week_value > 0)
    return local, full + np.clip(part, 0.0, 1.0)


def _prefix(
    cumulated: FloatArray, rows: npt.NDArray[np.intp], full: npt.NDArray[np.int64], part: FloatArray
) -> FloatArray:
    """The cumulated amount of ``full`` whole weeks plus ``part`` of the next, columns ``rows``."""
    columns = cumulated[:, rows]
    index = np.arange(rows.size)
    before = np.where(full > 0, columns[np.maximum(full - 1, 0), index], 0.0)
    return before + part * (columns[full, index] - before)
