"""The ``history`` subcommand: the history a scenario's world produces under its baseline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK, add_scenario_options, integer


def register(commands: Any) -> None:
    """Add ``history`` to the ``partnerlab`` subcommands."""
    history = commands.add_parser(
        "history",
        help="write the partner history a scenario's world produces under its baseline",
        description="Simulate one world of the scenario for N weeks under its baseline (with "
        "its changes) and write what a company's partner records would hold, in the format "
        "`partnerlab calibrate` reads (docs/calibration.md).",
    )
    history.add_argument("scenario", type=Path, help="scenario YAML file")
    history.add_argument("--weeks", type=integer(13), required=True, help="weeks of history")
    history.add_argument("--out", type=Path, required=True, help="file to write: .csv or .parquet")
    history.add_argument("--seed", type=integer(0), help="root seed (default: the scenario's)")
    history.add_argument("--replication", type=integer(0), default=0, help="which world")
    history.add_argument(
        "--frequency", choices=("week", "month", "quarter"), default="week", help="rows per"
    )
    history.add_argument("--overwrite", action="store_true", help="replace the file at --out")
    add_scenario_options(history)
    history.set_defaults(handler=cmd_history)


def cmd_history(args: argparse.Namespace) -> int:
    """``partnerlab history``: write the history file and say what it holds."""
    # Imported here, so that the command line starts without the simulator.
    import json

    from sim.calibration.generate import generate_history, write_history
    from sim.errors import BadInput
    from sim.limits import HORIZON_WEEKS
    from sim.runs.outputs import check_file_out
    from sim.scenario.loading import load_scenario

    HORIZON_WEEKS.check(args.weeks, "--weeks")
    if args.out.suffix not in (".csv", ".parquet"):
        raise BadInput(f"--out {args.out}: expected a file name ending in .csv or .parquet")
    check_file_out(args.out, args.overwrite)
    scenario = load_scenario(args.scenario, args.overrides)
    history = generate_history(
        scenario, args.weeks, seed=args.seed, replication=args.replication, frequency=args.frequency
    )
    write_history(history, args.out)
    summary = {
        "out": str(args.out),
        "partners": history.partners,
        "periods": history.periods,
        "frequency": history.frequency,
        "columns": list(history.series),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{history.partners} partners x {history.periods} {history.frequency}s "
            f"({', '.join(history.series)}) written to {args.out}"
        )
    return EXIT_OK
