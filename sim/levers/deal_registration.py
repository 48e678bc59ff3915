"""Deal registration (``deal_registration``): registered deals win more and avoid conflict.

Partners register a share of their new deals when the program offers it;
a registered deal wins more often and is protected from channel conflict,
after an approval delay; each registration costs us a processing fee. The
engine draws the ``register`` purpose at new opportunities while a
registration lever is in the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.levers.base import BoolArray, Component, FloatArray
from sim.levers.effects import Boosts, Outcome
from sim.scenario.fields import Money, Rate
from sim.scenario.program import Lever
from sim.scenario.registry import component
from sim.world.pipeline import MAX_APPROVAL_WEEKS
from sim.world.world import World


class DealRegistration(Lever):
    """Registered deals win more often and are protected from channel conflict."""

    example: ClassVar[Mapping[str, Any]] = {"type": "deal_registration"}

    type: Literal["deal_registration"]
    win_rate_uplift: float = Field(0.15, ge=0, le=2, description="relative win-rate gain")
    protection: Rate = Field(0.8, description="share of the channel-conflict loss avoided")
    approval_weeks: Annotated[int, Field(ge=0, le=MAX_APPROVAL_WEEKS)] = Field(
        1, description="approval delay added to the cycle, weeks"
    )
    cost_per_registration: Money = Field(20.0, description="cost of processing one, $")


@component(DealRegistration)
class Registration(Component):
    """Deal registration: take-up, win-rate uplift, conflict protection, approval delay."""

    spec: DealRegistration
    purposes = {"register": "uniform"}

    def __init__(self, spec: DealRegistration, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
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
