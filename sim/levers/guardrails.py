"""Guardrails on rewards: the program budget, deferral with forfeiture, and clawback.

Rewards earned by partners are *accrued*. Of what is accrued, a deferred share
vests ``periods`` quarters later and is *forfeited* if the partner churns
first; the rest is *paid* at once. So, per partner, at every week:

    accrued = paid + deferred (outstanding) + forfeited.

Rewards paid on deals that are later returned are *clawed back* when the
program says so. Once the budget is spent, nothing more accrues. The program
cost of rewards is the accrued amount minus what is forfeited or clawed back
(accrual accounting: deferred rewards are a liability from the day they are
earned).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.scenario.calendar import QUARTER
from sim.scenario.program import Guardrails

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Ledger:
    """Per-partner reward accounts of one arm under the program's guardrails.

    ``worlds`` splits the rows into joined replications' worlds
    (``World.replica_rows``), each with its own budget; default: one world.
    """

    def __init__(
        self, guardrails: Guardrails, audience: BoolArray, worlds: list[BoolArray] | None = None
    ) -> None:
        self.guardrails = guardrails
        self.audience = audience
        partners = audience.size
        self._pools = [audience] if worlds is None else [audience & rows for rows in worlds]
        budget = np.inf if guardrails.budget is None else float(guardrails.budget)
        self.left = np.full(len(self._pools), budget)  # budget left in each world
        deferral = guardrails.deferral
        self.deferred_share = 0.0 if deferral is None else deferral.share
        self.vest_weeks = 0 if deferral is None else deferral.periods * QUARTER
        self.queue = np.zeros((self.vest_weeks + 1, partners))  # deferred, by vesting week
        self.accrued = np.zeros(partners)  # rewards earned, after the budget
        self.paid = np.zeros(partners)  # paid out so far (accrued, less deferred not yet vested)
        self.deferred = np.zeros(partners)  # deferred and not yet vested (a liability)
        self.forfeited = np.zeros(partners)  # deferred rewards lost on churn
        self.clawed_back = np.zeros(partners)  # recovered on returned deals
        self.revenue = np.zeros(partners)  # the audience's revenue, for the clawback rate

    @property
    def open(self) -> bool:
        """Whether rewards can still accrue somewhere (budget left)."""
        return bool((self.left > 0).any())

    def perceived_share(self, deferral_value: FloatArray) -> FloatArray:
        """What a partner makes of a reward dollar: deferred dollars count ``deferral_value``.

        Nothing, once the budget of the partner's world is spent.
        """
        share = self.deferred_share
        value = (1.0 - share) + share * deferral_value
        if (self.left > 0).all():
            return value
        spent = np.zeros(self.audience.size, dtype=bool)
        for pool, left in zip(self._pools, self.left, strict=True):
            if left <= 0:
                spent |= pool
        return np.where(spent, 0.0 * deferral_value, value)

    def accrue(self, week: int, earned: FloatArray, revenue: FloatArray) -> FloatArray:
        """Book rewards earned this week on ``revenue``; returns what accrues after the budget.

        Only the audience's revenue counts (it sets the reward rate that clawback recovers).
        """
        self.revenue += revenue * self.audience
        if self.guardrails.budget is not None:
            earned = self._within_budget(earned)
        self.accrued += earned
        if not self.vest_weeks:  # no deferral: everything is paid at once
            self.paid += earned
            return earned
        deferred = self.deferred_share * earned
        slots = self.queue.shape[0]
        self.queue[(week + self.vest_weeks) % slots] += deferred
        vesting = self.queue[week % slots].copy()
        self.queue[week % slots] = 0.0
        self.paid += earned - deferred + vesting
        self.deferred += deferred - vesting
        return earned

    def _within_budget(self, earned: FloatArray) -> FloatArray:
        """``earned``, scaled down in each world where it exceeds the budget left."""
        for k, pool in enumerate(self._pools):
            total = float(earned[pool].sum())
            if total > self.left[k]:
                earned = np.where(pool, earned * (self.left[k] / total), earned)
                total = self.left[k]
            self.left[k] -= total
        return earned

    def forfeit(self, churned: BoolArray) -> FloatArray:
        """Deferred rewards of partners who churned this week are forfeited; returns the amounts."""
        if not self.vest_weeks:
            return np.zeros_like(self.deferred)
        lost = self.deferred * churned
        rows = np.flatnonzero(lost)
        if rows.size:
            self.forfeited += lost
            self.deferred -= lost
            self.queue[:, rows] = 0.0
        return lost

    def claw_back(self, returned: FloatArray) -> FloatArray:
        """With clawback on, recover the rewards paid on returned revenue (of the audience).

        The reward on a returned dollar is taken at the partner's average
        reward rate so far (accrued / revenue), at most what it was paid.
        """
        amount = np.zeros_like(returned)
        if not self.guardrails.clawback:
            return amount
        rows = np.flatnonzero(returned * self.audience)  # only partners with returns count
        revenue = self.revenue[rows]
        rate = np.divide(self.accrued[rows], revenue, out=np.zeros_like(revenue), where=revenue > 0)
        unpaid = np.maximum(self.paid[rows] - self.clawed_back[rows], 0.0)
        amount[rows] = np.minimum(returned[rows] * rate, unpaid)
        self.clawed_back[rows] += amount[rows]
        return amount
