"""Optuna studies: samplers, the pruner, opening or resuming a study, and worker processes.

Several workers are separate processes sharing one storage (never threads:
the objective is CPU-bound, and Optuna's ``n_jobs`` threads would share one
sampler); they exit when the process that started them dies. Every trial's
draw is seeded from (seed, the trial's number), which the storage gives out
one by one (:class:`TrialSeededSampler`): workers and machines sharing a study
never draw alike, however they were started, a single process is
reproducible, and a resumed study does not replay its first trials.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.samplers import (
    BaseSampler,
    CmaEsSampler,
    GPSampler,
    NSGAIISampler,
    RandomSampler,
    TPESampler,
)
from optuna.trial import FrozenTrial, TrialState
from tqdm import tqdm

from optimize.search.objective import Direction, Evaluator, Objective
from optimize.search.settings import BadSetting, SearchSettings
from optimize.search.space import SearchSpace
from optimize.search.storage import StorageSpec, open_storage
from sim.runs.lifeline import exit_with_parent, tie

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
SETUP_ATTR = "partnerlab_setup"
_NEEDS = {"gp": "torch", "cmaes": "cmaes"}


def make_sampler(name: str, seed: int, multi_objective: bool) -> BaseSampler:
    """An Optuna sampler by name; constrained samplers read each trial's constraints.

    Raises:
        BadSetting: the sampler is unknown, single-objective in a multi-objective
            study, or its optional dependency is missing.
    """
    if name == "cmaes" and multi_objective:
        raise BadSetting("sampler cmaes: expected a single-objective study (no search.versus)")
    module = _NEEDS.get(name)
    if module is not None and importlib.util.find_spec(module) is None:
        raise BadSetting(f"sampler {name}: needs the {module} package (pip install {module})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        if name == "tpe":
            return TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)
        if name == "gp":
            return GPSampler(seed=seed)
        if name == "cmaes":
            return CmaEsSampler(seed=seed, warn_independent_sampling=False)
        if name == "random":
            return RandomSampler(seed=seed)
        if name == "nsga2":
            return NSGAIISampler(seed=seed)
    raise BadSetting(f"sampler {name!r}: expected one of tpe, gp, cmaes, random, nsga2")


def make_pruner(prunes: bool) -> optuna.pruners.BasePruner:
    """The Wilcoxon signed-rank pruner over replications, or none."""
    if not prunes:
        return optuna.pruners.NopPruner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=2)


def trial_seed(seed: int, number: int) -> int:
    """Seed of the draw of trial ``number``: one per trial of a study, the same on every run."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


class TrialSeededSampler(BaseSampler):
    """The named sampler, made afresh for each trial and seeded from (seed, the trial's number).

    The storage numbers a study's trials one by one, whichever process asks, so
    processes and machines that share a study never draw alike, even when
    they start together with one command (seeded per process instead, two
    copies of a command would repeat each other's trials), while a process
    alone draws the same trials from the same seed, and a resumed study draws
    on from its next number. Optuna's samplers read the study's history from
    the storage at every trial (CMA-ES already seeds each trial's draw with
    its number), so a sampler per trial loses nothing but caches.
    """

    def __init__(self, name: str, seed: int, multi_objective: bool) -> None:
        self._make = functools.partial(make_sampler, name, multi_objective=multi_objective)
        self._seed = seed
        self._sampler = self._make(seed=seed)  # replaced at each trial

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """Make this trial's sampler from its number."""
        self._sampler = self._make(seed=trial_seed(self._seed, trial.number))
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The trial's sampler's relative search space."""
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Joint draw of the trial's sampler."""
        return self._sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Independent draw of the trial's sampler."""
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """The trial's sampler's bookkeeping (constraints, generations)."""
        self._sampler.after_trial(study, trial, state, values)


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    directions: list[Direction],
    setup: dict[str, Any],
) -> optuna.Study:
    """Create the study, or load it if it exists with the same setup.

    Raises:
        BadSetting: the stored study was started with other settings (its
            trials would not be comparable with new ones).
    """
    study = optuna.create_study(
        storage=storage, study_name=name, directions=directions, load_if_exists=True
    )
    stored = study.user_attrs.get(SETUP_ATTR)
    if stored is None:
        study.set_user_attr(SETUP_ATTR, setup)
    elif stored != setup:
        differs = [k for k in setup if stored.get(k) != setup[k]]
        raise BadSetting(
            f"study {name!r} was started with other {', '.join(differs)}; "
            "resume it with the same scenario and settings, or name a new study"
        )
    return study


@dataclass(frozen=True)
class WorkerTask:
    """Everything one worker process needs (picklable)."""

    settings: SearchSettings
    space: SearchSpace
    storage: StorageSpec
    study: str
    seed: int
    replication_ids: list[int]
    sampler_seed: int  # the study's: each trial's draw is seeded from it and the trial's number
    trials: int | None
    timeout: float | None

    def sampler(self) -> TrialSeededSampler:
        """This worker's sampler: the same for every worker of the study, seeded per trial."""
        return TrialSeededSampler(
            self.settings.sampler, self.sampler_seed, self.settings.multi_objective
        )


def run_worker(
    task: WorkerTask,
    storage: optuna.storages.BaseStorage | None = None,
    callback: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> None:
    """Run ``task.trials`` trials (or until the timeout) of the study, in this process."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=task.study,
        storage=storage or open_storage(task.storage),
        sampler=task.sampler(),
        pruner=make_pruner(task.settings.prunes),
    )
    evaluator = Evaluator(task.settings, task.space, task.seed, task.replication_ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        # CMA-ES and random search sample without the constraints; trials are still marked
        warnings.filterwarnings("ignore", message="Constraints have been set")
        study.optimize(
            Objective(task.space, evaluator),
            n_trials=task.trials,
            timeout=task.timeout,
            callbacks=[callback] if callback else None,
        )


def split(trials: int | None, jobs: int) -> list[int | None]:
    """Trials per worker: ``trials`` shared out as evenly as possible (None: no limit)."""
    if trials is None:
        return [None] * jobs
    return [n for n in (trials // jobs + (i < trials % jobs) for i in range(jobs)) if n]


def run_workers(
    tasks: list[WorkerTask],
    study: optuna.Study,
    storage: optuna.storages.BaseStorage,
    progress: bool,
) -> None:
    """Run the tasks: in this process for one, else one worker process each; progress on stderr."""
    start = len(study.get_trials(deepcopy=False, states=FINISHED))
    total = None if any(t.trials is None for t in tasks) else sum(t.trials or 0 for t in tasks)
    with tqdm(
        total=total, desc="trials", unit="trial", file=sys.stderr, disable=not progress, leave=False
    ) as bar:

        def show(count: int) -> None:
            bar.update(count - start - bar.n)
            try:
                bar.set_postfix(best=f"{study.best_value:,.0f}")
            except (ValueError, RuntimeError):  # nothing feasible yet, or multi-objective
                pass

        if len(tasks) == 1:
            run_worker(
                tasks[0],
                storage,
                lambda s, _t: show(len(s.get_trials(deepcopy=False, states=FINISHED))),
            )
            return
        context = get_context("forkserver")  # workers fork from one process that imported us
        context.set_forkserver_preload([__name__])
        # One task per process: a worker that finishes early must not take a second task
        # (which would leave the other process idle and run that task's trials in series).
        # Workers exit when this process dies (their parent is the fork server).
        with ProcessPoolExecutor(
            len(tasks),
            mp_context=context,
            max_tasks_per_child=1,
            initializer=exit_with_parent,
            initargs=tie(),
        ) as pool:
            futures = [pool.submit(run_worker, task) for task in tasks]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                show(len(study.get_trials(deepcopy=False, states=FINISHED)))
                if any(f.done() and f.exception() for f in futures):
                    pool.shutdown(cancel_futures=True)  # a worker failed: start no more
                    break
            for future in futures:
                future.result()
