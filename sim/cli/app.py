"""The ``app`` subcommand: serve the what-if page on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import EXIT_OK, integer


def register(commands: Any) -> None:
    """Add ``app`` to the ``partnerlab`` subcommands."""
    app = commands.add_parser(
        "app",
        help="explore designs in a web page (edit, run, compare, download)",
        description="Serve a local web page to pick a scenario, edit its design, run it and "
        "compare designs on the same worlds. Listens on 127.0.0.1 unless --host says otherwise.",
    )
    app.add_argument(
        "scenario", type=Path, nargs="?", help="scenario YAML to start with (default: quickstart)"
    )
    app.add_argument("--port", type=port, default=8765, help="port to listen on (default 8765)")
    app.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only)",
    )
    app.set_defaults(handler=cmd_app)


def port(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    value = integer(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def cmd_app(args: argparse.Namespace) -> int:
    """``partnerlab app``: check the scenario, then serve the page until interrupted."""
    # Imported here, so that the command line starts without the simulator or Solara.
    from sim.app.server import serve
    from sim.scenario.loading import load_scenario

    if args.scenario is not None:
        load_scenario(args.scenario)  # bad input exits 2 before the server starts
    print(f"partnerlab app: open http://{args.host}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr)
    serve(args.scenario, args.host, args.port)
    return EXIT_OK
