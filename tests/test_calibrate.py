"""Calibration: the emulated likelihood and its sampler, recovery of known parameters, the CLI.

The recovery tests are a small version of ``benchmarks/calibration_recovery.py``
(which runs 20+ histories per parameter): a resellers-only world of 300
partners over 78 weeks, a ladder introduced in week 39.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

import partnerlab_cli
import sim
from sim.calibration.calibrate import calibrate
from sim.calibration.check import band
from sim.calibration.emulator import Space, fit_block
from sim.calibration.fit import misfit
from sim.calibration.generate import generate_history
from sim.calibration.output import identification
from sim.calibration.sampler import marginal, sample_block
from sim.calibration.settings import Prior
from sim.runs.stats import variance_split

DEMO = ROOT / "data" / "calibration" / "demo.yaml"
SMALL = [
    "population.partners={reseller: 300}",
    "baseline.changes.0.week=39",
    "calibrate.params={}",
    "calibrate.points=24",
    "calibrate.seeds=3",
    "calibrate.noise=30",
    "calibrate.predictive=12",
    "calibrate.draws=2000",
]
FIT = {
    "behaviour.reseller.effort_elasticity": Prior(low=0.0, high=3.0),
    "behaviour.reseller.opportunity_rate": Prior(low=0.02, high=0.3, log=True),
    "behaviour.reseller.deal_size": Prior(low=2500, high=30000, log=True),
}
PARAMS = tuple(f"{k}={p.low:g}:{p.high:g}" + (":log" if p.log else "") for k, p in FIT.items())


def test_sampler_recovers_a_known_gaussian_posterior() -> None:
    """Statistics linear in the parameters with known noise: the posterior is exactly normal."""
    rng = np.random.default_rng(0)
    a = np.array([[1.0, 0.3], [0.2, 1.0], [0.5, -0.4]])
    sd = np.array([0.05, 0.08, 0.1])
    truth = np.array([0.2, -0.3])
    observed = a @ truth + rng.normal(0, sd)
    unit = rng.uniform(-1, 1, (40, 2))
    seeds = rng.normal(0, sd, (3, 3))  # common random numbers: one draw per seed, every point
    stats = (unit @ a.T)[:, None, :] + seeds[None, :, :]
    noise = rng.normal(0, sd, (4000, 3))
    fit = fit_block(unit, stats, noise, observed, ["a.x", "a.y", "a.z"])
    draws = sample_block(fit, 2, 4000, rng).unit
    # The exact posterior: covariance (A' C^-1 A)^-1 with C the likelihood's covariance.
    cov = fit.covariance
    precision = a.T @ np.linalg.inv(cov) @ a
    mean = np.linalg.solve(precision, a.T @ np.linalg.inv(cov) @ (observed - fit.coef[0]))
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.01)
    np.testing.assert_allclose(np.cov(draws.T), np.linalg.inv(precision), rtol=0.15)
    # The likelihood counts the shared error of a mean of 3 replicates: 1 + 1/3 of the noise.
    np.testing.assert_allclose(np.diag(cov), sd**2 * (1 + 1 / 3), rtol=0.1)


def test_likelihood_covariance_by_hand() -> None:
    """Sigma from m = 10 replicates of k = 2 statistics, widened by (m-1)/(m-k-2) = 9/6.

    Eight replicates at (+-1, +-2) and two at zero: sample variances 8/9 and
    32/9, no covariance; R = 4 seeds add a quarter; a plane fits the points
    exactly, so the emulator adds nothing (bar a 1e-9 jitter).
    """
    noise = np.array([[s1, s2] for s1 in (1.0, -1.0) for s2 in (2.0, -2.0)] * 2 + [[0, 0]] * 2)
    unit = np.linspace(-1, 1, 8)[:, None]
    stats = np.repeat((unit @ [[1.0, 2.0]])[:, None, :], 4, axis=1)
    fit = fit_block(unit, stats, noise, np.zeros(2), ["a.x", "a.y"])
    np.testing.assert_allclose(
        fit.covariance, np.diag([8 / 9, 32 / 9]) * 9 / 6 * 1.25, rtol=1e-6, atol=1e-8
    )


def test_misfit_flags_data_the_posterior_cannot_reproduce() -> None:
    """Three statistics, each one noise sd from the emulator: chi-square 3, inside the limit."""
    rng = np.random.default_rng(1)
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    unit = rng.uniform(-1, 1, (30, 2))
    stats = (unit @ a.T)[:, None, :].repeat(3, axis=1)
    noise = rng.standard_normal((400, 3)) * 0.1
    near = fit_block(unit, stats, noise, a @ [0.2, 0.1] + 0.1, ["a.x", "a.y", "a.z"])
    far = fit_block(unit, stats, noise, np.array([0.2, 0.1, 2.0]), ["a.x", "a.y", "a.z"])
    draws = rng.uniform(-1, 1, (4000, 2))
    assert misfit(near, draws).reproduced
    # chi-square with 3 degrees at 99.9%: 16.27
    assert misfit(far, draws).limit == pytest.approx(16.27, abs=0.01)
    assert not misfit(far, draws).reproduced


def test_space_maps_priors_to_the_unit_cube() -> None:
    space = Space.of(FIT)
    values = np.array([[0.0, 0.02, 2500.0], [3.0, 0.3, 30000.0], [1.5, np.sqrt(0.006), 8660.25]])
    unit = space.to_unit(values)
    np.testing.assert_allclose(unit, [[-1, -1, -1], [1, 1, 1], [0, 0, 0]], atol=1e-4)
    np.testing.assert_allclose(space.from_unit(unit), values, rtol=1e-6)
    assert space.blocks() == {"reseller": [0, 1, 2]}


def test_marginal_interval_and_identification() -> None:
    unit = np.linspace(-0.1, 0.1, 1001)
    m = marginal(unit * 10, unit)
    assert m.ci_low == pytest.approx(-0.9, abs=0.01) and m.ci_high == pytest.approx(0.9, abs=0.01)
    assert m.width_ratio == pytest.approx(0.18 / 1.8, rel=0.02) and m.identified
    wide = np.linspace(-1, 1, 1001)
    assert not marginal(wide, wide).identified


def test_predictive_band_holds_a_new_draw_nine_times_in_ten() -> None:
    # 40 draws of a known distribution, then one more: the 90% band built from
    # the 40 must hold the new one 90% of the time (plain quantiles: 86%).
    rng = np.random.default_rng(3)
    samples = rng.standard_normal((20_000, 41))
    inside = [low <= s[-1] <= high for s in samples for low, *_, high in [band(s[:-1])]]
    assert np.mean(inside) == pytest.approx(0.90, abs=0.006)
    # By hand: of the draws 1..9 (n = 9), q05 sits at position 0.05 x 10 = 0.5, held at
    # the first; q95 at 9.5, held at the last; the median at 5.
    np.testing.assert_allclose(band(np.arange(1.0, 10.0))[[0, 2, 4]], [1.0, 5.0, 9.0])


def test_variance_split_by_hand() -> None:
    # Two draws x three replications: draw means 1 and 3, within-draw values +-1 around them.
    values = [0.0, 1.0, 2.0, 2.0, 3.0, 4.0]
    split = variance_split(values, [0, 0, 0, 1, 1, 1])
    within = 1.0  # sum of squares 4 over 2 x (3 - 1) degrees of freedom
    between = 3 * 2.0  # 3 x ((1 - 2)^2 + (3 - 2)^2) / (2 - 1)
    parameter = (between - within) / 3
    assert split.parameter_share == pytest.approx(parameter / (parameter + within))
    assert split.estimate.mean == pytest.approx(2.0)
    half = 12.7062047 * np.sqrt(parameter * 1.5 + within / 6)  # t(0.975, 1)
    assert split.estimate.ci_high == pytest.approx(2.0 + half, rel=1e-6)


def fitted(tmp_path: Path, seed: int, extra: tuple[str, ...] = ()) -> dict[str, object]:
    scenario = sim.load_scenario(DEMO, [*SMALL, *extra])
    history = generate_history(scenario, 78, seed=seed)
    path = tmp_path / f"h{seed}.csv"
    history.write(path)
    result = calibrate(path, scenario, tmp_path / f"fit{seed}", params=PARAMS)
    space = result.posterior.space
    out = {}
    for i, key in enumerate(space.paths):
        m = marginal(result.posterior.values[:, i], result.posterior.unit[:, i])
        _, archetype, name = key.split(".")
        out[key] = (m, getattr(scenario.archetype_params(archetype), name))
    out["held_out"] = result.held_out.coverage_90 if result.held_out is not None else None
    out["unreproduced"] = result.posterior.unreproduced
    return out


@pytest.fixture(scope="module")
def recovered(tmp_path_factory) -> list[dict[str, object]]:
    folder = tmp_path_factory.mktemp("recovery")
    return [fitted(folder, seed) for seed in (21, 22, 23)]


def test_known_parameters_lie_in_their_intervals(recovered) -> None:
    for key in FIT:
        inside = [m.ci_low <= truth <= m.ci_high for m, truth in (r[key] for r in recovered)]
        assert sum(inside) >= 2, (key, [r[key] for r in recovered])


def test_deal_flow_and_size_intervals_are_threefold_narrower(recovered) -> None:
    for key in ("behaviour.reseller.opportunity_rate", "behaviour.reseller.deal_size"):
        ratios = [r[key][0].width_ratio for r in recovered]
        assert np.median(ratios) <= 1 / 3, (key, ratios)


def test_held_out_weeks_are_mostly_inside_their_bands(recovered) -> None:
    coverage = [r["held_out"] for r in recovered]
    assert all(c is not None for c in coverage)
    assert np.mean(coverage) >= 0.7, coverage


def test_a_history_the_model_cannot_reproduce_is_flagged(tmp_path, recovered) -> None:
    """Deals three times the size the calibration world allows, and only effort fitted.

    The histories of the world itself (``recovered``) are reproduced; this one
    is not, and the output says so before any interval.
    """
    assert all(r["unreproduced"] == [] for r in recovered)
    truth = sim.load_scenario(DEMO, [*SMALL, "behaviour.reseller.deal_size=33000"])
    path = tmp_path / "big_deals.csv"
    generate_history(truth, 78, seed=41).write(path)
    scenario = sim.load_scenario(DEMO, [*SMALL, "calibrate.held_out_weeks=0"])
    result = calibrate(path, scenario, tmp_path / "fit", params=PARAMS[:1])
    assert result.posterior.unreproduced == ["reseller"]
    first = identification(result)[0]
    assert first.startswith("reseller: the fit does NOT reproduce"), first


def test_without_incentive_variation_effort_elasticity_is_not_identified(
    tmp_path, recovered
) -> None:
    """A flat program tells nothing of the response to incentives; the change does tell.

    (At 300 partners and 39 weeks after the change the interval is about half the
    prior's; the benchmark's 1,000 partners over 104 weeks narrow it threefold.)
    """
    result = fitted(tmp_path, 31, ("baseline.changes=[]",))
    flat, _ = result["behaviour.reseller.effort_elasticity"]
    assert not flat.identified and flat.width_ratio > 0.7, flat
    key = "behaviour.reseller.effort_elasticity"
    changed = np.median([r[key][0].width_ratio for r in recovered])
    assert changed < 0.8 * flat.width_ratio, (changed, flat)


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("cli")
    scenario = sim.load_scenario(DEMO, SMALL)
    path = folder / "history.parquet"
    generate_history(scenario, 78, seed=5).write(path)
    sets = [arg for item in SMALL for arg in ("--set", item)]
    params = [arg for item in PARAMS[:2] for arg in ("--param", item)]
    args = ["calibrate", str(path), "--scenario", str(DEMO), *sets, *params, "--no-progress"]
    out = folder / "out"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert partnerlab_cli.main([*args, "--out", str(out), "--json", "--report"]) == 0
    return out, json.loads(printed.getvalue())


def test_calibrate_json_contract(cli_folder) -> None:
    out, data = cli_folder
    assert set(data) == {"parameters", "held_out", "out"}
    assert data["out"] == str(out)
    assert set(data["parameters"]) == {
        "behaviour.reseller.effort_elasticity",
        "behaviour.reseller.opportunity_rate",
        "behaviour.reseller.size_sigma",
    }
    for entry in data["parameters"].values():
        assert set(entry) == {
            "mean",
            "ci_low",
            "ci_high",
            "prior_low",
            "prior_high",
            "identified",
            "reproduced",
        }
        assert entry["prior_low"] <= entry["ci_low"] <= entry["mean"] <= entry["ci_high"]
        assert entry["ci_high"] <= entry["prior_high"]
    assert 0 <= data["held_out"]["coverage_90"] <= 1


def test_calibration_folder_holds_every_output(cli_folder) -> None:
    out, data = cli_folder
    for name in (
        *("calibrated.yaml", "posterior.parquet", "fit.json", "manifest.json", "study.db"),
        *("statistics.png", "posterior.png", "held_out.png", "report.html"),
    ):
        assert (out / name).exists(), name
    draws = pd.read_parquet(out / "posterior.parquet")
    assert list(draws.columns) == list(data["parameters"]) and len(draws) == 2000
    calibrated = sim.load_scenario(out / "calibrated.yaml")
    assert calibrated.population.partners["reseller"] > 300  # with the recruits of 78 weeks
    mean = data["parameters"]["behaviour.reseller.opportunity_rate"]["mean"]
    assert calibrated.behaviour["reseller"].opportunity_rate == pytest.approx(mean, rel=1e-5)
    assert (
        calibrated.baseline.changes == []
        and calibrated.baseline.mechanics[0].type == "tiered_rebate"
    )
    page = (out / "report.html").read_text()
    assert "Posterior" in page
    assert "<td>reseller › effort elasticity</td>" in page  # named as people name it


def test_a_rerun_resumes_from_the_study(cli_folder, capsys) -> None:
    import optuna

    out, data = cli_folder
    storage = f"sqlite:///{out / 'study.db'}"
    (name,) = optuna.get_all_study_names(storage)
    before = len(optuna.load_study(study_name=name, storage=storage).trials)
    scenario = sim.load_scenario(DEMO, SMALL)
    result = calibrate(out / ".." / "history.parquet", scenario, out, params=PARAMS[:2])
    after = len(optuna.load_study(study_name=name, storage=storage).trials)
    assert after == before, "every design point was found in the study"
    means = result.posterior.values.mean(axis=0)
    expected = [data["parameters"][k]["mean"] for k in result.posterior.space.paths]
    np.testing.assert_allclose(means, expected, rtol=1e-9)


def test_run_over_the_posterior_splits_the_variance(cli_folder, tmp_path, capsys) -> None:
    out, _ = cli_folder
    args = ["run", str(out / "calibrated.yaml"), "--posterior", str(out), "--posterior-draws", "3",
            "--replications", "2", "--set", "horizon_weeks=13", "--json", "--no-progress",
            "--out", str(tmp_path / "run")]  # fmt: skip
    assert partnerlab_cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    split = data["parameter_uncertainty"]["net_lift"]
    assert data["replications"] == 6 and split["draws"] == 3
    assert 0 <= split["parameter_share"] <= 1
    assert split["ci_low"] <= split["mean"] <= split["ci_high"]


def test_a_posterior_is_an_optimize_ensemble() -> None:
    from optimize.search.settings import Ensemble

    draws = [{"behaviour.reseller.effort_elasticity": v} for v in (0.4, 0.9, 1.3)]
    ensemble = Ensemble.of_draws(draws)
    assert ensemble.members == 3
    assert ensemble.draws({}) == draws
    assert ensemble.ranges["behaviour.reseller.effort_elasticity"] == (0.4, 1.3)


def test_optimize_takes_the_posterior_as_its_ensemble(cli_folder, tmp_path, capsys) -> None:
    out, _ = cli_folder
    args = ["optimize", str(ROOT / "scenarios" / "optimize_tiers.yaml"), "--posterior", str(out),
            "--posterior-draws", "2", "--trials", "1", "--replications", "1", "--held-out", "0",
            "--storage", "memory", "--set", "population.partners={reseller: 20}",
            "--no-progress", "--json", "--out", str(tmp_path / "opt")]  # fmt: skip
    assert partnerlab_cli.main(args) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert data["n_trials"] == 1
    trials = pd.read_parquet(tmp_path / "opt" / "trials.parquet")
    # Scored over both posterior draws (the CVaR objective): two runs of one replication.
    assert trials["replications_run"].tolist() == [2]


def test_fitted_parameters_read_as_people_name_them() -> None:
    from sim.report.labels import behaviour_label, value_text

    assert behaviour_label("behaviour.reseller.deal_size") == ("reseller › deal size", "money")
    label, kind = behaviour_label("behaviour.integrator.effort_elasticity")
    assert label == "integrator › effort elasticity" and kind == "number"
    assert value_text("money", 11064.9) == "$11,065"
