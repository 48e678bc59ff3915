"""Terminal tables of sweeps and sensitivity analyses."""

from __future__ import annotations

from collections.abc import Sequence

from optimize.sweeps.sensitivity import INDEX_COLUMNS, SensitivityResult
from optimize.sweeps.sweep import TABLE_ROWS, SweepResult, json_scalar
from sim.report.tables import LEGEND, fmt, grid
from sim.runs.results import METRIC_INFO, METRICS
from sim.runs.stats import Estimate
from sim.runs.verdicts import ranking_notes, return_wording

#: The money columns of a sweep's table, around its return column.
MONEY_COLUMNS = (
    "net_lift",
    "incremental_gross_profit",
    "incremental_cost",
    "incremental_pipeline_value",
)


def _short_names(paths: Sequence[str]) -> list[str]:
    """The shortest unique dotted suffix of each path (at least two parts)."""
    names = []
    for path in paths:
        parts = path.split(".")
        for size in range(min(2, len(parts)), len(parts) + 1):
            tail = ".".join(parts[-size:])
            unique = sum(p == tail or p.endswith("." + tail) for p in paths) == 1
            if unique and not parts[-size].isdigit():
                break
        names.append(tail)
    return names


def sweep_table(result: SweepResult) -> str:
    """The best points by mean net lift, with 95% CIs."""
    s = result.scenario
    paths = result.design.paths
    top = result.points.sort_values("net_lift", ascending=False, kind="stable").head(TABLE_ROWS)
    rows, ranked = [], []
    for row in top.to_dict(orient="records"):
        values = [format(row[p], "g") if isinstance(row[p], float) else str(row[p]) for p in paths]
        estimates = {
            m: Estimate(*(json_scalar(row[f"{m}{k}"]) for k in ("", "_ci_low", "_ci_high")))
            for m in METRICS
        }
        cells = [fmt(estimates[m], money=METRIC_INFO[m][1] == "$") for m in MONEY_COLUMNS]
        rows.append([str(int(row["point"])), *values, *cells[:3], return_wording(estimates)])
        rows[-1].append(cells[3])
        ranked.append((f"point {int(row['point'])}", estimates))
    header = [
        "point",
        *_short_names(paths),
        "net lift $",
        "incr. GP $",
        "incr. cost $",
        "return",
        "pipeline value $",
    ]
    shown = "all points" if len(result.points) <= TABLE_ROWS else f"the {TABLE_ROWS} best points"
    title = (
        f"{s.name}: {result.design.kind} sweep of {len(result.points)} points vs baseline: "
        f"{s.baseline.name}\n{int(sum(s.population.partners.values()))} partners, "
        f"{s.horizon_weeks} weeks, {result.replications} replications per point, seed "
        f"{result.seed}; mean [95% CI], design minus baseline; {shown} by net lift"
    )
    notes = ranking_notes(ranked, s.baseline.name)
    table = f"{title}\n\n{grid(header, rows, text_columns=1 + len(paths))}\n\n{LEGEND}"
    return table + "".join(f"\n\n{note}" for note in notes)


def sensitivity_table(result: SensitivityResult) -> str:
    """Parameters ranked by influence, with SALib's 95% half-widths."""
    s = result.sweep.scenario
    columns = INDEX_COLUMNS[result.method]
    rows = []
    for _, row in result.indices.iterrows():
        spec = ".3f" if result.method == "sobol" else ",.0f"
        cells = [format(row[c], spec) if row[c] == row[c] else "n/a" for c in columns]
        rows.append([str(int(row["rank"])), row["parameter"], f"{row['low']:g}..{row['high']:g}"])
        rows[-1] += cells
    title = (
        f"{s.name}: {result.method} sensitivity of mean paired net lift ($), "
        f"{len(result.sweep.points)} samples x {result.sweep.replications} replications, "
        f"seed {result.sweep.seed}\n"
        + (
            "S1: first-order index, ST: total index (shares of variance); _conf: 95% half-width"
            if result.method == "sobol"
            else "mu_star: mean |elementary effect| ($ over the range); mu: mean effect; "
            "sigma: spread (interactions, non-linearity)"
        )
    )
    header = ["rank", "parameter", "range", *columns]
    return f"{title}\n\n{grid(header, rows, text_columns=3)}\nfigure: {result.figure}"
