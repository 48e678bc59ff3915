"""A world of some of another world's partners, each seeing exactly what it saw there.

Every partner keeps its traits, its opening pipeline, its history and the
random draws it reads, so a partner whose outcomes depend on nobody else's
(no leaderboard, budget or manager capacity it shares) has the same outcomes
alone as in the whole world. The contract tests use this as the scalar
reference of the vectorized engine: one partner at a time.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import numpy.typing as npt

from agents import Traits
from sim.world.layout import Layout
from sim.world.pipeline import DealTerms
from sim.world.state import PartnerState
from sim.world.world import World

IntArray = npt.NDArray[np.int64]


def take_partners(world: World, rows: npt.ArrayLike) -> World:
    """The partners ``rows`` of an unstacked ``world``, as a world of their own."""
    if not world.layout.reads_own_draws:
        raise ValueError("partners can be taken from one whole world only")
    rows = np.sort(np.unique(np.asarray(rows, dtype=np.int64)))
    present = [
        code for code in range(len(world.archetypes)) if (world.archetype[rows] == code).any()
    ]
    counts = tuple(int((world.archetype[rows] == code).sum()) for code in present)
    layout = Layout(counts, drawn_rows=tuple(rows.tolist()), drawn_for=world.partners)
    recode = np.zeros(len(world.archetypes), dtype=np.int8)
    recode[present] = np.arange(len(present))
    taken = {f.name: getattr(world.start, f.name)[rows] for f in fields(world.start) if f.init}
    terms = DealTerms(**{f.name: getattr(world.terms, f.name)[rows] for f in fields(world.terms)})
    return replace(
        world,
        archetypes=[world.archetypes[c] for c in present],
        classes=[world.classes[c] for c in present],
        layout=layout,
        traits=Traits({name: getattr(world.traits, name)[rows] for name in world.traits.names}),
        archetype=recode[world.archetype[rows]],
        size=world.size[rows],
        region=world.region[rows],
        is_new=world.is_new[rows],
        joined=world.joined[rows],
        size_band=world.size_band[rows],
        base_rate=world.base_rate[rows],
        deal_value=world.deal_value[rows],
        terms=terms,
        pipeline=world.pipeline.take(rows, [(s, w) for s, w in _rings(world, layout, present)]),
        start=PartnerState(**taken),
        responder=world.responder[rows],
        prior_revenue=world.prior_revenue[:, rows],
    )


def _rings(world: World, layout: Layout, present: list[int]) -> list[tuple[slice, int]]:
    """Each taken archetype's new rows, with the length of its ring in ``world``."""
    lengths = {ring.rows.start: ring.weeks for ring in world.pipeline.rings}
    return [
        (rows, lengths[world.slices[code].start])
        for rows, code in zip(layout.slices, present, strict=True)
    ]
