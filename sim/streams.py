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
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from sim.indexing import runs

FloatArray = npt.NDArray[np.float64]

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
    partners near the margin. A run draws only the purposes it uses; since
    each purpose has its own generator, an arm that skips one (no deal
    registration, say) leaves the others' numbers unchanged.

    With several replications (a joined world, ``sim.world.join_worlds``),
    each has its own generators and its ``n`` numbers of a week follow the
    previous replication's, so each reads exactly what it reads alone.

    Purposes named ``sparse`` are read at a few rows a week only (the
    partners with a new opportunity, say). When the draws must be laid onto
    the rows (joined or stacked worlds), those are served as :class:`AtRows`,
    which gather the rows asked for, instead of being copied onto every row.
    """

    #: Every purpose and its distribution; a run draws only those it uses.
    PURPOSES = {
        "arrival": "uniform",
        "cycle": "uniform",
        "win": "uniform",
        "deal_value": "normal",
        "churn": "uniform",
        "opt_out": "uniform",
        "register": "uniform",
        "conflict": "uniform",
        "certify": "uniform",
        "mdf_claim": "uniform",
        "return": "uniform",
    }

    def __init__(
        self,
        seed: int,
        replication: int | Sequence[int],
        n: int,
        prefix: str = "week",
        purposes: tuple[str, ...] | None = None,
        rows: npt.NDArray[np.int64] | None = None,
        sparse: tuple[str, ...] = (),
    ) -> None:
        self.n = n
        self.rows = rows  # gather each block onto these rows (a stacked world's copies)
        chosen = tuple(self.PURPOSES) if purposes is None else purposes
        unknown = set(chosen) - set(self.PURPOSES)
        if unknown:
            raise ValueError(f"unknown random purposes {sorted(unknown)}")
        self.UNIFORM = tuple(p for p in chosen if self.PURPOSES[p] == "uniform")
        self.NORMAL = tuple(p for p in chosen if self.PURPOSES[p] == "normal")
        # Several replications (a joined world) read their blocks laid end to end.
        replications = list(replication) if isinstance(replication, Sequence) else [replication]
        self._generators = {
            purpose: [stream(seed, r, f"{prefix}.{purpose}") for r in replications]
            for purpose in chosen
        }
        self.week = -1
        self._copies = _copies(n, len(replications), rows)
        # Weeks drawn at once per purpose: as many as fit in CHUNK_NUMBERS (at least one).
        width = n * len(replications) if rows is None else rows.size
        self._chunk = max(1, min(MAX_CHUNK_WEEKS, CHUNK_NUMBERS // max(width * len(chosen), 1)))
        self._ahead: dict[str, FloatArray] = {}  # dense purposes, placed onto the rows
        self._chunks: dict[str, FloatArray] = {}  # sparse purposes, as drawn
        self._served = self._chunk  # weeks of ``_ahead`` served so far
        # Sparse purposes, when the draws are laid onto rows: each row's draw in a chunk
        # ``[replications, weeks, n]`` is at ``_offset[row] + week x n``.
        self._sparse = tuple(p for p in sparse if p in chosen) if self._copies is not None else ()
        if self._sparse:
            source = np.arange(n * len(replications)) if rows is None else rows
            self._offset = (source // n) * (self._chunk * n) + source % n

    def next_week(self) -> dict[str, FloatArray | AtRows]:
        """The next week's block for every purpose (arrays over partner rows).

        A chunk of weeks is drawn at once per purpose, the same numbers as
        week by week, and served a week at a time: fewer, larger numpy calls.
        The arrays are views of the chunk; read them, do not write to them.
        Sparse purposes may come as :class:`AtRows`: index them by rows.
        """
        if self._served == self._chunk:
            self._draw_ahead()
        self.week += 1
        week, self._served = self._served, self._served + 1
        served: dict[str, FloatArray | AtRows] = {
            purpose: block[week] for purpose, block in self._ahead.items()
        }
        for purpose in self._sparse:
            served[purpose] = AtRows(self._chunks[purpose], self._offset, week * self.n)
        return served

    def next_weeks(self, weeks: int) -> dict[str, FloatArray]:
        """The next ``weeks`` weeks at once (arrays ``[weeks, partner rows]``).

        The numbers are those that ``weeks`` calls of :meth:`next_week` give.
        """
        blocks = [self.next_week() for _ in range(weeks)]
        return {p: np.stack([block[p][:] for block in blocks]) for p in self._generators}

    def _draw_ahead(self) -> None:
        """Draw the next chunk of weeks for every purpose, placed onto the rows.

        Sparse purposes stay as drawn, ``[replications, weeks, n]``, for :class:`AtRows`.
        """
        ahead, chunks = {}, {}
        for purpose, generators in self._generators.items():
            drawn = np.empty((len(generators), self._chunk, self.n))
            for generator, block in zip(generators, drawn, strict=True):
                if purpose in self.NORMAL:
                    generator.standard_normal(out=block)
                else:
                    generator.random(out=block)
            if purpose in self._sparse:
                chunks[purpose] = drawn.reshape(-1)
            else:
                ahead[purpose] = self._placed(drawn)
        self._ahead, self._chunks, self._served = ahead, chunks, 0

    def _placed(self, blocks: FloatArray) -> FloatArray:
        """Each replication's block ``[weeks, n]`` copied onto the rows that read it."""
        if self._copies is None:
            return blocks[0]
        return np.concatenate([blocks[r][:, source] for r, source in self._copies], axis=1)


class AtRows:
    """One week's draws of a sparse purpose, gathered for the rows asked for.

    ``drawn[offset[row] + shift]`` is partner row ``row``'s draw: indexing
    with rows (an index array or a slice) gives exactly what the placed
    array would hold at those rows.
    """

    def __init__(self, drawn: FloatArray, offset: npt.NDArray[np.int64], shift: int) -> None:
        self._drawn, self._offset, self._shift = drawn, offset, shift

    def __getitem__(self, rows: npt.NDArray[np.intp] | slice) -> FloatArray:
        return self._drawn[self._offset[rows] + self._shift]


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
