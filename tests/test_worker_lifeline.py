"""Workers exit within 10 s when only the process that started them is killed.

Each command runs with two workers under a marker in its environment, which
every process it starts inherits; once its workers exist, only the main
process is killed (SIGKILL), and every marked process must be gone 10 s later:
loky workers (run, pilot, sweep), the worker processes of ``optimize --jobs``
and their fork server, a local Dask cluster's workers, and the helper
processes (resource trackers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest
from helpers import PARTNERLAB, ROOT, SCENARIOS, wait_for
from test_optimize import write_scenario

#: Environment variable that marks the processes of one test's command.
MARKER = "PARTNERLAB_TEST_TREE"
#: Seconds within which every worker must have exited.
LIMIT = 10
QUICKSTART = str(SCENARIOS / "quickstart.yaml")
SWEEP = [
    "sweep",
    QUICKSTART,
    "--param",
    "design.mechanics.0.tiers.1.rate=0:0.1:40",
    "--replications",
    "8",
    "--jobs",
    "2",
]
#: Command, a word in the command line of its workers, and how many such processes to wait for.
CASES = {
    "run": (["run", QUICKSTART, "--jobs", "2", "--replications", "400"], "popen_loky_posix", 2),
    "pilot": (
        ["pilot", str(SCENARIOS / "pilot_rebate.yaml"), "--simulations", "400", "--jobs", "2"],
        "popen_loky_posix",
        2,
    ),
    "sweep-loky": (SWEEP, "popen_loky_posix", 2),
    "sweep-dask": ([*SWEEP, "--backend", "dask"], "spawn_main", 2),
    # the fork server and the two workers it forked share its command line
    "optimize": (
        ["optimize", "{scenario}", "--jobs", "2", "--trials", "400", "--held-out", "0"],
        "forkserver",
        3,
    ),
}


def marked(marker: str) -> list[psutil.Process]:
    """Live processes (not zombies) whose environment carries ``marker``."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARKER) == marker:
                if process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def with_word(processes: list[psutil.Process], word: str) -> int:
    """How many of ``processes`` have ``word`` in their command line."""
    count = 0
    for process in processes:
        try:
            count += any(word in part for part in process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return count


def start_marked(command: list[str], cwd: Path) -> tuple[subprocess.Popen, str]:
    marker = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k != "PARTNERLAB_DEBUG"} | {MARKER: marker}
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return process, marker


def kill_and_expect_all_gone(process: subprocess.Popen, marker: str) -> None:
    """SIGKILL only ``process``; every marked process must exit within :data:`LIMIT` s."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=LIMIT)
    wait_for(lambda: not marked(marker), "every worker gone after the parent was killed", LIMIT)


@pytest.mark.parametrize("case", list(CASES))
def test_killing_only_the_main_process_ends_its_workers(tmp_path: Path, case: str) -> None:
    args, word, workers = CASES[case]
    scenario = write_scenario(tmp_path, {}, name="lifeline")
    args = [a.replace("{scenario}", str(scenario)) for a in args]
    extra = ["--storage", str(tmp_path / "s.journal")] if case == "optimize" else []
    command = [str(PARTNERLAB), *args, *extra, "--out", str(tmp_path / "out"), "--no-progress"]
    process, marker = start_marked(command, ROOT)
    try:
        wait_for(
            lambda: with_word(marked(marker), word) >= workers,
            f"{workers} '{word}' processes",
            120,
            process,
        )
    except BaseException:
        process.kill()
        raise
    kill_and_expect_all_gone(process, marker)


#: A parent that starts a child whose lifeline has no help from the kernel (polling only).
PARENT = """
import subprocess, sys
subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]])
"""
CHILD = """
import os, pathlib, sys, threading
from sim.runs.lifeline import exit_with_parent
exit_with_parent(os.getppid(), main_thread=False)
pathlib.Path(sys.argv[1]).touch()
threading.Event().wait()
"""


def test_without_the_kernels_signal_the_watching_thread_ends_an_orphan(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    process, marker = start_marked([sys.executable, "-c", PARENT, CHILD, str(ready)], ROOT)
    wait_for(ready.exists, "the child running", 60, process)
    kill_and_expect_all_gone(process, marker)
