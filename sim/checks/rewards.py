"""Checks of the findings on period rewards (``docs/model.md``, findings 1, 2 and 4).

Threshold pull, period-end spikes, caps and ratchets. Each design is set
from the world it runs in (thresholds at quantiles of the partners' own
quarterly revenue), so the checks hold their meaning on any population.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.checks.base import (
    FLAT,
    Arms,
    Setup,
    Trial,
    by_archetype,
    flat,
    measure,
    pooled_mean,
    program,
    thresholds,
    times,
)
from sim.checks.figures import Bound, Check, Figure
from sim.scenario.calendar import QUARTER, YEAR


# -- 1. threshold pull ---------------------------------------------------------------
def threshold_pull(setup: Setup, at: float = 0.6, share: float = 0.05) -> Check:
    """Effort rises near a threshold, falls when it is out of reach or already passed.

    A quarterly lump-sum bonus of ``share`` of its threshold, at the ``at``
    quantile (60th percentile) of each archetype's quarterly revenue, on top of
    the flat rate, against the flat rate alone on
    the same worlds. Partners are grouped by where they stand eight weeks into
    each quarter (revenue so far over the threshold) and their effort in the
    quarter's last five weeks is compared with their own effort under the
    baseline: those within reach should raise it most.
    """
    weeks = YEAR
    threshold = thresholds(setup, weeks, at)
    bonus = {"type": "bonus", "threshold": threshold, "amount": times(threshold, share)}
    scenario = setup.with_programs(weeks, [FLAT], [FLAT, bonus])
    figures = (
        Figure("effort lift, within reach minus far below", "%", Bound(low=0.0)),
        Figure("effort lift, within reach minus already past", "%", Bound(low=0.0)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        base, design = arms
        own = by_archetype(design, threshold)
        effort = base.partners("effort")
        lift = np.divide(
            design.partners("effort"), effort, out=np.ones_like(effort), where=effort > 0
        )
        booked = np.cumsum(design.partners("revenue"), axis=0)
        near, far, past = [], [], []
        for start in range(0, weeks, QUARTER):
            before = booked[start - 1] if start else 0.0
            ratio = (booked[start + 7] - before) / own
            late = lift[start + 8 : start + QUARTER] - 1.0
            joined = (effort[start + 8 : start + QUARTER] > 0).all(axis=0)
            change = late.mean(axis=0)
            near.append(change[joined & (ratio >= 0.5) & (ratio < 1.0)])
            far.append(change[joined & (ratio < 0.1)])
            past.append(change[joined & (ratio >= 1.0)])
        n, f, p = (pooled_mean(group) for group in (near, far, past))
        return {figures[0].label: n - f, figures[1].label: n - p}

    return measure(
        "threshold_pull",
        "1",
        setup,
        [Trial.of(scenario)],
        statistic,
        figures,
        literature="effort rises within reach of a threshold and falls when it is out of reach "
        "or passed (Chung, Steenburgh and Sudhir 2014; Kivetz, Urminsky and Zheng 2006)",
        moved_by=("effort_elasticity", "engagement_baseline", "the bonus's size"),
    )


# -- 2. period-end spikes -------------------------------------------------------------
def period_end_spikes(
    setup: Setup,
    tiers: tuple[float, float] = (0.5, 0.85),
    rates: tuple[float, float, float] = (0.01, 0.03, 0.05),
    bonus_at: float = 0.6,
    share: float = 0.05,
) -> Check:
    """Threshold rewards judged per quarter or per year bunch sales at the period end.

    Four threshold designs (a 3-tier retroactive ladder with thresholds at the
    ``tiers`` quantiles of quarterly revenue and ``rates``, and a lump-sum bonus
    of ``share`` at the ``bonus_at`` quantile, each judged per quarter and per
    year) and a linear rate, each against the flat rate on the same worlds over
    the setup's years. A period's spike is the design's extra
    revenue in the period's last week less its mean extra revenue in the
    period's other weeks, in units of an average baseline week; it is averaged
    over the periods that end inside the horizon (no deal moves across the
    horizon's end).
    """
    weeks = setup.years * YEAR
    low, high = (thresholds(setup, weeks, q) for q in tiers)
    bonus_threshold = thresholds(setup, weeks, bonus_at)

    def ladder(period: str, scale: int) -> dict[str, Any]:
        return {
            "type": "tiered_rebate",
            "period": period,
            "basis": "retroactive",
            "tiers": [
                {"name": "base", "threshold": 0, "rate": rates[0]},
                {"name": "silver", "threshold": times(low, scale), "rate": rates[1]},
                {"name": "gold", "threshold": times(high, scale), "rate": rates[2]},
            ],
        }

    def bonus(period: str, scale: int) -> dict[str, Any]:
        at = times(bonus_threshold, scale)
        return {"type": "bonus", "period": period, "threshold": at, "amount": times(at, share)}

    designs = {
        "quarterly ladder": (program("quarterly ladder", ladder("quarter", 1)), QUARTER),
        "annual ladder": (program("annual ladder", ladder("year", 4)), YEAR),
        "quarterly bonus": (program("quarterly bonus", FLAT, bonus("quarter", 1)), QUARTER),
        "annual bonus": (program("annual bonus", FLAT, bonus("year", 4)), YEAR),
        "linear rate": (program("linear", flat(rates[1])), QUARTER),
    }
    scenario = setup.world_scenario(weeks)
    figures = tuple(
        Figure(
            f"spike, {name}",
            "average weeks",
            Bound(-0.1, 0.1) if name.startswith("linear") else Bound(low=0.0),
        )
        for name in designs
    )
    periods = [period for _, period in designs.values()]

    def statistic(arms: Arms) -> dict[str, float]:
        base = arms[0].weekly("revenue")
        week = base.mean()
        out = {}
        for figure, arm, period in zip(figures, arms[1:], periods, strict=True):
            extra = (arm.weekly("revenue") - base)[: (weeks // period - 1) * period]
            per_period = extra.reshape(-1, period) / week
            out[figure.label] = float((per_period[:, -1] - per_period[:, :-1].mean(axis=1)).mean())
        return out

    return measure(
        "period_end_spikes",
        "2",
        setup,
        [Trial.of(scenario, scenario.baseline, *(p for p, _ in designs.values()))],
        statistic,
        figures,
        literature="sales bunch at the end of periods judged on thresholds; a linear rate "
        "gives a smoother path (Oyer 1998)",
        moved_by=("movable_share", "pull_discount", "pull_weeks", "future_value"),
        record_partners=False,
    )


# -- 4. caps and ratchets -----------------------------------------------------------------
def caps_and_ratchets(
    setup: Setup, cap_at: float = 0.8, rates: tuple[float, float] = (0.02, 0.08)
) -> Check:
    """Caps and ratchets hold partners back; removing them raises revenue by high single digits.

    An accelerator judged per quarter (``rates``: 2% to the partner's own
    last-year quarter, 8% above it) with a ratchet (a good quarter raises the
    next quota) and a cap at the ``cap_at`` quantile (80th percentile) of each
    archetype's quarterly base payout, so that it binds for about the top
    fifth of partners; against the same accelerator without cap and ratchet,
    on the same worlds, over the setup's years.
    """
    weeks = setup.years * YEAR
    free = {
        "type": "accelerator",
        "quota_from_prior": 1.0,
        "base_rate": rates[0],
        "accelerated_rate": rates[1],
    }
    cap = times(thresholds(setup, weeks, cap_at), rates[0])
    capped = free | {"ratchet": 1.0, "cap": cap}
    scenario = setup.with_programs(weeks, [capped], [free])
    figures = (
        Figure("revenue gain from removing cap and ratchet", "%", Bound(0.05, 0.15)),
        Figure("deals pushed out under the cap, share of revenue", "%", Bound(low=0.0)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        with_caps, without = arms
        revenue = with_caps.total("revenue")
        return {
            figures[0].label: without.total("revenue") / revenue - 1.0,
            figures[1].label: with_caps.weekly("pushed_out").sum() / revenue,
        }

    return measure(
        "caps_and_ratchets",
        "4",
        setup,
        [Trial.of(scenario)],
        statistic,
        figures,
        literature="removing caps and ratchets raised revenue by about 9% in a field change "
        "(Misra and Nair 2011)",
        moved_by=("effort_elasticity", "max_effort", "movable_share", "push_loss"),
        record_partners=False,
    )
