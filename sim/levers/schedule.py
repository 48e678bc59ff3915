"""Piecewise-linear reward schedules with jumps, one row per partner.

Every period reward in partnerlab (rebate ladders, growth rebates,
accelerators, lump-sum bonuses, the value of a status tier) is a function of
the period measure ``S`` of the form

    R(S) = sum_k slope_k * max(S - T_k, 0) + sum_k jump_k * [S >= T_k],

optionally capped at ``C``. Partners see ``S`` at the period end as
Normal(mean, sd); the derivative of the expected (capped) reward in the mean,

    sum_k slope_k * Phi(z_k) + sum_k jump_k * phi(z_k) / sd,   z_k = (mean - T_k) / sd,

times ``P(S < S_cap)`` under a cap, is the marginal-reward signal that drives
effort. The jump terms are the pull of a threshold within reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from sim.world.layout import blocks_with, joined_slices

FloatArray = npt.NDArray[np.float64]

INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
#: Which partners a computation is about: all of them, or some rows.
Rows = slice | npt.NDArray[np.intp]
ALL = slice(None)


class Schedule:
    """A reward schedule per partner: breakpoints, slope changes and jumps ``[partners, K]``.

    Breakpoints are ascending along each row; ``inf`` marks an unused one.
    ``cap`` is the most one partner can earn per period (``inf`` for none).
    The arrays are kept transposed, ``[K, partners]``, for the weekly
    arithmetic: a sum over K contiguous rows is many times faster than a sum
    along a short last axis.
    """

    def __init__(
        self,
        breakpoints: FloatArray,
        slopes: FloatArray,
        jumps: FloatArray,
        cap: FloatArray | None = None,
        blocks: Sequence[slice] | None = None,
    ) -> None:
        points, steps, lumps = (
            np.asarray(a, dtype=np.float64).T for a in (breakpoints, slopes, jumps)
        )
        self._setup(points, steps, lumps, cap, blocks)

    @classmethod
    def by_breakpoint(
        cls,
        breakpoints: FloatArray,
        slopes: FloatArray | float,
        jumps: FloatArray | float,
        cap: FloatArray | None = None,
        blocks: Sequence[slice] | None = None,
    ) -> Schedule:
        """The schedule of arrays given ``[K, partners]`` (one row per breakpoint).

        ``slopes`` and ``jumps`` broadcast to that shape (one number for all).
        """
        schedule = cls.__new__(cls)
        shape = np.shape(breakpoints)
        points, steps, lumps = (
            np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
            for a in (breakpoints, slopes, jumps)
        )
        schedule._setup(points, steps, lumps, cap, blocks)
        return schedule

    @property
    def breakpoints(self) -> FloatArray:
        """Breakpoints ``[partners, K]``."""
        return self._points_t.T

    @property
    def slopes(self) -> FloatArray:
        """Slope changes at the breakpoints ``[partners, K]`` (0 where unused)."""
        return self._slopes_t.T

    @property
    def jumps(self) -> FloatArray:
        """Jumps at the breakpoints ``[partners, K]`` (0 where unused)."""
        return self._jumps_t.T

    def _setup(
        self,
        points: FloatArray,
        slopes: FloatArray,
        jumps: FloatArray,
        cap: FloatArray | None,
        blocks: Sequence[slice] | None,
    ) -> None:
        points = np.ascontiguousarray(points)
        finite = np.isfinite(points)
        self._points_t = points
        self._slopes_t = np.where(finite, slopes, 0.0)
        self._jumps_t = np.where(finite, jumps, 0.0)
        n = points.shape[1]
        blocks = blocks or [slice(0, n)]
        self.cap = np.full(n, np.inf) if cap is None else np.asarray(cap, dtype=np.float64)
        effective = (self._slopes_t > 0) | (self._jumps_t > 0)
        # Breakpoints that pay nothing for anyone are left out: they are never the next one.
        paying = effective.any(axis=1)
        self._paying = np.where(effective[paying], self._points_t[paying], np.inf)
        self.cap_point, levels = self._cap_point(blocks)
        # For the signal: breakpoints at or below 0 are always passed (the measure is never
        # negative), so their slopes are a constant; a jump counts only up to the cap; rows
        # that change nothing are dropped.
        passed = self._points_t <= 0
        jumps = self._jumps_t
        if jumps.any() and np.isfinite(self.cap).any():
            jumps = np.minimum(jumps, np.maximum(self.cap - levels, 0.0))
        self._base_slope = np.where(passed, self._slopes_t, 0.0).sum(axis=0)
        live = ((self._slopes_t != 0) | (jumps != 0)) & ~passed
        keep = live.any(axis=1)
        # Blocks of rows with a partner whose signal depends on the outlook (a threshold
        # ahead or a cap); elsewhere the signal is the constant slope, so the weekly
        # arithmetic skips those blocks.
        capped = np.isfinite(self.cap_point)
        in_play = live.any(axis=0) | capped
        self.blocks = joined_slices(blocks_with(in_play, blocks))
        self._in_play = in_play
        self._plays: dict[slice, bool] = {}  # whether a block of rows has a row in play
        live = live[keep]
        self._points = np.where(live, self._points_t[keep], np.inf)
        self._slopes = np.where(live, self._slopes_t[keep], 0.0)
        self._jumps = np.where(live, jumps[keep], 0.0)
        self._has_slopes = bool(self._slopes.any())
        self._has_jumps = bool(self._jumps.any())
        self._capped = bool(capped.any())

    @property
    def constant(self) -> FloatArray | None:
        """The marginal reward when no outlook can change it (no threshold ahead, no cap)."""
        if self._points.shape[0] or self._capped:
            return None
        return self._base_slope

    def uncapped(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """R(S) before the cap (of partner ``rows``, whose measure ``measure`` is)."""
        over = measure - self._points_t[:, rows]
        earned = (np.maximum(over, 0.0) * self._slopes_t[:, rows]).sum(axis=0)
        return earned + ((over >= 0) * self._jumps_t[:, rows]).sum(axis=0)

    def reward(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """The reward earned on period measure ``S``: ``min(R(S), cap)``, never negative.

        For partner ``rows`` if given (``measure`` is then theirs).
        """
        return np.clip(self.uncapped(measure, rows), 0.0, self.cap[rows])

    def reached(self, measure: FloatArray) -> npt.NDArray[np.int64]:
        """How many breakpoints ``S`` has reached (the tier level of a ladder)."""
        return (measure >= self._points_t).sum(axis=0)

    def slope_at(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """The slope of R at ``S``: the slope changes of the breakpoints reached, summed.

        For partner ``rows`` if given (``measure`` is then theirs).
        """
        reached = measure >= self._points_t[:, rows]
        return cast(FloatArray, (reached * self._slopes_t[:, rows]).sum(axis=0))

    def marginal(self, mean: FloatArray, sd: FloatArray, rows: slice | None = None) -> FloatArray:
        """The derivative of E[min(R(S), cap)] in the mean, for S ~ Normal(mean, sd).

        Each slope counts where ``T_k <= S < S_cap`` and each jump (up to the
        cap) by the density at its threshold. For every partner, or for
        ``rows``, a span of rows (``mean`` and ``sd`` are then theirs). Only
        rows in play are computed, a span at a time; a span with no row in
        play gets the constant slope. (Rows out of play would compute to that
        same constant exactly: no breakpoint, no cap.)
        """
        if rows is not None:
            if rows not in self._plays:
                self._plays[rows] = bool(self._in_play[rows].any())
            if self._plays[rows]:
                return self._marginal_rows(mean, sd, rows)
            return self._base_slope[rows].copy()
        if self.blocks == [slice(0, mean.size)]:
            return self._marginal_rows(mean, sd, ALL)
        slope = self._base_slope.copy()
        for block in self.blocks:
            slope[block] = self._marginal_rows(mean[block], sd[block], block)
        return slope

    def _marginal_rows(self, mean: FloatArray, sd: FloatArray, rows: slice) -> FloatArray:
        """:meth:`marginal` of the partners in ``rows`` (``mean`` and ``sd`` are theirs)."""
        below_cap = ndtr((self.cap_point[rows] - mean) / sd) if self._capped else 1.0
        slope = self._base_slope[rows] * below_cap
        if not (self._has_slopes or self._has_jumps):
            return slope
        z = self._points[:, rows] - mean
        z /= sd
        if self._has_slopes:
            reached = ndtr(z)
            np.subtract(below_cap, reached, out=reached)
            np.maximum(reached, 0.0, out=reached)
            reached *= self._slopes[:, rows]
            slope = slope + reached.sum(axis=0)
        if self._has_jumps:
            slope = slope + jump_pull(z, self._jumps[:, rows], sd)
        return slope

    def next_breakpoint(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """The lowest breakpoint strictly above ``S`` with a positive effect (``inf`` if none).

        ``measure`` is that of partner ``rows`` (default all).
        """
        paying = self._paying[:, rows]
        if not paying.shape[0]:
            return np.full(np.shape(measure), np.inf)
        return np.where(paying > measure, paying, np.inf).min(axis=0)

    def _cap_point(self, blocks: Sequence[slice]) -> tuple[FloatArray, FloatArray]:
        """Where the capped reward stops growing (``inf`` if never); R before each breakpoint.

        Only partners with a cap and a breakpoint can reach one, so only the
        ``blocks`` holding such partners are computed; elsewhere the point is
        ``inf`` and R is left at 0 (R matters only under a cap).
        """
        k, n = self._points_t.shape
        point = np.full(n, np.inf)
        levels = np.zeros((k, n))
        capable = np.isfinite(self.cap) & np.isfinite(self._points_t).any(axis=0)
        for rows in joined_slices(blocks_with(capable, blocks)):
            point[rows], levels[:, rows] = _cap_points(
                self._points_t[:, rows],
                self._slopes_t[:, rows],
                self._jumps_t[:, rows],
                self.cap[rows],
            )
        return point, levels


def _cap_points(
    points: FloatArray, slopes: FloatArray, jumps: FloatArray, cap: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:meth:`Schedule._cap_point` of the partners given (``[K, partners]`` arrays and caps)."""
    k, n = points.shape
    point = np.full(n, np.inf)
    levels = np.zeros((k, n))
    level = np.zeros(n)  # R just before the current breakpoint
    slope = np.zeros(n)  # slope of R between breakpoints
    last = np.zeros(n)
    for j in range(k):
        live = np.isfinite(points[j])
        at = np.where(live, points[j], 0.0)
        before = level + slope * np.maximum(at - last, 0.0)
        levels[j] = before
        after = before + jumps[j]
        # The cap is crossed on the segment before this breakpoint, or by its jump.
        on_segment = live & np.isinf(point) & (before >= cap) & (slope > 0)
        point = np.where(on_segment, at - (before - cap) / np.maximum(slope, 1e-300), point)
        by_jump = live & np.isinf(point) & (after >= cap)
        point = np.where(by_jump, at, point)
        level = np.where(live, after, level)
        last = np.where(live, at, last)
        slope = np.where(live, slope + slopes[j], slope)
    beyond = np.isinf(point) & (slope > 0) & np.isfinite(cap)
    point = np.where(beyond, last + np.maximum(cap - level, 0.0) / np.maximum(slope, 1e-300), point)
    return point, levels


def jump_pull(z: FloatArray, jumps: FloatArray, sd: FloatArray) -> FloatArray:
    """``sum_k jump_k * phi(z_k) / sd``: the pull of thresholds ``[K, partners]`` within reach.

    ``z`` holds the standardized distances ``(T_k - mean) / sd``; thresholds
    at or below 0 must carry no jump (they are always passed).
    """
    density = z * z
    density *= -0.5
    np.exp(density, out=density)
    density *= jumps
    return density.sum(axis=0) * INV_SQRT_2PI / sd


def threshold_pull(
    thresholds: FloatArray, jumps: FloatArray, mean: FloatArray, sd: FloatArray
) -> FloatArray:
    """The pull of jumps ``[K, partners]`` at ``thresholds`` on S ~ Normal(mean, sd).

    The derivative in the mean of the expected sum of the jumps reached;
    thresholds at or below 0 are always passed and do not pull.
    """
    z = thresholds - mean
    z /= sd
    return jump_pull(z, np.where(thresholds > 0, jumps, 0.0), sd)


def ladder(
    thresholds: FloatArray,
    rates: FloatArray,
    retroactive: bool,
    cap: FloatArray | None = None,
    blocks: Sequence[slice] | None = None,
) -> Schedule:
    """A rebate ladder: ``rates[k]`` from ``thresholds[:, k]`` up (rates by tier).

    Marginal: each rate applies to the measure within its tier (slope changes
    only). Retroactive (all units): the reached tier's rate applies to the whole
    measure, which adds a jump ``(r_k - r_(k-1)) * T_k`` at each threshold.
    """
    steps = np.diff(np.asarray(rates, dtype=np.float64), prepend=0.0)
    slopes = np.broadcast_to(steps, thresholds.shape)
    jumps = (
        slopes * np.where(np.isfinite(thresholds), thresholds, 0.0) if retroactive else 0.0 * slopes
    )
    return Schedule(thresholds, slopes, jumps, cap, blocks)
