"""Milestones (``milestone``): a one-off reward per partner for an event.

The events: a first won deal (partners with no revenue last year), onboarding
complete (a new partner's first deal or certification), or a certification.
A deal-based milestone pulls effort like a rebate of its amount over the
value of a first deal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.levers.base import BoolArray, Component, FloatArray, SignalParts, per_archetype
from sim.levers.effects import Outcome, Outlook
from sim.scenario.fields import PerArchetype, per_archetype_names
from sim.scenario.program import Lever
from sim.scenario.registry import component
from sim.world.world import World


class Milestone(Lever):
    """A one-off reward for an event: first deal, onboarding complete, certification."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "milestone",
        "event": "first_deal",
        "amount": 500,
    }

    type: Literal["milestone"]
    event: Literal["first_deal", "onboarding", "certification"] = Field(
        description="first_deal: first won deal of a partner with no revenue last year; "
        "onboarding: a new partner's first won deal or certification; "
        "certification: a certification earned"
    )
    amount: PerArchetype = Field(description="reward paid once per partner, $")

    _check = field_validator("amount")(per_archetype_names)


@component(Milestone)
class Milestones(Component):
    """A one-off reward per partner for an event (first deal, onboarding, certification)."""

    spec: Milestone

    def __init__(self, spec: Milestone, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
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
        certified = outcome.get("certified", bool)
        if self.spec.event == "first_deal":
            hit = outcome.deals > 0
        elif self.spec.event == "onboarding":
            hit = (outcome.deals > 0) | certified
        else:
            hit = certified
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
        return [(rows, np.where(pending[rows], per_dollar[rows], 0.0)) for rows in self.spans]
