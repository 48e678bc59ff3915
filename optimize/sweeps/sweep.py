"""Parameter sweeps: many variants of a scenario, each paired against its baseline.

A sweep varies scenario fields over a design of points (see
:mod:`optimize.sweeps.design`), runs every point over the same replications
(common random numbers: replication ``r`` is the same world for every point)
and reports, per point, the net lift, incremental gross profit, incremental
cost and ROI with 95% CIs. Results stream to a folder in parquet chunks (see
:mod:`optimize.sweeps.store`); running the same sweep into the same folder
computes only the missing points. Work runs on joblib's loky backend or on a
Dask cluster (:mod:`optimize.sweeps.runner`); the numbers do not depend on
either, nor on the number of jobs.

Example::

    import optimize, seaborn as sns

    result = optimize.sweep(
        "scenarios/quickstart.yaml",
        {"design.mechanics.0.tiers.1.rate": "0:0.1:6",
         "design.mechanics.0.tiers.1.threshold.reseller": [2000, 5000, 10000]},
        replications=4, out="results/silver-sweep",
    )
    sns.lineplot(result.rows, x="design.mechanics.0.tiers.1.rate", y="net_lift",
                 hue="design.mechanics.0.tiers.1.threshold.reseller")
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from optimize.choices import Backend
from optimize.sweeps.design import (
    Design,
    ParamsLike,
    check_params,
    make_design,
    parse_params,
    point_scenario,
)
from optimize.sweeps.runner import MAX_CHUNK, PointTask, run_tasks
from optimize.sweeps.store import SweepStore, config_hash
from sim.limits import REPLICATIONS, SWEEP_POINTS
from sim.runs.footprint import check_parallel, describe, replications_bytes
from sim.runs.outputs import folder_label
from sim.runs.results import METRICS
from sim.runs.store import manifest
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

#: How many points the text table shows (the best by net lift).
TABLE_ROWS = 20


def resolve(scenario: Scenario | str | Path) -> Scenario:
    """A validated scenario, loaded from its file if given a path."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def json_scalar(value: Any) -> Any:
    """A JSON-safe scalar: NaN becomes ``None``, numpy scalars become Python ones."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


@dataclass
class SweepResult:
    """A finished sweep: its design, where it lives, and its per-point summary.

    Attributes:
        points: one row per point: ``point``, one column per parameter path,
            then for each metric its mean (``net_lift``) and 95% CI
            (``net_lift_ci_low``, ``net_lift_ci_high``); ready for seaborn.
        reused: points found finished in ``out`` and not run again.
        computed: points run by this call.
        seconds: wall time of this call's simulation work.
    """

    scenario: Scenario
    design: Design
    seed: int
    replications: int
    out: Path
    reused: int
    computed: int
    seconds: float
    points: pd.DataFrame

    @property
    def rows(self) -> pd.DataFrame:
        """One row per (point, replication): parameters and paired differences (from disk)."""
        return SweepStore(self.out).rows()

    @property
    def points_per_second(self) -> float | None:
        """Points computed per second of wall time by this call (``None`` if none ran)."""
        return self.computed / self.seconds if self.computed and self.seconds > 0 else None

    def best(self) -> dict[str, Any]:
        """The point with the highest mean net lift, as a record."""
        best = self.points.nlargest(1, "net_lift", keep="first")
        return cast(dict[str, Any], best.to_dict(orient="records")[0])

    def records(self) -> list[dict[str, Any]]:
        """Every point as a record (column name -> value)."""
        return cast(list[dict[str, Any]], self.points.to_dict(orient="records"))

    def point_json(self, row: dict[str, Any]) -> dict[str, Any]:
        """One point's parameters and metrics as ``{"mean", "ci_low", "ci_high"}``."""
        out: dict[str, Any] = {
            "point": int(row["point"]),
            "params": {path: json_scalar(row[path]) for path in self.design.paths},
        }
        for name in METRICS:
            out[name] = {
                "mean": json_scalar(row[name]),
                "ci_low": json_scalar(row[f"{name}_ci_low"]),
                "ci_high": json_scalar(row[f"{name}_ci_high"]),
            }
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``partnerlab sweep``."""
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "partners": int(sum(self.scenario.population.partners.values())),
            "horizon_weeks": self.scenario.horizon_weeks,
            "design": self.design.kind,
            "params": [p.describe() for p in self.design.params],
            "points_total": len(self.points),
            "reused": self.reused,
            "computed": self.computed,
            "seconds": round(self.seconds, 3),
            "points_per_second": self.points_per_second,
            "out": str(self.out),
            "best": self.point_json(self.best()),
            "points": [self.point_json(row) for row in self.records()],
        }


def _tasks(
    scenario: Scenario, design: Design, missing: Sequence[int], label: str
) -> Iterator[PointTask]:
    """Point tasks built (and validated) one at a time, as workers ask for them."""
    raw = scenario.model_dump(mode="json")
    table = design.table.set_index("point")
    for point in missing:
        values = {path: json_scalar(table.at[point, path]) for path in design.paths}
        yield PointTask(point, values, point_scenario(raw, values, f"{label} point {point}"))


def run_design(
    scenario: Scenario,
    design: Design,
    *,
    replications: int,
    seed: int,
    out: str | Path | None = None,
    jobs: int = 1,
    backend: Backend = "loky",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    argv: list[str] | None = None,
    label: str = "sweep",
    overwrite: bool = False,
) -> SweepResult:
    """Run (or resume) every point of ``design`` into a results folder.

    Args:
        scenario: the base scenario; each point sets its parameter values on it.
        design: the points (see :mod:`optimize.sweeps.design`).
        replications: replications per point; ids ``0 .. replications - 1``
            for every point (common random numbers).
        seed: root seed of the replications.
        out: results folder (default ``results/<name>-<label>-<config hash>``,
            so the same sweep lands in the same folder and resumes).
        jobs: worker processes for loky (-1: all cores), or Dask workers of
            the ``LocalCluster`` started when ``backend="dask"`` and no
            ``scheduler`` is given.
        backend: ``"loky"`` or ``"dask"``.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://host:8786``.
        chunk_size: points per task (default: about four tasks per worker, at
            most 8 points each).
        progress: progress bar on stderr.
        argv: the command line, recorded in the manifest.
        label: what the folder holds (``sweep``, ``sensitivity``).
        overwrite: replace the results folder at ``out`` (even this sweep's: start over).

    Raises:
        ScenarioError: more points or replications than the limits; with local
            processes, more jobs than cores or more memory than available.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    SWEEP_POINTS.check(len(design), "--param")
    REPLICATIONS.check(replications, "--replications")
    if scheduler is None:  # local processes: loky, or a Dask LocalCluster of --jobs workers
        arms = 1 + min(chunk_size or MAX_CHUNK, len(design))  # a chunk of points shares a pass
        per_process = replications_bytes(scenario, arms, replications, 1)
        jobs = check_parallel(per_process, jobs, describe(scenario, replications, jobs))
    elif jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be a positive number of processes or -1, got {jobs}")
    scenario = scenario.model_copy(update={"replications": replications, "seed": seed})
    config = {
        "scenario": scenario.model_dump(mode="json"),
        "params": [p.describe() for p in design.params],
        "replications": replications,
        "seed": seed,
    }
    digest = config_hash(config, design.table)
    default = Path("results") / f"{folder_label(scenario.name)}-{label}-{digest[:10]}"
    folder = Path(out) if out is not None else default
    store = SweepStore(folder)
    provenance = manifest(label, [scenario], seed, replications, argv) | {
        "config_hash": digest,
        "design": design.kind,
        "params": config["params"],
        "points": len(design),
    }
    done = store.open(provenance, design.table, overwrite)
    missing = [int(p) for p in design.table["point"] if int(p) not in done]
    start = time.perf_counter()
    run_tasks(
        _tasks(scenario, design, missing, label),
        len(missing),
        list(range(replications)),
        seed,
        store.write_chunk,
        jobs=jobs,
        backend_name=backend,
        scheduler=scheduler,
        chunk_size=chunk_size,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    reused = len(design) - len(missing)
    points = store.finish(
        provenance | {"reused": reused, "computed": len(missing), "seconds": round(seconds, 3)}
    )
    return SweepResult(
        scenario, design, seed, replications, folder, reused, len(missing), seconds, points
    )


def sweep(
    scenario: Scenario | str | Path,
    params: ParamsLike,
    *,
    design: str = "grid",
    samples: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    **options: Any,
) -> SweepResult:
    """Sweep scenario fields over a design of points, each paired against the baseline.

    Args:
        scenario: a validated scenario or the path of its file.
        params: ``["path=v1,v2", "path=lo:hi:n", "path=lo:hi"]`` as on the
            command line, or ``{path: "lo:hi:n" or [v1, v2, ...]}``.
        design: ``"grid"`` (every combination of levels), ``"lhs"`` or ``"sobol"``.
        samples: number of points of a sampled design.
        replications: replications per point (default: the scenario's).
        seed: root seed of the replications and of the sampled design
            (default: the scenario's).
        **options: ``out``, ``jobs``, ``backend``, ``scheduler``,
            ``chunk_size``, ``progress``, ``argv``: see :func:`run_design`.

    Raises:
        ScenarioError: a parameter path or value is invalid (names the parameter).
    """
    spec = resolve(scenario)
    chosen = parse_params(params, spec.model_dump(mode="json"))
    check_params(spec, chosen)
    root = spec.seed if seed is None else seed
    points = make_design(chosen, design, samples, root)
    count = spec.replications if replications is None else replications
    return run_design(spec, points, replications=count, seed=root, **options)
