"""Accounting identities and channel costs of one arm run by the Mesa model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import (
    SMALL,
    design_scenario,
    email,
    ladder,
    load_small,
    quiet_behaviour,
    rows_of,
    world_rows,
)

import sim
from agents import ACTIVE, CHURNED, DORMANT
from sim.world.state import MONEY

COL = {name: i for i, name in enumerate(sim.SERIES)}
COSTS = ("program_cost", "rewards", "contact_cost", "other_cost", "discounts")
#: No returns and no deal pulling: booked revenue is list value less the customer discount.
PLAIN = ("market.returns.rate=0",) + tuple(
    f"behaviour.{a}.pull_weeks=0" for a in ("reseller", "integrator", "alliance")
)


@pytest.fixture(scope="module", params=["design", "baseline"])
def finished(request):
    scenario = load_small("quickstart", "seed=11")
    return sim.PartnerProgramModel(scenario, arm=request.param).run()


def test_series_shape_follows_sim_series(finished):
    model = finished
    assert model.series.shape == (52, 3, len(sim.SERIES))
    assert {"revenue", "gross_profit", "program_cost", "rewards", "contact_cost"} <= set(sim.SERIES)


def test_gross_profit_is_revenue_times_margin_less_what_timing_discounts_cost(finished):
    """GP = (revenue + our pull discount) x margin - our pull discount, per archetype and week.

    A discount we give to close a deal early cuts price, not cost, so it costs its full
    amount in gross profit; under a linear rate (the baseline) nothing is pulled.
    """
    model, margin = finished, finished.spec.market.gross_margin
    assert model.state.revenue.sum() > 0
    week = model.series
    discount = week[:, :, COL["timing_discount"]]
    expected = (week[:, :, COL["revenue"]] + discount) * margin - discount
    np.testing.assert_allclose(week[:, :, COL["gross_profit"]], expected, rtol=1e-9, atol=1e-6)
    if model.arm == "baseline":
        assert discount.sum() == 0


def test_discounts_follow_the_customer_discount():
    """Without returns or pulled deals: discounts = revenue x d / (1 - d) for each partner."""
    model = sim.PartnerProgramModel(load_small("quickstart", "seed=11", *PLAIN)).run()
    state = model.state
    assert model.series[:, :, COL["pulled_forward"]].sum() == 0
    assert model.series[:, :, COL["returned"]].sum() == 0
    for archetype in model.world.archetypes:
        rows = rows_of(model.world, archetype)
        d = model.spec.archetype_params(archetype).customer_discount
        np.testing.assert_allclose(
            state.discounts[rows], state.revenue[rows] * d / (1 - d), rtol=1e-9, atol=1e-6
        )


def test_discounts_with_returns_and_pulled_deals(finished):
    """Weekly: list value won = (revenue + our pull discount + returned) / (1 - d), and
    discounts = won x d + our pull discount."""
    model = finished
    for a, archetype in enumerate(model.world.archetypes):
        d = model.spec.archetype_params(archetype).customer_discount
        week = model.series[:, a, :]
        pull = week[:, COL["timing_discount"]]
        won = (week[:, COL["revenue"]] + pull + week[:, COL["returned"]]) / (1 - d)
        np.testing.assert_allclose(week[:, COL["discounts"]], won * d + pull, rtol=1e-9, atol=1e-6)


def test_our_pull_discount_is_the_concession_we_fund_on_the_deals_pulled():
    """Pulled list value x (1 - d) x concession x (1 - discount_funding), with the concession
    pull_discount + pull_discount_per_week x weeks early: at most the 13-week one."""
    model = sim.PartnerProgramModel(load_small("quickstart", "seed=11"), arm="design").run()
    for a, archetype in enumerate(model.world.archetypes):
        p = model.spec.archetype_params(archetype)
        week = model.series[:, a, :]
        booked = week[:, COL["pulled_forward"]] * (1 - p.customer_discount)
        ours = week[:, COL["timing_discount"]]
        share = 1 - p.discount_funding
        nearest = p.pull_discount + p.pull_discount_per_week
        farthest = p.pull_discount + p.pull_discount_per_week * p.pull_weeks
        assert np.all(ours >= booked * nearest * share * (1 - 1e-9))
        assert np.all(ours <= booked * farthest * share * (1 + 1e-9) + 1e-9)
    assert model.series[:, :, COL["timing_discount"]].sum() > 0


def test_program_cost_adds_up(finished):
    state = finished.state
    np.testing.assert_allclose(
        state.program_cost,
        state.rewards - state.forfeited - state.clawed_back + state.contact_cost + state.other_cost,
        rtol=1e-12,
        atol=1e-9,
    )


def test_program_cost_is_rewards_plus_contact_cost_for_rebates_and_email():
    state = sim.PartnerProgramModel(load_small("quickstart", "seed=11")).run().state
    assert state.other_cost.sum() == 0
    np.testing.assert_allclose(
        state.program_cost, state.rewards + state.contact_cost, rtol=1e-12, atol=1e-9
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_churned_partners_book_no_pull_discounts(seed):
    churny = {a: {"dormancy_weeks": 8, "churn_rate": 0.2} for a in SMALL}
    scenario = design_scenario(
        ladder([(0.0, 0.0), (100.0, 1.0)], basis="marginal"),
        partners=SMALL,
        seed=seed,
        market={"returns": {"rate": 0.0}},
        behaviour=churny,
    )
    model = sim.PartnerProgramModel(scenario, record_partners=True).run()
    weekly = model.partner_series["revenue"]
    assert np.all(weekly >= -1e-9), np.argwhere(weekly < -1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_share_of_wallet_stays_finite_under_a_falling_rate_ladder(seed):
    scenario = design_scenario(
        ladder([(0, 1.0), (20_000, 0.0)], basis="retroactive", period="year"),
        partners=SMALL,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = sim.PartnerProgramModel(scenario).run()
    assert np.all(np.isfinite(model.state.wallet))
    assert np.all(np.isfinite(model.state.attraction))


def test_costs_are_never_negative(finished):
    state, series = finished.state, finished.series
    for name in COSTS:
        assert np.all(getattr(state, name) >= 0), name
        assert np.all(series[:, :, COL[name]] >= 0), name
    # returns can make a week's revenue negative, never a partner's total
    assert np.all(state.revenue >= -1e-6)


def test_weekly_series_sum_to_partner_totals(finished):
    model = finished
    for a, archetype in enumerate(model.world.archetypes):
        rows = rows_of(model.world, archetype)
        for name in MONEY:
            total = getattr(model.state, name)[rows].sum()
            assert model.series[:, a, COL[name]].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)


def test_status_counts_partition_each_archetype(finished):
    model = finished
    counts = np.array([world_rows(model.spec)[a] for a in model.world.archetypes])
    columns = ["active_partners", "dormant_partners", "churned_partners", "prospects"]
    status = model.series[:, :, [COL[c] for c in columns]]
    np.testing.assert_array_equal(status.sum(axis=2), np.broadcast_to(counts, (52, 3)))
    # recruits join during the year: prospects fall to none by the horizon
    prospects = status[:, :, 3].sum(axis=1)
    assert prospects[0] > 0 and prospects[-1] == 0 and np.all(np.diff(prospects) <= 0)
    # and the last week matches the final state
    for a, archetype in enumerate(model.world.archetypes):
        rows = rows_of(model.world, archetype)
        for column, code in (
            ("active_partners", ACTIVE),
            ("dormant_partners", DORMANT),
            ("churned_partners", CHURNED),
        ):
            assert model.series[-1, a, COL[column]] == np.sum(model.state.status[rows] == code)


def test_mean_series_stay_in_range(finished):
    model = finished
    effort = model.series[:, :, COL["effort"]]
    engagement = model.series[:, :, COL["engagement"]]
    assert np.all(
        (effort >= 0) & (effort <= max(model.spec.archetype_params(a).max_effort for a in SMALL))
    )
    assert np.all((engagement >= 0) & (engagement <= 1))


def test_baseline_arm_has_no_contacts_and_pays_two_percent():
    # without returns (a return after a quarter end lowers revenue, not the rebate paid)
    model = sim.PartnerProgramModel(
        load_small("quickstart", "seed=3", *PLAIN), arm="baseline"
    ).run()
    assert model.state.contact_cost.sum() == 0
    assert model.series[:, :, COL["contacts"]].sum() == 0
    # a flat 2% quarterly rebate pays 2% of all revenue over a 52-week horizon
    np.testing.assert_allclose(
        model.state.rewards, 0.02 * model.state.revenue, rtol=1e-9, atol=1e-6
    )


def test_horizon_not_a_quarter_multiple_accrues_the_open_period():
    scenario = load_small("base", "horizon_weeks=20", "seed=5")
    model = sim.PartnerProgramModel(scenario, arm="baseline").run()
    assert model.week == 20 and not model.running
    np.testing.assert_allclose(
        model.state.rewards, 0.02 * model.state.revenue, rtol=1e-9, atol=1e-6
    )
    paid = model.series[:, :, COL["rewards"]].sum(axis=1)
    assert set(np.flatnonzero(paid)) <= {12, 19}


# -- email cost, counted by hand ------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "first", "sends"),
    [(4, 0, 13), (1, 0, 52), (5, 3, 10), (13, 12, 4), (4, 60, 0)],
)
def test_contact_cost_is_sends_times_partners_times_cost(every, first, sends):
    # weeks first, first + every, ... below 52: e.g. every 4 from 0 -> 0, 4, ..., 48 = 13 sends
    assert sends == len(range(first, 52, every))
    model = sim.PartnerProgramModel(email_only(every, first)).run()
    n = model.world.partners
    assert model.state.contact_cost.sum() == pytest.approx(sends * n * 2.5)
    np.testing.assert_allclose(model.state.contact_cost, sends * 2.5)
    assert model.series[:, :, COL["contacts"]].sum() == sends * n
    weekly = model.series[:, :, COL["contacts"]].sum(axis=1)
    np.testing.assert_array_equal(np.flatnonzero(weekly), list(range(first, 52, every)))
    assert model.state.rewards.sum() == 0


def email_only(every: int = 4, first: int = 0):
    return design_scenario(
        email(every_weeks=every, first_week=first, cost_per_contact=2.5),
        partners=SMALL,
        behaviour=quiet_behaviour(),
        seed=4,
    )


def test_email_only_program_cost_is_the_contact_cost():
    model = sim.PartnerProgramModel(email_only()).run()
    n = model.world.partners
    assert model.state.program_cost.sum() == pytest.approx(13 * n * 2.5)


def test_contact_cost_only_for_targeted_archetypes():
    scenario = design_scenario(
        email(every_weeks=4, cost_per_contact=3.0, applies_to=["integrator"]),
        ladder([(0, 0.02)]),
        partners=SMALL,
        behaviour=quiet_behaviour(),
    )
    model = sim.PartnerProgramModel(scenario, arm="design").run()
    cost = model.state.contact_cost
    assert np.all(cost[rows_of(model.world, "integrator")] == pytest.approx(13 * 3.0))
    assert cost[rows_of(model.world, "reseller")].sum() == 0
    assert cost[rows_of(model.world, "alliance")].sum() == 0
    state = model.state
    np.testing.assert_allclose(
        state.program_cost, state.rewards + cost + state.other_cost, rtol=1e-12
    )


def test_opt_outs_only_reduce_contacts():
    loud = {a: {"opt_out_rate": 0.2, "churn_rate": 0.0, "entry_rate": 0.0} for a in SMALL}
    scenario = design_scenario(
        email(every_weeks=1, cost_per_contact=1.0), partners=SMALL, behaviour=loud
    )
    model = sim.PartnerProgramModel(scenario, arm="design").run()
    sends = model.series[:, :, COL["contacts"]].sum(axis=1)
    assert sends[0] == model.world.partners
    assert np.all(np.diff(sends) <= 0)  # once out, a partner is never contacted again
    assert sends[-1] < sends[0]
    assert model.state.contact_cost.sum() == pytest.approx(sends.sum())


def test_model_rejects_a_negative_seed():
    with pytest.raises(ValueError, match="rng"):
        sim.PartnerProgramModel(load_small("base"), rng=-1)
