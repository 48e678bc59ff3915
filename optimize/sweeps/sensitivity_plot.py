"""The bar chart of sensitivity indices: one bar per parameter and index, with 95% CIs.

Drawn with seaborn on a matplotlib ``Figure`` (no GUI backend needed), in the
colour-blind-safe palette, most influential parameter on top.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from optimize.search.output import write_figure

#: Per method: the bars (index column -> its CI half-width column, legend label) and x label.
BARS = {
    "sobol": (
        {"S1": ("S1_conf", "first order (S1)"), "ST": ("ST_conf", "total (ST)")},
        "Sobol' index (share of the variance of net lift, 0-1)",
    ),
    "morris": (
        {"mu_star": ("mu_star_conf", "μ* (mean |elementary effect|)")},
        "Morris μ*: change in mean net lift over the parameter's range, $",
    ),
}


def _label(row: pd.Series) -> str:
    return f"{row['parameter']}\n[{row['low']:g}, {row['high']:g}]"


def plot_indices(indices: pd.DataFrame, method: str, scenario: str, path: Path) -> Path:
    """Draw ``indices`` (ranked, see :func:`optimize.sweeps.sensitivity.index_table`) to a PNG.

    Args:
        indices: the ranked index table.
        method: ``"sobol"`` or ``"morris"``.
        scenario: scenario name, for the title.
        path: where to write the PNG (atomically).
    """
    bars, xlabel = BARS[method]
    labels = [_label(row) for _, row in indices.iterrows()]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "parameter": labels,
                    "index": legend,
                    "value": indices[column].fillna(0.0).to_numpy(),
                    "half_width": indices[conf].fillna(0.0).to_numpy(),
                }
            )
            for column, (conf, legend) in bars.items()
        ],
        ignore_index=True,
    )
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        figure = Figure(figsize=(9, 1.2 + 0.55 * len(labels) * len(bars)), layout="constrained")
        ax = figure.subplots()
        sns.barplot(
            data=long,
            x="value",
            y="parameter",
            hue="index",
            order=labels,
            palette=sns.color_palette("colorblind", len(bars)),
            errorbar=None,
            orient="h",
            ax=ax,
        )
        bar_groups = list(ax.containers)  # before errorbar() adds its own containers
        for container, (_, group) in zip(
            bar_groups, long.groupby("index", sort=False), strict=True
        ):
            centres = [bar.get_y() + bar.get_height() / 2 for bar in container]
            widths = [bar.get_width() for bar in container]
            ax.errorbar(
                widths,
                centres,
                xerr=np.abs(group["half_width"].to_numpy()),
                fmt="none",
                ecolor="black",
                elinewidth=1,
                capsize=3,
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("parameter [range]")
        if method == "morris":
            ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_title(f"{scenario}: {method} sensitivity of net lift (error bars: 95% CI)")
        ax.legend(title=None, loc="lower right")
    write_figure(path, figure)
    return path
