"""The default population reproduces finding 10 of docs/model.md (behaviour check 10)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.runs.runner import top_share


@pytest.fixture(scope="module")
def default_runs():
    return [sim.PartnerProgramModel(sim.Scenario(seed=seed)).run() for seed in (0, 1, 2)]


def test_top_fifth_of_partners_bring_75_to_90_percent_of_revenue(default_runs):
    shares = [top_share(m.state.revenue, 0.2) for m in default_runs]
    assert 0.75 <= np.mean(shares) <= 0.90, shares


def test_10_to_40_percent_of_partners_are_active_in_a_quarter(default_runs):
    shares = [np.mean(m.quarter_active_share) for m in default_runs]
    assert all(len(m.quarter_active_share) == 4 for m in default_runs)
    assert 0.10 <= np.mean(shares) <= 0.40, shares


def test_active_share_counts_partners_with_a_won_deal(default_runs):
    model = default_runs[0]
    active_quarters = model.state.active_quarters
    assert np.all((active_quarters >= 0) & (active_quarters <= 4))
    # a partner never active in a quarter never won a deal, so it booked nothing
    assert np.all(model.state.revenue[active_quarters == 0] == 0)
    assert np.any(active_quarters == 4)
    accounts = model.accounts
    # every win of a quarter is counted once in the partners' active quarters
    assert sum(w.sum() for w in accounts.quarter_wins) == active_quarters.sum()
    # the share is among the quarter's channel members: recruits not yet joined don't count
    for share, wins, members in zip(
        model.quarter_active_share, accounts.quarter_wins, accounts.quarter_members, strict=True
    ):
        assert members.sum() < model.world.partners
        assert share == pytest.approx(wins[members].mean())
