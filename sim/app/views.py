"""The app's pieces on the page (Solara components): the design form and the result views.

Each component takes plain values (a scenario, results, controls) and
callbacks; the page (:mod:`sim.app.page`) holds the state. Figures are the
report's own (:mod:`sim.report.plots`, :mod:`sim.report.partners`), drawn
once per result and only for the view that is open.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from itertools import groupby
from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure

from sim.app.form import Control
from sim.app.session import Outcome
from sim.report import partners as partner_figures
from sim.report import plots
from sim.report.page import estimate, metric_header, metrics_in, money
from sim.report.wording import return_wording, verdict
from sim.runs.results import METRIC_INFO, CompareResults
from sim.runs.stats import Estimate

Edit = Callable[[str, Any], None]


@solara.component
def Field(control: Control, value: Any, on_edit: Edit) -> None:
    """One control of the form, by the kind of its field; edits apply on Enter or leaving it."""

    def edit(new: Any) -> None:
        on_edit(control.path, new)

    label = control.label
    if control.kind == "choice":
        solara.Select(label, values=control.options, value=value, on_value=edit)
    elif control.kind == "flag":
        solara.Checkbox(label=label, value=bool(value), on_value=edit)
    elif control.kind == "text":
        solara.InputText(label, value=str(value), on_value=edit, continuous_update=False)
    elif control.kind in ("weeks", "count"):
        solara.InputInt(label, value=value, on_value=edit, optional=True)  # type: ignore[call-overload]
    else:
        solara.InputFloat(label, value=value, on_value=edit, optional=True)  # type: ignore[call-overload]


@solara.component
def DesignForm(controls: list[Control], edits: Mapping[str, Any], on_edit: Edit) -> None:
    """The design's controls, one card per lever (generated from the scenario schema)."""
    for group, members in groupby(controls, key=lambda c: c.group):
        with solara.Card(group.capitalize(), margin=0, style={"margin-bottom": "8px"}):
            for control in members:
                Field(control, edits.get(control.path, control.value), on_edit)


def _as_json(estimates: Mapping[str, Estimate]) -> dict[str, Any]:
    return {name: e.as_dict() for name, e in estimates.items()}


def summary_markdown(rows: Mapping[str, Mapping[str, Any]], first: str) -> str:
    """A Markdown table of estimates: one row per segment, one column per metric it has."""
    metrics = metrics_in(list(rows.values()))
    head = f"| {first} | " + " | ".join(metric_header(m) for m in metrics) + " |"
    rule = "|---" * (len(metrics) + 1) + "|"
    body = [
        f"| {name} | " + " | ".join(estimate(data[m], METRIC_INFO[m][1]) for m in metrics) + " |"
        for name, data in rows.items()
    ]
    return "\n".join([head, rule, *body])


@solara.component
def Headline(outcome: Outcome) -> None:
    """Net lift with its 95% CI, what the design returns, and every metric by segment."""
    results = outcome.results
    total = _as_json(results.summary["total"])
    net = total["net_lift"]
    scenario = results.scenario
    solara.Text(
        f"Net lift {money(net['mean'])}", classes=["net-lift"], style={"font-size": "1.6em"}
    )
    solara.Markdown(
        f"95% CI {money(net['ci_low'])} to {money(net['ci_high'])}; incremental gross profit "
        f"{estimate(total['incremental_gross_profit'])}; incremental program cost "
        f"{estimate(total['incremental_cost'])}. The design {return_wording(total)}.\n\n"
        f"{scenario.design.name} against {scenario.baseline.name}: {results.partners} partners, "
        f"{scenario.horizon_weeks} weeks, {results.replications} paired replications, seed "
        f"{results.seed}."
    )
    groups = {"by archetype": "Archetype", "by size band": "Size band"}
    for key, first in groups.items():
        rows = {k: _as_json(v) for k, v in results.summary[key.replace(" ", "_")].items()}
        solara.Markdown(f"**{key.capitalize()}**\n\n" + summary_markdown(rows, first))


#: Resolution of the page's figures (dots per inch): sharp on screen, quick to draw.
DPI = 80


def _png(draw: Callable[[], Figure]) -> bytes:
    buffer = io.BytesIO()
    draw().savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@solara.component
def Figure_(draw: Callable[[], Figure], key: object) -> None:
    """A figure drawn once per ``key`` (a result), in the background, shown as PNG.

    The numbers show as soon as the run ends; each figure follows when drawn.
    """
    image = solara.lab.use_task(lambda: _png(draw), dependencies=[key])  # type: ignore[var-annotated]
    if image.finished and image.value is not None:
        solara.Image(image.value)
    elif image.error:
        solara.Error(f"figure failed: {image.exception}")
    else:
        solara.ProgressLinear(True)


def _figures(draws: list[Callable[[], Figure]], result: object, first: int = 0) -> None:
    """Each figure keyed by its place, so a new state of the page redraws none of them."""
    for n, draw in enumerate(draws, start=first):
        Figure_(draw, (id(result), n)).key(f"figure-{n}")


@solara.component
def RunView(outcome: Outcome, view: str) -> None:
    """The open view of a run: weekly trajectories, partners, or segments."""
    results = outcome.results
    name = results.scenario.design.name
    if view == "Weekly":
        _figures(
            [
                lambda: plots.cumulative_net_lift(results.timeseries),
                lambda: plots.archetype_trajectory(results.timeseries, {"design": name}),
                lambda: plots.quarter_hockey_stick(results.timeseries, design_name=name),
            ],
            outcome,
        )
    elif view == "Partners":
        _figures(
            [
                lambda: partner_figures.payout_distribution(outcome.partners, name),
                lambda: partner_figures.gainers_and_losers(outcome.partners),
            ],
            outcome,
            10,
        )
        table = partner_figures.gain_and_loss(outcome.partners).reset_index()
        solara.Markdown("**Who gains and who loses, one simulated world**")
        solara.DataFrame(_money_columns(table, ["payout_change", "net_change"]))
    elif view == "Segments":
        _figures(
            [
                lambda: plots.segment_heatmap(results.segments),
                lambda: plots.net_lift_distribution(results),
            ],
            outcome,
            20,
        )


def _money_columns(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``table`` with money columns as ``$12,345`` text, for a page."""
    return table.assign(**{c: table[c].map(money) for c in columns})


@solara.component
def CompareView(results: CompareResults) -> None:
    """Designs side by side on the same worlds: verdict, ranking, one colour scale."""
    ranking = results.to_json()
    designs = ranking["designs"]
    solara.Markdown(
        "**" + verdict([(d["design"], d["net_lift"]) for d in designs], ranking["baseline"]) + "**"
    )
    rows = {f"#{d['rank']} {d['design']}": d for d in designs}
    solara.Markdown(summary_markdown(rows, "Design"))
    names = [s.name for s in results.scenarios]
    limit = solara.use_memo(lambda: plots.common_limit(results.segments, names), [id(results)])
    _figures(
        [
            lambda: plots.net_lift_distribution(results),
            lambda: plots.archetype_trajectory(results.timeseries, {n: n for n in names}),
            *[
                lambda name=name: plots.segment_heatmap(results.segments, name, limit=limit)
                for name in names
            ],
        ],
        results,
    )
