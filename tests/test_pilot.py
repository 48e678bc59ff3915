"""Simulated pilots: the truth they are graded against, the A/A false-positive rate, planning."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS, run_cli

import sim
from sim.pilot.plan import PilotPlan
from sim.pilot.planning import run_pilot
from sim.pilot.simulated import simulate
from sim.pilot.spec import pilot_spec
from sim.pilot.worlds import pilot_world, potential_outcomes
from sim.scenario.loading import ScenarioError

#: A small version of scenarios/pilot_rebate.yaml: 190 partners, 100 in the pilot.
SMALL_PILOT = (
    "population.partners={reseller: 160, integrator: 20, alliance: 10}",
    "pilot.partners=100",
)
#: A small planning grid: 2 sizes x 2 durations, 4 worlds.
SMALL_GRID = ("pilot.planning={partners: [40, 100], weeks: [13, 26], simulations: 4}",)


def small(name: str = "pilot_rebate", *overrides: str) -> sim.Scenario:
    grid = SMALL_GRID if name == "pilot_rebate" else ()
    return sim.load_scenario(SCENARIOS / f"{name}.yaml", [*SMALL_PILOT, *grid, *overrides])


def plan_of(scenario: sim.Scenario, **updates: object) -> PilotPlan:
    return PilotPlan(scenario, pilot_spec(scenario, "test", **updates), scenario.seed)


# -- the pilot section --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "field", "expected"),
    [
        ("pilot.pre_weeks=20", "pilot.pre_weeks", "13, 26, 39 or 52"),
        ("pilot.sample=3", "pilot.sample", "unknown key"),
        ("pilot.share=0.5", "pilot", "as partners or as share, not both"),
        ("pilot.eligibility.size_bands=[huge]", "pilot.eligibility.size_bands.0", "'huge'"),
        ("pilot.assignment.allocation=[1, 1, 1]", "pilot.assignment.allocation", "expected 2"),
        ("pilot.assignment.type=clustered", "pilot.assignment.type", "2 regions per arm"),
        ("pilot.estimator=median", "pilot.estimator", "'cuped'"),
        ("pilot.weeks=1", "pilot.weeks", "greater than or equal to 2"),
    ],
)
def test_pilot_section_errors_name_the_field(override: str, field: str, expected: str) -> None:
    scenario = small("pilot_rebate", override)
    with pytest.raises(ScenarioError) as caught:
        pilot_spec(scenario, "pilot_rebate.yaml", [override])
    assert caught.value.field == field
    assert expected in caught.value.expected
    assert caught.value.source in (f"--set {override}", "pilot_rebate.yaml")


def test_the_shipped_pilot_scenarios_are_valid() -> None:
    for name in ("pilot_rebate", "pilot_aa", "experiment_matrix"):
        scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
        spec = pilot_spec(scenario, name)
        assert spec.weeks >= 13
    assert pilot_spec(sim.load_scenario(SCENARIOS / "pilot_rebate.yaml"), "x").weeks == 13


# -- the truth a pilot is graded against --------------------------------------------------
def test_without_spillovers_the_pilot_run_equals_the_potential_outcomes() -> None:
    """Each pilot partner's observed outcome is its outcome with everyone on its arm."""
    scenario = small()
    plan = plan_of(scenario)
    world = sim.build_world(scenario, 3, seed=plan.seed)
    arms = np.random.default_rng(0).integers(0, 2, world.partners)
    pilot = sim.PartnerProgramModel(
        plan.at(13), plan.seed, replication=3, world=world, programs=plan.programs, assignment=arms
    ).run()
    truth = potential_outcomes(plan.at(13), plan.seed, world, 3, plan.programs)
    rows = np.arange(world.partners)
    assert np.allclose(pilot.state.revenue, truth.revenue[arms, rows], rtol=1e-12, atol=1e-9)
    assert np.allclose(pilot.state.program_cost, truth.cost[arms, rows], rtol=1e-12, atol=1e-9)
    assert not np.allclose(truth.revenue[0], truth.revenue[1])  # the design does something


def test_planning_grid_pilots_are_the_full_pilots_of_that_size() -> None:
    """Composed from potential outcomes, a grid point reproduces the full pilot exactly."""
    plan = plan_of(small())
    pilots, grid = simulate(plan, 4, planning=True)
    assert grid is not None
    primary = pilots[pilots["estimator"] == plan.spec.estimator].set_index("replication")
    same = grid[(grid["partners"] == 100) & (grid["weeks"] == 13)].set_index("replication")
    assert len(same) == 4
    for column in ("estimate", "se", "p_holm", "true_effect"):
        assert np.allclose(same[column], primary.loc[same.index, column], rtol=1e-9)


def test_pilot_partners_are_eligible_and_assigned_by_the_section() -> None:
    scenario = small()
    plan = plan_of(scenario)
    pw = pilot_world(plan, 0)
    resellers = pw.world.archetype == pw.world.archetypes.index("reseller")
    assert np.all(resellers[pw.order]) and np.all(~pw.world.is_new[pw.order])
    assert pw.pre.shape == (pw.world.partners,)
    assert np.allclose(pw.pre, pw.world.prior_revenue.sum(axis=0))  # pre_weeks: 52


def test_aa_pilot_false_positive_rate_is_about_alpha() -> None:
    """300 A/A pilots: every estimator rejects in about 5% (binomial, 3 standard errors)."""
    results = run_pilot(small("pilot_aa"), simulations=300, planning=False)
    assert (results.pilots["true_effect"] == 0).all()
    tolerance = 3 * np.sqrt(0.05 * 0.95 / 300)
    for name, grade in results.grades.loc[results.design].iterrows():
        assert abs(grade["power"] - 0.05) <= tolerance, (name, grade["power"])
        assert grade["coverage"] == pytest.approx(1 - grade["power"])  # truth is exactly 0
    interim = results.to_json()["interim"]
    assert interim["alpha"] < 0.01 and interim["true_effect"] == 0
    assert interim["power"] <= 0.05 + tolerance


def test_results_do_not_depend_on_jobs() -> None:
    serial = run_pilot(small(), simulations=3, jobs=1)
    parallel = run_pilot(small(), simulations=3, jobs=2)
    pd.testing.assert_frame_equal(serial.pilots, parallel.pilots)
    pd.testing.assert_frame_equal(serial.curve, parallel.curve)
    assert serial.to_json() == parallel.to_json()


def test_several_arms_are_holm_adjusted() -> None:
    arms = (
        "pilot.arms=[{name: ladder, mechanics: [{type: tiered_rebate, tiers: "
        "[{name: a, threshold: 0, rate: 0.0}, {name: b, threshold: 5000, rate: 0.05}]}]}, "
        "{name: flat 4%, mechanics: [{type: tiered_rebate, tiers: "
        "[{name: a, threshold: 0, rate: 0.04}]}]}]"
    )
    scenario = small("pilot_rebate", arms, "pilot.partners=null", "pilot.share=0.9")
    results = run_pilot(scenario, simulations=3)
    data = results.to_json()
    assert set(data["arms"]) == {"ladder", "flat 4%"}
    assert (results.pilots["p_holm"] >= results.pilots["p_value"] - 1e-12).all()
    one = results.pilots.drop_duplicates(["replication", "arm"])
    for _, pilot in one.groupby("replication"):
        third = pilot["partners"].iloc[0] / 3  # 3 equal arms, control included
        assert (abs(pilot["treated"] - third) < 1).all()


def test_clustered_pilots_assign_whole_regions() -> None:
    regions = "population.regions={a: 0.2, b: 0.2, c: 0.2, d: 0.2, e: 0.1, f: 0.1}"
    scenario = small("pilot_rebate", regions, "pilot.assignment.type=clustered")
    results = run_pilot(scenario, simulations=3, planning=False)
    assert "post_stratified" not in set(results.pilots["estimator"])
    assert results.to_json()["spillover"] == 0


# -- the command line ---------------------------------------------------------------------------
def test_pilot_command_json_and_results_folder(tmp_path) -> None:
    out = tmp_path / "pilot"
    overrides = [arg for item in (*SMALL_PILOT, *SMALL_GRID) for arg in ("--set", item)]
    done = run_cli(
        "pilot", "scenarios/pilot_rebate.yaml", "--simulations", "3", "--json",
        "--no-progress", "--out", str(out), *overrides,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    required = {"true_effect", "mde", "estimators", "recommended", "pilot_cost"}
    assert required <= set(data)
    assert set(data["estimators"]) == {"diff_in_means", "cuped", "diff_in_diff", "post_stratified"}
    for grades in data["estimators"].values():
        assert {"bias", "coverage", "power", "mean_ci_width"} <= set(grades)
    assert {"partners", "weeks", "power"} <= set(data["recommended"])
    assert {p.name for p in out.iterdir()} == {
        "manifest.json", "summary.json", "pilots.parquet", "power.parquet"
    }  # fmt: skip
    table = run_cli(
        "pilot", "scenarios/pilot_rebate.yaml", "--simulations", "2", "--no-plan",
        "--no-progress", "--out", str(tmp_path / "table"), *overrides,
    )  # fmt: skip
    assert table.returncode == 0 and "cuped (primary)" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--partners", "5000"), "--partners: pilot.partners: expected at most the"),
        (("--set", "pilot.pre_weeks=20"), "--set pilot.pre_weeks=20: pilot.pre_weeks:"),
        (("--weeks", "1"), "expected an integer >= 2"),
    ],
)
def test_pilot_command_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    done = run_cli("pilot", "scenarios/pilot_aa.yaml", "--simulations", "2", "--no-progress", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
