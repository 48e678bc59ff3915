"""Checks of the findings on engagement levers (``docs/model.md``, findings 6 to 8).

Recognition, nudges and co-marketing funds, each measured on the simulated
panel of the same worlds with and without the lever.
"""

from __future__ import annotations

import numpy as np

from sim.checks.base import FLAT, Arm, Arms, FloatArray, Setup, Trial, measure, program, thresholds
from sim.checks.figures import Bound, Check, Figure
from sim.levers.mdf import MarketingFund
from sim.scenario.calendar import YEAR
from sim.scenario.program import Program


# -- 6. recognition --------------------------------------------------------------------------
def recognition(setup: Setup) -> Check:
    """Recognition lifts the effort of the minority who care; the others do not change.

    A quarterly badge at each archetype's 60th percentile of quarterly
    revenue (no money, no priority access), against the flat rate alone on
    the same worlds over a year. The effect is a difference in differences:
    the change in effort (and revenue) of partners who care about recognition
    less that of partners who don't. The share of partners who respond is
    the share whose effort over the year rises by at least 2%.
    """
    badge = {"type": "recognition", "kind": "badge", "threshold": thresholds(setup, YEAR, 0.6)}
    scenario = setup.with_programs(YEAR, [FLAT], [FLAT, badge])
    figures = (
        Figure("effort, responders minus others", "%", Bound(0.05, 0.20)),
        Figure("revenue, responders minus others", "%", Bound(low=0.0)),
        Figure("partners whose effort rises 2% or more", "%", Bound(0.10, 0.30)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        base, design = arms
        cares = design.world("responder")
        joined = base.partners("effort").sum(axis=0) > 0
        effort = _ratio(design.partners("effort").sum(axis=0), base.partners("effort").sum(axis=0))
        revenue = design.partners("revenue").sum(axis=0), base.partners("revenue").sum(axis=0)

        def revenue_change(group: np.ndarray) -> float:
            return float(revenue[0][group].sum() / max(revenue[1][group].sum(), 1e-9) - 1.0)

        responders, others = joined & cares, joined & ~cares
        return {
            figures[0].label: float(effort[responders].mean() - effort[others].mean()),
            figures[1].label: revenue_change(responders) - revenue_change(others),
            figures[2].label: float((effort[joined] >= 1.02).mean()),
        }

    return measure(
        "recognition",
        "6",
        setup,
        [Trial.of(scenario)],
        statistic,
        figures,
        literature="symbolic recognition lifts effort about 10% among those who respond, and "
        "about a fifth respond (Kosfeld and Neckermann 2011; Hoernle et al. 2020)",
        moved_by=("recognition_value", "responder_share", "the badge's threshold"),
    )


# -- 7. nudges -------------------------------------------------------------------------------
#: Email cadences compared, weeks between sends; monthly is the one expected to do best.
CADENCES = (13, 4, 1)


def nudges(setup: Setup) -> Check:
    """Contacts spike and decay, habituate, pay best at a middle cadence, and drive opt-outs.

    Emails every 13, 4 and 1 weeks ($1 a contact) on top of the flat rate,
    against the flat rate alone on the same worlds over a year. The net
    response is net lift (gross profit less program cost, contacts
    included): it rises from no email to a monthly one and falls from there
    to a weekly one (an inverted U; the quarterly email, between none and
    monthly, is reported). The spike is the monthly email's extra new pipeline in a send
    week less two weeks later; habituation is the weekly email's extra new
    pipeline in its first two weeks less in weeks 11 and 12 (both in units
    of an average baseline week's new pipeline).
    """
    designs = [
        program(
            f"email every {c}w", FLAT, {"type": "email", "every_weeks": c, "cost_per_contact": 1.0}
        )
        for c in CADENCES
    ]
    scenario = setup.world_scenario(YEAR)
    figures = (
        Figure("net lift of a monthly email", "$", Bound(low=0.0)),
        Figure("net lift, monthly minus weekly email", "$", Bound(low=0.0)),
        Figure("opted out, weekly minus monthly email", "%", Bound(low=0.0)),
        Figure("opted out, monthly minus quarterly email", "%", Bound(low=0.0)),
        Figure("spike: send week minus two weeks later, monthly", "average weeks", Bound(low=0.0)),
        Figure(
            "habituation: first weeks minus weeks 11-12, weekly", "average weeks", Bound(low=0.0)
        ),
        Figure("net lift, monthly minus quarterly email", "$", Bound()),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        base, quarterly, monthly, weekly = arms
        net = {c: arm.net() - base.net() for c, arm in zip(CADENCES, arms[1:], strict=True)}
        out = {
            c: float(arm.state("opted_out").mean())
            for c, arm in zip(CADENCES, arms[1:], strict=True)
        }
        pipeline = base.weekly("new_pipeline")
        week = pipeline.mean()
        extra_monthly = (monthly.weekly("new_pipeline") - pipeline) / week
        sends = np.arange(0, YEAR - 4, 4)
        extra_weekly = (weekly.weekly("new_pipeline") - pipeline) / week
        return {
            figures[0].label: net[4],
            figures[1].label: net[4] - net[1],
            figures[2].label: out[1] - out[4],
            figures[3].label: out[4] - out[13],
            figures[4].label: float((extra_monthly[sends] - extra_monthly[sends + 2]).mean()),
            figures[5].label: float(extra_weekly[:2].mean() - extra_weekly[11:13].mean()),
            figures[6].label: net[4] - net[13],
        }

    return measure(
        "nudges",
        "7",
        setup,
        [Trial.of(scenario, scenario.baseline, *designs)],
        statistic,
        figures,
        literature="each contact gives a spike that decays; people habituate; the response to "
        "frequency rises then falls, and opt-outs rise with it (Allcott and Rogers 2014; Zhang, "
        "Kumar and Cosguner 2017; Damgaard and Gravert 2018)",
        moved_by=(
            "nudge_lift",
            "nudge_half_life_weeks",
            "habituation_half_life_weeks",
            "fatigue",
            "opt_out_rate",
            "cost_per_contact",
        ),
        record_partners=False,
    )


# -- 8. co-marketing funds ----------------------------------------------------------------------
def co_marketing_funds(setup: Setup) -> Check:
    """MDF use rises with size and falls with friction; use 40-90%; leads come with a lag.

    A co-marketing fund (the default accrual) on top of the flat rate, at
    friction 0.3 and 0.7, against the flat rate alone on the same worlds
    over a year.
    """

    def fund(friction: float) -> Program:
        return program(f"mdf {friction}", FLAT, {"type": "mdf", "friction": friction})

    scenario = setup.world_scenario(YEAR)
    figures = (
        Figure("funds used, friction 0.3", "%", Bound(0.4, 0.9)),
        Figure("funds used, friction 0.3 minus 0.7", "%", Bound(low=0.0)),
        Figure("funds used, large minus small partners", "%", Bound(low=0.0)),
        Figure("extra new pipeline, weeks 8-12 minus weeks 0-2", "average weeks", Bound(low=0.0)),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        base, low, high = arms
        bands = low.model.world.size_band
        used = _fund(low)
        pipeline = base.weekly("new_pipeline")
        extra = (low.weekly("new_pipeline") - pipeline) / pipeline.mean()
        return {
            figures[0].label: used.utilization(low.rows),
            figures[1].label: used.utilization(low.rows) - _fund(high).utilization(high.rows),
            figures[2].label: used.utilization(low.rows & (bands == bands.max()))
            - used.utilization(low.rows & (bands == 0)),
            figures[3].label: float(extra[8:13].mean() - extra[:3].mean()),
        }

    return measure(
        "co_marketing_funds",
        "8",
        setup,
        [Trial.of(scenario, scenario.baseline, fund(0.3), fund(0.7))],
        statistic,
        figures,
        literature="claims rise with partner size and fall with friction; use is 40-90%; "
        "leads come with a lag",
        moved_by=("mdf_claim_rate", "mdf_size_elasticity", "friction", "lead_lag_weeks"),
        record_partners=False,
    )


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    return np.divide(numerator, denominator, out=np.ones_like(numerator), where=denominator > 0)


def _fund(arm: Arm) -> MarketingFund:
    (fund,) = arm.playing(MarketingFund)
    return fund
