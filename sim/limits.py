"""Upper bounds on the size of a job, and how to go past them on purpose.

A job past a limit stops before any work, with one line (exit code 2) that
gives the limit and the environment variable that raises it::

    partnerlab: error: --replications: expected at most 10,000 replications (or simulated
    pilots), got 1,000,000,000 (a limit: set PARTNERLAB_MAX_REPLICATIONS=1000000000 to go
    past it on purpose)

(one line on the terminal). The limits are partners in a world, replications
(and simulated pilots), the horizon in weeks, points of a sweep, worker
processes (the cores this process may use) and memory (what the machine has
available, against an estimate of what the job will hold). Each is read from
its environment variable when it is checked, so a shell, a test or a notebook
can raise one for one command. ``docs/scenarios.md`` (section "Limits")
lists them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import ScenarioError

#: The one phrase every refused job ends with, so users learn it once.
HOW = "(a limit: set {env}={wanted} to go past it on purpose)"


def cores() -> int:
    """The CPU cores this process may use: its CPU affinity, within a cgroup CPU quota."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


@dataclass(frozen=True)
class Limit:
    """A count a job may not exceed unless its environment variable says so.

    Attributes:
        env: the environment variable that sets it, e.g. ``PARTNERLAB_MAX_PARTNERS``.
        unit: what is counted, as it reads after a number ("partners in a world").
        default: the limit when the variable is not set.
    """

    env: str
    unit: str
    default: Callable[[], int]

    def value(self) -> int:
        """The limit in force: the environment variable's, else the default.

        Raises:
            ScenarioError: the variable is set to something other than a positive whole number.
        """
        text = os.environ.get(self.env, "").strip()
        if not text:
            return self.default()
        if not re.fullmatch(r"[0-9][0-9_]*", text) or int(text) < 1:
            raise ScenarioError(f"{self.env}={text!r}", "", "expected a positive whole number")
        return int(text)

    def excess(self, count: int) -> str | None:
        """Why ``count`` is past the limit (``expected at most ...``), or ``None`` if it is not."""
        limit = self.value()
        if count <= limit:
            return None
        return f"expected at most {limit:,} {self.unit}, got {count:,} " + HOW.format(
            env=self.env, wanted=count
        )

    def check(self, count: int, where: str) -> None:
        """Refuse ``count`` past the limit, naming ``where`` it was asked for.

        Raises:
            ScenarioError: ``count`` is past the limit.
        """
        problem = self.excess(count)
        if problem is not None:
            raise ScenarioError(where, "", problem)


PARTNERS = Limit("PARTNERLAB_MAX_PARTNERS", "partners in a world", lambda: 1_000_000)
REPLICATIONS = Limit(
    "PARTNERLAB_MAX_REPLICATIONS", "replications (or simulated pilots)", lambda: 10_000
)
HORIZON_WEEKS = Limit("PARTNERLAB_MAX_HORIZON_WEEKS", "weeks", lambda: 520)
SWEEP_POINTS = Limit("PARTNERLAB_MAX_SWEEP_POINTS", "points", lambda: 10_000)
JOBS = Limit("PARTNERLAB_MAX_JOBS", "worker processes (the cores available)", cores)
HISTORY_BYTES = Limit(
    "PARTNERLAB_MAX_HISTORY_BYTES", "bytes of partner history file", lambda: 2 * 2**30
)

MEMORY_ENV = "PARTNERLAB_MAX_MEMORY"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


def workers(jobs: int, where: str = "--jobs") -> int:
    """The worker processes ``jobs`` asks for (-1: one per core), checked against the cores.

    Raises:
        ScenarioError: ``jobs`` is 0 or below -1, or more than the cores available.
    """
    if jobs == 0 or jobs < -1:
        raise ScenarioError(where, "", f"expected a positive number of processes or -1, got {jobs}")
    count = cores() if jobs == -1 else jobs
    JOBS.check(count, where)
    return count


def size(count: float) -> str:
    """Bytes for people: ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def available_memory() -> int | None:
    """Bytes this process can still allocate: the kernel's estimate, within a cgroup limit.

    ``None`` where neither is known (not on Linux): the memory check is skipped.
    """
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        top = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if top != "max":
            found.append(max(0, int(top) - int(used)))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def memory_limit() -> int | None:
    """The memory a job may take: ``PARTNERLAB_MAX_MEMORY`` (``64G``, bytes), else what is free.

    Raises:
        ScenarioError: the variable is not a size.
    """
    text = os.environ.get(MEMORY_ENV, "").strip()
    if not text:
        return available_memory()
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([KMGTP]?)(?:i?B)?", text, re.IGNORECASE)
    if match is None or float(match[1]) <= 0:
        raise ScenarioError(
            f"{MEMORY_ENV}={text!r}", "", "expected a size such as 64G, 512M or bytes"
        )
    return int(float(match[1]) * _UNITS[match[2].upper()])


def check_memory(needed: int, what: str) -> None:
    """Refuse a job whose memory estimate ``needed`` exceeds the memory it may take.

    Args:
        needed: estimated peak bytes of the job, every process included.
        what: the job, as the error names it ("this run", "--partners 1000000").

    Raises:
        ScenarioError: the estimate is above the limit.
    """
    limit = memory_limit()
    if limit is None or needed <= limit:
        return
    wanted = f"{math.ceil(needed / 2**30)}G"
    source = "set" if os.environ.get(MEMORY_ENV, "").strip() else "available"
    raise ScenarioError(
        what,
        "",
        f"expected to need about {size(needed)} of memory, but {size(limit)} "
        f"{'is' if source == 'set' else 'are'} {source}; use fewer partners, replications "
        f"or --jobs {HOW.format(env=MEMORY_ENV, wanted=wanted)}",
    )
