"""Paired replications: every arm of a replication runs on the same world and draws.

A replication draws one world (population and opening pipeline) and runs the
baseline and each design on it with the same weekly random streams (common
random numbers), so the paired difference measures the design, not the luck.
Replications are independent given (seed, replication). They run in batches,
several joined into one vectorized pass (:func:`run_replications`), and the
batches in parallel with joblib; the results depend neither on the batches
nor on the number of jobs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed
from tqdm import tqdm

from agents import ACTIVE, CHURNED
from sim.engine.model import Arm, PartnerProgramModel
from sim.runs.lifeline import tied_loky
from sim.scenario.calendar import QUARTER
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.stacking import stack_worlds
from sim.world.state import MONEY
from sim.world.world import World, build_world

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Partner rows (partners x arms x replications) run in one vectorized pass at most.
#: Numpy's per-call overhead dominates a week below some ten thousand rows;
#: past 32k rows (16 paired replications of 1,000 partners) batching gains
#: little and only costs memory (docs/performance.md).
BATCH_ROWS = 32_768

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
    "pipeline_gross_profit",
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
    layout = world.layout
    rows = layout.copy_rows(copy)
    part = model.parts[copy // layout.replicas if len(model.parts) > 1 else 0]
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
        pipeline_gross_profit(model),
    )
    totals = np.column_stack(
        [np.bincount(segment, weights=c[rows], minlength=n_segments) for c in columns]
    )
    quarters = model.horizon // QUARTER
    active = float(state.active_quarters[rows].mean() / quarters) if quarters else float("nan")
    return ArmOutput(
        totals=totals,
        series=model.series[:, copy :: layout.copies],
        quarterly_active_share=active,
        top20_revenue_share=top_share(state.revenue[rows], 0.2),
        tiers=tier_counts(part.components, rows),
    )


def pipeline_gross_profit(model: PartnerProgramModel) -> FloatArray:
    """Each partner's open deals at the end, valued as the gross profit we expect from them, $.

    Their expected list value (value x win probability), after customer
    discounts and expected returns, at our gross margin; nothing for churned
    partners, whose deals leave with them.
    """
    traits, market = model.world.traits, model.spec.market
    kept = (1.0 - traits.customer_discount) * (1.0 - market.returns.rate)
    value: FloatArray = model.pipeline.open_expected * kept * market.gross_margin
    return value * (model.state.status != CHURNED)


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
    spec = (
        scenario
        if program is scenario.baseline
        else scenario.model_copy(update={"design": program})
    )
    arm: Arm = "baseline" if program is scenario.baseline else "design"
    model = PartnerProgramModel(spec, rng=seed, arm=arm, replication=replication, world=world)
    output = summarize_arm(model.run())
    model.release()
    return output


def run_replication(
    scenario: Scenario, arms: dict[str, Program], seed: int, replication: int
) -> ReplicationOutput:
    """Run every arm of one replication on one shared world, in one vectorized pass.

    The world is stacked, one copy per arm (:func:`sim.world.stacking.stack_worlds`), and
    each copy runs its arm's program with the same random numbers, so the
    result equals separate runs of each arm on the world.
    """
    return run_replications(scenario, arms, seed, [replication])[0]


def run_replications(
    scenario: Scenario, arms: dict[str, Program], seed: int, replications: Sequence[int]
) -> list[ReplicationOutput]:
    """Run every arm of several replications in one vectorized pass.

    Each replication draws its own world and random numbers, exactly as
    alone; the worlds are joined and stacked, one copy per arm
    (:func:`sim.world.stacking.stack_worlds`). Every replication's result equals its
    :func:`run_replication`, bit for bit: batching saves numpy's per-call
    overhead, which dominates a week of a few thousand partners.
    """
    worlds = [build_world(scenario, r, seed=seed) for r in replications]
    return run_on_worlds(scenario, arms, seed, replications, worlds)


def run_on_worlds(
    scenario: Scenario,
    arms: dict[str, Program],
    seed: int,
    replications: Sequence[int],
    worlds: Sequence[World],
) -> list[ReplicationOutput]:
    """:func:`run_replications` on those replications' worlds, already drawn.

    The worlds are left as they were, so they can be kept and shared (the
    optimizer keeps them between trials).
    """
    stacked = stack_worlds(worlds, len(arms))
    programs = list(arms.values())
    model = PartnerProgramModel(
        scenario,
        seed,
        replication=replications[0] if len(replications) == 1 else list(replications),
        world=stacked,
        programs=programs,
        assignment=_arm_of_rows(stacked, len(worlds)),
        consume_world=all(stacked is not world for world in worlds),  # a new world of its own
    ).run()
    count = len(replications)
    outputs = [
        ReplicationOutput(
            replication,
            {label: summarize_arm(model, arm * count + i) for arm, label in enumerate(arms)},
            worlds[0].archetypes,
            worlds[0].band_names,
        )
        for i, replication in enumerate(replications)
    ]
    model.release()
    return outputs


def _arm_of_rows(stacked: World, replications: int) -> IntArray:
    """Each row's arm in a stacked world of joined replications (copy = arm x replications + r)."""
    return stacked.layout.copy // replications


def batches(replications: Sequence[int], partners: int, arms: int, jobs: int) -> list[list[int]]:
    """Replications in consecutive batches of at most :data:`BATCH_ROWS` rows (at least one each).

    With several jobs there are at least as many batches as jobs, so that every
    worker has work. Batching does not change any result.
    """
    per_batch = max(1, BATCH_ROWS // max(partners * arms, 1))
    if jobs != 1:
        workers = jobs if jobs > 0 else (os.cpu_count() or 1)
        per_batch = min(per_batch, -(-len(replications) // workers))
    ids = list(replications)
    return [ids[i : i + per_batch] for i in range(0, len(ids), per_batch)]


def replicate(
    scenario: Scenario,
    arms: dict[str, Program],
    seed: int,
    replications: Sequence[int],
    jobs: int = 1,
    progress: bool = True,
    label: str = "replications",
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ReplicationOutput]:
    """Run ``replications`` in batches (:func:`batches`), in parallel with joblib/loky.

    The workers exit when this process dies (:mod:`sim.runs.lifeline`).
    Returns one output per replication, in replication order. ``on_progress(done,
    total)`` is called after each batch (the app's progress bar; the terminal's is tqdm).
    """
    partners = sum(scenario.population.partners.values())
    groups = batches(replications, partners, len(arms), jobs)
    tasks = [(scenario, arms, seed, group) for group in groups]
    return gather(
        run_replications, tasks, jobs, progress, label, "rep", len(replications), on_progress
    )


def gather[T](
    task: Callable[..., list[T]],
    groups: Sequence[tuple[Any, ...]],
    jobs: int,
    progress: bool,
    label: str,
    unit: str,
    total: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[T]:
    """``task(*group)`` for every group, their lists joined in order, in ``jobs`` processes.

    Runs in this process with one job, else with joblib (loky), whose workers
    exit when this process dies (:mod:`sim.runs.lifeline`); a progress bar on
    stderr counts the ``total`` items the tasks return, and ``on_progress(done,
    total)`` is called after each group.
    """
    results: Iterator[list[T]]
    if jobs == 1:
        results = (task(*group) for group in groups)
    else:
        calls = (delayed(task)(*group) for group in groups)
        with tied_loky():
            results = Parallel(n_jobs=jobs, return_as="generator")(calls)
    outputs: list[T] = []
    with tqdm(
        total=total, desc=label, unit=unit, file=sys.stderr, disable=not progress, leave=False
    ) as bar:
        for done in results:
            outputs += done
            bar.update(len(done))
            if on_progress is not None:
                on_progress(len(outputs), total)
    return outputs
