"""Building blocks shared by every ``partnerlab`` subcommand.

A subcommand is a module (``sim.cli.run``, ``optimize.cli.sweep``, ...) with
a ``register(commands)`` function that adds its parser and a ``handler(args)
-> exit code``; ``partnerlab_cli`` lists them. Options are checked when they
are parsed (integers within their range, at most 10^12), the size of the job
against its limits (:mod:`sim.limits`) and the output folder for writing
(:func:`out_folder`), all before any work.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from sim.errors import BadInput

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
#: The largest integer an option takes (as for every number in a scenario).
MAX_INTEGER = 10**12


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Report a usage error in one line."""
        raise BadInput(f"{self.prog}: {message} (see --help)")


def integer(minimum: int, allow_all: bool = False) -> Callable[[str], int]:
    """An argparse type: an integer from ``minimum`` to 10^12 (or -1 for "all" when allowed)."""

    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 20 else None
        except ValueError:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text[:40]!r}")
        if value > MAX_INTEGER:
            raise argparse.ArgumentTypeError(f"expected an integer <= 10^12, got {text}")
        if value < minimum and not (allow_all and value == -1):
            extra = ", or -1 for all cores" if allow_all else ""
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}{extra}, got {value}"
            )
        return value

    return parse


def add_overrides(
    parser: argparse.ArgumentParser, example: str = "design.mechanics.0.tiers.1.rate=0.03"
) -> None:
    """``--set KEY=VALUE`` (repeatable), read into ``overrides``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a scenario field, e.g. {example} (repeatable)",
    )


def add_scenario_options(
    parser: argparse.ArgumentParser, example: str = "design.mechanics.0.tiers.1.rate=0.03"
) -> None:
    """``--set``, ``--json`` and ``--no-progress``: options every command takes."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    add_overrides(parser, example)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_worker_options(
    parser: argparse.ArgumentParser,
    jobs_help: str = "worker processes; -1 for all cores (results do not change)",
    out_help: str = "results folder (default: results/<name>-<timestamp>)",
) -> None:
    """Seed, jobs and output folder, plus :func:`add_scenario_options`."""
    parser.add_argument(
        "--seed", type=integer(0), help="root random seed (default: the scenario's)"
    )
    parser.add_argument("--jobs", type=integer(1, allow_all=True), default=1, help=jobs_help)
    parser.add_argument("--out", type=Path, help=out_help)
    add_overwrite_option(parser)
    add_scenario_options(parser)


def add_overwrite_option(parser: argparse.ArgumentParser, what: str = "results folder") -> None:
    """``--overwrite``: replace an existing ``--out`` (refused without it)."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace an existing {what} given by --out (refused without it)",
    )


def add_run_options(parser: argparse.ArgumentParser, **helps: str) -> None:
    """Replications plus :func:`add_worker_options` (``helps``: its help texts)."""
    parser.add_argument(
        "--replications", type=integer(1), help="independent worlds (default: the scenario's)"
    )
    add_worker_options(parser, **helps)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The replication settings of :func:`add_run_options`, as API keywords."""
    return {
        "replications": args.replications,
        "seed": args.seed,
        "jobs": args.jobs,
        "progress": not args.no_progress,
    }


def out_folder(args: argparse.Namespace, label: str) -> Path:
    """The results folder (``--out``, else ``results/<label>-<timestamp>``), checked for writing.

    Raises:
        BadInput: see :func:`sim.runs.outputs.check_out`.
    """
    from sim.runs.outputs import check_out, default_out_dir

    out: Path = args.out or default_out_dir(label)
    check_out(out, args.overwrite)
    return out


def emit(args: argparse.Namespace, data: dict[str, Any], table: str, out: Path | None) -> None:
    """Print JSON (``--json``) or the table, and where the results were written."""
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
        return
    print(table)
    if out is not None:
        print(f"\nresults written to {out}/")


def add_posterior_options(parser: argparse.ArgumentParser) -> None:
    """``--posterior DIR`` and ``--posterior-draws K``: run over a calibration's posterior."""
    parser.add_argument(
        "--posterior",
        type=Path,
        metavar="DIR",
        help="a calibration folder: use --posterior-draws draws of its posterior (run, "
        "compare: each on --replications worlds of its own, and net lift's interval includes "
        "parameter uncertainty; optimize: the robust CVaR ensemble)",
    )
    parser.add_argument(
        "--posterior-draws", type=integer(2), default=8, help="posterior draws (default 8)"
    )


def posterior_assumptions(args: argparse.Namespace) -> list[dict[str, float]] | None:
    """The parameter sets of ``--posterior`` (``None`` without it)."""
    if args.posterior is None:
        return None
    from sim.calibration.output import read_posterior  # the simulator loads only when asked

    return read_posterior(args.posterior, args.posterior_draws)


def uncertainty_line(split: Any) -> str:
    """One line on net lift over the posterior: its interval and where its variance comes from."""
    if split is None:
        return ""
    data = split.as_dict()
    low, high = data["ci_low"], data["ci_high"]
    interval = f" [{low:,.0f}, {high:,.0f}]" if low is not None else ""
    return (
        f"\nwith parameter uncertainty ({data['draws']} posterior draws x "
        f"{data['replications_per_draw']} replications): net lift {data['mean']:,.0f}{interval} "
        f"(95% interval); {data['parameter_share']:.0%} of its variance comes from the "
        f"parameters, {data['noise_share']:.0%} from simulation noise"
    )
