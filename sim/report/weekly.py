"""Figures of the weekly series: cumulative net lift, the quarter's sales profile, by archetype.

Each takes ``results.timeseries`` (one row per replication, arm, week and
archetype; ``timeseries.parquet``). Lines are means over replications, bands
their 95% Student-t intervals: every replication is an independent world, so
the band says how sure the line is.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.report.style import ARM_COLOURS, PALETTE, band, figure, labels, money_axis
from sim.scenario.calendar import QUARTER


def weekly_totals(timeseries: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Weekly money series summed over archetypes (or kept ``by`` them): one row per week."""
    keys = ["replication", "arm", *by, "week"]
    money = ["revenue", "gross_profit", "program_cost"]
    return timeseries.groupby(keys, sort=True)[money].sum().reset_index()


def cumulative_lift(
    timeseries: pd.DataFrame, design: str = "design", by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per replication (and ``by`` group) and week: the net lift so far, ``cumulative``.

    Net lift of a week is (GP_design - GP_baseline) - (cost_design -
    cost_baseline); its sum over the horizon is the run's net lift.
    """
    weekly = weekly_totals(timeseries, by)
    weekly["net"] = weekly["gross_profit"] - weekly["program_cost"]
    index = ["replication", *by, "week"]
    arms = weekly.pivot_table(index=index, columns="arm", values="net")
    lift = (arms[design] - arms["baseline"]).rename("lift").reset_index()
    lift["cumulative"] = lift.groupby(["replication", *by])["lift"].cumsum()
    return lift


def _quarter_ends(ax: Axes, weeks: int) -> None:
    """Light vertical lines at the quarter ends."""
    for quarter_end in range(QUARTER, weeks + 1, QUARTER):
        ax.axvline(quarter_end - 0.5, color="lightgrey", linewidth=0.8, zorder=0)


def cumulative_net_lift(timeseries: pd.DataFrame, design: str = "design") -> Figure:
    """Cumulative net lift week by week, mean over replications with its 95% CI band.

    Its last point is the run's net lift.
    """
    lift = cumulative_lift(timeseries, design)
    fig, (ax,) = figure(8, 4.5)
    band(ax, lift, "week", "cumulative", "mean and 95% CI", ARM_COLOURS["design"])
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    _quarter_ends(ax, int(lift["week"].max()) + 1)
    money_axis(ax.yaxis)
    labels(
        ax,
        "Week of the program (quarter ends marked)",
        "Cumulative net lift ($)",
        "Cumulative net lift, design minus baseline",
    )
    ax.legend(loc="upper left")
    return fig


def quarter_hockey_stick(
    timeseries: pd.DataFrame, design: str = "design", design_name: str = "design"
) -> Figure:
    """Weekly sales by week within the quarter, design against baseline, with 95% CI bands.

    Per replication, revenue per week averaged over the quarters; the line is
    the mean over replications and the band its 95% CI. Both arms see the same
    worlds, so the gap between the lines is the design's. A quarterly reward
    makes partners close deals late in the quarter: the design's curve bends
    up at the end of the quarter (the hockey stick).
    """
    weekly = weekly_totals(timeseries)
    weekly = weekly[weekly["arm"].isin([design, "baseline"])]
    weekly = weekly.assign(week_in_quarter=weekly["week"] % QUARTER + 1)
    profile = (
        weekly.groupby(["arm", "replication", "week_in_quarter"])["revenue"].mean().reset_index()
    )
    fig, (ax,) = figure(8, 4.5)
    for arm, label in (("baseline", "baseline"), (design, design_name)):
        colour = ARM_COLOURS["baseline" if arm == "baseline" else "design"]
        band(ax, profile[profile["arm"] == arm], "week_in_quarter", "revenue", label, colour)
    money_axis(ax.yaxis)
    ax.set_xticks(range(1, QUARTER + 1))
    labels(
        ax,
        "Week within the quarter",
        "Channel revenue per week ($)",
        "Weekly sales within the quarter (mean over worlds, 95% CI band)",
    )
    ax.legend(title="Arm", loc="upper left")
    return fig


def archetype_trajectory(
    timeseries: pd.DataFrame, designs: Mapping[str, str] | None = None
) -> Figure:
    """Cumulative net lift week by week for each archetype: one panel per archetype.

    Args:
        timeseries: ``results.timeseries``.
        designs: arm label -> name shown, one line (with its 95% CI band) per
            design; default the run's one design.
    """
    designs = dict(designs or {"design": "design"})
    archetypes = list(dict.fromkeys(timeseries["archetype"]))
    fig, axes = figure(min(4.2 * len(archetypes), 13), 4.2, columns=len(archetypes))
    for i, (arm, name) in enumerate(designs.items()):
        lift = cumulative_lift(timeseries, arm, by=("archetype",))
        colour = ARM_COLOURS["design"] if len(designs) == 1 else PALETTE[i % len(PALETTE)]
        for ax, archetype in zip(axes, archetypes, strict=True):
            band(ax, lift[lift["archetype"] == archetype], "week", "cumulative", name, colour)
    weeks = int(timeseries["week"].max()) + 1
    for ax, archetype in zip(axes, archetypes, strict=True):
        ax.axhline(0, color="grey", linestyle="--", linewidth=1)
        _quarter_ends(ax, weeks)
        money_axis(ax.yaxis)
        labels(ax, "Week of the program", "Cumulative net lift ($)", archetype)
    axes[0].legend(loc="upper left", fontsize="small")
    fig.suptitle("Cumulative net lift by partner type (mean and 95% CI band over worlds)")
    return fig
