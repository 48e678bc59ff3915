"""Running sweep points in chunks on joblib's loky backend or on a Dask cluster.

The unit of work is a chunk of points. A chunk runs every replication of each
of its points paired against the baseline, with common random numbers: the
same replication ids for every point, so replication ``r`` is the same world
and the same draws wherever and whenever it runs. Points of a chunk that share
a world (a sweep over design levers only) share its baseline run too, which
roughly halves the work; sharing changes no number, because the baseline of
replication ``r`` is a function of (world, seed, ``r``) alone.

Each point's numbers are exactly those of ``partnerlab run`` on its scenario:
the same runner (:func:`sim.runs.runner.run_replications`) and the same tables.

Chunks are handed out lazily (joblib dispatches a few ahead of the workers)
and come back in any order; the caller writes each one as it arrives. Workers
return data and never touch the results folder, so a Dask cluster needs no
shared file system.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import batched
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from tqdm import tqdm

from optimize.choices import BACKENDS, Backend
from sim.runs.lifeline import tied_loky
from sim.runs.results import paired_differences, summarize, tables
from sim.runs.runner import ReplicationOutput, batches, run_replications
from sim.scenario.schema import Scenario

#: Per-point summary metrics, in column order (mean, then ``_ci_low`` and ``_ci_high``).
SUMMARY_METRICS = (
    "net_lift",
    "incremental_gross_profit",
    "incremental_cost",
    "roi",
    "incremental_revenue",
    "incremental_pipeline",
    "incremental_pipeline_value",
    "net_lift_with_pipeline",
)
#: Largest automatic chunk: bigger chunks share more baselines but balance worse.
MAX_CHUNK = 8


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler given by address did not answer."""


@dataclass(frozen=True)
class PointTask:
    """One point to run: its id, its parameter values and its validated scenario."""

    point: int
    values: dict[str, Any]
    scenario: Scenario


def _world_groups(tasks: Sequence[PointTask]) -> list[list[PointTask]]:
    """Tasks grouped by world (everything but the design equal), in order."""
    groups: list[tuple[dict[str, Any], list[PointTask]]] = []
    for task in tasks:
        key = task.scenario.world_key()
        for known, members in groups:
            if known == key:
                members.append(task)
                break
        else:
            groups.append((key, [task]))
    return [members for _, members in groups]


def _paired(outputs: Sequence[ReplicationOutput], label: str) -> pd.DataFrame:
    """Paired differences of one point, computed exactly as ``partnerlab run`` does.

    The tables hold only this point's design and the baseline, so the numbers
    do not depend on which other points shared its chunk.
    """
    pairs = [
        ReplicationOutput(
            out.replication,
            {"baseline": out.arms["baseline"], "design": out.arms[label]},
            out.archetypes,
            out.bands,
        )
        for out in outputs
    ]
    _, segments, _ = tables(pairs)
    return paired_differences(segments, "design")


def _summary_row(task: PointTask, diff: pd.DataFrame) -> dict[str, Any]:
    row: dict[str, Any] = {"point": task.point, **task.values}
    for name, est in summarize(diff).items():
        if name in SUMMARY_METRICS:
            row[name] = np.nan if est.mean is None else est.mean
            row[f"{name}_ci_low"] = np.nan if est.ci_low is None else est.ci_low
            row[f"{name}_ci_high"] = np.nan if est.ci_high is None else est.ci_high
    return row


def run_chunk(
    tasks: Sequence[PointTask], replications: Sequence[int], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a chunk of points; returns its rows and its point summaries.

    Rows: one per (point, replication), with the point's parameter values and
    the paired differences of :func:`sim.runs.results.paired_differences`. Point
    summaries: one per point, the mean and 95% CI of each metric over
    replications (:func:`sim.runs.results.summarize`).
    """
    rows, points = [], []
    for group in _world_groups(tasks):
        base = group[0].scenario
        arms = {"baseline": base.baseline} | {str(t.point): t.scenario.design for t in group}
        partners = sum(base.population.partners.values())
        outputs = [
            output
            for batch in batches(replications, partners, len(arms), jobs=1)
            for output in run_replications(base, arms, seed, batch)
        ]
        for task in group:
            diff = _paired(outputs, str(task.point))
            frame = diff.reset_index()
            frame.insert(0, "point", task.point)
            for offset, (path, value) in enumerate(task.values.items(), start=1):
                frame.insert(offset, path, value)
            rows.append(frame)
            points.append(_summary_row(task, diff))
    ordered = sorted(rows, key=lambda f: int(f["point"].iloc[0]))
    summary = pd.DataFrame(points).sort_values("point", ignore_index=True)
    return pd.concat(ordered, ignore_index=True), summary


def auto_chunk(points: int, workers: int) -> int:
    """About four chunks per worker, at most :data:`MAX_CHUNK` points each."""
    return max(1, min(MAX_CHUNK, -(-points // max(1, 4 * workers))))


@contextmanager
def backend(name: Backend, jobs: int, scheduler: str | None = None) -> Iterator[tuple[int, int]]:
    """Configure joblib for ``name``; yields (n_jobs for ``Parallel``, worker count).

    ``loky``: ``jobs`` local processes, which exit when this process dies
    (:mod:`sim.runs.lifeline`). ``dask``: the Dask cluster at ``scheduler``,
    or a ``LocalCluster`` of ``jobs`` worker processes (one thread each)
    started here and closed on exit (Dask ends them if this process dies).
    How long to try to reach a scheduler is Dask's
    ``distributed.comm.timeouts.connect`` setting (30 s).

    Raises:
        ValueError: an unknown backend, or a scheduler without the dask backend.
        SchedulerUnreachable: the scheduler does not answer.
    """
    if name not in BACKENDS:
        raise ValueError(f"expected a backend in {list(BACKENDS)}, got {name!r}")
    if name == "loky":
        if scheduler is not None:
            raise ValueError("a scheduler address needs the dask backend")
        with tied_loky():
            yield jobs, (os.cpu_count() or 1) if jobs == -1 else jobs
        return
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        workers = (os.cpu_count() or 1) if jobs == -1 else jobs
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: several clusters may run at once
            silence_logs=logging.ERROR,
        )
    try:
        try:
            client = Client(cluster or scheduler, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler ({error})") from None
        with client, parallel_config(backend="dask", client=client):
            yield -1, max(1, len(client.scheduler_info()["workers"]))
    finally:
        if cluster is not None:
            cluster.close()


def run_tasks(
    tasks: Iterable[PointTask],
    total: int,
    replications: Sequence[int],
    seed: int,
    write: Callable[[pd.DataFrame, pd.DataFrame], None],
    *,
    jobs: int = 1,
    backend_name: Backend = "loky",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> None:
    """Run ``total`` point tasks in chunks and ``write`` each chunk as it completes."""
    if total == 0:
        return
    with backend(backend_name, jobs, scheduler) as (n_jobs, workers):
        size = chunk_size or auto_chunk(total, workers)
        calls = (delayed(run_chunk)(chunk, replications, seed) for chunk in batched(tasks, size))
        results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)
        with tqdm(
            total=total,
            desc="points",
            unit="pt",
            file=sys.stderr,
            disable=not progress,
            leave=False,
        ) as bar:
            for rows, points in results:
                write(rows, points)
                bar.update(len(points))
