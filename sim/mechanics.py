"""Program mechanics at run time: incentives (rewards) and channels (nudges).

Each scenario mechanic becomes one component here. An **incentive** tracks the
outcome it rewards, pays at its settlement dates, and gives partners a
*marginal-reward signal*: the expected extra reward, in dollars, for one more
dollar of revenue from this week's effort. A **channel** decides whom it
contacts this week and what that costs; the partners' response to contacts is
their archetype's decision rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from sim.pipeline import Pipeline, cycle_cdf, cycle_cdf_sum
from sim.scenario import WEEKS_PER, EmailNudge, Program, TieredRebate
from sim.world import World

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass
class Outlook:
    """What a partner knows at the start of a week about its coming sales.

    ``flow`` is the expected list value of won deals per week from new
    opportunities at current effort; ``flow_var`` its variance per week.
    """

    week: int
    pipeline: Pipeline
    flow: FloatArray
    flow_var: FloatArray
    sd_floor: FloatArray

    def __post_init__(self) -> None:
        self._cache: dict[int, tuple[FloatArray, FloatArray]] = {}

    def pipeline_until(self, last_week: int) -> tuple[FloatArray, FloatArray]:
        """Expected value and variance of open deals closing from this week to ``last_week``."""
        if last_week not in self._cache:
            self._cache[last_week] = self.pipeline.outlook(self.week, last_week)
        return self._cache[last_week]


class Incentive(Protocol):
    """A reward rule: accrues on outcomes, settles payouts, signals marginal reward."""

    def signal(self, outlook: Outlook) -> FloatArray:
        """Expected reward per extra dollar of revenue from this week's effort."""
        ...

    def record(self, week: int, revenue: FloatArray) -> None:
        """Accrue this week's outcomes."""
        ...

    def settle(self, week: int, final: bool) -> FloatArray:
        """Payout due to each partner this week (zero except on settlement dates)."""
        ...


class Channel(Protocol):
    """An engagement channel: whom it contacts each week, at what cost per contact."""

    cost_per_contact: float

    def contacts(self, week: int, reachable: BoolArray) -> BoolArray:
        """Partners contacted this week among those still reachable."""
        ...


def _eligible(world: World, applies_to: list[str] | None, audience: BoolArray) -> BoolArray:
    """Partners a component reaches: its archetypes, within the program's audience."""
    if applies_to is None:
        return audience.copy()
    codes = [i for i, a in enumerate(world.archetypes) if a in applies_to]
    return np.isin(world.archetype, codes) & audience


class TieredRebateRule:
    """A rebate ladder on period revenue.

    With thresholds ``T_k`` and rates ``r_k`` (``r_-1 = 0``, ``d_k = r_k - r_(k-1)``),
    the reward on period revenue ``S`` is

    * marginal: ``sum_k d_k * max(S - T_k, 0)``;
    * retroactive (all units): ``sum_k d_k * S * [S >= T_k]``.

    Partners treat end-of-period revenue as Normal(mean, sd) given what they
    know; the derivative of the expected reward in the mean is
    ``sum_k d_k * Phi(z_k)`` plus, for retroactive rates, the threshold jump
    ``sum_k d_k * T_k * phi(z_k) / sd``, with ``z_k = (mean - T_k) / sd``. The
    jump term is the pull of a threshold within reach; it vanishes when the
    threshold is far, and sharpens as the period end nears.
    """

    def __init__(self, spec: TieredRebate, world: World, audience: BoolArray) -> None:
        self.spec = spec
        self.period_weeks = WEEKS_PER[spec.period]
        self.retroactive = spec.basis == "retroactive"
        self.eligible = _eligible(world, spec.applies_to, audience)
        thresholds = np.full((world.partners, len(spec.tiers)), np.inf)
        for code, archetype in enumerate(world.archetypes):
            if spec.applies_to is None or archetype in spec.applies_to:
                rows = world.slices[code]
                thresholds[rows] = [tier.threshold_for(archetype) for tier in spec.tiers]
        thresholds[~self.eligible] = np.inf
        self.thresholds_all = thresholds
        rates = np.array([tier.rate for tier in spec.tiers])
        steps = np.diff(rates, prepend=0.0)
        # Tiers whose rate does not change the reward (step 0) never matter; drop them.
        keep = steps != 0.0
        self.steps = steps[keep]
        self.thresholds = np.ascontiguousarray(thresholds[:, keep])
        self._finite_thresholds = np.where(np.isfinite(self.thresholds), self.thresholds, 0.0)
        self.sales = np.zeros(world.partners)
        self.tier = np.full(world.partners, -1, dtype=np.int8)
        self._next_period_signal: FloatArray | None = None
        self._cycle = (world.traits.cycle_weeks_min, world.traits.cycle_weeks_max)
        self._closing_shares: dict[int, tuple[FloatArray, FloatArray]] = {}

    def closing_shares(self, weeks_left: int) -> tuple[FloatArray, FloatArray]:
        """Shares of this week's, and of the coming weeks', arrivals that close in time.

        Returns ``F(weeks_left)`` and ``sum_{m < weeks_left} F(m)`` with ``F`` the
        cycle-length distribution, per partner; cached since cycles are traits.
        """
        if weeks_left not in self._closing_shares:
            self._closing_shares[weeks_left] = (
                cycle_cdf(weeks_left, *self._cycle),
                cycle_cdf_sum(weeks_left, *self._cycle),
            )
        return self._closing_shares[weeks_left]

    # -- money --------------------------------------------------------------------
    def reward(self, sales: FloatArray) -> FloatArray:
        """Reward earned on period revenue ``sales`` (vector over partners), $."""
        over = sales[:, None] - self.thresholds
        if self.retroactive:
            earned = (over >= 0) @ self.steps * sales
        else:
            earned = np.maximum(over, 0.0) @ self.steps
        return np.where(self.eligible, np.maximum(earned, 0.0), 0.0)

    def reached(self, sales: FloatArray) -> npt.NDArray[np.int8]:
        """Index of the highest tier reached (-1 for none)."""
        return ((sales[:, None] >= self.thresholds_all).sum(axis=1) - 1).astype(np.int8)

    def record(self, week: int, revenue: FloatArray) -> None:
        """Add this week's revenue to the period total."""
        self.sales += revenue

    def settle(self, week: int, final: bool) -> FloatArray:
        """Pay the period's reward at its last week; at the horizon, accrue the open period."""
        if (week + 1) % self.period_weeks and not final:
            return np.zeros_like(self.sales)
        payout = self.reward(self.sales)
        self.tier = np.where(self.eligible, self.reached(self.sales), -1).astype(np.int8)
        self.sales = np.zeros_like(self.sales)
        return payout

    # -- behaviour ------------------------------------------------------------------
    def marginal(self, mean: FloatArray, sd: FloatArray) -> FloatArray:
        """D E[reward] / d mean for period revenue ~ Normal(mean, sd)."""
        z = (mean[:, None] - self.thresholds) / sd[:, None]
        slope = ndtr(z)
        if self.retroactive:
            density = np.exp(-0.5 * z * z) * INV_SQRT_2PI / sd[:, None]
            slope += self._finite_thresholds * density
        return np.where(self.eligible, slope @ self.steps, 0.0)

    def signal(self, outlook: Outlook) -> FloatArray:
        """Marginal reward of this week's effort, split by the period its deals close in.

        A share ``F(weeks left)`` of this week's opportunities closes within the
        current period; the rest lands in a later one, valued at the marginal
        reward of a typical fresh period.
        """
        period_end = (outlook.week // self.period_weeks + 1) * self.period_weeks - 1
        left = period_end - outlook.week
        open_mean, open_var = outlook.pipeline_until(period_end)
        this_week, later = self.closing_shares(left)
        coming = this_week + later
        mean = self.sales + open_mean + outlook.flow * coming
        sd = np.maximum(np.sqrt(open_var + outlook.flow_var * coming), outlook.sd_floor)
        current = self.marginal(mean, sd)
        if self._next_period_signal is None:
            full = self.closing_shares(self.period_weeks)[1]
            full_sd = np.maximum(np.sqrt(outlook.flow_var * full), outlook.sd_floor)
            self._next_period_signal = self.marginal(outlook.flow * full, full_sd)
        return this_week * current + (1.0 - this_week) * self._next_period_signal


class EmailChannel:
    """An email sent every ``every_weeks`` weeks from ``first_week`` to eligible partners."""

    def __init__(self, spec: EmailNudge, world: World, audience: BoolArray) -> None:
        self.spec = spec
        self.cost_per_contact = spec.cost_per_contact
        self.eligible = _eligible(world, spec.applies_to, audience)

    def contacts(self, week: int, reachable: BoolArray) -> BoolArray:
        """Every eligible, reachable partner on send weeks; nobody otherwise."""
        due = (
            week >= self.spec.first_week
            and (week - self.spec.first_week) % self.spec.every_weeks == 0
        )
        if not due:
            return np.zeros_like(reachable)
        return self.eligible & reachable


def build_mechanics(
    program: Program, world: World, audience: BoolArray | None = None
) -> tuple[list[Incentive], list[Channel]]:
    """Run-time components of a program, split into incentives and channels.

    ``audience`` restricts the whole program to some partners (default: all),
    e.g. the treatment group of a pilot.
    """
    reach = np.ones(world.partners, dtype=bool) if audience is None else audience
    incentives: list[Incentive] = []
    channels: list[Channel] = []
    for spec in program.mechanics:
        if isinstance(spec, TieredRebate):
            incentives.append(TieredRebateRule(spec, world, reach))
        elif isinstance(spec, EmailNudge):
            channels.append(EmailChannel(spec, world, reach))
        else:  # pragma: no cover - the schema admits only the types above
            raise TypeError(f"no run-time component for {type(spec).__name__}")
    return incentives, channels
