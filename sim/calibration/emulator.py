"""A Gaussian synthetic likelihood of the observed statistics, through a quadratic emulator.

Partners of one archetype are moved only by that archetype's parameters, so
the parameters fall into blocks, one per archetype, and each block's
statistics are explained by its own parameters alone: the likelihood is a
product over blocks, fitted and sampled block by block.

For a block, with parameters mapped to the unit cube ``z`` (:class:`Space`):

* the **mean** of each statistic is a quadratic in ``z``, fitted by least
  squares to the statistics' means over the seed replicates of each design
  point (common random numbers keep those means smooth in ``z``);
* the **covariance** ``Sigma`` of one history's statistics is estimated from
  independent replicates at the centre of the design's region (the spread
  across the ``R`` design replications cannot give it: under common random
  numbers every point shares them);
* the likelihood of the observed statistics ``s`` is normal with that mean and
  covariance ``Sigma (1 + 1/R)`` plus the emulator's residual variance: the
  ``1/R`` term is the error of a mean of ``R`` replicates shared by every
  point under common random numbers (Wood 2010; Price et al. 2018). ``Sigma``
  is the replicates' sample covariance widened by ``(m - 1) / (m - k - 2)``
  for ``m`` replicates of ``k`` statistics, so that its inverse, the
  likelihood's precision, is unbiased (Hartlap, Simon & Schneider 2007).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
import numpy.typing as npt

from sim.calibration.settings import Prior

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Space:
    """The fitted parameters, in order, with their priors; values map to the cube [-1, 1]^d."""

    paths: tuple[str, ...]
    priors: tuple[Prior, ...]

    @classmethod
    def of(cls, priors: Mapping[str, Prior]) -> Space:
        """The space of ``priors`` (path -> prior), in their order."""
        return cls(tuple(priors), tuple(priors.values()))

    def _bounds(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        logs = np.array([p.log for p in self.priors])
        low = np.array([math.log(p.low) if p.log else p.low for p in self.priors])
        high = np.array([math.log(p.high) if p.log else p.high for p in self.priors])
        return low, high, logs

    def to_unit(self, values: FloatArray) -> FloatArray:
        """Parameter values ``[n, d]`` on the unit cube (log scale where the prior is)."""
        low, high, logs = self._bounds()
        x = np.where(logs, np.log(np.maximum(values, 1e-300)), values)
        unit: FloatArray = 2.0 * (x - low) / (high - low) - 1.0
        return unit

    def from_unit(self, unit: FloatArray) -> FloatArray:
        """Points of the unit cube ``[n, d]`` as parameter values."""
        low, high, logs = self._bounds()
        x = low + (np.asarray(unit) + 1.0) * (high - low) / 2.0
        values: FloatArray = np.where(logs, np.exp(x), x)
        return values

    def blocks(self) -> dict[str, list[int]]:
        """Indices of each archetype's parameters, by archetype."""
        out: dict[str, list[int]] = {}
        for index, path in enumerate(self.paths):
            out.setdefault(path.split(".")[1], []).append(index)
        return out

    def values(self, row: Sequence[float]) -> dict[str, dict[str, float]]:
        """One point's values as ``archetype -> parameter -> value``."""
        out: dict[str, dict[str, float]] = {}
        for path, value in zip(self.paths, row, strict=True):
            _, archetype, name = path.split(".")
            out.setdefault(archetype, {})[name] = float(value)
        return out


def features(unit: FloatArray) -> FloatArray:
    """A constant, each coordinate, and every product of two (a full quadratic)."""
    n, d = unit.shape
    pairs = [unit[:, i] * unit[:, j] for i, j in combinations_with_replacement(range(d), 2)]
    return np.column_stack([np.ones(n), unit, *pairs]) if d else np.ones((n, 1))


@dataclass(frozen=True)
class BlockFit:
    """One block's emulated likelihood: statistics, emulator and covariance."""

    stats: list[str]
    observed: FloatArray
    coef: FloatArray  # [features, stats]
    covariance: FloatArray  # the likelihood's covariance of the statistics
    noise: FloatArray  # the covariance of one history's statistics (Sigma)
    _precision: FloatArray

    def mean(self, unit: FloatArray) -> FloatArray:
        """Emulated mean of each statistic at points ``[n, d]`` of the block."""
        mean: FloatArray = features(unit) @ self.coef
        return mean

    def loglik(self, unit: FloatArray) -> FloatArray:
        """Log synthetic likelihood of the observed statistics at each point."""
        gap = self.mean(unit) - self.observed
        value: FloatArray = -0.5 * np.einsum("nk,kl,nl->n", gap, self._precision, gap)
        return value


#: Least share of simulations a statistic must be defined in to be used.
DEFINED = 0.9


def usable(names: Sequence[str], observed: FloatArray, stats: FloatArray, prefix: str) -> list[int]:
    """Statistics of one block that the data and nearly every simulation define, and that vary.

    ``stats`` are ``[..., statistics]``; a statistic undefined in more than
    a tenth of them (too few wins at some parameters) is left out.
    """
    keep = []
    for k, name in enumerate(names):
        if not name.startswith(prefix) or not np.isfinite(observed[k]):
            continue
        column = stats[..., k]
        defined = np.isfinite(column)
        if defined.mean() >= DEFINED and column[defined].std() > 1e-9:
            keep.append(k)
    return keep


def fit_block(
    unit: FloatArray, stats: FloatArray, noise: FloatArray, observed: FloatArray, names: list[str]
) -> BlockFit:
    """The emulated likelihood of one block.

    Args:
        unit: the design points ``[n, d]`` of the block's parameters.
        stats: the statistics of each point's replicates ``[n, R, k]``, on the
            same ``R`` replications for every point (common random numbers).
        noise: the statistics of independent replicates at one point ``[m, k]``,
            for the covariance of one history's statistics.
        observed: the observed statistics ``[k]``.
        names: the statistics' names.
    """
    n, replicates, k = stats.shape
    means = stats.mean(axis=1)
    sigma = np.atleast_2d(np.cov(noise.T)) if k else np.zeros((0, 0))
    design = features(unit)
    if design.shape[1] * 2 > n:  # too few points for a quadratic: a plane
        design = design[:, : unit.shape[1] + 1]
    full = np.zeros((features(unit[:1]).shape[1], k))
    full[: design.shape[1]], *_ = np.linalg.lstsq(design, means, rcond=None)
    dof = max(n - design.shape[1], 1)
    misfit = ((means - design @ full[: design.shape[1]]) ** 2).sum(axis=0) / dof
    # The inverse of a covariance estimated from m replicates overstates the precision by
    # (m - 1) / (m - k - 2) (Hartlap et al. 2007): widen the estimate by that much.
    m = noise.shape[0]
    hartlap = (m - 1) / max(m - k - 2, 1)
    covariance = sigma * hartlap * (1.0 + 1.0 / replicates) + np.diag(misfit)
    covariance += np.eye(k) * 1e-9 * max(float(np.trace(covariance)) / max(k, 1), 1e-12)
    precision = np.linalg.inv(covariance) if k else np.zeros((0, 0))
    return BlockFit(names, observed, full, covariance, sigma, precision)
