"""Pilot worlds: the world a pilot is drawn in, its pilot and arms, and its potential outcomes.

A :class:`PilotWorld` is one replication's world with what every pilot drawn
in it shares (the partners' selection order, pre-period revenue, strata and
clusters); :func:`draw_pilot` takes a pilot of a given size from it and
assigns the arms; :func:`potential_outcomes` runs the world with everyone on
each program in turn, the truth that pilots are graded against. Full pilots,
the planning grid and experiment matrices are all built from these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.model import PartnerProgramModel
from sim.pilot.assignment import assign, eligible, segment_codes, selection_order
from sim.pilot.plan import PilotInputError, PilotPlan, Size
from sim.scenario.calendar import QUARTER
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.streams import stream
from sim.world.world import World, build_world

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Outcomes:
    """Every partner's outcomes with everyone on each program in turn: ``[programs, partners]``.

    ``cumulative`` (when recorded) is revenue booked up to the end of each
    week of the run, ``[programs, weeks, partners]``: what an interim look
    during the pilot sees. (A shorter pilot is not a prefix of a longer one:
    partners time deals around the horizon's end.)
    """

    revenue: FloatArray
    net: FloatArray  # gross profit minus program cost
    cost: FloatArray  # program cost, rewards accrued at the end included
    cumulative: FloatArray | None

    def revenue_to(self, weeks: int) -> FloatArray:
        """Revenue of the first ``weeks`` weeks, ``[programs, partners]``."""
        assert self.cumulative is not None, "potential outcomes recorded without weekly revenue"
        return self.cumulative[:, weeks - 1]


def potential_outcomes(
    scenario: Scenario,
    seed: int,
    world: World,
    replication: int,
    programs: Sequence[Program],
    weekly: bool = False,
) -> Outcomes:
    """Run ``world`` once per program with every partner on it, for ``scenario``'s horizon."""
    everyone = np.zeros(world.partners, dtype=np.int64)
    models = [
        PartnerProgramModel(
            scenario,
            seed,
            replication=replication,
            world=world,
            programs=[program],
            assignment=everyone,
            record_partners=weekly,
        ).run()
        for program in programs
    ]
    cumulative = None
    if weekly:
        cumulative = np.array([m.partner_series["revenue"].cumsum(axis=0) for m in models])
    outcomes = Outcomes(
        revenue=np.array([m.state.revenue for m in models]),
        net=np.array([m.state.gross_profit - m.state.program_cost for m in models]),
        cost=np.array([m.state.program_cost for m in models]),
        cumulative=cumulative,
    )
    for model in models:
        model.release()
    return outcomes


@dataclass(frozen=True)
class PilotWorld:
    """One world and what every pilot drawn in it shares."""

    world: World
    replication: int
    order: IntArray  # eligible rows in selection order
    pre: FloatArray  # pre-period revenue per partner
    strata: IntArray  # stratum code per partner
    clusters: IntArray | None  # region per partner, for clustered assignment


def pilot_world(plan: PilotPlan, replication: int) -> PilotWorld:
    """Draw the world of ``replication`` and the order in which its partners join pilots."""
    spec = plan.spec
    world = build_world(plan.scenario, replication, seed=plan.seed)
    mask = eligible(world, spec.eligibility)
    quarters = spec.pre_weeks // QUARTER
    clustered = spec.assignment.type == "clustered"
    return PilotWorld(
        world=world,
        replication=replication,
        order=selection_order(mask, stream(plan.seed, replication, "pilot.selection")),
        pre=world.prior_revenue[-quarters:].sum(axis=0),
        strata=segment_codes(world, spec.assignment.strata)[0],
        clusters=world.region.astype(np.int64) if clustered else None,
    )


def draw_pilot(
    plan: PilotPlan, pw: PilotWorld, size: Size, shares: Sequence[float]
) -> tuple[IntArray, IntArray]:
    """The pilot's partner rows and the arm of each (0 = control)."""
    n = size.resolve(pw.order.size)
    rows = pw.order[:n]
    rng = stream(plan.seed, pw.replication, "pilot.assignment")
    try:
        arms = assign(plan.spec.assignment, pw.world, rows, shares, rng)
    except ValueError as error:
        raise PilotInputError(
            "pilot.assignment.type", f"expected a feasible pilot: {error}"
        ) from None
    counts = np.bincount(arms, minlength=len(shares))
    if counts.min() < 2:
        raise PilotInputError(
            size.field, f"expected a pilot with at least 2 partners per arm, got {counts.tolist()}"
        )
    return rows, arms
