"""The ``run`` subcommand: one design against its baseline over paired replications."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import (
    EXIT_OK,
    add_posterior_options,
    add_run_options,
    emit,
    out_folder,
    posterior_assumptions,
    run_options,
    uncertainty_line,
)


def register(commands: Any) -> None:
    """Add ``run`` to the ``partnerlab`` subcommands."""
    run = commands.add_parser(
        "run",
        help="run a design against its baseline",
        description="Run a scenario's design against its baseline over paired replications.",
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    add_run_options(run)
    add_posterior_options(run)
    run.add_argument("--report", action="store_true", help="also write OUT/report.html")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """``partnerlab run``: one design against its baseline."""
    # Imported here, so that the command line starts without the simulator.
    from sim.report.tables import run_table
    from sim.runs.api import run_scenario
    from sim.runs.folders import save_run
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    assumptions = posterior_assumptions(args)
    out = out_folder(args, scenario.name)
    results = run_scenario(scenario, assumptions=assumptions, **run_options(args))
    save_run(results, out, sys.argv, args.overwrite)
    if args.report:
        from sim.report.html import write_report  # matplotlib loads only when asked

        write_report(out)
    emit(args, results.to_json(), run_table(results) + uncertainty_line(results.uncertainty), out)
    return EXIT_OK
