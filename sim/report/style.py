"""What every figure shares: the palette, money that people read ($k, $M), axes and CI bands.

Figures are built outside pyplot (rendered by Agg when saved), so they never
open a window nor change the backend of a notebook, and are freed once
unused. Money axes use :data:`MONEY`, which picks one unit for all ticks of an
axis ($, $k or $M) from the largest tick and as few decimals as tell the
ticks apart, so labels stay short at every scale and never run into each
other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from sim.runs.results import METRIC_INFO
from sim.runs.stats import mean_ci

#: Colour-blind-safe qualitative palette (Okabe-Ito like) for arms and designs.
PALETTE = sns.color_palette("colorblind")
#: Arm colours shared by every figure: baseline grey-blue, design orange.
ARM_COLOURS = {"baseline": PALETTE[0], "design": PALETTE[1]}
#: Units of money labels: (threshold, divisor, suffix), largest first.
UNITS = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e3, 1e3, "k"), (0.0, 1.0, ""))


def _unit(largest: float) -> tuple[float, str]:
    """The divisor and suffix for money whose largest magnitude is ``largest``."""
    return next((div, suffix) for low, div, suffix in UNITS if abs(largest) >= low)


def _decimals(values: Sequence[float], divisor: float) -> int:
    """Fewest decimals (0-2) that show ``values / divisor`` exactly (ticks are round numbers)."""
    scaled = [v / divisor for v in values]
    for places in range(2):
        if all(abs(round(v, places) - v) < 1e-9 * max(1.0, abs(v)) for v in scaled):
            return places
    return 2


def money_text(value: float, divisor: float | None = None, places: int | None = None) -> str:
    """``-$1.2M``, ``$342k``, ``$75``: money a person reads at a glance.

    Without ``divisor`` the unit follows the value itself and the text keeps
    three significant digits; ``places`` fixes the decimals (tick labels).
    """
    if divisor is None:
        divisor, suffix = _unit(value)
    else:
        suffix = next(s for _, d, s in UNITS if d == divisor)
    scaled = abs(value) / divisor
    if places is None:
        rounded = float(f"{scaled:.3g}")
        digits = math.floor(math.log10(rounded)) if rounded > 0 else 0
        places = max(0, 2 - digits) if divisor > 1 else 0
        text = f"{rounded:,.{places}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{scaled:,.{places}f}"
    if float(text.replace(",", "")) == 0:
        return "$0"
    return f"{'-' if value < 0 else ''}${text}{suffix}"


class MoneyFormatter(Formatter):
    """Tick labels in one money unit per axis ($, $k, $M, $B), as short as the ticks allow."""

    def __init__(self) -> None:
        super().__init__()
        self.ticks: list[float] = []

    def set_locs(self, locs: Sequence[float]) -> None:
        """Remember the axis's ticks: they set the unit and decimals of every label."""
        self.ticks = [float(v) for v in locs if np.isfinite(v)]

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The label of the tick at ``x``."""
        ticks = self.ticks or [x]
        divisor, _ = _unit(max(abs(v) for v in ticks))
        return money_text(x, divisor, _decimals(ticks, divisor))

    def format_data(self, value: float) -> str:
        """The value alone (colour bars and cursors)."""
        return money_text(value)


def money_axis(axis: object) -> None:
    """Money ticks on ``axis`` (an ``ax.xaxis`` or ``ax.yaxis``): compact labels, few ticks."""
    axis.set_major_formatter(MoneyFormatter())  # type: ignore[attr-defined]
    axis.set_major_locator(MaxNLocator(nbins=6))  # type: ignore[attr-defined]


def figure(width: float, height: float, columns: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure outside pyplot with ``columns`` panels side by side."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def labels(ax: Axes, x: str, y: str, title: str) -> None:
    """Axis labels (with their units) and the title."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title)


def metric_label(metric: str) -> str:
    """``"Net lift ($)"``: the metric's label with its unit, from :data:`METRIC_INFO`."""
    name, unit = METRIC_INFO[metric]
    return f"{name} ({unit})"


def band(ax: Axes, frame: pd.DataFrame, x: str, y: str, label: str, colour: object) -> None:
    """Mean of ``y`` over replications at each ``x``, as a line with its 95% CI band."""
    stats = [(key, mean_ci(group[y])) for key, group in frame.groupby(x, sort=True)]
    xs = np.array([key for key, _ in stats])
    mean = np.array([e.mean for _, e in stats], dtype=float)
    low = np.array([np.nan if e.ci_low is None else e.ci_low for _, e in stats], dtype=float)
    high = np.array([np.nan if e.ci_high is None else e.ci_high for _, e in stats], dtype=float)
    ax.plot(xs, mean, color=colour, label=label)
    ax.fill_between(xs, low, high, color=colour, alpha=0.25, linewidth=0)
