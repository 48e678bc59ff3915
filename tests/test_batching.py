"""Replications run in batches (sim.runs.runner.run_replications, sim.world.stacking.stack_worlds).

A batch joins several replications' worlds and random draws into one
vectorized pass. Every replication's result must equal its run alone bit for
bit, including what partners share within one world: the program budget,
manager capacity and leaderboard places.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
from helpers import SCENARIOS, load_small

import sim
import sim.runs.runner
from sim.runs.runner import BATCH_ROWS, batches, run_replication, run_replications
from sim.world.stacking import stack_worlds

ARM_FIELDS = ("totals", "series", "quarterly_active_share", "top20_revenue_share", "tiers")


def assert_same_output(alone: sim.runs.runner.ReplicationOutput, batched) -> None:
    assert alone.replication == batched.replication
    assert list(alone.arms) == list(batched.arms)
    for label, arm in alone.arms.items():
        for name in ARM_FIELDS:
            a, b = getattr(arm, name), getattr(batched.arms[label], name)
            if a is None:
                assert b is None, (label, name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"{label} {name}")


@pytest.mark.parametrize(
    "name", ["quickstart", "budget_capped", "manager_outreach", "recognition", "outcome_ladder"]
)
def test_a_batch_gives_each_replication_its_result_alone(name: str) -> None:
    spec = load_small(name)
    arms = {"baseline": spec.baseline, "design": spec.design}
    replications = [4, 0, 2]
    batched = run_replications(spec, arms, spec.seed, replications)
    for replication, output in zip(replications, batched, strict=True):
        assert_same_output(run_replication(spec, arms, spec.seed, replication), output)


def test_the_budget_binds_in_every_replication_of_a_batch() -> None:
    """A world's budget is its own: each replication of a batch spends exactly its budget."""
    spec = load_small("budget_capped", "design.guardrails.budget=2000")
    arms = {"design": spec.design}
    for output in run_replications(spec, arms, spec.seed, [0, 1, 2]):
        rewards = output.arms["design"].totals[:, sim.runs.runner.TOTALS.index("rewards")].sum()
        assert rewards == pytest.approx(2_000.0)


def test_results_do_not_depend_on_the_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_small("manager_outreach")
    whole = sim.run_scenario(spec, replications=4)
    monkeypatch.setattr(sim.runs.runner, "BATCH_ROWS", 1)  # one replication per batch
    alone = sim.run_scenario(spec, replications=4)
    assert whole.runs.equals(alone.runs)
    assert whole.timeseries.equals(alone.timeseries)


@pytest.mark.parametrize("jobs", [1, 2, -1])
def test_batches_split_the_replications_in_order(jobs: int) -> None:
    ids = [5, 1, 9, 3, 7, 0, 2]
    groups = batches(ids, partners=1_000, arms=2, jobs=jobs)
    assert [r for group in groups for r in group] == ids
    assert all(1 <= len(group) * 2_000 <= BATCH_ROWS for group in groups)
    if jobs != 1:
        assert len(groups) >= 2  # both workers get work
    assert batches(ids, partners=10**6, arms=2, jobs=1) == [[r] for r in ids]  # at least one


def test_a_joined_world_holds_each_world_in_its_blocks() -> None:
    spec = load_small("quickstart")
    worlds = [sim.build_world(spec, r) for r in (3, 1)]
    stacked = stack_worlds(worlds, 2)
    assert stacked.layout.copies == 4 and stacked.layout.replicas == 2
    n = worlds[0].partners
    for copy in range(4):
        rows = stacked.layout.copy == copy
        world = worlds[copy % 2]
        np.testing.assert_array_equal(stacked.size[rows], world.size)
        for name in world.traits.names:
            values = getattr(world.traits, name)
            np.testing.assert_array_equal(getattr(stacked.traits, name)[rows], values)
        np.testing.assert_array_equal(stacked.prior_revenue[:, rows], world.prior_revenue)
        np.testing.assert_array_equal(stacked.start.status[rows], world.start.status)
        np.testing.assert_array_equal(
            stacked.pipeline.open_expected[rows], world.pipeline.open_expected
        )
        np.testing.assert_array_equal(
            stacked.layout.source_row[rows] - (copy % 2) * n, np.arange(n)
        )
        np.testing.assert_array_equal(stacked.layout.replica[rows], copy % 2)
    for week in range(worlds[0].pipeline.ring_weeks):
        due = stacked.pipeline.due(week)
        for copy in range(4):
            np.testing.assert_array_equal(
                due[stacked.layout.copy == copy], worlds[copy % 2].pipeline.due(week)
            )


def test_a_model_refuses_a_world_of_other_replications() -> None:
    spec = load_small("quickstart")
    joined = stack_worlds([sim.build_world(spec, r) for r in (0, 1)], 1)
    with pytest.raises(ValueError, match="holds 2 replications"):
        sim.PartnerProgramModel(spec, replication=0, world=joined)
    with pytest.raises(ValueError, match="joined world"):
        sim.PartnerProgramModel(spec, replication=[0, 1])


def test_a_batch_frees_its_arrays_without_the_cyclic_collector() -> None:
    """A Mesa model sits in reference cycles; the runner releases its arrays itself."""
    spec = sim.load_scenario(SCENARIOS / "quickstart.yaml")
    arms = {"baseline": spec.baseline, "design": spec.design}
    run_replications(spec, arms, spec.seed, [0])  # warm-up: imports, caches
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run_replications(spec, arms, spec.seed, [1, 2])
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak - before > 10_000_000  # the batch's arrays, while it ran
    assert after - before < 0.05 * (peak - before)


def test_only_unstacked_worlds_are_joined_or_stacked() -> None:
    spec = load_small("quickstart")
    joined = stack_worlds([sim.build_world(spec, r) for r in (0, 1)], 1)
    with pytest.raises(ValueError, match="unstacked worlds"):
        stack_worlds([joined], 2)
