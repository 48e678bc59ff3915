"""The what-if page: pick a scenario, edit its design, run it, compare designs, download.

:func:`Explorer` is the whole page as one Solara component, for the server
(``partnerlab app``, which serves :func:`Page`) and for notebooks (the last
expression of a cell, ``Explorer("scenarios/quickstart.yaml")``). Its state
lives in the component, so each browser tab and each notebook cell has its
own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import solara

from sim.app.form import controls
from sim.app.session import (
    MAX_COMPARED,
    Outcome,
    compare_designs,
    edited,
    load_upload,
    report_html,
    run_design,
    scenario_folder,
    scenario_yaml,
    shipped,
)
from sim.app.views import CompareView, DesignForm, Headline, RunView
from sim.errors import ScenarioError
from sim.report.export import summary_csv
from sim.runs.results import CompareResults
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

#: The environment variable through which ``partnerlab app`` names the first scenario.
SCENARIO_ENV = "PARTNERLAB_APP_SCENARIO"
VIEWS = ["Weekly", "Partners", "Segments", "Compare"]
#: A design pinned for comparison: its label and scenario.
Pinned = tuple[str, Scenario]


def _validated(base: Scenario, edits: dict[str, Any]) -> tuple[Scenario | None, str | None]:
    """The edited scenario, or the command line's message for the edit that breaks it."""
    try:
        return edited(base, edits), None
    except ScenarioError as error:
        return None, str(error)


@solara.component
def Explorer(scenario: str | Path | None = None) -> None:
    """The what-if page for the scenarios beside ``scenario`` (default: the shipped ones)."""
    start = Path(scenario) if scenario else None
    folder = solara.use_memo(lambda: scenario_folder(start), [str(start)])
    files = solara.use_memo(lambda: shipped(folder), [folder])
    first = start.stem if start else ("quickstart" if "quickstart" in files else next(iter(files)))
    name, set_name = solara.use_state(first)
    uploads, set_uploads = solara.use_state(cast(dict[str, Scenario], {}))
    problem, set_problem = solara.use_state(cast(str | None, None))
    edits_by, set_edits_by = solara.use_state(cast(dict[str, dict[str, Any]], {}))
    pinned_by, set_pinned_by = solara.use_state(cast(dict[str, list[Pinned]], {}))
    view, set_view = solara.use_state(VIEWS[0])
    base = solara.use_memo(lambda: uploads.get(name) or load_scenario(files[name]), [name, uploads])
    edits = edits_by.get(name, {})
    current, error = solara.use_memo(lambda: _validated(base, edits), [base, edits])
    pinned = pinned_by.get(name, [])

    @solara.lab.use_task(dependencies=None)
    def run(spec: Scenario) -> Outcome:
        return run_design(spec, on_progress=lambda done, total: _progress(run, done, total))

    @solara.lab.use_task(dependencies=None)
    def compare(designs: list[tuple[str, Scenario]]) -> CompareResults:
        return compare_designs(designs, lambda done, total: _progress(compare, done, total))

    def on_edit(path: str, value: Any) -> None:
        set_edits_by({**edits_by, name: {**edits, path: value}})

    def on_upload(file: Any) -> None:
        try:
            loaded = load_upload(file["name"], file["data"], folder)
        except ScenarioError as upload_error:
            set_problem(str(upload_error))
            return
        set_problem(None)
        set_uploads({**uploads, loaded.name: loaded})
        set_name(loaded.name)

    def pin() -> None:
        if current is not None and len(pinned) < MAX_COMPARED:
            label = f"{len(pinned) + 1}. {current.design.name}"
            set_pinned_by({**pinned_by, name: [*pinned, (label, current)]})

    with solara.Columns([1, 2]):
        with solara.Column():
            solara.Select("Scenario", values=[*files, *uploads], value=name, on_value=set_name)
            solara.FileDrop(
                label="Or drop your own scenario YAML here", on_file=on_upload, lazy=False
            )
            if problem:
                solara.Error(problem)
            if error:
                solara.Error(error, classes=["edit-error"])
            with solara.Row():
                solara.Button(
                    "Run",
                    on_click=lambda: run(current) if current is not None else None,
                    disabled=current is None or run.pending,
                    color="primary",
                )
                solara.Button(
                    f"Pin for comparison ({len(pinned)}/{MAX_COMPARED})",
                    on_click=pin,
                    disabled=current is None or len(pinned) >= MAX_COMPARED,
                )
                solara.Button(
                    "Reset design", on_click=lambda: set_edits_by({**edits_by, name: {}}), text=True
                )
            if current is not None:
                solara.FileDownload(
                    lambda: scenario_yaml(current, str(files.get(name, name))),
                    filename=f"{current.name}.yaml",
                    label="Download scenario YAML",
                )
            DesignForm(controls((current or base).design), edits, on_edit)
        with solara.Column():
            _Results(run, compare, pinned, current, view, set_view)


@solara.component
def _Results(
    run: Any,
    compare: Any,
    pinned: list[Pinned],
    current: Scenario | None,
    view: str,
    set_view: Any,
) -> None:
    """Progress, the latest run's headline and views, and the comparison of pinned designs."""
    if run.pending:
        solara.Text("Running the design against the baseline...")
        solara.ProgressLinear(run.progress if run.progress is not None else True)
    if run.error:
        solara.Error(f"{run.exception}")
    outcome: Outcome | None = run.latest
    if outcome is None:
        solara.Info("Edit the design on the left, then press Run.")
    else:
        if current is not None and outcome.results.scenario != current:
            solara.Warning("These results are for the design as it was run; press Run to update.")
        Headline(outcome).key("headline")
        with solara.Row():
            solara.FileDownload(
                lambda: report_html(outcome.results),
                filename="report.html",
                label="Download HTML report",
            )
            solara.FileDownload(
                lambda: summary_csv(outcome.results.summary_json()),
                filename="summary.csv",
                label="Download summary CSV",
            )
    solara.ToggleButtonsSingle(value=view, values=VIEWS, on_value=set_view)
    if view == "Compare":
        solara.Text(
            "Pinned designs: "
            + (", ".join(label for label, _ in pinned) or "none yet (pin the design on the left)")
        )
        solara.Button(
            "Compare pinned designs",
            on_click=lambda: compare(pinned),
            disabled=not pinned or compare.pending,
        )
        if compare.pending:
            solara.ProgressLinear(compare.progress if compare.progress is not None else True)
        if compare.error:
            solara.Error(f"{compare.exception}")
        if compare.latest is not None:
            CompareView(compare.latest).key("compare-view")
    elif outcome is not None:
        RunView(outcome, view).key("run-view")


def _progress(task: Any, done: int, total: int) -> None:
    """Report replications done to a running task's progress bar (0-100)."""
    task.progress = 100 * done / max(total, 1)


@solara.component
def Page() -> None:
    """The page ``partnerlab app`` serves: :func:`Explorer` on the scenario it was given."""
    solara.Title("partnerlab: what if?")
    Explorer(os.environ.get(SCENARIO_ENV) or None)
