"""Scoring a design: paired net lift on fixed worlds, risk measures, constraints.

Every trial is scored on the same replication ids (common random numbers), so
two designs are compared on equal luck. A replication's world and its
baseline arm do not depend on the design, so each process builds them once
and reuses them; the design arm is the only new run per trial. The numbers
are computed with the same functions as :func:`sim.run_scenario`
(:func:`sim.runs.results.tables`, :func:`~sim.runs.results.paired_differences`,
:func:`~sim.runs.results.summarize`), so a design's mean net lift here equals
``run_scenario(design, seed=..., replications=...)`` exactly.

Objectives (``search.objective``): ``mean`` (mean paired net lift), ``ci_low``
(its lower 95% bound) or ``cvar`` (mean net lift of the worst ``cvar_alpha``
share of an ensemble of behavioural assumptions), each of net lift over the
horizon or, with ``search.measure: net_lift_with_pipeline``, of net lift plus
the change in the gross profit expected from deals still open at the horizon.
``search.versus`` adds a second objective (incremental cost, minimized, or the
share of active partners rewarded, maximized).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import optuna

from optimize.search.settings import Constraints, SearchSettings
from optimize.search.space import SearchSpace
from sim.runs.results import paired_differences, summarize, tables
from sim.runs.runner import ArmOutput, ReplicationOutput, batches, run_arm, run_on_worlds
from sim.scenario.loading import apply_override, validate_scenario
from sim.scenario.schema import Scenario
from sim.world.world import World, build_world

#: Directions of each objective, in the study's order.
Direction = Literal["minimize", "maximize"]
DIRECTIONS: dict[str, Direction] = {
    "net_lift": "maximize",
    "incremental_cost": "minimize",
    "rewarded_share": "maximize",
}
#: Measures stored as user attributes of every trial (name -> unit).
MEASURES = {
    "net_lift": "$",
    "net_lift_ci_low": "$",
    "net_lift_ci_high": "$",
    "net_lift_with_pipeline": "$",
    "net_lift_with_pipeline_ci_low": "$",
    "net_lift_with_pipeline_ci_high": "$",
    "incremental_pipeline_value": "$",
    "incremental_gross_profit": "$",
    "incremental_cost": "$",
    "cost_share": "share of channel revenue",
    "rewarded_share": "share of active partners",
    "payout_per_partner": "$ per partner",
}
WORKER_ATTR = "worker"


@dataclass(frozen=True)
class Evaluation:
    """A design scored over the replications (and ensemble members)."""

    values: tuple[float, ...]  # objective values, in the study's order
    measures: dict[str, float]  # see MEASURES
    constraints: dict[str, float]  # name -> relative violation; <= 0 is feasible
    replications: int  # paired replications run

    @property
    def feasible(self) -> bool:
        """Whether every constraint holds."""
        return all(v <= 0 for v in self.constraints.values())


def directions(settings: SearchSettings) -> list[Direction]:
    """Optuna directions: net lift (or its risk measure), then the ``versus`` objective."""
    names = ["net_lift"] + ([settings.versus] if settings.versus else [])
    return [DIRECTIONS[name] for name in names]


def constraint_values(limits: Constraints, measures: dict[str, float]) -> dict[str, float]:
    """Relative violation of each configured limit (Optuna's convention: <= 0 is feasible)."""
    out = {}
    if limits.max_cost_share is not None:
        out["cost_share"] = measures["cost_share"] / limits.max_cost_share - 1.0
    if limits.min_rewarded_share is not None:
        out["rewarded_share"] = 1.0 - measures["rewarded_share"] / limits.min_rewarded_share
    if limits.max_payout_per_partner is not None:
        out["payout_per_partner"] = (
            measures["payout_per_partner"] / limits.max_payout_per_partner - 1.0
        )
    return out


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def measures_of(outputs: Sequence[ReplicationOutput]) -> dict[str, float]:
    """Net lift (mean and 95% CI), costs and constraint measures, pooled over ``outputs``."""
    ordered = sorted(outputs, key=lambda o: o.replication)
    runs, segments, _ = tables(ordered)
    estimates = summarize(paired_differences(segments, "design"))
    design = runs[runs["arm"] == "design"].sum(numeric_only=True)
    out = {}
    for name in ("net_lift", "net_lift_with_pipeline"):
        value = estimates[name]
        out[name] = float(value.mean)  # type: ignore[arg-type]
        out[f"{name}_ci_low"] = _finite(value.ci_low, value.mean)
        out[f"{name}_ci_high"] = _finite(value.ci_high, value.mean)
    return out | {
        "incremental_pipeline_value": float(estimates["incremental_pipeline_value"].mean),  # type: ignore[arg-type]
        "incremental_gross_profit": float(estimates["incremental_gross_profit"].mean),  # type: ignore[arg-type]
        "incremental_cost": float(estimates["incremental_cost"].mean),  # type: ignore[arg-type]
        "cost_share": _ratio(design["program_cost"], design["revenue"]),
        "rewarded_share": _ratio(design["rewarded_partners"], design["ever_active_partners"]),
        "payout_per_partner": _ratio(design["rewards"], design["partners"]),
    }


def _finite(value: float | None, fallback: float | None) -> float:
    """A CI bound, or the mean where one replication leaves it undefined."""
    return float(value if value is not None else fallback)  # type: ignore[arg-type]


class Evaluator:
    """Scores designs on fixed worlds: ``seed`` and ``replication_ids`` (and the ensemble).

    Args:
        settings: the validated ``search:`` section.
        space: the search space (its start scenario is the base of ensemble members).
        seed: root seed of the worlds.
        replication_ids: the worlds every design is scored on.
    """

    def __init__(
        self,
        settings: SearchSettings,
        space: SearchSpace,
        seed: int,
        replication_ids: Sequence[int],
        cache_size: int = 512,
    ) -> None:
        self.settings = settings
        self.seed = seed
        self.replication_ids = list(replication_ids)
        ensemble = settings.ensemble
        self.members: list[dict[str, Any]] = ensemble.draws(space.base) if ensemble else [{}]
        self._cache: OrderedDict[tuple[str, int, int], tuple[World, ArmOutput]] = OrderedDict()
        self._cache_size = cache_size

    # -- runs --------------------------------------------------------------------------
    def variants(self, design: Scenario) -> list[Scenario]:
        """The design under each ensemble member's assumptions (itself without an ensemble)."""
        if self.members == [{}]:
            return [design]
        out = []
        for member in self.members:
            raw = design.model_dump(mode="json")
            for path, value in member.items():
                apply_override(raw, path, value)
            out.append(validate_scenario(raw, source=f"{design.name} (ensemble)"))
        return out

    def _shared(self, spec: Scenario, replication: int) -> tuple[World, ArmOutput]:
        """The replication's world and baseline arm, built once per world key."""
        digest = hashlib.sha256(
            json.dumps(spec.world_key(), sort_keys=True, default=str).encode()
        ).hexdigest()
        key = (digest, self.seed, replication)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        world = build_world(spec, replication, seed=self.seed)
        baseline = run_arm(spec, world, spec.baseline, self.seed, replication)
        self._cache[key] = (world, baseline)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return world, baseline

    def replications(self, spec: Scenario, replications: Sequence[int]) -> list[ReplicationOutput]:
        """Baseline and design of each replication, as ``sim.runs.runner.run_replication`` gives.

        The design runs on the kept worlds in the runner's batches
        (:func:`sim.runs.runner.batches`), which changes no number.
        """
        shared = {r: self._shared(spec, r) for r in replications}
        partners = sum(spec.population.partners.values())
        outputs = []
        for batch in batches(replications, partners, 1, jobs=1):
            worlds = [shared[r][0] for r in batch]
            designs = run_on_worlds(spec, {"design": spec.design}, self.seed, batch, worlds)
            for replication, design in zip(batch, designs, strict=True):
                world, baseline = shared[replication]
                arms = {"baseline": baseline, "design": design.arms["design"]}
                outputs.append(
                    ReplicationOutput(replication, arms, world.archetypes, world.band_names)
                )
        return outputs

    # -- scoring -----------------------------------------------------------------------
    def evaluate(
        self,
        design: Scenario,
        trial: optuna.Trial | None = None,
        replication_ids: Sequence[int] | None = None,
    ) -> Evaluation:
        """Score a design; with a trial, report each unit and prune clearly worse designs.

        Units are replications (objectives mean and ci_low) or ensemble members
        (cvar); with pruning on, their order is shuffled per trial (seeded by
        the trial number) as the Wilcoxon pruner recommends.

        Raises:
            optuna.TrialPruned: the trial was pruned (its measures and
                constraints are recorded first).
        """
        ids = self.replication_ids if replication_ids is None else list(replication_ids)
        variants = self.variants(design)
        per_member = self.settings.objective == "cvar"
        units = list(range(len(variants))) if per_member else ids
        pruning = trial is not None and self.settings.prunes
        if trial is not None and pruning:
            order = np.random.default_rng([self.seed, trial.number]).permutation(len(units))
            units = [units[i] for i in order]
        if not pruning:  # every unit runs: the replications in batches
            scored = variants if per_member else variants[:1]
            return self._score([self.replications(variant, ids) for variant in scored])
        outputs: list[list[ReplicationOutput]] = [[] for _ in variants]
        for done, unit in enumerate(units, start=1):
            if per_member:
                outputs[unit] = self.replications(variants[unit], ids)
                score = measures_of(outputs[unit])[self.settings.measure]
            else:
                out = self.replications(variants[0], [unit])[0]
                outputs[0].append(out)
                score = measures_of([out])[self.settings.measure]
            trial.report(score, step=unit)  # type: ignore[union-attr]
            if done < len(units) and trial.should_prune():  # type: ignore[union-attr]
                partial = self._score([o for o in outputs if o])
                record(trial, partial)  # type: ignore[arg-type]
                raise optuna.TrialPruned(f"worse than the best after {done} of {len(units)}")
        return self._score(outputs)

    def _score(self, outputs: list[list[ReplicationOutput]]) -> Evaluation:
        pooled = [o for member in outputs for o in member]
        measures = measures_of(pooled)
        objective, measure = self.settings.objective, self.settings.measure
        if objective == "mean":
            value = measures[measure]
        elif objective == "ci_low":
            value = measures[f"{measure}_ci_low"]
        else:
            means = sorted(measures_of(member)[measure] for member in outputs)
            tail = max(1, math.ceil(self.settings.cvar_alpha * len(means)))
            value = float(np.mean(means[:tail]))
            measures["cvar"] = value
        values: tuple[float, ...] = (value,)
        if self.settings.versus:
            values += (measures[self.settings.versus],)
        constraints = constraint_values(self.settings.constraints, measures)
        return Evaluation(values, measures, constraints, len(pooled))


#: The system attribute where samplers' ``constraints_func`` and optuna-dashboard keep constraints.
DASHBOARD_CONSTRAINTS = "constraints"


def record(trial: optuna.Trial, evaluation: Evaluation) -> None:
    """Store measures, constraints and feasibility on the trial.

    Constraints go both through Optuna's own API (``set_constraint``, by name)
    and into the ``constraints`` system attribute as a list, in the order of
    ``search.constraints``, which is where optuna-dashboard reads them to mark
    a trial feasible or not.
    """
    for name, value in evaluation.measures.items():
        trial.set_user_attr(name, value)
    trial.set_user_attr("replications_run", evaluation.replications)
    trial.set_user_attr("feasible", evaluation.feasible)
    for name, value in evaluation.constraints.items():
        trial.set_constraint(name, value)
    if evaluation.constraints:
        values = [float(v) for v in evaluation.constraints.values()]
        trial.storage.set_trial_system_attr(trial._trial_id, DASHBOARD_CONSTRAINTS, values)


def worker_id() -> str:
    """``host:pid`` of this process: how a later run tells a dead worker's trial."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Objective:
    """The Optuna objective: sample a design, score it, record what was measured."""

    def __init__(self, space: SearchSpace, evaluator: Evaluator) -> None:
        self.space = space
        self.evaluator = evaluator

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        """Score one trial's design; returns one value or one per objective."""
        trial.set_user_attr(WORKER_ATTR, worker_id())
        design = self.space.suggest(trial)
        evaluation = self.evaluator.evaluate(design, trial)
        record(trial, evaluation)
        values = evaluation.values
        return values[0] if len(values) == 1 else values
