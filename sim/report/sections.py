"""Report sections of paired runs: one design (run), several (compare), a grid of points (sweep).

Each reads its folder and returns a :class:`~sim.report.page.Section`. Where
no design (or point) has a positive mean net lift, the headline says so in
plain words instead of naming a "best" design that loses money.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report import plots
from sim.report.labels import tuned_label, value_text
from sim.report.page import (
    Section,
    Shown,
    escaped,
    estimate,
    metrics_table,
    money,
    notes,
    png,
    read_json,
    read_parquet,
    scenarios,
)
from sim.runs.results import CompareResults, RunResults
from sim.runs.verdicts import verdict


def load_run(folder: Path, manifest: dict[str, Any]) -> RunResults:
    """The run a results folder holds, rebuilt from its tables."""
    tiers = folder / "tiers.parquet"
    return RunResults(
        scenarios(manifest, folder)[0],
        manifest["seed"],
        manifest["replications"],
        read_parquet(folder, "runs"),
        read_parquet(folder, "segments"),
        read_parquet(folder, "timeseries"),
        pd.read_parquet(tiers) if tiers.exists() else pd.DataFrame(),
    )


def run_figures(results: RunResults) -> Iterator[Shown]:
    """The figures of one design against its baseline (drawn one at a time)."""
    name = results.scenario.design.name
    yield (
        "Net lift per simulated world, with its mean and 95% CI.",
        png(plots.net_lift_distribution(results)),
    )
    yield (
        "Cumulative net lift week by week (mean and 95% CI band).",
        png(plots.cumulative_net_lift(results.timeseries)),
    )
    yield (
        "Cumulative net lift week by week, by partner type (mean and 95% CI band).",
        png(plots.archetype_trajectory(results.timeseries, {"design": name})),
    )
    yield (
        "Weekly sales within the quarter: design against baseline (mean and 95% CI band).",
        png(plots.quarter_hockey_stick(results.timeseries, design_name=name)),
    )
    yield (
        "Net lift by archetype and size band (mean over replications).",
        png(plots.segment_heatmap(results.segments)),
    )
    if len(results.tiers) and (results.tiers["arm"] == "design").any():
        yield (
            "Partners by tier after each evaluation period, under the design.",
            png(plots.tier_migration(results)),
        )


def run_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """One design against its baseline: headline, the return wording, tables, figures."""
    summary = read_json(folder / "summary.json")
    results = load_run(folder, manifest)
    scenario = results.scenario
    text = (
        f"<p class='headline'>Net lift of <b>{escaped(scenario.design.name)}</b> over "
        f"<b>{escaped(scenario.baseline.name)}</b>: "
        f"<b>{estimate(summary['net_lift'])}</b> over {escaped(summary['horizon_weeks'])} weeks, "
        f"{escaped(summary['partners'])} partners, {escaped(summary['replications'])} paired "
        "replications.</p>"
        f"<p>Return: {escaped(summary['return_wording'])}.</p>"
        + notes(summary)
        + metrics_table([(scenario.design.name, summary)])
        + "<h3>By archetype</h3>"
        + metrics_table(list(summary["by_archetype"].items()), "Archetype")
    )
    if "by_size_band" in summary:
        text += "<h3>By size band</h3>" + metrics_table(
            list(summary["by_size_band"].items()), "Size band"
        )
    return Section(text, run_figures(results))


def compare_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """Several designs on the same worlds: verdict, ranking, paired differences, figures."""
    summary = read_json(folder / "summary.json")
    results = CompareResults(
        scenarios(manifest, folder),
        manifest["seed"],
        manifest["replications"],
        read_parquet(folder, "runs"),
        read_parquet(folder, "segments"),
        read_parquet(folder, "timeseries"),
    )
    designs = summary["designs"]
    line = verdict([(d["design"], d["net_lift"]) for d in designs], summary["baseline"])
    text = (
        f"<p class='headline'>{escaped(line)}</p>"
        f"<p class='note'>{escaped(summary['replications'])} paired replications, "
        f"{escaped(summary['partners'])} partners; designs ranked by mean net lift.</p>"
        + metrics_table([(f"#{d['rank']} {d['design']}", d) for d in designs])
        + notes(summary)
        + "<ul>"
        + "".join(
            f"<li>{escaped(d['design'])}: {escaped(d['return_wording'])}.</li>" for d in designs
        )
        + "</ul><p class='note'>Paired differences in net lift between designs (same worlds):</p>"
        + "<table><tr><th>Design</th><th>Versus</th><th>Net lift difference ($)</th></tr>"
        + "".join(
            f"<tr><td>{escaped(d['design'])}</td><td>{escaped(d['versus'])}</td>"
            f"<td>{estimate(d['net_lift_difference'])}</td></tr>"
            for d in summary["differences"]
        )
        + "</table>"
    )
    return Section(text, compare_figures(results))


def compare_figures(results: CompareResults) -> Iterator[Shown]:
    """The figures of a comparison; every design's heatmap shares one colour scale."""
    yield (
        "Net lift per simulated world of each design, with mean and 95% CI.",
        png(plots.net_lift_distribution(results)),
    )
    yield "ROI against incremental cost (95% CIs).", png(plots.roi_vs_cost(results))
    names = [s.name for s in results.scenarios]
    yield (
        "Cumulative net lift week by week, by partner type, for each design (95% CI bands).",
        png(plots.archetype_trajectory(results.timeseries, {n: n for n in names})),
    )
    limit = plots.common_limit(results.segments, names)
    for name in names:
        yield (
            f"Net lift of {name} by segment (one colour scale for every design: +-{money(limit)}).",
            png(plots.segment_heatmap(results.segments, name, limit=limit)),
        )


def sweep_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """A grid of design points: the best (or the tie of several), or that none beats today's."""
    points = read_parquet(folder, "points")
    params = [c for c in read_parquet(folder, "design").columns if c != "point"]
    scenario = scenarios(manifest, folder)[0]
    labelled = {p: tuned_label(scenario, p) for p in params}

    def setting(row: pd.Series) -> str:
        return ", ".join(f"{labelled[p][0]} = {value_text(labelled[p][1], row[p])}" for p in params)

    best_value = float(points["net_lift"].max())
    ties = points[np.isclose(points["net_lift"], best_value, rtol=1e-9, atol=0.5)]
    best = ties.iloc[0]
    ci = f"[95% CI {money(best['net_lift_ci_low'])} to {money(best['net_lift_ci_high'])}]"
    where = (
        f"<b>{escaped(setting(best))}</b>"
        if len(ties) == 1
        else f"{len(ties)} points tie: "
        + "; ".join(f"<b>{escaped(setting(row))}</b>" for _, row in ties.iterrows())
    )
    lead = (
        f"Best of {len(points)} points by mean net lift"
        if best_value > 0
        else f"No point of the sweep beats today's program ({escaped(scenario.baseline.name)})"
        f"; the least bad of {len(points)} points"
    )
    text = (
        f"<p class='headline'>{lead}: {where}, net lift <b>{money(best_value)}</b> {ci} "
        f"({manifest['replications']} replications per point; the best of many points is "
        "optimistic).</p>"
    )
    names = {p: labelled[p][0] for p in params}
    figure = plots.sweep_surface(points, params[:2], names=names)
    shown = iter([("Net lift across the sweep's points.", png(figure))])
    return Section(text, shown)
