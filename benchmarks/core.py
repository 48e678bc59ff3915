"""Core simulator benchmarks (issue: core simulator performance targets).

Measures, for the quickstart design (3-tier quarterly ladder + monthly email):

* one paired replication (baseline and design arms, shared world) of 1,000
  partners over 52 weeks: median wall time on one core, per replication in
  the batches the runner uses and for a replication run alone, with the
  host's speed (:func:`host_loop_ms`) read before and after;
* one arm of 100,000 partners over 52 weeks: wall time and peak memory
  (resident set size of a fresh child process, so the figure is not polluted
  by earlier runs).

Usage::

    .venv/bin/python benchmarks/core.py [--json] [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def population(n: int) -> list[str]:
    """``--set`` overrides for ``n`` partners in the quickstart's 70/23/7 mix."""
    integrators, alliances = round(n * 0.233), round(n * 0.067)
    resellers = n - integrators - alliances
    return [
        f"population.partners.reseller={resellers}",
        f"population.partners.integrator={integrators}",
        f"population.partners.alliance={alliances}",
    ]


def paired_replication_ms(
    repeats: int, scenario: Scenario | None = None, batch: int | None = None
) -> float:
    """Median wall time per paired replication of 1,000 partners, ms.

    Replications run in batches of ``batch``: by default as ``partnerlab
    run`` batches them (:func:`sim.runs.runner.batches`), so the figure is what a
    replication costs there; ``batch=1`` times a replication run alone. Each
    of the ``repeats`` timings is one batch of fresh replications, divided by
    its size. ``scenario`` (default: the quickstart) must have those 1,000 partners.
    """
    from sim import load_scenario
    from sim.runs.runner import batches, run_replications

    if scenario is None:
        scenario = load_scenario(QUICKSTART, population(1000))
    arms = {"baseline": scenario.baseline, "design": scenario.design}
    size = batch or len(batches(range(64), 1000, len(arms), jobs=1)[0])
    run_replications(scenario, arms, scenario.seed, [0])  # warm-up: imports, caches
    times = []
    for repeat in range(repeats):
        ids = list(range(1 + repeat * size, 1 + (repeat + 1) * size))
        start = time.perf_counter()
        run_replications(scenario, arms, scenario.seed, ids)
        times.append((time.perf_counter() - start) / size)
    return 1000 * statistics.median(times)


def host_loop_ms(repeats: int = 5) -> float:
    """Median time of a fixed pure-Python loop (200,000 multiply-adds), ms.

    It does not depend on partnerlab at all: it reads how fast the host runs
    at the moment. The shared machine these figures come from alternates
    between about 12 ms and about 21 ms on it, a few seconds at a time, and
    every other timing moves with it.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def one_arm(partners: int) -> dict[str, float]:
    """Wall time and peak RSS of one arm of ``partners`` over 52 weeks (run in this process)."""
    from sim import PartnerProgramModel, load_scenario

    scenario = load_scenario(QUICKSTART, population(partners))
    start = time.perf_counter()
    PartnerProgramModel(scenario, arm="design").run()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "partner_weeks_per_s": partners * 52 / seconds,
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(module: str, function: str, *args: object) -> dict[str, float]:
    """``module.function(*args)`` in a fresh interpreter; its JSON result.

    A fresh process per measurement keeps each peak memory figure that run's alone.
    """
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from {module} import {function}; print(json.dumps({function}(*{args!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def one_arm_in_child(partners: int) -> dict[str, float]:
    """:func:`one_arm` in a fresh interpreter, so peak memory is this run's alone."""
    return in_child("benchmarks.core", "one_arm", partners)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--repeats", type=int, default=15, help="paired timings (medians)")
    args = parser.parse_args()
    before = host_loop_ms()
    paired = paired_replication_ms(args.repeats)
    alone = paired_replication_ms(args.repeats, batch=1)
    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "paired_replication_1000_ms": paired,
        "paired_replication_1000_alone_ms": alone,
        "host_loop_ms_around_paired": [before, host_loop_ms()],
        "one_arm_100000": one_arm_in_child(100_000),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    arm = figures["one_arm_100000"]
    loops = ", ".join(f"{ms:.1f} ms" for ms in figures["host_loop_ms_around_paired"])
    print(
        f"paired replication, 1,000 partners x 52 weeks: {paired:.1f} ms in batches, "
        f"{alone:.1f} ms alone (medians of {args.repeats}; host loop before and after: {loops})"
    )
    print(
        f"one arm, 100,000 partners x 52 weeks: {arm['seconds']:.2f} s, "
        f"peak RSS {arm['peak_rss_mb']:.0f} MB, "
        f"{arm['partner_weeks_per_s'] / 1e6:.2f} M partner-weeks/s"
    )


if __name__ == "__main__":
    main()
