"""What levers judged on a period measure share: the measure, its projection and the gap.

A period measure is the period's revenue, or points from a scorecard
(:class:`~sim.scenario.program.Scorecard`). Partners see where it is heading as
a normal distribution (:meth:`~sim.levers.base.Component.project`); how far
the projection falls short of the next threshold is the *gap* that
near-threshold nudges target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.levers.base import BoolArray, FloatArray
from sim.levers.effects import Outcome, Outlook, Projection
from sim.levers.roles import Thresholded
from sim.levers.schedule import ALL, Rows
from sim.scenario.calendar import WEEKS_PER, is_period_end
from sim.scenario.program import Lever, Scorecard
from sim.world.world import World


class PeriodMeasure(Thresholded):
    """A lever whose rule looks at a measure accrued over each period (revenue or points)."""

    def __init__(self, spec: Lever, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        period: Any = getattr(spec, "period", "quarter")
        self.period_weeks = WEEKS_PER[period]
        card: Scorecard | None = getattr(spec, "scorecard", None)
        self.scorecard = card if getattr(spec, "measure", "revenue") == "points" else None
        self.weight = self.scorecard.revenue / 1000.0 if self.scorecard else 1.0
        self.measure = np.zeros(world.partners)

    @property
    def points_weight(self) -> float | None:
        """Points per $ of revenue, or ``None`` when the measure is the period's revenue."""
        return None if self.scorecard is None else self.weight

    def points(self, outcome: Outcome) -> FloatArray:
        """This week's addition to the period measure."""
        if self.scorecard is None:
            return outcome.revenue
        return scorecard_points(self.scorecard, outcome)

    def is_period_end(self, week: int) -> bool:
        """Whether ``week`` is the last week of one of this lever's periods."""
        return is_period_end(week, self.period_weeks)

    def projected(self, outlook: Outlook, rows: slice | None = None) -> Projection:
        """The period measure's outlook, for every partner or for one span of ``rows``."""
        return self.project(outlook, self.period_weeks, self.measure, self.points_weight, rows)

    def projected_mean(self, outlook: Outlook, rows: Rows) -> FloatArray:
        """The projected period measure of partner ``rows``.

        A span of one archetype's rows (``Layout.spans``) gets its own
        projection, the one the effort signal uses too; other rows are taken
        from every partner's.
        """
        if isinstance(rows, slice) and rows != ALL:
            return self.projected(outlook, rows).mean
        return self.projected(outlook).mean[rows]


def relative_gap(mean: FloatArray, target: FloatArray) -> FloatArray:
    """``(T - mean) / T`` for the next threshold ``T`` above the projected measure (inf if none)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # no threshold ahead: inf / inf
        gap = (target - mean) / target
    np.putmask(gap, ~((target > 0) & (target < np.inf)), np.inf)
    return gap


def scorecard_points(card: Scorecard, outcome: Outcome) -> FloatArray:
    """Points earned this week on a scorecard."""
    return (
        card.revenue * outcome.revenue / 1000.0
        + card.certifications * outcome.get("certified", bool)
        + card.registered_deals * outcome.registered
        + card.co_marketing * outcome.get("marketing") / 1000.0
    )
