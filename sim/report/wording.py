"""Plain sentences about results, shared by the HTML report and the app.

:func:`return_wording` is the one place that says what a design returns for
what it costs; :func:`verdict` says whether any design beats today's
program. Both read the JSON form of estimates (``{"mean", "ci_low",
"ci_high"}``), which results, summaries and the app all have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.report.style import money_text

Estimate = Mapping[str, float | None]


def return_wording(metrics: Mapping[str, Any]) -> str:
    """What the design returns for what it costs, in one sentence (the return wording).

    ``metrics`` maps metric names to estimates (a run's summary, a design's
    row of a comparison). ROI is a ratio only where the design costs more;
    where it costs less or the same, the sentence says what it saves and what
    gross profit it gains or loses instead.
    """
    cost = metrics["incremental_cost"]["mean"]
    profit = metrics["incremental_gross_profit"]["mean"]
    roi = metrics.get("roi", {}).get("mean")
    if cost is not None and cost > 0 and roi is not None:
        pays = "it pays for itself" if roi >= 1 else "it does not pay for itself"
        return f"returns ${roi:.2f} of gross profit per $1 of extra program cost ({pays})"
    gained = "gains" if profit >= 0 else "loses"
    return (
        f"saves {money_text(-cost)} of program cost and {gained} "
        f"{money_text(abs(profit))} of gross profit"
    )


def verdict(designs: Sequence[tuple[str, Estimate]], baseline: str) -> str:
    """Whether any design beats today's program on net lift, in one plain sentence.

    ``designs`` are (name, net lift estimate) pairs, best first. A design
    beats the baseline when its mean net lift is above zero; it beats it
    clearly when the 95% CI lies above zero.
    """
    winners = [(name, e) for name, e in designs if (e["mean"] or 0.0) > 0]
    if not winners:
        return (
            f"No design beats today's program ({baseline}): every one loses money "
            "against it on these worlds."
        )
    name, best = winners[0]
    sure = best["ci_low"] is not None and best["ci_low"] > 0
    return f"{name} beats today's program ({baseline}) by {money_text(best['mean'] or 0.0)}" + (
        " (95% CI above zero)." if sure else " on average, but its 95% CI includes zero."
    )
