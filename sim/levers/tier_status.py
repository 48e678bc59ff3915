"""Status tiers (``tier_status``): tiers held between evaluations, with benefits and demotion.

The period measure sets the tier held over the next period. Holding a tier
pays its rebate on revenue, raises win rate and deal flow, and accrues MDF;
below a held tier's threshold a partner keeps it for ``grace_periods``
evaluations, then drops one tier, which costs engagement (Wang et al. 2016).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, NonNegativeInt, field_validator, model_validator

from sim.levers.base import BoolArray, FloatArray, SignalParts, per_archetype
from sim.levers.effects import Boosts, Outcome, Outlook
from sim.levers.period import PeriodMeasure, disappointment, relative_gap, typical_margin
from sim.levers.roles import MdfAccrual
from sim.levers.schedule import ALL, Rows, threshold_pull
from sim.scenario.calendar import QUARTER
from sim.scenario.fields import (
    MAX_ITEMS,
    Name,
    PerArchetype,
    Rate,
    Strict,
    per_archetype_names,
)
from sim.scenario.program import Measured, check_increasing, missing_thresholds
from sim.scenario.registry import component
from sim.world.world import World


class StatusTier(Strict):
    """A partner tier and what holding it gives during the next period."""

    name: Name = Field(description="tier name, e.g. gold")
    threshold: PerArchetype = Field(description="period measure that earns the tier")
    rebate_rate: Rate = Field(0.0, description="rebate on revenue while holding the tier")
    mdf_rate: Rate = Field(0.0, description="MDF accrual on revenue while holding the tier")
    win_rate_boost: float = Field(0.0, ge=0, le=2, description="relative win-rate gain")
    lead_boost: float = Field(0.0, ge=0, le=2, description="relative gain in opportunity flow")

    _check = field_validator("threshold")(per_archetype_names)


class TierStatus(Measured):
    """A status ladder: the period measure sets the tier held, and its benefits, next period."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "tier_status",
        "tiers": [
            {
                "name": "silver",
                "threshold": {"reseller": 5_000, "integrator": 10_000, "alliance": 25_000},
                "rebate_rate": 0.01,
                "mdf_rate": 0.01,
            },
            {
                "name": "gold",
                "threshold": {"reseller": 20_000, "integrator": 40_000, "alliance": 100_000},
                "rebate_rate": 0.02,
                "win_rate_boost": 0.1,
            },
        ],
    }

    type: Literal["tier_status"]
    tiers: list[StatusTier] = Field(
        min_length=1, max_length=MAX_ITEMS, description="tiers, lowest threshold first"
    )
    grace_periods: NonNegativeInt = Field(
        1, description="periods below a tier's threshold before demotion (one tier at a time)"
    )

    @model_validator(mode="after")
    def _increasing(self) -> TierStatus:
        check_increasing([t.threshold for t in self.tiers], "tier")
        return self

    def missing_archetypes(self, archetypes: Sequence[str]) -> str | None:
        """A tier without a threshold for an archetype the ladder reaches."""
        return missing_thresholds([t.threshold for t in self.tiers], archetypes, "tier")


@component(TierStatus)
class TierLadder(PeriodMeasure, MdfAccrual):
    """Partner tiers held between evaluations, with benefits and demotion rules.

    The period measure sets the tier held over the next period; below a held
    tier's threshold a partner keeps it for ``grace_periods`` evaluations, then
    drops one tier. Holding a tier pays its rebate on revenue and gives its
    win-rate and lead boosts and MDF accrual. The value of a tier next period
    is a jump in the schedule at its threshold, so reaching a tier pulls effort
    and losing one (a demotion) costs engagement, the more the higher the tier.
    """

    spec: TierStatus

    def __init__(self, spec: TierStatus, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
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
        self.accrued = np.zeros(world.partners)
        self.shortfall = np.zeros(world.partners)  # benefits lost to a demotion, $ a period
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

    @property
    def accrues_mdf(self) -> bool:
        """Whether some tier gives MDF accrual."""
        return bool(self.mdf.any())

    def mdf_rate(self) -> FloatArray:
        """MDF accrual rate of the tier held."""
        return self.held("mdf")

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue the tier rebate and the period measure."""
        self.accrued += self.held("rebate") * outcome.revenue
        self.measure += self.points(outcome)

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Pay the tier rebate; at a period end, promote, keep (grace) or demote."""
        end = self.is_period_end(week)
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
        demoted_from = np.where(demote, self.level, 0)
        self.demotions.append(demoted_from)
        before = self.benefits(self.level)
        self.level = np.where(
            below, np.where(demote, np.maximum(self.level - 1, earned), self.level), earned
        )
        self.shortfall = np.where(demote, before - self.benefits(self.level), 0.0)
        self.grace = np.where(in_grace, self.grace - 1, grace)
        self.levels.append(self.level.copy())

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier held after each evaluation."""
        return self.levels

    def benefits(self, level: npt.NDArray[np.int64]) -> FloatArray:
        """What holding tier ``level`` is worth to each partner over a period, $.

        Its rebate, the margin on the deals its win-rate and lead boosts bring,
        and half its MDF accrual, on a typical period's revenue.
        """
        margin = self.world.traits.partner_margin
        revenue = typical_margin(self.world, self.period_weeks) / margin
        boost = self.win[level] + self.lead[level]
        value: FloatArray = revenue * (self.rebate[level] + margin * boost + 0.5 * self.mdf[level])
        return value

    def engagement_shock(self) -> FloatArray | None:
        """A demotion costs engagement in proportion to the benefits lost; applied once.

        A higher tier's benefits are worth more, so losing it hurts more.
        """
        if not self.shortfall.any():
            return None
        shock = disappointment(self.world, self.shortfall, self.period_weeks)
        self.shortfall = np.zeros_like(self.shortfall)
        return shock

    def gap(self, outlook: Outlook, rows: Rows = ALL) -> FloatArray:
        """Relative shortfall of the projected measure below the next tier (inf if none).

        For partner ``rows`` only, if given.
        """
        mean = self.projected_mean(outlook, rows)
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
        for rows in self.spans:
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
