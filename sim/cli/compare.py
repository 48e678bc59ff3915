"""The ``compare`` subcommand: rank designs against one baseline on the same worlds."""

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
    """Add ``compare`` to the ``partnerlab`` subcommands."""
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
    add_posterior_options(compare)
    compare.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """``partnerlab compare``: several designs, one baseline, the same worlds."""
    # Imported here, so that the command line starts without the simulator.
    from sim.report.tables import compare_table
    from sim.runs.api import compare_scenarios
    from sim.runs.folders import save_compare
    from sim.scenario.loading import load_scenario

    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]
    sources = [str(path) for path in args.scenarios]
    assumptions = posterior_assumptions(args)
    out = out_folder(args, "compare")
    results = compare_scenarios(
        scenarios, sources=sources, assumptions=assumptions, **run_options(args)
    )
    save_compare(results, out, sys.argv, args.overwrite)
    lines = "".join(
        f"\n{s.name}:" + uncertainty_line(results.uncertainty(s.name)) for s in scenarios
    )
    emit(args, results.to_json(), compare_table(results) + (lines if args.posterior else ""), out)
    return EXIT_OK
