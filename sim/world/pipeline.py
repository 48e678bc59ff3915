"""Open deals, held as a ring of future close weeks by partner row.

Opportunities arrive as at most one bundle per partner per week (a Poisson
flow thinned to "any arrival", with the bundle's value scaled so the expected
value is preserved). Each bundle gets a sales cycle and a win/loss fate when it
arrives; it books revenue in its close week if won. Partners do not see fates,
only the expected value and its variance, which the effort rule uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Longest approval delay a deal registration may add to a cycle, weeks.
MAX_APPROVAL_WEEKS = 13


def ring_weeks(cycle_weeks_max: int) -> int:
    """Length of a pipeline ring: longer than any cycle plus any approval delay.

    At least 16 weeks, so deals can always be pulled forward by up to 13 weeks.
    """
    return cycle_weeks_max + MAX_APPROVAL_WEEKS + 2


@dataclass(frozen=True)
class Opportunities:
    """New opportunities, one entry per arrival (at most one per partner and week)."""

    rows: IntArray  # partner row of each arrival
    value: FloatArray  # list value, $
    cycle: IntArray  # weeks from arrival to close
    won: BoolArray  # fate, decided on arrival
    win_rate: FloatArray  # the win probability the fate was drawn with

    def where(self, keep: BoolArray) -> Opportunities:
        """The opportunities where ``keep``."""
        return Opportunities(
            rows=self.rows[keep],
            value=self.value[keep],
            cycle=self.cycle[keep],
            won=self.won[keep],
            win_rate=self.win_rate[keep],
        )


def arrivals(rate: FloatArray, u: FloatArray) -> tuple[tuple[IntArray, ...], FloatArray]:
    """Where a bundle arrives (``u < 1 - exp(-rate)``) and its expected deal count.

    Returns the ``np.nonzero`` index of arrivals and, for each, the mean number
    of deals given at least one, ``rate / P(arrival)``, which scales the
    bundle's value so that expected value per week is ``rate * deal value``.
    """
    # 1 - exp(-rate), with numpy's vectorized exp (expm1 has none: 2-3 times slower on large
    # arrays); expm1 keeps full precision where it matters, in the counts of arrivals.
    p_arrive = np.negative(rate)
    np.exp(p_arrive, out=p_arrive)
    np.subtract(1.0, p_arrive, out=p_arrive)
    flat = np.flatnonzero(u < p_arrive)  # flat positions are cheaper than an n-d index
    hit = np.take(rate, flat)
    count = hit / -np.expm1(-hit)
    index = divmod(flat, rate.shape[1]) if rate.ndim == 2 else (flat,)
    return index, count


@dataclass(frozen=True)
class DealTerms:
    """Per-partner deal economics: median deal value, its dispersion, win rate, cycle range."""

    deal_value: FloatArray
    value_sigma: FloatArray
    win_rate: FloatArray
    cycle_min: FloatArray
    cycle_max: FloatArray

    def open(
        self,
        rows: IntArray,
        count: FloatArray,
        z_value: FloatArray,
        u_cycle: FloatArray,
        u_win: FloatArray,
        win_rate: FloatArray | None = None,
        delay: FloatArray | float = 0.0,
    ) -> Opportunities:
        """Value, cycle and fate of the bundles arriving at ``rows``.

        Value is ``deal_value * count * lognormal(z)`` with unit mean; the cycle
        is uniform on ``[cycle_min, cycle_max]`` weeks plus ``delay``; the bundle
        is won when ``u_win < win_rate`` (per arrival; default the partners'
        base win rate). Per-partner ``deal_value`` may already include boosts.
        """
        sigma = self.value_sigma[rows]
        value = self.deal_value[rows] * count * np.exp(sigma * z_value - 0.5 * sigma * sigma)
        low = self.cycle_min[rows]
        cycle = low + np.floor(u_cycle * (self.cycle_max[rows] - low + 1.0)) + delay
        p = self.win_rate[rows] if win_rate is None else win_rate
        return Opportunities(
            rows=rows, value=value, cycle=cycle.astype(np.int64), won=u_win < p, win_rate=p
        )

    def boosted(self, deal_size: FloatArray) -> DealTerms:
        """The same terms with deal values raised by ``deal_size`` (relative)."""
        return DealTerms(
            deal_value=self.deal_value * (1.0 + deal_size),
            value_sigma=self.value_sigma,
            win_rate=self.win_rate,
            cycle_min=self.cycle_min,
            cycle_max=self.cycle_max,
        )


def cycle_cdf(weeks: int, cycle_min: FloatArray, cycle_max: FloatArray) -> FloatArray:
    """P(cycle <= weeks) for a cycle uniform on the integers ``[cycle_min, cycle_max]``."""
    span = cycle_max - cycle_min + 1.0
    return np.clip((weeks - cycle_min + 1.0) / span, 0.0, 1.0)


def cycle_cdf_sum(weeks: int, cycle_min: FloatArray, cycle_max: FloatArray) -> FloatArray:
    """Sum of ``cycle_cdf(m)`` for ``m`` in ``0 .. weeks - 1``.

    It counts how many of the next ``weeks`` weeks of arrivals are expected to
    close within those weeks.
    """
    span = cycle_max - cycle_min + 1.0
    a = np.clip(weeks - cycle_min, 0.0, span)
    return a * (a + 1.0) / (2.0 * span) + np.maximum(weeks - cycle_min - span, 0.0)


class Ring:
    """The open deals of one block of partner rows, by close week modulo ``weeks``.

    Arrays are ``[weeks, partners in the block]`` so summing a run of close
    weeks reads contiguous memory. ``weeks`` exceeds the longest time to close
    of any deal of the block, so every open deal closes within the next
    ``weeks`` weeks and no two close weeks share a slot.
    """

    def __init__(
        self, rows: slice, weeks: int, arrays: tuple[FloatArray, FloatArray, FloatArray]
    ) -> None:
        self.rows = rows
        self.weeks = weeks
        self.arrays = arrays  # each [weeks, partners in the block]
        self.won = arrays[0]  # list value that will book in that week
        self.expected = arrays[1]  # partner's expectation: value x win rate
        self.variance = arrays[2]  # value^2 x p (1 - p)

    def outlook(
        self, first_week: int, last_week: int, columns: slice = slice(None)
    ) -> tuple[FloatArray, FloatArray]:
        """Expected value and variance of deals closing in ``[first_week, last_week]``.

        For the block's partners, or for its ``columns`` only. Weeks past the
        ring's reach hold no deals.
        """
        last_week = min(last_week, first_week + self.weeks - 1)
        a, b = first_week % self.weeks, last_week % self.weeks
        expected, variance = self.expected[:, columns], self.variance[:, columns]
        if a <= b:
            return expected[a : b + 1].sum(axis=0), variance[a : b + 1].sum(axis=0)
        mean = expected[a:].sum(axis=0) + expected[: b + 1].sum(axis=0)
        var = variance[a:].sum(axis=0) + variance[: b + 1].sum(axis=0)
        return mean, var


class Pipeline:
    """Open deals per partner: one :class:`Ring` per block of rows (per archetype in a world).

    A block's ring is as long as its partners' deals can take to close, so
    partners with short sales cycles (resellers) hold a short ring: the
    pipeline's memory follows the cycles, not the longest cycle of any partner.
    """

    def __init__(
        self, partners: int, ring_weeks: int, blocks: Sequence[tuple[slice, int]] | None = None
    ) -> None:
        blocks = [(slice(0, partners), ring_weeks)] if blocks is None else blocks
        self.ring_weeks = max(weeks for _, weeks in blocks)  # the longest ring
        self.open_expected = np.zeros(partners)  # sum of ``expected`` over the ring
        # The rings are views into one flat buffer per quantity, so that one partner's
        # close week is one cell: ``_base[row] + (week % _length[row]) * _width[row]``.
        sizes = [weeks * (rows.stop - rows.start) for rows, weeks in blocks]
        offsets = np.cumsum([0, *sizes]).tolist()
        self._cells = tuple(np.zeros(offsets[-1]) for _ in range(3))
        self._base = np.zeros(partners, dtype=np.int64)
        self._width = np.zeros(partners, dtype=np.int64)
        self._length = np.zeros(partners, dtype=np.int64)
        self._blocks = list(blocks)
        for (rows, weeks), offset in zip(blocks, offsets[:-1], strict=True):
            width = rows.stop - rows.start
            self._base[rows] = offset + np.arange(width)
            self._width[rows] = width
            self._length[rows] = weeks
        self.rings = self._rings()

    def _rings(self) -> list[Ring]:
        """Each block's ring, as views of the flat buffers."""
        rings, offset = [], 0
        for rows, weeks in self._blocks:
            size = weeks * (rows.stop - rows.start)
            views = tuple(c[offset : offset + size].reshape(weeks, -1) for c in self._cells)
            rings.append(Ring(rows, weeks, (views[0], views[1], views[2])))
            offset += size
        return rings

    def __getstate__(self) -> dict[str, object]:
        """Pickle the buffers, not the rings: views of them would come back as copies."""
        state = self.__dict__.copy()
        del state["rings"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """Rebuild the rings as views of the unpickled buffers."""
        self.__dict__.update(state)
        self.rings = self._rings()

    @property
    def blocks(self) -> list[tuple[slice, int]]:
        """Each ring's rows and length in weeks."""
        return list(self._blocks)

    def ring_of(self, row: int) -> Ring:
        """The ring that holds partner ``row``."""
        return next(r for r in self.rings if r.rows.start <= row < r.rows.stop)

    # -- operations --------------------------------------------------------------------
    def add(self, arrival_week: int | IntArray, new: Opportunities) -> None:
        """Schedule arrivals to close ``cycle`` weeks after their ``arrival_week``.

        ``arrival_week`` is one week for all, or one per arrival (the history).
        """
        rows, value, p = new.rows, new.value, new.win_rate
        length = self._length[rows]
        if (new.cycle >= length).any():
            raise ValueError("a sales cycle is longer than the pipeline ring")
        cells = self._base[rows] + ((arrival_week + new.cycle) % length) * self._width[rows]
        expected = value * p
        amounts = (value * new.won, expected, value * expected * (1.0 - p))
        if np.ndim(arrival_week) == 0:
            # One week: at most one arrival per partner, so the cells are unique.
            for target, amount in zip(self._cells, amounts, strict=True):
                target[cells] += amount
            self.open_expected[rows] += expected
        else:
            for target, amount in zip(self._cells, amounts, strict=True):
                np.add.at(target, cells, amount)
            np.add.at(self.open_expected, rows, expected)

    def cells(self, week: int | IntArray, rows: IntArray | slice = slice(None)) -> IntArray:
        """Partner ``rows``' cells (default: every partner's) for close week ``week``.

        ``week`` may be a column of weeks, ``[weeks, 1]``, for cells ``[weeks, partners]``.
        """
        return self._base[rows] + (week % self._length[rows]) * self._width[rows]

    def due(self, week: int | IntArray) -> FloatArray:
        """Won list value of the deals due in ``week`` (within every ring's reach).

        ``week`` may be a column of weeks, ``[weeks, 1]``, for ``[weeks, partners]``.
        """
        return self._cells[0][self.cells(week)]

    def close(self, week: int) -> FloatArray:
        """Book the deals closing this week and clear their slot; returns won list value."""
        slots = [(ring, week % ring.weeks) for ring in self.rings]  # one row of each ring
        booked = np.concatenate([ring.won[slot] for ring, slot in slots])
        self.open_expected -= self._joined([ring.expected[slot] for ring, slot in slots])
        for ring, slot in slots:
            for array in ring.arrays:
                array[slot] = 0.0
        return booked

    def outlook(
        self, first_week: int, last_week: int, rows: slice | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Expected value and variance of deals closing in ``[first_week, last_week]``.

        For every partner, or for ``rows``, a block of rows within one ring.
        """
        if last_week < first_week:
            zero = np.zeros(self.open_expected.size if rows is None else rows.stop - rows.start)
            return zero, zero.copy()
        if rows is not None:
            ring = self.ring_of(rows.start)
            start = ring.rows.start
            return ring.outlook(first_week, last_week, slice(rows.start - start, rows.stop - start))
        parts = [ring.outlook(first_week, last_week) for ring in self.rings]
        if len(parts) == 1:
            return parts[0]
        return self._joined([m for m, _ in parts]), self._joined([v for _, v in parts])

    def move(
        self, share: FloatArray, from_week: int, to_week: int, survive: FloatArray | float = 1.0
    ) -> None:
        """Move ``share`` of each partner's deals due ``from_week`` to ``to_week``.

        Only ``survive`` of the moved deals arrive (a pushed deal can be lost).
        """
        rows = np.flatnonzero(share)  # only the partners whose deals move
        share = share[rows]
        kept = survive[rows] if np.ndim(survive) else survive  # type: ignore[index]
        source, target = self.cells(from_week, rows), self.cells(to_week, rows)
        for array in self._cells:
            moved = array[source] * share
            array[source] -= moved
            array[target] += moved * kept
            if array is self._cells[1]:  # expected value: lost deals leave the pipeline
                self.open_expected[rows] -= moved * (1.0 - kept)

    def pull_in(self, shares: FloatArray, week: int, rows: IntArray) -> None:
        """Move ``shares[j]`` of partner ``rows``' deals due in week ``week + 1 + j`` to ``week``.

        ``shares`` is ``[weeks, rows]``. All weeks must be within every ring's
        reach of ``week``.
        """
        moving = np.flatnonzero(shares.any(axis=0))  # only the partners whose deals move
        rows, share = rows[moving], shares[:, moving]
        source = self.cells(week + 1 + np.arange(shares.shape[0])[:, None], rows)
        target = self.cells(week, rows)
        for array in self._cells:
            moved = array[source] * share
            array[source] -= moved
            array[target] += moved.sum(axis=0)

    @classmethod
    def joined(cls, pipelines: Sequence[Pipeline], copies: int = 1) -> Pipeline:
        """Pipelines of the same layout side by side, ring by ring (``stack_worlds``).

        Ring ``k`` of the result holds ring ``k`` of each pipeline in turn, so
        its rows are each pipeline's rows of that block, one pipeline after
        another; with ``copies`` > 1 that sequence is repeated (one per arm).
        """
        first = pipelines[0]
        order = [p for _ in range(copies) for p in pipelines]
        count = len(order)
        blocks = [(slice(rows.start * count, rows.stop * count), w) for rows, w in first.blocks]
        twin = cls(first.open_expected.size * count, first.ring_weeks, blocks)
        for k, ring in enumerate(twin.rings):
            for j, target in enumerate(ring.arrays):
                np.concatenate([p.rings[k].arrays[j] for p in order], axis=1, out=target)
        twin.open_expected = np.concatenate(
            [np.concatenate([p.open_expected[rows] for p in order]) for rows, _ in first.blocks]
        )
        return twin

    def take(self, rows: IntArray, blocks: Sequence[tuple[slice, int]]) -> Pipeline:
        """The open deals of partner ``rows`` only, in ``blocks`` of the new rows (by ring)."""
        twin = Pipeline(rows.size, max(w for _, w in blocks), blocks)
        for ring, (new_rows, _) in zip(twin.rings, blocks, strict=True):
            old = rows[new_rows]
            source = self.ring_of(int(old[0])) if old.size else None
            if source is None:
                continue
            columns = old - source.rows.start
            for target, array in zip(ring.arrays, source.arrays, strict=True):
                target[:] = array[:, columns]
        twin.open_expected = self.open_expected[rows].copy()
        return twin

    def copy(self) -> Pipeline:
        """An independent copy (each arm mutates its own)."""
        twin = Pipeline(self.open_expected.size, self.ring_weeks, self.blocks)
        for target, source in zip(twin._cells, self._cells, strict=True):
            np.copyto(target, source)
        np.copyto(twin.open_expected, self.open_expected)
        return twin

    @staticmethod
    def _joined(parts: list[FloatArray]) -> FloatArray:
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
