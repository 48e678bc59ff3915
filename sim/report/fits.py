"""The report of a calibration folder: each parameter's posterior, the held-out check, the fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.report.labels import behaviour_label, value_text
from sim.report.page import Section, escaped, read_json

CALIBRATION_NOTE = (
    "Intervals are 90% intervals of the approximate posterior; a parameter is identified when "
    "its posterior is clearly narrower than its prior. The held-out check fits the history's "
    "first part and predicts its last part."
)
#: Figure file -> caption, in the order shown.
FIGURES = {
    "statistics.png": "Each summary statistic: observed against the 50% and 90% bands of "
    "histories simulated from the posterior, per archetype.",
    "posterior.png": "Posterior against prior, per parameter.",
    "held_out.png": "The weeks held out: observed against the bands of a fit on the rest.",
}


def calibrate_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """The fitted parameters (mean, 90% interval, prior, identified), the held-out coverage."""
    fit = read_json(folder / "fit.json")
    rows = "".join(_row(path, p) for path, p in fit["parameters"].items())
    held = fit["held_out"]["coverage_90"]
    history = fit["history"]
    headline = (
        f"<p class='headline'>Calibrated on {escaped(history['file'])} "
        f"({escaped(history['periods'])} {escaped(history['frequency'])}s); held-out check: "
        f"<b>{'n/a' if held is None else f'{held:.0%}'}</b> of statistics inside their 90% "
        "predictive band.</p><table><tr><th>Parameter</th><th>Posterior mean</th>"
        f"<th>90% interval</th><th>Prior</th><th>Identified</th></tr>{rows}</table>"
        + "".join(f"<p class='note'>{escaped(line)}</p>" for line in fit["identification"])
    )
    shown = ((c, (folder / n).read_bytes()) for n, c in FIGURES.items() if (folder / n).exists())
    return Section(headline, shown, CALIBRATION_NOTE)


def _row(path: str, fitted: dict[str, Any]) -> str:
    """One parameter's row: its readable name, values in its units, and whether it is identified."""
    label, kind = behaviour_label(path)

    def show(value: float) -> str:
        return escaped(value_text(kind, value) if kind == "money" else f"{value:.3g}")

    def interval(low: str, high: str) -> str:
        return f"[{show(fitted[low])}, {show(fitted[high])}]"

    if not fitted.get("reproduced", True):  # folders written before the misfit check lack it
        identified = "<b>no: the fit misses this archetype's history</b>"
    else:
        identified = "yes" if fitted["identified"] else "<b>no</b>"
    return (
        f"<tr><td>{escaped(label)}</td><td>{show(fitted['mean'])}</td>"
        f"<td>{interval('ci_low', 'ci_high')}</td><td>{interval('prior_low', 'prior_high')}</td>"
        f"<td>{identified}</td></tr>"
    )
