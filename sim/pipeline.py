"""Open deals, held as a ring of future close weeks by partner row.

Opportunities arrive as at most one bundle per partner per week (a Poisson
flow thinned to "any arrival", with the bundle's value scaled so the expected
value is preserved). Each bundle gets a sales cycle and a win/loss fate when it
arrives; it books revenue in its close week if won. Partners do not see fates,
only the expected value and its variance, which the effort rule uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Opportunities:
    """New opportunities, one entry per arrival (at most one per partner and week)."""

    rows: IntArray  # partner row of each arrival
    value: FloatArray  # list value, $
    cycle: IntArray  # weeks from arrival to close
    won: BoolArray  # fate, decided on arrival
    win_rate: FloatArray  # the win probability the fate was drawn with


def arrivals(rate: FloatArray, u: FloatArray) -> tuple[tuple[IntArray, ...], FloatArray]:
    """Where a bundle arrives (``u < 1 - exp(-rate)``) and its expected deal count.

    Returns the ``np.nonzero`` index of arrivals and, for each, the mean number
    of deals given at least one, ``rate / P(arrival)``, which scales the
    bundle's value so that expected value per week is ``rate * deal value``.
    """
    p_arrive = -np.expm1(-rate)
    index = np.nonzero(u < p_arrive)
    return index, rate[index] / p_arrive[index]


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


class Pipeline:
    """Open deals per partner in a ring buffer indexed by close week modulo its length.

    Arrays are ``[ring_weeks, partners]`` so summing a run of close weeks reads
    contiguous memory.
    """

    def __init__(self, partners: int, ring_weeks: int) -> None:
        self.ring_weeks = ring_weeks
        shape = (ring_weeks, partners)
        self.won = np.zeros(shape)  # list value that will book in that week
        self.expected = np.zeros(shape)  # partner's expectation: value x win rate
        self.variance = np.zeros(shape)  # value^2 x p (1 - p)
        self.open_expected = np.zeros(partners)  # sum of ``expected`` over the ring
        self._rows = np.arange(partners)

    def add(self, arrival_week: int | IntArray, new: Opportunities) -> None:
        """Schedule arrivals to close ``cycle`` weeks after their ``arrival_week``.

        ``arrival_week`` is one week for all, or one per arrival (the history).
        """
        if new.rows.size == 0:
            return
        if new.cycle.max() >= self.ring_weeks:
            raise ValueError("a sales cycle is longer than the pipeline ring")
        rows, value, p = new.rows, new.value, new.win_rate
        cols = (arrival_week + new.cycle) % self.ring_weeks
        expected = value * p
        amounts = (np.where(new.won, value, 0.0), expected, value * expected * (1.0 - p))
        targets = (self.won, self.expected, self.variance)
        if np.ndim(arrival_week) == 0:
            # One week: at most one arrival per partner, so (close week, row) pairs are unique.
            cells = cols * self.won.shape[1] + rows
            for target, amount in zip(targets, amounts, strict=True):
                target.reshape(-1)[cells] += amount
            self.open_expected[rows] += expected
        else:
            for target, amount in zip(targets, amounts, strict=True):
                np.add.at(target, (cols, rows), amount)
            np.add.at(self.open_expected, rows, expected)

    def close(self, week: int) -> FloatArray:
        """Book the deals closing this week and clear their slot; returns won list value."""
        col = week % self.ring_weeks
        won = self.won[col].copy()
        self.open_expected -= self.expected[col]
        self.won[col] = 0.0
        self.expected[col] = 0.0
        self.variance[col] = 0.0
        return won

    def outlook(self, first_week: int, last_week: int) -> tuple[FloatArray, FloatArray]:
        """Expected value and variance of deals closing in ``[first_week, last_week]``."""
        if last_week < first_week:
            zero = np.zeros(self.won.shape[1])
            return zero, zero.copy()
        if last_week - first_week >= self.ring_weeks:
            raise ValueError("outlook longer than the pipeline ring")
        a, b = first_week % self.ring_weeks, last_week % self.ring_weeks
        if a <= b:
            return self.expected[a : b + 1].sum(axis=0), self.variance[a : b + 1].sum(axis=0)
        mean = self.expected[a:].sum(axis=0) + self.expected[: b + 1].sum(axis=0)
        var = self.variance[a:].sum(axis=0) + self.variance[: b + 1].sum(axis=0)
        return mean, var

    def move(
        self, share: FloatArray, from_week: int, to_week: int, survive: FloatArray | float = 1.0
    ) -> None:
        """Move ``share`` of each partner's deals due ``from_week`` to ``to_week``.

        Only ``survive`` of the moved deals arrive (a pushed deal can be lost).
        """
        if not np.any(share):
            return
        a, b = from_week % self.ring_weeks, to_week % self.ring_weeks
        for ring in (self.won, self.expected, self.variance):
            moved = ring[a] * share
            ring[a] -= moved
            ring[b] += moved * survive
            if ring is self.expected:
                self.open_expected -= moved * (1.0 - survive)

    def gather(self, rows: IntArray) -> Pipeline:
        """A pipeline whose partner ``i`` is this one's partner ``rows[i]``."""
        twin = Pipeline.__new__(Pipeline)
        twin.ring_weeks = self.ring_weeks
        # ``take`` keeps the rows of the ring contiguous (``a[:, rows]`` may not).
        twin.won, twin.expected, twin.variance = (
            np.take(ring, rows, axis=1) for ring in (self.won, self.expected, self.variance)
        )
        twin.open_expected = self.open_expected[rows]
        twin._rows = np.arange(rows.size)
        return twin

    def copy(self) -> Pipeline:
        """An independent copy (each arm mutates its own)."""
        twin = Pipeline.__new__(Pipeline)
        twin.ring_weeks = self.ring_weeks
        twin.won, twin.expected, twin.variance, twin.open_expected = (
            self.won.copy(),
            self.expected.copy(),
            self.variance.copy(),
            self.open_expected.copy(),
        )
        twin._rows = self._rows
        return twin
