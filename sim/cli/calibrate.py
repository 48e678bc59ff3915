"""The ``calibrate`` subcommand: fit a scenario's partners to a company's partner history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK, add_scenario_options, integer


def register(commands: Any) -> None:
    """Add ``calibrate`` to the ``partnerlab`` subcommands."""
    calibrate = commands.add_parser(
        "calibrate",
        help="fit partner behaviour and population to a partner history (a posterior)",
        description="Fit the behavioural parameters named by --param (or the scenario's "
        "calibrate: section) to a partner history file, by simulation: an approximate "
        "posterior, which parameters the data identify, a held-out check, the calibrated "
        "scenario and figures (docs/calibration.md). Re-running with the same --out resumes.",
    )
    calibrate.add_argument("history", type=Path, help="partner history, .csv or .parquet")
    calibrate.add_argument("--scenario", type=Path, required=True, help="scenario YAML file")
    calibrate.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=LO:HI[:log]",
        help="a parameter to fit and its uniform prior, e.g. "
        "behaviour.reseller.effort_elasticity=0:3 (repeatable)",
    )
    calibrate.add_argument(
        "--out", type=Path, help="folder (default: results/<name>-calibrate-<time>)"
    )
    calibrate.add_argument(
        "--jobs", type=integer(1, allow_all=True), default=1, help="worker processes; -1 for all"
    )
    calibrate.add_argument(
        "--frequency",
        choices=("week", "month", "quarter"),
        help="rows per period, when the file does not say",
    )
    calibrate.add_argument(
        "--returns", action="store_true", help="revenue may be negative (returned deals)"
    )
    calibrate.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results folder at --out (a finished calibration: start over)",
    )
    calibrate.add_argument("--report", action="store_true", help="also write OUT/report.html")
    add_scenario_options(calibrate)
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``partnerlab calibrate``: fit, check, and write the calibration folder."""
    # Imported here, so that the command line starts without the simulator.
    from sim.calibration.calibrate import calibrate
    from sim.calibration.output import (
        check_folder,
        identification,
        open_folder,
        to_json,
        write_calibration,
    )
    from sim.limits import workers
    from sim.runs.outputs import default_out_dir
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    out = args.out or default_out_dir(f"{scenario.name}-calibrate")
    check_folder(out, args.overwrite)
    result = calibrate(
        args.history,
        scenario,
        out,
        source=str(args.scenario),
        params=tuple(args.params),
        frequency=args.frequency,
        returns=True if args.returns else None,
        jobs=workers(args.jobs),
        progress=not args.no_progress,
        start=lambda: open_folder(out, args.overwrite),
    )
    write_calibration(result, out, None if args.overrides else args.scenario, sys.argv)
    if args.report:
        from sim.report.html import write_report

        write_report(out)
    if args.json:
        print(json.dumps(to_json(result, out), indent=2, allow_nan=False))
        return EXIT_OK
    print("\n".join(identification(result)))
    held = result.held_out.coverage_90 if result.held_out is not None else None
    if held is not None:
        print(f"held-out check: {held:.0%} of statistics inside their 90% predictive band")
    print(f"\nresults written to {out}/ (calibrated.yaml, posterior.parquet, fit.json, figures)")
    return EXIT_OK
