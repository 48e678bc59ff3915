"""The ``sweep`` and ``sensitivity`` subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from optimize.sensitivity import INDEX_COLUMNS, SensitivityResult, read_section, sensitivity
from optimize.sweep import TABLE_ROWS, SweepResult, json_scalar, sweep
from optimize.sweep_design import DESIGNS
from optimize.sweep_runner import BACKENDS, SchedulerUnreachable
from sim.cli import EXIT_OK, BadInput, add_run_options, emit, integer
from sim.loading import load_scenario
from sim.results import METRIC_INFO, METRICS
from sim.scenario import Scenario
from sim.stats import Estimate
from sim.store import write_json
from sim.tables import fmt, grid


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--scheduler`` and ``--chunk-size``, plus the run options."""
    add_run_options(parser)
    parser.add_argument(  # replaces the run options' --out: a sweep's folder is found again
        "--out",
        type=Path,
        help="results folder; the same command resumes there (default: "
        "results/<name>-<command>-<hash of what decides the numbers>)",
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


def _parser(
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


def register(commands: Any) -> None:
    """Add ``sweep`` and ``sensitivity`` to the ``partnerlab`` subcommands."""
    parser = _parser(
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

    parser = _parser(
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


def _options(args: argparse.Namespace) -> dict[str, Any]:
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
    }


def _run[T](
    args: argparse.Namespace, run: Callable[..., T], scenario: Scenario, **kwargs: Any
) -> T:
    """Call the API; an unreachable scheduler is bad input (exit 2)."""
    try:
        return run(scenario, **kwargs, **_options(args))
    except SchedulerUnreachable as error:
        raise BadInput(f"--scheduler {args.scheduler}: {error}") from None


def _report(label: str, run: SweepResult) -> None:
    """Say on stderr how many points were reused and how fast the rest ran."""
    speed = f" ({run.points_per_second:.2f} points/s)" if run.points_per_second else ""
    print(
        f"{label}: {len(run.points)} points; {run.reused} reused from {run.out}, "
        f"{run.computed} computed in {run.seconds:.1f} s{speed}",
        file=sys.stderr,
    )


def _short_names(paths: Sequence[str]) -> list[str]:
    """The shortest unique dotted suffix of each path (at least two parts)."""
    names = []
    for path in paths:
        parts = path.split(".")
        for size in range(min(2, len(parts)), len(parts) + 1):
            tail = ".".join(parts[-size:])
            unique = sum(p == tail or p.endswith("." + tail) for p in paths) == 1
            if unique and not parts[-size].isdigit():
                break
        names.append(tail)
    return names


def sweep_table(result: SweepResult) -> str:
    """The best points by mean net lift, with 95% CIs."""
    s = result.scenario
    paths = result.design.paths
    top = result.points.sort_values("net_lift", ascending=False, kind="stable").head(TABLE_ROWS)
    rows = []
    for row in top.to_dict(orient="records"):
        values = [format(row[p], "g") if isinstance(row[p], float) else str(row[p]) for p in paths]
        estimates = [
            fmt(
                Estimate(*(json_scalar(row[f"{m}{k}"]) for k in ("", "_ci_low", "_ci_high"))),
                money=METRIC_INFO[m][1] == "$",
            )
            for m in METRICS
        ]
        rows.append([str(int(row["point"])), *values, *estimates])
    header = ["point", *_short_names(paths), "net lift $", "incr. GP $", "incr. cost $", "ROI"]
    shown = "all points" if len(result.points) <= TABLE_ROWS else f"the {TABLE_ROWS} best points"
    title = (
        f"{s.name}: {result.design.kind} sweep of {len(result.points)} points vs baseline: "
        f"{s.baseline.name}\n{int(sum(s.population.partners.values()))} partners, "
        f"{s.horizon_weeks} weeks, {result.replications} replications per point, seed "
        f"{result.seed}; mean [95% CI], design minus baseline; {shown} by net lift"
    )
    return f"{title}\n\n{grid(header, rows, text_columns=1 + len(paths))}"


def cmd_sweep(args: argparse.Namespace) -> int:
    """``partnerlab sweep``: a design of points, each paired against the baseline."""
    if not args.params:
        raise BadInput("sweep: expected at least one --param KEY=SPEC")
    scenario = load_scenario(args.scenario, args.overrides)
    result = _run(
        args, sweep, scenario, params=args.params, design=args.design, samples=args.samples
    )
    _report("sweep", result)
    data = result.to_json()
    write_json(result.out / "summary.json", data)
    emit(args, data, sweep_table(result), result.out)
    return EXIT_OK


def sensitivity_table(result: SensitivityResult) -> str:
    """Parameters ranked by influence, with SALib's 95% half-widths."""
    s = result.sweep.scenario
    columns = INDEX_COLUMNS[result.method]
    rows = []
    for _, row in result.indices.iterrows():
        spec = ".3f" if result.method == "sobol" else ",.0f"
        cells = [format(row[c], spec) if row[c] == row[c] else "n/a" for c in columns]
        rows.append([str(int(row["rank"])), row["parameter"], f"{row['low']:g}..{row['high']:g}"])
        rows[-1] += cells
    title = (
        f"{s.name}: {result.method} sensitivity of mean paired net lift ($), "
        f"{len(result.sweep.points)} samples x {result.sweep.replications} replications, "
        f"seed {result.sweep.seed}\n"
        + (
            "S1: first-order index, ST: total index (shares of variance); _conf: 95% half-width"
            if result.method == "sobol"
            else "mu_star: mean |elementary effect| ($ over the range); mu: mean effect; "
            "sigma: spread (interactions, non-linearity)"
        )
    )
    header = ["rank", "parameter", "range", *columns]
    return f"{title}\n\n{grid(header, rows, text_columns=3)}\nfigure: {result.figure}"


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``partnerlab sensitivity``: Sobol' or Morris indices of net lift."""
    scenario = load_scenario(args.scenario, args.overrides)
    read_section(scenario, str(args.scenario))
    result = _run(
        args,
        sensitivity,
        scenario,
        params=args.params,
        method=args.method,
        samples=args.samples,
        levels=args.levels,
    )
    _report("sensitivity", result.sweep)
    data = result.to_json()
    write_json(result.sweep.out / "summary.json", data)
    emit(args, data, sensitivity_table(result), result.sweep.out)
    return EXIT_OK
