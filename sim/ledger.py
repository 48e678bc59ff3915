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

from sim.levers import Guardrails
from sim.world import QUARTER

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Ledger:
    """Per-partner reward accounts of one arm under the program's guardrails."""

    def __init__(self, guardrails: Guardrails, audience: BoolArray) -> None:
        self.guardrails = guardrails
        self.audience = audience
        partners = audience.size
        self.budget_left = np.inf if guardrails.budget is None else float(guardrails.budget)
        deferral = guardrails.deferral
        self.deferred_share = 0.0 if deferral is None else deferral.share
        self.vest_weeks = 0 if deferral is None else deferral.periods * QUARTER
        self.queue = np.zeros((self.vest_weeks + 1, partners))  # deferred, by vesting week
        for name in ("accrued", "paid", "deferred", "forfeited", "clawed_back", "revenue"):
            setattr(self, name, np.zeros(partners))

    @property
    def open(self) -> bool:
        """Whether rewards can still accrue (budget left)."""
        return self.budget_left > 0

    def perceived_share(self, deferral_value: FloatArray) -> FloatArray:
        """What a partner makes of a reward dollar: deferred dollars count ``deferral_value``."""
        share = self.deferred_share
        return (1.0 - share) + share * deferral_value if self.open else 0.0 * deferral_value

    def accrue(self, week: int, earned: FloatArray, revenue: FloatArray) -> FloatArray:
        """Book rewards earned this week on ``revenue``; returns what accrues after the budget.

        Only the audience's revenue counts (it sets the reward rate that clawback recovers).
        """
        self.revenue += revenue * self.audience
        if self.guardrails.budget is not None:
            total = float(earned[self.audience].sum())
            if total > self.budget_left:
                earned = earned * (self.budget_left / total)
                total = self.budget_left
            self.budget_left -= total
        self.accrued += earned
        if not self.vest_weeks:  # no deferral: everything is paid at once
            self.paid += earned
            return earned
        deferred = self.deferred_share * earned
        slots = self.queue.shape[0]
        self.queue[(week + self.vest_weeks) % slots] += deferred
        vesting = self.queue[week % slots].copy() if self.vest_weeks else deferred
        self.queue[week % slots] = 0.0
        self.paid += earned - deferred + vesting
        self.deferred += deferred - vesting
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
        if not self.guardrails.clawback or not returned.any():
            return np.zeros_like(returned)
        returned = returned * self.audience
        rate = np.divide(
            self.accrued, self.revenue, out=np.zeros_like(returned), where=self.revenue > 0
        )
        amount = np.minimum(returned * rate, np.maximum(self.paid - self.clawed_back, 0.0))
        self.clawed_back += amount
        return amount
