"""Reward levers at run time: period rewards, status tiers, milestones, SPIFFs, recognition.

Period rewards (tiered rebates, growth rebates, accelerators, lump-sum
bonuses) share one machine: a per-partner :class:`~sim.schedule.Schedule` on
the period measure (revenue, or scorecard points), settled at each period end.
Their effort signal splits this week's effort between the current period (the
share ``F(weeks left)`` of opportunities that close in time) and later
periods, valued at a typical fresh period.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.components import (
    BoolArray,
    Boosts,
    Component,
    FloatArray,
    Outcome,
    Outlook,
    Projection,
    SignalParts,
    SpanSignal,
    per_archetype,
)
from sim.levers import (
    WEEKS_PER,
    Accelerator,
    Bonus,
    GrowthRebate,
    Milestone,
    Recognition,
    Scorecard,
    Spiff,
    TieredRebate,
    TierStatus,
)
from sim.schedule import ALL, Rows, Schedule, ladder, threshold_pull
from sim.world import QUARTER, World

PeriodSpec = TieredRebate | GrowthRebate | Accelerator | Bonus


class PeriodReward(SpanSignal):
    """A reward on a period measure, paid at each period end.

    The open period is accrued at the horizon. Partners who miss a threshold
    by less than their ``near_miss_band`` lose ``near_miss_penalty`` of their
    engagement (Wang et al. 2016). A rebate ladder measured in points sets the
    tier by points and pays the tier's rate on the period's revenue.
    """

    def __init__(self, spec: PeriodSpec, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.period_weeks = WEEKS_PER[spec.period]
        scorecard = getattr(spec, "scorecard", None)
        measure = getattr(spec, "measure", "revenue")
        self.scorecard: Scorecard | None = scorecard if measure == "points" else None
        self.weight = self.scorecard.revenue / 1000.0 if self.scorecard else 1.0
        self.pays_on_revenue = isinstance(spec, TieredRebate) and self.scorecard is not None
        self.measure = np.zeros(world.partners)
        self.period_revenue = np.zeros(world.partners)
        self.period = 0
        self.revenue_history: list[FloatArray] = []  # revenue per settled period
        self.quota = self._quota(None)
        self.schedule = self._schedule()
        self._fresh_signal: FloatArray | None = None
        self._flat: FloatArray | None = None
        self.near_miss = np.zeros(world.partners, dtype=bool)
        self.levels: list[npt.NDArray[np.int64]] = []  # tier reached in each settled period

    # -- the schedule of each lever ----------------------------------------------
    def _prior(self) -> FloatArray:
        """Revenue in the same period a year before (last year's history, then our own)."""
        per_year = 52 // self.period_weeks
        if len(self.revenue_history) >= per_year:
            return self.revenue_history[-per_year]
        prior = self.world.prior_revenue
        if self.period_weeks == 52:
            return prior.sum(axis=0)
        return prior[self.period % 4]

    def _quota(self, attained: FloatArray | None) -> FloatArray:
        """This period's quota: fixed or from last year's same period; a ratchet never lowers it.

        Under a ratchet the quota becomes the highest of its base, the last
        quota and ``ratchet x`` last period's revenue (Misra and Nair 2011).
        """
        spec = self.spec
        if not isinstance(spec, Accelerator):
            return np.zeros(self.world.partners)
        if spec.quota is not None:
            base = per_archetype(self.world, spec.quota)
        else:
            base = spec.quota_from_prior * self._prior()
        if spec.ratchet is None or attained is None:
            return base
        return np.maximum(np.maximum(base, self.quota), spec.ratchet * attained)

    def _cap(self) -> FloatArray | None:
        cap = getattr(self.spec, "cap", None)
        return None if cap is None else per_archetype(self.world, cap)

    def _schedule(self) -> Schedule:
        """This period's schedule; ineligible partners get no breakpoints.

        Arrays are ``[K, partners]``, one row per breakpoint.
        """
        spec, world, n = self.spec, self.world, self.world.partners
        mask = self.eligible
        blocks = world.blocks
        if isinstance(spec, TieredRebate):
            thresholds = np.vstack([per_archetype(world, t.threshold) for t in spec.tiers])
            rates = np.array([t.rate for t in spec.tiers])
            thresholds = np.where(mask, thresholds, np.inf)
            if self.pays_on_revenue:  # the points set the tier; the tier's rate acts on revenue
                steps = np.diff(rates, prepend=0.0)[:, None]
                return Schedule.by_breakpoint(thresholds, steps, 0.0, blocks=blocks)
            return ladder(thresholds.T, rates, spec.basis == "retroactive", self._cap(), blocks)
        if isinstance(spec, GrowthRebate):
            base = np.where(mask, self._prior() * (1.0 + spec.growth_target), np.inf)[None]
            return Schedule.by_breakpoint(base, spec.rate, 0.0, self._cap(), blocks)
        if isinstance(spec, Accelerator):
            points = np.where(mask, np.vstack([np.zeros(n), self.quota]), np.inf)
            slopes = np.array([[spec.base_rate], [spec.accelerated_rate - spec.base_rate]])
            return Schedule.by_breakpoint(points, slopes, 0.0, self._cap(), blocks)
        threshold = np.where(mask, per_archetype(world, spec.threshold), np.inf)[None]
        amount = per_archetype(world, spec.amount, missing=0.0)[None]
        return Schedule.by_breakpoint(threshold, 0.0, amount, blocks=blocks)

    # -- money --------------------------------------------------------------------
    @property
    def points_weight(self) -> float | None:
        """Points per $ of revenue, or ``None`` when the measure is the period's revenue."""
        return None if self.scorecard is None else self.weight

    def points(self, outcome: Outcome) -> FloatArray:
        """This week's addition to the period measure."""
        return (
            outcome.revenue if self.scorecard is None else scorecard_points(self.scorecard, outcome)
        )

    def record(self, week: int, outcome: Outcome) -> None:
        """Add this week's outcomes to the period measure."""
        self.measure += self.points(outcome)
        self.period_revenue += outcome.revenue

    def is_period_end(self, week: int) -> bool:
        """Whether ``week`` is the last week of one of this reward's periods."""
        return (week + 1) % self.period_weeks == 0

    def earned(self, extra: FloatArray | float = 0.0, rows: Rows = ALL) -> FloatArray:
        """The reward on the period so far, plus ``extra`` revenue booked now if given.

        For partner ``rows`` if given (``extra`` is then theirs).
        """
        measure = self.measure[rows] + self.weight * extra
        if self.pays_on_revenue:
            # The points schedule's slopes are the steps in rate: summed over the tiers
            # reached they give the tier's rate, paid on the period's revenue.
            rate = self.schedule.slope_at(measure, rows)
            cap = self._cap()
            revenue = self.period_revenue[rows] + extra
            reward = np.clip(rate * revenue, 0.0, np.inf if cap is None else cap[rows])
        else:
            reward = self.schedule.reward(measure, rows)
        return np.where(self.eligible[rows], reward, 0.0)

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """At a period end (or the horizon), pay the reward and start a new period."""
        if not (self.is_period_end(week) or final):
            return None
        payout = self.on_spans(lambda rows: self.earned(0.0, rows))
        if isinstance(self.spec, TieredRebate):
            reached = self.schedule.reached(self.measure)
            self.levels.append(np.where(self.eligible, reached, 0).astype(np.int64))
        self.near_miss = self.on_spans(self._missed_narrowly, dtype=bool)
        self.revenue_history.append(self.period_revenue)
        self.period_revenue = np.zeros_like(self.period_revenue)
        self.period += 1
        self.measure = np.zeros_like(self.measure)
        if isinstance(self.spec, GrowthRebate | Accelerator):
            self.quota = self._quota(self.revenue_history[-1])
            self.schedule = self._schedule()
            self._flat = None
        self._fresh_signal = None
        return payout

    def _missed_narrowly(self, rows: slice) -> BoolArray:
        """Which partners of the span ``rows`` ended within their near-miss band of a threshold."""
        band = self.world.traits.near_miss_band[rows]
        measure = self.measure[rows]
        target = self.schedule.next_breakpoint(measure, rows)
        return self.eligible[rows] & np.isfinite(target) & (measure >= (1 - band) * target)

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier reached in each settled period (rebate ladders only)."""
        return self.levels if isinstance(self.spec, TieredRebate) else None

    def after_settle(self, engagement: FloatArray) -> None:
        """Narrow misses cost engagement; the flag is cleared once applied."""
        if self.near_miss.any():
            engagement *= np.where(self.near_miss, 1.0 - self.world.traits.near_miss_penalty, 1.0)
            self.near_miss[:] = False

    # -- behaviour ------------------------------------------------------------------
    def projected(self, outlook: Outlook, rows: slice | None = None) -> Projection:
        """The period measure's outlook, for every partner or for one block of ``rows``."""
        return self.project(outlook, self.period_weeks, self.measure, self.points_weight, rows)

    def _marginal(
        self, mean: FloatArray, sd: FloatArray, revenue: FloatArray, rows: slice | None = None
    ) -> FloatArray:
        """Expected reward per extra $ of period revenue, given the measure's outlook.

        For every partner, or for one block of ``rows`` (the arrays are then theirs).
        """
        if not self.pays_on_revenue:
            return self.schedule.marginal(mean, sd, rows) * self.weight
        # E[rate] plus the pull of each tier: a step in rate times the period's revenue.
        schedule = self.schedule
        rate = schedule.marginal(mean, sd, rows)
        every = slice(None) if rows is None else rows
        # [K, partners] views of the schedule's own rows
        thresholds, steps = schedule.breakpoints.T[:, every], schedule.slopes.T[:, every]
        pull = threshold_pull(thresholds, steps * revenue, mean, sd)
        return rate + pull * self.weight

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
            self._fresh_signal = self._marginal(mean, sd, revenue)
        return self._fresh_signal

    @property
    def ratchet(self) -> float | None:
        """The accelerator's ratchet on next period's quota, if any."""
        return self.spec.ratchet if isinstance(self.spec, Accelerator) else None

    @property
    def flat(self) -> FloatArray | None:
        """The constant signal of a schedule without thresholds or cap (else ``None``)."""
        # Under a ratchet this period's revenue also raises the next quota: never constant.
        fixed = not self.pays_on_revenue and self.ratchet is None
        constant = self.schedule.constant if fixed else None
        if constant is None:
            return None
        if self._flat is None:
            self._flat = np.where(self.eligible, constant * self.weight, 0.0)
        return self._flat

    def signal_parts(self, outlook: Outlook) -> SignalParts:
        """Reward per $ of this week's revenue: now for what closes in time, later for the rest.

        Under a ratchet, revenue this period also raises next period's quota,
        which costs ``ratchet x`` the accelerated part of the later-period rate.
        """
        flat = self.flat
        if flat is not None:  # a constant rate: the outlook does not matter
            return [(rows, flat[rows]) for rows in self.blocks]
        later = self.fresh_signal(outlook)
        # Only where some of this week's deals close in the period does the period matter.
        closing = dict(self.closing_in_period(outlook.week, self.period_weeks))
        return [
            (rows, self.audience_only(rows, self._span_signal(outlook, later, rows, closing)))
            for rows in self.blocks
        ]

    def _span_signal(
        self, outlook: Outlook, later: FloatArray, rows: slice, closing: dict[slice, float]
    ) -> FloatArray:
        """The signal of the span ``rows``: ``later`` blended with this period's rate."""
        if rows not in closing:
            return later[rows]
        this_week = closing[rows]
        seen = self.projected(outlook, rows)
        revenue = self.period_revenue[rows] + seen.revenue
        current = self._marginal(seen.mean, seen.sd, revenue, rows)
        # Written as later + share x difference: exactly ``later`` where the period's
        # rate is the later one (rows out of play), whichever rows share the block.
        value = later[rows] + this_week * (current - later[rows])
        ratchet = self.ratchet
        if ratchet is not None:
            accelerated = np.maximum(later[rows] - self.spec.base_rate, 0.0)
            value -= this_week * ratchet * accelerated
        return value

    def gap(self, outlook: Outlook, rows: Rows = ALL) -> FloatArray:
        """Relative shortfall of the projected measure below the next threshold (inf if none).

        For partner ``rows`` only, if given.
        """
        mean = projected_mean(self, outlook, rows)
        return relative_gap(mean, self.schedule.next_breakpoint(mean, rows))


def projected_mean(reward: PeriodReward | TierLadder, outlook: Outlook, rows: Rows) -> FloatArray:
    """The projected period measure of partner ``rows``.

    A span of one archetype's rows (``World.spans``) gets its own projection,
    the one the effort signal uses too; other rows are taken from every partner's.
    """
    if isinstance(rows, slice) and rows != ALL:
        return reward.projected(outlook, rows).mean
    return reward.projected(outlook).mean[rows]


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
        + card.certifications * outcome.certified
        + card.registered_deals * outcome.registered
        + card.co_marketing * outcome.marketing / 1000.0
    )


class TierLadder(SpanSignal):
    """Partner tiers held between evaluations, with benefits and demotion rules.

    The period measure sets the tier held over the next period; below a held
    tier's threshold a partner keeps it for ``grace_periods`` evaluations, then
    drops one tier. Holding a tier pays its rebate on revenue and gives its
    win-rate and lead boosts and MDF accrual. The value of a tier next period
    is a jump in the schedule at its threshold, so reaching a tier pulls effort
    and losing one (a demotion) costs engagement, the more the higher the tier.
    """

    def __init__(self, spec: TierStatus, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.period_weeks = WEEKS_PER[spec.period]
        self.weight = spec.scorecard.revenue / 1000.0 if spec.measure == "points" else 1.0
        self.scorecard = spec.scorecard if spec.measure == "points" else None
        # [tiers, partners], so that sums over tiers run along contiguous rows
        self.thresholds = np.vstack([per_archetype(world, t.threshold) for t in spec.tiers])
        self.thresholds[:, ~audience] = np.inf
        self.rebate = np.array([0.0, *[t.rebate_rate for t in spec.tiers]])
        self.mdf = np.array([0.0, *[t.mdf_rate for t in spec.tiers]])
        self._tier_numbers = np.arange(1, len(spec.tiers) + 1)[:, None]
        self.win = np.array([0.0, *[t.win_rate_boost for t in spec.tiers]])
        self.lead = np.array([0.0, *[t.lead_boost for t in spec.tiers]])
        prior = (
            world.prior_revenue[-1]
            if self.period_weeks == QUARTER
            else world.prior_revenue.sum(axis=0)
        )
        self._held: dict[str, FloatArray] = {}  # benefits of the tier held (see ``held``)
        self.level = self.reached(self.weight * prior)
        self.grace = np.full(world.partners, spec.grace_periods)
        self.measure = np.zeros(world.partners)
        self.accrued = np.zeros(world.partners)
        self.demoted_from = np.zeros(world.partners, dtype=np.int64)
        self.demotions: list[npt.NDArray[np.int64]] = []  # tier lost at each evaluation
        self.levels: list[npt.NDArray[np.int64]] = []  # tier held after each evaluation

    def reached(self, measure: FloatArray) -> npt.NDArray[np.int64]:
        """Tier level earned by a period measure (0 = none)."""
        return (measure >= self.thresholds).sum(axis=0)

    @property
    def level(self) -> npt.NDArray[np.int64]:
        """The tier each partner holds: 0 for none, ``k`` for the ``k``-th tier."""
        return self._level

    @level.setter
    def level(self, level: npt.NDArray[np.int64]) -> None:
        self._level = level
        self._held = {}

    def held(self, benefit: str) -> FloatArray:
        """A benefit of the tier each partner holds (``win``, ``lead``, ``rebate`` or ``mdf``).

        Kept until the next evaluation changes the tiers held; do not modify it.
        """
        if benefit not in self._held:
            self._held[benefit] = getattr(self, benefit)[self.level]
        return self._held[benefit]

    def boost(self, week: int, boosts: Boosts) -> None:
        """Win-rate and lead benefits of the tier held."""
        boosts.win_rate += self.held("win")
        boosts.flow += self.held("lead")

    def mdf_rate(self) -> FloatArray:
        """MDF accrual rate of the tier held."""
        return self.held("mdf")

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue the tier rebate and the period measure."""
        self.accrued += self.held("rebate") * outcome.revenue
        card = self.scorecard
        self.measure += outcome.revenue if card is None else scorecard_points(card, outcome)

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Pay the tier rebate; at a period end, promote, keep (grace) or demote."""
        end = (week + 1) % self.period_weeks == 0
        if not (end or final):
            return None
        payout = self.accrued
        self.accrued = np.zeros_like(payout)
        if end:
            self._evaluate(self.reached(self.measure))
            self.measure = np.zeros_like(self.measure)
        return np.where(self.eligible, payout, 0.0)

    def _evaluate(self, earned: npt.NDArray[np.int64]) -> None:
        """Promote to the tier earned, keep a tier in grace, or demote by one tier."""
        grace = self.spec.grace_periods
        below = earned < self.level
        in_grace = below & (self.grace > 0)
        demote = below & ~in_grace
        self.demoted_from = np.where(demote, self.level, 0)
        self.demotions.append(self.demoted_from.copy())
        self.level = np.where(
            below, np.where(demote, np.maximum(self.level - 1, earned), self.level), earned
        )
        self.grace = np.where(in_grace, self.grace - 1, grace)
        self.levels.append(self.level.copy())

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier held after each evaluation."""
        return self.levels

    def after_settle(self, engagement: FloatArray) -> None:
        """A demotion from tier level ``k`` costs ``k x demotion_penalty`` of engagement."""
        if self.demoted_from.any():
            loss = np.minimum(self.world.traits.demotion_penalty * self.demoted_from, 0.9)
            engagement *= 1.0 - loss
            self.demoted_from[:] = 0

    def projected(self, outlook: Outlook, rows: slice | None = None) -> Projection:
        """The period measure's outlook, for every partner or for one block of ``rows``."""
        weight = None if self.scorecard is None else self.weight
        return self.project(outlook, self.period_weeks, self.measure, weight, rows)

    def gap(self, outlook: Outlook, rows: Rows = ALL) -> FloatArray:
        """Relative shortfall of the projected measure below the next tier (inf if none).

        For partner ``rows`` only, if given.
        """
        mean = projected_mean(self, outlook, rows)
        thresholds = self.thresholds[:, rows]
        return relative_gap(mean, np.where(thresholds > mean, thresholds, np.inf).min(axis=0))

    def signal_parts(self, outlook: Outlook) -> SignalParts:
        """Rebate of the tier held, plus the pull of the next tier's value.

        Tier ``k`` is worth ``E[next period revenue] x (rebate + partner margin x
        (win + lead boosts) + MDF rate / 2)`` to a partner; the gain from one
        tier to the next is a jump at its threshold. Tiers a partner already
        holds with grace left cannot be lost this period, so they do not pull.
        """
        held = self.held("rebate")
        # Only where some of this week's deals close in the period does the period matter.
        closing = dict(self.closing_in_period(outlook.week, self.period_weeks))
        parts = []
        for rows in self.blocks:
            value = held[rows]
            if rows in closing:
                seen = self.projected(outlook, rows)
                pull = self._pull(outlook.flow[rows], seen.mean, seen.sd, rows)
                value = value + closing[rows] * pull * self.weight
            parts.append((rows, self.audience_only(rows, value)))
        return parts

    def _pull(self, flow: FloatArray, mean: FloatArray, sd: FloatArray, rows: slice) -> FloatArray:
        """The pull of the next tiers on partner ``rows`` (``flow``, ``mean``, ``sd`` theirs)."""
        next_revenue = flow * self.period_weeks  # a later period, in steady state
        # The gain from tier k - 1 to tier k, per $ of next period's revenue, [tiers, 1]
        rebate, boost, mdf = (
            np.diff(v)[:, None] for v in (self.rebate, self.win + self.lead, self.mdf)
        )
        margin = self.world.traits.partner_margin[rows]
        jumps = next_revenue * (rebate + margin * boost + 0.5 * mdf)
        held = (self._tier_numbers <= self.level[rows]) & (self.grace[rows] > 0)
        np.copyto(jumps, 0.0, where=held)
        return threshold_pull(self.thresholds[:, rows], jumps, mean, sd)


class Milestones(SpanSignal):
    """A one-off reward per partner for an event (first deal, onboarding, certification)."""

    def __init__(self, spec: Milestone, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.amount = per_archetype(world, spec.amount, missing=0.0)
        if spec.event == "first_deal":
            audience = audience & (world.prior_revenue.sum(axis=0) == 0)
        elif spec.event == "onboarding":
            audience = audience & world.is_new
        self.eligible = audience
        self.pending = audience.copy()
        self.due = np.zeros(world.partners)
        self.per_dollar = self.amount / np.maximum(world.deal_value, 1.0)

    def record(self, week: int, outcome: Outcome) -> None:
        """Mark the partners whose event happened this week."""
        if self.spec.event == "first_deal":
            hit = outcome.deals > 0
        elif self.spec.event == "onboarding":
            hit = (outcome.deals > 0) | outcome.certified
        else:
            hit = outcome.certified
        paid = self.pending & hit
        self.due = self.amount * paid  # amounts are never negative
        self.pending &= ~paid

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Pay the milestones reached this week."""
        return self.due

    def signal_parts(self, outlook: Outlook) -> SignalParts | None:
        """A deal-based milestone is worth its amount over the value of a first deal."""
        if self.spec.event == "certification":
            return None
        pending, per_dollar = self.pending, self.per_dollar
        return [(rows, np.where(pending[rows], per_dollar[rows], 0.0)) for rows in self.blocks]


class SpiffReward(SpanSignal):
    """A per-deal bonus on one product line, for deals booked inside a window."""

    def __init__(self, spec: Spiff, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.due = np.zeros(world.partners)
        self.per_dollar = spec.amount_per_deal * spec.line_share / np.maximum(world.deal_value, 1.0)

    def record(self, week: int, outcome: Outcome) -> None:
        """Deals of the line booked in the window earn the bonus."""
        inside = self.spec.start_week <= week <= self.spec.end_week
        deals = outcome.deals * self.spec.line_share if inside else 0.0 * outcome.deals
        self.due = self.spec.amount_per_deal * deals * self.eligible  # deals are never negative

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """SPIFFs are paid as deals book."""
        return self.due

    def signal_parts(self, outlook: Outlook) -> SignalParts | None:
        """Bonus per dollar of a line deal, for this week's deals that close in the window."""
        week, spec = outlook.week, self.spec
        if week > spec.end_week:
            return None
        shares = self.world.closing_shares
        parts = []
        for rows in self.blocks:
            in_window = shares(spec.end_week - week, rows)[0]
            if week < spec.start_week:
                in_window = in_window - shares(spec.start_week - 1 - week, rows)[0]
            parts.append((rows, self.audience_only(rows, self.per_dollar[rows] * in_window)))
        return parts


class RecognitionProgram(Component):
    """Badges or a leaderboard, with optional priority access; only responders care.

    Responders (``responder_share`` of partners, drawn once per world) raise
    effort by ``recognition_lift`` while recognition is on offer (Kosfeld and
    Neckermann 2011). Recognized partners hold the award over the next period
    (priority access raises their win rate); each award costs money.
    """

    def __init__(self, spec: Recognition, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.period_weeks = WEEKS_PER[spec.period]
        self.threshold = (
            per_archetype(world, spec.threshold) if spec.threshold is not None else None
        )
        self.measure = np.zeros(world.partners)
        self.recognized = np.zeros(world.partners, dtype=bool)
        self.awarded = 0
        # Responders in the audience try harder as long as recognition is on offer.
        self.effort = np.where(audience & world.responder, 1.0 + world.traits.recognition_lift, 1.0)

    def boost(self, week: int, boosts: Boosts) -> None:
        """Responders try harder; recognized partners get priority access."""
        boosts.effort *= self.effort
        boosts.win_rate += self._priority

    @property
    def recognized(self) -> BoolArray:
        """Partners holding an award (over the period after it was made)."""
        return self._recognized

    @recognized.setter
    def recognized(self, recognized: BoolArray) -> None:
        self._recognized = recognized
        self._priority = self.spec.priority_access * recognized  # win-rate gain, until changed

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue period revenue."""
        self.measure += outcome.revenue

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """At a period end, award badges or the leaderboard's top places."""
        if (week + 1) % self.period_weeks:
            return None
        if self.spec.kind == "badge":
            self.recognized = self.eligible & (self.measure >= self.threshold)
        else:
            self.recognized = self._top(self.measure)
        self.awarded = int(self.recognized.sum())
        self.measure = np.zeros_like(self.measure)
        return None

    def _top(self, measure: FloatArray) -> BoolArray:
        top = np.zeros(measure.size, dtype=bool)
        for rows in self.world.blocks:  # per archetype, in each arm and replication
            if not self.eligible[rows].any():
                continue
            score = np.where(self.eligible[rows] & (measure[rows] > 0), measure[rows], -np.inf)
            count = min(self.spec.top or 0, int(np.isfinite(score).sum()))
            if count:
                best = np.argpartition(-score, count - 1)[:count]
                top[rows.start + best] = True
        return top

    def costs(self, week: int) -> FloatArray | None:
        """Award costs, charged in the week awards are made."""
        if self.awarded == 0:
            return None
        cost = self.spec.cost_per_award * self.recognized
        self.awarded = 0
        return cost
