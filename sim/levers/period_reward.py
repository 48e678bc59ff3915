"""Rewards paid at each period end on a schedule of the period measure.

Period rewards (rebate ladders, growth rebates, accelerators, lump-sum
bonuses) share one machine: a per-partner :class:`~sim.levers.schedule.Schedule`
on the period measure, settled at each period end; each lever module gives
the schedule. Their effort signal splits this week's effort between the
current period (the share ``F(weeks left)`` of opportunities that close in
time) and later periods, valued at a typical fresh period. Partners can move
deals across the period end (:class:`~sim.levers.roles.TimedReward`).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import numpy.typing as npt

from sim.levers.base import BoolArray, FloatArray, SignalParts, per_archetype
from sim.levers.effects import Outcome, Outlook
from sim.levers.period import PeriodMeasure, disappointment, relative_gap
from sim.levers.roles import TimedReward
from sim.levers.schedule import ALL, Rows, Schedule
from sim.scenario.calendar import YEAR, weeks_left
from sim.scenario.program import Lever
from sim.world.world import World


class PeriodReward(PeriodMeasure, TimedReward):
    """A reward on a period measure, paid at each period end.

    The open period is accrued at the horizon. At the period's midpoint each
    partner notes what the period is set to pay; ending with less costs
    engagement in proportion to the shortfall (:func:`~sim.levers.period.disappointment`),
    so a narrow miss of a threshold the partner was heading for hurts, and a
    narrow make or a miss it saw coming does not (Wang et al. 2016).
    """

    #: Whether each period's schedule is set from the last period's revenue.
    renews: bool = False

    def __init__(self, spec: Lever, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        self.period_revenue = np.zeros(world.partners)
        self.period = 0
        self.revenue_history: list[FloatArray] = []  # revenue per settled period
        self.renew(None)
        self.schedule = self.build_schedule()
        self._fresh_signal: FloatArray | None = None
        self._flat: FloatArray | None = None
        self.expected = np.zeros(world.partners)  # what the period was set to pay
        self.shortfall = np.zeros(world.partners)  # what it paid less than that

    # -- the schedule ---------------------------------------------------------------------
    @abstractmethod
    def build_schedule(self) -> Schedule:
        """This period's schedule; partners outside the audience get no breakpoints.

        Arrays are ``[K, partners]``, one row per breakpoint.
        """

    def renew(self, attained: FloatArray | None) -> None:
        """Set up what the next schedule needs, after a period with revenue ``attained``.

        Called before the first period (``attained`` is ``None``) and, for a
        reward that :attr:`renews`, after each period.
        """

    def prior(self) -> FloatArray:
        """Revenue in the same period a year before (last year's history, then our own)."""
        per_year = YEAR // self.period_weeks
        if len(self.revenue_history) >= per_year:
            return self.revenue_history[-per_year]
        prior = self.world.prior_revenue
        if self.period_weeks == YEAR:
            return prior.sum(axis=0)
        return prior[self.period % 4]

    def cap(self) -> FloatArray | None:
        """The most one partner can earn per period, if the lever has a cap."""
        cap = getattr(self.spec, "cap", None)
        return None if cap is None else per_archetype(self.world, cap)

    @property
    def ratchet(self) -> float | None:
        """A ratchet on next period's quota, if any."""
        return None

    def next_threshold(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """The lowest breakpoint above ``measure`` that pays more (``inf`` if none)."""
        return self.schedule.next_breakpoint(measure, rows)

    # -- money --------------------------------------------------------------------------
    def record(self, week: int, outcome: Outcome) -> None:
        """Add this week's outcomes to the period measure."""
        self.measure += self.points(outcome)
        self.period_revenue += outcome.revenue

    def earned(self, extra: FloatArray | float = 0.0, rows: Rows = ALL) -> FloatArray:
        """The reward on the period so far, plus ``extra`` revenue booked now if given.

        For partner ``rows`` if given (``extra`` is then theirs).
        """
        reward = self.schedule.reward(self.measure[rows] + self.weight * extra, rows)
        return np.where(self.eligible[rows], reward, 0.0)

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """At a period end (or the horizon), pay the reward and start a new period."""
        if not (self.is_period_end(week) or final):
            return None
        payout = self.on_spans(lambda rows: self.earned(0.0, rows))
        self.shortfall = np.maximum(self.expected - payout, 0.0)
        self.expected = np.zeros_like(self.expected)
        self.revenue_history.append(self.period_revenue)
        self.period_revenue = np.zeros_like(self.period_revenue)
        self.period += 1
        self.measure = np.zeros_like(self.measure)
        if self.renews:
            self.renew(self.revenue_history[-1])
            self.schedule = self.build_schedule()
            self._flat = None
        self._fresh_signal = None
        return payout

    def observe(self, week: int, outlook: Outlook) -> None:
        """At the period's midpoint, note what partners expect the period to pay."""
        if weeks_left(week, self.period_weeks) != self.period_weeks // 2:
            return

        def expected(rows: slice) -> FloatArray:
            return self.earned(self.projected(outlook, rows).revenue, rows)

        self.expected = self.on_spans(expected)

    def engagement_shock(self) -> FloatArray | None:
        """Ending a period with less than expected costs engagement; applied once."""
        if not self.shortfall.any():
            return None
        shock = disappointment(self.world, self.shortfall, self.period_weeks)
        self.shortfall = np.zeros_like(self.shortfall)
        return shock

    # -- behaviour ----------------------------------------------------------------------
    def marginal(
        self, mean: FloatArray, sd: FloatArray, revenue: FloatArray, rows: slice | None = None
    ) -> FloatArray:
        """Expected reward per extra $ of period revenue, given the measure's outlook.

        For every partner, or for one span of ``rows`` (the arrays are then theirs).
        """
        return self.schedule.marginal(mean, sd, rows) * self.weight

    def fresh_signal(self, outlook: Outlook) -> FloatArray:
        """Reward per $ of a typical later period, computed once per period.

        In steady state a period books ``period_weeks`` weeks of flow, whatever
        the sales cycle, so that is the expected measure of a later period.
        """
        if self._fresh_signal is None:
            weeks = self.period_weeks
            revenue = outlook.flow * weeks
            mean = self.weight * revenue
            sd = self.weight * np.maximum(np.sqrt(outlook.flow_var * weeks), outlook.sd_floor)
            self._fresh_signal = self.marginal(mean, sd, revenue)
        return self._fresh_signal

    def carry_rate(self, outlook: Outlook) -> FloatArray:
        """Reward per $ moved from the next period into this one, in the next (``TimedReward``)."""

        def rate(rows: slice) -> FloatArray:
            seen = self.projected_next(outlook, rows)
            return self.marginal(seen.mean, seen.sd, seen.revenue, rows)

        return self.on_spans(rate)

    @property
    def flat(self) -> FloatArray | None:
        """The constant signal of a schedule without thresholds or cap (else ``None``)."""
        # Under a ratchet this period's revenue also raises the next quota: never constant.
        constant = self.schedule.constant if self.ratchet is None else None
        if constant is None:
            return None
        if self._flat is None:
            self._flat = np.where(self.eligible, constant * self.weight, 0.0)
        return self._flat

    def signal_parts(self, outlook: Outlook) -> SignalParts:
        """Reward per $ of this week's revenue: now for what closes in time, later for the rest."""
        flat = self.flat
        if flat is not None:  # a constant rate: the outlook does not matter
            return [(rows, flat[rows]) for rows in self.spans]
        later = self.fresh_signal(outlook)
        # Only where some of this week's deals close in the period does the period matter.
        closing = dict(self.closing_in_period(outlook.week, self.period_weeks))
        return [
            (rows, self.audience_only(rows, self.span_signal(outlook, later, rows, closing)))
            for rows in self.spans
        ]

    def span_signal(
        self, outlook: Outlook, later: FloatArray, rows: slice, closing: dict[slice, float]
    ) -> FloatArray:
        """The signal of the span ``rows``: ``later`` blended with this period's rate."""
        if rows not in closing:
            return later[rows]
        this_week = closing[rows]
        seen = self.projected(outlook, rows)
        revenue = self.period_revenue[rows] + seen.revenue
        current = self.marginal(seen.mean, seen.sd, revenue, rows)
        # Written as later + share x difference: exactly ``later`` where the period's
        # rate is the later one (rows out of play), whichever rows share the span.
        return later[rows] + this_week * (current - later[rows])

    def gap(self, outlook: Outlook, rows: Rows = ALL) -> FloatArray:
        """Relative shortfall of the projected measure below the next threshold (inf if none).

        For partner ``rows`` only, if given.
        """
        mean = self.projected_mean(outlook, rows)
        return relative_gap(mean, self.schedule.next_breakpoint(mean, rows))

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier reached in each settled period, for levers with tiers (see ``RebateLadder``)."""
        return None
