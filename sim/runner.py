"""Paired replications: every arm of a replication runs on the same world and draws.

A replication draws one world (population and opening pipeline) and runs the
baseline and each design on it with the same weekly random streams (common
random numbers), so the paired difference measures the design, not the luck.
Replications are independent given (seed, replication) and run in parallel
with joblib; the results do not depend on the number of jobs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed
from tqdm import tqdm

from agents import ACTIVE, CHURNED
from sim.model import PartnerProgramModel
from sim.scenario import Program, Scenario
from sim.state import MONEY
from sim.world import QUARTER, World, build_world, stack_world

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Per-partner totals summed by segment, in this column order.
TOTALS = (
    *MONEY,
    "partners",
    "rewarded_partners",
    "active_partners",
    "ever_active_partners",
    "churned_partners",
    "active_quarters",
    "open_pipeline",
)


@dataclass(frozen=True)
class ArmOutput:
    """What one arm of one replication produced, aggregated for storage."""

    totals: FloatArray  # [segments, len(TOTALS)]; segment = archetype * bands + band
    series: FloatArray  # [weeks, archetypes, len(SERIES)]
    quarterly_active_share: float  # mean share of partners with a win, per quarter
    top20_revenue_share: float
    tiers: IntArray | None = None  # [periods, tier levels]: partners by tier after each period


@dataclass(frozen=True)
class ReplicationOutput:
    """Every arm of one replication, keyed by arm label, plus the world's segment layout."""

    replication: int
    arms: dict[str, ArmOutput]
    archetypes: list[str]
    bands: list[str]


def summarize_arm(model: PartnerProgramModel, copy: int = 0) -> ArmOutput:
    """Aggregate one arm of a finished model by segment (``copy``: its copy of a stacked world)."""
    world, state = model.world, model.state
    rows = np.ones(world.partners, dtype=bool) if world.copy is None else world.copy == copy
    bands = len(world.band_names)
    segment = world.archetype.astype(np.int64)[rows] * bands + world.size_band[rows]
    n_segments = len(world.archetypes) * bands
    columns = (
        *(getattr(state, name) for name in MONEY),
        np.ones(world.partners),
        state.rewards > 0,
        state.status == ACTIVE,
        state.active_quarters + state.won_this_quarter > 0,
        state.status == CHURNED,
        state.active_quarters,
        model.pipeline.open_expected * (state.status != CHURNED),
    )
    totals = np.column_stack(
        [np.bincount(segment, weights=c[rows], minlength=n_segments) for c in columns]
    )
    quarters = model.horizon // QUARTER
    active = float(state.active_quarters[rows].mean() / quarters) if quarters else float("nan")
    return ArmOutput(
        totals=totals,
        series=model.series[:, copy :: world.copies],
        quarterly_active_share=active,
        top20_revenue_share=top_share(state.revenue[rows], 0.2),
        tiers=tier_counts(model.parts[copy if len(model.parts) > 1 else 0].components, rows),
    )


def tier_counts(components: list[Any], rows: npt.NDArray[np.bool_]) -> IntArray | None:
    """Partners by tier level after each evaluation, for the program's first tiered lever."""
    for component in components:
        history = component.tier_history()
        if history:
            levels = int(max(h.max() for h in history)) + 1
            return np.array([np.bincount(h[rows], minlength=levels) for h in history])
    return None


def top_share(values: FloatArray, share: float) -> float:
    """Share of the total held by the top ``share`` of entries (0 if the total is 0)."""
    total = float(values.sum())
    if total <= 0:
        return 0.0
    k = max(1, int(round(share * values.size)))
    return float(np.partition(values, values.size - k)[-k:].sum() / total)


def run_arm(
    scenario: Scenario, world: World, program: Program, seed: int, replication: int
) -> ArmOutput:
    """Run one program on one world for the whole horizon."""
    if program is scenario.baseline:
        spec, arm = scenario, "baseline"
    else:
        spec, arm = scenario.model_copy(update={"design": program}), "design"
    model = PartnerProgramModel(spec, rng=seed, arm=arm, replication=replication, world=world)
    return summarize_arm(model.run())


def run_replication(
    scenario: Scenario, arms: dict[str, Program], seed: int, replication: int
) -> ReplicationOutput:
    """Run every arm of one replication on one shared world, in one vectorized pass.

    The world is stacked, one copy per arm (:func:`sim.world.stack_world`), and
    each copy runs its arm's program with the same random numbers, so the
    result equals separate runs of each arm on the world.
    """
    world = build_world(scenario, replication, seed=seed)
    stacked = stack_world(world, len(arms))
    programs = list(arms.values())
    if len(programs) == 1:
        outputs = {
            label: run_arm(scenario, world, programs[0], seed, replication) for label in arms
        }
    else:
        model = PartnerProgramModel(
            scenario,
            seed,
            replication=replication,
            world=stacked,
            programs=programs,
            assignment=stacked.copy,
            consume_world=True,
        ).run()
        outputs = {label: summarize_arm(model, copy) for copy, label in enumerate(arms)}
    return ReplicationOutput(replication, outputs, world.archetypes, world.band_names)


def replicate(
    scenario: Scenario,
    arms: dict[str, Program],
    seed: int,
    replications: Sequence[int],
    jobs: int = 1,
    progress: bool = True,
    label: str = "replications",
) -> list[ReplicationOutput]:
    """Run ``replications`` in parallel (joblib/loky), in replication order."""
    tasks = (delayed(run_replication)(scenario, arms, seed, r) for r in replications)
    results: Iterator[ReplicationOutput]
    if jobs == 1:
        results = (run_replication(scenario, arms, seed, r) for r in replications)
    else:
        results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    bar = tqdm(
        results,
        total=len(replications),
        desc=label,
        unit="rep",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    return list(bar)
