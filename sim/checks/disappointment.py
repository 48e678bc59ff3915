"""The check of near misses and demotion (``docs/model.md``, finding 9).

Both are read from the simulated panel as a discontinuity: how partners
just below and just above a threshold, or demoted from different tiers,
change their effort in the next quarter, each against their own effort
under the baseline on the same worlds.
"""

from __future__ import annotations

import numpy as np

from sim.checks.base import (
    FLAT,
    Arm,
    Arms,
    FloatArray,
    Setup,
    Trial,
    by_archetype,
    measure,
    pooled_mean,
    program,
    thresholds,
    times,
)
from sim.checks.figures import Bound, Check, Figure
from sim.levers.tier_status import TierLadder
from sim.scenario.calendar import QUARTER, YEAR

#: How close to a threshold counts as a narrow miss or make: within 15% of it.
BAND = 0.15


def near_miss(setup: Setup) -> Check:
    """Narrow misses disengage partners more than narrow makes; demotion hurts the top most.

    A quarterly stretch bonus at each archetype's 70th percentile of
    quarterly revenue, and a three-tier status ladder without grace whose
    benefits grow with the tier (as status programs' do), each against the
    flat rate alone on the same worlds over a year. For each quarter end
    inside the year: partners who ended within 15% below the bonus threshold
    against those within 15% above it; partners demoted from the top tier
    against those demoted from the lowest. The effect is the change in each
    partner's effort relative to its baseline, from the quarter to the next.
    """
    stretch = thresholds(setup, YEAR, 0.7)
    bonus = {"type": "bonus", "threshold": stretch, "amount": times(stretch, 0.05)}
    tiers = [
        {"name": "silver", "threshold": thresholds(setup, YEAR, 0.4), "rebate_rate": 0.01},
        {"name": "gold", "threshold": stretch, "rebate_rate": 0.02},
        {
            "name": "platinum",
            "threshold": thresholds(setup, YEAR, 0.9),
            "rebate_rate": 0.04,
            "win_rate_boost": 0.1,
        },
    ]
    ladder = {"type": "tier_status", "grace_periods": 0, "tiers": tiers}
    scenario = setup.world_scenario(YEAR)
    programs = (scenario.baseline, program("stretch bonus", FLAT, bonus), program("ladder", ladder))
    figures = (
        Figure("engagement across the quarter end, narrow make minus miss", "%", Bound(low=0.0)),
        Figure("next-quarter effort, narrow make minus miss", "%", Bound(low=0.0)),
        Figure("engagement across a demotion, from the top minus the lowest", "%", Bound(high=0.0)),
        Figure("next-quarter effort, demoted from the top minus the lowest", "%", Bound(high=0.0)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        base, with_bonus, with_ladder = arms
        near = _around_threshold(base, with_bonus, by_archetype(with_bonus, stretch))
        demoted = _after_demotion(base, with_ladder)
        labels = iter(figures)
        out = {}
        for groups in (near, demoted):
            for series in SERIES:
                first, second = groups[series]
                out[next(labels).label] = first - second
        return out

    return measure(
        "near_miss",
        "9",
        setup,
        [Trial.of(scenario, *programs)],
        statistic,
        figures,
        literature="partners who narrowly miss a stretch tier disengage, more than those who "
        "narrowly make it; demotion hurts top-tier partners most (Wang, Lewis, Cryder and "
        "Sprigg 2016)",
        moved_by=(
            "disappointment_sensitivity",
            "engagement_on_payout",
            "engagement_on_win",
            "the benefits of each tier",
        ),
    )


#: What the check reads of each partner: engagement, and effort (the choice it drives).
SERIES = ("engagement", "effort")
#: Weeks either side of a quarter end over which engagement is compared.
AROUND = 4


def _changes(base: Arm, design: Arm) -> dict[str, FloatArray]:
    """Each partner's change relative to baseline from each quarter to the next ``[q - 1, p]``.

    Engagement: its ratio to the baseline's over the next quarter's first
    ``AROUND`` weeks less over the quarter's last ``AROUND`` weeks. Effort:
    its ratio to the baseline's over the next quarter less over the quarter.
    ``nan`` for partners not in the channel through both quarters.
    """
    out = {}
    for series in SERIES:
        own, theirs = design.partners(series), base.partners(series)
        quarters = own.shape[0] // QUARTER
        own_q = own[: quarters * QUARTER].reshape(quarters, QUARTER, -1)
        theirs_q = theirs[: quarters * QUARTER].reshape(quarters, QUARTER, -1)
        present = (theirs_q > 0).all(axis=1)
        if series == "effort":
            before, after = own_q.mean(axis=1), own_q.mean(axis=1)
            base_before = base_after = theirs_q.mean(axis=1)
        else:
            before, after = own_q[:, -AROUND:].mean(axis=1), own_q[:, :AROUND].mean(axis=1)
            base_before, base_after = (
                theirs_q[:, -AROUND:].mean(axis=1),
                theirs_q[:, :AROUND].mean(axis=1),
            )
        ratio_before = np.where(present, before / np.where(present, base_before, 1.0), np.nan)
        ratio_after = np.where(present, after / np.where(present, base_after, 1.0), np.nan)
        out[series] = ratio_after[1:] - ratio_before[:-1]
    return out


def _around_threshold(
    base: Arm, design: Arm, threshold: FloatArray
) -> dict[str, tuple[float, float]]:
    """Mean change after a quarter ended within ``BAND`` above, and below, the threshold."""
    changes = _changes(base, design)
    revenue = design.partners("revenue")
    groups: dict[str, tuple[list[FloatArray], list[FloatArray]]] = {s: ([], []) for s in SERIES}
    for quarter in range(changes["effort"].shape[0]):
        ratio = revenue[quarter * QUARTER : (quarter + 1) * QUARTER].sum(axis=0) / threshold
        made, missed = (ratio >= 1.0) & (ratio < 1.0 + BAND), (ratio >= 1.0 - BAND) & (ratio < 1.0)
        for series, (above, below) in groups.items():
            above.append(changes[series][quarter][made])
            below.append(changes[series][quarter][missed])
    return {s: (pooled_mean(a), pooled_mean(b)) for s, (a, b) in groups.items()}


def _after_demotion(base: Arm, design: Arm) -> dict[str, tuple[float, float]]:
    """Mean change after a demotion from the top tier, and from the lowest."""
    changes = _changes(base, design)
    (ladder,) = design.playing(TierLadder)
    top = len(ladder.spec.tiers)
    groups: dict[str, tuple[list[FloatArray], list[FloatArray]]] = {s: ([], []) for s in SERIES}
    for quarter, lost in enumerate(ladder.demotions[: changes["effort"].shape[0]]):
        own = lost[design.rows]
        for series, (from_top, from_lowest) in groups.items():
            from_top.append(changes[series][quarter][own == top])
            from_lowest.append(changes[series][quarter][own == 1])
    return {s: (pooled_mean(a), pooled_mean(b)) for s, (a, b) in groups.items()}
