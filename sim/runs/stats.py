"""Estimates with 95% confidence intervals over replications."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import stdtrit

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% confidence interval; ``None`` where it is undefined."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, float | None]:
        """The JSON form: ``{"mean", "ci_low", "ci_high"}``."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}


UNDEFINED = Estimate(None, None, None)


def _t_half_width(se: float, n: int) -> float:
    # Student's t quantile: scipy.stats.t.ppf gives the same number but imports scipy.stats
    # (about 0.4 s of a run's start-up).
    return float(stdtrit(n - 1, 0.5 + LEVEL / 2) * se)


def mean_ci(values: npt.ArrayLike) -> Estimate:
    """Mean and Student-t 95% interval of independent replications.

    With one replication the interval is undefined (``None``); with no spread
    it collapses to the mean.
    """
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if x.size < 2:
        return Estimate(mean, None, None)
    se = float(x.std(ddof=1)) / math.sqrt(x.size)
    half = _t_half_width(se, x.size) if se > 0 else 0.0
    return Estimate(mean, mean - half, mean + half)


def ratio_ci(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> Estimate:
    """Ratio of means with a delta-method 95% interval (paired replications).

    Used for ROI = mean incremental gross profit / mean incremental cost.
    Undefined when the mean denominator is zero.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    d = float(den.mean())
    scale = max(float(np.abs(den).max(initial=0.0)), 1e-12)
    if abs(d) <= 1e-9 * scale or d == 0.0:
        return UNDEFINED
    ratio = float(num.mean()) / d
    if num.size < 2:
        return Estimate(ratio, None, None)
    cov = np.cov(num, den, ddof=1)
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (d**2 * num.size)
    half = _t_half_width(math.sqrt(max(var, 0.0)), num.size)
    return Estimate(ratio, ratio - half, ratio + half)


@dataclass(frozen=True)
class VarianceSplit:
    """A mean over parameter draws x replications, and where its variance comes from.

    ``estimate``: the mean with a 95% interval for the quantity under the
    parameters' uncertainty (the spread across draws) and the simulation's
    noise; ``parameter_share``: the share of one replication's variance that
    comes from the parameters (the rest is simulation noise).
    """

    estimate: Estimate
    parameter_share: float
    draws: int
    replications: int

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            **self.estimate.as_dict(),
            "parameter_share": self.parameter_share,
            "noise_share": 1.0 - self.parameter_share,
            "draws": self.draws,
            "replications_per_draw": self.replications,
        }


def variance_split(values: npt.ArrayLike, groups: npt.ArrayLike) -> VarianceSplit:
    """One-way analysis of variance of ``values`` over equal-sized ``groups`` (parameter draws).

    Between-draw variance beyond what noise explains is the parameters'
    (``max(0, (MS_between - MS_within) / R)``); within-draw variance is the
    simulation's noise. The interval is ``mean +- t(P-1) sqrt(s_p^2 (1 + 1/P)
    + s_n^2 / (P R))``: where the true value lies given the posterior, plus
    the Monte Carlo error of the mean.
    """
    x = np.asarray(values, dtype=np.float64)
    labels, index = np.unique(np.asarray(groups), return_inverse=True)
    draws = labels.size
    per = x.size // max(draws, 1)
    means = np.bincount(index, weights=x) / per
    grand = float(x.mean())
    within = float(((x - means[index]) ** 2).sum() / max(draws * (per - 1), 1))
    between = float(per * ((means - grand) ** 2).sum() / max(draws - 1, 1))
    parameter = max(0.0, (between - within) / per) if per > 1 else max(between, 0.0)
    total = parameter + within
    share = parameter / total if total > 0 else 0.0
    if draws < 2:
        return VarianceSplit(Estimate(grand, None, None), share, draws, per)
    half = float(stdtrit(draws - 1, 0.5 + LEVEL / 2)) * math.sqrt(
        parameter * (1.0 + 1.0 / draws) + within / x.size
    )
    return VarianceSplit(Estimate(grand, grand - half, grand + half), share, draws, per)
