"""Checks of the findings on engagement (``docs/model.md``, findings 6 to 9).

Recognition, nudges, co-marketing funds, near misses and demotion.
"""

from __future__ import annotations

import numpy as np

from sim.checks.base import (
    FLAT,
    Check,
    Setup,
    bonus_threshold,
    engagement_change,
    mean_of,
    pct,
    series,
)
from sim.levers.mdf import MarketingFund
from sim.levers.tier_status import TierLadder
from sim.scenario.calendar import QUARTER
from sim.scenario.program import Program


# -- 6. recognition --------------------------------------------------------------------------
def recognition(setup: Setup) -> Check:
    """Symbolic recognition lifts effort about 10% among the minority who respond."""
    board = {"type": "recognition", "kind": "leaderboard", "top": 10}
    scenario = setup.scenario([FLAT, board])
    responders, others, share = [], [], []
    for base, design in setup.pairs(scenario):
        lift = (
            design.partner_series["effort"].mean(axis=0)
            / base.partner_series["effort"].mean(axis=0)
            - 1
        )
        who = design.world.responder
        responders.append(lift[who].mean())
        others.append(lift[~who].mean())
        share.append(who.mean())
    r, o, s = (float(np.mean(x)) for x in (responders, others, share))
    return Check(
        "recognition",
        "6",
        0.05 <= r <= 0.15 and abs(o) < 0.02 and 0.1 <= s <= 0.3,
        f"effort lift among responders {pct(r)}, others {pct(o)}; responders {s:.0%} of partners",
        "responders +5% to +15% (about +10%), others about 0, responders 10%-30% (about a fifth)",
    )


# -- 7. nudges -------------------------------------------------------------------------------
def nudges(setup: Setup) -> Check:
    """Contacts spike and decay, habituate, pay less at high frequency, and drive opt-outs."""
    cadences = (13, 4, 2, 1)
    designs = [
        Program(
            name=f"email every {c}",
            mechanics=[FLAT, {"type": "email", "every_weeks": c, "cost_per_contact": 0.0}],
        )
        for c in cadences
    ]
    scenario = setup.scenario([FLAT])
    lifts: dict[int, list[float]] = {c: [] for c in cadences}
    opt_outs: dict[int, list[float]] = {c: [] for c in cadences}
    spike, after, first, later = [], [], [], []
    for base, *runs in setup.pairs(scenario, designs):
        base_effort = base.partner_series["effort"].mean(axis=1)
        for cadence, model in zip(cadences, runs, strict=True):
            lifts[cadence].append(model.state.revenue.sum() / base.state.revenue.sum() - 1)
            opt_outs[cadence].append(model.state.opted_out.mean())
        monthly = runs[1].partner_series["effort"].mean(axis=1) / base_effort - 1
        spike.append(monthly[4])
        after.append(monthly[6])
        weekly = runs[3].partner_series["effort"].mean(axis=1) / base_effort - 1
        first.append(weekly[0])
        later.append(weekly[12])
    lift = {c: float(np.mean(v)) for c, v in lifts.items()}
    outs = {c: float(np.mean(v)) for c, v in opt_outs.items()}
    best = max(lift, key=lambda cadence: lift[cadence])
    decays = float(np.mean(spike)) > float(np.mean(after)) > -0.01
    habituates = float(np.mean(first)) > float(np.mean(later))
    inverted = best not in (cadences[0], cadences[-1])
    rising_outs = outs[1] > outs[4] > outs[13] - 1e-9
    return Check(
        "nudges",
        "7",
        decays and habituates and inverted and rising_outs,
        f"monthly email: effort {pct(float(np.mean(spike)))} in the contact week, "
        f"{pct(float(np.mean(after)))} two weeks later; weekly: {pct(float(np.mean(first)))} "
        f"first week, {pct(float(np.mean(later)))} at week 12; revenue lift by cadence "
        + ", ".join(f"every {c}w {pct(lift[c])}" for c in cadences)
        + "; opted out by cadence "
        + ", ".join(f"{c}w {outs[c]:.1%}" for c in cadences),
        "a spike that decays, habituation, the best cadence neither the rarest nor the most "
        "frequent, opt-outs rising with frequency",
    )


# -- 8. co-marketing funds ----------------------------------------------------------------------
def co_marketing_funds(setup: Setup) -> Check:
    """MDF claims rise with size and fall with friction; use 40-90%; leads come with a lag."""

    def fund(friction: float) -> Program:
        return Program(
            name=f"mdf {friction}", mechanics=[FLAT, {"type": "mdf", "friction": friction}]
        )

    scenario = setup.scenario([FLAT])
    use, use_high, big, small, early, late = [], [], [], [], [], []
    for base, low, high in setup.pairs(scenario, [fund(0.3), fund(0.7)]):
        bands = low.world.size_band
        funds = low.parts[0].playing(MarketingFund)[0]
        use.append(funds.utilization())
        use_high.append(high.parts[0].playing(MarketingFund)[0].utilization())
        big.append(funds.utilization(bands == bands.max()))
        small.append(funds.utilization(bands == 0))
        extra = series(low, "revenue") - series(base, "revenue")
        early.append(extra[:3].sum())
        late.append(extra[10:13].sum())
    u, uh, b, s, e, lt = (float(np.mean(x)) for x in (use, use_high, big, small, early, late))
    return Check(
        "co_marketing_funds",
        "8",
        0.4 <= u <= 0.9 and uh < u and b > s and lt > e,
        f"funds used: {u:.0%} at friction 0.3, {uh:.0%} at 0.7; large partners {b:.0%}, "
        f"small {s:.0%}; extra revenue in weeks 0-2 ${e:,.0f}, weeks 10-12 ${lt:,.0f}",
        "use 40%-90%, lower with more friction, higher for large partners, leads after a lag",
    )


# -- 9. near miss and demotion ---------------------------------------------------------------------
STRETCH = {"reseller": 15000, "integrator": 35000, "alliance": 90000}


def near_miss(setup: Setup) -> Check:
    """Narrow misses disengage more than narrow makes; demotion hurts the top tier most."""
    tiers = [
        {
            "name": "silver",
            "threshold": {k: v / 4 for k, v in STRETCH.items()},
            "rebate_rate": 0.02,
        },
        {"name": "gold", "threshold": STRETCH, "rebate_rate": 0.03},
        {
            "name": "platinum",
            "threshold": {k: v * 2.5 for k, v in STRETCH.items()},
            "rebate_rate": 0.04,
        },
    ]
    ladder = {"type": "tier_status", "grace_periods": 0, "tiers": tiers}
    stretch = {
        "type": "bonus",
        "threshold": STRETCH,
        "amount": {k: v / 20 for k, v in STRETCH.items()},
    }
    scenario = setup.scenario([FLAT, stretch])
    designs = [scenario.design, Program(name="ladder", mechanics=[ladder])]
    missed, made, top, first = [], [], [], []
    for base, bonus_run, ladder_run in setup.pairs(scenario, designs):
        threshold = bonus_threshold(bonus_run)
        change = engagement_change(bonus_run, base, QUARTER - 1)
        for quarter in range(3):
            end = (quarter + 1) * QUARTER - 1
            revenue = bonus_run.partner_series["revenue"][end + 1 - QUARTER : end + 1].sum(axis=0)
            ratio = revenue / threshold
            change = engagement_change(bonus_run, base, end)
            missed.append(change[(ratio >= 0.85) & (ratio < 1.0)])
            made.append(change[(ratio >= 1.0) & (ratio < 1.15)])
        (ladder_part,) = ladder_run.parts[0].playing(TierLadder)
        for quarter, lost in enumerate(ladder_part.demotions[:3]):
            change = engagement_change(ladder_run, base, (quarter + 1) * QUARTER - 1)
            top.append(change[lost == 3])
            first.append(change[lost == 1])
    m, k, t, f = (mean_of(x) for x in (missed, made, top, first))
    return Check(
        "near_miss",
        "9",
        m < k and t < f,
        f"engagement change over a quarter end vs baseline: narrow miss {m:+.3f}, narrow make "
        f"{k:+.3f}; demoted from platinum {t:+.3f}, from silver {f:+.3f}",
        "narrow misses lose more engagement than narrow makes; demotion from the top costs most",
    )
