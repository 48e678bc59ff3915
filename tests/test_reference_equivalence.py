"""The vectorized model computes the same model as the per-agent Mesa reference.

``benchmarks/reference_model.py`` steps each partner on its own with scalar
arithmetic. Both draw the same random numbers (common streams, partner ``i``
reads entry ``i`` of each week's block) on the same world, so we check exact
alignment rather than statistical similarity: per-partner revenue, rewards and
weekly series must agree to floating-point rounding, arm by arm and seed by
seed, and so must tier attainment and net lift.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASE_YAML

import sim
from benchmarks.reference_model import LADDER, SUPPORTED_MARKET, ReferenceModel, check_supported
from sim.scenario.schema import Scenario

SEEDS = (11, 12, 13, 14)
THRESHOLDS = {"reseller": 5000, "integrator": 10000, "alliance": 25000}
#: A two-arm scenario using only what the reference implements.
OVERRIDES = [
    "population.partners={reseller: 40, integrator: 14, alliance: 6}",
    "horizon_weeks=39",
    LADDER,
    *SUPPORTED_MARKET,
]
RTOL, ATOL = 1e-9, 1e-6


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The shared world of the shipped scenarios, 60 partners, a three-tier ladder."""
    return sim.load_scenario(BASE_YAML, OVERRIDES)


@pytest.fixture(scope="module")
def runs(
    scenario: Scenario,
) -> dict[tuple[int, str], tuple[sim.PartnerProgramModel, ReferenceModel]]:
    """Both arms of each seed, in the package and in the reference, on one world per seed."""
    out = {}
    for seed in SEEDS:
        world = sim.build_world(scenario, 0, seed)
        for arm in ("baseline", "design"):
            package = sim.PartnerProgramModel(
                scenario, seed, arm=arm, world=world, record_partners=True
            ).run()
            reference = ReferenceModel(scenario, arm=arm, seed=seed, world=world).run()
            out[seed, arm] = (package, reference)
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("arm", ["baseline", "design"])
def test_per_partner_totals_match(runs: dict, seed: int, arm: str) -> None:
    package, reference = runs[seed, arm]
    for name in ("revenue", "rewards"):
        np.testing.assert_allclose(
            reference.totals(name), getattr(package.state, name), rtol=RTOL, atol=ATOL
        )
    # Nothing but the rebate costs money here.
    np.testing.assert_allclose(package.state.program_cost, package.state.rewards, rtol=RTOL)
    assert package.state.revenue.sum() > 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("arm", ["baseline", "design"])
def test_weekly_series_match(runs: dict, seed: int, arm: str) -> None:
    package, reference = runs[seed, arm]
    for name in ("revenue", "effort", "engagement"):
        np.testing.assert_allclose(
            reference.series(name), package.partner_series[name], rtol=RTOL, atol=ATOL
        )
    wallet = np.array([agent.wallet for agent in reference.agents])
    np.testing.assert_allclose(wallet, package.state.wallet, rtol=RTOL)
    status = np.array([agent.status for agent in reference.agents])
    np.testing.assert_array_equal(status, package.state.status)


@pytest.mark.parametrize("seed", SEEDS)
def test_tier_attainment_and_net_lift_match(runs: dict, seed: int) -> None:
    package, reference = runs[seed, "design"]
    weekly = reference.series("revenue")
    quarters = weekly.reshape(3, 13, -1).sum(axis=1)
    np.testing.assert_allclose(quarters, np.array(package.quarter_revenue), rtol=RTOL, atol=ATOL)
    silver = np.repeat(
        [THRESHOLDS[a] for a in package.world.archetypes],
        [s.stop - s.start for s in package.world.slices],
    )
    # Silver reached in some quarter by some partners, not by all: the jumps are exercised.
    attained = (quarters >= silver).mean()
    assert 0 < attained < 1

    base_package, base_reference = runs[seed, "baseline"]

    def net_lift(design: np.ndarray, baseline: np.ndarray, d_cost: float, b_cost: float) -> float:
        margin = package.spec.market.gross_margin
        return float(margin * (design.sum() - baseline.sum()) - (d_cost - b_cost))

    ours = net_lift(
        package.state.revenue,
        base_package.state.revenue,
        package.state.rewards.sum(),
        base_package.state.rewards.sum(),
    )
    theirs = net_lift(
        reference.totals("revenue"),
        base_reference.totals("revenue"),
        reference.totals("rewards").sum(),
        base_reference.totals("rewards").sum(),
    )
    assert theirs == pytest.approx(ours, rel=1e-9, abs=1e-6)


def test_reference_refuses_what_it_does_not_implement(small_quickstart: Scenario) -> None:
    # The quickstart's design adds an email, and the market has conflict and returns.
    with pytest.raises(ValueError, match="tiered rebate only"):
        check_supported(small_quickstart, small_quickstart.design)
    with pytest.raises(ValueError, match="tiered rebate only"):
        ReferenceModel(small_quickstart)
