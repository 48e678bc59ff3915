"""The ``matrix`` subcommand: simulate an experiment matrix over levers, by segment."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.cli.options import EXIT_OK, emit, out_folder
from sim.cli.pilot import add_pilot_options, pilot_options


def register(commands: Any) -> None:
    """Add ``matrix`` to the ``partnerlab`` subcommands."""
    matrix = commands.add_parser(
        "matrix",
        help="simulate an experiment matrix over levers",
        description="Simulate a scenario's experiment matrix (`pilot.matrix`): main effects and "
        "interactions of the levers with 95%% CIs, overall and by segment.",
    )
    add_pilot_options(matrix, simulations_help="simulated experiments (default 1)")
    matrix.set_defaults(handler=cmd_matrix)


def cmd_matrix(args: argparse.Namespace) -> int:
    """``partnerlab matrix``: main effects and interactions of the levers, by segment."""
    # Imported here, so that the command line starts without the pilot machinery.
    from sim.pilot.matrix import run_matrix
    from sim.report.pilot_tables import matrix_table
    from sim.runs.outputs import ResultsFolder
    from sim.runs.store import manifest, write_json, write_tables
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    out = out_folder(args, f"{scenario.name}-matrix")
    results = run_matrix(scenario, simulations=args.simulations or 1, **pilot_options(args))
    seed = results.design.plan.seed
    with ResultsFolder(out, args.overwrite) as folder:
        write_tables(folder.path, effects=results.effects, cells=results.cells)
        write_json(folder.path / "summary.json", results.to_json())
        folder.commit(manifest("matrix", [scenario], seed, results.simulations, sys.argv))
    emit(args, results.to_json(), matrix_table(results), out)
    return EXIT_OK
