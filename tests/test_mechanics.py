"""Money flows of the program mechanics, checked against values computed by hand.

Rewards are read the way the model reads them: record a period's revenue, then
settle (``helpers.pay``); the effort signal is the reward schedule's
``marginal`` (``helpers.marginal``).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import (
    TINY,
    design_scenario,
    email,
    email_channel,
    ladder,
    marginal,
    outcome,
    pay,
    rebate_rule,
    rows_of,
)
from scipy import integrate, stats

import sim
from sim.levers.build import build_program
from sim.levers.schedule import Schedule
from sim.levers.tier_status import TierLadder

LADDER = [(0, 0.0), (10_000, 0.02), (50_000, 0.05)]

# (period revenue, retroactive reward, marginal reward), all by hand:
# retroactive: the reached tier's rate on all revenue;
# marginal: 2% of the revenue in [10k, 50k) plus 5% of the revenue above 50k.
HAND = [
    (0.0, 0.0, 0.0),
    (5_000.0, 0.0, 0.0),
    (9_999.0, 0.0, 0.0),
    (10_000.0, 200.0, 0.0),  # at the threshold: the tier applies
    (10_001.0, 200.02, 0.02),
    (30_000.0, 600.0, 400.0),
    (49_999.0, 999.98, 799.98),
    (50_000.0, 2_500.0, 800.0),
    (50_001.0, 2_500.05, 800.05),
    (60_000.0, 3_000.0, 1_300.0),  # marginal: 0.02 * 40000 + 0.05 * 10000
]


def hand_reward(sales: float, tiers: list[tuple[float, float]], basis: str) -> float:
    """Reward by the textbook definitions, written independently of the package."""
    if basis == "retroactive":
        rate = 0.0
        for threshold, tier_rate in tiers:
            if sales >= threshold:
                rate = tier_rate
        return max(rate * sales, 0.0)
    total = 0.0
    uppers = [t for t, _ in tiers[1:]] + [np.inf]
    for (threshold, tier_rate), upper in zip(tiers, uppers, strict=True):
        total += tier_rate * max(min(sales, upper) - threshold, 0.0)
    return total


def full(world: sim.World, value: float) -> np.ndarray:
    return np.full(world.partners, float(value))


@pytest.mark.parametrize(("sales", "retro", "marg"), HAND)
def test_reward_hand_computed(sales, retro, marg):
    retro_rule, world = rebate_rule(LADDER, basis="retroactive")
    marg_rule, _ = rebate_rule(LADDER, basis="marginal")
    np.testing.assert_allclose(pay(retro_rule, full(world, sales)), retro, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(pay(marg_rule, full(world, sales)), marg, rtol=1e-12, atol=1e-9)
    # the helper used for the expected-reward check below agrees with the table
    assert hand_reward(sales, LADDER, "retroactive") == pytest.approx(retro)
    assert hand_reward(sales, LADDER, "marginal") == pytest.approx(marg)


def test_reward_mixed_vector_and_first_threshold_above_zero():
    tiers = [(1_000, 0.01), (2_000, 0.04)]
    retro, _ = rebate_rule(tiers, basis="retroactive", partners={"reseller": 5})
    marg, _ = rebate_rule(tiers, basis="marginal", partners={"reseller": 5})
    sales = np.array([500.0, 1_000.0, 1_500.0, 2_000.0, 3_000.0])
    np.testing.assert_allclose(pay(retro, sales), [0.0, 10.0, 15.0, 80.0, 120.0])
    # marginal: 1% of [1000, 2000) plus 4% above 2000
    np.testing.assert_allclose(pay(marg, sales), [0.0, 0.0, 5.0, 10.0, 50.0])


def test_per_archetype_thresholds():
    tiers = [(0, 0.0), ({"reseller": 1_000, "integrator": 5_000, "alliance": 20_000}, 0.1)]
    rule, world = rebate_rule(tiers)
    res, integ, ally = (rows_of(world, a) for a in ("reseller", "integrator", "alliance"))
    for sales, (r, i, a) in (
        (3_000.0, (300.0, 0.0, 0.0)),
        (6_000.0, (600.0, 600.0, 0.0)),
        (20_000.0, (2_000.0, 2_000.0, 2_000.0)),
    ):
        paid = pay(rule, full(world, sales))
        np.testing.assert_allclose(paid[res], r)
        np.testing.assert_allclose(paid[integ], i)
        np.testing.assert_allclose(paid[ally], a)


def test_applies_to_excludes_other_archetypes():
    rule, world = rebate_rule([(0, 0.03)], applies_to=["integrator"])
    paid = pay(rule, full(world, 100_000.0))
    np.testing.assert_allclose(paid[rows_of(world, "integrator")], 3_000.0)
    assert np.all(paid[rows_of(world, "reseller")] == 0.0)
    assert np.all(paid[rows_of(world, "alliance")] == 0.0)
    signal = marginal(rule, full(world, 5e4), full(world, 1e4))
    assert np.all(signal[rows_of(world, "reseller")] == 0.0)
    assert np.all(signal[rows_of(world, "integrator")] > 0.0)


def test_applies_to_allows_missing_thresholds_for_excluded_archetypes():
    tiers = [(0, 0.0), ({"reseller": 1_000}, 0.05)]
    rule, world = rebate_rule(tiers, applies_to=["reseller"])
    paid = pay(rule, full(world, 2_000.0))
    np.testing.assert_allclose(paid[rows_of(world, "reseller")], 100.0)
    assert np.all(paid[rows_of(world, "integrator")] == 0.0)


def test_cap_limits_the_payout_per_period():
    scenario = design_scenario({**ladder([(0, 0.1)]), "cap": 500.0})
    (rule,) = build_program(scenario.design, sim.build_world(scenario, 0)).timed_rewards
    sales = np.linspace(0, 10_000, rule.measure.size)
    np.testing.assert_allclose(pay(rule, sales), np.minimum(0.1 * sales, 500.0))


# -- settlement ---------------------------------------------------------------------


def test_quarterly_settlement_pays_on_period_end_weeks_and_resets():
    rule, world = rebate_rule([(0, 0.01), (20_000, 0.03)], period="quarter")
    weekly = {**dict.fromkeys(range(13), 1_000.0), **dict.fromkeys(range(13, 26), 2_000.0)}
    weekly |= dict.fromkeys(range(26, 30), 1_000.0)
    payouts = {}
    for week, revenue in weekly.items():
        rule.record(week, outcome(full(world, revenue)))
        payouts[week] = rule.settle(week, final=week == 29)
    paid_weeks = [w for w, p in payouts.items() if p is not None and np.any(p != 0)]
    assert paid_weeks == [12, 25, 29]
    assert all(payouts[w] is None for w in weekly if w not in (12, 25, 29))
    # week 12: 13 x 1000 = 13000 < 20000 -> 1%
    np.testing.assert_allclose(payouts[12], 130.0)
    # week 25: only the second quarter's 13 x 2000 = 26000 >= 20000 -> 3% (the total was reset)
    np.testing.assert_allclose(payouts[25], 780.0)
    # horizon in week 29: the open period (weeks 26-29, 4000) is accrued at 1%
    np.testing.assert_allclose(payouts[29], 40.0)
    # and the period total is reset after the final accrual
    np.testing.assert_array_equal(rule.settle(30, final=True), 0.0)


def test_yearly_settlement_pays_once_at_week_51():
    rule, world = rebate_rule([(0, 0.01), (50_000, 0.03)], period="year")
    paid = []
    for week in range(52):
        rule.record(week, outcome(full(world, 1_000.0)))
        paid.append(rule.settle(week, final=False))
    assert [w for w, p in enumerate(paid) if p is not None] == [51]
    np.testing.assert_allclose(paid[51], 0.03 * 52_000)


def test_final_settlement_on_a_period_end_pays_once():
    rule, world = rebate_rule([(0, 0.02)])
    rule.record(12, outcome(full(world, 1_000.0)))
    np.testing.assert_allclose(rule.settle(12, final=True), 20.0)
    np.testing.assert_array_equal(rule.settle(13, final=True), 0.0)


# -- status tiers: the tier reached ----------------------------------------------------


def status_ladder(grace: int = 1) -> tuple[TierLadder, sim.World]:
    spec = {
        "type": "tier_status",
        "grace_periods": grace,
        "tiers": [
            {"name": "silver", "threshold": 1_000, "rebate_rate": 0.01},
            {"name": "gold", "threshold": 5_000, "rebate_rate": 0.03},
        ],
    }
    scenario = design_scenario(spec)
    world = sim.build_world(scenario, 0)
    (component,) = build_program(scenario.design, world).components
    assert isinstance(component, TierLadder)
    return component, world


@pytest.mark.parametrize(
    ("measure", "level"), [(0.0, 0), (999.0, 0), (1_000.0, 1), (4_999.0, 1), (5_000.0, 2), (1e9, 2)]
)
def test_tier_reached(measure, level):
    tiers, world = status_ladder()
    np.testing.assert_array_equal(tiers.reached(full(world, measure)), level)


def test_tier_promotion_grace_and_demotion_one_tier_at_a_time():
    tiers, world = status_ladder(grace=1)
    levels, paid = [], []
    for quarter, revenue in enumerate([10_000.0, 100.0, 100.0, 100.0, 100.0]):
        for week in range(13 * quarter, 13 * quarter + 13):
            tiers.record(week, outcome(full(world, revenue / 13)))
            due = tiers.settle(week, final=False)
        paid.append(due)
        levels.append(tiers.level.copy())
    # quarter 1 earns gold; quarter 2 is below but within grace; then one tier down per
    # grace-reset cycle: gold, gold (grace), silver, silver (grace), none
    assert [int(level[0]) for level in levels] == [2, 2, 1, 1, 0]
    assert all(np.all(level == level[0]) for level in levels)
    # the rebate of the tier held during the quarter: gold (3%) in quarters 2 and 3
    np.testing.assert_allclose(paid[1], 0.03 * 100.0, rtol=1e-9)
    np.testing.assert_allclose(paid[2], 0.03 * 100.0, rtol=1e-9)
    np.testing.assert_allclose(paid[3], 0.01 * 100.0, rtol=1e-9)


# -- the marginal-reward signal -----------------------------------------------------


def expected_reward(mean: float, sd: float, tiers, basis: str) -> float:
    """E[reward(S)] for S ~ Normal(mean, sd), by quadrature between the kinks."""
    lo, hi = mean - 12 * sd, mean + 12 * sd
    kinks = sorted({0.0, *(float(t) for t, _ in tiers)})
    points = [lo, *(k for k in kinks if lo < k < hi), hi]
    total = 0.0
    for a, b in zip(points, points[1:], strict=False):
        value, _ = integrate.quad(
            lambda s: hand_reward(s, tiers, basis) * stats.norm.pdf(s, mean, sd),
            a,
            b,
            epsabs=1e-12,
            epsrel=1e-12,
            limit=200,
        )
        total += value
    return total


@pytest.mark.parametrize("basis", ["retroactive", "marginal"])
@pytest.mark.parametrize(
    ("mean", "sd"),
    [
        (9_500, 1_000),
        (2_000, 1_000),
        (10_000, 3_000),
        (48_000, 2_000),
        (60_000, 5_000),
        (30_000, 20_000),
        (500, 200),
    ],
)
def test_marginal_is_the_derivative_of_expected_reward(basis, mean, sd):
    rule, world = rebate_rule(LADDER, basis=basis)
    got = marginal(rule, full(world, mean), full(world, sd))
    h = 0.01 * sd
    finite_difference = (
        expected_reward(mean + h, sd, LADDER, basis) - expected_reward(mean - h, sd, LADDER, basis)
    ) / (2 * h)
    np.testing.assert_allclose(got, finite_difference, rtol=1e-4, atol=1e-8)


def test_marginal_pulls_hardest_just_below_a_retroactive_threshold():
    rule, world = rebate_rule(LADDER, basis="retroactive")
    sd = full(world, 1_000.0)
    just_below = marginal(rule, full(world, 9_500.0), sd)
    far_below = marginal(rule, full(world, 2_000.0), sd)
    assert np.all(just_below > 10 * far_below)
    # the threshold jump makes one more dollar worth more than any rate on the ladder
    assert np.all(just_below > 0.05)
    # far above the top threshold only the top rate remains
    np.testing.assert_allclose(marginal(rule, full(world, 500_000.0), sd), 0.05, rtol=1e-9)


def test_marginal_basis_has_no_threshold_density_term():
    rule, world = rebate_rule(LADDER, basis="marginal")
    n = world.partners
    mean = np.linspace(0, 80_000, n)
    sd = np.linspace(500, 20_000, n)
    expected = sum(
        step * stats.norm.cdf((mean - threshold) / sd)
        for threshold, step in ((10_000, 0.02), (50_000, 0.03))
    )
    np.testing.assert_allclose(marginal(rule, mean, sd), expected, rtol=1e-10, atol=1e-15)
    # so it never exceeds the top rate
    assert np.all(marginal(rule, mean, sd) <= 0.05 + 1e-12)


def test_schedule_with_a_jump_by_hand():
    # a $500 bonus at 1000 plus 10% above 2000, for two partners
    schedule = Schedule(
        np.array([[1_000.0, 2_000.0], [1_000.0, np.inf]]),
        np.array([[0.0, 0.1], [0.0, 0.1]]),
        np.array([[500.0, 0.0], [500.0, 0.0]]),
    )
    np.testing.assert_allclose(schedule.reward(np.array([999.0, 999.0])), [0.0, 0.0])
    np.testing.assert_allclose(schedule.reward(np.array([1_000.0, 1_000.0])), [500.0, 500.0])
    np.testing.assert_allclose(schedule.reward(np.array([3_000.0, 3_000.0])), [600.0, 500.0])
    # the jump's pull: 500 * phi(0) / sd at the threshold
    pull = schedule.marginal(np.array([1_000.0, 1_000.0]), np.array([100.0, 100.0]))
    np.testing.assert_allclose(
        pull, 500 * stats.norm.pdf(0) / 100 + 0.1 * stats.norm.cdf(-10), rtol=1e-9
    )
    np.testing.assert_allclose(
        schedule.next_breakpoint(np.array([1_500.0, 1_500.0])), [2_000.0, np.inf]
    )


# -- email ---------------------------------------------------------------------------


def send(channel, week: int, reachable: np.ndarray) -> np.ndarray:
    n = reachable.size
    return channel.contacts(week, reachable, np.zeros(n, dtype=bool), None, np.zeros(n))


def test_email_contacts_only_on_cadence_weeks():
    channel, world = email_channel(every_weeks=4, first_week=2)
    everyone = np.ones(world.partners, dtype=bool)
    due = [w for w in range(30) if send(channel, w, everyone).any()]
    assert due == [2, 6, 10, 14, 18, 22, 26]
    for week in due:
        assert send(channel, week, everyone).all()


def test_email_respects_reachability_targeting_and_opt_outs():
    channel, world = email_channel(every_weeks=1, applies_to=["reseller", "alliance"])
    n = world.partners
    reachable = np.arange(n) % 2 == 0
    opted_out = np.arange(n) % 3 == 0
    sent = channel.contacts(0, reachable, opted_out, None, np.zeros(n))
    names = np.array(world.archetypes)[world.archetype]
    np.testing.assert_array_equal(sent, reachable & ~opted_out & (names != "integrator"))
    assert channel.cost_per_contact == 1.0


def test_email_first_week_after_horizon_never_sends():
    channel, world = email_channel(every_weeks=1, first_week=100)
    everyone = np.ones(world.partners, dtype=bool)
    assert not any(send(channel, w, everyone).any() for w in range(100))
    assert send(channel, 100, everyone).all()


def test_audience_restricts_every_mechanic():
    scenario = design_scenario(ladder([(0, 0.02)]), email(every_weeks=1), partners=TINY)
    world = sim.build_world(scenario, 0)
    audience = np.arange(world.partners) % 3 == 0
    parts = build_program(scenario.design, world, audience)
    (rule,), (channel,) = parts.timed_rewards, parts.channels
    np.testing.assert_allclose(pay(rule, full(world, 1_000.0)), np.where(audience, 20.0, 0.0))
    np.testing.assert_array_equal(send(channel, 0, np.ones(world.partners, dtype=bool)), audience)
