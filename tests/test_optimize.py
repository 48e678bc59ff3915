"""optimize.optimize: objectives, constraints, Pareto fronts, pruning, resumption, outputs."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from helpers import SCENARIOS
from optuna.trial import TrialState

import sim
from optimize import BadSetting, Evaluator, optimize, read_search, save_result
from optimize.search.objective import WORKER_ATTR, Objective
from optimize.search.storage import recover_stale_trials
from optimize.search.study import make_pruner
from sim.runs.stats import mean_ci

SMALL = {"reseller": 40, "integrator": 12, "alliance": 4}
PARAMS: list[dict[str, Any]] = [
    {"type": "float", "path": "design.mechanics.0.tiers.0.rate", "low": 0.0, "high": 0.02},
    {"type": "float", "path": "design.mechanics.0.tiers.3.rate", "low": 0.0, "high": 0.06},
    {"type": "lever", "path": "design.mechanics.1"},
    {"type": "int", "path": "design.mechanics.1.every_weeks", "low": 1, "high": 13},
]


def write_scenario(folder: Path, search: dict[str, Any], name: str = "opt_small") -> Path:
    """A small quickstart world (56 partners, 26 weeks, 3 replications) with a search section."""
    data = {
        "extends": str(SCENARIOS / "quickstart.yaml"),
        "name": name,
        "horizon_weeks": 26,
        "replications": 3,
        "population": {"partners": SMALL},
        "search": {"params": PARAMS, "held_out": 2} | search,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_best_scenario_yaml_reproduces_the_trials_value_exactly(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {})
    result = optimize(path, trials=6, storage="memory", seed=11)
    assert result.best_trial is not None
    best_path = save_result(result, tmp_path / "out")
    assert best_path is not None
    for name in (
        "trials.parquet",
        "summary.json",
        "manifest.json",
        "history.png",
        "importances.png",
        "pareto.png",
    ):
        assert (tmp_path / "out" / name).stat().st_size > 0
    loaded = sim.load_scenario(best_path)
    assert loaded.search is None
    assert loaded.seed == 11 and loaded.replications == 3
    # the same scenario but for its names (the design is named for what it is) and search section
    same: Any = {
        "name": True,
        "description": True,
        "search": True,
        "seed": True,
        "design": {"name"},
    }
    assert loaded.model_dump(exclude=same) == result.best_scenario.model_dump(exclude=same)  # type: ignore[union-attr]
    rerun = sim.run_scenario(loaded)
    assert rerun.summary["total"]["net_lift"].mean == result.best_value  # exact, not approximate
    assert (
        result.best_trial.user_attrs["net_lift_ci_low"] == rerun.summary["total"]["net_lift"].ci_low
    )


def test_every_trial_scores_the_same_worlds_as_run_scenario(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"objective": "ci_low", "pruning": False})
    settings, space = read_search(sim.load_scenario(path), str(path))
    evaluator = Evaluator(settings, space, seed=5, replication_ids=[0, 1, 2, 3])
    values = {"design.mechanics.0.tiers.0.rate": 0.01, "design.mechanics.1.enabled": False}
    design = space.build(values)
    evaluation = evaluator.evaluate(design)
    again = evaluator.evaluate(design)  # worlds and baselines now come from the cache
    direct = sim.run_scenario(design, seed=5, replications=4).summary["total"]["net_lift"]
    assert evaluation.values == again.values == (direct.ci_low,)
    assert evaluation.measures["net_lift"] == direct.mean


def test_constraint_violations_are_measured_recorded_and_the_trials_kept(tmp_path: Path) -> None:
    limits = {"max_cost_share": 0.001, "min_rewarded_share": 0.01, "max_payout_per_partner": 1e9}
    path = write_scenario(tmp_path, {"constraints": limits, "pruning": False})
    result = optimize(path, trials=4, storage="memory", held_out=0)
    trials = result.study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 4
    for trial in trials:
        attrs = trial.user_attrs
        assert attrs["feasible"] is False
        assert trial.constraints["cost_share"] == pytest.approx(attrs["cost_share"] / 0.001 - 1)
        assert trial.constraints["cost_share"] > 0
        assert trial.constraints["rewarded_share"] <= 0
        assert trial.constraints["payout_per_partner"] <= 0
    # the cost share is the design arm's program cost over its revenue, by hand
    first = trials[0]
    design = result.space.build(first.params)
    runs = sim.run_scenario(
        design, replication_ids=range(first.user_attrs["replications_run"])
    ).runs
    arm = runs[runs["arm"] == "design"]
    share = arm["program_cost"].sum() / arm["revenue"].sum()
    assert first.user_attrs["cost_share"] == pytest.approx(share)
    payout = arm["rewards"].sum() / arm["partners"].sum()
    assert first.user_attrs["payout_per_partner"] == pytest.approx(payout)
    rewarded = arm["rewarded_partners"].sum() / arm["ever_active_partners"].sum()
    assert first.user_attrs["rewarded_share"] == pytest.approx(rewarded)
    assert result.best_trial is None and result.held_out == {}
    frame = result.trials_frame()
    assert not frame["feasible"].any()
    assert (frame.loc[frame["state"] == "COMPLETE", "constraint_cost_share"] > 0).all()
    data = result.to_json()
    assert data["best_params"] is None and data["best_value"] is None
    assert data["held_out"] == {"net_lift": None}


def test_multi_objective_mode_reports_a_pareto_front(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"versus": "incremental_cost", "sampler": "nsga2"})
    result = optimize(path, trials=6, storage="memory", held_out=0)
    assert result.settings.prunes is False
    front = result.pareto_front
    assert front
    complete = result.study.get_trials(states=(TrialState.COMPLETE,))
    for a in front:  # nobody has more net lift at no more cost
        assert not any(
            b.values[0] >= a.values[0] and b.values[1] <= a.values[1] and b.values != a.values
            for b in complete
        )
    assert result.best_trial.number == max(front, key=lambda t: t.values[0]).number  # type: ignore[union-attr]
    data = result.to_json()
    assert [p["number"] for p in data["pareto_front"]] == [t.number for t in front]
    assert set(data["pareto_front"][0]["values"]) == {"net_lift", "incremental_cost"}
    assert result.trials_frame()["pareto"].sum() == len(front)


def test_cvar_is_the_mean_of_the_worst_members(tmp_path: Path) -> None:
    ensemble = {
        "members": 3,
        "seed": 1,
        "ranges": {"behaviour.reseller.effort_elasticity": [0.5, 1.0]},
    }
    path = write_scenario(tmp_path, {"objective": "cvar", "cvar_alpha": 0.5, "ensemble": ensemble})
    settings, space = read_search(sim.load_scenario(path), str(path))
    evaluator = Evaluator(settings, space, seed=7, replication_ids=[0, 1])
    design = space.build({"design.mechanics.1.enabled": False})
    value = evaluator.evaluate(design).values[0]
    means = []
    for member in evaluator.members:
        elasticity = member["behaviour.reseller.effort_elasticity"]
        raw = design.model_dump(mode="json")
        raw["behaviour"]["reseller"]["effort_elasticity"] = elasticity
        variant = sim.scenario.loading.validate_scenario(raw, "member")
        means.append(
            sim.run_scenario(variant, seed=7, replications=2).summary["total"]["net_lift"].mean
        )
    worst = sorted(means)[: math.ceil(0.5 * 3)]
    assert value == pytest.approx(float(np.mean(worst)), rel=1e-12)
    assert len(set(means)) == 3  # the assumptions matter


def test_counting_the_pipeline_scores_net_lift_plus_the_open_deals_value(tmp_path: Path) -> None:
    """``measure: net_lift_with_pipeline``: the objective equals run_scenario's figure."""
    path = write_scenario(tmp_path, {"measure": "net_lift_with_pipeline", "pruning": False})
    settings, space = read_search(sim.load_scenario(path), str(path))
    evaluator = Evaluator(settings, space, seed=7, replication_ids=[0, 1])
    design = space.build({"design.mechanics.1.enabled": False})
    evaluation = evaluator.evaluate(design)
    total = sim.run_scenario(design, seed=7, replications=2).summary["total"]
    assert evaluation.values[0] == pytest.approx(total["net_lift_with_pipeline"].mean, rel=1e-12)
    assert evaluation.values[0] == pytest.approx(
        total["net_lift"].mean + total["incremental_pipeline_value"].mean, rel=1e-12
    )
    assert total["incremental_pipeline_value"].mean != 0
    assert evaluation.measures["net_lift"] == pytest.approx(total["net_lift"].mean, rel=1e-12)


def test_wilcoxon_pruning_stops_a_clearly_worse_design_early(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"pruning": True}, name="prune")
    settings, space = read_search(sim.load_scenario(path), str(path))
    study = optuna.create_study(direction="maximize", pruner=make_pruner(True))
    good = {
        "design.mechanics.0.tiers.0.rate": 0.0,
        "design.mechanics.0.tiers.3.rate": 0.0,
        "design.mechanics.1.enabled": False,
    }
    bad = {
        "design.mechanics.0.tiers.0.rate": 0.02,
        "design.mechanics.0.tiers.3.rate": 0.06,
        "design.mechanics.1.enabled": True,
        "design.mechanics.1.every_weeks": 1,
    }
    study.enqueue_trial(good)
    study.enqueue_trial(bad)
    objective = Objective(space, Evaluator(settings, space, seed=7, replication_ids=list(range(8))))
    study.optimize(objective, n_trials=2)
    first, second = study.trials
    assert first.state == TrialState.COMPLETE and len(first.intermediate_values) == 8
    assert second.state == TrialState.PRUNED
    assert second.user_attrs["replications_run"] < 8
    assert "feasible" in second.user_attrs


def test_a_study_resumes_and_counts_new_trials(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {})
    storage = str(tmp_path / "studies.db")
    first = optimize(path, trials=3, storage=storage, held_out=0)
    done = {t.number: t.values for t in first.study.trials}
    second = optimize(path, trials=2, storage=storage, held_out=0)
    assert second.n_trials == 5
    assert {t.number: t.values for t in second.study.trials[:3]} == done
    assert second.to_json()["storage"] == f"sqlite:///{storage}"
    with pytest.raises(BadSetting, match="other replications"):
        optimize(path, trials=1, storage=storage, replications=4)


def test_single_process_runs_are_reproducible(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"sampler": "tpe"})
    runs = [optimize(path, trials=4, storage="memory", held_out=0) for _ in range(2)]
    assert [t.params for t in runs[0].study.trials] == [t.params for t in runs[1].study.trials]
    assert [t.values for t in runs[0].study.trials] == [t.values for t in runs[1].study.trials]


def test_the_held_out_check_uses_fresh_worlds_and_pairs_with_the_start(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {})
    result = optimize(path, trials=2, storage="memory", held_out=3)
    assert result.replication_ids == [0, 1, 2] and result.held_out_ids == [3, 4, 5]
    best = sim.run_scenario(result.best_scenario, replication_ids=[3, 4, 5])  # type: ignore[arg-type]
    start = sim.run_scenario(result.space.build({}), replication_ids=[3, 4, 5])
    assert result.held_out["net_lift"] == best.summary["total"]["net_lift"]
    assert result.held_out["start_net_lift"] == start.summary["total"]["net_lift"]
    diff = best.paired()["net_lift"] - start.paired()["net_lift"]
    assert result.held_out["improvement"] == mean_ci(diff)


def test_a_dead_workers_running_trial_is_failed_and_requeued(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", study_name="s")
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    import socket

    trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{int(dead.stdout)}")
    alive = study.ask()
    alive.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{__import__('os').getpid()}")
    assert recover_stale_trials(study) == [trial.number]
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING]
    assert study.trials[2].params == study.trials[0].params


def test_options_are_checked(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"versus": "rewarded_share"})
    with pytest.raises(BadSetting, match="cmaes"):
        optimize(path, trials=1, storage="memory", sampler="cmaes")
    with pytest.raises(BadSetting, match="journal file or a server database"):
        optimize(path, trials=1, storage=str(tmp_path / "x.db"), jobs=2)
    with pytest.raises(BadSetting, match="single-objective"):
        optimize(path, trials=1, storage="memory", pruning=True)
    with pytest.raises(BadSetting, match="expected a reachable database URL|driver"):
        optimize(path, trials=1, storage="nosuchdb://x/y")


def test_too_few_trials_give_no_importances_but_the_figures_are_drawn(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {})
    result = optimize(path, trials=1, storage="memory", held_out=0)
    assert result.importances() == {}
    save_result(result, tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "trials.parquet").shape[0] == 1
    assert (tmp_path / "out" / "importances.png").stat().st_size > 0
