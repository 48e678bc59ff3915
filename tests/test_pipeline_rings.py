"""Per-block pipeline rings (sim/world/pipeline.py) hold exactly what one long ring would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.world.pipeline import Opportunities, Pipeline, ring_weeks
from sim.world.stacking import stack_worlds
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
    stacked = stack_worlds([world], 2)
    for ring, rows, source in zip(
        stacked.pipeline.rings, stacked.slices, world.pipeline.rings, strict=True
    ):
        assert ring.rows == rows
        np.testing.assert_array_equal(ring.expected, np.tile(source.expected, 2))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ahead=st.integers(1, 9))
def test_pulling_several_weeks_in_equals_one_move_per_week(seed: int, ahead: int) -> None:
    rng = np.random.default_rng(seed)
    one_by_one = Pipeline(N, 30, BLOCKS)
    for week in range(12):
        one_by_one.add(week, one_week(rng))
    at_once = one_by_one.copy()
    week = 11
    shares = rng.random((ahead, N)) * (rng.random((ahead, N)) < 0.5)
    before = [one_by_one.due(week + j) for j in range(ahead + 1)]
    for j in range(ahead):
        one_by_one.move(shares[j], week + 1 + j, week)
    at_once.pull_in(shares, week, np.arange(N))
    for j in range(ahead + 1):
        np.testing.assert_allclose(at_once.due(week + j), one_by_one.due(week + j), rtol=1e-12)
    pulled = sum(s * b for s, b in zip(shares, before[1:], strict=True))
    np.testing.assert_allclose(at_once.due(week), before[0] + pulled, rtol=1e-12)
    np.testing.assert_allclose(at_once.open_expected, one_by_one.open_expected, rtol=1e-12)
    for week_ahead in range(week, week + 40):
        mine, theirs = at_once.outlook(week, week_ahead), one_by_one.outlook(week, week_ahead)
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


def test_a_block_outlook_is_its_rows_of_the_whole_outlook() -> None:
    rng = np.random.default_rng(5)
    pipeline = Pipeline(N, 30, BLOCKS)
    for week in range(15):
        pipeline.add(week, one_week(rng))
    for last in (14, 20, 27, 60):
        whole = pipeline.outlook(14, last)
        for rows in (slice(0, 5), slice(5, 8), slice(9, 12), slice(2, 4)):
            part = pipeline.outlook(14, last, rows)
            for a, b in zip(part, whole, strict=True):
                np.testing.assert_array_equal(a, b[rows])
