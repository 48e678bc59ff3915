"""The accounts of one run: money per partner, weekly series by block, quarterly activity.

Each week's money (revenue, gross profit, rewards, costs) is added to every
partner's totals (:class:`~sim.world.state.PartnerState`) and summed into the
weekly series of each block of rows (one archetype of one arm of one
replication), which the runner turns into tables. Mesa's ``DataCollector``
reads the week's totals over all partners (:data:`MODEL_REPORTERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from agents import CHURNED, DORMANT, PROSPECT, in_channel
from sim.scenario.calendar import QUARTER
from sim.world.layout import Layout
from sim.world.state import PartnerState

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Weekly series recorded per block, with their units.
SERIES = {
    "revenue": "$",
    "gross_profit": "$",
    "discounts": "$",
    "program_cost": "$",
    "rewards": "$",
    "contact_cost": "$",
    "other_cost": "$",
    "contacts": "contacts",
    "effort": "effort (1 = business as usual)",
    "engagement": "engagement (0-1)",
    "active_partners": "partners",
    "dormant_partners": "partners",
    "churned_partners": "partners",
    "prospects": "partners",
    "open_pipeline": "$",
    "new_pipeline": "$",
    "pulled_forward": "$",
    "timing_discount": "$",
    "pushed_out": "$",
    "timing_flags": "partners",
    "returned": "$",
    "forfeited": "$",
    "clawed_back": "$",
    "deferred": "$",
}
#: Series that are means over partners, not sums.
MEAN_SERIES = ("effort", "engagement")
#: Per-partner weekly series kept when ``record_partners`` is on.
PARTNER_SERIES = ("revenue", "gross_profit", "program_cost", "effort", "engagement")
_INDEX = {name: i for i, name in enumerate(SERIES)}


@dataclass(frozen=True)
class WeekMoney:
    """One week's money and events per partner (arrays over partner rows)."""

    revenue: FloatArray
    gross_profit: FloatArray
    discounts: FloatArray
    rewards: FloatArray
    contact_cost: FloatArray
    other_cost: FloatArray
    contacts: FloatArray
    forfeited: FloatArray
    clawed_back: FloatArray
    returned: FloatArray

    @property
    def program_cost(self) -> FloatArray:
        """Rewards net of forfeits and clawbacks, plus contact and other costs."""
        return (
            self.rewards - self.forfeited - self.clawed_back + self.contact_cost + self.other_cost
        )


class Accounts:
    """Weekly series by block, per-partner series when asked, and quarterly activity.

    Args:
        layout: the world's rows and blocks.
        horizon: weeks in the run.
        record_partners: keep per-partner weekly series (memory grows with
            partners x weeks).
        quiet: series this run can never move; they are left at zero.
    """

    def __init__(
        self, layout: Layout, horizon: int, record_partners: bool, quiet: set[str]
    ) -> None:
        self.starts = layout.starts
        self.counts = np.diff(np.append(self.starts, layout.partners))
        self.partners = layout.partners
        self.series = np.zeros((horizon, len(self.starts), len(SERIES)))
        self.partner_series: dict[str, FloatArray] = (
            {name: np.zeros((horizon, layout.partners)) for name in PARTNER_SERIES}
            if record_partners
            else {}
        )
        self.quarter_revenue: list[FloatArray] = []  # revenue per partner, by quarter
        self.quarter_wins: list[BoolArray] = []  # partners with a win, by quarter
        self.quarter_members: list[BoolArray] = []  # partners in the channel at each quarter's end
        self.quiet = quiet
        self._latest = np.zeros(len(SERIES))  # last week's totals over all partners

    def book(
        self, week: int, money: WeekMoney, state: PartnerState, columns: dict[str, FloatArray]
    ) -> None:
        """Add the week to per-partner totals and to the weekly series by block.

        ``columns`` are the week's other series per partner (open pipeline,
        timing moves, deferred rewards).
        """
        cost = money.program_cost
        state.revenue += money.revenue
        state.gross_profit += money.gross_profit
        state.discounts += money.discounts
        state.program_cost += cost
        state.rewards += money.rewards
        state.contact_cost += money.contact_cost
        state.other_cost += money.other_cost
        state.forfeited += money.forfeited
        state.clawed_back += money.clawed_back
        if self.partner_series:
            for name, value in (
                ("revenue", money.revenue),
                ("gross_profit", money.gross_profit),
                ("program_cost", cost),
                ("effort", state.effort),
                ("engagement", state.engagement),
            ):
                self.partner_series[name][week] = value
        if (week + 1) % QUARTER == 0:
            booked = sum(self.quarter_revenue, np.zeros(self.partners))
            self.quarter_revenue.append(state.revenue - booked)
            self.quarter_wins.append(state.won_this_quarter.copy())
            self.quarter_members.append(in_channel(state.status))
            state.active_quarters += state.won_this_quarter
            state.won_this_quarter[:] = False
        per_partner = {
            "revenue": money.revenue,
            "gross_profit": money.gross_profit,
            "discounts": money.discounts,
            "program_cost": cost,
            "rewards": money.rewards,
            "contact_cost": money.contact_cost,
            "other_cost": money.other_cost,
            "contacts": money.contacts,
            "effort": state.effort,
            "engagement": state.engagement,
            "returned": money.returned,
            "forfeited": money.forfeited,
            "clawed_back": money.clawed_back,
        } | columns
        row = self.series[week]
        for name, values in per_partner.items():
            if name not in self.quiet:
                row[:, _INDEX[name]] = np.add.reduceat(values, self.starts)
        dormant, churned, prospects = (
            np.add.reduceat(state.status == code, self.starts, dtype=np.int64)
            for code in (DORMANT, CHURNED, PROSPECT)
        )
        row[:, _INDEX["dormant_partners"]] = dormant
        row[:, _INDEX["churned_partners"]] = churned
        row[:, _INDEX["prospects"]] = prospects
        # Every partner is active, dormant, churned or not joined yet.
        row[:, _INDEX["active_partners"]] = self.counts - dormant - churned - prospects
        self._latest = row.sum(axis=0)
        for name in MEAN_SERIES:
            self._latest[_INDEX[name]] /= self.partners
            row[:, _INDEX[name]] /= self.counts

    def weekly_total(self, name: str) -> float:
        """Last week's total of a series over all partners (the mean for effort, engagement)."""
        return float(self._latest[_INDEX[name]])


class _Reported(Protocol):
    def weekly_total(self, name: str) -> float: ...


def _total(model: _Reported, name: str) -> float:
    return model.weekly_total(name)


#: Model-level series for Mesa's DataCollector: this week's totals (means for
#: effort and engagement) over all partners. Partials of a module function, so
#: that a model pickles.
MODEL_REPORTERS: dict[str, Any] = {
    name: partial(_total, name=name)
    for name in (
        "revenue",
        "gross_profit",
        "program_cost",
        "effort",
        "engagement",
        "active_partners",
    )
}


def active_share(wins: BoolArray, members: BoolArray) -> float:
    """Share of a quarter's channel members (joined, not churned) that won a deal in it."""
    return float(wins[members].mean()) if members.any() else 0.0
