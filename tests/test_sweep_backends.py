"""A sweep gives identical numbers on loky (1 or 2 jobs) and on Dask (LocalCluster, address)."""

from __future__ import annotations

import dask
import pandas as pd
import pytest
from distributed import Client
from helpers import load_small

import sim
from optimize.sweeps.runner import SchedulerUnreachable, backend
from optimize.sweeps.sweep import sweep

PARAMS = {
    "design.mechanics.0.tiers.1.rate": [0.0, 0.03, 0.06],
    "behaviour.reseller.effort_elasticity": [0.6, 1.0],
}


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return load_small("quickstart", "horizon_weeks=26")


@pytest.fixture(scope="module")
def reference(scenario: sim.Scenario, tmp_path_factory: pytest.TempPathFactory):
    """One process, one point per task."""
    out = tmp_path_factory.mktemp("loky1")
    return sweep(scenario, PARAMS, replications=3, out=out, jobs=1, chunk_size=1)


@pytest.mark.parametrize(
    "options",
    [
        {"jobs": 1},
        {"jobs": 2},
        {"jobs": 2, "chunk_size": 4},
        {"jobs": 2, "backend": "dask"},
    ],
    ids=["loky-1-job", "loky-2-jobs", "loky-2-jobs-chunks-of-4", "dask-local-cluster"],
)
def test_results_do_not_depend_on_backend_jobs_or_chunks(
    scenario: sim.Scenario, reference, tmp_path, options: dict
) -> None:
    result = sweep(scenario, PARAMS, replications=3, out=tmp_path, **options)
    assert (result.reused, result.computed) == (0, 6)
    pd.testing.assert_frame_equal(result.points, reference.points, check_exact=True)
    pd.testing.assert_frame_equal(result.rows, reference.rows, check_exact=True)


def test_a_sweep_started_on_loky_resumes_on_dask(scenario: sim.Scenario, reference, tmp_path):
    first = sweep(scenario, PARAMS, replications=3, out=tmp_path, chunk_size=2)
    for name in ("chunk-00000002.parquet", "chunk-00000004.parquet"):
        (tmp_path / "points" / name).unlink()
    resumed = sweep(scenario, PARAMS, replications=3, out=tmp_path, backend="dask", jobs=2)
    assert (resumed.reused, resumed.computed) == (2, 4)
    pd.testing.assert_frame_equal(resumed.points, first.points, check_exact=True)
    pd.testing.assert_frame_equal(resumed.points, reference.points, check_exact=True)


def test_backend_options_are_checked() -> None:
    with pytest.raises(ValueError, match="expected a backend"):
        with backend("spark", 1):  # type: ignore[arg-type]
            pass
    with pytest.raises(ValueError, match="needs the dask backend"):
        with backend("loky", 1, scheduler="tcp://127.0.0.1:8786"):
            pass


def test_an_unreachable_scheduler_is_reported(scenario: sim.Scenario, tmp_path) -> None:
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(SchedulerUnreachable, match="cannot reach the Dask scheduler"),
    ):
        sweep(
            scenario,
            PARAMS,
            replications=1,
            out=tmp_path,
            backend="dask",
            scheduler="tcp://127.0.0.1:9",
        )


def test_a_sweep_on_a_dask_scheduler_by_address_equals_loky(
    scenario: sim.Scenario, reference, tmp_path, dask_scheduler: str
) -> None:
    # The scheduler and its workers are separate processes (.ci/servers.sh); the tasks
    # run there, counted by the workers themselves.
    def executed() -> int:
        with Client(dask_scheduler, set_as_default=False) as client:
            counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
        assert len(counts) >= 2
        return sum(counts.values())

    before = executed()
    result = sweep(
        scenario, PARAMS, replications=3, out=tmp_path, backend="dask", scheduler=dask_scheduler
    )
    assert (result.reused, result.computed) == (0, 6)
    assert executed() > before
    pd.testing.assert_frame_equal(result.points, reference.points, check_exact=True)
    pd.testing.assert_frame_equal(result.rows, reference.rows, check_exact=True)
