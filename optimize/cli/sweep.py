"""The ``sweep`` subcommand: scenario fields over a design of points, each against the baseline."""

from __future__ import annotations

import argparse
from typing import Any

from optimize.choices import DESIGNS
from optimize.cli.backends import (
    add_backend_options,
    add_sweep_parser,
    call,
    report_progress,
    write_summary,
)
from sim.cli.options import EXIT_OK, BadInput, emit, integer


def register(commands: Any) -> None:
    """Add ``sweep`` to the ``partnerlab`` subcommands."""
    parser = add_sweep_parser(
        commands,
        "sweep",
        "sweep scenario fields over a design of points",
        "Run a design of points (scenario variants), each paired against the baseline on "
        "the same replications; results stream to --out and resume there.",
        (
            "KEY=SPEC",
            "field to vary: KEY=v1,v2,... or KEY=lo:hi:n (levels) or KEY=lo:hi (range, for "
            "lhs and sobol designs); repeatable",
        ),
    )
    parser.add_argument("--design", choices=DESIGNS, default="grid", help="design of points")
    parser.add_argument("--samples", type=integer(1), help="points of an lhs or sobol design")
    add_backend_options(parser)
    parser.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``partnerlab sweep``: a design of points, each paired against the baseline."""
    # Imported here, so that the command line starts without the simulator.
    from optimize.sweeps.sweep import sweep
    from optimize.sweeps.tables import sweep_table
    from sim.scenario.loading import load_scenario

    if not args.params:
        raise BadInput("sweep: expected at least one --param KEY=SPEC")
    scenario = load_scenario(args.scenario, args.overrides)
    result = call(
        args, sweep, scenario, params=args.params, design=args.design, samples=args.samples
    )
    report_progress("sweep", result)
    data = result.to_json()
    write_summary(result, data)
    emit(args, data, sweep_table(result), result.out)
    return EXIT_OK
