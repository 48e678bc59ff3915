"""The ``validate`` subcommand: run the behavioural checks in a world and report each one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.options import EXIT_FAILURE, EXIT_OK, add_scenario_options, emit, integer
from sim.errors import BadInput

if TYPE_CHECKING:
    from sim.checks.base import Setup
    from sim.checks.figures import Check

#: Partners of the default world.
DEFAULT_PARTNERS = 600


def register(commands: Any) -> None:
    """Add ``validate`` to the ``partnerlab`` subcommands."""
    parser = commands.add_parser(
        "validate",
        help="check the model against the empirical findings",
        description="Run one named check per empirical finding (docs/model.md), each measuring "
        "simulated outcomes of designs on the same worlds, with 95%% confidence intervals; "
        "replications are added until every interval is on one side of its bound. In the "
        "default world, or in SCENARIO's (its population, market and behaviour). "
        "Exit code 0 only if every check passes.",
    )
    parser.add_argument(
        "scenario", type=Path, nargs="?", help="scenario whose world to check (default: built in)"
    )
    parser.add_argument(
        "--partners",
        type=integer(60),
        help=f"partners of the default world (default {DEFAULT_PARTNERS}; not with SCENARIO)",
    )
    parser.add_argument(
        "--seed", type=integer(0), help="root random seed (default: the scenario's, or 0)"
    )
    parser.add_argument(
        "--max-replications",
        type=integer(8),
        default=24,
        help="most replications one check may use (they come 4 at a time)",
    )
    parser.add_argument(
        "--check",
        dest="only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this check (repeatable)",
    )
    add_scenario_options(parser, "behaviour.reseller.movable_share=0")
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """``partnerlab validate``: every check, its figures with CIs and its bounds."""
    # Imported here, so that the command line starts without the simulator.
    from tqdm import tqdm

    from sim.checks.catalog import CHECKS

    names = [check.__name__ for check in CHECKS]
    unknown = [name for name in args.only if name not in names]
    if unknown:
        raise BadInput(f"--check: expected one of {', '.join(names)}; got {unknown[0]!r}")
    setup = _setup(args)
    chosen = [check for check in CHECKS if not args.only or check.__name__ in args.only]
    bar = tqdm(chosen, desc="checks", file=sys.stderr, disable=args.no_progress, leave=False)
    checks = []
    for check in bar:
        bar.set_postfix_str(check.__name__)
        checks.append(check(setup))
    passed = all(c.passed for c in checks)
    world = {
        "scenario": setup.scenario.name,
        "partners": sum(setup.scenario.population.partners.values()),
        "seed": setup.seed,
        "max_replications": setup.most,
    }
    data = {"world": world, "checks": [c.as_dict() for c in checks], "passed": passed}
    emit(args, data, _table(checks, passed, world), None)
    return EXIT_OK if passed else EXIT_FAILURE


def _setup(args: argparse.Namespace) -> Setup:
    """The world to check: the default one of ``--partners``, or SCENARIO's."""
    from sim.checks.base import Setup

    if args.scenario is None:
        if args.overrides:
            raise BadInput("--set: expected a SCENARIO to override")
        partners = args.partners or DEFAULT_PARTNERS
        seed = 0 if args.seed is None else args.seed
        return Setup.default(partners, seed=seed, most=args.max_replications)
    if args.partners is not None:
        raise BadInput(f"--partners: {args.scenario} brings its own population; drop --partners")
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    return Setup(scenario, seed=seed, most=args.max_replications)


def _table(checks: list[Check], passed: bool, world: dict[str, Any]) -> str:
    lines = [
        f"world: {world['scenario']}, {world['partners']} partners, seed {world['seed']}; "
        "figures are means [95% CI] over replications",
        "",
    ]
    for check in checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(f"{mark}  {check.name} (fact {check.fact}, {check.replications} replications)")
        for figure in check.figures:
            estimate = check.estimates[figure.label]
            lines.append(
                f"      {figure.label}: {check.show(figure)}   "
                f"expected {figure.bound.describe(figure.unit)}"
                + ("" if figure.bound.verdict(estimate) is not False else "  <- outside")
            )
    count = sum(c.passed for c in checks)
    lines.append(f"\n{count} of {len(checks)} checks passed" + ("" if passed else " - FAILED"))
    return "\n".join(lines)
