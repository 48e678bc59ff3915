"""Decision-safe summaries: the pipeline's value beside net lift, ROI only as a return, plain lines.

* ``sim.runs.verdicts`` words a result on hand-made estimates: ROI where the
  design costs more, "saves $X, loses $Y gross profit" where it costs less,
  and one plain line when the design (or every design) loses to today's
  program, wins only by cutting gross profit, or leaves a thinner pipeline.
* End to end: a design that cuts today's rebate saves money and loses gross
  profit, and says so in the JSON and the table; its pipeline value is the
  expected gross profit of the open deals it changes, computed by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import design_scenario, ladder, load_small

import sim
from sim.report.tables import compare_table, run_table
from sim.runs.stats import UNDEFINED, Estimate
from sim.runs.verdicts import design_notes, dollars, ranking_notes, return_wording


def figures(net: float, profit: float, cost: float, pipeline: float = 0.0) -> dict[str, Estimate]:
    """A result's estimates with only means (no intervals)."""
    roi = Estimate(profit / cost, None, None) if cost > 0 else UNDEFINED
    return {
        "net_lift": Estimate(net, None, None),
        "incremental_gross_profit": Estimate(profit, None, None),
        "incremental_cost": Estimate(cost, None, None),
        "incremental_pipeline_value": Estimate(pipeline, None, None),
        "roi": roi,
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [(850.0, "$850"), (-12_345.0, "-$12.3k"), (1_250_000.0, "$1.25M"), (None, "n/a")],
)
def test_money_reads_for_people(value: float | None, text: str) -> None:
    assert dollars(value) == text


def test_roi_is_quoted_only_where_the_design_costs_more() -> None:
    costs_more = figures(net=-20_000.0, profit=30_000.0, cost=50_000.0)
    costs_more["roi"] = Estimate(0.6, 0.4, 0.8)
    assert return_wording(costs_more) == "ROI 0.60 [0.40, 0.80]"
    assert return_wording(figures(4_100.0, -8_200.0, -12_300.0)) == (
        "saves $12.3k, loses $8.2k gross profit"
    )
    assert return_wording(figures(14_300.0, 2_000.0, -12_300.0)) == (
        "saves $12.3k and gains $2.0k gross profit"
    )
    assert return_wording(figures(0.0, 0.0, 0.0)) == "costs the same as today's program"


def test_plain_lines_name_what_a_strategist_must_not_miss() -> None:
    baseline = "flat 2% rebate"
    assert design_notes(figures(-5_000.0, 1_000.0, 6_000.0), baseline) == [
        "This design does not beat today's program (flat 2% rebate): it loses $5.0k of net lift."
    ]
    assert design_notes(figures(4_000.0, -8_000.0, -12_000.0, pipeline=-3_000.0), baseline) == [
        "Its net lift comes from spending less: gross profit falls by $8.0k.",
        "It leaves a thinner pipeline: the deals still open at the horizon are worth $3.0k "
        "less in expected gross profit.",
    ]
    assert design_notes(figures(4_000.0, 10_000.0, 6_000.0, pipeline=1_000.0), baseline) == []
    losing = [("a", figures(-1.0, 0.0, 1.0)), ("b", figures(-2.0, 0.0, 2.0))]
    assert ranking_notes(losing, baseline) == [
        "No design beats today's program (flat 2% rebate): every one loses net lift."
    ]
    cutting = [("cheap", figures(4_000.0, -8_000.0, -12_000.0)), ("b", figures(-2.0, 0.0, 2.0))]
    assert ranking_notes(cutting, baseline) == [
        "The best design, cheap, wins by spending less: it lowers gross profit by $8.0k."
    ]


@pytest.fixture(scope="module")
def cutting_the_rebate() -> sim.RunResults:
    """Today's flat 2% against a flat 0.5%: cheaper, and partners sell less."""
    scenario = design_scenario(ladder([(0, 0.005)]), baseline=[ladder([(0, 0.02)])], seed=3)
    return sim.run_scenario(scenario, replications=4)


def test_a_design_that_saves_money_is_not_called_a_return(cutting_the_rebate) -> None:
    results = cutting_the_rebate
    total = results.summary["total"]
    saved, profit = -total["incremental_cost"].mean, total["incremental_gross_profit"].mean
    assert saved > 0 and profit < 0
    data = results.to_json()
    assert data["roi"] == {"mean": None, "ci_low": None, "ci_high": None}
    wording = f"saves {dollars(saved)}, loses {dollars(-profit)} gross profit"
    assert data["return_wording"] == wording
    assert wording in run_table(results)
    net = total["net_lift"].mean
    first = (
        f"This design does not beat today's program (baseline): it loses {dollars(-net)}"
        if net < 0
        else f"Its net lift comes from spending less: gross profit falls by {dollars(-profit)}"
    )
    assert results.notes[0].startswith(first) and results.to_json()["notes"] == results.notes


def test_pipeline_value_is_the_gross_profit_expected_from_open_deals(cutting_the_rebate) -> None:
    """By hand from the segments: the change in open pipeline (expected list value) after
    customer discounts and returns, at the gross margin."""
    results = cutting_the_rebate
    spec = results.scenario
    keep = {
        name: (1 - spec.archetype_params(name).customer_discount) * (1 - spec.market.returns.rate)
        for name in spec.population.partners
    }
    segments = results.segments
    by_arm = (
        segments.assign(value=segments["open_pipeline"] * segments["archetype"].map(keep))
        .groupby(["replication", "arm"])["value"]
        .sum()
        .unstack("arm")
    )
    # churned partners' deals count for nothing: the segments' open pipeline already drops them
    expected = (by_arm["design"] - by_arm["baseline"]) * spec.market.gross_margin
    paired = results.paired()["incremental_pipeline_value"]
    np.testing.assert_allclose(paired.to_numpy(), expected.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(
        results.paired()["net_lift_with_pipeline"], results.paired()["net_lift"] + paired
    )


def test_compare_says_when_no_design_beats_todays_program() -> None:
    worse = [
        design_scenario(ladder([(0, rate)]), baseline=[ladder([(0, 0.02)])], name=f"flat {rate}")
        for rate in (0.03, 0.04)
    ]
    results = sim.compare_scenarios(worse, replications=3, seed=2)
    assert all(r["net_lift"].mean < 0 for r in results.ranking.to_dict("records"))
    line = "No design beats today's program (baseline): every one loses net lift."
    assert results.to_json()["notes"] == [line]
    assert line in compare_table(results)


def test_an_aa_design_costs_the_same_and_has_no_pipeline_change() -> None:
    results = sim.run_scenario(load_small("aa_test"), replications=2)
    total = results.summary["total"]
    assert total["incremental_pipeline_value"].mean == 0.0
    assert results.to_json()["return_wording"] == "costs the same as today's program"
    assert results.notes == []
