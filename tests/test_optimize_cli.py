"""``partnerlab optimize``: JSON, bad input, kill and resume, a journal shared by 2 processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import optuna
import pytest
from helpers import PARTNERLAB, wait_for
from optuna.trial import TrialState
from test_optimize import write_scenario

import partnerlab_cli

KEYS = {
    "study",
    "storage",
    "n_trials",
    "best_params",
    "best_value",
    "held_out",
    "best_scenario_path",
    "notes",
}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = partnerlab_cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def json_of(capsys: pytest.CaptureFixture[str], out_dir: Path, *args: str) -> dict[str, Any]:
    """Run a command with --json into ``out_dir``; it must succeed."""
    code, out, _ = run_cli(capsys, *args, "--out", str(out_dir), "--json", "--no-progress")
    assert code == 0
    return json.loads(out)


def test_json_contract_and_the_best_scenario_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(tmp_path, {})
    options = f"--trials 3 --storage {tmp_path / 'o.db'} --study contract".split()
    data = json_of(capsys, tmp_path / "out", "optimize", str(path), *options)
    assert set(data) == KEYS
    assert data["study"] == "contract" and data["n_trials"] == 3
    assert set(data["held_out"]["net_lift"]) == {"mean", "ci_low", "ci_high"}
    assert data["best_scenario_path"] == str(tmp_path / "out" / "best_scenario.yaml")
    run = json_of(capsys, tmp_path / "run", "run", data["best_scenario_path"])
    assert run["net_lift"]["mean"] == data["best_value"]


def test_multi_objective_json_adds_the_pareto_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scenario(tmp_path, {"versus": "incremental_cost"})
    options = "--trials 3 --storage memory --held-out 0".split()
    data = json_of(capsys, tmp_path / "out", "optimize", str(path), *options)
    assert set(data) == KEYS | {"pareto_front"}
    assert data["held_out"] == {"net_lift": None}


@pytest.mark.parametrize(
    ("search", "extra", "message"),
    [
        (
            {"params": [{"type": "float", "path": "design.nope", "low": 0, "high": 1}]},
            [],
            "search.params.0.path: expected a path in the scenario",
        ),
        (
            {
                "params": [
                    {
                        "type": "float",
                        "path": "design.mechanics.0.tiers.1.rate",
                        "low": 1,
                        "high": 0,
                    }
                ]
            },
            [],
            "search.params.0: expected low < high",
        ),
        (
            {
                "params": [
                    {
                        "type": "choice",
                        "path": "design.mechanics.0.basis",
                        "choices": ["marginal", 1],
                    }
                ]
            },
            [],
            "search.params.0: expected choices of one type",
        ),
        ({}, ["--jobs", "2", "--storage", "x.db"], "expected a journal file or a server database"),
        ({}, ["--trials", "0"], "--trials: expected an integer >= 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], search: dict, extra: list[str], message: str
) -> None:
    path = write_scenario(tmp_path, search)
    code, out, err = run_cli(capsys, "optimize", str(path), "--no-progress", *extra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def _count(storage: str, study: str, *states: TrialState) -> int:
    try:
        loaded = optuna.load_study(study_name=study, storage=storage)
    except KeyError:
        return 0
    return len(loaded.get_trials(deepcopy=False, states=states or None))


def test_a_killed_run_loses_no_completed_trial_and_resumes(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"pruning": False}, name="killed")
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    command = [
        str(PARTNERLAB),
        "optimize",
        str(path),
        "--storage",
        str(db),
        "--no-progress",
        "--held-out",
        "0",
        "--out",
        str(tmp_path / "out"),
    ]
    process = subprocess.Popen(
        [*command, "--trials", "500"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(
            lambda: _count(url, "killed", TrialState.COMPLETE) >= 3,
            "3 completed trials in the storage",
            120,
            process,
        )
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    completed = {
        t.number: t.values
        for t in optuna.load_study(study_name="killed", storage=url).get_trials(
            states=(TrialState.COMPLETE,)
        )
    }
    before = _count(url, "killed")
    assert len(completed) >= 3
    done = subprocess.run(
        [*command, "--trials", "2", "--json"], capture_output=True, text=True, check=True
    )
    # a trial left running is failed and re-queued; the re-queued copy is one of the 2 new trials
    assert json.loads(done.stdout)["n_trials"] == before + 2
    study = optuna.load_study(study_name="killed", storage=url)
    assert {t.number: t.values for t in study.trials if t.number in completed} == completed
    assert all(t.state != TrialState.RUNNING for t in study.trials)  # the killed trial was failed


def test_a_journal_storage_serves_two_worker_processes(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {}, name="journal")
    journal = tmp_path / "studies.journal"
    done = subprocess.run(
        [
            str(PARTNERLAB),
            "optimize",
            str(path),
            "--jobs",
            "2",
            "--trials",
            "4",
            "--storage",
            str(journal),
            "--held-out",
            "0",
            "--out",
            str(tmp_path / "out"),
            "--json",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout)
    assert data["n_trials"] == 4 and data["storage"] == str(journal)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    study = optuna.load_study(study_name="journal", storage=storage)
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)
    assert len({t.user_attrs["worker"] for t in study.trials}) == 2
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 4  # no draw repeated
