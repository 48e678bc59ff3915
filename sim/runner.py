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

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed
from tqdm import tqdm

from agents import ACTIVE, CHURNED
from sim.model import PartnerProgramModel
from sim.scenario import Program, Scenario
from sim.state import MONEY
from sim.world import World, build_world

FloatArray = npt.NDArray[np.float64]

#: Per-partner totals summed by segment, in this column order.
TOTALS = (
    *MONEY,
    "partners",
    "rewarded_partners",
    "active_partners",
    "churned_partners",
    "active_quarters",
    "open_pipeline",
)


@dataclass(frozen=True)
class ArmOutput:
    """What one arm of one replication produced, aggregated for storage."""

    totals: FloatArray  # [segments, len(TOTALS)]; segment = archetype * bands + band
    series: FloatArray  # [weeks, archetypes, len(SERIES)]
    quarter_active_share: list[float]
    top20_revenue_share: float


@dataclass(frozen=True)
class ReplicationOutput:
    """Every arm of one replication, keyed by arm label, plus the world's segment layout."""

    replication: int
    arms: dict[str, ArmOutput]
    archetypes: list[str]
    bands: list[str]


def summarize_arm(model: PartnerProgramModel) -> ArmOutput:
    """Aggregate a finished model's per-partner totals by segment."""
    world, state = model.world, model.state
    bands = len(world.band_names)
    segment = world.archetype.astype(np.int64) * bands + world.size_band
    n_segments = len(world.archetypes) * bands
    columns = (
        *(getattr(state, name) for name in MONEY),
        np.ones(world.partners),
        state.rewards > 0,
        state.status == ACTIVE,
        state.status == CHURNED,
        state.active_quarters,
        model.pipeline.open_expected * (state.status != CHURNED),
    )
    totals = np.column_stack(
        [np.bincount(segment, weights=c, minlength=n_segments) for c in columns]
    )
    return ArmOutput(
        totals=totals,
        series=model.series,
        quarter_active_share=model.quarter_active_share,
        top20_revenue_share=top_share(state.revenue, 0.2),
    )


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
    """Run every arm of one replication on one shared world."""
    world = build_world(scenario, replication, seed=seed)
    outputs = {
        label: run_arm(scenario, world, program, seed, replication)
        for label, program in arms.items()
    }
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
