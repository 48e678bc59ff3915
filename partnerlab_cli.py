"""The ``partnerlab`` command line.

Exit codes: 0 success; 2 bad input (one line on stderr naming the file, the
field and what was expected); 1 unexpected failure. Results go to stdout
(a table, or JSON with ``--json``); progress and logs go to stderr. Set
``PARTNERLAB_DEBUG=1`` to see a traceback on unexpected failures.

Each subcommand is a module with ``register(commands)``, which adds its
parser, and a handler; the command line sits on top of ``sim`` and
``optimize``, so this file lists both packages' commands. Command modules
import the simulator only inside their handlers, so ``partnerlab --help``
starts without numpy, pandas, Optuna or matplotlib.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from sim.cli.options import EXIT_BAD_INPUT, EXIT_FAILURE, Parser
from sim.errors import BadInput

#: Modules whose ``register(commands)`` adds subcommands, in help order.
COMMANDS = (
    "sim.cli.run",
    "sim.cli.compare",
    "sim.cli.validate",
    "sim.cli.pilot",
    "sim.cli.matrix",
    "sim.cli.report",
    "sim.cli.export",
    "sim.cli.app",
    "sim.cli.history",
    "sim.cli.calibrate",
    "optimize.cli.optimize",
    "optimize.cli.sweep",
    "optimize.cli.sensitivity",
)


def build_parser() -> Parser:
    """The argument parser for every subcommand."""
    parser = Parser(
        prog="partnerlab", description="Simulate and optimize B2B partner incentive programs."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(name).register(commands)
    return parser


def one_line(text: str) -> str:
    """``text`` on one line: newlines and other unprintable characters written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``partnerlab`` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args))
    except BadInput as error:
        print(f"partnerlab: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("partnerlab: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence, reported as exit 1
        if os.environ.get("PARTNERLAB_DEBUG"):
            traceback.print_exc()
        print(
            f"partnerlab: unexpected failure: {type(error).__name__}: {one_line(str(error))} "
            "(set PARTNERLAB_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
