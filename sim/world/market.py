"""End-customer demand over the weeks: level, seasonality and an optional downturn."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.scenario.calendar import YEAR
from sim.scenario.schema import Market


def demand_index(market: Market, weeks: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Multiplier on opportunity flow for each week (1 = an average week).

    Demand is ``demand * (1 + amplitude * cos(2 pi (week - peak_week) / 52))``,
    times ``1 - depth`` during a shock. Negative weeks (the pre-horizon
    history) follow the same seasonality and no shock.
    """
    week = np.asarray(weeks, dtype=np.float64)
    season = market.seasonality
    phase = 2.0 * np.pi * (week - season.peak_week) / YEAR
    index = market.demand * (1.0 + season.amplitude * np.cos(phase))
    shock = market.shock
    if shock is not None:
        hit = (week >= shock.start_week) & (week < shock.start_week + shock.duration_weeks)
        index = np.where(hit, index * (1.0 - shock.depth), index)
    return index


def supply_capacity(market: Market, weeks: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Share of due deals that can close each week (1 outside a supply constraint)."""
    week = np.asarray(weeks, dtype=np.float64)
    supply = market.supply
    if supply is None:
        return np.ones_like(week)
    hit = (week >= supply.start_week) & (week < supply.start_week + supply.duration_weeks)
    return np.where(hit, supply.capacity, 1.0)
