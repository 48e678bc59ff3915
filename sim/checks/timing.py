"""Checks of what rewards do to the timing of deals (``docs/model.md``, findings 3 and 5).

Deal-timing games under an accelerating schedule, with the same design's
timing switched off as the control; lump-sum bonuses as new sales against
sales moved between periods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.checks.base import FLAT, Arm, Arms, Setup, Trial, flat, measure, program, thresholds, times
from sim.checks.figures import Bound, Check, Figure
from sim.scenario.calendar import YEAR

#: Timing switched off: no customer accepts a moved close date.
NO_TIMING = {"movable_share": 0.0}


# -- 3. deal timing ---------------------------------------------------------------------
def deal_timing(
    setup: Setup, quota_at: float = 0.5, rates: tuple[float, float] = (0.01, 0.25)
) -> Check:
    """Steep accelerating schedules make partners buy early closes with discounts we share.

    A quarterly accelerator that pays ``rates`` (1% up to a quota at the
    ``quota_at`` quantile, the median, of each archetype's quarterly revenue,
    and 25% above it: a steep schedule), and a linear 3% rate, over the
    setup's years, each run twice on the same worlds: as
    is, and with timing switched off (``movable_share: 0``, no customer
    accepts a moved close date). The cost of timing games is the net lift
    the design loses to them; our part of the pull-forward discounts and
    the revenue moved across period ends show where it comes from.
    """
    weeks = setup.years * YEAR
    steep = {
        "type": "accelerator",
        "quota": thresholds(setup, weeks, quota_at),
        "base_rate": rates[0],
        "accelerated_rate": rates[1],
    }
    linear = program("linear", flat(0.03))
    on = setup.with_programs(weeks, [FLAT], [steep])
    off = setup.with_programs(weeks, [FLAT], [steep], behaviour=NO_TIMING)
    figures = (
        Figure("our pull-forward discounts, steep accelerator", "%", Bound(0.01, 0.10)),
        Figure("net lift lost to timing games, steep accelerator", "%", Bound(low=0.0)),
        Figure("revenue moved across quarter ends, steep accelerator", "%", Bound(low=0.0)),
        Figure("net lift lost to timing games, linear rate", "%", Bound(high=0.002)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        steep_on, linear_on, steep_off, linear_off = arms
        revenue = steep_on.total("revenue")
        moved = steep_on.weekly("pulled_forward").sum() + steep_on.weekly("pushed_out").sum()
        return {
            figures[0].label: steep_on.weekly("timing_discount").sum() / revenue,
            figures[1].label: (steep_off.net() - steep_on.net()) / revenue,
            figures[2].label: moved / revenue,
            figures[3].label: (linear_off.net() - linear_on.net()) / linear_on.total("revenue"),
        }

    return measure(
        "deal_timing",
        "3",
        setup,
        [Trial.of(on, on.design, linear), Trial.of(off, off.design, linear)],
        statistic,
        figures,
        literature="under accelerating schedules, deals pulled into the period and their "
        "discounts cost several percent of revenue; 6-8% for one firm's salespeople (Larkin 2014)",
        moved_by=(
            "movable_share",
            "pull_discount",
            "pull_discount_per_week",
            "pull_weeks",
            "discount_funding",
            "future_value",
        ),
        record_partners=False,
    )


# -- 5. lump-sum bonuses --------------------------------------------------------------------
#: Sales cycles up to this many weeks fit in a quarter: such partners get a quarterly bonus.
QUARTER_CYCLE = 13


def lump_sum_bonus(setup: Setup) -> Check:
    """A lump-sum bonus judged over a period that fits the sales cycle buys mostly new sales.

    A bonus of 5% of a threshold at each archetype's 60th percentile of
    quarterly revenue (times four for a year), judged per quarter for
    archetypes whose longest sales cycle fits in a quarter and per year for
    the others (as sales-compensation practice sets the payout period),
    on top of the flat rate, against the flat rate alone on the same worlds
    over two years. New sales are the extra deals over the horizon, in list
    value (deals moved between quarters inside it net out; our part of their
    discounts is added back, as it is a cost of timing, not a lost sale);
    moved sales are the deals pulled across period ends, in list value. The
    share of new sales in what the bonus books is new / (new + moved). The
    same bonus judged per quarter for every archetype is reported beside it:
    partners whose deals take longer than a quarter can reach a quarterly
    bonus mostly by moving deals.
    """
    weeks = setup.years * YEAR
    at = thresholds(setup, weeks, 0.6)
    world = setup.first_world(setup.world_scenario(weeks))
    longest = {
        name: world.traits.cycle_weeks_max[world.archetype == code].max()
        for code, name in enumerate(world.archetypes)
    }
    short = [name for name, cycle in longest.items() if cycle <= QUARTER_CYCLE]
    long = [name for name in longest if name not in short]
    matched = [FLAT]
    if short:
        matched.append(_bonus("quarter", {name: at[name] for name in short}))
    if long:
        matched.append(_bonus("year", {name: 4 * at[name] for name in long}))
    scenario = setup.with_programs(weeks, [FLAT], matched)
    quarterly = program("quarterly bonus", FLAT, _bonus("quarter", at))
    figures = (
        Figure("incremental revenue, share of baseline", "%", Bound(low=0.0)),
        Figure("new sales, share of what the bonus books", "%", Bound(low=0.5)),
        Figure("new sales share, quarterly bonus for every archetype", "%", Bound()),
    )
    keep = np.array(
        [
            1.0 - world.traits.customer_discount[world.archetype == code][0]
            for code in range(len(world.archetypes))
        ]
    )

    def new_share(base: Arm, design: Arm) -> float:
        extra = design.weekly_by_archetype("revenue") - base.weekly_by_archetype("revenue")
        extra += design.weekly_by_archetype("timing_discount")
        new = float((extra.sum(axis=0) / keep).sum())
        moved = float(design.weekly("pulled_forward").sum())
        return new / (new + moved) if new + moved > 0 else 0.0

    def statistic(arms: Arms) -> dict[str, float]:
        base, design, every_quarter = arms
        return {
            figures[0].label: design.total("revenue") / base.total("revenue") - 1.0,
            figures[1].label: new_share(base, design),
            figures[2].label: new_share(base, every_quarter),
        }

    return measure(
        "lump_sum_bonus",
        "5",
        setup,
        [Trial.of(scenario, scenario.baseline, scenario.design, quarterly)],
        statistic,
        figures,
        literature="lump-sum bonuses mostly buy new sales, not sales pulled from later "
        "periods (Steenburgh 2008); bonus plans invite more timing games than commissions "
        "(Kishore, Rao, Narasimhan and John 2013)",
        moved_by=("effort_elasticity", "movable_share", "pull_discount", "discount_funding"),
        record_partners=False,
    )


def _bonus(period: str, threshold: dict[str, float]) -> dict[str, Any]:
    """A lump-sum bonus of 5% of ``threshold`` for the archetypes it names."""
    return {
        "type": "bonus",
        "period": period,
        "applies_to": list(threshold),
        "threshold": threshold,
        "amount": times(threshold, 0.05),
    }
