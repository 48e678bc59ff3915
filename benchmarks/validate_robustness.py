"""Does ``partnerlab validate`` pass beyond its default world? Seeds 1-10 and 300-5,000 partners.

Runs every behavioural check (``sim.checks``) in the default world at each
seed of ``--seeds`` (600 partners) and at each size of ``--partners`` (seed
0), and prints one line per world and check: PASS or FAIL, the replications
the check used, and each figure with its 95% CI. The last line counts the
worlds where every check passed; the exit code is 1 if any check failed.

Usage::

    .venv/bin/python benchmarks/validate_robustness.py [--seeds 1-10]
        [--partners 300,1000,2000,5000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from sim.checks.base import Setup
from sim.checks.catalog import CHECKS


def _numbers(text: str) -> list[int]:
    """``1-10`` or ``300,1000``: the integers named."""
    out: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        out += list(range(int(low), int(high or low) + 1))
    return out


def worlds(seeds: list[int], partners: list[int]) -> list[tuple[int, int]]:
    """(seed, partners) of every world to check: each seed at 600 partners, each size at seed 0."""
    return [(seed, 600) for seed in seeds] + [(0, n) for n in partners]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=_numbers, default=_numbers("1-10"))
    parser.add_argument("--partners", type=_numbers, default=[300, 1000, 2000, 5000])
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for seed, partners in worlds(args.seeds, args.partners):
        setup = Setup.default(partners=partners, seed=seed)
        for check in CHECKS:
            started = time.process_time()
            result = check(setup)
            seconds = time.process_time() - started
            mark = "PASS" if result.passed else "FAIL"
            print(
                f"seed {seed:>2} partners {partners:>5}  {mark}  {result.name:<20} "
                f"{result.replications:>2} reps {seconds:6.1f} s CPU  {result.figure}",
                flush=True,
            )
            rows.append(
                {"seed": seed, "partners": partners, "cpu_seconds": seconds} | result.as_dict()
            )
    failed = sorted({(r["seed"], r["partners"]) for r in rows if not r["passed"]})
    total = len(worlds(args.seeds, args.partners))
    print(
        f"\n{total - len(failed)} of {total} worlds pass every check; failing: {failed or 'none'}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
