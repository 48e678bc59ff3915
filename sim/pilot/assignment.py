"""Who is in a pilot and which arm each pilot partner gets.

* **Selection**: the pilot is the first ``n`` partners of a random permutation
  of the eligible partners, so pilots of different sizes in one world are
  nested (common random numbers across sizes in the planner).
* **Assignment** of the selected partners to arms (control is arm 0):

  - ``simple``: complete randomization; arm sizes are the allocation shares
    of ``n`` rounded by largest remainder;
  - ``stratified``: the same within every stratum (a combination of segment
    fields, e.g. archetype x size band), so each arm's count in a stratum is
    ``share * n_s`` rounded down or up (exact balance); strata left over with
    one spare partner give it to the arm furthest behind its overall share;
  - ``clustered``: whole clusters (regions) go to one arm, cluster counts
    rounded by largest remainder.

Every function takes the random generator it draws from (the pilot streams of
``(seed, replication)``), so an assignment is reproducible and independent of
everything else that runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sim.pilot.spec import Assignment, Eligibility
from sim.world.world import World

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
MATURITY = ("established", "new")


def segment_values(world: World, field: str) -> tuple[IntArray, list[str]]:
    """Each partner's code for one segment field, and the names of the codes."""
    if field == "archetype":
        return world.archetype.astype(np.int64), list(world.archetypes)
    if field == "size_band":
        return world.size_band.astype(np.int64), list(world.band_names)
    if field == "region":
        return world.region.astype(np.int64), list(world.region_names)
    if field == "maturity":
        return world.is_new.astype(np.int64), list(MATURITY)
    raise ValueError(f"unknown segment field {field!r}")


def segment_codes(world: World, fields: Sequence[str]) -> tuple[IntArray, list[str]]:
    """One code per partner for the combination of ``fields``, and a label per code.

    Labels join the field values with ``/``, e.g. ``reseller/large``.
    """
    codes = np.zeros(world.partners, dtype=np.int64)
    labels = [""]
    for field in fields:
        values, names = segment_values(world, field)
        codes = codes * len(names) + values
        labels = [f"{old}/{name}" if old else name for old in labels for name in names]
    return codes, labels


def eligible(world: World, rules: Eligibility) -> BoolArray:
    """Partners in the channel when the pilot starts that pass every filter of ``rules``.

    Recruits who join later cannot be assigned at the start.
    """
    mask = world.joined <= 0
    filters = (
        ("archetype", rules.archetypes),
        ("size_band", rules.size_bands),
        ("region", rules.regions),
        ("maturity", None if rules.maturity is None else [rules.maturity]),
    )
    for field, allowed in filters:
        if allowed is not None:
            values, names = segment_values(world, field)
            mask &= np.isin(values, [names.index(a) for a in allowed if a in names])
    return mask


def selection_order(mask: BoolArray, rng: np.random.Generator) -> IntArray:
    """The eligible rows in random order; a pilot of ``n`` partners is the first ``n``."""
    return rng.permutation(np.flatnonzero(mask)).astype(np.int64)


def allocation_counts(n: int, shares: Sequence[float], rng: np.random.Generator) -> IntArray:
    """Split ``n`` units by ``shares`` (largest remainder; ties broken at random)."""
    exact = np.asarray(shares, dtype=np.float64) * n
    counts = np.floor(exact).astype(np.int64)
    left = n - int(counts.sum())
    if left:
        order = np.lexsort((rng.random(exact.size), -(exact - counts)))
        counts[order[:left]] += 1
    return counts


def simple(n: int, shares: Sequence[float], rng: np.random.Generator) -> IntArray:
    """Complete randomization of ``n`` units to arms."""
    counts = allocation_counts(n, shares, rng)
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def stratified(strata: IntArray, shares: Sequence[float], rng: np.random.Generator) -> IntArray:
    """Complete randomization within each stratum, with exact balance.

    In every stratum of ``n_s`` units, arm ``a`` gets ``floor(share_a * n_s)``
    or one more. The spare units of a stratum go to the arms furthest behind
    their share over the strata done so far (strata in random order), which
    keeps the overall arm sizes within one unit of their shares too.
    """
    share = np.asarray(shares, dtype=np.float64)
    arms = np.empty(strata.size, dtype=np.int64)
    behind = np.zeros(share.size)
    for code in rng.permutation(np.unique(strata)):
        members = np.flatnonzero(strata == code)
        exact = share * members.size
        counts = np.floor(exact).astype(np.int64)
        left = members.size - int(counts.sum())
        if left:
            order = np.lexsort((rng.random(share.size), -(behind + exact - counts)))
            counts[order[:left]] += 1
        behind += exact - counts
        arms[rng.permutation(members)] = np.repeat(np.arange(share.size), counts)
    return arms


def clustered(clusters: IntArray, shares: Sequence[float], rng: np.random.Generator) -> IntArray:
    """Whole clusters to arms, cluster counts by largest remainder.

    Raises:
        ValueError: fewer clusters than two per arm among the units.
    """
    present = np.unique(clusters)
    if present.size < 2 * len(shares):
        raise ValueError(
            f"clustered assignment needs at least 2 clusters per arm; the pilot has "
            f"{present.size} for {len(shares)} arms"
        )
    arm_of = np.zeros(int(present.max()) + 1, dtype=np.int64)
    arm_of[present] = simple(present.size, shares, rng)
    return arm_of[clusters]


def assign(
    spec: Assignment,
    world: World,
    rows: IntArray,
    shares: Sequence[float],
    rng: np.random.Generator,
) -> IntArray:
    """The arm of each pilot partner ``rows`` (0 = control), by the pilot's assignment."""
    if spec.type == "simple":
        return simple(rows.size, shares, rng)
    if spec.type == "stratified":
        return stratified(segment_codes(world, spec.strata)[0][rows], shares, rng)
    return clustered(world.region.astype(np.int64)[rows], shares, rng)
