"""Plain-text tables of results for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.runs.results import METRIC_INFO, CompareResults, RunResults
from sim.runs.stats import Estimate
from sim.runs.verdicts import return_wording

#: Money columns beside the return, in order.
COLUMNS = ("net_lift", "incremental_gross_profit", "incremental_cost")
HEADERS = (
    "net lift $",
    "incr. gross profit $",
    "incr. cost $",
    "return",
    "pipeline value $",
)
#: What the last two columns mean, printed under every table.
LEGEND = (
    "return: ROI (incremental gross profit per extra $ of cost) where the design costs more; "
    "what it saves otherwise\n"
    "pipeline value: change in the gross profit expected from deals still open at the horizon "
    "(effort that has not booked yet)"
)


def fmt(estimate: Estimate, money: bool = True) -> str:
    """``mean [low, high]``, money rounded to dollars, ratios to 2 decimals."""
    if estimate.mean is None:
        return "n/a"
    spec = ",.0f" if money else ".2f"
    text = format(estimate.mean, spec)
    if estimate.ci_low is not None and estimate.ci_high is not None:
        text += f" [{estimate.ci_low:{spec}}, {estimate.ci_high:{spec}}]"
    return text


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1) -> str:
    """Aligned columns: the first ``text_columns`` to the left, numbers to the right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < text_columns else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _metric_cells(estimates: Mapping[str, Any]) -> list[str]:
    money = [fmt(estimates[m], money=METRIC_INFO[m][1] == "$") for m in COLUMNS]
    return [*money, return_wording(estimates), fmt(estimates["incremental_pipeline_value"])]


def _with_notes(text: str, notes: Sequence[str]) -> str:
    """The table, then the legend, then any plain line on what it means."""
    text += "\n\n" + LEGEND
    if notes:
        text += "\n\n" + "\n".join(notes)
    return text


def run_table(results: RunResults) -> str:
    """The summary of a run: total, by archetype and by size band, with 95% CIs."""
    s = results.scenario
    rows = [["total", *_metric_cells(results.summary["total"])]]
    for group in ("by_archetype", "by_size_band"):
        rows.append([group.replace("_", " ") + ":", *[""] * len(HEADERS)])
        rows += [["  " + name, *_metric_cells(e)] for name, e in results.summary[group].items()]
    title = (
        f"{s.name}: {s.design.name}  vs  baseline: {s.baseline.name}\n"
        f"{results.partners} partners, {s.horizon_weeks} weeks, "
        f"{results.replications} replications, seed {results.seed}; "
        "mean [95% CI] over replications, design minus baseline"
    )
    return _with_notes(f"{title}\n\n{grid(('segment', *HEADERS), rows)}", results.notes)


def compare_table(results: CompareResults) -> str:
    """Designs ranked by net lift, and the paired differences between them."""
    first = results.scenarios[0]
    rows = [
        [str(r["rank"]), str(r["design"]), *_metric_cells({str(k): v for k, v in r.items()})]
        for r in results.ranking.to_dict("records")
    ]
    title = (
        f"{len(results.scenarios)} designs vs baseline: {first.baseline.name}\n"
        f"{sum(first.population.partners.values())} partners, {first.horizon_weeks} weeks, "
        f"{results.replications} replications, seed {results.seed}; same worlds for every design"
    )
    text = _with_notes(
        f"{title}\n\n{grid(('rank', 'design', *HEADERS), rows, text_columns=2)}", results.notes
    )
    if len(results.differences):
        diff_rows = [
            [r["design"], r["versus"], fmt(r["net_lift_difference"])]
            for r in results.differences.to_dict("records")
        ]
        text += "\n\npaired differences in net lift\n\n"
        text += grid(("design", "versus", "difference $ [95% CI]"), diff_rows, text_columns=2)
    return text
