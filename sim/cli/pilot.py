"""The ``pilot`` subcommand: grade a pilot's estimators and size the pilot that confirms it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK, add_worker_options, emit, integer, out_folder


def register(commands: Any) -> None:
    """Add ``pilot`` to the ``partnerlab`` subcommands."""
    pilot = commands.add_parser(
        "pilot",
        help="grade a pilot's estimators and find the pilot size that confirms a design",
        description="Simulate a scenario's pilot (its `pilot:` section) many times, grade each "
        "estimator against the true effect on the pilot partners, and find the smallest "
        "pilot (partners x weeks) with the target power.",
    )
    add_pilot_options(pilot, simulations_help="simulated pilots (default: pilot.simulations)")
    pilot.add_argument(
        "--no-plan", action="store_true", help="skip the power grid and the recommendation"
    )
    pilot.set_defaults(handler=cmd_pilot)


def add_pilot_options(parser: argparse.ArgumentParser, simulations_help: str) -> None:
    """The scenario, simulations, pilot size and duration, plus worker options."""
    parser.add_argument("scenario", type=Path, help="scenario YAML file with a pilot: section")
    parser.add_argument("--simulations", type=integer(1), help=simulations_help)
    parser.add_argument(
        "--partners", type=integer(4), help="pilot size in partners, all arms together"
    )
    parser.add_argument("--weeks", type=integer(2), help="pilot duration in weeks")
    add_worker_options(parser, out_help="results folder (default: results/<name>-...)")


def pilot_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_pilot_options`, as API keywords."""
    return {
        "partners": args.partners,
        "weeks": args.weeks,
        "seed": args.seed,
        "jobs": args.jobs,
        "progress": not args.no_progress,
        "source": str(args.scenario),
        "overrides": args.overrides,
    }


def cmd_pilot(args: argparse.Namespace) -> int:
    """``partnerlab pilot``: grade the estimators and plan the pilot's size."""
    # Imported here, so that the command line starts without the pilot machinery.
    from sim.pilot.planning import run_pilot
    from sim.report.pilot_tables import pilot_table
    from sim.runs.outputs import ResultsFolder
    from sim.runs.store import manifest, write_json, write_tables
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    out = out_folder(args, f"{scenario.name}-pilot")
    results = run_pilot(
        scenario, simulations=args.simulations, planning=not args.no_plan, **pilot_options(args)
    )
    tables = {"pilots": results.pilots}
    if results.curve is not None:
        tables["power"] = results.curve
    with ResultsFolder(out, args.overwrite) as folder:
        write_tables(folder.path, **tables)
        write_json(folder.path / "summary.json", results.to_json() | {"checks": results.checks})
        folder.commit(
            manifest("pilot", [scenario], results.plan.seed, results.simulations, sys.argv)
        )
    emit(args, results.to_json(), pilot_table(results), out)
    return EXIT_OK
