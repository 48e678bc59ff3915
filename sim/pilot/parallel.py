"""Pilot tasks in parallel: joblib processes tied to this one, one BLAS thread per task, progress.

Simulated pilots and experiment matrices run one task per world, in call
order; each task's many small least-squares fits keep to one BLAS thread, so
that the tasks, not the fits, share the cores.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from sim.runs.lifeline import tied_loky


def single_threaded(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` with one BLAS thread.

    A task's many small least-squares fits run many times slower when OpenBLAS
    spreads each over the cores that the tasks themselves occupy.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return function(*args)


def parallel(
    calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
    jobs: int,
    progress: bool,
    label: str,
) -> list[Any]:
    """Run ``function(*args)`` for each call, in ``jobs`` processes (joblib), in call order.

    The workers exit when this process dies (:mod:`sim.runs.lifeline`).
    """
    results: Iterator[Any]
    if jobs == 1:
        results = (single_threaded(function, *args) for function, args in calls)
    else:
        with tied_loky():
            results = Parallel(n_jobs=jobs, return_as="generator")(
                delayed(single_threaded)(function, *args) for function, args in calls
            )
    bar = tqdm(
        results, total=len(calls), desc=label, file=sys.stderr, disable=not progress, leave=False
    )
    return list(bar)
