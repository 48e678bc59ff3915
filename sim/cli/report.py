"""The ``report`` subcommand: one self-contained HTML file from a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK, add_overwrite_option


def register(commands: Any) -> None:
    """Add ``report`` to the ``partnerlab`` subcommands."""
    report = commands.add_parser(
        "report",
        help="write an HTML report of a results folder",
        description=(
            "Write one self-contained HTML file (figures embedded, no network needed) with the "
            "headline numbers and their 95%% CIs, the figures and the resolved scenario of a "
            "results folder from run, compare, optimize, sweep or pilot. The folder's files "
            "must match the SHA-256 its manifest lists."
        ),
    )
    report.add_argument("results_dir", type=Path, help="a results folder with manifest.json")
    report.add_argument(
        "--out", type=Path, help="HTML file to write (default: RESULTS_DIR/report.html)"
    )
    add_overwrite_option(report, what="file")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """``partnerlab report``: write the HTML report and print where it is."""
    # matplotlib loads here, not when the command line starts
    from sim.report.html import write_report

    print(f"report written to {write_report(args.results_dir, args.out, args.overwrite)}")
    return EXIT_OK
