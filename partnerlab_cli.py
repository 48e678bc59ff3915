"""The ``partnerlab`` command line.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file, the
field and what was expected); 1 unexpected failure. Results go to stdout
(a table, or JSON with ``--json``); progress and logs go to stderr. Set
``PARTNERLAB_DEBUG=1`` to see a traceback on unexpected failures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.experiments import compare_scenarios, run_scenario
from sim.loading import ScenarioError, load_scenario
from sim.results import CompareResults, RunResults
from sim.store import default_out_dir, manifest, write_json, write_tables
from sim.tables import compare_table, run_table

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """Input the user must fix; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Report a usage error in one line."""
        raise BadInput(f"{self.prog}: {message} (see --help)")


def _integer(minimum: int, allow_all: bool = False) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum`` (or -1 for "all" when allowed)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum and not (allow_all and value == -1):
            extra = ", or -1 for all cores" if allow_all else ""
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}{extra}, got {value}"
            )
        return value

    return parse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replications", type=_integer(1), help="independent worlds (default: the scenario's)"
    )
    parser.add_argument(
        "--seed", type=_integer(0), help="root random seed (default: the scenario's)"
    )
    parser.add_argument(
        "--jobs",
        type=_integer(1, allow_all=True),
        default=1,
        help="worker processes; -1 for all cores (results do not change)",
    )
    parser.add_argument(
        "--out", type=Path, help="results folder (default: results/<name>-<timestamp>)"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario field, e.g. design.mechanics.0.tiers.1.rate=0.03 (repeatable)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> Parser:
    """The argument parser for every subcommand."""
    parser = Parser(
        prog="partnerlab", description="Simulate and optimize B2B partner incentive programs."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser(
        "run",
        help="run a design against its baseline",
        description="Run a scenario's design against its baseline over paired replications.",
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    _common(run)
    run.set_defaults(handler=cmd_run)

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
    _common(compare)
    compare.set_defaults(handler=cmd_compare)
    return parser


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The replication settings shared by every simulating command."""
    return {
        "replications": args.replications,
        "seed": args.seed,
        "jobs": args.jobs,
        "progress": not args.no_progress,
    }


def cmd_run(args: argparse.Namespace) -> int:
    """``partnerlab run``: one design against its baseline."""
    scenario = load_scenario(args.scenario, args.overrides)
    results = run_scenario(scenario, **_run_options(args))
    out = args.out or default_out_dir(scenario.name)
    save_run(results, out, sys.argv)
    _emit(args, results.to_json(), run_table(results), out)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    """``partnerlab compare``: several designs, one baseline, the same worlds."""
    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]
    results = compare_scenarios(scenarios, **_run_options(args))
    out = args.out or default_out_dir("compare")
    save_compare(results, out, sys.argv)
    _emit(args, results.to_json(), compare_table(results), out)
    return EXIT_OK


def save_run(results: RunResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a run's folder: tables, summary.json, then manifest.json."""
    write_tables(out, runs=results.runs, segments=results.segments, timeseries=results.timeseries)
    write_json(out / "summary.json", results.summary_json())
    write_json(
        out / "manifest.json",
        manifest("run", [results.scenario], results.seed, results.replications, argv),
    )


def save_compare(results: CompareResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a comparison's folder: tables, summary.json, then manifest.json."""
    write_tables(out, runs=results.runs, segments=results.segments, timeseries=results.timeseries)
    write_json(out / "summary.json", results.to_json())
    write_json(
        out / "manifest.json",
        manifest("compare", results.scenarios, results.seed, results.replications, argv),
    )


def _emit(args: argparse.Namespace, data: dict[str, Any], table: str, out: Path) -> None:
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        print(table)
        print(f"\nresults written to {out}/")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``partnerlab`` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args))
    except (BadInput, ScenarioError) as error:
        print(f"partnerlab: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("partnerlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence, reported as exit 1
        if os.environ.get("PARTNERLAB_DEBUG"):
            traceback.print_exc()
        print(
            f"partnerlab: unexpected failure: {type(error).__name__}: {error} "
            "(set PARTNERLAB_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
