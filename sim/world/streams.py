"""Named random streams: one generator per (root seed, replication, purpose).

Every random decision in the model draws from its own stream, derived with
``numpy.random.SeedSequence`` from the root seed, the replication index and a
stable hash of the decision's name. Consequences:

* a replication's draws do not depend on how many jobs run or in which order;
* both arms of a replication draw the same numbers (common random numbers),
  because every stream yields one fixed-size block per week, indexed by
  partner row, whatever the design does with it;
* adding a new purpose leaves every existing stream untouched.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.world.layout import runs

FloatArray = npt.NDArray[np.float64]
#: How a purpose's numbers are distributed: uniform on [0, 1), or standard normal.
Distribution = Literal["uniform", "normal"]
#: This week's numbers of every purpose, by purpose name, over partner rows.
Draws = Mapping[str, FloatArray]

#: Random numbers drawn ahead, at most, per chunk of weeks (all purposes): 8 MB.
CHUNK_NUMBERS = 1_000_000
#: Weeks drawn ahead, at most.
MAX_CHUNK_WEEKS = 13


def purpose_key(purpose: str) -> int:
    """A stable 32-bit key for a purpose name (CRC-32, identical across runs)."""
    return zlib.crc32(purpose.encode("utf-8"))


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose of one replication."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, purpose_key(purpose)))
    return np.random.Generator(np.random.PCG64(sequence))


class WeeklyDraws:
    """Per-week blocks of uniforms and normals, one block per purpose per week.

    Each purpose yields exactly one array of ``n`` numbers per week, so draw
    ``i`` of week ``t`` belongs to partner row ``i`` in every arm. Decisions
    are taken as ``u < p``: a design that changes ``p`` flips only the
    partners near the margin. A run draws only the purposes it uses
    (``purposes``: name -> distribution); since each purpose has its own
    generator, an arm that skips one (no deal registration, say) leaves the
    others' numbers unchanged.

    With several replications (a joined world, ``sim.world.stacking``),
    each has its own generators and its ``n`` numbers of a week follow the
    previous replication's, so each reads exactly what it reads alone;
    ``rows`` then says which of those numbers each partner row reads.
    """

    def __init__(
        self,
        seed: int,
        replication: int | Sequence[int],
        n: int,
        purposes: Mapping[str, Distribution],
        prefix: str = "week",
        rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.n = n
        self.purposes = dict(purposes)
        unknown = {d for d in self.purposes.values()} - {"uniform", "normal"}
        if unknown:
            raise ValueError(f"unknown distributions {sorted(unknown)}")
        # Several replications (a joined world) read their blocks laid end to end.
        replications = list(replication) if isinstance(replication, Sequence) else [replication]
        self._generators = {
            purpose: [stream(seed, r, f"{prefix}.{purpose}") for r in replications]
            for purpose in self.purposes
        }
        self.week = -1
        self._copies = _copies(n, len(replications), rows)
        # Weeks drawn at once per purpose: as many as fit in CHUNK_NUMBERS (at least one).
        width = n * len(replications) if rows is None else rows.size
        per_week = max(width * len(self.purposes), 1)
        self._chunk = max(1, min(MAX_CHUNK_WEEKS, CHUNK_NUMBERS // per_week))
        self._ahead: dict[str, FloatArray] = {}
        self._served = self._chunk  # weeks of ``_ahead`` served so far

    def next_week(self) -> dict[str, FloatArray]:
        """The next week's block for every purpose (arrays over partner rows).

        A chunk of weeks is drawn at once per purpose, the same numbers as
        week by week, and served a week at a time: fewer, larger numpy calls.
        The arrays are views of the chunk; read them, do not write to them.
        """
        if self._served == self._chunk:
            self._draw_ahead()
        self.week += 1
        week, self._served = self._served, self._served + 1
        return {purpose: block[week] for purpose, block in self._ahead.items()}

    def _draw_ahead(self) -> None:
        """Draw the next chunk of weeks for every purpose, placed onto the rows."""
        ahead = {}
        for purpose, generators in self._generators.items():
            drawn = np.empty((len(generators), self._chunk, self.n))
            for generator, block in zip(generators, drawn, strict=True):
                if self.purposes[purpose] == "normal":
                    generator.standard_normal(out=block)
                else:
                    generator.random(out=block)
            ahead[purpose] = self._placed(drawn)
        self._ahead, self._served = ahead, 0

    def _placed(self, blocks: FloatArray) -> FloatArray:
        """Each replication's block ``[weeks, n]`` copied onto the rows that read it."""
        if self._copies is None:
            return blocks[0]
        return np.concatenate([blocks[r][:, source] for r, source in self._copies], axis=1)


def _copies(
    n: int, replications: int, rows: npt.NDArray[np.int64] | None
) -> list[tuple[int, slice]] | None:
    """Where the rows' draws come from: (replication, its columns), by run of rows, in order.

    ``rows`` index the replications' draws laid end to end (all of them, in
    order, if ``None``); a stacked world's rows are a few runs of consecutive
    indices, one per archetype and copy. ``None`` when the draws are read as drawn.
    """
    if rows is None:
        if replications == 1:
            return None
        rows = np.arange(n * replications)
    copies = []
    for piece in runs(rows):
        start = piece.start
        while start < piece.stop:  # a run can span the end of one replication's draws
            replication = start // n
            stop = min(piece.stop, (replication + 1) * n)
            first = replication * n
            copies.append((replication, slice(start - first, stop - first)))
            start = stop
    return copies
