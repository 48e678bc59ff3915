"""The guardrail ledger (sim/levers/guardrails.py): budget, deferral, forfeiture, clawback.

Values are computed by hand on a few partners; the accounting identity
``accrued == paid + deferred + forfeited`` is checked at every week of a long
random sequence of earnings and churn, and of a model run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.levers.guardrails import Ledger
from sim.scenario.program import Guardrails


def ledger(partners: int = 3, **guardrails: Any) -> Ledger:
    return Ledger(Guardrails.model_validate(guardrails), np.ones(partners, dtype=bool))


def money(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def assert_identity(book: Ledger) -> None:
    np.testing.assert_allclose(
        book.accrued, book.paid + book.deferred + book.forfeited, rtol=1e-12, atol=1e-9
    )


def test_without_guardrails_everything_is_paid_at_once() -> None:
    book = ledger()
    assert book.accrue(0, money(10, 20, 0), money(1_000, 0, 0)) == pytest.approx(money(10, 20, 0))
    np.testing.assert_allclose(book.paid, money(10, 20, 0))
    np.testing.assert_allclose(book.deferred, 0.0)
    np.testing.assert_allclose(book.revenue, money(1_000, 0, 0))
    assert book.open
    np.testing.assert_allclose(book.perceived_share(money(0.8, 0.8, 0.8)), 1.0)


def test_budget_is_pro_rata_in_the_week_it_runs_out_and_stops_accruals() -> None:
    book = ledger(budget=1_000)
    zero = np.zeros(3)
    np.testing.assert_allclose(book.accrue(0, money(300, 300, 0), zero), money(300, 300, 0))
    # 800 asked, 400 left: every partner gets half of what it earned
    np.testing.assert_allclose(book.accrue(1, money(400, 200, 200), zero), money(200, 100, 100))
    assert book.left.sum() == 0.0 and not book.open
    np.testing.assert_allclose(book.accrue(2, money(50, 0, 0), zero), 0.0)
    np.testing.assert_allclose(book.accrued, money(500, 400, 100))
    assert book.accrued.sum() == pytest.approx(1_000.0)
    # once the budget is spent a reward dollar is worth nothing to a partner
    np.testing.assert_allclose(book.perceived_share(money(0.8, 0.8, 0.8)), 0.0)


def test_exact_budget_is_not_scaled() -> None:
    book = ledger(budget=600)
    np.testing.assert_allclose(book.accrue(0, money(300, 300, 0), np.zeros(3)), money(300, 300, 0))
    assert book.left.sum() == 0.0


@pytest.mark.parametrize("periods", [1, 2])
def test_deferred_share_vests_periods_quarters_later(periods: int) -> None:
    book = ledger(deferral={"share": 0.25, "periods": periods})
    vest = 3 + 13 * periods
    for week in range(vest + 2):
        earned = money(1_000, 0, 400) if week == 3 else np.zeros(3)
        book.accrue(week, earned, np.zeros(3))
        assert_identity(book)
        if 3 <= week < vest:
            np.testing.assert_allclose(book.paid, money(750, 0, 300))
            np.testing.assert_allclose(book.deferred, money(250, 0, 100))
    np.testing.assert_allclose(book.paid, money(1_000, 0, 400))
    np.testing.assert_allclose(book.deferred, 0.0)


def test_partners_value_deferred_dollars_at_their_deferral_value() -> None:
    book = ledger(deferral={"share": 0.25})
    np.testing.assert_allclose(book.perceived_share(money(0.8, 0.4, 1.0)), money(0.95, 0.85, 1.0))


def test_deferred_rewards_are_forfeited_on_churn() -> None:
    book = ledger(deferral={"share": 0.5, "periods": 1})
    book.accrue(0, money(100, 100, 100), np.zeros(3))
    book.accrue(5, money(100, 0, 0), np.zeros(3))
    lost = book.forfeit(np.array([True, False, False]))
    np.testing.assert_allclose(lost, money(100, 0, 0))
    np.testing.assert_allclose(book.forfeited, money(100, 0, 0))
    np.testing.assert_allclose(book.deferred, money(0, 50, 50))
    assert_identity(book)
    for week in range(6, 20):  # nothing vests for the churned partner
        book.accrue(week, np.zeros(3), np.zeros(3))
        assert_identity(book)
    np.testing.assert_allclose(book.paid, money(100, 100, 100))
    np.testing.assert_allclose(book.forfeit(np.array([True, False, False])), 0.0)


def test_clawback_is_off_unless_asked() -> None:
    book = ledger()
    book.accrue(0, money(100, 0, 0), money(1_000, 0, 0))
    np.testing.assert_allclose(book.claw_back(money(500, 0, 0)), 0.0)


def test_clawback_at_the_average_reward_rate() -> None:
    book = ledger(clawback=True)
    book.accrue(0, money(100, 30, 0), money(1_000, 1_000, 0))
    book.accrue(1, money(0, 0, 0), money(1_000, 0, 500))
    # rates so far: 100 / 2,000 and 30 / 1,000; no reward, nothing to claw back
    np.testing.assert_allclose(book.claw_back(money(400, 400, 400)), money(20, 12, 0))
    np.testing.assert_allclose(book.clawed_back, money(20, 12, 0))
    assert_identity(book)  # clawbacks are recovered from partners, not unbooked


def test_identity_at_every_week_under_random_earnings_budget_and_churn() -> None:
    rng = np.random.default_rng(3)
    partners = 40
    book = ledger(partners, budget=150_000, deferral={"share": 0.3, "periods": 2}, clawback=True)
    alive = np.ones(partners, dtype=bool)
    for week in range(104):
        earned = rng.exponential(100.0, partners) * (rng.random(partners) < 0.3) * alive
        revenue = rng.exponential(5_000.0, partners) * alive
        book.accrue(week, earned, revenue)
        book.claw_back(revenue * (rng.random(partners) < 0.05))
        alive &= rng.random(partners) > 0.01
        book.forfeit(~alive)
        assert_identity(book)
        assert (book.deferred >= -1e-9).all() and (book.clawed_back <= book.paid + 1e-9).all()
    assert book.accrued.sum() <= 150_000.0 + 1e-6
    assert book.forfeited.sum() > 0 and book.clawed_back.sum() > 0


def test_identity_holds_in_a_model_with_deferral_and_churn() -> None:
    scenario = sim.load_scenario(
        "scenarios/outcome_ladder.yaml",
        [
            "population.partners={reseller: 30, integrator: 10, alliance: 5}",
            "horizon_weeks=39",
            "market.returns.rate=0.3",  # returns after a payout are what clawback takes back
            *(f"behaviour.{a}.churn_rate=0.05" for a in ("reseller", "integrator", "alliance")),
            *(f"behaviour.{a}.dormancy_weeks=6" for a in ("reseller", "integrator", "alliance")),
        ],
    )
    model = sim.PartnerProgramModel(scenario)
    book = model.parts[0].ledger
    for _ in range(scenario.horizon_weeks):
        model.step()
        assert_identity(book)
    state = model.state
    assert book.forfeited.sum() > 0 and book.clawed_back.sum() > 0
    np.testing.assert_allclose(state.rewards, book.accrued)
    np.testing.assert_allclose(state.forfeited, book.forfeited)
    np.testing.assert_allclose(state.clawed_back, book.clawed_back)
    # the program's reward cost: accrued minus what is forfeited or clawed back
    reward_cost = state.program_cost - state.contact_cost - state.other_cost
    np.testing.assert_allclose(reward_cost, book.accrued - book.forfeited - book.clawed_back)


def test_each_joined_world_has_its_own_budget() -> None:
    """Two replications' worlds in one ledger: a budget runs out in one world only."""
    worlds = [money(1, 1, 0, 0).astype(bool), money(0, 0, 1, 1).astype(bool)]
    book = Ledger(Guardrails(budget=1_000), np.ones(4, dtype=bool), worlds)
    zero = np.zeros(4)
    # world 0 asks 1,600 of its 1,000 and gets 5/8 of it; world 1 asks 400 and gets it all
    paid = book.accrue(0, money(800, 800, 200, 200), zero)
    np.testing.assert_allclose(paid, money(500, 500, 200, 200))
    np.testing.assert_allclose(book.left, money(0, 600))
    assert book.left.sum() == 600.0 and book.open
    # a reward dollar is worth nothing in the spent world only
    np.testing.assert_allclose(book.perceived_share(np.ones(4)), money(0, 0, 1, 1))
    np.testing.assert_allclose(book.accrue(1, money(100, 0, 700, 0), zero), money(0, 0, 600, 0))
    assert book.left.sum() == 0.0 and not book.open
