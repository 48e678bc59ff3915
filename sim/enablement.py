"""Levers that work through partner capability rather than cash rewards.

* Co-marketing funds (MDF): funds accrue on revenue, partners claim them
  against friction, co-invest, and the marketing yields leads with a lag and
  diminishing returns; unused funds expire.
* Deal registration: registered deals win more often and are protected from
  channel conflict, after an approval delay.
* Certification: a partner diverts effort to training now for higher win
  rates and larger deals later.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.components import BoolArray, Boosts, Component, FloatArray, Outcome
from sim.levers import WEEKS_PER, Certification, DealRegistration, MarketDevelopmentFund
from sim.world import World


def _decay(half_life: FloatArray) -> FloatArray:
    return np.exp(-np.log(2.0) / half_life)


class MarketingFund(Component):
    """MDF: accrual on last period's revenue, friction-limited claims, lagged leads.

    Each period a partner's fund is topped up with ``accrual_rate`` (plus the
    MDF rate of its tier) of last period's revenue; what is left unclaimed at
    the period end expires. Each week a partner with funds claims them all
    with probability ``mdf_claim_rate x size^mdf_size_elasticity x (1 -
    friction)`` (capped at 1): bigger partners have more marketing capacity.
    We reimburse the claim; the partner adds ``co_investment`` of the total
    spend. After ``lead_lag_weeks`` the spend joins a marketing stock that
    decays with ``marketing_half_life_weeks`` and raises opportunity flow by
    ``lead_lift x log(1 + stock / deal value)``: diminishing returns.
    """

    def __init__(
        self,
        spec: MarketDevelopmentFund,
        world: World,
        audience: BoolArray,
        tier_rates: list[Callable[[], FloatArray]],
    ) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.period_weeks = WEEKS_PER[spec.period]
        self.tier_rates = tier_rates  # MDF rates of the tiers partners hold, per ladder
        traits = world.traits
        size_factor = world.size**traits.mdf_size_elasticity
        self.claim_probability = np.minimum(
            traits.mdf_claim_rate * size_factor * (1.0 - spec.friction), 1.0
        )
        lag = int(traits.lead_lag_weeks.max()) + 1
        self.pipeline = np.zeros((lag, world.partners))  # spend waiting to yield leads
        self.lag = traits.lead_lag_weeks.astype(np.int64)
        self.stock = np.zeros(world.partners)
        self.decay = _decay(traits.marketing_half_life_weeks)
        self.stock_unit = np.maximum(world.deal_value, 1.0)  # stock is counted in deals
        prior = world.prior_revenue
        self.balance = self._accrual(prior[-1] if self.period_weeks == 13 else prior.sum(axis=0))
        self.revenue = np.zeros(world.partners)
        self.accrued = self.balance.copy()  # per partner, over the horizon
        self.claimed = np.zeros(world.partners)
        self.claims = np.zeros(world.partners)
        self.spend = np.zeros(world.partners)

    def _accrual(self, revenue: FloatArray) -> FloatArray:
        rate = self.spec.accrual_rate + sum((r() for r in self.tier_rates), 0.0)
        return np.where(self.eligible, rate * revenue, 0.0)

    def claim(self, week: int, u: FloatArray, alive: BoolArray) -> None:
        """This week's claims (``u < p``) by partners still in the channel, and the spend."""
        claiming = self.eligible & alive & (self.balance > 0) & (u < self.claim_probability)
        self.claims = np.where(claiming, self.balance, 0.0)
        self.balance = self.balance - self.claims
        self.claimed += self.claims
        self.spend = self.claims / (1.0 - self.spec.co_investment)
        rows = np.flatnonzero(claiming)
        self.pipeline[(week + self.lag[rows]) % self.pipeline.shape[0], rows] += self.spend[rows]
        due = self.pipeline[week % self.pipeline.shape[0]].copy()
        self.pipeline[week % self.pipeline.shape[0]] = 0.0
        self.stock = self.stock * self.decay + due

    def boost(self, week: int, boosts: Boosts) -> None:
        """Leads from the marketing stock: diminishing returns in spend."""
        lift = self.world.traits.lead_lift
        boosts.flow += lift * np.log1p(self.stock / self.stock_unit)

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue revenue for next period's funds; report this week's marketing spend."""
        self.revenue += outcome.revenue
        outcome.marketing += self.spend

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Reimbursed claims are paid as they are made; at a period end funds expire and renew."""
        paid = self.claims
        self.claims = np.zeros_like(paid)
        if (week + 1) % self.period_weeks == 0 and not final:
            self.balance = self._accrual(self.revenue)
            self.accrued += self.balance
            self.revenue = np.zeros_like(self.revenue)
        return paid

    def utilization(self, rows: BoolArray | None = None) -> float:
        """Share of accrued funds claimed so far (by the partners in ``rows``, default all)."""
        rows = np.ones(self.world.partners, dtype=bool) if rows is None else rows
        accrued = float(self.accrued[rows].sum())
        return float(self.claimed[rows].sum()) / accrued if accrued > 0 else 0.0


class Registration(Component):
    """Deal registration: take-up, win-rate uplift, conflict protection, approval delay."""

    def __init__(self, spec: DealRegistration, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.processed = np.zeros(world.partners)
        # What registration offers each partner of the audience (0 elsewhere); it never changes.
        self.share, self.uplift, self.protection, self.approval_weeks = (
            np.where(audience, value, 0.0)
            for value in (
                world.traits.registration_share,
                spec.win_rate_uplift,
                spec.protection,
                spec.approval_weeks,
            )
        )

    def boost(self, week: int, boosts: Boosts) -> None:
        """Registered share and the protection a registration buys."""
        boosts.registered_share = np.maximum(boosts.registered_share, self.share)
        boosts.registration_uplift += self.uplift
        boosts.protection = np.maximum(boosts.protection, self.protection)
        boosts.approval_weeks = np.maximum(boosts.approval_weeks, self.approval_weeks)

    def record(self, week: int, outcome: Outcome) -> None:
        """Registrations made this week are processed (and cost money)."""
        self.processed = outcome.registered * self.eligible  # counts: 0 outside the audience

    def costs(self, week: int) -> FloatArray | None:
        """Processing cost per registration."""
        return self.spec.cost_per_registration * self.processed


class CertificationProgram(Component):
    """Certification: partners take up training; certified partners sell better.

    Each week an uncertified, eligible, active partner starts training with a
    fixed probability ``certification_rate`` (``u < p``): take-up is a
    behavioural parameter, not an optimization. Training diverts
    ``effort_share`` of selling effort for ``training_weeks``; then the partner
    is certified for the rest of the horizon: win rate and deal size rise by
    the lever's boosts. We pay the training cost at completion.
    """

    def __init__(self, spec: Certification, world: World, audience: BoolArray) -> None:
        super().__init__(world, audience)
        self.spec = spec
        self.training_left = np.zeros(world.partners)
        self.certified = np.zeros(world.partners, dtype=bool)
        self.completed = np.zeros(world.partners, dtype=bool)
        # What training and certification do to partners, kept until someone starts or ends.
        self._effects: tuple[FloatArray, FloatArray, FloatArray] | None = None

    def decide(self, u: FloatArray, active: BoolArray) -> None:
        """Start training (``u < certification_rate``) and advance training already under way."""
        training = self.training_left > 0
        self.training_left = self.training_left - training  # a week less for those training
        self.completed = training & (self.training_left == 0)
        self.certified |= self.completed
        idle = (
            self.eligible & active & ~self.certified & (self.training_left == 0) & ~self.completed
        )
        start = idle & (u < self.world.traits.certification_rate)
        self.training_left += start * self.spec.training_weeks  # idle partners have 0 left
        if start.any() or self.completed.any():
            self._effects = None

    def boost(self, week: int, boosts: Boosts) -> None:
        """Training takes effort; certification raises win rate and deal size."""
        effort, win_rate, deal_size = self.effects()
        boosts.effort *= effort
        boosts.win_rate += win_rate
        boosts.deal_size += deal_size

    def effects(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Effort factor (training), win-rate and deal-size gains (certified), per partner.

        Kept until a partner starts or completes training; do not modify them.
        """
        if self._effects is None:
            spec, certified = self.spec, self.certified
            self._effects = (
                1.0 - spec.effort_share * (self.training_left > 0),  # while training
                spec.win_rate_boost * certified,
                spec.deal_size_boost * certified,
            )
        return self._effects

    def record(self, week: int, outcome: Outcome) -> None:
        """Report the certifications completed this week."""
        outcome.certified |= self.completed

    def costs(self, week: int) -> FloatArray | None:
        """Training cost at completion."""
        return self.spec.cost_per_certification * self.completed if self.completed.any() else None
