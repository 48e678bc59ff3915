"""Sweep benchmarks (issue 6): points per second, and memory flat in the number of points.

* **points per second**: the issue's acceptance sweep of the quickstart (silver
  rate x resellers' silver threshold: 6 x 4 = 24 points, 4 replications, 600
  partners, 52 weeks), with loky and 1 job, loky and 2 jobs, and a Dask
  LocalCluster of 2 workers. ``seconds`` is the command's own timing of the
  simulation work (for Dask it includes starting the cluster); ``wall`` adds
  the start of the command.
* **memory**: a Latin-hypercube sweep of a small world (18 partners, 13
  weeks, 1 replication) with 2 jobs, at N/10 and N points. It reports the peak
  resident memory of the main process and of the largest worker, sampled every
  0.1 s. Flat memory means about the same peaks at both sizes.

Every sweep runs through the real ``partnerlab`` command in a child process,
into a fresh folder.

Usage::

    .venv/bin/python benchmarks/sweep.py [--json] [--memory 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PARTNERLAB = Path(sys.executable).parent / "partnerlab"
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
ACCEPTANCE = [
    "--param", "design.mechanics.0.tiers.1.rate=0:0.1:6",
    "--param", "design.mechanics.0.tiers.1.threshold.reseller=2000,5000,10000,15000",
    "--replications", "4",
]  # fmt: skip
SMALL_WORLD = [
    "--set", "population.partners={reseller: 12, integrator: 4, alliance: 2}",
    "--set", "horizon_weeks=13",
    "--param", "design.mechanics.0.tiers.1.rate=0:0.1",
    "--param", "design.mechanics.0.tiers.1.threshold.reseller=1000:15000",
    "--param", "behaviour.reseller.effort_elasticity=0.4:1.2",
    "--design", "lhs", "--replications", "1",
]  # fmt: skip


def run_sweep(args: list[str]) -> dict[str, float]:
    """Run ``partnerlab sweep`` with ``args``; timing, counts and peak memory (MB)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [str(PARTNERLAB), "sweep", QUICKSTART, *args, "--no-progress"]
        start = time.perf_counter()
        out = Path(folder) / "out"
        process = subprocess.Popen(
            [*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        main = psutil.Process(process.pid)
        peak_main = peak_worker = 0
        while process.poll() is None:
            try:
                peak_main = max(peak_main, main.memory_info().rss)
                for child in main.children(recursive=True):
                    peak_worker = max(peak_worker, child.memory_info().rss)
            except psutil.Error:
                pass  # a process ended between listing and reading it
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed with exit code {process.returncode}")
        data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "points": data["computed"],
        "seconds": data["seconds"],
        "points_per_second": data["points_per_second"],
        "wall": round(wall, 2),
        "peak_main_mb": round(peak_main / 2**20, 1),
        "peak_worker_mb": round(peak_worker / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--memory", type=int, help="points of the memory sweep (e.g. 10000)")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    if args.memory is None:
        for label, extra in (
            ("loky, 1 job", ["--jobs", "1"]),
            ("loky, 2 jobs", ["--jobs", "2"]),
            ("dask LocalCluster, 2 workers", ["--backend", "dask", "--jobs", "2"]),
        ):
            results[label] = run_sweep([*ACCEPTANCE, *extra])
    else:
        for points in (args.memory // 10, args.memory):
            results[f"{points} points"] = run_sweep(
                [*SMALL_WORLD, "--samples", str(points), "--jobs", "2"]
            )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for label, figures in results.items():
        print(f"{label:32s} " + "  ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
