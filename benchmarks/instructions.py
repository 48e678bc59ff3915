"""Instructions per paired replication, counted by Valgrind: a timing-free measure.

On a shared machine whose speed changes by itself (see
:func:`benchmarks.core.host_loop_ms`), wall and CPU times of one change and
the next cannot be told apart within 20 %. Instruction counts can: they are
the same run after run. This script counts the instructions of a process
that runs ``--replications`` paired replications of 1,000 partners after a
warm-up, minus those of the same process running none (imports, warm-up),
per replication. The replications run in batches of ``--batch``, by default
as ``partnerlab run`` batches them (:func:`sim.runs.runner.batches`); ``--batch 1``
counts a replication run alone.

Valgrind emulates a CPU without AVX-512, so numpy's vectorized math takes
other code paths than on the real machine: compare counts with counts, not
with times. Needs ``valgrind`` on the PATH (Debian: ``apt-get install valgrind``).

Usage::

    .venv/bin/python benchmarks/instructions.py [--design quickstart|every]
        [--replications 8] [--batch N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sim.runs.runner import batches

ROOT = Path(__file__).resolve().parents[1]

#: The measured child: a warm-up replication, then ``replications`` more.
CHILD = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.core import QUICKSTART, population
from benchmarks.run import every_mechanic
from sim import load_scenario
from sim.runs.runner import run_replications
if {design!r} == "quickstart":
    scenario = load_scenario(QUICKSTART, population(1000))
else:
    scenario = every_mechanic(1000)
arms = {{"baseline": scenario.baseline, "design": scenario.design}}
run_replications(scenario, arms, scenario.seed, [0])
ids = list(range(1, {replications} + 1))
for first in range(0, len(ids), {batch}):
    run_replications(scenario, arms, scenario.seed, ids[first : first + {batch}])
"""


def instructions(design: str, replications: int, batch: int) -> int:
    """Instructions Valgrind counts for the child running ``replications`` after the warm-up."""
    code = CHILD.format(root=str(ROOT), design=design, replications=replications, batch=batch)
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-c",
        code,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", choices=("quickstart", "every"), default="quickstart")
    parser.add_argument("--replications", type=int, default=8, help="replications counted")
    parser.add_argument(
        "--batch", type=int, default=None, help="replications per batch (default: the runner's)"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("benchmarks/instructions.py: valgrind is not installed (apt-get install valgrind)")
    if args.replications < 1 or (args.batch is not None and args.batch < 1):
        sys.exit("benchmarks/instructions.py: --replications, --batch: expected positive integers")
    batch = args.batch or len(batches(range(args.replications), 1000, 2, jobs=1)[0])
    counted = instructions(args.design, args.replications, batch) - instructions(
        args.design, 0, batch
    )
    per_replication = counted / args.replications / 1e6
    print(
        f"{args.design}: {per_replication:.0f} M instructions per paired replication "
        f"(batches of {batch})"
    )


if __name__ == "__main__":
    main()
