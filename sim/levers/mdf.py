"""Co-marketing funds (``mdf``): accrue on revenue, claimed against friction, lagged leads.

Claims rise with partner size (marketing capacity) and fall with
administrative friction; the partner co-invests; marketing yields leads after
a lag, with diminishing returns; unused funds expire at the period end.
Status tiers can add MDF accrual (:class:`~sim.levers.roles.MdfAccrual`): a
program whose tiers do gets a fund even if it lists none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.levers.base import BoolArray, Component, FloatArray
from sim.levers.effects import Boosts, Outcome
from sim.levers.roles import Contributor, Decision, MdfAccrual
from sim.scenario.calendar import QUARTER, WEEKS_PER, is_period_end
from sim.scenario.fields import Rate
from sim.scenario.program import Lever, Period
from sim.scenario.registry import component
from sim.world.streams import Draws
from sim.world.world import World


def _decay(half_life: FloatArray) -> FloatArray:
    return np.exp(-np.log(2.0) / half_life)


class MarketDevelopmentFund(Lever):
    """Co-marketing funds: accrue on revenue, claimed against friction, expire unused."""

    example: ClassVar[Mapping[str, Any]] = {"type": "mdf", "accrual_rate": 0.03}

    type: Literal["mdf"]
    accrual_rate: Rate = Field(
        0.02, description="funds accrued as a share of last period's revenue"
    )
    period: Period = Field("quarter", description="accrual and expiry period")
    co_investment: float = Field(
        0.5, ge=0, lt=1, description="share of spend the partner must co-invest"
    )
    friction: Rate = Field(0.3, description="administrative friction of claims (0 none, 1 total)")


@component(MarketDevelopmentFund)
class MarketingFund(Decision, Contributor):
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

    spec: MarketDevelopmentFund
    purposes = {"mdf_claim": "uniform"}
    reads = (MdfAccrual,)
    outcomes = ("marketing",)

    def __init__(self, spec: MarketDevelopmentFund, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        self.period_weeks = WEEKS_PER[spec.period]
        self.tier_rates: list[MdfAccrual] = []  # tiers partners hold, whose MDF rates accrue
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
        self.balance = np.zeros(world.partners)
        self.revenue = np.zeros(world.partners)
        self.accrued = np.zeros(world.partners)  # per partner, over the horizon
        self.claimed = np.zeros(world.partners)
        self.claims = np.zeros(world.partners)
        self.spend = np.zeros(world.partners)

    @classmethod
    def implied(cls, components: Sequence[Component]) -> MarketDevelopmentFund | None:
        """A fund that only accrues tier MDF, for a program whose tiers give MDF but lists none."""
        accruing = [c for c in components if isinstance(c, MdfAccrual) and c.accrues_mdf]
        return MarketDevelopmentFund(type="mdf", accrual_rate=0.0) if accruing else None

    def link(self, others: Sequence[Component]) -> None:
        """Take the MDF rates of the tiers partners hold, and open the first period's funds."""
        self.tier_rates = [c for c in others if isinstance(c, MdfAccrual)]
        prior = self.world.prior_revenue
        self.balance = self._accrual(
            prior[-1] if self.period_weeks == QUARTER else prior.sum(axis=0)
        )
        self.accrued = self.balance.copy()

    def _accrual(self, revenue: FloatArray) -> FloatArray:
        rate = self.spec.accrual_rate + sum((r.mdf_rate() for r in self.tier_rates), 0.0)
        return np.where(self.eligible, rate * revenue, 0.0)

    def decide(self, week: int, draws: Draws, alive: BoolArray) -> None:
        """This week's claims (``u < p``) by partners still in the channel, and the spend."""
        u = draws["mdf_claim"]
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

    def contribute(self, week: int) -> Mapping[str, FloatArray]:
        """This week's marketing spend (ours and the partner's), $."""
        return {"marketing": self.spend}

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue revenue for next period's funds."""
        self.revenue += outcome.revenue

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Reimbursed claims are paid as they are made; at a period end funds expire and renew."""
        paid = self.claims
        self.claims = np.zeros_like(paid)
        if is_period_end(week, self.period_weeks) and not final:
            self.balance = self._accrual(self.revenue)
            self.accrued += self.balance
            self.revenue = np.zeros_like(self.revenue)
        return paid

    def utilization(self, rows: BoolArray | None = None) -> float:
        """Share of accrued funds claimed so far (by the partners in ``rows``, default all)."""
        rows = np.ones(self.world.partners, dtype=bool) if rows is None else rows
        accrued = float(self.accrued[rows].sum())
        return float(self.claimed[rows].sum()) / accrued if accrued > 0 else 0.0
