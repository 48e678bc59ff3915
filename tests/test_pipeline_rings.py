"""Per-block pipeline rings (sim/pipeline.py) hold exactly what one long ring would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.pipeline import Opportunities, Pipeline
from sim.world import ring_weeks, stack_world
from tests.helpers import load_small

BLOCKS = [(slice(0, 5), 10), (slice(5, 8), 20), (slice(8, 12), 30)]
N = 12


def one_week(rng: np.random.Generator) -> Opportunities:
    """At most one arrival per partner, each closing within its block's ring."""
    rows = np.flatnonzero(rng.random(N) < 0.6)
    longest = np.array([weeks for rows_, weeks in BLOCKS for _ in range(rows_.stop - rows_.start)])
    return Opportunities(
        rows=rows,
        value=rng.uniform(100, 1000, rows.size),
        cycle=rng.integers(0, longest[rows]),
        won=rng.random(rows.size) < 0.5,
        win_rate=rng.uniform(0.1, 0.9, rows.size),
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), weeks=st.integers(1, 40))
def test_block_rings_equal_one_long_ring(seed: int, weeks: int) -> None:
    rng = np.random.default_rng(seed)
    long, blocks = Pipeline(N, 30), Pipeline(N, 30, BLOCKS)
    for week in range(weeks):
        new = one_week(rng)
        long.add(week, new)
        blocks.add(week, new)
        for last in (week, week + 12, week + 51):
            for a, b in zip(long.outlook(week, last), blocks.outlook(week, last), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_array_equal(long.due(week + 1), blocks.due(week + 1))
        share = rng.random(N) * (rng.random() < 0.3)
        long.move(share, week + 1, week, 0.9)
        blocks.move(share, week + 1, week, 0.9)
        np.testing.assert_array_equal(long.close(week), blocks.close(week))
        np.testing.assert_allclose(long.open_expected, blocks.open_expected, rtol=1e-12)


def test_each_archetype_gets_a_ring_as_long_as_its_cycles() -> None:
    scenario = load_small("base")
    world = sim.build_world(scenario, 0)
    for ring, archetype, rows in zip(
        world.pipeline.rings, world.archetypes, world.slices, strict=True
    ):
        assert ring.rows == rows
        assert ring.weeks == ring_weeks(scenario.archetype_params(archetype).cycle_weeks_max)
    lengths = [ring.weeks for ring in world.pipeline.rings]
    assert min(lengths) < max(lengths) == world.pipeline.ring_weeks  # resellers hold less


def test_a_stacked_world_keeps_each_archetype_in_its_ring() -> None:
    world = sim.build_world(load_small("base"), 0)
    stacked = stack_world(world, 2)
    for ring, rows, source in zip(
        stacked.pipeline.rings, stacked.slices, world.pipeline.rings, strict=True
    ):
        assert ring.rows == rows
        np.testing.assert_array_equal(ring.expected, np.tile(source.expected, 2))
