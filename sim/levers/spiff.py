"""SPIFFs (``spiff``): a per-deal bonus on one product line, for deals booked in a window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, NonNegativeInt, model_validator

from sim.levers.base import BoolArray, Component, FloatArray, SignalParts
from sim.levers.effects import Outcome, Outlook
from sim.scenario.fields import SUBFIELD, Money, Rate
from sim.scenario.program import Lever
from sim.scenario.registry import component
from sim.world.world import World


class Spiff(Lever):
    """A per-deal bonus on a product line for a limited window."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "spiff",
        "amount_per_deal": 150,
        "start_week": 2,
        "end_week": 20,
    }

    type: Literal["spiff"]
    amount_per_deal: Money = Field(description="bonus per won deal of the line, $")
    line_share: Rate = Field(0.3, description="share of each partner's deals in the line")
    start_week: NonNegativeInt = Field(0, description="first week deals count")
    end_week: NonNegativeInt = Field(12, description="last week deals count")

    @model_validator(mode="after")
    def _window(self) -> Spiff:
        if self.end_week < self.start_week:
            raise ValueError(f"{SUBFIELD}end_week: expected a week >= start_week")
        return self


@component(Spiff)
class SpiffReward(Component):
    """A per-deal bonus on one product line, for deals booked inside a window."""

    spec: Spiff

    def __init__(self, spec: Spiff, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
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
        for rows in self.spans:
            in_window = shares(spec.end_week - week, rows)[0]
            if week < spec.start_week:
                in_window = in_window - shares(spec.start_week - 1 - week, rows)[0]
            parts.append((rows, self.audience_only(rows, self.per_dollar[rows] * in_window)))
        return parts
