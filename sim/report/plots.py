"""Figures of simulation results (seaborn on matplotlib), for notebooks and the HTML report.

Every function takes a results object or a table of the Python API and
returns a matplotlib :class:`~matplotlib.figure.Figure`, so a notebook can
restyle it and the report can embed it. Figures are built outside pyplot
(rendered by Agg when saved), so they never open a window nor change the
backend of a notebook, and are freed once unused. Money is in dollars over the
scenario's horizon unless the axis says otherwise; intervals are 95%
Student-t intervals over replications (:func:`sim.runs.stats.mean_ci`). Colours
come from seaborn's colour-blind-safe palettes.

Optimization figures (history, importances, Pareto front) live in
:mod:`optimize.search.figures`: ``sim`` never imports ``optimize``.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.levers.rebate_ladder import TieredRebate
from sim.levers.tier_status import TierStatus
from sim.report.style import (
    PALETTE,
    MoneyFormatter,
    figure,
    labels,
    metric_label,
    money_axis,
    money_text,
)
from sim.report.weekly import archetype_trajectory, cumulative_net_lift, quarter_hockey_stick
from sim.runs.results import METRIC_INFO, CompareResults, RunResults, paired_differences
from sim.runs.stats import mean_ci

__all__ = [
    "archetype_trajectory",
    "cumulative_net_lift",
    "net_lift_distribution",
    "power_curve",
    "quarter_hockey_stick",
    "roi_vs_cost",
    "common_limit",
    "segment_heatmap",
    "segment_table",
    "sweep_surface",
    "tier_migration",
]

Results = RunResults | CompareResults


def designs(results: Results) -> dict[str, str]:
    """Arm label in the tables -> design name shown on the figures."""
    if isinstance(results, RunResults):
        return {"design": results.scenario.design.name}
    return {s.name: s.name for s in results.scenarios}


def net_lift_by_design(results: Results) -> pd.DataFrame:
    """Per-replication net lift of each design: ``design``, ``replication``, ``net_lift``."""
    frames = [
        paired_differences(results.segments, arm)["net_lift"].reset_index().assign(design=name)
        for arm, name in designs(results).items()
    ]
    return pd.concat(frames, ignore_index=True)[["design", "replication", "net_lift"]]


def net_lift_distribution(results: Results) -> Figure:
    """Net lift per replication of each design (points) with its mean and 95% CI (bar).

    Designs are ordered by mean net lift, best on top; the dashed line is no lift.
    """
    data = net_lift_by_design(results)
    order = list(data.groupby("design")["net_lift"].mean().sort_values(ascending=False).index)
    fig, (ax,) = figure(8, 2.5 + 0.7 * len(order))
    sns.stripplot(
        data=data,
        x="net_lift",
        y="design",
        order=order,
        hue="design",
        hue_order=order,
        palette=PALETTE[: len(order)],
        alpha=0.5,
        size=5,
        jitter=0.15,
        legend=False,
        ax=ax,
    )
    for row, name in enumerate(order):
        est = mean_ci(data.loc[data["design"] == name, "net_lift"])
        mean = cast(float, est.mean)  # a mean over replications is always defined
        low = mean if est.ci_low is None else est.ci_low
        high = mean if est.ci_high is None else est.ci_high
        ax.errorbar(
            mean,
            row,
            xerr=[[mean - low], [high - mean]],
            fmt="D",
            color="black",
            capsize=6,
            markersize=7,
            label="mean and 95% CI" if row == 0 else None,
        )
    ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    money_axis(ax.xaxis)
    labels(
        ax,
        "Net lift per replication, design minus baseline ($ over the horizon)",
        "Design",
        "Net lift by design (each point is one simulated world)",
    )
    ax.legend(loc="best")
    return fig


def tier_names(results: RunResults, arm: str = "design") -> list[str]:
    """Labels of tier levels for an arm's first tiered lever ("no tier" first)."""
    program = results.scenario.design if arm == "design" else results.scenario.baseline
    for lever in program.mechanics:
        if isinstance(lever, TieredRebate | TierStatus):
            return ["no tier", *[tier.name for tier in lever.tiers]]
    return []


def tier_migration(results: RunResults, arm: str = "design") -> Figure:
    """Partners by tier after each evaluation period: how the ladder's population moves.

    Mean over replications of the number of partners in each tier level at
    each period end (level 0: below the first tier, or not eligible).
    """
    tiers = results.tiers
    rows = tiers[tiers["arm"] == arm] if len(tiers) else tiers
    if rows.empty:
        raise ValueError(f"no tier data for arm {arm!r}: its program has no tiered lever")
    table = rows.groupby(["period", "tier"])["partners"].mean().unstack(fill_value=0)
    names = tier_names(results, arm)
    fig, (ax,) = figure(8, 4.5)
    bottom = np.zeros(len(table))
    periods = table.index.to_numpy() + 1
    for level in table.columns:
        label = names[int(level)] if int(level) < len(names) else f"level {level}"
        values = table[level].to_numpy()
        ax.bar(periods, values, bottom=bottom, color=PALETTE[level % len(PALETTE)], label=label)
        bottom += values
    ax.set_xticks(periods)
    labels(
        ax,
        "Evaluation period (quarter or year)",
        "Partners (mean over worlds)",
        f"Partners by tier after each period, {arm}",
    )
    ax.legend(title="Tier", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def segment_table(
    segments: pd.DataFrame, design: str = "design", metric: str = "net_lift"
) -> pd.DataFrame:
    """Mean paired ``metric`` per replication by archetype (rows) x size band (columns)."""
    pairs: Any = list(zip(segments["archetype"], segments["size_band"], strict=True))
    cells = segments.assign(segment=pairs)
    diff = paired_differences(cells, design, by="segment")[metric].groupby("segment").mean()
    table = pd.Series(
        diff.to_numpy(), index=pd.MultiIndex.from_tuples(diff.index, names=["archetype", "band"])
    ).unstack("band")
    return table.loc[
        list(dict.fromkeys(segments["archetype"])), list(dict.fromkeys(segments["size_band"]))
    ]


def common_limit(segments: pd.DataFrame, designs: list[str], metric: str = "net_lift") -> float:
    """The largest absolute cell over every design's segment table: one colour scale for all."""
    cells = [np.abs(segment_table(segments, d, metric).to_numpy()) for d in designs]
    return float(max(np.nanmax(c) for c in cells)) or 1.0


def segment_heatmap(
    segments: pd.DataFrame,
    design: str = "design",
    metric: str = "net_lift",
    limit: float | None = None,
) -> Figure:
    """Mean paired ``metric`` by archetype x size band (dollars, over replications).

    Cells hold the mean over replications of the design-minus-baseline
    difference within that segment; the colour scale is centred on zero and
    runs to +-``limit`` (default this design's largest cell; pass
    :func:`common_limit` to compare several designs on one scale).
    """
    table = segment_table(segments, design, metric)
    limit = limit or float(np.nanmax(np.abs(table.to_numpy()))) or 1.0
    fig, (ax,) = figure(7, 1.5 + 0.8 * len(table))
    sns.heatmap(
        table,
        annot=table.map(money_text),
        fmt="",
        cmap="vlag",
        center=0,
        vmin=-limit,
        vmax=limit,
        linewidths=0.5,
        cbar_kws={
            "label": f"Mean {metric_label(metric).lower()} per replication",
            "format": MoneyFormatter(),
        },
        ax=ax,
    )
    ax.set_xlabel("Size band")
    ax.set_ylabel("Archetype")
    ax.set_title(f"{METRIC_INFO[metric][0]} by segment, {design} minus baseline")
    return fig


def roi_vs_cost(results: CompareResults) -> Figure:
    """ROI against incremental cost of each design, both with their 95% CIs."""
    ranking = results.ranking
    fig, (ax,) = figure(8, 5)
    for i, row in enumerate(ranking.to_dict("records")):
        cost, roi = row["incremental_cost"], row["roi"]
        if roi.mean is None:
            continue
        xerr = (
            None if cost.ci_low is None else [[cost.mean - cost.ci_low], [cost.ci_high - cost.mean]]
        )
        yerr = None if roi.ci_low is None else [[roi.mean - roi.ci_low], [roi.ci_high - roi.mean]]
        ax.errorbar(
            cost.mean,
            roi.mean,
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            capsize=4,
            color=PALETTE[i % len(PALETTE)],
            label=f"#{row['rank']} {row['design']}",
        )
    ax.axhline(1, color="grey", linestyle="--", linewidth=1, label="ROI = 1 (break even)")
    money_axis(ax.xaxis)
    labels(
        ax,
        metric_label("incremental_cost"),
        "ROI: incremental gross profit per $ of incremental cost (x)",
        "Return against spend, by design (ranked by net lift)",
    )
    ax.legend(fontsize="small", loc="best")
    return fig


def sweep_surface(
    points: pd.DataFrame,
    params: list[str],
    metric: str = "net_lift",
    names: dict[str, str] | None = None,
) -> Figure:
    """Mean ``metric`` across a sweep's points: a line with CI for one parameter, else a map.

    Args:
        points: the sweep's points table (``SweepResult.points``, ``points.parquet``).
        params: the one or two parameter columns to plot against.
        metric: a metric with ``<metric>_ci_low``/``_ci_high`` columns.
        names: readable axis names of the parameters (default the column names).
    """
    names = names or {}
    if len(params) not in (1, 2) or any(p not in points.columns for p in params):
        raise ValueError(f"expected one or two parameter columns of the points table, got {params}")
    fig, (ax,) = figure(8, 5)
    label = metric_label(metric)
    if len(params) == 1:
        rows = points.sort_values(params[0])
        ax.plot(rows[params[0]], rows[metric], "o-", color=PALETTE[0], label="mean")
        ax.fill_between(
            rows[params[0]],
            rows[f"{metric}_ci_low"],
            rows[f"{metric}_ci_high"],
            color=PALETTE[0],
            alpha=0.25,
            linewidth=0,
            label="95% CI",
        )
        ax.axhline(0, color="grey", linestyle="--", linewidth=1)
        ax.set_ylabel(label)
        money_axis(ax.yaxis)
        ax.legend(loc="best")
    else:
        x, y = params
        drawn = ax.scatter(
            points[x], points[y], c=points[metric], cmap="viridis", s=120, edgecolors="k"
        )
        fig.colorbar(drawn, ax=ax, label=f"Mean {label.lower()}", format=MoneyFormatter())
        ax.set_ylabel(names.get(y, y))
    ax.set_xlabel(names.get(params[0], params[0]))
    ax.set_title(f"Sweep: {METRIC_INFO[metric][0].lower()} across the design points")
    return fig


def power_curve(curve: pd.DataFrame, target: float = 0.8, arm: str | None = None) -> Figure:
    """Simulated power of a pilot by pilot size, one line per duration.

    Args:
        curve: ``PilotResults.curve`` (``power.parquet``): ``arm``, ``weeks``,
            ``partners``, ``power``, ``power_low``.
        target: the power the plan looks for, drawn as a dashed line.
        arm: the design arm to show (default: the first).
    """
    arm = arm if arm is not None else str(curve["arm"].iloc[0])
    rows = curve[curve["arm"] == arm].sort_values("partners")
    durations = sorted(rows["weeks"].unique())
    fig, (ax,) = figure(8, 4.5)
    for i, weeks in enumerate(durations):
        one = rows[rows["weeks"] == weeks]
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(one["partners"], one["power"], "o-", color=colour, label=f"{weeks} weeks")
        ax.plot(one["partners"], one["power_low"], ":", color=colour)
    ax.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:.0%}")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    labels(
        ax,
        "Pilot partners, all arms (partners)",
        "Power (share of pilots that detect the effect)",
        f"Pilot power for {arm} (dotted: 95% lower bound)",
    )
    ax.legend(title="Duration", loc="upper left")
    return fig
