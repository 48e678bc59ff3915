"""Money flows of every lever, computed by hand on a tiny world.

Each test builds one run-time component from a lever (a pydantic model from
``sim.scenario.program``), feeds it hand-made weekly outcomes with ``record`` and reads
what ``settle`` (rewards) and ``costs`` (other program costs) return, the way
the model's week does. The world has 6 resellers (rows 0-5), 3 integrators
(rows 6-8) and 2 alliances (rows 9-10); tests that need a particular prior
year, maturity or responder set replace those arrays on a copy of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from helpers import outlook

import sim
from agents import CHURNED
from sim.levers.accelerator import Accelerator
from sim.levers.bonus import Bonus
from sim.levers.build import build_component, build_program
from sim.levers.certification import Certification
from sim.levers.deal_registration import DealRegistration
from sim.levers.effects import Boosts, Outcome
from sim.levers.growth_rebate import GrowthRebate
from sim.levers.guardrails import Ledger
from sim.levers.mdf import MarketDevelopmentFund, MarketingFund
from sim.levers.milestone import Milestone, Milestones
from sim.levers.period import typical_margin
from sim.levers.period_reward import PeriodReward
from sim.levers.rebate_ladder import TieredRebate
from sim.levers.recognition import Recognition
from sim.levers.roles import MdfAccrual
from sim.levers.spiff import Spiff
from sim.levers.tier_status import TierLadder, TierStatus
from sim.scenario.program import Guardrails, Program

N = 11
ALIVE = np.ones(N, dtype=bool)  # nobody has churned
RESELLERS, INTEGRATORS = slice(0, 6), slice(6, 9)
QUARTER = 13


@pytest.fixture(scope="module")
def world() -> sim.World:
    scenario = sim.load_scenario(
        "scenarios/base.yaml",
        [
            "population.partners.reseller=6",
            "population.partners.integrator=3",
            "population.partners.alliance=2",
        ],
    )
    built = sim.build_world(scenario, 0)
    assert built.partners == N and built.archetypes == ["reseller", "integrator", "alliance"]
    return built


def everyone() -> np.ndarray:
    return np.ones(N, dtype=bool)


def rows(*index: int) -> np.ndarray:
    mask = np.zeros(N, dtype=bool)
    mask[list(index)] = True
    return mask


def per_partner(value: Any, dtype: type = np.float64) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=dtype), (N,)).copy()


def outcome(
    revenue: Any = 0.0,
    deals: Any = 0.0,
    registered: Any = 0.0,
    certified: Any = False,
    marketing: Any = 0.0,
) -> Outcome:
    """One week's outcomes; scalars apply to every partner."""
    won = per_partner(deals)
    return Outcome(
        revenue=per_partner(revenue),
        deals=won,
        registered=per_partner(registered),
        contributed={
            "certified": per_partner(certified, bool),
            "marketing": per_partner(marketing),
        },
    )


def with_prior(world: sim.World, quarters: list[float]) -> sim.World:
    """The world with every partner's prior-year revenue by quarter set to ``quarters``."""
    return replace(world, prior_revenue=np.tile(np.asarray(quarters, float)[:, None], (1, N)))


def settle_periods(
    reward: PeriodReward | TierLadder, revenues: list[Any], weeks: int = QUARTER
) -> Iterator[np.ndarray]:
    """Book each period's revenue in its first week; yield what each period end settles."""
    for period, revenue in enumerate(revenues):
        reward.record(period * weeks, outcome(revenue))
        due = reward.settle((period + 1) * weeks - 1, final=False)
        assert due is not None
        yield due


def period_reward(world: sim.World, spec: dict[str, Any], audience: Any = None) -> PeriodReward:
    lever = {
        "tiered_rebate": TieredRebate,
        "growth_rebate": GrowthRebate,
        "accelerator": Accelerator,
        "bonus": Bonus,
    }[spec["type"]].model_validate(spec)
    return build_component(lever, world, everyone() if audience is None else audience)


LADDER = [
    {"name": "base", "threshold": 0, "rate": 0.0},
    {"name": "silver", "threshold": 10_000, "rate": 0.02},
    {"name": "gold", "threshold": 50_000, "rate": 0.05},
]
# quarterly revenue of the resellers, and the retroactive and marginal rebates by hand
QUARTER_REVENUE = [0.0, 6_500.0, 13_000.0, 26_000.0, 52_000.0, 65_000.0]
RETROACTIVE = [0.0, 0.0, 260.0, 520.0, 2_600.0, 3_250.0]
MARGINAL = [0.0, 0.0, 60.0, 320.0, 900.0, 1_550.0]


def reseller_values(values: list[float]) -> np.ndarray:
    out = np.zeros(N)
    out[RESELLERS] = values
    return out


# -- tiered rebates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "expected"), [("retroactive", RETROACTIVE), ("marginal", MARGINAL)]
)
def test_tiered_rebate_pays_at_the_quarter_end(world, basis, expected) -> None:
    reward = period_reward(world, {"type": "tiered_rebate", "basis": basis, "tiers": LADDER})
    weekly = reseller_values(QUARTER_REVENUE) / QUARTER
    for week in range(QUARTER - 1):
        reward.record(week, outcome(weekly))
        assert reward.settle(week, final=False) is None
    reward.record(12, outcome(weekly))
    np.testing.assert_allclose(reward.settle(12, final=False), reseller_values(expected))
    np.testing.assert_array_equal(reward.measure, 0.0)  # a new period starts


def test_annual_rebate_settles_in_week_51(world) -> None:
    reward = period_reward(world, {"type": "tiered_rebate", "period": "year", "tiers": LADDER})
    for week in range(51):
        reward.record(week, outcome(1_000.0))
        assert reward.settle(week, final=False) is None
    reward.record(51, outcome(1_000.0))
    np.testing.assert_allclose(reward.settle(51, final=False), 0.05 * 52_000.0)


def test_open_period_is_accrued_at_the_horizon(world) -> None:
    reward = period_reward(world, {"type": "tiered_rebate", "tiers": LADDER})
    list(settle_periods(reward, [60_000.0]))
    for week in range(13, 21):
        reward.record(week, outcome(2_000.0))
    assert reward.settle(20, final=False) is None
    np.testing.assert_allclose(reward.settle(20, final=True), 0.02 * 16_000.0)


def test_thresholds_per_archetype(world) -> None:
    gold = {"reseller": 10_000, "integrator": 20_000, "alliance": 40_000}
    tiers = [
        {"name": "base", "threshold": 0, "rate": 0.0},
        {"name": "gold", "threshold": gold, "rate": 0.05},
    ]
    reward = period_reward(world, {"type": "tiered_rebate", "tiers": tiers})
    first, second = settle_periods(reward, [15_000.0, 30_000.0])
    expected_first, expected_second = np.zeros(N), np.zeros(N)
    expected_first[RESELLERS] = 750.0
    expected_second[RESELLERS] = expected_second[INTEGRATORS] = 1_500.0
    np.testing.assert_allclose(first, expected_first)
    np.testing.assert_allclose(second, expected_second)


def test_partners_outside_the_audience_earn_nothing(world) -> None:
    reward = period_reward(world, {"type": "tiered_rebate", "tiers": LADDER}, audience=rows(0, 7))
    (paid,) = settle_periods(reward, [60_000.0])
    np.testing.assert_allclose(paid, np.where(rows(0, 7), 3_000.0, 0.0))


def test_rebate_cap_per_archetype(world) -> None:
    cap = {"reseller": 1_000, "integrator": 2_000, "alliance": 5_000}
    reward = period_reward(world, {"type": "tiered_rebate", "tiers": LADDER, "cap": cap})
    (paid,) = settle_periods(reward, [60_000.0])  # 3,000 before the cap
    np.testing.assert_allclose(paid[[0, 6, 9]], [1_000.0, 2_000.0, 3_000.0])


# -- points scorecards ----------------------------------------------------------------------

SCORECARD = {"revenue": 1.0, "certifications": 20.0, "registered_deals": 2.0, "co_marketing": 3.0}


def test_points_weigh_revenue_certifications_registrations_and_co_marketing(world) -> None:
    bonus = period_reward(
        world,
        {
            "type": "bonus",
            "measure": "points",
            "scorecard": SCORECARD,
            "threshold": 30,
            "amount": 500,
        },
    )
    week = outcome(
        revenue=5_000.0, certified=rows(0), registered=[3.0] * 2 + [0.0] * 9, marketing=2_000.0
    )
    # per $1,000 of revenue: 5; a certification: 20; per registered deal: 2; per $1,000 of MDF: 3
    expected = 5.0 + 20.0 * rows(0) + 2.0 * 3.0 * rows(0, 1) + 3.0 * 2.0
    np.testing.assert_allclose(bonus.points(week), expected)
    bonus.record(0, week)
    np.testing.assert_allclose(bonus.measure, expected)
    # the bonus follows the points: only row 0 (37 points) reaches 30; row 1 has 17
    np.testing.assert_allclose(bonus.settle(12, final=False), np.where(rows(0), 500.0, 0.0))


def test_points_rebate_pays_its_rate_on_revenue(world) -> None:
    tiers = [
        {"name": "base", "threshold": 0, "rate": 0.0},
        {"name": "gold", "threshold": 30, "rate": 0.02},
    ]
    rebate = period_reward(
        world,
        {"type": "tiered_rebate", "measure": "points", "scorecard": SCORECARD, "tiers": tiers},
    )
    rebate.record(0, outcome(revenue=10_000.0, certified=True))  # 10 + 20 = 30 points: gold
    np.testing.assert_allclose(rebate.settle(12, final=False), 0.02 * 10_000.0)


def test_tier_status_on_points(world) -> None:
    spec = {
        "type": "tier_status",
        "measure": "points",
        "scorecard": SCORECARD,
        "tiers": [{"name": "silver", "threshold": 25, "rebate_rate": 0.02}],
    }
    ladder = build_component(
        TierStatus.model_validate(spec), with_prior(world, [0.0] * 4), everyone()
    )
    ladder.record(0, outcome(revenue=5_000.0, certified=rows(3)))  # 25 points for row 3 only
    ladder.settle(12, final=False)
    np.testing.assert_array_equal(ladder.level, rows(3).astype(int))
    ladder.record(13, outcome(revenue=10_000.0))
    # the tier's rebate is on revenue only
    np.testing.assert_allclose(ladder.settle(25, final=False), np.where(rows(3), 200.0, 0.0))


# -- growth rebates -------------------------------------------------------------------------

PRIOR = [10_000.0, 20_000.0, 30_000.0, 40_000.0]
GROWTH_REVENUE = [15_000.0, 15_000.0, 40_000.0, 30_000.0, 20_000.0]


def growth_world(world: sim.World) -> sim.World:
    """Prior year by quarter ``PRIOR`` for every partner but row 0, which had none."""
    out = with_prior(world, PRIOR)
    out.prior_revenue[:, 0] = 0.0
    return out


def test_growth_rebate_against_last_years_quarter(world) -> None:
    spec = {"type": "growth_rebate", "rate": 0.1, "growth_target": 0.05}
    paid = list(settle_periods(period_reward(growth_world(world), spec), GROWTH_REVENUE))
    # 10% above 1.05 x last year's same quarter; quarter 4 compares with quarter 0's 15,000
    np.testing.assert_allclose([p[1] for p in paid], [450.0, 0.0, 850.0, 0.0, 425.0])
    # no revenue last year: the whole quarter is growth, until its own history takes over
    np.testing.assert_allclose([p[0] for p in paid], [1_500.0, 1_500.0, 4_000.0, 3_000.0, 425.0])


def test_growth_rebate_cap(world) -> None:
    spec = {"type": "growth_rebate", "rate": 0.1, "growth_target": 0.05, "cap": 300}
    paid = list(settle_periods(period_reward(growth_world(world), spec), GROWTH_REVENUE))
    np.testing.assert_allclose([p[1] for p in paid], [300.0, 0.0, 300.0, 0.0, 300.0])


def test_annual_growth_rebate_against_last_year(world) -> None:
    spec = {"type": "growth_rebate", "period": "year", "rate": 0.1, "growth_target": 0.05}
    (paid,) = settle_periods(period_reward(growth_world(world), spec), [120_000.0], weeks=52)
    assert paid[1] == pytest.approx(0.1 * (120_000.0 - 1.05 * 100_000.0))


# -- accelerators ---------------------------------------------------------------------------


def accelerator_spec(**extra: Any) -> dict[str, Any]:
    return {"type": "accelerator", "base_rate": 0.02, "accelerated_rate": 0.08, **extra}


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [(8_000.0, 160.0), (10_000.0, 200.0), (15_000.0, 200.0 + 400.0), (30_000.0, 200.0 + 1_600.0)],
)
def test_accelerator_base_rate_to_quota_then_accelerated(world, revenue, expected) -> None:
    (paid,) = settle_periods(period_reward(world, accelerator_spec(quota=10_000)), [revenue])
    np.testing.assert_allclose(paid, expected)


def test_accelerator_quota_per_archetype(world) -> None:
    quota = {"reseller": 10_000, "integrator": 20_000, "alliance": 40_000}
    (paid,) = settle_periods(period_reward(world, accelerator_spec(quota=quota)), [20_000.0])
    np.testing.assert_allclose(paid[[0, 6, 9]], [200.0 + 800.0, 400.0, 400.0])


def test_accelerator_quota_from_prior(world) -> None:
    reward = period_reward(with_prior(world, PRIOR), accelerator_spec(quota_from_prior=1.5))
    (paid,) = settle_periods(reward, [20_000.0])  # quota 1.5 x 10,000
    np.testing.assert_allclose(paid, 0.02 * 15_000.0 + 0.08 * 5_000.0)


def test_accelerator_quota_from_prior_follows_the_quarter(world) -> None:
    reward = period_reward(with_prior(world, PRIOR), accelerator_spec(quota_from_prior=1.5))
    _, paid = settle_periods(reward, [20_000.0, 20_000.0])
    # quarter 1: quota 1.5 x 20,000 = 30,000, so 20,000 earns only the base rate
    np.testing.assert_allclose(paid, 0.02 * 20_000.0)


def test_ratchet_raises_the_next_quota(world) -> None:
    reward = period_reward(world, accelerator_spec(quota=10_000, ratchet=1.0))
    paid = list(settle_periods(reward, [15_000.0, 12_000.0, 20_000.0]))
    # quota 10k -> 15k (ratchet x 15k) -> stays 15k (max) -> 20k
    np.testing.assert_allclose([p[0] for p in paid], [600.0, 240.0, 300.0 + 400.0])
    np.testing.assert_allclose(reward.quota, 20_000.0)


def test_partial_ratchet(world) -> None:
    reward = period_reward(world, accelerator_spec(quota=10_000, ratchet=0.9))
    list(settle_periods(reward, [15_000.0]))
    np.testing.assert_allclose(reward.quota, 13_500.0)


def test_cap_with_accelerator_and_ratchet(world) -> None:
    reward = period_reward(world, accelerator_spec(quota=10_000, cap=800, ratchet=1.0))
    # 1,000 uncapped is capped at 800; the ratchet then moves the quota to 20k
    first, second = settle_periods(reward, [20_000.0, 20_000.0])
    np.testing.assert_allclose(first, 800.0)
    np.testing.assert_allclose(second, 0.02 * 20_000.0)
    # the cap binds from 10k + 600 / 8% = 17.5k in the first period's schedule
    fresh = period_reward(world, accelerator_spec(quota=10_000, cap=800))
    np.testing.assert_allclose(fresh.schedule.cap_point, 17_500.0)


def test_a_ratchet_charges_the_signal_even_on_a_flat_schedule(world) -> None:
    # Quota 0: every dollar earns the accelerated 8%, so without a ratchet the signal is
    # that constant. With ratchet 1.0, a dollar that closes in this period also raises
    # next period's quota by a dollar, losing 8% - 2% on it later.
    week_0 = outlook(world, week=0)
    flat = period_reward(world, accelerator_spec(quota=0))
    np.testing.assert_array_equal(flat.signal(week_0), 0.08)
    ratcheted = period_reward(world, accelerator_spec(quota=0, ratchet=1.0))
    # Reseller cycles are 2-8 weeks: all of week 0's deals close in the quarter. Integrator
    # (13-52) and alliance (26-78) deals all close after it, so their signal is unchanged.
    np.testing.assert_array_equal(world.closing_shares(QUARTER - 1)[0], [1.0] * 6 + [0.0] * 5)
    expected = [0.08 - 1.0 * (0.08 - 0.02)] * 6 + [0.08] * 5
    np.testing.assert_allclose(ratcheted.signal(week_0), expected, rtol=1e-12)


# -- bonuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revenue", "expected"), [(11_999.0, 0.0), (12_000.0, 1_200.0), (5e5, 1_200.0)]
)
def test_bonus_is_a_lump_sum_at_the_threshold(world, revenue, expected) -> None:
    bonus = period_reward(world, {"type": "bonus", "threshold": 12_000, "amount": 1_200})
    (paid,) = settle_periods(bonus, [revenue])
    np.testing.assert_allclose(paid, expected)


def test_annual_bonus_per_archetype(world) -> None:
    spec = {
        "type": "bonus",
        "period": "year",
        "threshold": {"reseller": 40_000, "integrator": 90_000, "alliance": 200_000},
        "amount": {"reseller": 400, "integrator": 900, "alliance": 2_000},
    }
    (paid,) = settle_periods(period_reward(world, spec), [100_000.0], weeks=52)
    np.testing.assert_allclose(paid[[0, 6, 9]], [400.0, 900.0, 0.0])


# -- milestones -----------------------------------------------------------------------------


def milestone(world: sim.World, event: str, amount: Any = 250.0) -> Milestones:
    spec = Milestone.model_validate({"type": "milestone", "event": event, "amount": amount})
    return build_component(spec, world, everyone())


def test_first_deal_only_for_partners_without_prior_revenue(world) -> None:
    history = with_prior(world, PRIOR)
    history.prior_revenue[:, [1, 4]] = 0.0
    reward = milestone(history, "first_deal")
    reward.record(3, outcome(deals=1.0))
    np.testing.assert_allclose(reward.settle(3, final=False), np.where(rows(1, 4), 250.0, 0.0))
    reward.record(4, outcome(deals=2.0))
    np.testing.assert_array_equal(reward.settle(4, final=False), 0.0)  # paid once


def test_onboarding_only_for_new_partners_on_a_win_or_certification(world) -> None:
    reward = milestone(replace(world, is_new=rows(1, 3, 7)), "onboarding")
    reward.record(2, outcome(certified=rows(1)))
    np.testing.assert_allclose(reward.settle(2, final=False), np.where(rows(1), 250.0, 0.0))
    reward.record(5, outcome(deals=rows(0, 1, 3).astype(float)))
    np.testing.assert_allclose(reward.settle(5, final=False), np.where(rows(3), 250.0, 0.0))


def test_certification_milestone_per_archetype_paid_once(world) -> None:
    amount = {"reseller": 100, "integrator": 200, "alliance": 300}
    reward = milestone(world, "certification", amount)
    reward.record(6, outcome(certified=rows(0, 7, 10)))
    np.testing.assert_allclose(reward.settle(6, final=False)[[0, 7, 10, 1]], [100, 200, 300, 0])
    reward.record(7, outcome(certified=True))
    np.testing.assert_allclose(
        reward.settle(7, final=False), np.where(rows(0, 7, 10), 0.0, reward.amount)
    )


# -- SPIFFs ---------------------------------------------------------------------------------


def test_spiff_pays_per_line_deal_inside_its_window(world) -> None:
    spec = {
        "type": "spiff",
        "amount_per_deal": 150,
        "line_share": 0.3,
        "start_week": 2,
        "end_week": 5,
    }
    spiff = build_component(Spiff.model_validate(spec), world, ~rows(10))
    paid = []
    for week in range(8):
        spiff.record(week, outcome(deals=2.0))
        paid.append(spiff.settle(week, final=False)[0])
    # 150 x 2 deals x 30% in the line, weeks 2 to 5 inclusive
    np.testing.assert_allclose(paid, [0, 0, 90, 90, 90, 90, 0, 0])
    spiff.record(3, outcome(deals=2.0))
    assert spiff.settle(3, final=False)[10] == 0.0  # outside the audience


# -- co-marketing funds (MDF) ----------------------------------------------------------------


class TierRates(MdfAccrual):
    """Stands in for the tiers partners hold: their MDF accrual rates."""

    def __init__(self, rates: np.ndarray) -> None:
        self.rates = rates

    @property
    def accrues_mdf(self) -> bool:
        return bool(self.rates.any())

    def mdf_rate(self) -> np.ndarray:
        return self.rates


def fund(world: sim.World, tier_rates: list | None = None, **spec: Any) -> MarketingFund:
    lever = MarketDevelopmentFund.model_validate({"type": "mdf", **spec})
    mdf = build_component(lever, with_prior(world, [0, 0, 0, 10_000.0]), everyone())
    assert isinstance(mdf, MarketingFund)
    mdf.link(tier_rates or [])
    return mdf


def claims(u: np.ndarray) -> dict[str, np.ndarray]:
    return {"mdf_claim": u}


def test_mdf_accrues_on_last_quarter_and_reimburses_claims(world) -> None:
    mdf = fund(world, accrual_rate=0.02, co_investment=0.5)
    np.testing.assert_allclose(mdf.balance, 200.0)  # 2% of last year's last quarter
    mdf.decide(0, claims(np.where(rows(0, 1), 0.0, 1.0)), ALIVE)  # u = 1 never claims
    # we reimburse the claim; the partner co-invests as much again (spend = claim / (1 - 0.5))
    np.testing.assert_allclose(mdf.contribute(0)["marketing"], np.where(rows(0, 1), 400.0, 0.0))
    mdf.record(0, outcome())
    np.testing.assert_allclose(mdf.settle(0, final=False), np.where(rows(0, 1), 200.0, 0.0))
    np.testing.assert_allclose(mdf.balance, np.where(rows(0, 1), 0.0, 200.0))
    mdf.decide(1, claims(np.zeros(N)), ALIVE)
    np.testing.assert_allclose(mdf.settle(1, final=False), np.where(rows(0, 1), 0.0, 200.0))


def test_unused_mdf_expires_at_the_period_end(world) -> None:
    mdf = fund(world, accrual_rate=0.02)
    for week in range(QUARTER):
        mdf.decide(week, claims(np.where(rows(0), 0.0, 1.0)), ALIVE)  # only row 0 claims
        mdf.record(week, outcome(1_000.0))
        mdf.settle(week, final=False)
    # the new period's funds replace the old balance: 2% of 13,000, nothing carried over
    np.testing.assert_allclose(mdf.balance, 260.0)
    np.testing.assert_allclose(mdf.accrued, 460.0)
    np.testing.assert_allclose(mdf.claimed, np.where(rows(0), 200.0, 0.0))
    assert mdf.utilization() == pytest.approx(200.0 / (N * 460.0))
    assert mdf.utilization(rows(0, 1)) == pytest.approx(200.0 / 920.0)


def test_tier_mdf_rates_add_to_the_accrual(world) -> None:
    mdf = fund(world, tier_rates=[TierRates(np.where(rows(2), 0.01, 0.0))], accrual_rate=0.02)
    np.testing.assert_allclose(mdf.balance, np.where(rows(2), 300.0, 200.0))


def test_a_ladder_with_mdf_rates_funds_an_mdf_of_its_own(world) -> None:
    """Without an mdf lever, tier MDF rates still accrue funds, at the tier held when granted."""
    spec = {
        "type": "tier_status",
        "tiers": [{"name": "silver", "threshold": 10_000, "mdf_rate": 0.02}],
    }
    program = Program.model_validate({"mechanics": [spec]})
    parts = build_program(program, with_prior(world, [0.0, 0.0, 0.0, 20_000.0]), everyone())
    ladder, mdf = parts.components
    assert parts.playing(MarketingFund) == [mdf] and mdf.spec.accrual_rate == 0.0
    np.testing.assert_allclose(mdf.balance, 0.02 * 20_000.0)  # silver from last year
    for week in range(QUARTER):  # in the model's order: the fund records first, settles last
        week_outcome = outcome(5_000.0 if week == 0 else 0.0)
        mdf.record(week, week_outcome)
        ladder.record(week, week_outcome)
        ladder.settle(week, final=False)
        mdf.settle(week, final=False)
    assert (ladder.level == 1).all()  # below silver once: grace keeps it
    np.testing.assert_allclose(mdf.balance, 0.02 * 5_000.0)


def test_churned_partners_claim_no_mdf() -> None:
    churn = [
        f"behaviour.{a}.{key}={value}"
        for a in ("reseller", "integrator", "alliance")
        for key, value in (("churn_rate", 0.3), ("dormancy_weeks", 4))
    ]
    scenario = sim.load_scenario(
        "scenarios/base.yaml",
        [
            "population.partners={reseller: 30, integrator: 10, alliance: 5}",
            "horizon_weeks=39",
            "design.mechanics=[{type: mdf, accrual_rate: 0.05, friction: 0.9}]",
            *churn,
        ],
    )
    model = sim.PartnerProgramModel(scenario)
    after_churn = np.zeros(model.world.partners)
    while model.running:
        gone = model.state.status == CHURNED
        before = model.state.rewards.copy()
        model.step()
        after_churn += np.where(gone, model.state.rewards - before, 0.0)
    assert gone.sum() > 0
    np.testing.assert_array_equal(after_churn, 0.0)


def test_mdf_spend_yields_leads_after_the_lag_with_diminishing_returns(world) -> None:
    mdf = fund(world, co_investment=0.5)
    lifts = []
    for week in range(6):
        mdf.decide(week, claims(np.where(rows(0) & (week == 0), 0.0, 1.0)), ALIVE)
        boosts = Boosts()
        mdf.boost(week, boosts)
        lifts.append(boosts.flow[0])
    lag = int(world.traits.lead_lag_weeks[0])  # 4 weeks by default
    stock = 400.0
    expected = world.traits.lead_lift[0] * np.log1p(stock / world.deal_value[0])
    np.testing.assert_allclose(lifts[:lag], 0.0)
    assert lifts[lag] == pytest.approx(expected)
    decayed = stock * 0.5 ** (1 / world.traits.marketing_half_life_weeks[0])
    assert lifts[lag + 1] == pytest.approx(
        world.traits.lead_lift[0] * np.log1p(decayed / world.deal_value[0])
    )


def test_mdf_claims_rise_with_size_and_fall_with_friction(world) -> None:
    low, high = fund(world, friction=0.2), fund(world, friction=0.6)
    traits = world.traits
    expected = np.minimum(traits.mdf_claim_rate * world.size**traits.mdf_size_elasticity * 0.8, 1)
    np.testing.assert_allclose(low.claim_probability, expected)
    np.testing.assert_allclose(high.claim_probability, expected * 0.4 / 0.8)
    order = np.argsort(world.size)
    assert np.all(np.diff(low.claim_probability[order]) >= 0)


def test_full_co_investment_is_rejected_or_finite(world) -> None:
    try:
        mdf = fund(world, co_investment=1.0)
    except ValueError:
        return
    with np.errstate(all="ignore"):
        mdf.decide(0, claims(np.zeros(N)), ALIVE)
    assert np.isfinite(mdf.spend).all()


def test_mdf_utilization_counts_only_funds_claimable_within_the_horizon(world) -> None:
    mdf = fund(world)
    for week in range(QUARTER):
        mdf.decide(week, claims(np.zeros(N)), ALIVE)
        mdf.record(week, outcome(1_000.0))
        mdf.settle(week, final=week == QUARTER - 1)
    assert mdf.utilization() == pytest.approx(1.0)


# -- deal registration ----------------------------------------------------------------------


def test_deal_registration_costs_per_registration_and_sets_the_boosts(world) -> None:
    spec = {
        "type": "deal_registration",
        "win_rate_uplift": 0.2,
        "protection": 0.7,
        "approval_weeks": 2,
        "cost_per_registration": 25,
    }
    registration = build_component(DealRegistration.model_validate(spec), world, ~rows(9, 10))
    registration.record(0, outcome(registered=np.arange(N, dtype=float)))
    np.testing.assert_allclose(registration.costs(0), 25.0 * np.where(rows(9, 10), 0, np.arange(N)))
    boosts = Boosts()
    registration.boost(0, boosts)
    inside = ~rows(9, 10)
    np.testing.assert_allclose(
        boosts.registered_share, np.where(inside, world.traits.registration_share, 0)
    )
    np.testing.assert_allclose(boosts.registration_uplift, np.where(inside, 0.2, 0))
    np.testing.assert_allclose(boosts.protection, np.where(inside, 0.7, 0))
    np.testing.assert_allclose(boosts.approval_weeks, np.where(inside, 2, 0))


# -- certification --------------------------------------------------------------------------


def test_certification_training_cost_and_boosts(world) -> None:
    spec = {
        "type": "certification",
        "training_weeks": 4,
        "effort_share": 0.25,
        "win_rate_boost": 0.15,
        "deal_size_boost": 0.1,
        "cost_per_certification": 1_500,
    }
    program = build_component(Certification.model_validate(spec), world, ~rows(2))
    alive = ~rows(1)  # row 1 has churned: it never starts
    effort, costs, certified = [], [], []
    for week in range(7):
        u = np.full(N, 0.0 if week == 0 else 1.0)
        program.decide(week, {"certify": u}, alive)  # all start in week 0
        boosts = Boosts()
        program.boost(week, boosts)
        effort.append(boosts.effort[0])
        certified.append(program.contribute(week)["certified"][0])
        costs.append(program.costs(week))
    # training diverts a quarter of effort in weeks 0-3; certified in week 4, paid then
    np.testing.assert_allclose(effort, [0.75] * 4 + [1.0] * 3)
    assert certified == [False] * 4 + [True] + [False] * 2
    assert [c is None for c in costs] == [True] * 4 + [False] + [True] * 2
    np.testing.assert_allclose(costs[4], np.where(~rows(1, 2), 1_500.0, 0.0))
    boosts = Boosts()
    program.boost(7, boosts)
    np.testing.assert_allclose(boosts.win_rate, np.where(~rows(1, 2), 0.15, 0.0))
    np.testing.assert_allclose(boosts.deal_size, np.where(~rows(1, 2), 0.1, 0.0))
    program.decide(7, {"certify": np.zeros(N)}, everyone())  # certified: no training again
    assert program.training_left[0] == 0


# -- recognition ----------------------------------------------------------------------------


def test_badges_cost_per_award_and_give_priority_access(world) -> None:
    spec = {
        "type": "recognition",
        "kind": "badge",
        "threshold": {"reseller": 10_000, "integrator": 50_000, "alliance": 100_000},
        "priority_access": 0.05,
        "cost_per_award": 50,
    }
    badge = build_component(Recognition.model_validate(spec), world, ~rows(6))
    revenue = np.full(N, 60_000.0)
    badge.record(0, outcome(revenue))
    assert badge.settle(11, final=False) is None and badge.costs(11) is None
    badge.settle(12, final=False)
    awarded = ~rows(6, 9, 10)  # integrator row 6 is outside; alliances are below 100k
    np.testing.assert_allclose(badge.costs(12), np.where(awarded, 50.0, 0.0))
    assert badge.costs(13) is None  # charged once, in the week of the award
    boosts = Boosts()
    badge.boost(13, boosts)
    np.testing.assert_allclose(boosts.win_rate, np.where(awarded, 0.05, 0.0))


def test_leaderboard_top_n_per_archetype(world) -> None:
    spec = {"type": "recognition", "kind": "leaderboard", "top": 2}
    board = build_component(Recognition.model_validate(spec), world, everyone())
    revenue = np.array([5, 9, 1, 7, 0, 3, 2, 8, 4, 6, 0], dtype=float) * 1_000
    board.record(0, outcome(revenue))
    board.settle(12, final=False)
    # resellers 1 and 3, integrators 7 and 8, and the one alliance with any revenue
    np.testing.assert_array_equal(board.recognized, rows(1, 3, 7, 8, 9))
    np.testing.assert_allclose(board.costs(12).sum(), 5 * 50.0)


def test_an_award_is_worth_esteem_to_responders_only(world) -> None:
    """To a responder an award is a jump of its esteem value at the threshold; else nothing."""
    spec = {"type": "recognition", "kind": "badge", "threshold": 10_000}
    board = build_component(
        Recognition.model_validate(spec), replace(world, responder=rows(0, 5, 8)), ~rows(8)
    )
    jump = board.earned(per_partner(10_000.0)) - board.earned(per_partner(9_999.0))
    esteem = world.traits.recognition_value * typical_margin(world, QUARTER)
    np.testing.assert_allclose(jump, np.where(rows(0, 5), esteem, 0.0))
    # esteem is not money: awards go to the whole audience, cost money and pay nothing
    board.record(0, outcome(20_000.0))
    assert board.settle(QUARTER - 1, final=False) is None
    np.testing.assert_allclose(board.costs(QUARTER - 1), np.where(~rows(8), 50.0, 0.0))


def test_typical_margin_is_the_partners_margin_on_a_periods_business(world) -> None:
    traits = world.traits
    mean_deal = world.deal_value * np.exp(traits.deal_size_sigma**2 / 2)
    weekly = world.base_rate * mean_deal * traits.win_rate * (1 - traits.customer_discount)
    np.testing.assert_allclose(typical_margin(world, 13), traits.partner_margin * weekly * 13)


def test_a_payout_short_of_what_was_expected_costs_engagement(world) -> None:
    """Disappointment: 1 - sensitivity x d / (d + 1), d the shortfall in periods of margin."""
    bonus = period_reward(world, {"type": "bonus", "threshold": 10_000, "amount": 1_000})
    margin = typical_margin(world, QUARTER)
    bonus.expected = margin * np.arange(N) / 2  # what each partner expected at mid-period
    bonus.record(0, outcome(reseller_values([20_000.0] * 6)))  # resellers make it
    paid = bonus.settle(QUARTER - 1, final=False)
    np.testing.assert_allclose(paid, reseller_values([1_000.0] * 6))
    shortfall = np.maximum(margin * np.arange(N) / 2 - paid, 0.0)
    d = shortfall / margin
    expected = 1.0 - world.traits.disappointment_sensitivity * d / (d + 1.0)
    np.testing.assert_allclose(bonus.engagement_shock(), expected)
    assert bonus.engagement_shock() is None  # applied once


# -- tier status ladder ---------------------------------------------------------------------

STATUS = {
    "type": "tier_status",
    "grace_periods": 1,
    "tiers": [
        {
            "name": "silver",
            "threshold": 10_000,
            "rebate_rate": 0.02,
            "mdf_rate": 0.01,
            "win_rate_boost": 0.05,
            "lead_boost": 0.02,
        },
        {
            "name": "gold",
            "threshold": 50_000,
            "rebate_rate": 0.03,
            "mdf_rate": 0.02,
            "win_rate_boost": 0.1,
            "lead_boost": 0.05,
        },
    ],
}


def status_ladder(world: sim.World, last_quarter: float = 0.0, **extra: Any) -> TierLadder:
    spec = TierStatus.model_validate({**STATUS, **extra})
    return build_component(spec, with_prior(world, [0.0, 0.0, 0.0, last_quarter]), everyone())


def test_tier_held_from_last_years_last_quarter(world) -> None:
    assert (status_ladder(world, 60_000.0).level == 2).all()
    assert (status_ladder(world, 20_000.0).level == 1).all()


def test_promotion_grace_and_demotion_one_tier_at_a_time(world) -> None:
    ladder = status_ladder(world)
    revenue = [60_000.0, 20_000.0, 20_000.0, 0.0, 0.0, 10_000.0]
    levels, paid = [], []
    for due in settle_periods(ladder, revenue):
        levels.append(int(ladder.level[0]))
        paid.append(float(due[0]))
    # gold earned; below it once (grace); demoted to silver; grace again; demoted to none
    assert levels == [2, 2, 1, 1, 0, 1]
    # the rebate is that of the tier held while the revenue was booked
    np.testing.assert_allclose(paid, [0.0, 600.0, 600.0, 0.0, 0.0, 0.0])


def test_without_grace_demotion_is_immediate_and_costs_the_benefits_lost(world) -> None:
    ladder = status_ladder(world, 60_000.0, grace_periods=0)
    gold, silver = (
        ladder.benefits(per_partner(2, np.int64)),
        ladder.benefits(per_partner(1, np.int64)),
    )
    list(settle_periods(ladder, [0.0]))
    assert (ladder.level == 1).all()  # one tier down, not to the tier earned (none)
    d = (gold - silver) / typical_margin(world, QUARTER)
    expected = 1.0 - world.traits.disappointment_sensitivity * d / (d + 1.0)
    np.testing.assert_allclose(ladder.engagement_shock(), expected)
    assert ladder.engagement_shock() is None  # applied once


def test_a_tiers_worth_is_its_rebate_and_boosts_on_a_periods_business(world) -> None:
    ladder = status_ladder(world)
    margin = world.traits.partner_margin
    revenue = typical_margin(world, QUARTER) / margin
    gold = revenue * (0.03 + margin * (0.1 + 0.05) + 0.5 * 0.02)
    np.testing.assert_allclose(ladder.benefits(per_partner(2, np.int64)), gold)
    np.testing.assert_allclose(ladder.benefits(per_partner(0, np.int64)), 0.0)


def test_tier_benefits_and_mdf_rate(world) -> None:
    ladder = status_ladder(world)
    ladder.level = np.array([0, 1, 2] * 3 + [0, 0])
    boosts = Boosts()
    ladder.boost(0, boosts)
    np.testing.assert_allclose(boosts.win_rate[:3], [0.0, 0.05, 0.1])
    np.testing.assert_allclose(boosts.flow[:3], [0.0, 0.02, 0.05])
    np.testing.assert_allclose(ladder.mdf_rate()[:3], [0.0, 0.01, 0.02])


def test_tier_rebate_accrues_weekly_and_is_paid_at_the_horizon(world) -> None:
    ladder = status_ladder(world, 20_000.0)  # silver
    for week in range(5):
        ladder.record(week, outcome(1_000.0))
    assert ladder.settle(4, final=False) is None
    np.testing.assert_allclose(ladder.settle(4, final=True), 0.02 * 5_000.0)
    assert (ladder.level == 1).all()  # no evaluation before the period end


# -- interactions ---------------------------------------------------------------------------


def test_clawback_after_a_tier_promotion(world) -> None:
    """Clawback takes the partner's average reward rate so far, whatever tier it holds now."""
    ledger = Ledger(Guardrails(clawback=True), everyone())
    ladder = status_ladder(world)
    for week, revenue in ((0, 60_000.0), (13, 20_000.0)):
        ladder.record(week, outcome(revenue))
        ledger.accrue(week, np.zeros(N), per_partner(revenue))
        end = week + QUARTER - 1
        ledger.accrue(end, ladder.settle(end, final=False), np.zeros(N))
    # promoted to gold after quarter 0; quarter 1 earns 3% of 20,000 = 600 on 80,000 so far
    np.testing.assert_allclose(ledger.accrued, 600.0)
    clawed = ledger.claw_back(per_partner(8_000.0))
    np.testing.assert_allclose(clawed, 8_000.0 * 600.0 / 80_000.0)
    # never more than was paid: a huge return recovers only what is left
    np.testing.assert_allclose(ledger.claw_back(per_partner(1e9)), 600.0 - 60.0)
    np.testing.assert_allclose(ledger.claw_back(per_partner(1e9)), 0.0)
    np.testing.assert_allclose(ledger.clawed_back, 600.0)


def test_clawback_never_exceeds_what_was_paid_under_deferral(world) -> None:
    ledger = Ledger(
        Guardrails.model_validate({"clawback": True, "deferral": {"share": 0.5}}), everyone()
    )
    ledger.accrue(0, per_partner(1_000.0), per_partner(10_000.0))
    np.testing.assert_allclose(ledger.claw_back(per_partner(10_000.0)), 500.0)  # paid, not accrued
