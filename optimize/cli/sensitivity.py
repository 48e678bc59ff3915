"""The ``sensitivity`` subcommand: Sobol' or Morris indices of net lift (SALib)."""

from __future__ import annotations

import argparse
from typing import Any

from optimize.cli.backends import (
    add_backend_options,
    add_sweep_parser,
    call,
    report_progress,
    write_summary,
)
from sim.cli.options import EXIT_OK, emit, integer


def register(commands: Any) -> None:
    """Add ``sensitivity`` to the ``partnerlab`` subcommands."""
    parser = add_sweep_parser(
        commands,
        "sensitivity",
        "Sobol' or Morris sensitivity of net lift",
        "Rank parameters by their influence on net lift (SALib), over ranges from the "
        "scenario's sensitivity: section and/or --param KEY=lo:hi.",
        ("KEY=LO:HI", "parameter range (adds to or replaces the section's); repeatable"),
    )
    parser.add_argument(
        "--method", choices=("sobol", "morris"), help="default: the section's, else morris"
    )
    parser.add_argument(
        "--samples",
        type=integer(1),
        help="sobol: base samples N, N*(D+2) runs (default 64); "
        "morris: trajectories N, N*(D+1) runs (default 10)",
    )
    parser.add_argument("--levels", type=integer(2), help="Morris grid levels, even (default 4)")
    add_backend_options(parser)
    parser.set_defaults(handler=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``partnerlab sensitivity``: Sobol' or Morris indices of net lift."""
    # Imported here, so that the command line starts without SALib and the simulator.
    from optimize.sweeps.sensitivity import read_section, sensitivity
    from optimize.sweeps.tables import sensitivity_table
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    read_section(scenario, str(args.scenario))
    result = call(
        args,
        sensitivity,
        scenario,
        params=args.params,
        method=args.method,
        samples=args.samples,
        levels=args.levels,
    )
    report_progress("sensitivity", result.sweep)
    data = result.to_json()
    write_summary(result.sweep, data)
    emit(args, data, sensitivity_table(result), result.sweep.out)
    return EXIT_OK
