"""The ``run`` and ``compare`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli import EXIT_OK, add_run_options, emit, run_options
from sim.experiments import compare_scenarios, run_scenario
from sim.loading import load_scenario
from sim.results import CompareResults, RunResults
from sim.store import default_out_dir, manifest, write_json, write_tables
from sim.tables import compare_table, run_table


def register(commands: Any) -> None:
    """Add ``run`` and ``compare`` to the ``partnerlab`` subcommands."""
    run = commands.add_parser(
        "run",
        help="run a design against its baseline",
        description="Run a scenario's design against its baseline over paired replications.",
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    add_run_options(run)
    run.add_argument("--report", action="store_true", help="also write OUT/report.html")
    run.set_defaults(handler=cmd_run)

    compare = commands.add_parser(
        "compare",
        help="rank designs on the same worlds",
        description="Rank designs against one baseline on the same worlds, with paired CIs.",
    )
    compare.add_argument(
        "scenarios",
        type=Path,
        nargs="+",
        help="scenario YAML files that differ only in their design",
    )
    add_run_options(compare)
    compare.set_defaults(handler=cmd_compare)


def cmd_run(args: argparse.Namespace) -> int:
    """``partnerlab run``: one design against its baseline."""
    scenario = load_scenario(args.scenario, args.overrides)
    results = run_scenario(scenario, **run_options(args))
    out = args.out or default_out_dir(scenario.name)
    save_run(results, out, sys.argv)
    if args.report:
        from sim.report import write_report  # matplotlib loads only when asked

        write_report(out)
    emit(args, results.to_json(), run_table(results), out)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    """``partnerlab compare``: several designs, one baseline, the same worlds."""
    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]
    sources = [str(path) for path in args.scenarios]
    results = compare_scenarios(scenarios, sources=sources, **run_options(args))
    out = args.out or default_out_dir("compare")
    save_compare(results, out, sys.argv)
    emit(args, results.to_json(), compare_table(results), out)
    return EXIT_OK


def save_run(results: RunResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a run's folder: tables, summary.json, then manifest.json."""
    write_tables(
        out,
        runs=results.runs,
        segments=results.segments,
        timeseries=results.timeseries,
        tiers=results.tiers,
    )
    write_json(out / "summary.json", results.summary_json())
    write_json(
        out / "manifest.json",
        manifest("run", [results.scenario], results.seed, results.replications, argv),
    )


def save_compare(results: CompareResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a comparison's folder: tables, summary.json, then manifest.json."""
    write_tables(out, runs=results.runs, segments=results.segments, timeseries=results.timeseries)
    write_json(out / "summary.json", results.to_json())
    write_json(
        out / "manifest.json",
        manifest("compare", results.scenarios, results.seed, results.replications, argv),
    )
