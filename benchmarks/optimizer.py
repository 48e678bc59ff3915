"""Optimizer benchmarks (issue: Optuna searches tier thresholds and reward mixes).

1. **TPE against random search.** A scenario with two tuned parameters: the
   rate of today's flat rebate (0 to 4%, in steps of 0.2 points) and the
   cadence of an email (every 1 to 13 weeks), 150 partners, 4 replications.
   Every point of that grid (21 x 13 = 273 designs) is scored on the same
   worlds, which gives the true best. Then each sampler, with several seeds,
   searches the same grid; a trial's value is the grid's value for its
   design (the simulation is deterministic on fixed worlds, so this is what
   the trial would have measured). Reported: trials needed to reach 98% of
   the grid's best net lift, median over seeds (a run that never reaches it
   counts as ``max_trials + 1``).
2. **Throughput.** Trials per second of ``optimize.optimize`` in one process
   (one core) on ``scenarios/optimize_tiers.yaml``: the quickstart
   population (600 partners, 52 weeks, 8 replications), with and without
   pruning.

Usage::

    .venv/bin/python benchmarks/optimizer.py [--json] [--seeds 9] [--max-trials 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna

import sim
from optimize import Evaluator, optimize, read_search
from optimize.search.study import make_sampler
from sim.scenario.loading import validate_scenario

ROOT = Path(__file__).resolve().parents[1]
RATE, CADENCE = "design.mechanics.0.tiers.0.rate", "design.mechanics.1.every_weeks"
RATES = np.round(np.arange(0, 0.0401, 0.002), 3)
CADENCES = range(1, 14)
TARGET = 0.98


def two_parameter_scenario() -> sim.Scenario:
    """Today's flat rebate plus an email, both tunable; a smaller world (150 partners)."""
    raw = sim.load_scenario(
        ROOT / "scenarios" / "weekly_email.yaml",
        ["population.partners={reseller: 105, integrator: 35, alliance: 10}", "replications=4"],
    ).model_dump(mode="json")
    raw["search"] = {
        "params": [
            {"type": "float", "path": RATE, "low": 0.0, "high": 0.04, "step": 0.002},
            {"type": "int", "path": CADENCE, "low": 1, "high": 13},
        ],
        "pruning": False,
    }
    return validate_scenario(raw, "benchmark")


def grid_values(scenario: sim.Scenario) -> dict[tuple[float, int], float]:
    """Mean net lift of every grid design on the scenario's worlds."""
    settings, space = read_search(scenario, "benchmark")
    evaluator = Evaluator(settings, space, scenario.seed, range(scenario.replications))
    return {
        (float(rate), cadence): evaluator.evaluate(
            space.build({RATE: float(rate), CADENCE: cadence})
        ).values[0]
        for rate in RATES
        for cadence in CADENCES
    }


def trials_to_target(
    scenario: sim.Scenario,
    grid: dict[tuple[float, int], float],
    sampler: str,
    seed: int,
    max_trials: int,
) -> int:
    """Trials until the best value so far reaches ``TARGET`` of the grid's best."""
    _, space = read_search(scenario, "benchmark")
    target = TARGET * max(grid.values())
    study = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, seed, False))
    for number in range(1, max_trials + 1):
        trial = study.ask()
        values = space.draw(trial)
        value = grid[(round(values[RATE], 3), values[CADENCE])]
        study.tell(trial, value)
        if value >= target:
            return number
    return max_trials + 1


def throughput(trials: int, pruning: bool) -> dict[str, float]:
    """Trials per second of optimize() in one process on the quickstart population.

    ``per_cpu_second`` divides by the CPU time of this process, the figure for
    one dedicated core even on a busy machine; ``per_wall_second`` by the
    elapsed time.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    optimize(
        ROOT / "scenarios" / "optimize_tiers.yaml",
        trials=trials,
        storage="memory",
        held_out=0,
        pruning=pruning,
    )
    return {
        "per_cpu_second": trials / (time.process_time() - cpu),
        "per_wall_second": trials / (time.perf_counter() - wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seeds", type=int, default=9)
    parser.add_argument("--max-trials", type=int, default=300)
    parser.add_argument("--throughput-trials", type=int, default=20)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    scenario = two_parameter_scenario()
    start = time.perf_counter()
    grid = grid_values(scenario)
    grid_seconds = time.perf_counter() - start
    (best_rate, best_cadence), best = max(grid.items(), key=lambda item: item[1])
    report: dict[str, Any] = {
        "grid": {
            "designs": len(grid),
            "replications": scenario.replications,
            "partners": sum(scenario.population.partners.values()),
            "best_net_lift": best,
            "best_rate": best_rate,
            "best_every_weeks": best_cadence,
            "designs_within_target": sum(v >= TARGET * best for v in grid.values()),
            "seconds": grid_seconds,
        },
        "target": f"{TARGET:.0%} of the grid's best net lift",
        "max_trials": args.max_trials,
    }
    for sampler in ("tpe", "random"):
        counts = [
            trials_to_target(scenario, grid, sampler, seed, args.max_trials)
            for seed in range(args.seeds)
        ]
        report[sampler] = {"trials_to_target": counts, "median": statistics.median(counts)}
    report["trials_per_second"] = {
        "quickstart_population_no_pruning": throughput(args.throughput_trials, pruning=False),
        "quickstart_population_wilcoxon_pruning": throughput(args.throughput_trials, pruning=True),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    g = report["grid"]
    print(
        f"grid: {g['designs']} designs x {g['replications']} replications, "
        f"{g['partners']} partners, {g['seconds']:.0f} s; best net lift "
        f"{g['best_net_lift']:,.0f} $ at rate {g['best_rate']:.3f}, email every "
        f"{g['best_every_weeks']} weeks; {g['designs_within_target']} designs within {TARGET:.0%}"
    )
    for sampler in ("tpe", "random"):
        r = report[sampler]
        counts = r["trials_to_target"]
        print(
            f"{sampler:>6}: median {r['median']} trials to {report['target']} (per seed {counts})"
        )
    for label, value in report["trials_per_second"].items():
        print(
            f"trials per second, one process, {label.replace('_', ' ')}: "
            f"{value['per_cpu_second']:.2f} per CPU second ({value['per_wall_second']:.2f} wall)"
        )


if __name__ == "__main__":
    main()
