"""Pilot estimators: hand-computed small cases and their statsmodels OLS equivalents."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from sim.pilot.estimators import (
    Sample,
    cuped,
    diff_in_diff,
    diff_in_means,
    estimate,
    holm,
    interim_alphas,
    mde,
    post_stratified,
    sample_ratio_p,
    usable_strata,
)


def synthetic(n: int = 200, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome, treatment and a correlated pre-period covariate with heavy-ish tails."""
    rng = np.random.default_rng(seed)
    pre = rng.lognormal(8.0, 0.8, n)
    treated = rng.permutation(np.arange(n) < n // 2)
    y = 0.25 * pre * rng.lognormal(0.0, 0.3, n) + 300.0 * treated
    return y, treated, pre


# -- hand-computed small cases ------------------------------------------------------------
def test_difference_in_means_by_hand() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    treated = np.array([False, False, False, True, True, True])
    effect = diff_in_means(y, treated)
    se = math.sqrt(1.0 / 3 + 1.0 / 3)  # s^2 = 1 in each arm, 3 partners each
    half = stats.t.ppf(0.975, 4) * se  # t with n - 2 degrees of freedom
    assert effect.estimate == pytest.approx(3.0)
    assert effect.se == pytest.approx(se)
    assert (effect.ci_low, effect.ci_high) == pytest.approx((3.0 - half, 3.0 + half))
    assert effect.p_value == pytest.approx(2 * stats.t.sf(3.0 / se, 4))
    assert effect.covers(3.0) and effect.rejects(0.05) and not effect.rejects(0.01)


def test_post_stratified_by_hand() -> None:
    # stratum 0: control 1, 3; treated 4, 6 -> diff 3, variances 2 and 2
    # stratum 1: control 10, 12, 14; treated 20, 22, 30 -> diff 12, variances 4 and 28
    y = np.array([1, 3, 4, 6, 10, 12, 14, 20, 22, 30], dtype=float)
    treated = np.array([0, 0, 1, 1, 0, 0, 0, 1, 1, 1], dtype=bool)
    strata = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    w0, w1 = 0.4, 0.6
    expected = w0 * 3 + w1 * 12
    variance = w0**2 * (2 / 2 + 2 / 2) + w1**2 * (28 / 3 + 4 / 3)
    effect = post_stratified(y, treated, strata)
    assert effect.estimate == pytest.approx(expected)
    assert effect.se == pytest.approx(math.sqrt(variance))


def test_strata_too_small_for_a_variance_are_pooled() -> None:
    treated = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    strata = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3])  # strata 2 and 3: 1 per arm
    codes = usable_strata(strata, treated)
    assert codes.max() == 2  # 0, 1 and the pool of 2 and 3
    assert len(set(codes[8:])) == 1 and codes[8] not in codes[:8]
    one = np.array([0, 0, 0, 0, 1])  # the pool (stratum 1) is short: joins stratum 0
    assert set(usable_strata(one, np.array([1, 0, 1, 0, 1], dtype=bool))) == {0}


def test_holm_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03], 0.05) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.2], 0.05) == pytest.approx([0.2])


def test_sample_ratio_mismatch() -> None:
    assert sample_ratio_p([500, 500], [0.5, 0.5]) == pytest.approx(1.0)
    chi2 = (600 - 500) ** 2 / 500 * 2
    assert sample_ratio_p([600, 400], [0.5, 0.5]) == pytest.approx(stats.chi2.sf(chi2, 1))
    assert sample_ratio_p([400, 600], [0.4, 0.6]) == pytest.approx(1.0)


def test_minimum_detectable_effect_is_2_8_standard_errors() -> None:
    assert mde(1.0, 0.05, 0.8) == pytest.approx(1.959964 + 0.841621, rel=1e-6)
    assert mde(10.0, 0.05, 0.8) == pytest.approx(28.0, abs=0.02)


def test_interim_alpha_split_keeps_the_overall_level() -> None:
    assert interim_alphas(0.05, 0.5, "bonferroni") == (0.025, 0.025)
    first, final = interim_alphas(0.05, 0.5, "obrien_fleming")
    assert first == pytest.approx(2 * stats.norm.sf(stats.norm.ppf(0.975) / math.sqrt(0.5)))
    assert first < 0.01 < final < 0.05
    # under no effect, z at the interim and at the end have correlation sqrt(0.5)
    rng = np.random.default_rng(0)
    z1 = rng.standard_normal(400_000)
    z2 = math.sqrt(0.5) * z1 + math.sqrt(0.5) * rng.standard_normal(z1.size)
    reject = (2 * stats.norm.sf(abs(z1)) < first) | (2 * stats.norm.sf(abs(z2)) < final)
    assert reject.mean() == pytest.approx(0.05, abs=0.0015)


# -- equivalence with statsmodels OLS -------------------------------------------------------
def frame() -> pd.DataFrame:
    y, treated, pre = synthetic()
    return pd.DataFrame({"y": y, "t": treated.astype(float), "x": pre - pre.mean(), "pre": pre})


def test_difference_in_means_is_ols_on_a_treatment_dummy() -> None:
    data = frame()
    fit = smf.ols("y ~ t", data).fit(cov_type="HC2")
    effect = diff_in_means(data["y"].to_numpy(), data["t"].to_numpy() == 1)
    assert effect.estimate == pytest.approx(fit.params["t"], rel=1e-10)
    assert effect.se == pytest.approx(fit.bse["t"], rel=1e-10)
    treated, control = data[data["t"] == 1]["y"], data[data["t"] == 0]["y"]
    assert effect.estimate == pytest.approx(treated.mean() - control.mean())
    neyman = math.sqrt(treated.var() / treated.size + control.var() / control.size)
    assert effect.se == pytest.approx(neyman, rel=1e-10)  # HC2 is the Neyman variance


def test_cuped_is_ols_with_the_centred_covariate() -> None:
    data = frame()
    fit = smf.ols("y ~ t + x", data).fit(cov_type="HC2")
    treated = data["t"].to_numpy() == 1
    effect = cuped(data["y"].to_numpy(), treated, data["pre"].to_numpy())
    assert effect.estimate == pytest.approx(fit.params["t"], rel=1e-10)
    assert effect.se == pytest.approx(fit.bse["t"], rel=1e-10)
    # Frisch-Waugh by hand: residualize y and t on (1, x); theta is the within-arm slope
    basis = np.column_stack([np.ones(len(data)), data["x"]])
    resid = lambda v: v - basis @ np.linalg.lstsq(basis, v, rcond=None)[0]  # noqa: E731
    rt, ry = resid(data["t"].to_numpy()), resid(data["y"].to_numpy())
    assert effect.estimate == pytest.approx(rt @ ry / (rt @ rt), rel=1e-9)
    assert effect.se < diff_in_means(data["y"].to_numpy(), treated).se  # variance reduction


def test_diff_in_diff_is_the_interaction_of_a_two_period_panel() -> None:
    data = frame()
    scale = 0.25  # a 13-week pilot against a 52-week pre-period
    treated = data["t"].to_numpy() == 1
    effect = diff_in_diff(data["y"].to_numpy(), treated, data["pre"].to_numpy(), scale)
    n = len(data)
    panel = pd.DataFrame(
        {
            "y": np.concatenate([scale * data["pre"], data["y"]]),
            "t": np.tile(data["t"], 2),
            "post": np.repeat([0.0, 1.0], n),
            "partner": np.tile(np.arange(n), 2),
        }
    )
    fit = smf.ols("y ~ t * post", panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["partner"], "use_correction": False}
    )
    assert effect.estimate == pytest.approx(fit.params["t:post"], rel=1e-9)
    change = pd.DataFrame({"d": data["y"] - scale * data["pre"], "t": data["t"]})
    hc0 = smf.ols("d ~ t", change).fit(cov_type="HC0")
    assert hc0.bse["t"] == pytest.approx(fit.bse["t:post"], rel=1e-9)  # partner-clustered = HC0
    assert effect.se == pytest.approx(smf.ols("d ~ t", change).fit(cov_type="HC2").bse["t"])


def test_post_stratified_is_the_interacted_ols_with_centred_strata() -> None:
    y, treated, pre = synthetic(240, seed=3)
    strata = np.digitize(pre, np.quantile(pre, [0.3, 0.7]))  # three size strata
    data = pd.DataFrame({"y": y, "t": treated.astype(float), "s": strata})
    for s in (1, 2):
        data[f"d{s}"] = (data["s"] == s) - (data["s"] == s).mean()
    fit = smf.ols("y ~ t * (d1 + d2)", data).fit(cov_type="HC2")
    effect = post_stratified(y, treated, strata)
    assert effect.estimate == pytest.approx(fit.params["t"], rel=1e-9)
    assert effect.se == pytest.approx(fit.bse["t"], rel=1e-9)
    weights = pd.Series(strata).value_counts(normalize=True).sort_index()
    by_hand = sum(
        w * (y[(strata == s) & treated].mean() - y[(strata == s) & ~treated].mean())
        for s, w in weights.items()
    )
    assert effect.estimate == pytest.approx(by_hand, rel=1e-9)


def test_clustered_errors_use_clusters_minus_one_degrees_of_freedom() -> None:
    y, treated, pre = synthetic(120, seed=5)
    clusters = np.repeat(np.arange(8), 15)
    treated = np.repeat(np.arange(8) % 2 == 0, 15)
    effect = diff_in_means(y, treated, clusters)
    data = pd.DataFrame({"y": y, "t": treated.astype(float)})
    fit = smf.ols("y ~ t", data).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    assert effect.se == pytest.approx(fit.bse["t"], rel=1e-10)
    half = (effect.ci_high - effect.ci_low) / 2
    assert half == pytest.approx(stats.t.ppf(0.975, 7) * effect.se, rel=1e-9)


def test_estimate_dispatches_and_skips_what_does_not_apply() -> None:
    y, treated, pre = synthetic(60)
    strata = np.arange(60) % 3
    sample = Sample(y, treated, pre, 0.25, strata)
    assert estimate("cuped", sample) == cuped(y, treated, pre)
    assert estimate("diff_in_diff", sample) == diff_in_diff(y, treated, pre, 0.25)
    clustered = Sample(y, treated, pre, 0.25, strata, clusters=np.arange(60) % 6)
    assert estimate("post_stratified", clustered) is None
    with pytest.raises(ValueError, match="unknown estimator"):
        estimate("median", sample)
