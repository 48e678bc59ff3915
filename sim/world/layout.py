"""Where each partner row sits: its archetype, and its block of one arm of one replication.

A world's rows are sorted by archetype, so each archetype is a contiguous
slice. To run several replications, and several arms of each, in one
vectorized pass, worlds are stacked (:func:`sim.world.stacking.stack_worlds`):
every archetype's slice is then cut into ``copies`` blocks of equal width,
one per (arm, replication), in the order arm 0's replications, then arm 1's,
and so on. Block ``c`` of an archetype belongs to replication ``c %
replicas`` and arm ``c // replicas``.

Levers see this layout through a small API: :attr:`Layout.blocks` (rows that
share an archetype's traits), :meth:`Layout.spans` (the blocks an audience
touches, joined), and :attr:`Layout.replica_rows` (the rows of each
replication: budgets and manager capacity are per world). Everything else
about batching stays here.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Layout:
    """The rows of ``copies`` blocks of a world with ``counts`` partners per archetype.

    Attributes:
        counts: partners of each archetype in one world, in row order.
        copies: blocks per archetype: (arm, replication) pairs stacked.
        replicas: replications joined; block ``c`` is replication ``c % replicas``.
    """

    counts: tuple[int, ...]
    copies: int = 1
    replicas: int = 1
    #: For a world of some of another world's partners (``sim.world.subset``): the row of
    #: that world's draws each partner reads, and how many partners it drew for.
    drawn_rows: tuple[int, ...] | None = None
    drawn_for: int | None = None

    @property
    def partners(self) -> int:
        """Partner rows in all blocks."""
        return sum(self.counts) * self.copies

    @property
    def world_size(self) -> int:
        """Partners in one world (one block of each archetype)."""
        return sum(self.counts)

    @property
    def draws_per_world(self) -> int:
        """Numbers each random purpose draws per week for one world."""
        return self.world_size if self.drawn_for is None else self.drawn_for

    @property
    def reads_own_draws(self) -> bool:
        """Whether row ``i`` reads draw ``i`` (one world, not a subset): no mapping needed."""
        return self.copies == 1 and self.drawn_rows is None

    def stacked(self, replicas: int, arms: int) -> Layout:
        """This one-world layout with ``replicas`` worlds joined, repeated for ``arms`` arms."""
        if self.copies != 1 or self.drawn_rows is not None:
            raise ValueError("only the layout of one whole world can be stacked")
        return Layout(self.counts, copies=replicas * arms, replicas=replicas)

    @functools.cached_property
    def slices(self) -> list[slice]:
        """Rows of each archetype (all its blocks)."""
        bounds = np.cumsum([0, *(count * self.copies for count in self.counts)]).tolist()
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    @functools.cached_property
    def blocks(self) -> list[slice]:
        """Rows of each (archetype, copy) block, in row order; traits are constant within one."""
        return [
            slice(rows.start + c * count, rows.start + (c + 1) * count)
            for rows, count in zip(self.slices, self.counts, strict=True)
            for c in range(self.copies)
        ]

    @functools.cached_property
    def starts(self) -> IntArray:
        """First row of each block, for ``np.add.reduceat``."""
        return np.array([block.start for block in self.blocks], dtype=np.int64)

    @functools.cached_property
    def copy(self) -> IntArray:
        """Which block copy (arm x replicas + replication) each row belongs to."""
        per_block = np.tile(np.arange(self.copies), len(self.counts))
        widths = np.repeat(np.array(self.counts, dtype=np.int64), self.copies)
        return np.repeat(per_block, widths)

    @functools.cached_property
    def replica(self) -> IntArray:
        """Which joined replication each row belongs to (all 0 for one world)."""
        return self.copy % self.replicas

    @functools.cached_property
    def replica_rows(self) -> list[BoolArray]:
        """Each joined replication's rows: partners compete, and budgets run out, within one."""
        if self.replicas == 1:
            return [np.ones(self.partners, dtype=bool)]
        return [self.replica == r for r in range(self.replicas)]

    def copy_rows(self, copy: int) -> BoolArray:
        """The rows of one block copy (one arm of one replication)."""
        return self.copy == copy

    @functools.cached_property
    def source_row(self) -> IntArray:
        """The random draw each row reads, in the replications' draws laid end to end.

        Partner ``i`` of the world at position ``r`` reads draw ``r * world_size
        + i``, whatever its arm; a subset's partners read the draws they read
        in their whole world.
        """
        if self.drawn_rows is not None:
            return np.array(self.drawn_rows, dtype=np.int64)
        firsts = np.cumsum([0, *self.counts[:-1]])
        pieces = [
            np.arange(first, first + count) + (c % self.replicas) * self.world_size
            for first, count in zip(firsts.tolist(), self.counts, strict=True)
            for c in range(self.copies)
        ]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)

    def spans(self, rows: BoolArray) -> list[slice]:
        """The blocks with a partner in ``rows``, touching ones of one archetype made one.

        A span shares its archetype's traits, so weekly arithmetic that needs
        them does one vectorized pass per span, however many arms and
        replications are stacked.
        """
        found = blocks_with(rows, self.blocks)
        spans: list[slice] = []
        for archetype in self.slices:
            spans += joined_slices(
                [b for b in found if archetype.start <= b.start < archetype.stop]
            )
        return spans


def blocks_with(rows: BoolArray, blocks: Sequence[slice]) -> list[slice]:
    """The ``blocks`` holding at least one of ``rows``."""
    if not blocks:
        return []
    starts = [b.start for b in blocks]
    tiled = starts[0] == 0 and all(a.stop == b.start for a, b in itertools.pairwise(blocks))
    if not tiled or blocks[-1].stop != rows.size:
        return [b for b in blocks if rows[b].any()]
    found = np.logical_or.reduceat(rows, starts)  # blocks that tile the rows: one pass
    return [b for b, hit in zip(blocks, found.tolist(), strict=True) if hit]


def runs(index: npt.NDArray[np.integer]) -> list[slice]:
    """``index`` as slices of consecutive indices, in order."""
    breaks = np.flatnonzero(np.diff(index) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, index.size]
    return [slice(int(index[a]), int(index[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


def joined_slices(pieces: list[slice]) -> list[slice]:
    """``pieces`` (in order, not overlapping) with each run of touching slices made one."""
    out: list[slice] = []
    for piece in pieces:
        if out and out[-1].stop == piece.start:
            out[-1] = slice(out[-1].start, piece.stop)
        else:
            out.append(piece)
    return out
