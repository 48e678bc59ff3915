"""The app's pieces on the page (Solara components): the design form and the result views.

Each component takes plain values (a scenario, results, controls) and
callbacks; the page (:mod:`sim.app.page`) holds the state. Figures are the
report's own (:mod:`sim.report.plots`, :mod:`sim.report.partners`), drawn
once per result and only for the view that is open.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping
from itertools import groupby
from typing import Any, cast

import pandas as pd
import solara
from matplotlib.figure import Figure

from sim.app.form import Control
from sim.app.session import Outcome
from sim.report import partners as partner_figures
from sim.report import plots
from sim.report.page import estimate, metrics_table, money, table
from sim.runs.results import CompareResults
from sim.runs.stats import Estimate
from sim.runs.verdicts import verdict

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
        solara.InputInt(label, value=value, on_value=edit, optional=True)
    else:
        solara.InputFloat(label, value=value, on_value=edit, optional=True)


@solara.component
def DesignForm(controls: list[Control], edits: Mapping[str, Any], on_edit: Edit) -> None:
    """The design's controls, one card per lever (generated from the scenario schema)."""
    for group, members in groupby(controls, key=lambda c: c.group):
        with solara.Card(group.capitalize(), margin=0, style={"margin-bottom": "8px"}):
            for control in members:
                Field(control, edits.get(control.path, control.value), on_edit)


def _as_json(estimates: Mapping[str, Estimate]) -> dict[str, Any]:
    return {name: e.as_dict() for name, e in estimates.items()}


#: Tables on the page look like the report's.
TABLE_CSS = """
.partnerlab table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
.partnerlab th, .partnerlab td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
.partnerlab th:first-child, .partnerlab td:first-child { text-align: left; }
"""


def Html(text: str) -> None:
    """A piece of the report's HTML (escaped by its builders) in the page."""
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["partnerlab"])


@solara.component
def Headline(outcome: Outcome) -> None:
    """Net lift with its 95% CI, what the design returns, and every metric by segment."""
    results = outcome.results
    total = results.to_json()
    net = total["net_lift"]
    scenario = results.scenario
    solara.Style(TABLE_CSS)
    solara.Text(
        f"Net lift {money(net['mean'])}", classes=["net-lift"], style={"font-size": "1.6em"}
    )
    Html(
        f"<p>95% CI {money(net['ci_low'])} to {money(net['ci_high'])}; incremental gross profit "
        f"{estimate(total['incremental_gross_profit'])}; incremental program cost "
        f"{estimate(total['incremental_cost'])}. Return: "
        f"{html.escape(total['return_wording'])}.</p>"
        + "".join(f"<p><b>{html.escape(line)}</b></p>" for line in results.notes)
        + f"<p>{html.escape(scenario.design.name)} "
        f"against {html.escape(scenario.baseline.name)}: {results.partners} partners, "
        f"{scenario.horizon_weeks} weeks, {results.replications} paired replications, seed "
        f"{results.seed}.</p>"
    )
    for key, first in (("by_archetype", "Archetype"), ("by_size_band", "Size band")):
        rows = [(k, _as_json(v)) for k, v in results.summary[key].items()]
        Html(f"<b>{first}</b>" + metrics_table(rows, first))


#: Resolution of the page's figures (dots per inch): sharp on screen, quick to draw.
DPI = 80


def _png(draw: Callable[[], Figure]) -> bytes:
    buffer = io.BytesIO()
    draw().savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@solara.component
def Chart(draw: Callable[[], Figure], key: object) -> None:
    """A figure drawn once per ``key`` (a result), in the background, shown as PNG.

    The numbers show as soon as the run ends; each figure follows when drawn.
    """
    image = solara.lab.use_task(lambda: _png(draw), dependencies=[key])
    if image.finished and image.value is not None:
        solara.Image(image.value)
    elif image.error:
        solara.Error(f"figure failed: {image.exception}")
    else:
        solara.ProgressLinear(True)


def _figures(draws: list[Callable[[], Figure]], result: object, first: int = 0) -> None:
    """Each figure keyed by its place, so a new state of the page redraws none of them."""
    for n, draw in enumerate(draws, start=first):
        Chart(draw, (id(result), n)).key(f"figure-{n}")


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
        Html("<b>Who gains and who loses, one simulated world</b>" + _gain_table(outcome))
    elif view == "Segments":
        _figures(
            [
                lambda: plots.segment_heatmap(results.segments),
                lambda: plots.net_lift_distribution(results),
            ],
            outcome,
            20,
        )


def _segments(table: pd.DataFrame) -> list[tuple[tuple[str, str], Any]]:
    """The rows of a table indexed by (archetype, size band)."""
    return [(cast(tuple[str, str], index), row) for index, row in table.iterrows()]


def _gain_table(outcome: Outcome) -> str:
    """Partners paid more and less, and the money that moves, by archetype and size band."""
    rows = [
        [archetype, band, f"{r.partners:,}", f"{r.paid_more:,}", f"{r.paid_less:,}"]
        + [money(r.payout_change), money(r.net_change)]
        for (archetype, band), r in _segments(partner_figures.gain_and_loss(outcome.partners))
    ]
    header = ("Archetype", "Size band", "Partners", "Paid more", "Paid less")
    return table((*header, "Payout change ($)", "Vendor's net change ($)"), rows)


@solara.component
def CompareView(results: CompareResults) -> None:
    """Designs side by side on the same worlds: verdict, ranking, one colour scale."""
    ranking = results.to_json()
    designs = ranking["designs"]
    line = verdict([(d["design"], d["net_lift"]) for d in designs], ranking["baseline"])
    solara.Text(line, classes=["verdict"], style={"font-weight": "bold"})
    solara.Style(TABLE_CSS)
    Html(metrics_table([(f"#{d['rank']} {d['design']}", d) for d in designs]))
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
