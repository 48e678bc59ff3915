"""A program that changes during the horizon (``changes:``): before the change nothing moves.

Calibration needs histories whose baseline changed (a ladder introduced in
week 52): that change is what identifies how partners respond to incentives.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SMALL, ladder, scenario_with

import sim
from sim.engine.accounting import SERIES
from sim.errors import ScenarioError

FLAT = ladder([(0, 0.02)])
STEEP = ladder([(0, 0.02), (5_000, 0.06), (20_000, 0.1)])
REVENUE = list(SERIES).index("revenue")


def run(program: dict, weeks: int = 39) -> np.ndarray:
    scenario = scenario_with(partners=SMALL, horizon_weeks=weeks, design=program)
    model = sim.PartnerProgramModel(scenario, arm="design").run()
    return model.series


def test_nothing_moves_before_the_change_and_something_after() -> None:
    plain = run({"mechanics": [FLAT]})
    changed = run({"mechanics": [FLAT], "changes": [{"week": 13, "mechanics": [STEEP]}]})
    np.testing.assert_array_equal(changed[:13], plain[:13])
    assert not np.array_equal(changed[13:], plain[13:])
    steep = run({"mechanics": [STEEP]})
    # After the change, sales move towards the steep ladder's.
    late = slice(26, 39)
    gap_before = abs(plain[late, :, REVENUE].sum() - steep[late, :, REVENUE].sum())
    gap_after = abs(changed[late, :, REVENUE].sum() - steep[late, :, REVENUE].sum())
    assert gap_after < gap_before


def test_changing_to_the_same_mechanics_at_a_period_end_changes_nothing() -> None:
    plain = run({"mechanics": [FLAT]})
    same = run({"mechanics": [FLAT], "changes": [{"week": 13, "mechanics": [FLAT]}]})
    np.testing.assert_allclose(same, plain, rtol=1e-12, atol=1e-9)


def test_a_lever_brought_in_later_draws_from_week_0_and_acts_from_its_week() -> None:
    registration = {"type": "deal_registration", "cost_per_registration": 10.0}
    later = {"week": 13, "mechanics": [FLAT, registration]}
    changed = run({"mechanics": [FLAT], "changes": [later]})
    other = list(SERIES).index("other_cost")
    assert changed[:13, :, other].sum() == 0
    assert changed[13:, :, other].sum() > 0


def test_change_weeks_must_increase() -> None:
    with pytest.raises(ScenarioError, match=r"changes\.1\.week: expected weeks that increase"):
        sim.load_scenario(
            "scenarios/base.yaml",
            ["baseline.changes=[{week: 20, mechanics: []}, {week: 10, mechanics: []}]"],
        )


def test_a_change_needs_thresholds_for_every_archetype() -> None:
    partial = "{type: tiered_rebate, tiers: [{name: a, threshold: {reseller: 1}, rate: 0.1}]}"
    with pytest.raises(ScenarioError, match=r"baseline\.changes\.0\.mechanics\.0\.tiers\.0"):
        sim.load_scenario(
            "scenarios/base.yaml", [f"baseline.changes=[{{week: 5, mechanics: [{partial}]}}]"]
        )


def test_the_final_program_is_the_last_change() -> None:
    program = sim.Program.model_validate(
        {"mechanics": [FLAT], "changes": [{"week": 5, "mechanics": [STEEP]}]}
    )
    assert [week for week, _ in program.stages()] == [0, 5]
    final = program.final()
    assert final.changes == [] and final.mechanics == program.changes[0].mechanics
