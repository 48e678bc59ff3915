"""The fit: design rounds of simulated parameter sets, then the posterior from their statistics.

Round 1 simulates a scrambled Sobol' design over the prior; each later round
simulates points drawn around the last round's posterior (a Gaussian twice
as wide, inside the prior), so the emulator is fitted where the posterior
lies. Each block's final emulator is fitted on the points of the last
round's region (:func:`region_points`), and the posterior sampled from it
(:mod:`sim.calibration.sampler`).

A block whose posterior cannot reproduce its data (:func:`misfit`: the
observed statistics lie further from the emulator at the posterior's closest
draw than a model that fits would put them one time in a thousand) is
flagged, so that its intervals are not read as findings: the model or the
design did not find parameters that produce that archetype's history.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2, qmc

from sim.calibration.emulator import BlockFit, Space, fit_block, usable
from sim.calibration.evaluate import (
    DESIGN_REPLICATION,
    NOISE_REPLICATION,
    Simulator,
    run_pairs,
    stat_array,
)
from sim.calibration.sampler import BlockPosterior, sample_block
from sim.calibration.store import DesignStore, Summary

FloatArray = npt.NDArray[np.float64]
#: Per block, the (mean, covariance) on the unit cube of a design round's points.
Regions = dict[str, tuple[FloatArray, FloatArray]]
#: A block misfits when a model that fits its data would miss them by more than this often.
MISFIT_CHANCE = 0.001


@dataclass(frozen=True)
class Design:
    """Every simulated point: its place on the unit cube, its round, its replicates' statistics."""

    unit: FloatArray  # [points, d]
    rounds: npt.NDArray[np.int64]
    summaries: list[list[Summary]]  # [points][replicates]
    noise: list[Summary]  # independent replicates at the last round's centre

    def stats(self, window: str, names: Sequence[str]) -> FloatArray:
        """Statistics ``[points, replicates, names]`` of one window."""
        return np.stack([stat_array([r[window] for r in point], names) for point in self.summaries])


@dataclass(frozen=True)
class Misfit:
    """How far a block's data lie from its emulator at the posterior's closest draw.

    ``distance`` is the squared Mahalanobis distance under the likelihood's
    covariance; where the model fits it is about chi-square with one degree per
    statistic, so ``limit`` is that distribution's 99.9% quantile.
    """

    distance: float
    limit: float

    @property
    def reproduced(self) -> bool:
        """Whether the posterior reproduces the block's statistics (distance within limit)."""
        return self.distance <= self.limit


@dataclass(frozen=True)
class Posterior:
    """Posterior draws of every fitted parameter, and how each block was fitted."""

    space: Space
    unit: FloatArray  # [draws, d]
    fits: dict[str, BlockFit]
    samples: dict[str, BlockPosterior]
    proposal: Regions  # per block, where the next round's points are drawn
    misfits: dict[str, Misfit]

    @property
    def unreproduced(self) -> list[str]:
        """The blocks whose posterior does not reproduce their observed statistics."""
        return [block for block, m in self.misfits.items() if not m.reproduced]

    def reproduces(self, path: str) -> bool:
        """Whether the block of parameter ``path`` (``behaviour.<archetype>.<name>``) fits."""
        return path.split(".")[1] not in self.unreproduced

    @property
    def values(self) -> FloatArray:
        """Draws ``[draws, d]`` on the parameters' own scales."""
        return self.space.from_unit(self.unit)


def first_round(space: Space, points: int, seed: int) -> FloatArray:
    """A scrambled Sobol' design over the prior (the whole unit cube)."""
    sobol = qmc.Sobol(d=len(space.paths), scramble=True, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():  # balance is best at powers of 2; any count is a fine design
        warnings.simplefilter("ignore", UserWarning)
        unit: FloatArray = 2.0 * sobol.random(points) - 1.0
    return unit


def next_round(posterior: Posterior, points: int, rng: np.random.Generator) -> FloatArray:
    """Points around the posterior: each block from its proposal, inside the cube."""
    out = np.zeros((points, len(posterior.space.paths)))
    for block, index in posterior.space.blocks().items():
        mean, cov = posterior.proposal[block]
        kept = np.zeros((0, len(index)))
        while kept.shape[0] < points:
            drawn = rng.multivariate_normal(mean, cov, size=points * 4)
            kept = np.vstack([kept, drawn[np.all(np.abs(drawn) <= 1.0, axis=1)]])
        out[:, index] = kept[:points]
    return out


def simulate_round(
    store: DesignStore,
    simulator: Simulator,
    round_: int,
    unit: FloatArray,
    seeds: int,
    observed: dict[str, float],
    jobs: int,
    progress: bool,
) -> list[list[Summary]]:
    """Every point's replicates, from the store or simulated now (stored as each group ends)."""
    space = store.space
    found: list[list[Summary] | None] = [store.get(round_, i) for i in range(len(unit))]
    pending = [i for i, f in enumerate(found) if f is None]
    group = max(1, 8 * max(jobs, 1))
    for first in range(0, len(pending), group):
        chunk = pending[first : first + group]
        values = [
            space.values(space.from_unit(unit[i : i + 1])[0]) for i in chunk for _ in range(seeds)
        ]
        replications = [DESIGN_REPLICATION + r for _ in chunk for r in range(seeds)]
        label = f"round {round_ + 1}: {first + len(chunk)}/{len(pending)} points"
        done = run_pairs(simulator, values, replications, jobs, progress, label)
        for k, i in enumerate(chunk):
            replicates = done[k * seeds : (k + 1) * seeds]
            values_i = space.from_unit(unit[i : i + 1])[0]
            store.add(round_, i, values_i, replicates, distance(replicates, observed))
            found[i] = replicates
    return [f for f in found if f is not None]


def simulate_noise(
    store: DesignStore,
    simulator: Simulator,
    round_: int,
    centre: FloatArray,
    count: int,
    jobs: int,
    progress: bool,
) -> list[Summary]:
    """Independent replicates at a round's centre (stored as the round's point -1)."""
    found = store.get(round_, -1)
    if found is not None:
        return found[0:count]
    space = store.space
    values = [space.values(space.from_unit(centre[None, :])[0])] * count
    replications = [NOISE_REPLICATION + count * round_ + m for m in range(count)]
    done = run_pairs(simulator, values, replications, jobs, progress, f"round {round_ + 1}: noise")
    store.add(round_, -1, space.from_unit(centre[None, :])[0], done, float("nan"))
    return done


def distance(replicates: list[Summary], observed: dict[str, float]) -> float:
    """Mean squared gap to the data over the statistics, in units of the replicates' spread."""
    names = [n for n, v in observed.items() if np.isfinite(v)]
    stats = stat_array([r["full"] for r in replicates], names)
    spread = np.nanstd(stats, axis=0) + 1e-6 + 0.01 * np.abs(np.array([observed[n] for n in names]))
    gap = (np.nanmean(stats, axis=0) - np.array([observed[n] for n in names])) / spread
    return float(np.nanmean(gap**2)) if names else float("nan")


def region_points(
    design: Design, index: Sequence[int], region: tuple[FloatArray, FloatArray] | None
) -> npt.NDArray[np.bool_]:
    """The points whose block coordinates lie in the region (99% ellipsoid of the proposal)."""
    if region is None:
        return np.ones(len(design.unit), dtype=bool)
    mean, cov = region
    gap = design.unit[:, index] - mean
    reach = np.einsum("nd,de,ne->n", gap, np.linalg.inv(cov), gap)
    inside: npt.NDArray[np.bool_] = reach <= chi2.ppf(0.99, len(index))
    return inside


def posterior_of(
    design: Design,
    space: Space,
    observed: dict[str, float],
    window: str,
    draws: int,
    rng: np.random.Generator,
    regions: Regions | None = None,
) -> Posterior:
    """The posterior of every block, from the design's points in each block's region."""
    names = list(observed)
    stats = design.stats(window, names)
    noise = stat_array([r[window] for r in design.noise], names)
    obs = np.array([observed[n] for n in names])
    unit = np.zeros((draws, len(space.paths)))
    fits, samples, proposal, misfits = {}, {}, {}, {}
    for block, index in space.blocks().items():
        chosen = region_points(design, index, (regions or {}).get(block))
        if chosen.sum() < 2 * (len(index) + 1):
            chosen[:] = True
        keep = usable(names, obs, stats[chosen], f"{block}.")
        keep = [k for k in usable(names, obs, noise, f"{block}.") if k in keep]
        # Points and replicates where a kept statistic is undefined are left out.
        chosen &= np.isfinite(stats[:, :, keep]).all(axis=(1, 2))
        noise_rows = np.isfinite(noise[:, keep]).all(axis=1)
        fit = fit_block(
            design.unit[chosen][:, index],
            stats[chosen][:, :, keep],
            noise[noise_rows][:, keep],
            obs[keep],
            [names[k] for k in keep],
        )
        sample = sample_block(fit, len(index), draws, rng)
        unit[:, index] = sample.unit
        fits[block], samples[block] = fit, sample
        misfits[block] = misfit(fit, sample.unit)
        spread = np.cov(sample.unit.T).reshape(len(index), len(index)) * 4.0
        proposal[block] = (sample.unit.mean(axis=0), spread + np.eye(len(index)) * 1e-4)
    return Posterior(space, unit, fits, samples, proposal, misfits)


def misfit(fit: BlockFit, unit: FloatArray) -> Misfit:
    """The block's distance to its data at the closest of the posterior draws ``unit``."""
    distance = float(np.min(-2.0 * fit.loglik(unit)))
    return Misfit(distance, float(chi2.ppf(1.0 - MISFIT_CHANCE, len(fit.stats))))
