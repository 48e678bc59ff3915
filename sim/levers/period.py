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
from sim.scenario.calendar import WEEKS_PER, is_period_end, weeks_left
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

    def projected_next(self, outlook: Outlook, rows: slice) -> Projection:
        """The next period's measure as partners of the span ``rows`` see it this week.

        The open deals due in the next period, and the new deals from this
        week on that will close in it (not before); its sd adds the two
        variances, at least half a deal.
        """
        end = outlook.week + weeks_left(outlook.week, self.period_weeks)
        last = end + self.period_weeks
        to_end, to_last = outlook.pipeline_until(end, rows), outlook.pipeline_until(last, rows)
        open_mean, open_var = to_last[0] - to_end[0], to_last[1] - to_end[1]
        now_end, later_end = self.world.closing_shares(end - outlook.week, rows)
        now_last, later_last = self.world.closing_shares(last - outlook.week, rows)
        coming = now_last + later_last - (now_end + later_end)
        flow, flow_var = outlook.flow[rows], outlook.flow_var[rows]
        revenue = open_mean + flow * coming
        sd = np.maximum(
            np.sqrt(np.maximum(open_var, 0.0) + flow_var * coming), outlook.sd_floor[rows]
        )
        return Projection(self.weight * revenue, self.weight * sd, revenue, coming)

    def projected_mean(self, outlook: Outlook, rows: Rows) -> FloatArray:
        """The projected period measure of partner ``rows``.

        A span of one archetype's rows (``Layout.spans``) gets its own
        projection, the one the effort signal uses too; other rows are taken
        from every partner's.
        """
        if isinstance(rows, slice) and rows != ALL:
            return self.projected(outlook, rows).mean
        return self.projected(outlook).mean[rows]


def typical_margin(world: World, period_weeks: int) -> FloatArray:
    """What a partner earns in a period on our business at effort 1: its scale for values.

    The booked revenue of ``period_weeks`` weeks of business-as-usual deal flow,
    at the partner's margin.
    """
    margin: FloatArray = world.traits.partner_margin * world.expected_revenue(period_weeks)
    return margin


def disappointment(world: World, shortfall: FloatArray, period_weeks: int) -> FloatArray:
    """The factor on engagement after a period that paid ``shortfall`` less than expected.

    ``1 - disappointment_sensitivity x d / (d + 1)`` with ``d`` the shortfall
    in periods of the partner's typical margin: a loss as large as a
    period's margin costs half of the sensitivity.
    """
    scale = np.maximum(typical_margin(world, period_weeks), 1.0)
    relative = shortfall / scale
    factor: FloatArray = 1.0 - world.traits.disappointment_sensitivity * relative / (relative + 1.0)
    return factor


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
