"""``sim.checks`` and ``partnerlab validate``: one check per finding, measured with CIs.

* The default world (600 partners, seed 0) passes every check, and the
  console script prints the same figures as JSON in a fresh process.
* A sampled world beyond the default (seed 3, 300 partners) passes too, and
  every checked figure differs from the default's: no figure is a parameter
  read back (``benchmarks/validate_robustness.py`` runs seeds 1-10 and 300 to
  5,000 partners).
* For each check, switching off the mechanism it measures makes it fail.
* The CLI: bad options exit 2 in one line; a failing check exits 1; a
  scenario's own world is checked; the bounds and the stopping rule behave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import SCENARIOS, run_cli

import partnerlab_cli
import sim.checks.catalog
from sim.checks.base import Setup, Trial, measure
from sim.checks.catalog import CHECKS, validate
from sim.checks.figures import Bound, Check, Figure
from sim.runs.stats import Estimate
from sim.scenario.loading import validate_scenario

NAMES = (
    "threshold_pull",
    "period_end_spikes",
    "deal_timing",
    "caps_and_ratchets",
    "lump_sum_bonus",
    "recognition",
    "nudges",
    "co_marketing_funds",
    "near_miss",
    "population",
)


@pytest.fixture(scope="module")
def checks() -> list[Check]:
    return validate(Setup.default(600, seed=0))


def test_one_named_check_per_finding_and_all_pass(checks: list[Check]) -> None:
    assert tuple(c.name for c in checks) == NAMES
    assert [c.fact for c in checks] == [str(k) for k in range(1, 10)] + ["10, 11"]
    failed = [f"{c.name}: {c.figure} (expected {c.expected})" for c in checks if not c.passed]
    assert not failed
    for check in checks:
        assert check.literature and check.moved_by and 8 <= check.replications <= 24
        for figure in check.figures:
            estimate = check.estimates[figure.label]
            assert estimate.ci_low is not None and estimate.ci_high is not None
            assert estimate.ci_low <= estimate.mean <= estimate.ci_high


def test_cli_prints_the_same_checks_as_json_and_exits_0(checks: list[Check]) -> None:
    done = run_cli("validate", "--json", "--no-progress")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["passed"] is True
    assert data["world"] == {
        "scenario": "validate",
        "partners": 600,
        "seed": 0,
        "max_replications": 24,
    }
    # a fresh process measures exactly what this one did: every draw is seeded
    assert data["checks"] == [c.as_dict() for c in checks]


def test_a_sampled_world_beyond_the_default_passes_with_figures_of_its_own(
    checks: list[Check],
) -> None:
    other = validate(Setup.default(300, seed=3))
    failed = [f"{c.name}: {c.figure} (expected {c.expected})" for c in other if not c.passed]
    assert not failed
    for mine, theirs in zip(checks, other, strict=True):
        for figure in mine.figures:
            if figure.bound.checked:  # no figure is a constant of the parameters
                assert mine.estimates[figure.label].mean != theirs.estimates[figure.label].mean, (
                    mine.name,
                    figure.label,
                )


def _switched_off(behaviour: Mapping[str, Any]) -> Setup:
    """The default world of 600 partners with ``behaviour`` for every archetype."""
    counts = {"reseller": 420, "integrator": 138, "alliance": 42}
    raw = {
        "name": "switched off",
        "population": {"partners": counts},
        "behaviour": {name: dict(behaviour) for name in counts},
    }
    return Setup(validate_scenario(raw, source="test"), seed=0, most=8)


SWITCHES: dict[str, dict[str, float]] = {
    # no effort response: nothing to gain near a threshold
    "threshold_pull": {"effort_elasticity": 0.0},
    # no customer accepts a moved close date: nothing bunches at the period end
    "period_end_spikes": {"movable_share": 0.0},
    "deal_timing": {"movable_share": 0.0},
    # no effort response and no timing: a cap holds nothing back
    "caps_and_ratchets": {"effort_elasticity": 0.0, "movable_share": 0.0},
    # no effort response: a bonus buys no new sales, only moved ones
    "lump_sum_bonus": {"effort_elasticity": 0.0},
    # an award is worth nothing to anyone
    "recognition": {"recognition_value": 0.0},
    # contacts move no one and nobody opts out
    "nudges": {"nudge_lift": 0.0, "nudge_engagement": 0.0, "opt_out_rate": 0.0},
    # claims do not depend on size
    "co_marketing_funds": {"mdf_size_elasticity": 0.0},
    # outcomes do not touch engagement
    "near_miss": {
        "disappointment_sensitivity": 0.0,
        "engagement_on_payout": 0.0,
        "engagement_on_win": 0.0,
    },
    # no one is recruited
    "population": {"entry_rate": 0.0},
}


@pytest.mark.parametrize("check", CHECKS, ids=NAMES)
def test_switching_off_its_mechanism_makes_each_check_fail(
    check: Callable[[Setup], Check],
) -> None:
    result = check(_switched_off(SWITCHES[check.__name__]))
    assert not result.passed, result.figure


# -- the measuring machinery ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bound", "low", "high", "verdict"),
    [
        (Bound(low=0.0), 0.1, 0.3, True),
        (Bound(low=0.0), 0.0, 0.0, False),  # exactly zero is not "> 0"
        (Bound(low=0.0), -0.1, 0.2, None),
        (Bound(0.01, 0.10), 0.02, 0.05, True),
        (Bound(0.01, 0.10), 0.05, 0.12, None),
        (Bound(0.01, 0.10), 0.11, 0.12, False),
        (Bound(high=0.002), -0.001, 0.001, True),
        (Bound(), -5.0, 5.0, True),
    ],
)
def test_a_bound_judges_the_interval_not_the_point(
    bound: Bound, low: float, high: float, verdict: bool | None
) -> None:
    assert bound.verdict(Estimate((low + high) / 2, low, high)) is verdict


def test_bounds_read_in_words() -> None:
    assert Bound(low=0.0).describe("%") == "> 0%"
    assert Bound(0.01, 0.1).describe("%") == "in [1%, 10%]"
    assert Bound(high=0.002).describe("%") == "< 0.2%"
    assert Bound().describe("%") == "reported, not checked"


class _Stub(Setup):
    """A setup whose runs are replication numbers: statistics read them, no model runs."""

    def run(self, scenario: Any, programs: Any, replications: Any, record: bool = False) -> Any:
        return [[replication] for replication in replications]


def _measured(values: Callable[[int], float], most: int) -> Check:
    setup = _Stub(Setup.default(100).scenario, most=most)
    figure = Figure("x", "%", Bound(low=0.0))
    return measure(
        "stub",
        "0",
        setup,
        [Trial(setup.scenario, ())],
        lambda arms: {"x": values(arms[0])},  # type: ignore[arg-type]
        [figure],
        literature="none",
        moved_by=("nothing",),
    )


def test_measuring_stops_after_two_batches_once_every_interval_is_decided() -> None:
    clear = _measured(lambda r: 1.0 + 0.01 * (r % 3), most=24)
    assert clear.passed and clear.replications == 8
    assert clear.estimates["x"].mean == pytest.approx(
        np.mean([1 + 0.01 * (r % 3) for r in range(8)])
    )


def test_measuring_spends_every_replication_on_an_undecided_figure_and_fails() -> None:
    noise = _measured(lambda r: 1.0 if r % 2 else -1.0, most=12)
    assert not noise.passed and noise.replications == 12


# -- the command line ---------------------------------------------------------------------------
seen: list[Setup] = []


def quick(name: str, passed: bool) -> Callable[[Setup], Check]:
    """A stand-in check that records the setup it was given in ``seen``."""

    def check(setup: Setup) -> Check:
        seen.append(setup)
        figure = Figure(f"figure of {name}", "%", Bound(low=0.0))
        value = 0.1 if passed else -0.1
        return Check(
            name,
            "0",
            passed,
            {figure.label: Estimate(value, value - 0.01, value + 0.01)},
            (figure,),
            8,
            "literature",
            ("parameter",),
        )

    check.__name__ = name
    return check


def test_a_failing_check_exits_1_and_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True), quick("bad", False)))
    assert partnerlab_cli.main(["validate", "--json", "--no-progress"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    assert [(c["name"], c["passed"]) for c in data["checks"]] == [("ok", True), ("bad", False)]
    assert partnerlab_cli.main(["validate", "--no-progress"]) == 1
    table = capsys.readouterr().out
    assert "PASS  ok (fact 0, 8 replications)" in table and "FAIL  bad (fact 0" in table
    assert "figure of bad: -10.0% [-11.0%, -9.0%]   expected > 0%  <- outside" in table
    assert "1 of 2 checks passed - FAILED" in table


def test_options_reach_the_setup(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True), quick("other", True)))
    seen.clear()
    argv = ["validate", "--seed", "5", "--partners", "100", "--max-replications", "12"]
    assert partnerlab_cli.main([*argv, "--check", "other", "--no-progress"]) == 0
    (setup,) = seen
    assert (setup.seed, setup.most) == (5, 12)
    assert sum(setup.scenario.population.partners.values()) == 100
    assert "1 of 1 checks passed" in capsys.readouterr().out


def test_a_scenario_brings_its_own_world(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True),))
    seen.clear()
    path = SCENARIOS / "quickstart.yaml"
    argv = ["validate", str(path), "--set", "behaviour.reseller.movable_share=0.2"]
    assert partnerlab_cli.main([*argv, "--no-progress"]) == 0
    (setup,) = seen
    assert setup.scenario.name == "quickstart" and setup.seed == 7
    assert setup.scenario.behaviour["reseller"].movable_share == 0.2


def test_the_checks_run_in_a_scenarios_world() -> None:
    done = run_cli(
        "validate",
        str(SCENARIOS / "quickstart.yaml"),
        "--check",
        "threshold_pull",
        "--json",
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["world"]["scenario"] == "quickstart" and data["world"]["partners"] == 600
    assert [c["name"] for c in data["checks"]] == ["threshold_pull"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--partners", "10"], "--partners"),
        (["--seed", "-1"], "--seed"),
        (["--max-replications", "2"], "--max-replications"),
        (["--check", "nope"], "--check"),
        (["--set", "seed=3"], "--set"),
        ([str(SCENARIOS / "quickstart.yaml"), "--partners", "300"], "--partners"),
        (["missing.yaml"], "missing.yaml"),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, argv: list[str], field: str) -> None:
    assert partnerlab_cli.main(["validate", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err


def test_the_command_runs_the_suite_of_sim_checks() -> None:
    assert tuple(check.__name__ for check in CHECKS) == NAMES


def test_the_magnitudes_table_in_docs_is_the_one_validate_measures(checks: list[Check]) -> None:
    from sim.checks.magnitudes import table

    model = (Path(__file__).parents[1] / "docs" / "model.md").read_text()
    assert table([c.as_dict() for c in checks]) in model
