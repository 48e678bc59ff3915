"""Reward schedules (sim/levers/schedule.py): rewards, caps, cap points, breakpoints, the signal.

Rewards are checked against values computed by hand; the marginal-reward
signal against a numerical derivative of E[min(R(S), cap)] for S ~ Normal,
integrated with scipy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from sim.levers.schedule import Schedule, ladder

# tiers 0 -> 0%, 10,000 -> 2%, 50,000 -> 5%
THRESHOLDS = [0.0, 10_000.0, 50_000.0]
RATES = [0.0, 0.02, 0.05]


def rebate(basis: str, cap: float = np.inf, rows: int = 1) -> Schedule:
    """The three-tier ladder for ``rows`` partners, optionally capped."""
    thresholds = np.tile(THRESHOLDS, (rows, 1))
    return ladder(thresholds, np.array(RATES), basis == "retroactive", np.full(rows, cap))


def accelerator(quota: float, base: float, accelerated: float, cap: float = np.inf) -> Schedule:
    """``base`` from the first dollar, ``accelerated`` above ``quota``."""
    return Schedule(
        np.array([[0.0, quota]]),
        np.array([[base, accelerated - base]]),
        np.zeros((1, 2)),
        np.array([cap]),
    )


def lump_sum(threshold: float, amount: float) -> Schedule:
    """A bonus of ``amount`` from ``threshold`` on."""
    return Schedule(np.array([[threshold]]), np.zeros((1, 1)), np.array([[amount]]))


def at(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


# (period measure, retroactive reward, marginal reward), by hand:
# retroactive: the reached tier's rate on the whole measure;
# marginal: 2% of the measure within [10k, 50k) plus 5% above 50k.
HAND = [
    (0.0, 0.0, 0.0),
    (9_999.99, 0.0, 0.0),
    (10_000.0, 200.0, 0.0),
    (30_000.0, 600.0, 400.0),
    (49_999.0, 999.98, 799.98),
    (50_000.0, 2_500.0, 800.0),
    (60_000.0, 3_000.0, 1_300.0),
]


@pytest.mark.parametrize(("measure", "retroactive", "marginal"), HAND)
def test_ladder_rewards_by_hand(measure: float, retroactive: float, marginal: float) -> None:
    np.testing.assert_allclose(rebate("retroactive").reward(at([measure])), [retroactive])
    np.testing.assert_allclose(rebate("marginal").reward(at([measure])), [marginal])


def test_rows_are_independent_partners() -> None:
    schedule = rebate("retroactive", rows=len(HAND))
    measures = at([m for m, _, _ in HAND])
    np.testing.assert_allclose(schedule.reward(measures), [r for _, r, _ in HAND])


def test_retroactive_ladder_is_slope_changes_plus_jumps() -> None:
    schedule = rebate("retroactive")
    np.testing.assert_allclose(schedule.slopes, [[0.0, 0.02, 0.03]])
    # (r_k - r_{k-1}) x T_k: the whole measure below T_k gets the new rate at once
    np.testing.assert_allclose(schedule.jumps, [[0.0, 200.0, 1_500.0]])
    np.testing.assert_allclose(rebate("marginal").jumps, 0.0)


def test_lump_sum_jumps_at_its_threshold() -> None:
    bonus = lump_sum(12_000.0, 1_200.0)
    paid = [float(bonus.reward(at([s]))[0]) for s in (0.0, 11_999.99, 12_000.0, 120_000.0)]
    assert paid == [0.0, 0.0, 1_200.0, 1_200.0]


def test_cap_is_the_most_paid() -> None:
    assert rebate("retroactive", cap=2_800.0).reward(at([60_000.0]))[0] == 2_800.0
    assert rebate("marginal", cap=2_800.0).reward(at([60_000.0]))[0] == pytest.approx(1_300.0)
    capped = rebate("retroactive", cap=2_800.0, rows=2)
    capped.cap[1] = np.inf  # one partner capped, the other not
    np.testing.assert_allclose(capped.reward(at([60_000.0, 60_000.0])), [2_800.0, 3_000.0])


def test_reward_is_never_negative() -> None:
    # a rate that falls above 100 (R(300) = 300 - 2 x 200 = -100 before clipping)
    falling = Schedule(np.array([[0.0, 100.0]]), np.array([[1.0, -2.0]]), np.zeros((1, 2)))
    assert falling.uncapped(at([300.0]))[0] == pytest.approx(-100.0)
    assert falling.reward(at([300.0]))[0] == 0.0


def test_unused_breakpoints_change_nothing() -> None:
    # an ``inf`` breakpoint is an unused column: its slope and jump are dropped
    padded = Schedule(
        np.array([[10_000.0, np.inf]]), np.array([[0.02, 0.5]]), np.array([[0.0, 999.0]])
    )
    assert padded.reward(at([1e12]))[0] == pytest.approx(0.02 * (1e12 - 10_000.0))
    assert padded.next_breakpoint(at([20_000.0]))[0] == np.inf


@pytest.mark.parametrize(
    ("basis", "cap", "point"),
    [
        ("retroactive", 150.0, 10_000.0),  # reached by the jump to 200 at 10k
        ("retroactive", 500.0, 25_000.0),  # on the 2% segment: 10k + 300 / 0.02
        ("retroactive", 1_000.0, 50_000.0),  # at the end of the 2% segment
        ("retroactive", 2_000.0, 50_000.0),  # reached by the jump from 1,000 to 2,500
        ("retroactive", 2_600.0, 52_000.0),  # 50k + 100 / 0.05
        ("retroactive", 5_000.0, 100_000.0),  # beyond the last breakpoint: 50k + 2,500 / 0.05
        ("retroactive", np.inf, np.inf),
        ("marginal", 500.0, 35_000.0),  # 10k + 500 / 0.02
        ("marginal", 1_300.0, 60_000.0),  # 50k + 500 / 0.05
    ],
)
def test_cap_point_of_a_ladder(basis: str, cap: float, point: float) -> None:
    schedule = rebate(basis, cap=cap)
    assert schedule.cap_point[0] == pytest.approx(point)
    if np.isfinite(point):
        # at the cap point the capped reward reaches the cap, and it is below it just before
        assert schedule.reward(at([point]))[0] == pytest.approx(cap)
        assert schedule.reward(at([point - 1.0]))[0] < cap


def test_cap_point_of_an_accelerator() -> None:
    # 2% up to the 10k quota (200), then 8%: the 800 cap is reached at 10k + 600 / 0.08
    assert accelerator(10_000.0, 0.02, 0.08, cap=800.0).cap_point[0] == pytest.approx(17_500.0)


@pytest.mark.parametrize(
    ("measure", "expected"),
    [(0.0, 10_000.0), (5_000.0, 10_000.0), (10_000.0, 50_000.0), (60_000.0, np.inf)],
)
def test_next_breakpoint_is_strictly_above_and_effective(measure: float, expected: float) -> None:
    # the tier at 0 with rate 0 changes nothing, so it is never the next breakpoint
    assert rebate("retroactive").next_breakpoint(at([measure]))[0] == expected


def test_next_breakpoint_skips_tiers_that_change_nothing() -> None:
    flat_twice = ladder(np.array([[0.0, 10_000.0]]), np.array([0.02, 0.02]), retroactive=False)
    assert flat_twice.next_breakpoint(at([0.0]))[0] == np.inf


# -- the marginal-reward signal ---------------------------------------------------------


def expected_reward(schedule: Schedule, mean: float, sd: float, passed_slope: float) -> float:
    """E[min(R(S), cap)] for S ~ Normal(mean, sd), by quadrature.

    Below 0, R continues with ``passed_slope`` (the slopes of breakpoints at or
    below 0, which the schedule treats as always passed); callers put the mean
    far enough above 0 where that matters only through this convention.
    """

    def reward(s: float) -> float:
        if s >= 0.0:
            return float(schedule.reward(at([s]))[0])
        return float(schedule.reward(at([0.0]))[0]) + passed_slope * s

    finite = schedule.breakpoints[np.isfinite(schedule.breakpoints)]
    kinks = [*finite, *schedule.cap_point[np.isfinite(schedule.cap_point)], 0.0]
    low, high = mean - 12 * sd, mean + 12 * sd
    cuts = sorted({low, high, *(k for k in kinks if low < k < high)})
    density = stats.norm(mean, sd).pdf
    return sum(
        integrate.quad(lambda s: reward(s) * density(s), a, b, epsabs=1e-12, epsrel=1e-12)[0]
        for a, b in zip(cuts, cuts[1:], strict=False)
    )


def numerical_marginal(schedule: Schedule, mean: float, sd: float, passed: float = 0.0) -> float:
    """Central difference of the expected capped reward in the mean."""
    h = 1e-3 * sd
    up = expected_reward(schedule, mean + h, sd, passed)
    down = expected_reward(schedule, mean - h, sd, passed)
    return (up - down) / (2 * h)


@pytest.mark.parametrize("basis", ["retroactive", "marginal"])
@pytest.mark.parametrize(
    ("mean", "sd"), [(9_000.0, 2_000.0), (30_000.0, 8_000.0), (48_000.0, 3_000.0), (80_000.0, 5e3)]
)
def test_marginal_is_the_derivative_of_the_expected_reward(
    basis: str, mean: float, sd: float
) -> None:
    schedule = rebate(basis)
    signal = schedule.marginal(at([mean]), at([sd]))[0]
    assert signal == pytest.approx(numerical_marginal(schedule, mean, sd), rel=1e-5, abs=1e-9)


@pytest.mark.parametrize(("mean", "sd"), [(11_000.0, 500.0), (12_000.0, 4_000.0)])
def test_marginal_of_a_lump_sum_is_the_density_at_its_threshold(mean: float, sd: float) -> None:
    bonus = lump_sum(12_000.0, 1_200.0)
    signal = bonus.marginal(at([mean]), at([sd]))[0]
    assert signal == pytest.approx(1_200.0 * stats.norm(mean, sd).pdf(12_000.0), rel=1e-12)
    assert signal == pytest.approx(numerical_marginal(bonus, mean, sd), rel=1e-5)


def test_breakpoints_at_zero_are_always_passed() -> None:
    # The measure is never negative, so a rate from 0 applies in full even when
    # a Normal around a small mean puts most of its mass below 0.
    flat = ladder(np.array([[0.0]]), np.array([0.02]), retroactive=True)
    means, sds = at([0.0, 100.0, 5_000.0]), at([1_000.0, 1_000.0, 10.0])
    np.testing.assert_array_equal(flat.marginal(means, sds), 0.02)
    naive = 0.02 * stats.norm.cdf(means / sds)  # what a plain Normal would give
    assert naive[0] == pytest.approx(0.01)


def test_passed_breakpoints_add_their_slope_to_the_rest() -> None:
    schedule = ladder(np.array([[0.0, 10_000.0]]), np.array([0.02, 0.05]), retroactive=True)
    mean, sd = 3_000.0, 4_000.0  # a fifth of the mass below 0
    signal = schedule.marginal(at([mean]), at([sd]))[0]
    assert signal == pytest.approx(numerical_marginal(schedule, mean, sd, passed=0.02), rel=1e-5)


def test_marginal_of_a_capped_flat_rate_stops_at_the_cap_point() -> None:
    # 2% capped at 500: the cap point is 25,000, and the signal is 2% x P(S < 25,000)
    flat = ladder(np.array([[0.0]]), np.array([0.02]), retroactive=True, cap=at([500.0]))
    mean, sd = 20_000.0, 5_000.0
    signal = flat.marginal(at([mean]), at([sd]))[0]
    assert signal == pytest.approx(0.02 * stats.norm.cdf(1.0), rel=1e-12)
    assert signal == pytest.approx(numerical_marginal(flat, mean, sd, passed=0.02), rel=1e-5)


CAP_SIGNAL_BUG = (
    "BUG sim/levers/schedule.py Schedule.marginal: under a cap it returns "
    "(sum_k slope_k Phi(z_k) + jump terms) x P(S < S_cap), but d E[min(R, cap)]/d mean "
    "is sum_k slope_k P(T_k <= S < S_cap) + the jumps below S_cap (+ the part of a jump "
    "that reaches the cap); the product overstates the signal by "
    "slope_k P(S < T_k) P(S > S_cap) whenever S straddles both a breakpoint and the cap point"
)


@pytest.mark.parametrize(
    ("schedule", "mean", "sd"),
    [
        pytest.param(
            accelerator(10_000.0, 0.02, 0.08, cap=250.0), 10_300.0, 1_000.0, id="accelerator"
        ),
        pytest.param(rebate("retroactive", cap=2_000.0), 45_000.0, 10_000.0, id="cap-by-jump"),
    ],
)
def test_capped_marginal_is_the_derivative_of_the_capped_expectation(
    schedule: Schedule, mean: float, sd: float
) -> None:
    signal = schedule.marginal(at([mean]), at([sd]))[0]
    assert signal == pytest.approx(numerical_marginal(schedule, mean, sd), rel=1e-3)
