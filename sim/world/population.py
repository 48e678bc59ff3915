"""Who the partners are: sizes, regions, maturity and size bands, and when each joins.

The partners of week 0 are drawn from the stream ``population``; the
partners recruited during the horizon from the stream ``entry``, so adding
recruitment shifts none of the partners of week 0. Each archetype recruits
``entry_rate`` a year times its partners of week 0, in expectation: the
count over the horizon is that expectation, rounded (so every replication
has the same rows and replications can run in one pass), and each recruit's
join week is uniform over the horizon, as in a Poisson process given its
count; their sizes are lognormal like those of week 0, with median
``recruit_size`` (recruits are smaller firms, on average, than the
partners a program has kept). Recruits are laid after the partners of week 0 in the archetype's
rows; until its join week a recruit is a *prospect*: it sells nothing, earns
nothing and is contacted by no one. A partner's opportunity rate ramps up
from ``new_partner_activity`` to full over ``ramp_weeks`` after it joins
(:func:`ramp`); the partners of week 0 marked new (``population.new_share``)
joined during the ramp before week 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agents import PartnerParams
from sim.scenario.calendar import YEAR
from sim.scenario.schema import Population
from sim.world.streams import stream

FloatArray = npt.NDArray[np.float64]
#: The join week of the partners established before the program: long before any history.
ESTABLISHED = -1.0e9


@dataclass(frozen=True)
class Members:
    """One archetype's partners, those of week 0 first, then the recruits."""

    size: FloatArray  # relative firm size, median 1
    region: npt.NDArray[np.int8]
    is_new: npt.NDArray[np.bool_]
    joined: FloatArray  # week joined (``ESTABLISHED`` for partners before the ramp)
    size_band: npt.NDArray[np.int8]

    @property
    def count(self) -> int:
        """Partners, recruits included."""
        return self.size.size


def draw_members(
    population: Population,
    params: Sequence[PartnerParams],
    counts: Sequence[int],
    horizon: int,
    seed: int,
    replication: int,
) -> list[Members]:
    """Each archetype's partners of week 0 and its recruits over ``horizon`` weeks, in order."""
    shares = np.array(list(population.regions.values()))
    shares = shares / shares.sum()
    bands = np.array(list(population.size_bands.values()))
    cuts = np.cumsum(bands / bands.sum())[:-1]
    start, entry = stream(seed, replication, "population"), stream(seed, replication, "entry")
    # Sizes of every partner of week 0 first, then their regions and maturity (the
    # order the stream has always been read in).
    sizes = [
        np.exp(p.size_sigma * start.standard_normal(n)) for p, n in zip(params, counts, strict=True)
    ]
    regions = start.choice(len(shares), size=sum(counts), p=shares)
    new = start.random(sum(counts)) < population.new_share
    ramp_in = start.random(sum(counts))
    members, first = [], 0
    for p, n, size in zip(params, counts, sizes, strict=True):
        rows = slice(first, first + n)
        first += n
        joined = np.where(new[rows], -np.floor(ramp_in[rows] * p.ramp_weeks), ESTABLISHED)
        recruits = recruit_count(p, n, horizon)
        recruit_size = p.recruit_size * np.exp(p.size_sigma * entry.standard_normal(recruits))
        recruit_week = np.sort(entry.integers(1, max(horizon, 2), size=recruits)).astype(float)
        recruit_region = entry.choice(len(shares), size=recruits, p=shares)
        all_sizes = np.concatenate([size, recruit_size])
        members.append(
            Members(
                size=all_sizes,
                region=np.concatenate([regions[rows], recruit_region]).astype(np.int8),
                is_new=np.concatenate([new[rows], np.ones(recruits, dtype=bool)]),
                joined=np.concatenate([joined, recruit_week]),
                size_band=_size_bands(all_sizes, size, cuts),
            )
        )
    return members


def recruit_count(params: PartnerParams, partners: int, horizon: int) -> int:
    """Partners an archetype of ``partners`` recruits over ``horizon`` weeks (rounded)."""
    return round(params.entry_rate * partners * horizon / YEAR)


def _size_bands(sizes: FloatArray, reference: FloatArray, cuts: FloatArray) -> npt.NDArray[np.int8]:
    """Band of each size by its rank among the ``reference`` sizes (the partners of week 0)."""
    count = reference.size
    order = np.sort(reference)
    # A partner of week 0 is ranked at the middle of its place; a recruit where it would fall.
    rank = (np.searchsorted(order, sizes, side="left") + 0.5) / max(count, 1)
    return np.searchsorted(cuts, rank, side="right").astype(np.int8)


def ramp(
    week: float | npt.NDArray[np.number],
    joined: FloatArray,
    ramp_weeks: FloatArray,
    first: FloatArray,
) -> FloatArray:
    """Opportunity rate relative to full: 0 before joining, ``first`` on joining, 1 after the ramp.

    ``week`` is one week, or a column of weeks ``[weeks, 1]`` for ``[weeks, partners]``.
    """
    tenure = week - joined
    progress = np.clip(tenure / ramp_weeks, 0.0, 1.0)
    rate: FloatArray = (tenure >= 0) * (first + (1.0 - first) * progress)
    return rate
