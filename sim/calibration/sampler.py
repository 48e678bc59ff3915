"""Posterior draws by adaptive importance sampling, and what they say about each parameter.

The prior is uniform on the unit cube of each block (:class:`~sim.calibration.
emulator.Space`), so the posterior density is the emulated likelihood on the
cube. Sampling starts from the prior and moves the proposal to a defensive
mixture (90% a Gaussian fitted to the weighted draws, widened; 10% the prior)
until the effective sample size is large, then resamples the draws kept
(systematic resampling). A parameter is *identified* when its 90% credible
interval is less than half as wide as its prior's (on the prior's scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.calibration.emulator import BlockFit

FloatArray = npt.NDArray[np.float64]
#: Proposal draws per importance-sampling step.
PROPOSALS = 40_000
#: Effective sample size at which sampling stops.
TARGET_ESS = 4_000
#: A parameter whose 90% interval is below this share of its prior's is identified.
IDENTIFIED_RATIO = 0.5
LEVEL = 0.90


@dataclass(frozen=True)
class BlockPosterior:
    """Draws of one block's parameters on the unit cube, and the sampler's effective size."""

    unit: FloatArray  # [draws, d]
    ess: float


def sample_block(
    fit: BlockFit, dims: int, draws: int, rng: np.random.Generator, steps: int = 12
) -> BlockPosterior:
    """Posterior draws of one block (``dims`` parameters) on the unit cube."""
    points = rng.uniform(-1.0, 1.0, (PROPOSALS, dims))
    log_weight = fit.loglik(points)
    ess = _ess(log_weight)
    for _ in range(steps):
        if ess >= TARGET_ESS:
            break
        weights = _normalized(log_weight)
        mean = weights @ points
        cov = np.cov(points.T, aweights=weights, ddof=0).reshape(dims, dims) * 2.0
        cov += np.eye(dims) * 1e-6
        points, log_q = _mixture(mean, cov, dims, rng)
        log_weight = fit.loglik(points) - log_q
        ess = _ess(log_weight)
    chosen = _systematic(_normalized(log_weight), draws, rng)
    return BlockPosterior(points[chosen], ess)


def _mixture(
    mean: FloatArray, cov: FloatArray, dims: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Draws from 0.9 x Gaussian (kept inside the cube) + 0.1 x prior, with their log density."""
    gaussian = rng.multivariate_normal(mean, cov, size=PROPOSALS * 3)
    inside = np.all(np.abs(gaussian) <= 1.0, axis=1)
    share_inside = max(float(inside.mean()), 1e-6)
    gaussian = gaussian[inside][: int(PROPOSALS * 0.9)]
    uniform = rng.uniform(-1.0, 1.0, (PROPOSALS - gaussian.shape[0], dims))
    points = np.vstack([gaussian, uniform])
    precision = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(cov)
    gap = points - mean
    log_normal = -0.5 * (
        np.einsum("nd,de,ne->n", gap, precision, gap) + logdet + dims * np.log(2 * np.pi)
    )
    log_q = np.logaddexp(
        np.log(0.9) + log_normal - np.log(share_inside), np.log(0.1) - dims * np.log(2.0)
    )
    return points, log_q


def _normalized(log_weight: FloatArray) -> FloatArray:
    w = np.exp(log_weight - log_weight.max())
    normalized: FloatArray = w / w.sum()
    return normalized


def _ess(log_weight: FloatArray) -> float:
    w = _normalized(log_weight)
    return float(1.0 / np.sum(w * w))


def _systematic(weights: FloatArray, count: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Indices of ``count`` draws, systematic resampling by ``weights``."""
    positions = (rng.random() + np.arange(count)) / count
    chosen = np.searchsorted(np.cumsum(weights), positions)
    index: npt.NDArray[np.int64] = np.minimum(chosen, weights.size - 1)
    return rng.permutation(index)


@dataclass(frozen=True)
class Marginal:
    """What the posterior says about one parameter (values on its own scale)."""

    mean: float
    ci_low: float
    ci_high: float
    width_ratio: float  # 90% interval width over the prior's, on the prior's scale

    @property
    def identified(self) -> bool:
        """Whether the data narrow the parameter down (interval < half the prior's)."""
        return self.width_ratio < IDENTIFIED_RATIO


def marginal(values: FloatArray, unit: FloatArray) -> Marginal:
    """A parameter's posterior mean, 90% interval, and interval width relative to the prior."""
    tail = (1.0 - LEVEL) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    unit_low, unit_high = np.quantile(unit, [tail, 1.0 - tail])
    ratio = float((unit_high - unit_low) / (2.0 * LEVEL))
    return Marginal(float(values.mean()), float(low), float(high), ratio)
