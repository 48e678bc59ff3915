"""The ``export`` subcommand: a results folder's summary, segments and weekly series as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK


def register(commands: Any) -> None:
    """Add ``export`` to the ``partnerlab`` subcommands."""
    export = commands.add_parser(
        "export",
        help="write a results folder's tables as CSV for spreadsheets",
        description="Write summary.csv, segments.csv and timeseries.csv of a run or compare "
        "results folder, with the report's column names and units.",
    )
    export.add_argument("results_dir", type=Path, help="a run or compare folder with manifest.json")
    export.add_argument(
        "--out", type=Path, help="folder for the CSV files (default RESULTS_DIR/csv)"
    )
    export.add_argument(
        "--overwrite", action="store_true", help="replace CSV files already in --out"
    )
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """``partnerlab export``: write the CSV files and print where they are."""
    from sim.report.export import export_folder

    for path in export_folder(args.results_dir, args.out, args.overwrite):
        print(path)
    return EXIT_OK
