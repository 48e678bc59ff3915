"""The check of the population over time (``docs/model.md``, findings 10 and 11).

Heavy tails and activity in the first year and the tenth, and entry that
keeps a world without a program change roughly stationary.
"""

from __future__ import annotations

import numpy as np

from sim.checks.base import Arm, Arms, BoolArray, Setup, Trial, measure
from sim.checks.figures import Bound, Check, Figure
from sim.engine.accounting import active_share
from sim.runs.runner import top_share
from sim.scenario.calendar import YEAR

#: The span the check looks over: ten years.
YEARS = 10
#: Replications at most: a ten-year run is ten one-year runs.
MOST = 16


def population(setup: Setup) -> Check:
    """Heavy tails and activity that hold over ten years, because new partners keep coming.

    Today's flat rate alone for ten years. The top 20% of partners bring
    75-90% of a year's revenue (among the partners in the channel that year,
    selling or not) and 10-40% of partners win a deal in a quarter, in the
    first year and in the tenth; revenue and the number of partners who win
    deals in the last two years are within 15% of the first two's.
    """
    scenario = setup.world_scenario(YEARS * YEAR)
    last = f"year {YEARS}"
    figures = (
        Figure("revenue of the top 20% of partners, year 1", "%", Bound(0.75, 0.90)),
        Figure(f"revenue of the top 20% of partners, {last}", "%", Bound(0.75, 0.90)),
        Figure("partners active in a quarter, year 1", "%", Bound(0.10, 0.40)),
        Figure(f"partners active in a quarter, {last}", "%", Bound(0.10, 0.40)),
        Figure(f"revenue, years {YEARS - 1}-{YEARS} over years 1-2", "ratio", Bound(0.85, 1.15)),
        Figure(
            f"partners active in a quarter, years {YEARS - 1}-{YEARS} over years 1-2",
            "ratio",
            Bound(0.85, 1.15),
        ),
    )

    def statistic(arms: Arms) -> dict[str, float]:
        (arm,) = arms
        revenue = arm.partners("revenue")
        first, tenth = revenue[:YEAR].sum(axis=0), revenue[-YEAR:].sum(axis=0)
        first_year, last_year = range(4), range(4 * YEARS - 4, 4 * YEARS)
        return {
            figures[0].label: top_share(first[_members(arm, 0)], 0.2),
            figures[1].label: top_share(tenth[_members(arm, last_year[0])], 0.2),
            figures[2].label: _active(arm, first_year)[0],
            figures[3].label: _active(arm, last_year)[0],
            figures[4].label: float(revenue[-2 * YEAR :].sum() / revenue[: 2 * YEAR].sum()),
            figures[5].label: _active(arm, range(4 * YEARS - 8, 4 * YEARS))[1]
            / _active(arm, range(8))[1],
        }

    return measure(
        "population",
        "10, 11",
        setup,
        [Trial.of(scenario, scenario.baseline)],
        statistic,
        figures,
        literature="the top 20% of partners bring 75-90% of revenue and 10-40% are active in a "
        "quarter; programs recruit to replace the partners who lapse, so a world without a "
        "program change neither shrinks nor grows on its own",
        moved_by=(
            "size_sigma",
            "rate_size_exponent",
            "opportunity_rate",
            "entry_rate",
            "ramp_weeks",
            "churn_rate",
        ),
        most=MOST,
    )


def _members(arm: Arm, quarter: int) -> BoolArray:
    """The arm's partners in the channel at the end of ``quarter`` (sellers or not)."""
    members: BoolArray = arm.model.accounts.quarter_members[quarter][arm.rows]
    return members


def _active(arm: Arm, quarters: range) -> tuple[float, float]:
    """The share and the number of the arm's channel members that won a deal, per quarter."""
    accounts = arm.model.accounts
    wins = [accounts.quarter_wins[q][arm.rows] for q in quarters]
    members = [_members(arm, q) for q in quarters]
    shares = [active_share(w, m) for w, m in zip(wins, members, strict=True)]
    counts = [float((w & m).sum()) for w, m in zip(wins, members, strict=True)]
    return float(np.mean(shares)), float(np.mean(counts))
