"""Performance suite (issue 8): throughput with every mechanic on, against an idiomatic Mesa model.

Reports, each measurement in a fresh child process (so its peak resident
memory is its own), wall time and CPU time (``time.process_time``; on a busy
machine CPU time is the fairer figure for one core):

* **throughput**: partner-weeks per second of one arm with every mechanic on
  (all reward levers, every nudge channel, budget, deferral and clawback,
  channel conflict, returns, a supply constraint, deal timing), 52 weeks, at
  1k, 10k, 100k and (unless ``--no-million``) 1M partners, median of three
  runs (one at 1M); the world is drawn outside the timed run and reported
  apart (``build_seconds``); peak memory is taken after the first run; the
  host's speed is read before and after (``host_loop_ms``, see below);
* **paired replication**: median time per replication of
  ``sim.runs.runner.run_replications`` (both arms stacked, replications joined in
  the runner's batches) of 1,000 partners over 52 weeks, and of a replication
  run alone, for the quickstart and for the every-mechanic design
  (``--repeats`` timings each), with the host's speed read just before
  and after (``host_loop_ms_around_paired``: a fixed pure-Python loop, about
  12 ms when the shared machine runs at full speed and 21 ms when it does not);
* **optimization and sweeps**: trials per second of ``optimize.optimize`` and
  points per second of ``optimize.sweep`` on the quickstart (a few each);
* **ratio to the reference**: the package against
  ``benchmarks/reference_model.py`` (partners as Mesa agents stepped one at a
  time) on the same scenario, a three-tier ladder both implement, at 1k and
  10k partners in the same run: three pairs of runs, package then reference,
  and the median of the pairs' ratios. The package is timed from creating the model
  to the end (world drawn apart); the reference's weekly steps only, not the
  creation of its agents (which favours the reference). It runs the whole horizon at 1k;
  at 10k it runs ``--reference-weeks`` weeks and its partner-weeks per second
  are extrapolated from those (it is linear in weeks), as the JSON says.

Usage::

    .venv/bin/python benchmarks/run.py [--json] [--no-million] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.core import (  # noqa: E402
    QUICKSTART,
    host_loop_ms,
    in_child,
    paired_replication_ms,
    peak_rss_mb,
    population,
)
from sim.runs.runner import batches  # noqa: E402

WEEKS = 52
#: Runs of the package per measurement (the median is reported; 1M partners run once).
PACKAGE_RUNS = 3
SIZES = (1_000, 10_000, 100_000, 1_000_000)
#: A design with every lever on, plus guardrails and every market feature.
EVERY_MECHANIC: dict[str, Any] = {
    "market": {"supply": {"start_week": 26, "duration_weeks": 8, "capacity": 0.6}},
    "design": {
        "name": "every mechanic",
        "guardrails": {"deferral": {"share": 0.25, "periods": 2}, "clawback": True},
        "mechanics": [
            {
                "type": "tiered_rebate",
                "period": "quarter",
                "basis": "retroactive",
                "tiers": [
                    {"name": "registered", "threshold": 0, "rate": 0.0},
                    {"name": "silver", "threshold": 5000, "rate": 0.02},
                    {"name": "gold", "threshold": 20000, "rate": 0.035},
                ],
            },
            {"type": "growth_rebate", "period": "quarter", "rate": 0.05, "growth_target": 0.05},
            {
                "type": "accelerator",
                "period": "quarter",
                "quota_from_prior": 1.0,
                "base_rate": 0.0,
                "accelerated_rate": 0.03,
                "ratchet": 1.0,
                "cap": {"reseller": 1500, "integrator": 4000, "alliance": 10000},
            },
            {"type": "bonus", "period": "quarter", "threshold": 10000, "amount": 300},
            {"type": "milestone", "event": "first_deal", "amount": 250},
            {"type": "milestone", "event": "certification", "amount": 500},
            {
                "type": "spiff",
                "amount_per_deal": 150,
                "line_share": 0.3,
                "start_week": 0,
                "end_week": 12,
            },
            {"type": "mdf", "accrual_rate": 0.02, "co_investment": 0.5, "friction": 0.3},
            {"type": "deal_registration", "protection": 0.8, "approval_weeks": 1},
            {"type": "certification", "training_weeks": 4, "cost_per_certification": 1500},
            {
                "type": "recognition",
                "kind": "badge",
                "threshold": 50000,
                "priority_access": 0.05,
                "cost_per_award": 100,
            },
            {
                "type": "tier_status",
                "period": "quarter",
                "grace_periods": 1,
                "tiers": [
                    {"name": "silver", "threshold": 10000, "rebate_rate": 0.01},
                    {"name": "gold", "threshold": 40000, "rebate_rate": 0.02, "mdf_rate": 0.01},
                ],
            },
            {"type": "email", "every_weeks": 4, "cost_per_contact": 2.0},
            {
                "type": "call",
                "every_weeks": 2,
                "target": "near_threshold",
                "cost_per_contact": 60,
                "managers": 5,
                "contacts_per_manager": 10,
            },
            {"type": "portal", "target": "lapsing", "every_weeks": 1, "cost_per_contact": 0.5},
            {
                "type": "qbr",
                "every_weeks": 13,
                "segments": {"size_bands": ["large"]},
                "cost_per_contact": 400,
            },
        ],
    },
}


def every_mechanic(partners: int) -> Any:
    """The quickstart world of ``partners`` partners with :data:`EVERY_MECHANIC` as its design."""
    from sim import load_scenario
    from sim.scenario.loading import deep_merge, validate_scenario

    scenario = load_scenario(QUICKSTART, population(partners))
    raw = deep_merge(scenario.model_dump(mode="json"), EVERY_MECHANIC)
    return validate_scenario(raw, "benchmarks/run.py (every mechanic)")


def reference_scenario(partners: int) -> Any:
    """A scenario both the package and the reference implement, ``partners`` partners."""
    from benchmarks.reference_model import LADDER, SUPPORTED_MARKET
    from sim import load_scenario

    return load_scenario(QUICKSTART, [*population(partners), LADDER, *SUPPORTED_MARKET])


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def package_run(scenario: Any, runs: int) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds of ``runs`` one-arm runs, each on a freshly drawn world.

    Drawing the world is timed apart (its median is the third value); the run
    consumes it (``consume_world=True``), as the paired runner does. The
    fourth value is the peak resident memory after the first run, MB (later
    runs only add the allocator's leftovers).
    """
    from sim import PartnerProgramModel, build_world

    walls, cpus, builds, peak = [], [], [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        world = build_world(scenario, 0)
        builds.append(time.perf_counter() - start)
        wall, cpu = timed(
            lambda world=world: PartnerProgramModel(
                scenario, arm="design", world=world, consume_world=True
            ).run()
        )
        walls.append(wall)
        cpus.append(cpu)
        peak = peak or peak_rss_mb()
    return statistics.median(walls), statistics.median(cpus), statistics.median(builds), peak


def throughput(partners: int, runs: int) -> dict[str, float]:
    """One arm with every mechanic on, 52 weeks, median of ``runs`` (in a child process).

    With the host's speed (:func:`benchmarks.core.host_loop_ms`) read just
    before and after, since the shared machine's speed changes by itself.
    """
    scenario = every_mechanic(partners)
    before = host_loop_ms()
    wall, cpu, build, peak = package_run(scenario, runs)
    after = host_loop_ms()
    return {
        "runs": runs,
        "partners": partners,
        "build_seconds": build,
        "seconds": wall,
        "cpu_seconds": cpu,
        "partner_weeks_per_s": partners * WEEKS / wall,
        "partner_weeks_per_cpu_s": partners * WEEKS / cpu,
        "host_loop_ms": [before, after],
        "peak_rss_mb": peak,
    }


def paired(repeats: int) -> dict[str, Any]:
    """Median ms per paired replication of 1,000 partners, quickstart and every mechanic.

    Per replication in the runner's batches, and alone
    (:func:`benchmarks.core.paired_replication_ms`). With the host's speed
    (:func:`benchmarks.core.host_loop_ms`) read just before and after the
    quickstart's, since the shared machine's speed changes by itself.
    """
    before = host_loop_ms()
    quickstart = paired_replication_ms(repeats)
    after = host_loop_ms()
    every = every_mechanic(1000)
    return {
        "quickstart_ms": quickstart,
        "quickstart_alone_ms": paired_replication_ms(repeats, batch=1),
        "every_mechanic_ms": paired_replication_ms(repeats, every),
        "every_mechanic_alone_ms": paired_replication_ms(repeats, every, batch=1),
        "batch": len(batches(range(64), 1000, 2, jobs=1)[0]),
        "host_loop_ms": [before, after],
        "peak_rss_mb": peak_rss_mb(),
    }


def versus_reference(partners: int, reference_weeks: int) -> dict[str, float]:
    """Partner-weeks per second of the package and of the reference, same scenario and world.

    Measured in :data:`PACKAGE_RUNS` pairs, a package run then a reference
    run a second or two later, so that both of a pair meet the shared host in
    the same state as far as possible (its speed changes by itself every few
    seconds); the ratio is the median of the pairs' ratios.
    """
    from benchmarks.reference_model import ReferenceModel
    from sim import build_world

    scenario = reference_scenario(partners)
    weeks = min(reference_weeks, WEEKS)
    pairs = []
    for _ in range(PACKAGE_RUNS):
        wall, cpu, _, _ = package_run(scenario, 1)
        world = build_world(scenario, 0)  # the same world again: the package's run used up its
        start = time.perf_counter()
        model = ReferenceModel(scenario, world=world)
        setup = time.perf_counter() - start  # creating the agents: reported, not counted
        ref_wall, ref_cpu = timed(lambda model=model: model.run(weeks))
        pairs.append((partners * WEEKS / wall, partners * weeks / ref_wall, cpu, ref_cpu, setup))
    package, reference, cpu, ref_cpu, setup = (
        statistics.median(x) for x in zip(*pairs, strict=True)
    )
    return {
        "package_partner_weeks_per_s": package,
        "reference_partner_weeks_per_s": reference,
        "reference_weeks_timed": weeks,
        "reference_setup_seconds": setup,
        "ratio": statistics.median(p / r for p, r, *_ in pairs),
        "ratio_cpu": (partners * WEEKS / cpu) / (partners * weeks / ref_cpu),
        "pairs": len(pairs),
        "peak_rss_mb": peak_rss_mb(),
    }


def optimization(trials: int, points: int) -> dict[str, float]:
    """Trials per second of ``optimize`` and points per second of ``sweep`` on the quickstart."""
    import optuna

    from benchmarks.optimizer import throughput as trials_per_second
    from optimize import sweep

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rates = [round(0.01 + 0.03 * i / max(points - 1, 1), 4) for i in range(points)]
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = timed(
            lambda: sweep(
                QUICKSTART,
                {"design.mechanics.0.tiers.1.rate": rates},
                out=Path(folder) / "sweep",
                jobs=1,
                progress=False,
            )
        )
    trial = trials_per_second(trials, pruning=False)
    return {
        "trials": trials,
        "trials_per_s": trial["per_wall_second"],
        "trials_per_cpu_s": trial["per_cpu_second"],
        "sweep_points": points,
        "sweep_points_per_s": points / wall,
        "sweep_points_per_cpu_s": points / cpu,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure, each in its own child process."""
    here = "benchmarks.run"
    sizes = [n for n in SIZES if n < 1_000_000 or not args.no_million]
    arms = {
        str(n): in_child(here, "throughput", n, 1 if n >= 1_000_000 else PACKAGE_RUNS)
        for n in sizes
    }
    reference = {
        str(n): in_child(here, "versus_reference", n, WEEKS if n <= 1000 else args.reference_weeks)
        for n in (1_000, 10_000)
    }
    pair = in_child(here, "paired", args.repeats)
    search = in_child(here, "optimization", args.trials, args.points)
    return {
        "machine": f"{platform.machine()}, {_cpu_name()}, Python {platform.python_version()}",
        "weeks": WEEKS,
        "throughput": {n: r["partner_weeks_per_s"] for n, r in arms.items()},
        "throughput_per_cpu_s": {n: r["partner_weeks_per_cpu_s"] for n, r in arms.items()},
        "paired_replication_ms": pair["quickstart_ms"],
        "paired_replication_alone_ms": pair["quickstart_alone_ms"],
        "paired_replication_every_mechanic_ms": pair["every_mechanic_ms"],
        "paired_replication_every_mechanic_alone_ms": pair["every_mechanic_alone_ms"],
        "paired_replications_per_batch": pair["batch"],
        "host_loop_ms_around_paired": pair["host_loop_ms"],
        "ratio_vs_reference": {n: r["ratio"] for n, r in reference.items()},
        "trials_per_s": search["trials_per_s"],
        "sweep_points_per_s": search["sweep_points_per_s"],
        "peak_memory_mb": {
            **{f"one_arm_{n}": r["peak_rss_mb"] for n, r in arms.items()},
            **{f"reference_{n}": r["peak_rss_mb"] for n, r in reference.items()},
            "paired_replication": pair["peak_rss_mb"],
            "optimize_and_sweep": search["peak_rss_mb"],
        },
        "details": {"one_arm": arms, "reference": reference, "optimization": search},
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-million", action="store_true", help="skip the 1M-partner arm")
    parser.add_argument("--repeats", type=_positive, default=7, help="paired replications timed")
    parser.add_argument("--trials", type=_positive, default=4, help="optimization trials timed")
    parser.add_argument("--points", type=_positive, default=4, help="sweep points timed")
    parser.add_argument(
        "--reference-weeks", type=_positive, default=8, help="weeks of the 10k reference timed"
    )
    args = parser.parse_args()
    figures = measure(args)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"machine: {figures['machine']}")
    for n, arm in figures["details"]["one_arm"].items():
        print(
            f"every mechanic, {int(n):>9,} partners x {WEEKS} weeks: "
            f"{arm['partner_weeks_per_s'] / 1e6:6.2f} M pw/s wall, "
            f"{arm['partner_weeks_per_cpu_s'] / 1e6:6.2f} M pw/s CPU, "
            f"peak {arm['peak_rss_mb']:,.0f} MB, host loop "
            + ", ".join(f"{ms:.1f}" for ms in arm["host_loop_ms"])
            + " ms"
        )
    for n, ref in figures["details"]["reference"].items():
        print(
            f"vs reference, {int(n):>6,} partners: {ref['ratio']:,.0f}x wall, "
            f"{ref['ratio_cpu']:,.0f}x CPU (reference timed over {ref['reference_weeks_timed']} wk)"
        )
    print(
        f"paired replication, 1,000 x {WEEKS}, per replication in batches of "
        f"{figures['paired_replications_per_batch']}: {figures['paired_replication_ms']:.1f} ms "
        f"(every mechanic {figures['paired_replication_every_mechanic_ms']:.1f} ms); alone: "
        f"{figures['paired_replication_alone_ms']:.1f} ms "
        f"(every mechanic {figures['paired_replication_every_mechanic_alone_ms']:.1f} ms); "
        "host loop before and after: "
        + ", ".join(f"{ms:.1f} ms" for ms in figures["host_loop_ms_around_paired"])
    )
    print(
        f"optimize: {figures['trials_per_s']:.2f} trials/s; "
        f"sweep: {figures['sweep_points_per_s']:.2f} points/s"
    )


if __name__ == "__main__":
    main()
