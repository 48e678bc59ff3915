"""Contract tests every lever and every archetype passes (imported as ``contracts``).

A test class that inherits :class:`LeverContract` and provides the fixture
``mechanic`` (a lever's YAML mapping) gets, for that lever: determinism,
pickling, exactly zero net lift when the design equals the baseline, the
vectorized engine equal to its scalar reference (each partner run alone,
:func:`sim.world.subset.take_partners`), and money flows that are never
negative. :class:`ArchetypeContract` does the same for an archetype (fixture
``archetype``, its registered name), with its decision rules checked
partner by partner. ``tests/test_contracts.py`` runs them on every
registered lever and archetype; ``tests/test_extending.py`` on a lever and
an archetype defined in the test file alone.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import sim
from agents import ARCHETYPES
from sim.scenario.schema import Scenario
from sim.world.subset import take_partners

FLAT = {"type": "tiered_rebate", "tiers": [{"name": "flat", "threshold": 0, "rate": 0.02}]}
#: A small world of every built-in archetype.
FEW = {"reseller": 14, "integrator": 5, "alliance": 3}
HORIZON = 30  # weeks: two quarter ends and part of a third


def lever_scenario(
    mechanics: list[Mapping[str, Any]], partners: Mapping[str, int] = FEW, **extra: Any
) -> Scenario:
    """Today's flat rebate as baseline; the design adds ``mechanics`` to it."""
    raw = {
        "name": "contract",
        "seed": 3,
        "replications": 2,
        "horizon_weeks": HORIZON,
        "population": {"partners": dict(partners)},
        "baseline": {"name": "flat", "mechanics": [FLAT]},
        "design": {"name": "with the lever", "mechanics": [FLAT, *map(dict, mechanics)]},
        **extra,
    }
    return Scenario.model_validate(raw)


def same_runs(a: sim.RunResults, b: sim.RunResults) -> None:
    """Two runs' tables are identical, bit for bit."""
    for name in ("runs", "segments", "timeseries"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.equals(right), name


class LeverContract:
    """What every lever must do; a subclass provides the fixture ``mechanic``."""

    partners: Mapping[str, int] = FEW

    @pytest.fixture
    def scenario(self, mechanic: Mapping[str, Any]) -> Scenario:
        return lever_scenario([mechanic], self.partners)

    def test_runs_the_same_for_the_same_seed(self, scenario: Scenario) -> None:
        same_runs(sim.run_scenario(scenario), sim.run_scenario(scenario))

    def test_scenario_and_a_running_model_pickle(self, scenario: Scenario) -> None:
        assert pickle.loads(pickle.dumps(scenario)) == scenario
        model = sim.PartnerProgramModel(scenario, rng=5)
        for _ in range(9):
            model.step()
        twin = pickle.loads(pickle.dumps(model))
        model.run()
        twin.run()
        np.testing.assert_array_equal(twin.series, model.series)
        np.testing.assert_array_equal(twin.state.program_cost, model.state.program_cost)

    def test_a_design_equal_to_its_baseline_has_zero_net_lift(self, scenario: Scenario) -> None:
        same = scenario.model_copy(update={"baseline": scenario.design})
        paired = sim.run_scenario(same).paired()
        assert (paired["net_lift"] == 0.0).all()
        assert (paired["incremental_cost"] == 0.0).all()

    def test_each_partner_alone_gets_what_it_gets_among_all(self, scenario: Scenario) -> None:
        """The vectorized engine against its scalar reference: one partner at a time."""
        world = sim.build_world(scenario, 1)
        everyone = sim.PartnerProgramModel(scenario, world=world, replication=1).run()
        for row in range(world.partners):
            alone = sim.PartnerProgramModel(
                scenario, world=take_partners(world, [row]), replication=1
            ).run()
            for name in ("revenue", "rewards", "program_cost", "gross_profit", "effort"):
                mine, among_all = getattr(alone.state, name)[0], getattr(everyone.state, name)[row]
                assert mine == pytest.approx(among_all, rel=1e-12, abs=1e-9), (row, name)

    def test_money_flows_are_never_negative(self, scenario: Scenario) -> None:
        model = sim.PartnerProgramModel(scenario, record_partners=True).run()
        state = model.state
        for name in ("rewards", "contact_cost", "other_cost", "program_cost", "discounts"):
            assert (getattr(state, name) >= 0).all(), name
        assert (model.partner_series["program_cost"] >= 0).all()
        assert np.isfinite(model.series).all()


class ArchetypeContract:
    """What every archetype must do; a subclass provides the fixture ``archetype``."""

    @pytest.fixture
    def scenario(self, archetype: str) -> Scenario:
        ladder = {
            "type": "tiered_rebate",
            "tiers": [
                {"name": "base", "threshold": 0, "rate": 0.01},
                {"name": "gold", "threshold": 15_000, "rate": 0.04},
            ],
        }
        return lever_scenario([ladder, {"type": "email", "every_weeks": 3}], {archetype: 12})

    def test_parameters_have_defaults_and_pickle(self, archetype: str) -> None:
        params = ARCHETYPES[archetype].params_model()()
        assert pickle.loads(pickle.dumps(params)) == params

    def test_runs_the_same_for_the_same_seed(self, scenario: Scenario) -> None:
        same_runs(sim.run_scenario(scenario), sim.run_scenario(scenario))

    def test_a_design_equal_to_its_baseline_has_zero_net_lift(self, scenario: Scenario) -> None:
        same = scenario.model_copy(update={"baseline": scenario.design})
        assert (sim.run_scenario(same).paired()["net_lift"] == 0.0).all()

    def test_decision_rules_on_all_partners_equal_the_rules_one_at_a_time(
        self, scenario: Scenario, archetype: str
    ) -> None:
        world = sim.build_world(scenario, 0)
        cls, traits, n = ARCHETYPES[archetype], world.traits, world.partners
        rng = np.random.default_rng(8)
        signal, engagement, stock = rng.uniform(-0.02, 0.1, n), rng.random(n), rng.random(n)
        status = rng.integers(0, 3, n).astype(np.int8)
        strength, habituation = rng.uniform(0, 3, n), rng.uniform(0, 4, n)
        calls = {
            "choose_effort": (signal, engagement, stock),
            "activity_multiplier": (engagement, status),
            "nudge_response": (strength, habituation),
            "opt_out_probability": (strength > 1, habituation),
        }
        for rule, arrays in calls.items():
            together = getattr(cls, rule)(traits, slice(0, n), *arrays)
            for row in range(n):
                alone = getattr(cls, rule)(
                    traits, slice(row, row + 1), *(a[row : row + 1] for a in arrays)
                )
                np.testing.assert_allclose(
                    np.ravel(alone),
                    np.ravel(np.asarray(together)[..., row]),
                    rtol=1e-12,
                    err_msg=rule,
                )

    def test_money_flows_are_never_negative(self, scenario: Scenario) -> None:
        state = sim.PartnerProgramModel(scenario).run().state
        for name in ("rewards", "contact_cost", "program_cost", "discounts"):
            assert (getattr(state, name) >= 0).all(), name
