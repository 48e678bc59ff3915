"""Several replications' worlds, and several arms of each, as one world run in one pass.

Numpy's per-call overhead dominates a week of a few thousand partners, so the
runner joins replications and repeats them once per arm: one vectorized pass
does them all, and each gives exactly the numbers it gives alone
(``tests/test_batching.py``). :class:`~sim.world.layout.Layout` says where
each block of rows sits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.world.pipeline import DealTerms, Pipeline
from sim.world.state import PartnerState
from sim.world.world import World


def stack_worlds(worlds: Sequence[World], copies: int) -> World:
    """Replications' worlds joined, then repeated ``copies`` times (one copy per arm), as one.

    Within each archetype's slice come arm 0's blocks, one per replication in
    order, then arm 1's, and so on: arm ``a``'s block of replication ``r`` is
    copy ``a * len(worlds) + r``. Every row is copied once, straight from its
    world, as runs of consecutive rows. One world and one copy is that world
    itself.
    """
    first, count = worlds[0], len(worlds)
    if count == copies == 1:
        return first
    if any(w.layout != first.layout or w.layout.copies != 1 for w in worlds):
        raise ValueError("only unstacked worlds of one population can be joined or stacked")
    layout = first.layout.stacked(count, copies)
    # (world, its rows) of each run of the result, in order
    pieces = [(r, s) for s in first.slices for _ in range(copies) for r in range(count)]

    def take(get: Callable[[World], npt.NDArray[Any]]) -> npt.NDArray[Any]:
        values = [get(w) for w in worlds]
        return np.concatenate([values[r][..., s] for r, s in pieces], axis=-1)

    starting_fields = [f for f in fields(first.start) if f.init]  # its money starts at zero
    return World(
        archetypes=first.archetypes,
        classes=first.classes,
        layout=layout,
        traits=first.traits.spread(first.slices, layout.slices),
        archetype=take(lambda w: w.archetype),
        size=take(lambda w: w.size),
        region=take(lambda w: w.region),
        region_names=first.region_names,
        is_new=take(lambda w: w.is_new),
        joined=take(lambda w: w.joined),
        size_band=take(lambda w: w.size_band),
        band_names=first.band_names,
        base_rate=take(lambda w: w.base_rate),
        deal_value=take(lambda w: w.deal_value),
        terms=DealTerms(
            deal_value=take(lambda w: w.terms.deal_value),
            value_sigma=take(lambda w: w.terms.value_sigma),
            win_rate=take(lambda w: w.terms.win_rate),
            cycle_min=take(lambda w: w.terms.cycle_min),
            cycle_max=take(lambda w: w.terms.cycle_max),
        ),
        pipeline=Pipeline.joined([w.pipeline for w in worlds], copies),
        start=PartnerState(
            **{f.name: take(partial(_starting, name=f.name)) for f in starting_fields}
        ),
        responder=take(lambda w: w.responder),
        prior_revenue=take(lambda w: w.prior_revenue),
    )


def _starting(world: World, name: str) -> npt.NDArray[Any]:
    """The starting state array ``name`` of ``world``."""
    values: npt.NDArray[Any] = getattr(world.start, name)
    return values
