"""The experiment matrix: a two-level factorial (or fractional factorial) pilot over levers.

Each factor of ``pilot.matrix`` is a lever with two levels (coded -1 and +1,
in the order the levels are written); each level changes the matrix's base
program (the design, or the baseline). Every combination of levels is a
**cell** (a fractional factorial keeps the cells where each generated
factor's level is the product of its generators'). The pilot's partners are
assigned to the cells with equal shares, by the pilot's assignment (usually
stratified), and the world runs with each partner on its cell's program.

Effects are estimated by OLS of revenue on the effect-coded factors and their
interactions plus the centred pre-period revenue, with HC2 standard errors,
overall and within each segment (e.g. archetype x size band). An effect is
reported as the difference between the +1 and -1 levels (twice the
coefficient): for a main effect, the mean change from the first to the second
level averaged over the other factors; for an interaction, half the change in
one factor's effect between the levels of the other. Holm's adjustment runs
across the terms of each segment.

The **true effect** of a term on the pilot partners uses the full factorial
of potential outcomes (every partner under every cell, same draws), so a
fractional design's aliasing shows as bias.

The cells and terms are designed in ``sim.pilot.matrix_design``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.model import PartnerProgramModel
from sim.limits import REPLICATIONS
from sim.pilot.assignment import segment_codes
from sim.pilot.estimators import holm, ols
from sim.pilot.matrix_design import (
    MatrixDesign,
    build_cells,
    estimable_terms,
    run_cells,
    term_name,
    term_signs,
)
from sim.pilot.parallel import parallel
from sim.pilot.plan import PilotInputError, PilotPlan
from sim.pilot.spec import blamer, pilot_spec
from sim.pilot.worlds import PilotWorld, draw_pilot, pilot_world, potential_outcomes
from sim.runs.footprint import PILOT_PARTNER_BYTES, check_parallel, describe, per_partner_bytes
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
OVERALL = "all"


def estimate_terms(
    design: MatrixDesign, pw: PilotWorld, rows: IntArray, cell_of: IntArray, y: FloatArray
) -> list[dict[str, Any]]:
    """Effects of every term overall and in each segment (Holm across terms per segment).

    A segment is left out unless every run cell has at least 2 of its partners.
    """
    signs = np.column_stack([term_signs(design.run, t)[cell_of] for t in design.terms])
    pre = pw.pre[rows]
    segments, labels = segment_codes(pw.world, design.matrix.segments)
    groups = [(OVERALL, np.ones(rows.size, dtype=bool))] + [
        (labels[code], segments[rows] == code) for code in np.unique(segments[rows])
    ]
    records = []
    for segment, keep in groups:
        per_cell = np.bincount(cell_of[keep], minlength=len(design.run))
        if per_cell.min() < 2 or keep.sum() < 2 * (2 + len(design.terms)):
            continue  # too few partners to fit every term with robust errors
        x = pre[keep]
        matrix = np.column_stack([np.ones(keep.sum()), signs[keep], x - x.mean()])
        effects = ols(y[keep], matrix)[1 : 1 + len(design.terms)]
        adjusted = holm([e.p_value for e in effects], design.plan.spec.alpha)
        for term, effect, p_holm in zip(design.terms, effects, adjusted, strict=True):
            records.append(
                {
                    "term": term_name(term),
                    "segment": segment,
                    "partners": int(keep.sum()),
                    "estimate": 2 * effect.estimate,
                    "se": 2 * effect.se,
                    "ci_low": 2 * effect.ci_low,
                    "ci_high": 2 * effect.ci_high,
                    "p_value": effect.p_value,
                    "p_holm": float(p_holm),
                }
            )
    return records


def true_effects(
    design: MatrixDesign, pw: PilotWorld, rows: IntArray, revenue: FloatArray
) -> dict[tuple[str, str], float]:
    """Each term's true effect on the pilot partners, overall and by segment.

    ``revenue`` is ``[full-factorial cells, partners]``; a partner's effect of
    a term is ``sum_c sign_c * revenue_c / 2^(k-1)`` over the full factorial.
    """
    segments, labels = segment_codes(pw.world, design.matrix.segments)
    scale = 2.0 / len(design.cells)
    truth = {}
    for term in design.terms:
        per_partner = scale * (term_signs(design.cells, term) @ revenue[:, rows])
        truth[(term_name(term), OVERALL)] = float(per_partner.mean())
        for code in np.unique(segments[rows]):
            inside = segments[rows] == code
            truth[(term_name(term), labels[code])] = float(per_partner[inside].mean())
    return truth


def simulate_matrix(design: MatrixDesign, replication: int) -> tuple[list[dict], list[dict]]:
    """One matrix experiment in one world: estimated and true effects, and the cells' truth."""
    plan = design.plan
    weeks = plan.spec.weeks
    pw = pilot_world(plan, replication)
    shares = [1.0 / len(design.run)] * len(design.run)
    rows, cell_of = draw_pilot(plan, pw, plan.size, shares)
    assignment = np.zeros(pw.world.partners, dtype=np.int64)
    assignment[rows] = cell_of + 1
    baseline = plan.scenario.baseline
    observed = PartnerProgramModel(
        plan.at(weeks),
        plan.seed,
        replication=replication,
        world=pw.world,
        programs=[baseline, *(c.program for c in design.run)],
        assignment=assignment,
    ).run()
    truth = potential_outcomes(
        plan.at(weeks),
        plan.seed,
        pw.world,
        replication,
        [baseline, *(c.program for c in design.cells)],
    )
    effects = estimate_terms(design, pw, rows, cell_of, observed.state.revenue[rows])
    observed.release()
    true = true_effects(design, pw, rows, truth.revenue[1:])
    for record in effects:
        record |= {
            "replication": replication,
            "true_effect": true[(record["term"], record["segment"])],
        }
    index = {c.name: i + 1 for i, c in enumerate(design.cells)}
    cells = [
        {
            "replication": replication,
            "cell": cell.name,
            **cell.levels,
            "partners": int(np.sum(cell_of == k)),
            "true_effect": float(
                np.mean(truth.revenue[index[cell.name], rows] - truth.revenue[0, rows])
            ),
            "incremental_cost": float(
                np.sum(
                    truth.cost[index[cell.name], rows[cell_of == k]]
                    - truth.cost[0, rows[cell_of == k]]
                )
            ),
        }
        for k, cell in enumerate(design.run)
    ]
    return effects, cells


@dataclass
class MatrixResults:
    """A simulated experiment matrix: effects by term and segment, and the cells.

    ``effects`` has one row per replication, term and segment (``"all"`` for
    the whole pilot); ``cells`` one row per replication and run cell, with its
    true effect against the baseline on the pilot partners and its
    incremental program cost.
    """

    design: MatrixDesign
    simulations: int
    effects: pd.DataFrame
    cells: pd.DataFrame

    def heatmap(self, term: str, value: str = "estimate", replication: int = 0) -> pd.DataFrame:
        """One term's ``value`` by segment as a table (rows: first segment field).

        With segments ``[archetype, size_band]`` this is archetype x size band,
        ready for ``seaborn.heatmap``. Empty when no segment had partners enough
        to estimate the term.
        """
        fields = self.design.matrix.segments
        rows = self.effects[
            (self.effects["term"] == term)
            & (self.effects["segment"] != OVERALL)
            & (self.effects["replication"] == replication)
        ]
        if rows.empty:
            return pd.DataFrame()
        parts = rows["segment"].str.split("/", expand=True)
        frame = rows.assign(**{f: parts[i] for i, f in enumerate(fields)})
        if len(fields) == 1:
            return frame.set_index(fields[0])[[value]]
        return frame.pivot_table(index=fields[0], columns=fields[1:], values=value, sort=False)

    def grading(self) -> pd.DataFrame:
        """Per term and segment over the replications: bias, coverage, power, mean estimate."""
        frame = self.effects.assign(
            error=self.effects["estimate"] - self.effects["true_effect"],
            covers=(self.effects["ci_low"] <= self.effects["true_effect"])
            & (self.effects["true_effect"] <= self.effects["ci_high"]),
            rejects=self.effects["p_holm"] < self.design.plan.spec.alpha,
        )
        return frame.groupby(["term", "segment"], sort=False).agg(
            mean_estimate=("estimate", "mean"),
            true_effect=("true_effect", "mean"),
            bias=("error", "mean"),
            coverage=("covers", "mean"),
            power=("rejects", "mean"),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``partnerlab matrix``: cells, aliases, and the first experiment's effects."""
        plan = self.design.plan
        first = self.effects[self.effects["replication"] == self.effects["replication"].min()]
        data: dict[str, Any] = {
            "scenario": plan.scenario.name,
            "seed": plan.seed,
            "simulations": self.simulations,
            "weeks": plan.spec.weeks,
            "factors": {f.name: list(f.levels) for f in self.design.matrix.factors},
            "cells": self.cells.groupby("cell", sort=False)
            .agg(
                partners=("partners", "mean"),
                true_effect=("true_effect", "mean"),
                incremental_cost=("incremental_cost", "mean"),
            )
            .reset_index()
            .to_dict("records"),
            "terms": [term_name(t) for t in self.design.terms],
            "aliases": self.design.aliases,
            "effects": _records(first.drop(columns=["replication"])),
        }
        if self.simulations > 1:
            graded = self.grading().reset_index()
            data["grading"] = _records(graded[graded["segment"] == OVERALL].drop(columns="segment"))
        return data


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (``None`` where a value is missing)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return cast(list[dict[str, Any]], records)


def run_matrix(
    scenario: Scenario | str | Path,
    *,
    simulations: int = 1,
    partners: int | None = None,
    weeks: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: bool = False,
    source: str | None = None,
    overrides: Sequence[str] = (),
) -> MatrixResults:
    """Simulate the scenario's experiment matrix in ``simulations`` worlds.

    Raises:
        ScenarioError: the section has no ``matrix``, or it is invalid.
    """
    if simulations < 1:
        raise ValueError(f"simulations must be at least 1, got {simulations}")
    REPLICATIONS.check(simulations, "--simulations")
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario, overrides)
    source = source or scenario.name
    spec = pilot_spec(scenario, source, overrides, partners=partners, weeks=weeks)
    if spec.matrix is None:
        raise ScenarioError(source, "pilot.matrix", "required field is missing")
    what = describe(scenario, simulations, jobs, "simulated experiments")
    jobs = check_parallel(per_partner_bytes(scenario, PILOT_PARTNER_BYTES), jobs, what)
    plan = PilotPlan(scenario, spec, scenario.seed if seed is None else seed)
    cells = build_cells(scenario, spec.matrix, blamer(source, overrides))
    run = run_cells(cells, spec.matrix)
    terms, aliases = estimable_terms(run, [f.name for f in spec.matrix.factors])
    design = MatrixDesign(plan, spec.matrix, cells, run, terms, aliases)
    try:
        outputs = parallel(
            [(simulate_matrix, (design, r)) for r in range(simulations)], jobs, progress, "matrix"
        )
    except PilotInputError as error:
        raise ScenarioError(source, error.field, error.expected) from None
    effects = pd.DataFrame([row for out in outputs for row in out[0]])
    cell_rows = pd.DataFrame([row for out in outputs for row in out[1]])
    return MatrixResults(design, simulations, effects, cell_rows)
