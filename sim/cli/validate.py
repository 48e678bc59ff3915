"""The ``validate`` subcommand: run the behavioural checks and report each one."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from sim.cli.options import EXIT_FAILURE, EXIT_OK, emit, integer

if TYPE_CHECKING:
    from sim.checks.base import Check


def register(commands: Any) -> None:
    """Add ``validate`` to the ``partnerlab`` subcommands."""
    parser = commands.add_parser(
        "validate",
        help="check the model against the empirical findings",
        description="Run one named check per empirical finding (docs/model.md), each comparing "
        "designs under common random numbers. Exit code 0 only if every check passes.",
    )
    parser.add_argument("--seed", type=integer(0), default=0, help="root random seed")
    parser.add_argument("--partners", type=integer(60), default=600, help="partners per world")
    parser.add_argument(
        "--replications", type=integer(1), default=3, help="paired worlds per check"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """``partnerlab validate``: every check, its figure and its pass condition."""
    # Imported here, so that the command line starts without the simulator.
    from tqdm import tqdm

    from sim.checks.base import Setup
    from sim.checks.catalog import CHECKS

    setup = Setup(seed=args.seed, partners=args.partners, replications=args.replications)
    bar = tqdm(CHECKS, desc="checks", file=sys.stderr, disable=args.no_progress, leave=False)
    checks = [check(setup) for check in bar]
    passed = all(c.passed for c in checks)
    data = {"checks": [c.as_dict() for c in checks], "passed": passed}
    emit(args, data, _table(checks, passed), None)
    return EXIT_OK if passed else EXIT_FAILURE


def _table(checks: list[Check], passed: bool) -> str:
    lines = []
    for check in checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(f"{mark}  {check.name} (fact {check.fact})")
        lines.append(f"      measured: {check.figure}")
        lines.append(f"      expected: {check.expected}")
    count = sum(c.passed for c in checks)
    lines.append(f"\n{count} of {len(checks)} checks passed" + ("" if passed else " - FAILED"))
    return "\n".join(lines)
