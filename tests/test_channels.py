"""Engagement channels (sim/levers/nudges.py): cadence, targeting, capacity, opt-outs, cost.

The channel components are built directly on a tiny world (6 resellers, 3
integrators, 2 alliances) and asked whom they contact; model runs check that
manager capacity and contact costs hold over a whole horizon.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from helpers import load_small, outcome, outlook

import sim
from sim.levers.bonus import Bonus
from sim.levers.build import build_component, build_program
from sim.levers.nudges import STRENGTH, Channel, Nudge
from sim.scenario.program import Program

TINY = {"reseller": 6, "integrator": 3, "alliance": 2}
N = 11


@pytest.fixture(scope="module")
def world() -> sim.World:
    return sim.build_world(load_small("base", counts=TINY), 0)


def channel(world: sim.World, audience: np.ndarray | None = None, **spec: Any) -> Channel:
    lever = Nudge.model_validate({"type": "email", **spec})
    return build_component(lever, world, np.ones(N, dtype=bool) if audience is None else audience)


def rows(*index: int) -> np.ndarray:
    mask = np.zeros(N, dtype=bool)
    mask[list(index)] = True
    return mask


def send(
    nudge: Channel,
    week: int = 0,
    reachable: np.ndarray | None = None,
    opted_out: np.ndarray | None = None,
    gap: np.ndarray | None = None,
    weeks_since_win: np.ndarray | None = None,
) -> np.ndarray:
    """Whom ``nudge`` contacts; by default everyone is reachable, in, near nothing, winning."""
    shortfall = np.full(N, np.inf) if gap is None else gap
    return nudge.contacts(
        week,
        np.ones(N, dtype=bool) if reachable is None else reachable,
        np.zeros(N, dtype=bool) if opted_out is None else opted_out,
        lambda rows: shortfall[rows],
        np.zeros(N) if weeks_since_win is None else weeks_since_win,
    )


def test_cadence_from_the_first_week(world) -> None:
    email = channel(world, every_weeks=4, first_week=2)
    assert [w for w in range(16) if email.due(w)] == [2, 6, 10, 14]
    assert send(email, week=6).all()
    assert not send(email, week=7).any()
    assert email.costs(7) is None


def test_cost_per_contact_in_send_weeks(world) -> None:
    email = channel(world, cost_per_contact=2.5, audience=~rows(4))
    sent = send(email, reachable=~rows(0))  # row 0 has churned
    np.testing.assert_array_equal(sent, ~rows(0, 4))
    np.testing.assert_allclose(email.contact_costs(), np.where(sent, 2.5, 0.0))


@pytest.mark.parametrize(
    ("kind", "respects"), [("email", True), ("portal", True), ("call", False), ("qbr", False)]
)
def test_opt_outs_hold_for_email_and_portal_only(world, kind: str, respects: bool) -> None:
    nudge = channel(world, type=kind)
    sent = send(nudge, opted_out=rows(1, 2))
    np.testing.assert_array_equal(sent, ~rows(1, 2) if respects else np.ones(N, dtype=bool))
    assert nudge.strength == STRENGTH[kind]


def test_strength_can_be_set(world) -> None:
    assert channel(world, type="call", strength=1.5).strength == 1.5
    assert STRENGTH["email"] == 1.0 and STRENGTH["qbr"] > STRENGTH["call"] > STRENGTH["portal"]


def test_near_threshold_targets_partners_just_short(world) -> None:
    email = channel(world, target="near_threshold", near_threshold_share=0.25)
    gap = np.array([np.inf, 0.1, 0.25, 0.26, 0.0, -0.1, 0.2, 1.0, 0.05, np.inf, 0.25])
    # projected within 25% below a threshold, not past it (gap <= 0) and not far (gap > 25%)
    np.testing.assert_array_equal(send(email, gap=gap), rows(1, 2, 6, 8, 10))


def test_lapsing_targets_partners_without_a_recent_win(world) -> None:
    email = channel(world, target="lapsing", lapsing_weeks=13)
    weeks = np.array([0, 12, 13, 40, 5, 13, 0, 0, 100, 1, 2], dtype=float)
    np.testing.assert_array_equal(send(email, weeks_since_win=weeks), rows(2, 3, 5, 8))


def test_manager_capacity_calls_the_largest_partners_first(world) -> None:
    call = channel(world, type="call", managers=1, contacts_per_manager=3, cost_per_contact=60)
    targeted = ~rows(0)  # the largest partner has churned
    sent = send(call, reachable=targeted)
    order = [i for i in np.argsort(-world.size) if targeted[i]]
    np.testing.assert_array_equal(np.flatnonzero(sent), np.sort(order[:3]))
    np.testing.assert_allclose(call.contact_costs().sum(), 3 * 60.0)
    roomy = channel(world, type="call", managers=2, contacts_per_manager=10)
    assert send(roomy).sum() == N  # capacity 20 covers everyone


def test_near_threshold_gap_from_a_period_reward(world) -> None:
    bonus = Bonus.model_validate({"type": "bonus", "threshold": 10_000, "amount": 500})
    reward = build_component(bonus, world, np.ones(N, dtype=bool))
    booked = np.zeros(N)
    booked[:4] = [8_000.0, 5_000.0, 9_900.0, 12_000.0]
    reward.record(0, outcome(booked))
    gap = reward.gap(outlook(world, week=3))
    np.testing.assert_allclose(gap[:4], [0.2, 0.5, 0.01, np.inf])
    email = channel(world, target="near_threshold", near_threshold_share=0.25)
    np.testing.assert_array_equal(send(email, gap=gap), rows(0, 2))


def test_audience_by_archetype_and_segment(world) -> None:
    program = Program.model_validate(
        {
            "mechanics": [
                {"type": "email", "applies_to": ["integrator", "alliance"]},
                {"type": "portal", "segments": {"size_bands": ["large"]}},
                {"type": "call", "segments": {"maturity": "new", "regions": ["emea"]}},
            ]
        }
    )
    email, portal, call = build_program(program, world).channels
    np.testing.assert_array_equal(email.eligible, world.archetype > 0)
    large = world.band_names.index("large")
    np.testing.assert_array_equal(portal.eligible, world.size_band == large)
    emea = world.region_names.index("emea")
    np.testing.assert_array_equal(call.eligible, world.is_new & (world.region == emea))


def test_model_respects_capacity_and_charges_every_contact() -> None:
    call = {
        "type": "call",
        "every_weeks": 2,
        "cost_per_contact": 60,
        "managers": 2,
        "contacts_per_manager": 4,
    }
    scenario = load_small("base", "horizon_weeks=13").model_copy(
        update={"design": Program.model_validate({"mechanics": [call]})}
    )
    model = sim.PartnerProgramModel(scenario)
    contacts = []
    for _ in range(scenario.horizon_weeks):
        model.step()
        contacts.append(model.weekly_total("contacts"))
        assert model.weekly_total("contact_cost") == pytest.approx(60.0 * contacts[-1])
    assert contacts == [8.0 if week % 2 == 0 else 0.0 for week in range(13)]
    assert not model.state.opted_out.any()  # calls cannot be opted out of


@pytest.mark.parametrize("capacity", [1, 7, 100, 3_000, 10_000])
def test_calls_near_a_threshold_go_to_the_biggest_such_partners(capacity: int) -> None:
    # Candidates are examined biggest first, a batch at a time: the result must be the
    # same as ranking every partner near a threshold by size and keeping ``capacity``.
    n = 6_000
    rng = np.random.default_rng(capacity)
    layout = SimpleNamespace(replicas=1, spans=lambda rows: [slice(0, n)])
    world = SimpleNamespace(size=rng.lognormal(size=n), partners=n, layout=layout)
    lever = Nudge.model_validate(
        {
            "type": "call",
            "target": "near_threshold",
            "managers": 1,
            "contacts_per_manager": capacity,
            "cost_per_contact": 60,
        }
    )
    call = build_component(lever, world, np.ones(n, dtype=bool))
    reachable = rng.random(n) < 0.9
    shortfall = np.where(rng.random(n) < 0.2, rng.uniform(-0.1, 0.5, n), np.inf)
    sent = call.contacts(0, reachable, np.zeros(n, dtype=bool), lambda r: shortfall[r], np.zeros(n))
    near = reachable & (shortfall > 0) & (shortfall <= lever.near_threshold_share)
    biggest = [i for i in np.argsort(-world.size, kind="stable") if near[i]][:capacity]
    np.testing.assert_array_equal(np.flatnonzero(sent), np.sort(biggest))
