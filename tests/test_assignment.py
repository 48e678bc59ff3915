"""Pilot selection and assignment: exact balance, whole clusters, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import load_small
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.pilot.assignment import (
    allocation_counts,
    clustered,
    eligible,
    segment_codes,
    selection_order,
    simple,
    stratified,
)
from sim.pilot.spec import Eligibility


def balanced(counts: np.ndarray, shares: np.ndarray) -> bool:
    """Every arm's count within one unit of its share of the total."""
    return bool(np.all(np.abs(counts - shares * counts.sum()) < 1.0))


@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=12),
    arms=st.sampled_from([[0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0.25] * 4, [0.3, 0.7]]),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_assignment_balances_every_stratum_exactly(
    sizes: list[int], arms: list[float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    strata = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    shares = np.array(arms)
    assigned = stratified(strata, shares, rng)
    for code in range(len(sizes)):
        counts = np.bincount(assigned[strata == code], minlength=len(arms))
        assert balanced(counts, shares), (code, counts)


@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=12),
    arms=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_assignment_keeps_equal_arms_balanced_overall(
    sizes: list[int], arms: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    strata = np.repeat(np.arange(len(sizes)), sizes)
    shares = np.full(arms, 1.0 / arms)
    assigned = stratified(strata, shares, rng)
    assert balanced(np.bincount(assigned, minlength=arms), shares)


@given(n=st.integers(0, 500), seed=st.integers(0, 2**32 - 1))
def test_allocation_counts_round_by_largest_remainder(n: int, seed: int) -> None:
    shares = np.array([0.2, 0.3, 0.5])
    counts = allocation_counts(n, shares, np.random.default_rng(seed))
    assert counts.sum() == n
    assert balanced(counts, shares) or n == 0


def test_simple_assignment_is_a_reproducible_complete_randomization() -> None:
    first = simple(101, [0.5, 0.5], np.random.default_rng(3))
    again = simple(101, [0.5, 0.5], np.random.default_rng(3))
    assert np.array_equal(first, again)
    assert sorted(np.bincount(first).tolist()) == [50, 51]
    assert not np.array_equal(first, simple(101, [0.5, 0.5], np.random.default_rng(4)))


def test_clustered_assignment_keeps_each_cluster_whole() -> None:
    rng = np.random.default_rng(0)
    clusters = rng.integers(0, 6, 300)
    arms = clustered(clusters, [0.5, 0.5], rng)
    for code in range(6):
        assert len(set(arms[clusters == code])) == 1
    per_arm = [len(set(clusters[arms == a])) for a in (0, 1)]
    assert per_arm == [3, 3]
    with pytest.raises(ValueError, match="at least 2 clusters per arm"):
        clustered(np.repeat([0, 1, 2], 10), [0.5, 0.5], rng)


def test_eligibility_filters_by_segment_fields() -> None:
    scenario = load_small("base")
    world = sim.build_world(scenario, 0)
    resellers = eligible(world, Eligibility(archetypes=["reseller"]))
    assert resellers.sum() == 30
    large_new = eligible(world, Eligibility(size_bands=["large"], maturity="new"))
    assert np.all(world.is_new[large_new])
    assert np.all(world.size_band[large_new] == world.band_names.index("large"))
    everyone = eligible(world, Eligibility())
    # every partner in the channel at the start; recruits who join later cannot be assigned
    np.testing.assert_array_equal(everyone, world.joined <= 0)
    assert (world.joined > 0).any()


def test_segment_codes_label_each_combination() -> None:
    world = sim.build_world(load_small("base"), 0)
    codes, labels = segment_codes(world, ["archetype", "size_band"])
    assert len(labels) == len(world.archetypes) * len(world.band_names)
    first = world.archetypes[world.archetype[0]] + "/" + world.band_names[world.size_band[0]]
    assert labels[codes[0]] == first


def test_selection_order_is_a_permutation_of_the_eligible_rows() -> None:
    mask = np.zeros(50, dtype=bool)
    mask[::3] = True
    order = selection_order(mask, np.random.default_rng(1))
    assert sorted(order.tolist()) == np.flatnonzero(mask).tolist()
