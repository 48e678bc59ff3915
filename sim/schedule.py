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

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

FloatArray = npt.NDArray[np.float64]

INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class Schedule:
    """A reward schedule per partner: breakpoints, slope changes and jumps ``[partners, K]``.

    Breakpoints are ascending along each row; ``inf`` marks an unused one.
    ``cap`` is the most one partner can earn per period (``inf`` for none).
    """

    def __init__(
        self,
        breakpoints: FloatArray,
        slopes: FloatArray,
        jumps: FloatArray,
        cap: FloatArray | None = None,
    ) -> None:
        self.breakpoints = np.asarray(breakpoints, dtype=np.float64)
        self.slopes = np.where(np.isfinite(self.breakpoints), slopes, 0.0)
        self.jumps = np.where(np.isfinite(self.breakpoints), jumps, 0.0)
        n = self.breakpoints.shape[0]
        self.cap = np.full(n, np.inf) if cap is None else np.asarray(cap, dtype=np.float64)
        self._finite = np.where(np.isfinite(self.breakpoints), self.breakpoints, 0.0)
        self.cap_point, levels = self._cap_point()
        # For the signal: breakpoints at or below 0 are always passed (the measure is never
        # negative), so their slopes are a constant; a jump counts only up to the cap; columns
        # that change nothing are dropped.
        passed = self.breakpoints <= 0
        jumps = np.minimum(self.jumps, np.maximum(self.cap[:, None] - levels, 0.0))
        self._base_slope = np.where(passed, self.slopes, 0.0).sum(axis=1)
        live = ((self.slopes != 0) | (jumps != 0)) & ~passed
        keep = live.any(axis=0)
        self._points = np.where(live, self.breakpoints, np.inf)[:, keep]
        self._slopes = np.where(live, self.slopes, 0.0)[:, keep]
        self._jumps = np.where(live, jumps, 0.0)[:, keep]
        self._capped = bool(np.isfinite(self.cap_point).any())

    @property
    def constant(self) -> FloatArray | None:
        """The marginal reward when no outlook can change it (no threshold ahead, no cap)."""
        if self._points.shape[1] or self._capped:
            return None
        return self._base_slope

    def uncapped(self, measure: FloatArray) -> FloatArray:
        """R(S) before the cap."""
        over = measure[:, None] - self.breakpoints
        earned = (np.maximum(over, 0.0) * self.slopes).sum(axis=1)
        return earned + ((over >= 0) * self.jumps).sum(axis=1)

    def reward(self, measure: FloatArray) -> FloatArray:
        """The reward earned on period measure ``S``: ``min(R(S), cap)``, never negative."""
        return np.clip(self.uncapped(measure), 0.0, self.cap)

    def marginal(self, mean: FloatArray, sd: FloatArray) -> FloatArray:
        """The derivative of E[min(R(S), cap)] in the mean, for S ~ Normal(mean, sd).

        Each slope counts where ``T_k <= S < S_cap`` and each jump (up to the
        cap) by the density at its threshold.
        """
        below_cap = ndtr((self.cap_point - mean) / sd) if self._capped else 1.0
        slope = self._base_slope * below_cap
        if self._points.shape[1]:
            t = (self._points - mean[:, None]) / sd[:, None]
            reached = np.maximum(np.asarray(below_cap)[..., None] - ndtr(t), 0.0)
            slope = slope + (reached * self._slopes).sum(axis=1)
            if self._jumps.any():
                density = np.exp(-0.5 * t * t) * INV_SQRT_2PI
                slope += (density * self._jumps).sum(axis=1) / sd
        return slope

    def next_breakpoint(self, measure: FloatArray) -> FloatArray:
        """The lowest breakpoint strictly above ``S`` with a positive effect (``inf`` if none)."""
        effective = (self.slopes > 0) | (self.jumps > 0)
        ahead = np.where(
            effective & (self.breakpoints > measure[:, None]), self.breakpoints, np.inf
        )
        return ahead.min(axis=1)

    def _cap_point(self) -> tuple[FloatArray, FloatArray]:
        """Where the capped reward stops growing (``inf`` if never); R before each breakpoint."""
        n, k = self.breakpoints.shape
        point = np.full(n, np.inf)
        levels = np.zeros((n, k))
        if not np.isfinite(self.cap).any():
            return point, levels
        level = np.zeros(n)  # R just before the current breakpoint
        slope = np.zeros(n)  # slope of R between breakpoints
        last = np.zeros(n)
        for j in range(k):
            at = self._finite[:, j]
            live = np.isfinite(self.breakpoints[:, j])
            before = level + slope * np.maximum(at - last, 0.0)
            levels[:, j] = before
            after = before + self.jumps[:, j]
            # The cap is crossed on the segment before this breakpoint, or by its jump.
            on_segment = live & np.isinf(point) & (before >= self.cap) & (slope > 0)
            point = np.where(
                on_segment, at - (before - self.cap) / np.maximum(slope, 1e-300), point
            )
            by_jump = live & np.isinf(point) & (after >= self.cap)
            point = np.where(by_jump, at, point)
            level = np.where(live, after, level)
            last = np.where(live, at, last)
            slope = np.where(live, slope + self.slopes[:, j], slope)
        beyond = np.isinf(point) & (slope > 0) & np.isfinite(self.cap)
        point = np.where(
            beyond, last + np.maximum(self.cap - level, 0.0) / np.maximum(slope, 1e-300), point
        )
        return point, levels


def ladder(
    thresholds: FloatArray, rates: FloatArray, retroactive: bool, cap: FloatArray | None = None
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
    return Schedule(thresholds, slopes, jumps, cap)
