"""Accelerators (``accelerator``): a base rate to a quota and a higher rate above it.

The quota is fixed per archetype or a multiple of last year's same period;
under a ratchet it becomes, after each period, the highest of its base, the
last quota and ``ratchet x`` the period's revenue, so a good period raises
the next target (Misra and Nair 2011). A cap limits what one partner earns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.levers.base import FloatArray, per_archetype
from sim.levers.effects import Outlook
from sim.levers.period_reward import PeriodReward
from sim.levers.schedule import Schedule
from sim.scenario.fields import PerArchetype, Rate, per_archetype_names
from sim.scenario.program import Lever, Period
from sim.scenario.registry import component


class Accelerator(Lever):
    """A quota plan: ``base_rate`` up to the quota, ``accelerated_rate`` above it."""

    example: ClassVar[Mapping[str, Any]] = {
        "type": "accelerator",
        "quota_from_prior": 1.0,
        "base_rate": 0.01,
        "accelerated_rate": 0.06,
        "ratchet": 1.0,
        "cap": {"reseller": 1_500, "integrator": 4_000, "alliance": 10_000},
    }

    type: Literal["accelerator"]
    period: Period = Field("quarter", description="evaluation period")
    quota: PerArchetype | None = Field(None, description="quota per period, $")
    quota_from_prior: float | None = Field(
        None, gt=0, description="quota = this x the partner's revenue in last year's same period"
    )
    base_rate: Rate = Field(0.0, description="rate on revenue up to the quota")
    accelerated_rate: Rate = Field(description="rate on revenue above the quota")
    ratchet: float | None = Field(
        None, gt=0, description="next quota = max(quota, ratchet x this period's revenue)"
    )
    cap: PerArchetype | None = Field(None, description="most paid to one partner per period, $")

    _check = field_validator("quota", "cap")(per_archetype_names)

    @model_validator(mode="after")
    def _one_quota(self) -> Accelerator:
        if (self.quota is None) == (self.quota_from_prior is None):
            raise ValueError("expected exactly one of quota and quota_from_prior")
        return self


@component(Accelerator)
class AcceleratorReward(PeriodReward):
    """An accelerator at run time: the quota of each period, and the ratchet's pull on effort."""

    spec: Accelerator
    renews = True
    quota: FloatArray

    def renew(self, attained: FloatArray | None) -> None:
        """This period's quota: fixed or from last year's same period; a ratchet never lowers it.

        Under a ratchet the quota becomes the highest of its base, the last
        quota and ``ratchet x`` last period's revenue (Misra and Nair 2011).
        """
        spec = self.spec
        if spec.quota is not None:
            base = per_archetype(self.world, spec.quota)
        else:
            base = cast(float, spec.quota_from_prior) * self.prior()  # one of the two is set
        if spec.ratchet is None or attained is None:
            self.quota = base
        else:
            self.quota = np.maximum(np.maximum(base, self.quota), spec.ratchet * attained)

    def build_schedule(self) -> Schedule:
        """``base_rate`` from 0, ``accelerated_rate`` from the quota up, capped."""
        spec, n = self.spec, self.world.partners
        points = np.where(self.eligible, np.vstack([np.zeros(n), self.quota]), np.inf)
        slopes = np.array([[spec.base_rate], [spec.accelerated_rate - spec.base_rate]])
        return Schedule.by_breakpoint(points, slopes, 0.0, self.cap(), self.world.layout.blocks)

    @property
    def ratchet(self) -> float | None:
        """The ratchet on next period's quota, if any."""
        return self.spec.ratchet

    def carry_rate(self, outlook: Outlook) -> FloatArray:
        """Under a ratchet, a dollar booked this period also raises next period's quota.

        That costs ``ratchet x`` the accelerated part of the next period's rate.
        """
        rate = super().carry_rate(outlook)
        if self.ratchet is None:
            return rate
        return rate + self.ratchet * np.maximum(rate - self.spec.base_rate, 0.0) * self.eligible

    def span_signal(
        self, outlook: Outlook, later: FloatArray, rows: slice, closing: dict[slice, float]
    ) -> FloatArray:
        """Under a ratchet, revenue this period also raises next period's quota.

        That costs ``ratchet x`` the accelerated part of the later-period rate.
        """
        value = super().span_signal(outlook, later, rows, closing)
        ratchet = self.ratchet
        if ratchet is None or rows not in closing:
            return value
        accelerated = np.maximum(later[rows] - self.spec.base_rate, 0.0)
        value -= closing[rows] * ratchet * accelerated
        return value
