"""What ``sweep`` and ``sensitivity`` share: the backend options, and calling the API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimize.choices import BACKENDS
from sim.cli.options import BadInput, add_run_options, integer

if TYPE_CHECKING:
    from optimize.sweeps.sweep import SweepResult
    from sim.scenario.schema import Scenario


def add_sweep_parser(
    commands: Any, name: str, summary: str, description: str, param: tuple[str, str]
) -> argparse.ArgumentParser:
    """A subcommand over a scenario file with repeatable ``--param`` (metavar, help)."""
    parser = commands.add_parser(
        name, help=summary, description=description, conflict_handler="resolve"
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    metavar, text = param
    parser.add_argument(
        "--param", dest="params", action="append", default=[], metavar=metavar, help=text
    )
    return parser


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--scheduler`` and ``--chunk-size``, plus the run options."""
    add_run_options(parser)
    parser.add_argument(  # replaces the run options' --out: a sweep's folder is found again
        "--out",
        type=Path,
        help="results folder; the same command resumes there, --overwrite starts it over "
        "(default: results/<name>-<command>-<hash of what decides the numbers>)",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="loky",
        help="loky: local processes (--jobs); dask: a Dask cluster (results do not change)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786 (default with --backend dask: a "
        "LocalCluster of --jobs workers, started and closed here)",
    )
    parser.add_argument(
        "--chunk-size", type=integer(1), help="points per task (default: automatic, at most 8)"
    )


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_backend_options`, as API keywords."""
    if args.scheduler is not None and args.backend != "dask":
        raise BadInput("--scheduler: needs --backend dask")
    return {
        "replications": args.replications,
        "seed": args.seed,
        "out": args.out,
        "jobs": args.jobs,
        "backend": args.backend,
        "scheduler": args.scheduler,
        "chunk_size": args.chunk_size,
        "progress": not args.no_progress,
        "argv": sys.argv,
        "overwrite": args.overwrite,
    }


def call[T](
    args: argparse.Namespace, run: Callable[..., T], scenario: Scenario, **kwargs: Any
) -> T:
    """Call the API; an unreachable scheduler is bad input (exit 2)."""
    from optimize.sweeps.runner import SchedulerUnreachable

    try:
        return run(scenario, **kwargs, **backend_options(args))
    except SchedulerUnreachable as error:
        raise BadInput(f"--scheduler {args.scheduler}: {error}") from None


def write_summary(run: SweepResult, data: dict[str, Any]) -> None:
    """Write ``summary.json`` into the sweep's folder and list it in the manifest."""
    from optimize.sweeps.store import SweepStore
    from sim.runs.store import write_json

    write_json(run.out / "summary.json", data)
    SweepStore(run.out).seal()


def report_progress(label: str, run: SweepResult) -> None:
    """Say on stderr how many points were reused and how fast the rest ran."""
    speed = f" ({run.points_per_second:.2f} points/s)" if run.points_per_second else ""
    print(
        f"{label}: {len(run.points)} points; {run.reused} reused from {run.out}, "
        f"{run.computed} computed in {run.seconds:.1f} s{speed}",
        file=sys.stderr,
    )
