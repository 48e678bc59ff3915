"""Worker processes that exit when the process that started them dies.

Left alone, a pool's workers outlive a parent killed with ``SIGKILL`` (or
by the out-of-memory killer): loky's workers, and the worker processes of
``optimize --jobs`` with their fork server, go on computing for nobody. Every
pool partnerlab starts therefore runs :func:`exit_with_parent` in each worker
as it starts (the pool's initializer), with :func:`tie` evaluated in the
parent. In the worker it

* asks Linux to kill the worker when its parent dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), when the parent is the owner and
  started the pool from its main thread (the kernel sends the signal when the
  *thread* that forked the worker ends, so a pool made from a short-lived
  thread must not use it);
* everywhere, watches from a daemon thread, every :data:`POLL_SECONDS`, that
  the owner is alive and that the worker still has the parent it started
  with (an orphan is re-parented), and ends the worker at once otherwise.

Dask's worker processes need none of this: a Dask nanny's worker exits by
itself when its parent goes away.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from joblib import parallel_config

#: How often a worker checks that its parent is alive, seconds.
POLL_SECONDS = 1.0
#: ``prctl`` option that sets the signal sent on the parent's death (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
#: Exit status of a worker that ends because its parent died (as if killed by SIGKILL).
ORPHAN_EXIT = 128 + signal.SIGKILL

#: The process whose lifeline is running (a forked child inherits the flag, not the thread).
_watching_in: int | None = None


def dead(pid: int) -> bool:
    """Whether no live process has this id (a zombie, dead but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"


def tie() -> tuple[int, bool]:
    """Arguments for :func:`exit_with_parent`, taken in the parent that starts a pool.

    Returns:
        This process's id, and whether this is its main thread (which lives as
        long as the process, so the kernel's parent-death signal is safe).
    """
    return os.getpid(), threading.current_thread() is threading.main_thread()


def _kill_on_parent_death() -> None:
    """Ask Linux to send this process SIGKILL when its parent dies (elsewhere, nothing)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(owner: int, parent: int) -> None:
    """End this process once the owner is dead or this process has lost its parent."""
    while not (dead(owner) or os.getppid() != parent):
        time.sleep(POLL_SECONDS)
    os._exit(ORPHAN_EXIT)


def exit_with_parent(owner: int, main_thread: bool) -> None:
    """Make this worker process exit within :data:`POLL_SECONDS` of its owner's death.

    Call it first thing in a worker (a pool's initializer), with :func:`tie`
    taken in the owner. Calling it again in the same process does nothing.

    Args:
        owner: the process the worker works for (its parent, or its parent's
            parent when a fork server forks the workers).
        main_thread: whether the owner started the pool from its main thread.
    """
    global _watching_in
    if _watching_in == os.getpid():
        return
    _watching_in = os.getpid()
    parent = os.getppid()
    if parent == owner and main_thread:
        _kill_on_parent_death()
    if dead(owner) or os.getppid() != parent:  # died before the signal was asked for
        os._exit(ORPHAN_EXIT)
    threading.Thread(target=_watch, args=(owner, parent), name="lifeline", daemon=True).start()


@contextmanager
def tied_loky() -> Iterator[None]:
    """Configure joblib's loky backend so that its workers run :func:`exit_with_parent`.

    A ``joblib.Parallel`` made inside the block keeps the backend when it runs later.
    """
    with parallel_config(backend="loky", initializer=exit_with_parent, initargs=tie()):
        yield
