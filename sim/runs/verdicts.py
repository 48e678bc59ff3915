"""What a result means, in words a strategist cannot misread.

Net lift over the horizon is the headline; beside it sits the value of the
change in open pipeline at the horizon. A return on investment is quoted only
where the design costs more than today's program (it reads as a return);
a design that saves money is described as what it saves and what it gains or
loses in gross profit. When the design, or every design, loses to today's
program, or wins only by cutting gross profit, one plain line says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.runs.stats import Estimate


def dollars(value: float | None) -> str:
    """Money for people: ``$850``, ``-$12.3k``, ``$1.25M`` (``n/a`` when undefined)."""
    if value is None:
        return "n/a"
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size >= 1e6:
        return f"{sign}${size / 1e6:.2f}M"
    if size >= 1e3:
        return f"{sign}${size / 1e3:.1f}k"
    return f"{sign}${size:.0f}"


def reads_as_return(estimates: Mapping[str, Estimate]) -> bool:
    """Whether the design costs more than today's program, so that GP / cost is a return."""
    cost = estimates["incremental_cost"].mean
    return cost is not None and cost > 0


def return_wording(estimates: Mapping[str, Estimate]) -> str:
    """The design's money in one phrase: a return where it costs more, else what it saves.

    ``ROI 0.29 [0.14, 0.45]`` (gross profit gained per extra dollar of cost);
    ``saves $12.3k, loses $4.1k gross profit``; ``saves $12.3k and gains $2.0k
    gross profit``; ``costs the same as today's program``.
    """
    cost, profit = estimates["incremental_cost"].mean, estimates["incremental_gross_profit"].mean
    if cost is None or profit is None:
        return "n/a"
    if reads_as_return(estimates):
        roi = estimates["roi"]
        low, high = roi.ci_low, roi.ci_high
        interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
        return f"ROI {roi.mean:.2f}{interval}"
    if cost == 0:
        return "costs the same as today's program"
    if profit < 0:
        return f"saves {dollars(-cost)}, loses {dollars(-profit)} gross profit"
    return f"saves {dollars(-cost)} and gains {dollars(profit)} gross profit"


def design_notes(
    total: Mapping[str, Estimate], baseline: str, subject: str = "This design"
) -> list[str]:
    """Plain lines on one design against today's program (none when there is nothing to flag)."""
    net, profit = total["net_lift"].mean, total["incremental_gross_profit"].mean
    pipeline = total["incremental_pipeline_value"].mean
    notes = []
    if net is not None and net < 0:
        notes.append(
            f"{subject} does not beat today's program ({baseline}): "
            f"it loses {dollars(-net)} of net lift."
        )
    elif profit is not None and profit < 0:
        notes.append(
            f"Its net lift comes from spending less: gross profit falls by {dollars(-profit)}."
        )
    if net is not None and net >= 0 and pipeline is not None and pipeline < 0:
        notes.append(
            "It leaves a thinner pipeline: the deals still open at the horizon are worth "
            f"{dollars(-pipeline)} less in expected gross profit."
        )
    return notes


def verdict(designs: Sequence[tuple[str, Mapping[str, Any]]], baseline: str) -> str:
    """Whether any design beats today's program on net lift, in one plain sentence.

    ``designs`` are (name, net lift as JSON: ``{"mean", "ci_low", "ci_high"}``)
    pairs, best first. A design beats the baseline when its mean net lift is
    above zero; it beats it clearly when the 95% CI lies above zero.
    """
    winners = [(name, e) for name, e in designs if (e["mean"] or 0.0) > 0]
    if not winners:
        return (
            f"No design beats today's program ({baseline}): every one loses money "
            "against it on these worlds."
        )
    name, best = winners[0]
    sure = best["ci_low"] is not None and best["ci_low"] > 0
    return f"{name} beats today's program ({baseline}) by {dollars(best['mean'])}" + (
        " (95% CI above zero)." if sure else " on average, but its 95% CI includes zero."
    )


def ranking_notes(ranked: Sequence[tuple[str, Mapping[str, Estimate]]], baseline: str) -> list[str]:
    """Plain lines on designs ranked best first: nothing beats today's, or the best cuts profit."""
    if not ranked:
        return []
    nets = [estimates["net_lift"].mean for _, estimates in ranked]
    if all(net is not None and net < 0 for net in nets):
        return [f"No design beats today's program ({baseline}): every one loses net lift."]
    name, best = ranked[0]
    profit = best["incremental_gross_profit"].mean
    if profit is not None and profit < 0:
        return [
            f"The best design, {name}, wins by spending less: it lowers gross profit by "
            f"{dollars(-profit)}."
        ]
    return []
