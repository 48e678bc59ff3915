"""The dynamic per-partner state of one arm, as parallel arrays."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Money accumulated per partner over the horizon, $.
MONEY = (
    "revenue",
    "gross_profit",
    "discounts",
    "program_cost",
    "rewards",
    "contact_cost",
    "other_cost",
    "forfeited",
    "clawed_back",
)


@dataclass
class PartnerState:
    """Dynamic per-partner arrays: behaviour state plus money accumulated since week 0."""

    engagement: FloatArray
    effort: FloatArray
    nudge_stock: FloatArray
    habituation: FloatArray
    opted_out: npt.NDArray[np.bool_]
    status: npt.NDArray[np.int8]
    weeks_since_win: FloatArray
    wallet: FloatArray  # share of wallet relative to the start (1 = unchanged)
    attraction: FloatArray  # smoothed reward per $ our program offers
    revenue: FloatArray = field(init=False)
    gross_profit: FloatArray = field(init=False)
    discounts: FloatArray = field(init=False)
    program_cost: FloatArray = field(init=False)
    rewards: FloatArray = field(init=False)
    contact_cost: FloatArray = field(init=False)
    other_cost: FloatArray = field(init=False)
    forfeited: FloatArray = field(init=False)
    clawed_back: FloatArray = field(init=False)
    active_quarters: FloatArray = field(init=False)
    won_this_quarter: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        n = self.engagement.size
        self.revenue = np.zeros(n)
        self.gross_profit = np.zeros(n)
        self.discounts = np.zeros(n)
        self.program_cost = np.zeros(n)
        self.rewards = np.zeros(n)
        self.contact_cost = np.zeros(n)
        self.other_cost = np.zeros(n)
        self.forfeited = np.zeros(n)
        self.clawed_back = np.zeros(n)
        self.active_quarters = np.zeros(n)
        self.won_this_quarter = np.zeros(n, dtype=bool)

    @classmethod
    def fresh(
        cls,
        engagement: FloatArray,
        status: npt.NDArray[np.int8],
        weeks_since_win: FloatArray,
        attraction: float = 0.0,
    ) -> PartnerState:
        """A state with business-as-usual effort, no nudge history and no money yet.

        ``attraction`` is the reward rate partners are used to (other vendors').
        """
        n = engagement.size
        return cls(
            engagement=engagement.copy(),
            effort=np.ones(n),
            nudge_stock=np.zeros(n),
            habituation=np.zeros(n),
            opted_out=np.zeros(n, dtype=bool),
            status=status.copy(),
            weeks_since_win=weeks_since_win.copy(),
            wallet=np.ones(n),
            attraction=np.full(n, attraction),
        )

    def carried_over(self) -> PartnerState:
        """A copy of the behaviour state with the money accumulators reset to zero."""
        behaviour = {f.name: getattr(self, f.name).copy() for f in fields(self) if f.init}
        return PartnerState(**behaviour)
