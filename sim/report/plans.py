"""Report sections of plans: an optimization's best design, and a pilot's size and estimators.

The optimize section names its parameters as people do ("tiered rebate ›
silver tier › rate") with values in their units, and names the best design
by what it is. The pilot section shows every estimator's grades, the pilot's
cost, the effect net of program cost and every size the planner re-checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.report import plots
from sim.report.labels import tuned_label, value_text
from sim.report.page import Section, escaped, estimate, money, png, read_json, scenarios, table
from sim.report.pilot_tables import estimator_rows

PILOT_NOTE = (
    "The outcome is each pilot partner's revenue over the pilot weeks, in dollars; the true "
    "effect is the average effect on the pilot's treated partners, which the simulator knows; "
    "each figure is over the simulated pilots."
)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def optimize_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """The best design on held-out worlds, its name and its parameters in readable units."""
    summary = read_json(folder / "summary.json")
    start = scenarios(manifest, folder)[0]
    held = summary["held_out"]["net_lift"]
    best_file = folder / "best_scenario.yaml"
    best = yaml.safe_load(best_file.read_text(encoding="utf-8")) if best_file.exists() else None
    name = best["design"]["name"] if best else "no feasible design"
    rows = []
    for key, value in (summary["best_params"] or {}).items():
        label, kind = tuned_label(start, key)
        rows.append([label, value_text(kind, value)])
    beats = held is not None and (held["mean"] or 0.0) > 0
    verdict = (
        ""
        if beats or held is None
        else f"<p><b>The best design found does not beat today's program "
        f"({escaped(start.baseline.name)}) on fresh worlds.</b></p>"
    )
    text = (
        f"<p class='headline'>Best design: <b>{escaped(name)}</b>; net lift on held-out "
        f"worlds <b>{estimate(held) if held else 'n/a'}</b> ({summary['n_trials']} trials; "
        f"in-sample {money(summary['best_value'])}, optimistic because it was selected on "
        "those worlds).</p>" + verdict + table(("Parameter", "Best value"), rows)
    )
    captions = {
        "history.png": "Optimization history: each trial's objective, best feasible so far.",
        "pareto.png": "Net lift against cost of every trial, with the Pareto front.",
        "importances.png": "Parameter importances for the objective.",
    }
    shown = ((c, (folder / n).read_bytes()) for n, c in captions.items() if (folder / n).exists())
    return Section(text, shown)


def _estimators(summary: dict[str, Any]) -> str:
    """Each estimator's grades over the simulated pilots."""
    header = ("Estimator", "Bias ($)", "95% CI coverage", "Power", "Mean CI width ($)", "MDE ($)")
    return table(header, estimator_rows(summary, money, _share))


def _checks(checks: list[dict[str, Any]]) -> str:
    """Every pilot size the planner re-simulated on fresh worlds, and whether it held."""
    rows = [
        [
            f"{c['partners']:,} partners x {c['weeks']} weeks",
            _share(c["power"]),
            _share(c["verified_power"]),
            _share(c["verified_power_low"]),
            "confirmed" if c["confirmed"] else "failed the re-check",
        ]
        for c in checks
    ]
    header = ("Pilot", "Grid power", "Fresh power", "Fresh power, 95% lower bound", "Result")
    return table(header, rows)


def pilot_section(folder: Path, manifest: dict[str, Any]) -> Section:
    """The pilot's effect, cost and estimators, and the recommended size with its re-checks."""
    summary = read_json(folder / "summary.json")
    chosen = summary.get("recommended")
    advice = (
        f"recommended pilot: <b>{escaped(format(chosen['partners'], ','))} partners for "
        f"{escaped(chosen['weeks'])} weeks</b> "
        f"(re-simulated power {_share(chosen.get('verified_power'))})"
        if chosen and chosen.get("partners") and chosen.get("confirmed", True)
        else "no pilot size is recommended (no planning grid, or no size held its power "
        "when re-simulated)"
    )
    text = (
        f"<p class='headline'>Pilot of {escaped(summary['weeks'])} weeks, "
        f"{summary['partners']:,.0f} "
        f"partners: true effect <b>{money(summary['true_effect'])}</b> per treated partner, "
        f"<b>{money(summary['net_effect'])}</b> net of program cost; pilot cost "
        f"<b>{money(summary['pilot_cost'])}</b>; minimum detectable effect "
        f"<b>{money(summary['mde'])}</b>; {advice}.</p>"
        + "<h3>Estimators</h3>"
        + _estimators(summary)
    )
    if summary.get("checks"):
        text += "<h3>Pilot sizes re-checked on fresh worlds</h3>" + _checks(summary["checks"])
    target = float((manifest["scenarios"][0].get("pilot") or {}).get("power", 0.8))
    curve_path = folder / "power.parquet"
    shown = iter(
        [
            (
                "Simulated power by pilot size and duration.",
                png(plots.power_curve(pd.read_parquet(curve_path), target)),
            )
        ]
        if curve_path.exists()
        else []
    )
    return Section(text, shown, PILOT_NOTE)
