"""Estimators of a pilot's average effect, each with a 95% confidence interval.

Every estimator is an ordinary least squares fit (statsmodels) whose
treatment coefficient is the estimate; its standard error is HC2
heteroskedasticity-robust (which, for a difference in means, is exactly the
Neyman variance ``s1^2/n1 + s0^2/n0``), or cluster-robust by the assignment
clusters when whole clusters were assigned. Intervals and p-values use the t
distribution with the residual (or clusters - 1) degrees of freedom.

* ``diff_in_means``: ``y ~ 1 + T``.
* ``cuped``: ``y ~ 1 + T + (x - mean x)`` with ``x`` the pre-period revenue
  (CUPED in its regression form: the slope on the centred covariate is
  CUPED's theta, fitted within arms).
* ``diff_in_diff``: the difference in means of ``y - scale * x``, where
  ``scale`` turns the pre-period into the pilot's length; the same as the
  interaction coefficient of ``y ~ T * post`` on the stacked two-period panel.
* ``post_stratified``: ``sum_s w_s (mean_1s - mean_0s)`` with ``w_s`` the
  stratum's share of the sample, fitted as ``y ~ T * (centred stratum
  dummies)``; HC2 then equals the post-stratified Neyman variance.

Also here: Holm's adjustment across arms, the sample-ratio-mismatch test, the
alpha split of an interim look and the minimum detectable effect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from sim.pilot.spec import EstimatorName

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
LEVEL = 0.95


@dataclass(frozen=True)
class Effect:
    """An estimated effect with its standard error, 95% interval and two-sided p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float

    def rejects(self, alpha: float) -> bool:
        """Whether the test of no effect rejects at level ``alpha``."""
        return bool(self.p_value < alpha)

    def covers(self, value: float) -> bool:
        """Whether the interval contains ``value``."""
        return bool(self.ci_low <= value <= self.ci_high)


def ols(y: FloatArray, design: FloatArray, clusters: IntArray | None = None) -> list[Effect]:
    """OLS of ``y`` on the columns of ``design``; one :class:`Effect` per column.

    Standard errors are HC2, or cluster-robust when ``clusters`` is given;
    intervals and p-values use the t distribution.
    """
    model = sm.OLS(np.asarray(y, dtype=np.float64), design)
    if clusters is None:
        fit = model.fit(cov_type="HC2", use_t=True)
    else:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        bounds = np.asarray(fit.conf_int(alpha=1 - LEVEL))
        p_values = np.asarray(fit.pvalues)
    se = np.asarray(fit.bse)
    return [
        Effect(
            float(b),
            float(s),
            float(lo),
            float(hi),
            float(p) if math.isfinite(p) else (1.0 if b == 0 else 0.0),
        )
        for b, s, (lo, hi), p in zip(np.asarray(fit.params), se, bounds, p_values, strict=True)
    ]


def _treatment_design(treated: BoolArray, *columns: FloatArray) -> FloatArray:
    t = np.asarray(treated, dtype=np.float64)
    return np.column_stack([np.ones(t.size), t, *columns])


def diff_in_means(y: FloatArray, treated: BoolArray, clusters: IntArray | None = None) -> Effect:
    """Mean of the treated minus mean of the controls."""
    return ols(y, _treatment_design(treated), clusters)[1]


def cuped(
    y: FloatArray, treated: BoolArray, pre: FloatArray, clusters: IntArray | None = None
) -> Effect:
    """Difference in means adjusted for the centred pre-period covariate ``pre``."""
    x = np.asarray(pre, dtype=np.float64)
    return ols(y, _treatment_design(treated, x - x.mean()), clusters)[1]


def diff_in_diff(
    y: FloatArray,
    treated: BoolArray,
    pre: FloatArray,
    scale: float,
    clusters: IntArray | None = None,
) -> Effect:
    """Difference in means of the change ``y - scale * pre`` (pre-period scaled to the pilot)."""
    change = np.asarray(y, dtype=np.float64) - scale * np.asarray(pre, dtype=np.float64)
    return diff_in_means(change, treated, clusters)


def usable_strata(strata: IntArray, treated: BoolArray) -> IntArray:
    """Stratum codes ``0..S-1`` where every stratum has at least 2 units in each arm.

    Strata with fewer are pooled into one; if the pool itself is short, it
    joins the largest stratum. One stratum left means no post-stratification.
    """
    codes = np.unique(strata, return_inverse=True)[1].astype(np.int64)
    t = np.asarray(treated, dtype=bool)

    def short(c: IntArray) -> BoolArray:
        return (np.bincount(c, weights=t) < 2) | (np.bincount(c, weights=~t) < 2)

    small = short(codes)
    if small.any():
        codes = np.where(small[codes], codes.max() + 1, codes)
        codes = np.unique(codes, return_inverse=True)[1].astype(np.int64)
        pool = codes.max()
        if short(codes)[pool] and pool > 0:
            largest = int(np.argmax(np.bincount(codes)[:pool]))
            codes = np.where(codes == pool, largest, codes)
            codes = np.unique(codes, return_inverse=True)[1].astype(np.int64)
    return codes


def post_stratified(y: FloatArray, treated: BoolArray, strata: IntArray) -> Effect:
    """Stratum-weighted difference in means (weights: the strata's shares of the sample)."""
    codes = usable_strata(strata, treated)
    dummies = np.eye(codes.max() + 1)[codes][:, 1:]
    centred = dummies - dummies.mean(axis=0)
    t = np.asarray(treated, dtype=np.float64)[:, None]
    return ols(y, _treatment_design(treated, centred, t * centred), None)[1]


def holm(p_values: Sequence[float], alpha: float) -> FloatArray:
    """Holm-adjusted p-values across arms (or terms); reject where adjusted < ``alpha``."""
    if len(p_values) == 1:
        return np.asarray(p_values, dtype=np.float64)
    return np.asarray(multipletests(list(p_values), alpha=alpha, method="holm")[1])


def sample_ratio_p(
    counts: Sequence[int] | npt.NDArray[np.integer], shares: Sequence[float]
) -> float:
    """Chi-square p-value of the arm counts against the planned allocation shares."""
    observed = np.asarray(counts, dtype=np.float64)
    expected = np.asarray(shares, dtype=np.float64) * observed.sum()
    if observed.sum() == 0:
        return 1.0
    return float(stats.chisquare(observed, f_exp=expected).pvalue)


def interim_alphas(alpha: float, at: float, spending: str) -> tuple[float, float]:
    """Nominal two-sided levels of the interim look and of the final look.

    ``bonferroni``: ``alpha / 2`` at each look. ``obrien_fleming``: the
    Lan-DeMets O'Brien-Fleming spending function spends
    ``2 (1 - Phi(z_(1 - alpha/2) / sqrt(at)))`` at the interim; the final level
    is then solved so that the chance of rejecting at either look under no
    effect is exactly ``alpha`` (the two z statistics have correlation
    ``sqrt(at)``).
    """
    if spending == "bonferroni":
        return alpha / 2, alpha / 2
    z = stats.norm.ppf(1 - alpha / 2)
    first = float(2 * stats.norm.sf(z / math.sqrt(at)))
    c1 = stats.norm.isf(first / 2)
    law = stats.multivariate_normal(cov=[[1.0, math.sqrt(at)], [math.sqrt(at), 1.0]])

    def excess(c2: float) -> float:
        inside = law.cdf([c1, c2], lower_limit=[-c1, -c2], rng=np.random.default_rng(0))
        return (1.0 - inside) - alpha

    c2 = optimize.brentq(excess, 0.5 * z, 2.0 * z, xtol=1e-8)
    return first, float(2 * stats.norm.sf(c2))


def mde(se: float, alpha: float, power: float) -> float:
    """Minimum detectable effect: ``(z_(1 - alpha/2) + z_power) * se`` (2.80 se at 0.05, 80%)."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)


#: The estimators in report order.
ESTIMATORS: tuple[str, ...] = get_args(EstimatorName)


@dataclass(frozen=True)
class Sample:
    """One comparison of a pilot: an arm against the control, partner by partner.

    ``pre`` is the pre-period revenue and ``scale`` the pilot's length over the
    pre-period's (for the difference-in-differences); ``clusters`` is set only
    when whole clusters were assigned.
    """

    y: FloatArray
    treated: BoolArray
    pre: FloatArray
    scale: float
    strata: IntArray
    clusters: IntArray | None = None


def estimate(name: str, sample: Sample) -> Effect | None:
    """Run the estimator ``name`` on ``sample``; ``None`` where it does not apply.

    Post-stratification does not apply to cluster-assigned pilots.
    """
    s = sample
    if name == "diff_in_means":
        return diff_in_means(s.y, s.treated, s.clusters)
    if name == "cuped":
        return cuped(s.y, s.treated, s.pre, s.clusters)
    if name == "diff_in_diff":
        return diff_in_diff(s.y, s.treated, s.pre, s.scale, s.clusters)
    if name == "post_stratified":
        return None if s.clusters is not None else post_stratified(s.y, s.treated, s.strata)
    raise ValueError(f"unknown estimator {name!r}; expected one of {ESTIMATORS}")
