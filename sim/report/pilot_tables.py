"""Terminal tables of pilots and experiment matrices (``partnerlab pilot`` and ``matrix``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from sim.pilot.matrix import OVERALL, MatrixResults
from sim.pilot.planning import PilotResults
from sim.report.tables import grid


def _money(value: Any) -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


def _share(value: float | None, places: int = 0) -> str:
    return "n/a" if value is None else f"{100 * value:.{places}f}%"


def estimator_rows(
    data: dict[str, Any], money: Callable[[Any], str], share: Callable[[Any], str]
) -> list[list[str]]:
    """Each estimator's bias, coverage, power, CI width and MDE (``partnerlab pilot`` JSON)."""
    return [
        [
            name + (" (primary)" if name == data["estimator"] else ""),
            money(g["bias"]),
            share(g["coverage"]),
            share(g["power"]),
            money(g["mean_ci_width"]),
            money(g["mde"]),
        ]
        for name, g in data["estimators"].items()
    ]


def pilot_table(results: PilotResults) -> str:
    """The readable summary of a graded pilot plan."""
    data, plan = results.to_json(), results.plan
    spec = plan.spec
    lines = [
        f"{plan.scenario.name}: pilot of {results.design}  vs  baseline: {plan.labels[0]}",
        f"{data['partners']:,.0f} pilot partners, {spec.weeks} weeks, "
        f"{results.simulations} simulated pilots, seed {plan.seed}; outcome: {data['outcome']}",
        f"estimand: {data['estimand']}",
        "",
        f"true effect on the treated pilot partners  {_money(data['true_effect'])} $/partner "
        f"(whole population: {_money(data['population_effect'])}; net of program cost: "
        f"{_money(data['net_effect'])})",
        f"pilot cost (incremental program cost of the treated partners)  "
        f"{_money(data['pilot_cost'])} $",
        "",
    ]
    header = ("estimator", "bias $", "95% CI coverage", "power", "mean CI width $", "MDE $")
    lines.append(grid(header, estimator_rows(data, _money, _share)))
    interim = data["interim"]
    if interim is not None:
        lines += [
            "",
            f"mid-point review at week {interim['weeks']} ({interim['spending']} split: interim "
            f"alpha {interim['alpha']:.4f}, final alpha {interim['final_alpha']:.4f}): "
            f"stops early in {_share(interim['stop_rate'])} of pilots; power with both looks "
            f"{_share(interim['power'])}",
        ]
    lines += [
        f"sample ratio mismatch (arms still reporting at the end): "
        f"{_share(data['srm']['flagged'])} of pilots flagged at p < 0.001",
    ]
    if results.curve is not None:
        lines += ["", _power_grid(results)]
    return "\n".join(lines)


def _power_grid(results: PilotResults) -> str:
    curve = results.curve
    assert curve is not None
    spec = results.plan.spec
    design = curve[curve["arm"] == results.design]
    table = design.pivot_table(index="size", columns="weeks", values="power", sort=False)
    partners = design.groupby("size", sort=False)["partners"].first()
    rows = [
        [f"{size} ({partners[size]:,})" if "%" in size else size]
        + [_share(table.loc[size, w]) for w in table.columns]
        for size in table.index
    ]
    simulations = int(design["simulations"].max())
    text = (
        f"power of {spec.estimator} by pilot size and duration "
        f"({simulations} simulated pilots each; target {_share(spec.power)})\n\n"
        + grid(("pilot size", *(f"{w} weeks" for w in table.columns)), rows)
    )
    rec = results.recommended
    if rec is None:
        return text
    text += _checks(results.checks)
    if rec["partners"] is None:
        best = rec["best"]
        return text + (
            f"\n\nno pilot in the grid reaches {_share(spec.power)} power; the best is "
            f"{best['partners']:,} partners x {best['weeks']} weeks ({_share(rec['power'])})"
        )
    verdict = "recommended" if rec["confirmed"] else "best candidate (not confirmed)"
    return text + (
        f"\n\n{verdict}: {rec['partners']:,} partners x {rec['weeks']} weeks: power "
        f"{_share(rec['power'])} on the grid; re-simulated on {rec['simulations']} fresh worlds: "
        f"{_share(rec['verified_power'], 1)} (at least {_share(rec['verified_power_low'], 1)} "
        "with 95% confidence)"
    )


def _checks(checks: list[dict[str, Any]]) -> str:
    """Each candidate re-simulated on fresh worlds, in the order tried, and whether it held."""
    if not checks:
        return ""
    lines = [
        f"  {c['partners']:,} partners x {c['weeks']} weeks: grid {_share(c['power'], 1)}, "
        f"fresh worlds {_share(c['verified_power'], 1)} (at least "
        f"{_share(c['verified_power_low'], 1)}): "
        + ("confirmed" if c["confirmed"] else "failed the re-check")
        for c in checks
    ]
    return "\n\ncandidates re-checked on fresh worlds, smallest first:\n" + "\n".join(lines)


def _ci(row: pd.Series) -> str:
    return f"{row['estimate']:,.0f} [{row['ci_low']:,.0f}, {row['ci_high']:,.0f}]"


def matrix_table(results: MatrixResults) -> str:
    """The readable summary of an experiment matrix: cells, effects, effects by segment."""
    data, plan = results.to_json(), results.design.plan
    lines = [
        f"{plan.scenario.name}: experiment matrix over {', '.join(data['factors'])}",
        f"{len(results.design.run)} cells, {plan.spec.weeks} weeks, seed {plan.seed}; "
        "outcome: revenue per partner over the pilot weeks, $; effect = level 2 minus level 1",
        "",
        grid(
            ("cell", "partners", "true effect vs baseline $", "incremental cost $"),
            [
                [
                    c["cell"],
                    f"{c['partners']:,.0f}",
                    _money(c["true_effect"]),
                    _money(c["incremental_cost"]),
                ]
                for c in data["cells"]
            ],
        ),
    ]
    if data["aliases"]:
        aliased = "; ".join(f"{k} = {', '.join(v)}" for k, v in data["aliases"].items())
        lines += ["", f"aliases (fractional design): {aliased}"]
    first = results.effects[results.effects["replication"] == results.effects["replication"].min()]
    overall = first[first["segment"] == OVERALL]
    lines += [
        "",
        "effects on all pilot partners, estimate [95% CI] (first simulated experiment)",
        "",
        grid(
            ("term", "estimate $ [95% CI]", "Holm p", "true effect $"),
            [
                [r["term"], _ci(r), f"{r['p_holm']:.3f}", _money(r["true_effect"])]
                for _, r in overall.iterrows()
            ],
        ),
    ]
    fields = results.design.matrix.segments
    for term in data["terms"]:
        estimate = results.heatmap(term)
        if estimate.empty:
            continue
        half = (results.heatmap(term, "ci_high") - results.heatmap(term, "ci_low")) / 2
        truth = results.heatmap(term, "true_effect")
        rows = [
            [str(index)]
            + [
                ""
                if pd.isna(value)
                else f"{_money(value)} ±{_money(half.iat[i, j])} (true {_money(truth.iat[i, j])})"
                for j, value in enumerate(row)
            ]
            for i, (index, row) in enumerate(estimate.iterrows())
        ]
        header = ("/".join(fields), *(str(c) for c in estimate.columns))
        lines += [
            "",
            f"{term} by segment: estimate ±95% CI half-width (true effect)",
            "",
            grid(header, rows),
        ]
    return "\n".join(lines)
