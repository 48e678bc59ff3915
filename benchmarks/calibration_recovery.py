"""Calibration recovery: are known parameters inside their 90% credible intervals?

Generates histories from ``data/calibration/demo.yaml`` (1,000 partners, 104
weeks, non-default behaviour, rebate ladders introduced in week 52), each from
its own seed, calibrates each (with that seed too) on the parameters of the
scenario's ``calibrate:`` section (effort elasticity, opportunity rate and
deal size of resellers and integrators, plus every archetype's size
dispersion), and prints per parameter the share of histories whose 90%
interval holds the true value (a calibrated posterior gives about 0.9; the
target band is 0.80 to 0.98), the median ratio of the prior's width to the
interval's, and the share of fits that reproduce their history. With ``--flat`` the
histories have no program change, and the table shows which parameters that
leaves unidentified.

    nice .venv/bin/python benchmarks/calibration_recovery.py --histories 20

The CPU seconds printed are this process's: with ``--jobs`` above 1 the
workers' time is not counted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.calibration.calibrate import calibrate
from sim.calibration.generate import generate_history, write_history
from sim.calibration.sampler import marginal
from sim.cli.options import add_overrides

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "calibration" / "demo.yaml"


def truth_of(scenario: sim.Scenario, path: str) -> float:
    _, archetype, name = path.split(".")
    return float(getattr(scenario.archetype_params(archetype), name))


def one(scenario: sim.Scenario, seed: int, folder: Path, jobs: int) -> list[dict[str, object]]:
    history = generate_history(scenario, scenario.horizon_weeks, seed=seed)
    path = folder / f"history-{seed}.csv"
    write_history(history, path)
    started = time.process_time()
    result = calibrate(path, scenario, folder / f"fit-{seed}", jobs=jobs)
    cpu = time.process_time() - started
    rows = []
    space = result.posterior.space
    for index, path_ in enumerate(space.paths):
        m = marginal(result.posterior.values[:, index], result.posterior.unit[:, index])
        truth = truth_of(scenario, path_)
        rows.append(
            {
                "history": seed,
                "parameter": path_,
                "truth": truth,
                "mean": m.mean,
                "inside": m.ci_low <= truth <= m.ci_high,
                "narrower": 1.0 / max(m.width_ratio, 1e-9),
                "identified": m.identified,
                "reproduced": result.posterior.reproduces(path_),
                "cpu_s": cpu,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--flat", action="store_true", help="no program change in the history")
    parser.add_argument("--out", type=Path, help="also write the rows as CSV")
    add_overrides(parser, "horizon_weeks=156 for a longer history")
    args = parser.parse_args()
    overrides = ["calibrate.held_out_weeks=0", "calibrate.predictive=10"]
    if args.flat:
        overrides.append("baseline.changes=[]")
    overrides += args.overrides
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as temp:
        for k in range(args.histories):
            seed = args.first_seed + k
            # Each calibration its own seed: with one seed for all, every fit would share
            # the same design replications (and their error), and the histories would not
            # be independent trials of the interval.
            scenario = sim.load_scenario(SCENARIO, [*overrides, f"calibrate.seed={seed}"])
            rows += one(scenario, seed, Path(temp), args.jobs)
            done = pd.DataFrame(rows)
            print(f"history {k + 1}/{args.histories}: cpu {done.cpu_s.iloc[-1]:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, index=False)
    summary = table.groupby("parameter", sort=False).agg(
        truth=("truth", "first"),
        coverage_90=("inside", "mean"),
        histories=("inside", "size"),
        median_narrower=("narrower", "median"),
        identified=("identified", "mean"),
        reproduced=("reproduced", "mean"),
    )
    print(summary.to_string(float_format=lambda v: f"{v:.3g}"))
    per_history = table.groupby("history").cpu_s.first()
    print(
        f"CPU per calibration: median {np.median(per_history):.0f} s, max {per_history.max():.0f} s"
    )


if __name__ == "__main__":
    main()
