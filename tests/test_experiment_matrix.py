"""The experiment matrix: cells from levers, aliasing, effects with CIs overall and by segment."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import SCENARIOS, run_cli

import sim
from sim.pilot.matrix import OVERALL, estimate_terms, run_matrix
from sim.pilot.matrix_design import MatrixDesign, build_cells, estimable_terms, run_cells, term_name
from sim.pilot.plan import PilotPlan
from sim.pilot.spec import pilot_spec
from sim.pilot.worlds import draw_pilot, pilot_world
from sim.scenario.fields import for_archetype
from sim.scenario.loading import ScenarioError

#: The shipped matrix on 216 partners over 13 weeks.
SMALL_MATRIX = (
    "population.partners={reseller: 160, integrator: 40, alliance: 16}",
    "pilot.weeks=13",
)
FRACTION = "pilot.matrix.generators={email: [reward, thresholds]}"


def small(*overrides: str) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "experiment_matrix.yaml", [*SMALL_MATRIX, *overrides])


def design_of(scenario: sim.Scenario) -> MatrixDesign:
    spec = pilot_spec(scenario, "test")
    assert spec.matrix is not None
    cells = build_cells(scenario, spec.matrix, lambda field: "test")
    run = run_cells(cells, spec.matrix)
    terms, aliases = estimable_terms(run, [f.name for f in spec.matrix.factors])
    return MatrixDesign(
        PilotPlan(scenario, spec, scenario.seed), spec.matrix, cells, run, terms, aliases
    )


def test_cells_apply_each_level_to_the_base_design() -> None:
    scenario = small()
    design = design_of(scenario)
    assert len(design.cells) == len(design.run) == 8
    by_name = {c.name: c.program for c in design.cells}
    plain = by_name["reward=retroactive, thresholds=low, email=off"]
    assert plain.mechanics == scenario.design.mechanics
    changed = by_name["reward=marginal, thresholds=high, email=on"]
    ladder, email = changed.mechanics
    assert ladder.basis == "marginal" and email.type == "email"
    assert for_archetype(ladder.tiers[1].threshold, "reseller") == 10000
    assert (
        for_archetype(scenario.design.mechanics[0].tiers[1].threshold, "reseller") == 5000
    )  # untouched
    assert [term_name(t) for t in design.terms] == [
        "reward", "thresholds", "email", "reward:thresholds", "reward:email",
        "thresholds:email", "reward:thresholds:email",
    ]  # fmt: skip
    assert design.aliases == {}


def test_a_half_fraction_aliases_interactions_with_main_effects() -> None:
    design = design_of(small(FRACTION))
    assert len(design.run) == 4
    for cell in design.run:
        assert cell.signs["email"] == cell.signs["reward"] * cell.signs["thresholds"]
    assert [term_name(t) for t in design.terms] == ["reward", "thresholds", "email"]
    assert design.aliases == {
        "email": ["reward:thresholds"],
        "thresholds": ["reward:email"],
        "reward": ["thresholds:email"],
        "(intercept)": ["reward:thresholds:email"],
    }


def test_effects_are_level_differences_recovered_with_cis() -> None:
    """On an outcome with known effects, each term's estimate is its +1 minus -1 difference."""
    design = design_of(small())
    pw = pilot_world(design.plan, 0)
    rows, cell_of = draw_pilot(design.plan, pw, design.plan.size, [1 / 8] * 8)
    sign = {f: np.array([c.signs[f] for c in design.run])[cell_of] for f in ("reward", "email")}
    noise = np.random.default_rng(0).normal(0.0, 5.0, rows.size)
    y = 1000.0 + 50.0 * sign["reward"] + 20.0 * sign["reward"] * sign["email"] + noise
    effects = estimate_terms(design, pw, rows, cell_of, y)
    overall = {r["term"]: r for r in effects if r["segment"] == OVERALL}
    expected = {"reward": 100.0, "reward:email": 40.0}
    for term, row in overall.items():
        truth = expected.get(term, 0.0)
        assert abs(row["estimate"] - truth) < 4 * row["se"], (term, row)
        assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.96 * row["se"], rel=0.01)
    assert overall["reward"]["p_holm"] < 1e-6 and overall["email"]["p_holm"] > 0.01
    segments = {r["segment"] for r in effects} - {OVERALL}
    assert segments and all("/" in s for s in segments)


def test_levels_that_change_nothing_have_exactly_zero_true_effects() -> None:
    same = "pilot.matrix.factors.0.levels.marginal={}"
    results = run_matrix(small(same), simulations=1)
    reward = results.effects[results.effects["term"].str.contains("reward")]
    assert (reward["true_effect"] == 0).all()
    assert (results.effects["ci_low"] < results.effects["ci_high"]).all()


def test_the_shipped_matrix_reports_effects_by_segment() -> None:
    results = run_matrix(small(), simulations=2, jobs=1)
    effects = results.effects
    assert set(effects["replication"]) == {0, 1}
    overall = effects[effects["segment"] == OVERALL]
    assert len(overall) == 2 * 7
    assert {"estimate", "ci_low", "ci_high", "p_holm", "true_effect"} <= set(effects.columns)
    heat = results.heatmap("reward")
    assert set(heat.index) <= {"reseller", "integrator", "alliance"} and "reseller" in heat.index
    assert set(heat.columns) <= {"small", "medium", "large"}
    cells = results.cells[results.cells["replication"] == 0]
    assert len(cells) == 8 and cells["partners"].sum() == 216
    data = results.to_json()
    json.dumps(data, allow_nan=False)
    assert len(data["grading"]) == 7 and len(data["cells"]) == 8


@pytest.mark.parametrize(
    ("override", "field", "expected"),
    [
        (
            "pilot.matrix.factors.0.levels.marginal.set={mechanics.5.basis: marginal}",
            "pilot.matrix.factors.0.levels.marginal.set.mechanics.5.basis",
            "list index below 1",
        ),
        (
            "pilot.matrix.factors.0.levels.marginal.set={mechanics.0.basis: sideways}",
            "pilot.matrix.factors.0.levels.marginal",
            "mechanics.0",
        ),
        ("pilot.matrix.generators={email: [reward]}", "pilot.matrix", "two or more other"),
        ("pilot.matrix.factors.0.levels={a: {}}", "pilot.matrix.factors.0", "exactly two"),
    ],
)
def test_matrix_errors_name_the_field(override: str, field: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        run_matrix(small(override), simulations=1)
    assert caught.value.field == field
    assert expected in caught.value.expected


def test_matrix_command(tmp_path) -> None:
    overrides = [arg for item in SMALL_MATRIX for arg in ("--set", item)]
    done = run_cli(
        "matrix", "scenarios/experiment_matrix.yaml", "--json", "--no-progress",
        "--out", str(tmp_path / "m"), *overrides,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    segments = {e["segment"] for e in data["effects"]}
    assert OVERALL in segments and len(segments) > 2
    assert {p.name for p in (tmp_path / "m").iterdir()} == {
        "manifest.json", "summary.json", "effects.parquet", "cells.parquet"
    }  # fmt: skip
    table = run_cli(
        "matrix", "scenarios/experiment_matrix.yaml", "--no-progress",
        "--out", str(tmp_path / "t"), *overrides,
    )  # fmt: skip
    assert table.returncode == 0 and "reward by segment: estimate" in table.stdout
    missing = run_cli("matrix", "scenarios/pilot_aa.yaml", "--no-progress")
    assert missing.returncode == 2
    assert "pilot.matrix: required field is missing" in missing.stderr
