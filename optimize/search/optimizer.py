"""``optimize.optimize``: search a scenario's design space with Optuna, then check the best.

The steps: validate the ``search:`` section and its space; open (or resume) the
study in its storage; fail and re-queue trials left running by dead workers;
run the new trials in one or several processes; pick the best feasible design;
re-run it, and the starting design, on fresh replications (the held-out check).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial

from optimize.choices import DEFAULT_TRIALS
from optimize.search.objective import Evaluator, directions
from optimize.search.result import OptimizeResult
from optimize.search.settings import BadSetting, Ensemble, SearchSettings, read_search
from optimize.search.storage import open_storage, recover_stale_trials, resolve_storage
from optimize.search.study import (
    WorkerTask,
    make_sampler,
    open_study,
    run_workers,
    split,
)
from sim.limits import REPLICATIONS
from sim.runs.api import run_scenario
from sim.runs.footprint import check_parallel, describe, replications_bytes, worlds_bytes
from sim.runs.outputs import check_file_out
from sim.runs.stats import Estimate, mean_ci
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

#: Worlds an evaluator keeps (the default cache size of :class:`Evaluator`).
WORLD_CACHE = 512


def optimize(
    scenario: Scenario | str | Path,
    *,
    overrides: Iterable[str] = (),
    trials: int | None = None,
    timeout: float | None = None,
    storage: str | None = None,
    study: str | None = None,
    jobs: int = 1,
    sampler: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    sampler_seed: int | None = None,
    held_out: int | None = None,
    pruning: bool | None = None,
    progress: bool = False,
    posterior: list[dict[str, float]] | None = None,
) -> OptimizeResult:
    """Search the scenario's ``search:`` space for the design with the highest net lift.

    Args:
        scenario: a validated scenario with a ``search:`` section, or its file.
        overrides: ``dotted.key=value`` overrides when ``scenario`` is a file.
        trials: NEW trials to run (default 40 unless ``timeout`` is given);
            a resumed study keeps its earlier trials.
        timeout: stop starting trials after this many seconds.
        storage: SQLAlchemy URL, SQLite or journal file path, or ``"memory"``
            (default ``results/optuna.db``, or ``results/optuna.journal`` with
            several jobs).
        study: study name (default: the scenario's name); an existing study
            with the same setup is resumed.
        jobs: worker processes sharing the storage (-1: one per core).
        sampler: ``tpe``, ``gp``, ``cmaes``, ``random`` or ``nsga2`` (default:
            ``search.sampler``).
        replications: in-sample worlds, ids ``0..R-1`` (default: the scenario's).
        seed: root seed of the worlds (default: the scenario's).
        sampler_seed: seed of the samplers (default: ``seed``).
        held_out: fresh worlds for the held-out check, ids ``R..R+H-1``
            (default: ``search.held_out``; 0 skips the check).
        pruning: override ``search.pruning``.
        progress: show a progress bar on stderr.
        posterior: parameter sets (draws of a calibration's posterior) to use as
            the robust ensemble: the objective becomes ``cvar`` over them.

    Raises:
        ScenarioError: the scenario or its ``search:`` section is invalid.
        BadSetting: an option is invalid, or the stored study has another setup.
    """
    spec, source = _load(scenario, overrides)
    settings, space = read_search(spec, source)
    settings = _with_options(settings, sampler, pruning, held_out)
    if posterior:
        ensemble = Ensemble.of_draws(posterior)
        settings = settings.model_copy(update={"objective": "cvar", "ensemble": ensemble})
    make_sampler(settings.sampler, 0, settings.multi_objective)  # fails early if unusable
    if trials is None and timeout is None:
        trials = DEFAULT_TRIALS
    if trials is not None and trials < 1:
        raise BadSetting(f"trials: expected at least 1, got {trials}")
    if timeout is not None and not timeout > 0:
        raise BadSetting(f"timeout: expected a positive number of seconds, got {timeout}")
    root = spec.seed if seed is None else seed
    count = spec.replications if replications is None else replications
    if count < (2 if settings.objective == "ci_low" else 1):
        raise BadSetting(f"replications: expected at least 2 for objective ci_low, got {count}")
    jobs = _check_size(spec, settings, count, jobs)
    ids = list(range(count))
    held_ids = list(range(count, count + settings.held_out))

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the progress bar reports trials
    if storage is not None and not storage.strip():
        raise BadSetting("storage: expected a database URL, a .db file or a journal file, got ''")
    where = resolve_storage(storage, jobs)
    if where.kind == "journal" or where.location.startswith("sqlite:///"):
        check_file_out(Path(where.location.removeprefix("sqlite:///")), True, "--storage")
    store = open_storage(where)
    name = study or spec.name
    setup = {"scenario": _fingerprint(spec, settings), "seed": root, "replications": count}
    opened = open_study(store, name, directions(settings), setup)
    recover_stale_trials(opened)
    draws = root if sampler_seed is None else sampler_seed
    tasks = [
        WorkerTask(settings, space, where, name, root, ids, draws, n, timeout)
        for n in split(trials, jobs)
    ]
    run_workers(tasks, opened, store, progress)

    best = choose_best(opened, settings.multi_objective)
    best_scenario = space.build(best.params) if best else None
    held: dict[str, Estimate] = {}
    if best_scenario is not None and held_ids:
        evaluator = Evaluator(settings, space, root, ids)
        held = held_out_check(best_scenario, space.build({}), evaluator, root, held_ids, jobs)
    return OptimizeResult(
        study=opened,
        storage=str(where),
        scenario=spec,
        settings=settings,
        space=space,
        seed=root,
        replication_ids=ids,
        held_out_ids=held_ids,
        best_trial=best,
        best_scenario=best_scenario,
        held_out=held,
    )


def _load(scenario: Scenario | str | Path, overrides: Iterable[str]) -> tuple[Scenario, str]:
    if isinstance(scenario, Scenario):
        if list(overrides):
            raise BadSetting("overrides: expected a scenario file to apply them to")
        return scenario, scenario.name
    return load_scenario(scenario, overrides), str(scenario)


def _with_options(
    settings: SearchSettings, sampler: str | None, pruning: bool | None, held_out: int | None
) -> SearchSettings:
    """The settings with the command-line options laid over ``search:``."""
    if pruning and settings.multi_objective:
        raise BadSetting("pruning: expected a single-objective study (WilcoxonPruner)")
    if held_out is not None and held_out < 0:
        raise BadSetting(f"held_out: expected 0 or more replications, got {held_out}")
    update = {"sampler": sampler, "pruning": pruning, "held_out": held_out}
    return settings.model_copy(update={k: v for k, v in update.items() if v is not None})


def _check_size(spec: Scenario, settings: SearchSettings, replications: int, jobs: int) -> int:
    """Check replications, jobs and memory of a study; returns the worker count.

    Each worker keeps the worlds it scores designs on (at most
    :data:`WORLD_CACHE`, the evaluator's cache) and runs a design's replications in batches.

    Raises:
        ScenarioError: a count past its limit, or more memory than the limit.
    """
    REPLICATIONS.check(replications, "--replications")
    REPLICATIONS.check(settings.held_out, "--held-out")
    members = settings.ensemble.members if settings.ensemble else 1
    worlds = min(WORLD_CACHE, replications * members)
    per_process = replications_bytes(spec, 2, replications, 1) + worlds_bytes(spec, worlds)
    return check_parallel(per_process, jobs, describe(spec, replications, jobs))


def _fingerprint(spec: Scenario, settings: SearchSettings) -> str:
    """Digest of what shapes trial values: the world, baseline, start design and search."""
    world = spec.model_dump(
        mode="json", exclude={"name", "description", "seed", "replications", "search"}
    )
    text = json.dumps([world, settings.fingerprint()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def choose_best(study: optuna.Study, multi_objective: bool) -> FrozenTrial | None:
    """The best feasible trial, or the feasible Pareto trial with the highest net lift."""
    if multi_objective:
        front = study.best_trials
        return max(front, key=lambda t: t.values[0]) if front else None
    try:
        return study.best_trial
    except ValueError:  # nothing completed, or nothing feasible
        return None


def held_out_check(
    best: Scenario,
    start: Scenario,
    evaluator: Evaluator,
    seed: int,
    ids: list[int],
    jobs: int,
) -> dict[str, Estimate]:
    """The best and the starting design on fresh worlds, paired, with 95% CIs."""
    best_run = run_scenario(best, seed=seed, replication_ids=ids, jobs=jobs)
    start_run = run_scenario(start, seed=seed, replication_ids=ids, jobs=jobs)
    total = best_run.summary["total"]
    out = {
        "net_lift": total["net_lift"],
        "incremental_gross_profit": total["incremental_gross_profit"],
        "incremental_cost": total["incremental_cost"],
        "incremental_pipeline_value": total["incremental_pipeline_value"],
        "net_lift_with_pipeline": total["net_lift_with_pipeline"],
        "start_net_lift": start_run.summary["total"]["net_lift"],
        "improvement": mean_ci(best_run.paired()["net_lift"] - start_run.paired()["net_lift"]),
    }
    if evaluator.settings.objective != "mean":
        out["objective"] = Estimate(
            evaluator.evaluate(best, replication_ids=ids).values[0], None, None
        )
    return out
