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


@dataclass(frozen=True)
class Opportunities:
    """One week's new opportunities: at most one bundle per partner row."""

    value: FloatArray  # list value, 0 where nothing arrived
    cycle: IntArray  # weeks from arrival to close
    won: npt.NDArray[np.bool_]  # fate, decided on arrival


def draw_opportunities(
    rate: FloatArray,
    deal_value: FloatArray,
    value_sigma: FloatArray,
    win_rate: FloatArray,
    cycle_min: FloatArray,
    cycle_max: FloatArray,
    draws: dict[str, FloatArray],
) -> Opportunities:
    """New opportunities for one week from the expected number ``rate`` per partner.

    A bundle arrives when ``u < 1 - exp(-rate)``; its value is
    ``deal_value * rate / P(arrival) * lognormal`` (mean-preserving), its cycle is
    uniform on ``[cycle_min, cycle_max]`` weeks, and it is won when ``u < win_rate``.
    """
    p_arrive = -np.expm1(-rate)
    arrived = draws["arrival"] < p_arrive
    scale = np.divide(rate, p_arrive, out=np.ones_like(rate), where=p_arrive > 0)
    noise = np.exp(value_sigma * draws["deal_value"] - 0.5 * value_sigma**2)
    value = np.where(arrived, deal_value * scale * noise, 0.0)
    span = cycle_max - cycle_min + 1.0
    cycle = (cycle_min + np.floor(draws["cycle"] * span)).astype(np.int64)
    return Opportunities(value=value, cycle=cycle, won=draws["win"] < win_rate)


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

    def add(self, week: int | IntArray, new: Opportunities, win_rate: FloatArray) -> None:
        """Schedule arrivals to close ``cycle`` weeks after their arrival ``week``.

        ``new`` holds one week (arrays over partners) or several (arrays of
        shape ``[weeks, partners]`` with ``week`` a column of arrival weeks).
        """
        arrived = new.value > 0
        if not arrived.any():
            return
        if new.cycle[arrived].max() >= self.ring_weeks:
            raise ValueError("a sales cycle is longer than the pipeline ring")
        index = np.nonzero(arrived)
        rows = index[-1]
        value = new.value[index]
        arrival = np.broadcast_to(week, arrived.shape)[index]
        cols = (arrival + new.cycle[index]) % self.ring_weeks
        p = win_rate[rows]
        expected = value * p
        for target, amount in (
            (self.won, np.where(new.won[index], value, 0.0)),
            (self.expected, expected),
            (self.variance, value * expected * (1.0 - p)),
        ):
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

    def drop(self, rows: IntArray) -> None:
        """Lose every open deal of the given partners (they churned)."""
        self.won[:, rows] = 0.0
        self.expected[:, rows] = 0.0
        self.variance[:, rows] = 0.0
        self.open_expected[rows] = 0.0

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
