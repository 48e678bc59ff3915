"""Figures of a study (seaborn on matplotlib, PNG): history, importances, net lift against cost.

Each function takes plain tables (the trials table of
:meth:`~optimize.search.result.OptimizeResult.trials_frame`, an importance mapping)
and returns a matplotlib figure, so notebooks can restyle them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Figures outside pyplot (never a window, never kept open); money in $k and $M, as the report's.
from sim.report.style import figure, money_axis

#: Axis labels (with units) of the quantities that can be plotted against net lift.
X_LABELS = {
    "incremental_cost": "Incremental program cost, design minus baseline ($)",
    "rewarded_share": "Share of active partners rewarded (design arm)",
}


def _complete(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    rows = frame[frame["state"] == "COMPLETE"].copy()
    rows["feasibility"] = np.where(rows["feasible"].eq(True), "feasible", "infeasible")
    return rows


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)


def _trials(ax: Axes, rows: pd.DataFrame, x: str, y: str) -> None:
    """Completed trials as points, coloured by feasibility."""
    sns.scatterplot(
        data=rows,
        x=x,
        y=y,
        hue="feasibility",
        ax=ax,
        alpha=0.8,
        hue_order=["feasible", "infeasible"],
        palette={"feasible": "C0", "infeasible": "C3"},
    )


def history_figure(frame: pd.DataFrame, objective: str, maximize: bool = True) -> Figure:
    """Each completed trial's objective value, and the best feasible value so far."""
    fig, (ax,) = figure(8, 4.5)
    rows = _complete(frame)
    if rows.empty:
        _empty(ax, "no completed trials yet")
    else:
        _trials(ax, rows, "number", "value")
        feasible = rows[rows["feasibility"] == "feasible"].sort_values("number")
        if not feasible.empty:
            best = feasible["value"].cummax() if maximize else feasible["value"].cummin()
            ax.step(feasible["number"], best, where="post", color="k", label="best feasible so far")
        ax.legend(title=None)
    ax.set_xlabel("Trial number")
    ax.set_ylabel(f"Objective: {objective.replace('_', ' ')} ($)")
    money_axis(ax.yaxis)
    ax.set_title("Optimization history (in-sample)")
    return fig


def importance_figure(importances: dict[str, float]) -> Figure:
    """Parameter importances (PED-ANOVA, normalized to sum to 1), largest first.

    Keys are shown as given: pass readable names (:func:`readable_importances`).
    """
    fig, (ax,) = figure(8, 0.4 * max(len(importances), 4) + 1.2)
    if not importances:
        _empty(ax, "too few completed trials to estimate importances")
    else:
        data = pd.DataFrame(
            {"parameter": list(importances), "importance": list(importances.values())}
        )
        sns.barplot(data=data, y="parameter", x="importance", ax=ax, color="C0")
    ax.set_xlabel("Importance for the objective (share, sums to 1)")
    ax.set_ylabel("Parameter")
    ax.set_title("Parameter importances")
    return fig


def pareto_figure(frame: pd.DataFrame, x: str = "incremental_cost") -> Figure:
    """Net lift against ``x`` for every completed trial, with the Pareto front drawn."""
    fig, (ax,) = figure(8, 5)
    rows = _complete(frame)
    if rows.empty:
        _empty(ax, "no completed trials yet")
    else:
        _trials(ax, rows, x, "net_lift")
        front = rows[rows["pareto"]].sort_values(x)
        ax.plot(
            front[x], front["net_lift"], "o-", color="k", mfc="none", ms=9, label="Pareto front"
        )
        ax.legend(title=None)
    ax.set_xlabel(X_LABELS[x])
    ax.set_ylabel("Net lift, design minus baseline ($)")
    money_axis(ax.yaxis)
    if x == "incremental_cost":
        money_axis(ax.xaxis)
    ax.set_title("Net lift against " + ("cost" if x == "incremental_cost" else "fairness"))
    return fig
