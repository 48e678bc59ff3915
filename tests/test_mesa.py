"""Mesa tooling on top of the vectorized model: agents, agents_by_type, DataCollector, batch_run."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from helpers import SMALL, load_small, world_rows

import agents
import sim


@pytest.fixture(scope="module")
def model():
    return sim.PartnerProgramModel(load_small("quickstart", "seed=2"), arm="design").run()


def test_one_agent_per_partner(model):
    # the partners of week 0 and the recruits of the horizon (prospects until they join)
    assert len(model.agents) == sum(world_rows(model.spec).values()) == model.world.partners
    assert sum(world_rows(model.spec).values()) > sum(SMALL.values())
    rows = sorted(agent.row for agent in model.agents)
    assert rows == list(range(model.world.partners))


def test_agents_by_type_has_the_archetype_classes_with_scenario_counts(model):
    by_type = model.agents_by_type
    assert set(by_type) == {agents.Reseller, agents.Integrator, agents.Alliance}
    rows = world_rows(model.spec)
    assert len(by_type[agents.Reseller]) == rows["reseller"]
    assert len(by_type[agents.Integrator]) == rows["integrator"]
    assert len(by_type[agents.Alliance]) == rows["alliance"]
    for cls, group in by_type.items():
        rows = model.world.slices[model.world.archetypes.index(cls.archetype)]
        assert all(rows.start <= agent.row < rows.stop for agent in group)


def test_agent_properties_read_the_state_arrays(model):
    state, world = model.state, model.world
    assert sum(agent.revenue for agent in model.agents) == pytest.approx(state.revenue.sum())
    for agent in model.agents:
        r = agent.row
        assert agent.revenue == state.revenue[r]
        assert agent.program_cost == state.program_cost[r]
        assert agent.engagement == state.engagement[r]
        assert agent.effort == state.effort[r]
        assert agent.size == world.size[r]
        assert agent.is_new == bool(world.is_new[r])
        assert agent.status in {"active", "dormant", "churned"}
        assert agent.size_band in world.band_names
        assert agent.region in world.region_names


def test_agents_are_views_not_copies():
    model = sim.PartnerProgramModel(load_small("quickstart", "seed=2"), arm="design")
    first = next(iter(model.agents))
    assert first.revenue == 0.0
    model.run()
    assert first.revenue == model.state.revenue[first.row]
    assert sum(a.revenue for a in model.agents) > 0


def test_datacollector_has_one_row_per_week(model):
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 52
    weekly_revenue = model.series[:, :, list(sim.SERIES).index("revenue")].sum(axis=1)
    np.testing.assert_allclose(frame["revenue"].to_numpy(), weekly_revenue, rtol=1e-9)
    assert frame["revenue"].sum() == pytest.approx(model.state.revenue.sum())


def test_batch_run_runs_both_arms_for_each_seed():
    scenario = load_small("quickstart")
    results = mesa.batch_run(
        sim.PartnerProgramModel,
        parameters={"scenario": scenario, "arm": ["baseline", "design"]},
        rng=[1, 2],
        max_steps=60,
        display_progress=False,
    )
    assert len(results) == 4
    assert sorted((r["arm"], r["rng"]) for r in results) == [
        ("baseline", 1), ("baseline", 2), ("design", 1), ("design", 2),
    ]  # fmt: skip
    # the model stops at its horizon even though batch_run allows 60 steps
    assert {r["Step"] for r in results} == {52}
    # CRN through batch_run: a run equals the same (seed, arm) run directly
    direct = sim.PartnerProgramModel(scenario, rng=2, arm="design").run()
    row = next(r for r in results if (r["arm"], r["rng"]) == ("design", 2))
    last_week = direct.series[-1, :, list(sim.SERIES).index("revenue")].sum()
    assert row["revenue"] == pytest.approx(last_week)


def test_rng_overrides_the_scenario_seed():
    scenario = load_small("quickstart", "seed=5")
    a = sim.PartnerProgramModel(scenario, rng=5).run()
    b = sim.PartnerProgramModel(scenario).run()
    c = sim.PartnerProgramModel(scenario, rng=6).run()
    np.testing.assert_array_equal(a.state.revenue, b.state.revenue)
    assert not np.array_equal(a.state.revenue, c.state.revenue)
