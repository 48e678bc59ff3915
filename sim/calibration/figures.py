"""Figures of a calibration (seaborn on matplotlib): the fit, the posterior, the held-out check.

* **statistics**: each summary statistic, per archetype, observed (a dot)
  against the 50% (thick) and 90% (thin) bands of histories simulated from
  the posterior;
* **posterior**: each parameter's posterior draws against its prior (the
  shaded box), on the prior's scale;
* **held_out**: the statistics of the weeks held out, against the bands of a
  fit on the weeks before.

Figures are built outside pyplot (rendered by Agg when saved), as in
:mod:`sim.report.plots`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from sim.calibration.calibrate import Calibration
from sim.runs.store import atomic_write

PALETTE = sns.color_palette("colorblind")
#: Each statistic's axis label, with its unit.
UNITS = {
    "wins": "log share of partner-periods with a win",
    "deal_size": "log $ per period with a win",
    "top20": "revenue share of the top 20%",
    "spread": "sd of log revenue (sellers)",
    "active": "share active per quarter",
    "period_end": "last-period revenue / even spread",
    "lapsed": "share won early, not late",
    "persistence": "corr. of log revenue, halves",
    "change_revenue": "log revenue ratio, after / before",
    "change_wins": "log win ratio, after / before",
    "change_registered": "log registrations ratio, after / before",
    "bunching": "(just above - just below) / near",
    "registered": "log registrations per deal",
    "mdf": "log MDF claimed per $ revenue",
}
MONEY_PARAMS = {"deal_size"}


def _money(value: float, _: object = None) -> str:
    """``$12k`` / ``$1.2M``."""
    if abs(value) >= 1e6:
        return f"${value / 1e6:.1f}M"
    return f"${value / 1e3:.0f}k" if abs(value) >= 1e3 else f"${value:.0f}"


def statistics_figure(bands: pd.DataFrame, title: str) -> Figure:
    """Observed statistics against their 50% and 90% predictive bands, one panel per statistic."""
    names = list(dict.fromkeys(bands["statistic"]))
    columns = 4
    rows = max(1, math.ceil(len(names) / columns))
    fig = Figure(figsize=(3.2 * columns, 2.4 * rows), layout="constrained")
    archetypes = list(dict.fromkeys(bands["archetype"]))
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(archetypes)}
    for k, name in enumerate(names):
        ax: Axes = fig.add_subplot(rows, columns, k + 1)
        part = bands[bands["statistic"] == name]
        for x, row in enumerate(part.itertuples()):
            c = colour[row.archetype]
            ax.vlines(x, row.q05, row.q95, color=c, linewidth=1.5, alpha=0.6)
            ax.vlines(x, row.q25, row.q75, color=c, linewidth=6, alpha=0.6)
            marker = "o" if row.inside_90 else "X"
            ax.plot(x, row.observed, marker, color="black", markersize=6)
        ax.set_xticks(range(len(part)), list(part["archetype"]), fontsize=8)
        ax.set_xlim(-0.6, len(part) - 0.4)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel(UNITS.get(name, name), fontsize=7)
    fig.suptitle(f"{title}: observed (dot; X outside the 90% band) vs simulated 50% / 90% bands")
    return fig


def posterior_figure(result: Calibration) -> Figure:
    """Each parameter's posterior draws (histogram) against its uniform prior (shaded)."""
    space, values = result.posterior.space, result.posterior.values
    columns = 3
    rows = max(1, math.ceil(len(space.paths) / columns))
    fig = Figure(figsize=(4.0 * columns, 2.6 * rows), layout="constrained")
    for k, (path, prior) in enumerate(zip(space.paths, space.priors, strict=True)):
        ax: Axes = fig.add_subplot(rows, columns, k + 1)
        draws = values[:, k]
        ax.axvspan(prior.low, prior.high, color="0.9", label="prior (uniform)")
        bins = (
            np.geomspace(prior.low, prior.high, 40)
            if prior.log
            else np.linspace(prior.low, prior.high, 40)
        ).tolist()
        ax.hist(draws, bins=bins, density=True, color=PALETTE[0], alpha=0.8, label="posterior")
        if prior.log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        name = path.split(".")[-1]
        money = name in MONEY_PARAMS
        ax.xaxis.set_major_formatter(FuncFormatter(_money if money else lambda v, _: f"{v:g}"))
        unit = "$, " if money else ""
        ax.set_xlabel(
            f"{name} ({unit}log scale)" if prior.log else f"{name}{' ($)' if money else ''}"
        )
        ax.set_ylabel("density (per $)" if money else "density")
        ax.set_title(path.split(".")[1], fontsize=9)
        if k == 0:
            ax.legend(fontsize=7)
    fig.suptitle("Posterior against prior, per parameter")
    return fig


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write_figures(result: Calibration, out: Path) -> None:
    """Write ``statistics.png``, ``posterior.png`` and, with a held-out check, ``held_out.png``."""
    figures = {
        "statistics.png": statistics_figure(result.fit.bands, "Fit of the whole history"),
        "posterior.png": posterior_figure(result),
    }
    if result.held_out is not None and len(result.held_out.bands):
        start, stop = result.held_out.weeks
        figures["held_out.png"] = statistics_figure(
            result.held_out.bands, f"Held-out weeks {start}-{stop - 1}, fitted on the weeks before"
        )
    for name, figure in figures.items():
        _write_png(out / name, _png(figure))


def _write_png(path: Path, data: bytes) -> None:
    atomic_write(path, lambda temp: temp.write_bytes(data))
