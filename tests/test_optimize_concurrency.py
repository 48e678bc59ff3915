"""Processes sharing one study: no lost trial and no repeated parameters; one process alone repeats.

Two ``partnerlab optimize`` processes started together with the same command
on one study (as docs/scaling.md tells several machines to do) used to draw
the same parameters, because both seeded their samplers alike, and on a new
database one of them could fail while both created Optuna's tables. Each
trial's draw is now seeded from its number in the study, which the storage
hands out once, and a process that collides while creating the tables opens
the database again.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy
from helpers import PARTNERLAB, wait_for
from optuna.trial import FrozenTrial, TrialState
from test_optimize import write_scenario

import sim
from optimize import read_search
from optimize.search.storage import StorageSpec, open_storage
from optimize.search.study import WorkerTask

#: New trials each process runs.
TRIALS = 10


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A URL of the PostgreSQL test database whose tables go to a new, empty schema."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "journal", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new storage as ``--storage`` names it: an SQLite file, a journal file, PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    if request.param == "journal":
        return str(tmp_path / "shared.journal")
    return request.getfixturevalue("fresh_postgres")


def trials_of(storage: str, study: str) -> list[FrozenTrial]:
    """Every trial of the study, read with Optuna itself."""
    if "://" in storage:
        opened: str | optuna.storages.BaseStorage = storage
    elif storage.endswith(".db"):
        opened = f"sqlite:///{storage}"
    else:
        opened = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage))
    return optuna.load_study(study_name=study, storage=opened).trials


def optimize_command(scenario: Path, storage: str, study: str, out: Path) -> list[str]:
    return [
        str(PARTNERLAB),
        "optimize",
        str(scenario),
        "--trials",
        str(TRIALS),
        "--storage",
        storage,
        "--study",
        study,
        "--held-out",
        "0",
        "--out",
        str(out),
        "--no-progress",
    ]


def draws(trials: list[FrozenTrial]) -> list[tuple[tuple[str, object], ...]]:
    return [tuple(sorted(t.params.items())) for t in trials]


def test_two_processes_started_together_lose_no_trial_and_repeat_no_parameters(
    tmp_path: Path, storage: str
) -> None:
    scenario = write_scenario(tmp_path, {}, name="shared")
    study = f"shared-{uuid.uuid4().hex[:8]}"
    processes = [
        subprocess.Popen(
            optimize_command(scenario, storage, study, tmp_path / f"out-{i}"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    trials = trials_of(storage, study)
    assert len(trials) == 2 * TRIALS
    # none lost: every trial finished with a value or pruned, none failed or left running
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert len({t.user_attrs["worker"] for t in trials}) == 2  # both processes ran trials
    repeated = [draw for draw, times in Counter(draws(trials)).items() if times > 1]
    assert repeated == []


def test_a_process_alone_draws_the_same_trials_from_the_same_seed(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, {}, name="alone")
    runs = []
    for run in range(2):
        storage = str(tmp_path / f"alone-{run}.db")
        command = optimize_command(scenario, storage, "alone", tmp_path / f"out-{run}")
        subprocess.run(command, check=True, capture_output=True)
        runs.append(trials_of(storage, "alone"))
    assert draws(runs[0]) == draws(runs[1])
    assert [t.values for t in runs[0]] == [t.values for t in runs[1]]
    assert len(set(draws(runs[0]))) == TRIALS


@pytest.mark.parametrize("sampler", ["tpe", "random", "nsga2"])
def test_workers_of_one_command_asking_in_turn_never_draw_alike(
    tmp_path: Path, sampler: str
) -> None:
    # Two workers as two copies of one command make them (same seed, same task),
    # asking in turn: distinct draws, and the same draws again from scratch,
    # whichever worker asks for which trial.
    path = write_scenario(tmp_path, {"sampler": sampler})
    settings, space = read_search(sim.load_scenario(path), str(path))
    task = WorkerTask(settings, space, StorageSpec("memory", "memory"), "s", 7, [0], 7, 12, None)

    def asked(order: list[int]) -> list[dict[str, object]]:
        storage = optuna.storages.InMemoryStorage()
        optuna.create_study(storage=storage, study_name="s", direction="maximize")
        workers = [
            optuna.load_study(study_name="s", storage=storage, sampler=task.sampler())
            for _ in range(2)
        ]
        for number, worker in enumerate(order):
            trial = workers[worker].ask()
            space.suggest(trial)
            workers[worker].tell(trial, float(number % 5))
        return [t.params for t in workers[0].trials]

    alternating = asked([0, 1] * 6)
    assert len({tuple(sorted(p.items())) for p in alternating}) == 12
    assert asked([0] * 12) == alternating == asked([1, 1, 0] * 4)


#: A process that opens the storage argv[1] as soon as the file argv[2]/go appears.
OPEN_ON_GO = """
import pathlib, sys, time
from optimize.search.storage import StorageSpec, open_storage
folder = pathlib.Path(sys.argv[2])
(folder / f"ready-{sys.argv[3]}").touch()
while not (folder / "go").exists():
    time.sleep(0.001)
open_storage(StorageSpec("rdb", sys.argv[1]))
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_processes_opening_a_new_database_at_the_same_moment_all_open_it(
    request: pytest.FixtureRequest, tmp_path: Path, database: str
) -> None:
    location = (
        f"sqlite:///{tmp_path / 'new.db'}"
        if database == "sqlite"
        else request.getfixturevalue("fresh_postgres")
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_ON_GO, location, str(tmp_path), str(i)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 2, "2 processes ready", 120)
    (tmp_path / "go").touch()
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    optuna.create_study(storage=open_storage(StorageSpec("rdb", location)), study_name="made")
