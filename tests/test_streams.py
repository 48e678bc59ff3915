"""Common random numbers: named streams, weekly draw blocks and design-independent worlds."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import pytest
from helpers import SMALL, design_scenario, email, every_purpose, ladder, load_small, world_rows
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.world.streams import Distribution, WeeklyDraws, purpose_key, stream

UNIFORM: Distribution = "uniform"
#: Every purpose a run can draw: the engine's, the market's and every lever's.
EVERY_PURPOSE = every_purpose()
TWO: dict[str, Distribution] = {"arrival": "uniform", "deal_value": "normal"}


def assert_same(a, b, path="world"):
    """Recursive equality of worlds: arrays bit for bit, dataclasses and objects field by field."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), path
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            if not f.compare:  # a cache, not part of what the object is
                continue
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), path
        assert vars(a).keys() == vars(b).keys(), path
        for key in vars(a):
            assert_same(vars(a)[key], vars(b)[key], f"{path}.{key}")
    else:
        assert a == b, path


# -- streams -------------------------------------------------------------------------------


def test_stream_is_a_pure_function_of_seed_replication_and_purpose():
    first = stream(3, 1, "a").random(8)
    stream(3, 1, "b").random(100)  # another purpose in use changes nothing
    stream(3, 2, "a").random(100)
    np.testing.assert_array_equal(stream(3, 1, "a").random(8), first)
    assert not np.array_equal(stream(3, 1, "b").random(8), first)
    assert not np.array_equal(stream(3, 2, "a").random(8), first)
    assert not np.array_equal(stream(4, 1, "a").random(8), first)


def test_purpose_key_is_crc32_not_the_salted_hash():
    assert purpose_key("population") == zlib.crc32(b"population")
    assert purpose_key("week.arrival") == zlib.crc32(b"week.arrival")


def test_adding_a_purpose_does_not_shift_existing_streams():
    everything = EVERY_PURPOSE
    fewer = {p: everything[p] for p in ("arrival", "cycle", "win", "deal_value", "churn")}
    old, new = WeeklyDraws(9, 2, 50, purposes=fewer), WeeklyDraws(9, 2, 50, purposes=everything)
    for _ in range(3):
        a, b = old.next_week(), new.next_week()
        assert set(a) == set(fewer) and set(b) == set(everything)
        for purpose in a:
            np.testing.assert_array_equal(a[purpose], b[purpose], err_msg=purpose)


def test_purpose_order_does_not_matter():
    forward = WeeklyDraws(9, 2, 10, purposes=dict.fromkeys(("win", "arrival", "opt_out"), UNIFORM))
    backward = WeeklyDraws(9, 2, 10, purposes=dict.fromkeys(("opt_out", "arrival", "win"), UNIFORM))
    a, b = forward.next_week(), backward.next_week()
    for purpose in a:
        np.testing.assert_array_equal(a[purpose], b[purpose])


def test_unknown_distribution_is_an_error():
    with pytest.raises(ValueError, match="unknown distributions"):
        WeeklyDraws(1, 0, 3, purposes={"arrival": "uniform", "horoscope": "tarot"})  # type: ignore[dict-item]


def test_normals_are_standard_and_uniforms_in_unit_interval():
    draws = WeeklyDraws(1, 0, 20_000, EVERY_PURPOSE)
    block = draws.next_week()
    for purpose in [p for p, kind in EVERY_PURPOSE.items() if kind == "uniform"]:
        assert block[purpose].min() >= 0 and block[purpose].max() < 1
    z = block["deal_value"]
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


# -- worlds ------------------------------------------------------------------------------


def test_world_does_not_depend_on_the_design():
    a = load_small("quickstart")
    b = design_scenario(
        ladder([(0, 0.0), (1e5, 0.5)], basis="marginal"), email(every_weeks=1), partners=SMALL
    )
    b = b.model_copy(update={"baseline": a.baseline, "seed": a.seed})
    assert a.world_key() == b.world_key()
    for replication in (0, 3):
        assert_same(sim.build_world(a, replication), sim.build_world(b, replication))


def test_world_depends_on_seed_and_replication():
    sc = load_small("quickstart")
    base = sim.build_world(sc, 0)
    for other in (sim.build_world(sc, 1), sim.build_world(sc, 0, seed=sc.seed + 1)):
        assert not np.array_equal(base.size, other.size)


def test_running_an_arm_does_not_modify_the_shared_world():
    sc = load_small("quickstart")
    world = sim.build_world(sc, 2)
    sim.PartnerProgramModel(sc, arm="design", replication=2, world=world).run()
    sim.PartnerProgramModel(sc, arm="baseline", replication=2, world=world).run()
    assert_same(world, sim.build_world(sc, 2))


def test_model_with_a_shared_world_equals_model_drawing_its_own():
    sc = load_small("quickstart")
    shared = sim.PartnerProgramModel(
        sc, arm="design", replication=1, world=sim.build_world(sc, 1)
    ).run()
    own = sim.PartnerProgramModel(sc, arm="design", replication=1).run()
    np.testing.assert_array_equal(shared.state.revenue, own.state.revenue)
    np.testing.assert_array_equal(shared.series, own.series)


def test_world_rows_are_sorted_by_archetype():
    world = sim.build_world(load_small("quickstart"), 0)
    assert world.archetypes == ["reseller", "integrator", "alliance"]
    assert np.all(np.diff(world.archetype) >= 0)
    rows = world_rows(load_small("quickstart"))
    assert [s.stop - s.start for s in world.slices] == [rows[a] for a in world.archetypes]
    # within each archetype, the partners of week 0 come first, then the recruits by join week
    for rows_of_archetype in world.slices:
        joined = world.joined[rows_of_archetype]
        recruits = joined[joined > 0]
        assert np.all(joined[: joined.size - recruits.size] <= 0)
        assert np.all(np.diff(recruits) >= 0)


@pytest.mark.parametrize("replication", [0, 1])
def test_population_is_the_same_for_any_population_draw_order(replication):
    """The world is drawn from (seed, replication) only: rebuilding it in another order agrees."""
    sc = load_small("base")
    later = sim.build_world(sc, replication + 5)
    first = sim.build_world(sc, replication)
    assert_same(first, sim.build_world(sc, replication))
    assert not np.array_equal(first.size, later.size)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.integers(0, 29), min_size=1, max_size=80))
def test_draws_gathered_onto_rows_are_the_drawn_rows(rows: list[int]) -> None:
    gathered = WeeklyDraws(3, 1, 30, purposes=TWO, rows=np.array(rows))
    drawn = WeeklyDraws(3, 1, 30, purposes=TWO)
    for _ in range(15):  # past the first chunk of weeks
        mine, theirs = gathered.next_week(), drawn.next_week()
        for purpose in ("arrival", "deal_value"):
            np.testing.assert_array_equal(mine[purpose], theirs[purpose][rows])
