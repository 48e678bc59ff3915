"""The ``partnerlab`` command line.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file, the
field and what was expected); 1 unexpected failure. Results go to stdout
(a table, or JSON with ``--json``); progress and logs go to stderr. Set
``PARTNERLAB_DEBUG=1`` to see a traceback on unexpected failures.

Each subcommand is registered by the package that owns it (see ``sim.cli``).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import optimize.optimize_command
import optimize.sweep_command
import sim.commands
import sim.pilot_command
import sim.report_command
import sim.validate_command
from sim.cli import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput, Parser
from sim.loading import ScenarioError

#: Modules whose ``register(commands)`` adds subcommands, in help order.
COMMANDS = (
    sim.commands,
    sim.validate_command,
    sim.pilot_command,
    sim.report_command,
    optimize.optimize_command,
    optimize.sweep_command,
)


def build_parser() -> Parser:
    """The argument parser for every subcommand."""
    parser = Parser(
        prog="partnerlab", description="Simulate and optimize B2B partner incentive programs."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(commands)
    return parser


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
