"""The ``optimize`` subcommand: search a scenario's ``search:`` space with Optuna."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from optimize.choices import DEFAULT_TRIALS, SAMPLERS
from sim.cli.options import (
    EXIT_OK,
    BadInput,
    add_posterior_options,
    add_run_options,
    emit,
    integer,
    out_folder,
    posterior_assumptions,
)


def seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def register(commands: Any) -> None:
    """Add ``optimize`` to the ``partnerlab`` subcommands."""
    parser = commands.add_parser(
        "optimize",
        help="search designs for the highest net lift (Optuna)",
        description="Search the design parameters of a scenario's search: section for the "
        "highest simulated net lift under its constraints, then re-check the best design "
        "on fresh replications. Re-running with the same study and storage resumes it.",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file with a search: section")
    add_run_options(
        parser,
        jobs_help="worker processes sharing the storage; -1 for one per core",
        out_help="results folder (default: results/<name>-optimize-<timestamp>)",
    )
    parser.add_argument(
        "--trials",
        type=integer(1),
        help=f"new trials to run (default {DEFAULT_TRIALS}, or unlimited with --timeout)",
    )
    parser.add_argument("--timeout", type=seconds, help="stop starting trials after S seconds")
    parser.add_argument(
        "--storage",
        help="Optuna storage: a database URL (sqlite:///..., postgresql://...), a .db file or a "
        "journal file (default results/optuna.db; results/optuna.journal with --jobs > 1)",
    )
    parser.add_argument("--study", help="study name (default: the scenario's name)")
    parser.add_argument(
        "--sampler", choices=SAMPLERS, help="Optuna sampler (default: search.sampler, else tpe)"
    )
    parser.add_argument(
        "--held-out",
        type=integer(0),
        help="fresh worlds for the held-out check (default: search.held_out; 0 skips it)",
    )
    parser.add_argument("--report", action="store_true", help="also write OUT/report.html")
    add_posterior_options(parser)
    parser.set_defaults(handler=cmd_optimize)


def cmd_optimize(args: argparse.Namespace) -> int:
    """``partnerlab optimize``: run (or resume) a study and write its results folder."""
    # Imported here, so that the command line starts without Optuna and the simulator.
    from optimize.search.optimizer import optimize
    from optimize.search.output import save_result
    from optimize.search.settings import BadSetting
    from sim.scenario.loading import load_scenario

    name = load_scenario(args.scenario, args.overrides).name  # checked before any work
    out = out_folder(args, f"{name}-optimize")
    try:
        result = optimize(
            args.scenario,
            overrides=args.overrides,
            trials=args.trials,
            timeout=args.timeout,
            storage=args.storage,
            study=args.study,
            jobs=args.jobs,
            sampler=args.sampler,
            replications=args.replications,
            seed=args.seed,
            held_out=args.held_out,
            progress=not args.no_progress,
            posterior=posterior_assumptions(args),
        )
    except BadSetting as error:
        raise BadInput(f"partnerlab optimize: {error}") from None
    best_path = save_result(result, out, sys.argv, args.overwrite)
    if args.report:
        from sim.report.html import write_report  # matplotlib loads only when asked

        write_report(out)
    shown = str(best_path) if best_path else None
    emit(args, result.to_json(shown), result.table(shown), out)
    return EXIT_OK
