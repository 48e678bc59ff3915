"""What components exchange with the engine each week: what partners expect, boosts and outcomes.

* :class:`Outlook`: what a partner knows at the start of a week about its
  coming sales (the engine makes it; effort signals and targeting read it);
* :class:`Projection`: a period measure as a partner sees it this week;
* :class:`Boosts`: the week's modifiers, which components add up and the
  engine applies to deal flow, win rates, deal sizes and effort;
* :class:`Outcome`: the week's outcomes per partner, which components accrue.
  The engine gives revenue, deals and registrations; other outcomes are
  *contributed* by components with the ``Contributor`` role
  (:mod:`sim.levers.roles`), by name, before any component accrues them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.world.pipeline import Pipeline

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Outlook:
    """What a partner knows at the start of a week about its coming sales.

    ``flow`` is the expected booked value per week of new opportunities at
    current effort, ``flow_var`` its variance per week.
    """

    week: int
    pipeline: Pipeline
    flow: FloatArray
    flow_var: FloatArray
    sd_floor: FloatArray
    keep: FloatArray  # booked share of list value (1 - customer discount)
    _cache: dict[tuple[int, slice | None], tuple[FloatArray, FloatArray]] = field(
        default_factory=dict
    )
    #: Projections of period measures this week, by who projects (``Component.project``).
    projections: dict[object, Projection] = field(default_factory=dict)

    def pipeline_until(
        self, last_week: int, rows: slice | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Expected booked value and variance of open deals closing this week to ``last_week``.

        For every partner, or for ``rows``, one block of the world's rows.
        """
        key = (last_week, rows)
        if key not in self._cache:
            mean, var = self.pipeline.outlook(self.week, last_week, rows)
            keep = self.keep if rows is None else self.keep[rows]
            self._cache[key] = (mean * keep, var * keep**2)
        return self._cache[key]


@dataclass(frozen=True)
class Projection:
    """A period measure as a partner sees it this week."""

    mean: FloatArray  # expected measure at the period end
    sd: FloatArray  # its standard deviation
    revenue: FloatArray  # expected revenue still to book in the period, $
    this_week: FloatArray  # share of this week's new deals that close in the period
    # (one number when the projection is of one block of rows)


@dataclass
class Boosts:
    """This week's modifiers, relative gains added up across components (0 = none).

    Each starts as a number (no modifier, for every partner) and becomes a
    per-partner array once a component adds to it, so weeks without
    modifiers cost nothing.
    """

    win_rate: FloatArray | float = 0.0
    deal_size: FloatArray | float = 0.0
    flow: FloatArray | float = 0.0
    effort: FloatArray | float = 1.0  # multiplicative factor, 1 = none
    registered_share: FloatArray | float = 0.0  # share of new deals registered
    registration_uplift: FloatArray | float = 0.0  # relative win-rate gain of a registered deal
    protection: FloatArray | float = 0.0  # share of the conflict loss a registered deal avoids
    approval_weeks: FloatArray | float = 0.0


@dataclass(frozen=True)
class Outcome:
    """This week's outcomes per partner, for components to accrue."""

    revenue: FloatArray  # booked revenue net of customer discounts and returns, $
    deals: FloatArray  # won deals booked
    registered: FloatArray  # deals registered this week
    #: Outcomes contributed by components this week, by name (``Contributor``).
    contributed: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)

    def get(self, name: str, dtype: type = np.float64) -> npt.NDArray[Any]:
        """A contributed outcome, or zeros of ``dtype`` when no component contributes it."""
        found = self.contributed.get(name)
        return np.zeros(self.revenue.size, dtype=dtype) if found is None else found
