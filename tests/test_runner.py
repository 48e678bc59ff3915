"""Paired replications: determinism across jobs, result tables and their summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import SMALL, design_scenario, email, ladder, load_small, world_rows
from scipy import stats

import sim
from sim.runs.runner import top_share
from sim.runs.stats import mean_ci, ratio_ci


@pytest.fixture(scope="module")
def quick_results():
    return sim.run_scenario(load_small("quickstart"), replications=3, seed=5)


def test_same_seed_same_results_for_any_number_of_jobs():
    scenario = load_small("quickstart")
    one = sim.run_scenario(scenario, replications=4, seed=13, jobs=1)
    two = sim.run_scenario(scenario, replications=4, seed=13, jobs=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.segments, two.segments)
    pd.testing.assert_frame_equal(one.timeseries, two.timeseries)
    assert one.to_json() == two.to_json()


def test_same_seed_same_results_when_run_twice(quick_results):
    again = sim.run_scenario(load_small("quickstart"), replications=3, seed=5)
    pd.testing.assert_frame_equal(quick_results.runs, again.runs)


def test_a_different_seed_gives_different_worlds(quick_results):
    other = sim.run_scenario(load_small("quickstart"), replications=3, seed=6)
    assert not np.allclose(quick_results.runs["revenue"], other.runs["revenue"])


def test_runs_table_layout(quick_results):
    runs = quick_results.runs
    assert len(runs) == 3 * 2
    assert sorted(set(runs["arm"])) == ["baseline", "design"]
    assert list(runs.groupby("arm").size()) == [3, 3]
    assert np.all(runs["partners"] == sum(world_rows(load_small("quickstart")).values()))
    expected = (
        runs["rewards"]
        - runs["forfeited"]
        - runs["clawed_back"]
        + runs["contact_cost"]
        + runs["other_cost"]
    )
    np.testing.assert_allclose(runs["program_cost"], expected, rtol=1e-12)
    # Gross profit is the margin on revenue, less the part of pull-forward discounts the
    # margin does not absorb: equal under a linear rate (no pulls), lower otherwise.
    base = runs[runs["arm"] == "baseline"]
    np.testing.assert_allclose(base["gross_profit"], 0.35 * base["revenue"], rtol=1e-9)
    assert np.all(runs["gross_profit"] <= 0.35 * runs["revenue"] * (1 + 1e-12))


def test_segments_add_up_to_runs(quick_results):
    seg = quick_results.segments.groupby(["replication", "arm"])[
        ["revenue", "program_cost", "partners"]
    ].sum()
    runs = quick_results.runs.set_index(["replication", "arm"])
    np.testing.assert_allclose(seg["revenue"], runs.loc[seg.index, "revenue"], rtol=1e-12)
    np.testing.assert_allclose(seg["program_cost"], runs.loc[seg.index, "program_cost"], rtol=1e-12)
    counts = quick_results.segments.groupby(["replication", "arm", "archetype"])["partners"].sum()
    assert set(counts.xs("reseller", level="archetype")) == {
        world_rows(load_small("quickstart"))["reseller"]
    }


def test_timeseries_add_up_to_runs(quick_results):
    ts = quick_results.timeseries.groupby(["replication", "arm"])[
        ["revenue", "rewards", "contact_cost"]
    ].sum()
    runs = quick_results.runs.set_index(["replication", "arm"]).loc[ts.index]
    for column in ("revenue", "rewards", "contact_cost"):
        np.testing.assert_allclose(ts[column], runs[column], rtol=1e-9)
    assert quick_results.timeseries["week"].max() == 51


def test_paired_differences_are_design_minus_baseline(quick_results):
    paired = quick_results.paired()
    runs = quick_results.runs.set_index(["replication", "arm"])
    for r in range(3):
        d, b = runs.loc[(r, "design")], runs.loc[(r, "baseline")]
        gp = d["gross_profit"] - b["gross_profit"]
        cost = d["program_cost"] - b["program_cost"]
        assert paired.loc[r, "incremental_gross_profit"] == pytest.approx(gp, rel=1e-9)
        assert paired.loc[r, "incremental_cost"] == pytest.approx(cost, rel=1e-9)
        assert paired.loc[r, "net_lift"] == pytest.approx(gp - cost, rel=1e-9, abs=1e-6)
    by = quick_results.paired(by="archetype").groupby(level="replication")["net_lift"].sum()
    np.testing.assert_allclose(by, paired["net_lift"], rtol=1e-9)


def test_summary_is_mean_and_t_interval_of_paired_differences(quick_results):
    paired = quick_results.paired()["net_lift"].to_numpy()
    est = quick_results.summary["total"]["net_lift"]
    half = stats.t.ppf(0.975, 2) * paired.std(ddof=1) / np.sqrt(3)
    assert est.mean == pytest.approx(paired.mean())
    assert est.ci_low == pytest.approx(paired.mean() - half)
    assert est.ci_high == pytest.approx(paired.mean() + half)


def test_to_json_contract(quick_results):
    data = quick_results.to_json()
    assert set(data) == {
        "scenario", "seed", "replications", "partners", "horizon_weeks",
        "net_lift", "incremental_gross_profit", "incremental_cost", "roi", "by_archetype",
        "incremental_pipeline_value", "return_wording", "notes",
    }  # fmt: skip
    assert data["partners"] == 45 and data["replications"] == 3 and data["seed"] == 5
    assert list(data["by_archetype"]) == ["reseller", "integrator", "alliance"]


def test_aa_design_gives_exactly_zero_lift():
    results = sim.run_scenario(load_small("aa_test"), replications=3)
    paired = results.paired()
    assert (paired["net_lift"] == 0.0).all()
    assert (paired["incremental_gross_profit"] == 0.0).all()
    assert (paired["incremental_cost"] == 0.0).all()
    est = results.summary["total"]["net_lift"]
    assert (est.mean, est.ci_low, est.ci_high) == (0.0, 0.0, 0.0)
    assert results.summary["total"]["roi"].mean is None  # 0 / 0 is undefined, not a number


def test_design_for_one_archetype_leaves_the_others_untouched():
    """CRN: partners do not interact, so untargeted archetypes see identical outcomes."""
    scenario = design_scenario(
        ladder([(0, 0.0), (5_000, 0.05)], applies_to=["reseller"]),
        email(every_weeks=2, applies_to=["reseller"]),
        partners=SMALL,
        baseline=[],
    )
    results = sim.run_scenario(scenario, replications=2, seed=3)
    by = results.paired(by="archetype")
    for archetype in ("integrator", "alliance"):
        assert (by.xs(archetype, level="archetype")["net_lift"] == 0.0).all()
    assert (by.xs("reseller", level="archetype")["incremental_cost"] > 0).all()


def test_run_scenario_rejects_bad_counts():
    with pytest.raises(ValueError, match="replication"):
        sim.run_scenario(load_small("base"), replications=0)
    with pytest.raises(ValueError, match="jobs"):
        sim.run_scenario(load_small("base"), replications=1, jobs=0)


def test_compare_ranks_designs_on_the_same_worlds():
    specs = [load_small(name) for name in ("quickstart", "marginal_ladder", "aa_test")]
    results = sim.compare_scenarios(specs, replications=2, seed=3)
    ranking = results.ranking
    assert list(ranking["rank"]) == [1, 2, 3]
    assert sorted(ranking["design"]) == ["aa_test", "marginal_ladder", "quickstart"]
    means = [e.mean for e in ranking["net_lift"]]
    assert means == sorted(means, reverse=True)
    aa = ranking.set_index("design").loc["aa_test", "net_lift"]
    assert (aa.mean, aa.ci_low, aa.ci_high) == (0.0, 0.0, 0.0)
    # the same baseline arm is shared: one baseline run per replication
    assert sorted(set(results.runs["arm"])) == [
        "aa_test",
        "baseline",
        "marginal_ladder",
        "quickstart",
    ]
    # the quickstart's lift in the comparison equals its lift run alone (same worlds, same draws)
    alone = sim.run_scenario(specs[0], replications=2, seed=3)
    quick = ranking.set_index("design").loc["quickstart", "net_lift"]
    assert quick.mean == pytest.approx(alone.summary["total"]["net_lift"].mean, rel=1e-12)
    # pairwise differences: mean of differences = difference of means
    assert len(results.differences) == 3
    by_name = dict(zip(ranking["design"], means, strict=True))
    for row in results.differences.to_dict("records"):
        expected = by_name[row["design"]] - by_name[row["versus"]]
        assert row["net_lift_difference"].mean == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_compare_refuses_different_worlds():
    with pytest.raises(sim.ScenarioError, match="market"):
        sim.compare_scenarios([load_small("quickstart"), load_small("downturn")], replications=1)


# -- small statistics helpers -----------------------------------------------------------


def test_top_share_by_hand():
    assert top_share(np.array([1.0, 2.0, 3.0, 4.0, 10.0]), 0.2) == pytest.approx(0.5)
    assert top_share(np.array([5.0] * 10), 0.2) == pytest.approx(0.2)
    assert top_share(np.zeros(4), 0.2) == 0.0


def test_mean_ci_by_hand():
    est = mean_ci([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert (est.mean, est.ci_low, est.ci_high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert mean_ci([7.0]).ci_low is None
    assert mean_ci([3.0, 3.0, 3.0]).as_dict() == {"mean": 3.0, "ci_low": 3.0, "ci_high": 3.0}


def test_ratio_ci_by_hand():
    assert ratio_ci([1.0, 2.0], [0.0, 0.0]).mean is None
    est = ratio_ci([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert est.mean == pytest.approx(2.0)
    assert est.ci_low == pytest.approx(2.0) and est.ci_high == pytest.approx(2.0)  # exact ratio
