"""Deal-timing games at period ends (sim/engine/timing.py) on hand-built pipelines.

Partner row 0 (a reseller at its defaults: pull_weeks 13, movable_share 0.5,
an early-close concession of 2% + 3% per week early, half of it funded by the
partner, customer_discount 5%, partner_margin 15%, push_loss 10%) has 8,000
booked this quarter, a 1,000 list-value deal due in the quarter's last week
(week 12) and 5,000 of won deals due in each of weeks 13-16; every other
partner has an empty pipeline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import load_small, outcome, outlook

import sim
from sim.engine.timing import TimingGame
from sim.levers.bonus import Bonus
from sim.levers.build import build_component
from sim.levers.period_reward import PeriodReward
from sim.levers.rebate_ladder import TieredRebate
from sim.world.pipeline import Pipeline

END = 12  # the first quarter's last week
DUE, AHEAD = 1_000.0, 5_000.0


@pytest.fixture(scope="module")
def world() -> sim.World:
    scenario = load_small("base", counts={"reseller": 6, "integrator": 3, "alliance": 2})
    return sim.build_world(scenario, 0)


def pipeline_of(world: sim.World) -> Pipeline:
    """Row 0's deals: DUE at week 12, AHEAD in each of weeks 13-16 (won; expected half)."""
    pipeline = Pipeline(world.partners, world.pipeline.ring_weeks)
    pipeline.rings[0].won[END, 0] = DUE
    pipeline.rings[0].won[END + 1 : END + 5, 0] = AHEAD
    pipeline.rings[0].expected[:] = 0.5 * pipeline.rings[0].won
    pipeline.rings[0].variance[:] = 0.1 * pipeline.rings[0].won
    pipeline.open_expected = pipeline.rings[0].expected.sum(axis=0)
    return pipeline


def play(
    world: sim.World, lever: Any, measure: float, flow: float, week: int = END
) -> tuple[Pipeline, PeriodReward, Any]:
    """Row 0 has booked ``measure`` this period; ``flow`` sets what a fresh period is worth."""
    reward = build_component(lever, world, np.ones(world.partners, dtype=bool))
    booked = np.zeros(world.partners)
    booked[0] = measure
    reward.record(0, outcome(booked))
    pipeline = pipeline_of(world)
    expected = outlook(world, week, flow, pipeline)
    n = world.partners
    moves = TimingGame(world).play(week, pipeline, [reward], expected, np.ones(n), last_week=10**6)
    return pipeline, reward, moves


def retroactive_gold(threshold: float = 10_000.0) -> TieredRebate:
    """0% below ``threshold``, 5% on everything from it on (a 500 jump at 10k)."""
    return TieredRebate.model_validate(
        {
            "type": "tiered_rebate",
            "tiers": [
                {"name": "base", "threshold": 0, "rate": 0.0},
                {"name": "gold", "threshold": threshold, "rate": 0.05},
            ],
        }
    )


def flat(rate: float, cap: float | None = None) -> TieredRebate:
    tiers = [{"name": "flat", "threshold": 0, "rate": rate}]
    return TieredRebate.model_validate({"type": "tiered_rebate", "tiers": tiers, "cap": cap})


def assert_totals_consistent(pipeline: Pipeline) -> None:
    held = np.concatenate([ring.expected.sum(axis=0) for ring in pipeline.rings])
    np.testing.assert_allclose(pipeline.open_expected, held, atol=1e-9)


def test_nothing_moves_before_a_period_end(world) -> None:
    pipeline, _, moves = play(world, retroactive_gold(), 8_000.0, 10_000.0, week=END - 1)
    assert moves is None
    np.testing.assert_array_equal(pipeline.rings[0].won, pipeline_of(world).rings[0].won)


def test_just_below_a_retroactive_threshold_pulls_just_enough(world) -> None:
    # a fresh period is expected well above the threshold (flow 10k x 8 weeks' closings), so
    # a pulled dollar is worth 5% next period too: only the jump makes pulling pay
    pipeline, reward, moves = play(world, retroactive_gold(), 8_000.0, 10_000.0)
    traits = world.traits
    keep = 1.0 - traits.customer_discount[0]
    # week 13's movable deals are enough, closed a week early: our share of its concession
    concession = traits.pull_discount[0] + traits.pull_discount_per_week[0]
    ours = concession * (1.0 - traits.discount_funding[0])
    need = 10_000.0 - 8_000.0 - DUE * keep  # booked value short of the threshold
    assert need < AHEAD * traits.movable_share[0] * keep
    assert moves.pulled[0] * keep * (1.0 - ours) == pytest.approx(need, rel=1e-6)
    assert moves.discount[0] == pytest.approx(moves.pulled[0] * keep * ours, rel=1e-9)
    assert moves.flagged[0] and moves.pushed[0] == 0.0
    np.testing.assert_array_equal(moves.pulled[1:], 0.0)
    # the pulled list value leaves week 13 (the nearest, cheapest) and books in week 12
    assert pipeline.rings[0].won[END, 0] == pytest.approx(DUE + moves.pulled[0])
    assert pipeline.rings[0].won[END + 1, 0] == pytest.approx(AHEAD - moves.pulled[0])
    np.testing.assert_allclose(pipeline.rings[0].won[END + 2 : END + 5, 0], AHEAD)
    np.testing.assert_allclose(pipeline.rings[0].expected, 0.5 * pipeline.rings[0].won)
    np.testing.assert_allclose(pipeline.rings[0].variance, 0.1 * pipeline.rings[0].won)
    assert pipeline.rings[0].won.sum() == pytest.approx(DUE + 4 * AHEAD)
    assert_totals_consistent(pipeline)
    # what now books this week reaches the threshold, and no more than needed
    booked = reward.measure[0] + keep * (DUE + moves.pulled[0] * (1.0 - ours))
    assert 10_000.0 <= booked < 10_000.0 + 1e-3


def test_out_of_reach_the_due_deal_is_pushed_into_the_next_quarter(world) -> None:
    # at 0 the threshold is out of reach even with every pullable deal: the due deal earns
    # nothing now and 5% next quarter, which beats losing 5% of it on the way
    pipeline, _, moves = play(world, retroactive_gold(), 0.0, 10_000.0)
    movable = world.traits.movable_share[0]  # the customers willing to wait
    assert moves.pulled[0] == 0.0 and moves.pushed[0] == pytest.approx(DUE * movable)
    assert pipeline.rings[0].won[END, 0] == pytest.approx(DUE * (1.0 - movable))


def test_already_past_the_threshold_nothing_moves(world) -> None:
    pipeline, _, moves = play(world, retroactive_gold(), 20_000.0, 10_000.0)
    assert not moves.pulled.any() and not moves.pushed.any()
    np.testing.assert_array_equal(pipeline.rings[0].won, pipeline_of(world).rings[0].won)


@pytest.mark.parametrize("measure", [0.0, 9_000.0, 60_000.0])
@pytest.mark.parametrize("rate", [0.02, 0.1])
def test_a_linear_rate_never_pulls_or_pushes(world, measure: float, rate: float) -> None:
    pipeline, _, moves = play(world, flat(rate), measure, 5_000.0)
    assert not moves.pulled.any() and not moves.pushed.any() and not moves.flagged.any()
    np.testing.assert_array_equal(pipeline.rings[0].won, pipeline_of(world).rings[0].won)


def test_a_capped_partner_pushes_the_due_deals_out(world) -> None:
    # 2% capped at 500 (reached at 25k): at 30k this quarter a deal earns nothing now,
    # while next quarter (expected around 8k) it earns 2%
    pipeline, _, moves = play(world, flat(0.02, cap=500), 30_000.0, 1_000.0)
    survive = 1.0 - world.traits.push_loss[0]
    pushed = DUE * world.traits.movable_share[0]
    assert moves.pushed[0] == pytest.approx(pushed) and moves.pulled[0] == 0.0
    assert pipeline.rings[0].won[END, 0] == pytest.approx(DUE - pushed)
    assert pipeline.rings[0].won[END + 1, 0] == pytest.approx(AHEAD + pushed * survive)
    assert pipeline.rings[0].expected[END + 1, 0] == pytest.approx(0.5 * (AHEAD + pushed * survive))
    assert pipeline.rings[0].won.sum() == pytest.approx(DUE - pushed + pushed * survive + 4 * AHEAD)
    assert_totals_consistent(pipeline)


def test_below_the_cap_nothing_is_pushed(world) -> None:
    pipeline, _, moves = play(world, flat(0.02, cap=500), 10_000.0, 1_000.0)
    assert not moves.pushed.any()
    np.testing.assert_array_equal(pipeline.rings[0].won, pipeline_of(world).rings[0].won)


def test_no_pull_for_a_bonus_worth_less_than_the_discount_it_funds(world) -> None:
    bonus = Bonus.model_validate({"type": "bonus", "threshold": 10_000, "amount": 20})
    traits = world.traits
    keep = 1.0 - traits.customer_discount[0]
    concession = traits.pull_discount[0] + traits.pull_discount_per_week[0]  # a week early
    funding, margin = traits.discount_funding[0], traits.partner_margin[0]
    need = 10_000.0 - 8_000.0 - DUE * keep  # booked value after our share of the concession
    value = need / (1 - concession * (1 - funding))  # booked value before it
    cost = value * concession * (margin * (1 - funding) + funding)  # the partner's own cost
    assert cost > 20.0  # the partner pays more than the bonus
    _, _, moves = play(world, bonus, 8_000.0, 0.0)
    assert moves.pulled[0] == 0.0


def test_pipeline_move_keeps_totals_and_loses_what_does_not_survive() -> None:
    pipeline = Pipeline(2, 10)
    pipeline.rings[0].won[9] = [100.0, 60.0]
    pipeline.rings[0].expected[9] = [50.0, 30.0]
    pipeline.rings[0].variance[9] = [10.0, 6.0]
    pipeline.open_expected = pipeline.rings[0].expected.sum(axis=0)
    # from the ring's last slot to week 11 (slot 1): it wraps around
    pipeline.move(np.array([0.5, 0.0]), 9, 11, survive=0.8)
    np.testing.assert_allclose(pipeline.rings[0].won[[9, 1]], [[50.0, 60.0], [40.0, 0.0]])
    np.testing.assert_allclose(pipeline.rings[0].expected[[9, 1]], [[25.0, 30.0], [20.0, 0.0]])
    np.testing.assert_allclose(pipeline.rings[0].variance[[9, 1]], [[5.0, 6.0], [4.0, 0.0]])
    np.testing.assert_allclose(pipeline.open_expected, [45.0, 30.0])
    assert_totals_consistent(pipeline)


def test_pipeline_totals_stay_consistent_through_a_model_run_with_timing_games() -> None:
    scenario = load_small("quickstart")
    model = sim.PartnerProgramModel(scenario)
    moved = 0.0
    for _ in range(scenario.horizon_weeks):
        model.step()
        assert_totals_consistent(model.pipeline)
        moved += model.weekly_total("pulled_forward") + model.weekly_total("pushed_out")
    assert moved > 0
