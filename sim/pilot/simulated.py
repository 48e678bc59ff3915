"""Simulated pilots in simulated worlds: the building blocks of ``sim.pilot.planning``.

One simulated pilot is one replication (one world):

1. the eligible partners are put in random order (stream ``pilot.selection``);
   the pilot is the first ``n`` of them;
2. they are assigned to the control arm (the baseline) and the design arms
   (stream ``pilot.assignment``);
3. the world runs for the pilot weeks with every partner on its arm's
   program and everyone outside the pilot on the baseline (the *observed*
   run); every estimator then estimates each arm's effect on the revenue of
   the pilot weeks, with a 95% CI, Holm-adjusted across arms;
4. the same world also runs with everyone on each program (the *potential
   outcomes*; common random numbers make them comparable row by row). The
   **true effect** of an arm is the mean, over the pilot partners it treated,
   of (revenue under the arm - revenue under the baseline): the sample
   average effect on the treated, which is what the CIs are graded against.
   The same difference averaged over every partner of the world is the
   population effect (how well the pilot generalizes).

Without spillovers between partners, a pilot partner's observed revenue is
exactly its potential outcome under its arm (the ``spillover`` column counts
the exceptions). The planner relies on that: over a grid of pilot sizes and
durations it composes pilots from the potential outcomes of the same worlds
instead of running each one, then checks the size it recommends with full
pilots on fresh worlds.

The plan is in ``sim.pilot.plan``; the worlds, the pilots drawn in them and
their potential outcomes are in ``sim.pilot.worlds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from agents import CHURNED
from sim.engine.model import PartnerProgramModel
from sim.pilot.estimators import ESTIMATORS, Effect, Sample, estimate, holm, sample_ratio_p
from sim.pilot.parallel import parallel
from sim.pilot.plan import PilotPlan, Size
from sim.pilot.spec import MAX_WEEKS
from sim.pilot.worlds import PilotWorld, draw_pilot, pilot_world, potential_outcomes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DEFAULT_SHARES = tuple(round(0.1 * k, 1) for k in range(1, 11))
DEFAULT_PLANNING_SIMULATIONS = 200


def compare_arms(
    plan: PilotPlan,
    pw: PilotWorld,
    rows: IntArray,
    arms: IntArray,
    y: FloatArray,
    weeks: int,
    estimators: Iterable[str],
) -> dict[str, list[tuple[Effect, float]]]:
    """Each estimator's effect of every design arm against control, with Holm p-values."""
    found: dict[str, list[tuple[Effect, float]]] = {}
    scale = weeks / plan.spec.pre_weeks
    for name in estimators:
        effects: list[Effect] = []
        for arm in range(1, len(plan.programs)):
            keep = (arms == 0) | (arms == arm)
            sample = Sample(
                y=y[keep],
                treated=arms[keep] == arm,
                pre=pw.pre[rows][keep],
                scale=scale,
                strata=pw.strata[rows][keep],
                clusters=None if pw.clusters is None else pw.clusters[rows][keep],
            )
            effect = estimate(name, sample)
            if effect is None:
                break
            effects.append(effect)
        if effects:
            adjusted = holm([e.p_value for e in effects], plan.spec.alpha)
            found[name] = list(zip(effects, adjusted.tolist(), strict=True))
    return found


def _effect_columns(effect: Effect, p_holm: float) -> dict[str, float]:
    return {
        "estimate": effect.estimate,
        "se": effect.se,
        "ci_low": effect.ci_low,
        "ci_high": effect.ci_high,
        "p_value": effect.p_value,
        "p_holm": p_holm,
    }


def simulate_pilot(plan: PilotPlan, pw: PilotWorld) -> list[dict[str, Any]]:
    """One full pilot in ``pw``'s world: the observed run, every estimator, and the truth."""
    spec, weeks, interim_weeks = plan.spec, plan.spec.weeks, plan.interim_weeks
    rows, arms = draw_pilot(plan, pw, plan.size, plan.shares)
    assignment = np.zeros(pw.world.partners, dtype=np.int64)
    assignment[rows] = arms
    observed = PartnerProgramModel(
        plan.at(weeks),
        plan.seed,
        replication=pw.replication,
        world=pw.world,
        programs=plan.programs,
        assignment=assignment,
        record_partners=True,
    ).run()
    truth = potential_outcomes(
        plan.at(weeks),
        plan.seed,
        pw.world,
        pw.replication,
        plan.programs,
        interim_weeks is not None,
    )
    y = observed.state.revenue[rows]
    found = compare_arms(plan, pw, rows, arms, y, weeks, ESTIMATORS)
    interim: dict[str, list[tuple[Effect, float]]] = {}
    if interim_weeks is not None:
        early = observed.partner_series["revenue"][:interim_weeks].sum(axis=0)[rows]
        interim = compare_arms(plan, pw, rows, arms, early, interim_weeks, [spec.estimator])
    still_reporting = observed.state.status[rows] != CHURNED
    observed.release()
    srm = sample_ratio_p(
        np.bincount(arms[still_reporting], minlength=len(plan.shares)), plan.shares
    )
    spillover = float(np.mean(~np.isclose(y, truth.revenue[arms, rows], rtol=1e-9, atol=1e-6)))
    records = []
    for arm in range(1, len(plan.programs)):
        treated = rows[arms == arm]
        common = {
            "replication": pw.replication,
            "arm": plan.labels[arm],
            "partners": int(rows.size),
            "treated": int(treated.size),
            "weeks": weeks,
            "true_effect": float(np.mean(truth.revenue[arm, treated] - truth.revenue[0, treated])),
            "population_effect": float(np.mean(truth.revenue[arm] - truth.revenue[0])),
            "net_effect": float(np.mean(truth.net[arm, treated] - truth.net[0, treated])),
            "pilot_cost": float(np.sum(truth.cost[arm, treated] - truth.cost[0, treated])),
            "srm_p": srm,
            "spillover": spillover,
        }
        for name, effects in found.items():
            record = common | {"estimator": name} | _effect_columns(*effects[arm - 1])
            if name in interim and interim_weeks is not None:
                effect, p_holm = interim[name][arm - 1]
                early_truth = truth.revenue_to(interim_weeks)
                record |= {
                    "interim_estimate": effect.estimate,
                    "interim_p_holm": p_holm,
                    "interim_true_effect": float(
                        np.mean(early_truth[arm, treated] - early_truth[0, treated])
                    ),
                }
            records.append(record)
    return records


def power_grid_pilots(
    plan: PilotPlan, pw: PilotWorld, sizes: Sequence[Size], weeks_grid: Sequence[int]
) -> list[dict[str, Any]]:
    """Pilots of every size x duration in one world, composed from potential outcomes.

    The world runs once per program and duration with every partner on the
    program; each size reuses those runs and draws its assignment as a full
    pilot of that size would (same streams).
    """
    by_weeks = {
        w: potential_outcomes(plan.at(w), plan.seed, pw.world, pw.replication, plan.programs)
        for w in weeks_grid
    }
    records = []
    for size in sizes:
        rows, arms = draw_pilot(plan, pw, size, plan.shares)
        for w, truth in by_weeks.items():
            revenue = truth.revenue
            found = compare_arms(
                plan, pw, rows, arms, revenue[arms, rows], w, [plan.spec.estimator]
            )
            for arm, (effect, p_holm) in enumerate(found[plan.spec.estimator], start=1):
                treated = rows[arms == arm]
                records.append(
                    {
                        "replication": pw.replication,
                        "arm": plan.labels[arm],
                        "size": size_label(size),
                        "partners": int(rows.size),
                        "weeks": w,
                        "true_effect": float(np.mean(revenue[arm, treated] - revenue[0, treated])),
                    }
                    | _effect_columns(effect, p_holm)
                )
    return records


def size_label(size: Size) -> str:
    """How a size reads in tables: ``300 partners`` or ``30% of eligible``."""
    if size.partners is not None:
        return f"{size.partners} partners"
    return f"{100 * (1.0 if size.share is None else size.share):g}% of eligible"


def planning_grid(plan: PilotPlan) -> tuple[list[Size], list[int]]:
    """The sizes and durations of the planning grid (defaults: 10 shares x 1, 2, 3 pilot weeks)."""
    planning = plan.spec.planning
    assert planning is not None
    if planning.partners is not None:
        sizes = [
            Size(n, None, f"pilot.planning.partners.{i}") for i, n in enumerate(planning.partners)
        ]
    else:
        shares = planning.shares or list(DEFAULT_SHARES)
        sizes = [Size(None, s, f"pilot.planning.shares.{i}") for i, s in enumerate(shares)]
    weeks = planning.weeks or [plan.spec.weeks * k for k in (1, 2, 3)]
    return sizes, sorted({w for w in weeks if w <= MAX_WEEKS})


def replication_task(
    plan: PilotPlan, replication: int, pilot: bool, grid: tuple[list[Size], list[int]] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One world: a full pilot (if ``pilot``) and the planning grid's pilots (if ``grid``)."""
    pw = pilot_world(plan, replication)
    pilots = simulate_pilot(plan, pw) if pilot else []
    return pilots, ([] if grid is None else power_grid_pilots(plan, pw, *grid))


def planning_simulations(plan: PilotPlan, simulations: int) -> int:
    """Worlds of the planning grid: the section's number, else min(simulations, 200)."""
    planning = plan.spec.planning
    if planning is not None and planning.simulations is not None:
        return planning.simulations
    return min(simulations, DEFAULT_PLANNING_SIMULATIONS)


def simulate(
    plan: PilotPlan,
    simulations: int,
    planning: bool,
    jobs: int = 1,
    progress: bool = False,
    first: int = 0,
    label: str = "pilots",
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Full pilots in worlds ``first ...``; with ``planning``, the grid in the first worlds.

    Returns the pilots table (one row per world, arm and estimator) and the
    grid table (one row per world, size, duration and arm).
    """
    grid = planning_grid(plan) if planning else None
    planned = planning_simulations(plan, simulations) if planning else 0
    calls = [
        (replication_task, (plan, first + i, i < simulations, grid if i < planned else None))
        for i in range(max(simulations, planned))
    ]
    outputs = parallel(calls, jobs, progress, label)
    pilots = pd.DataFrame([row for out in outputs for row in out[0]])
    grid_rows = pd.DataFrame([row for out in outputs for row in out[1]]) if planning else None
    return pilots, grid_rows
