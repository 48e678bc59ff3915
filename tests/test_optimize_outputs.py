"""What an optimization shows: readable best designs, and constraints a dashboard sees."""

from __future__ import annotations

import io
import json
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna_dashboard
from optuna.trial import TrialState
from test_optimize import write_scenario

from optimize import optimize
from sim.scenario.loading import load_scenario


def _dashboard_trials(storage: object, study_id: int) -> list[dict]:
    """The trials optuna-dashboard's web API serves for a study."""
    app = optuna_dashboard.wsgi(storage)
    environ: dict = {"PATH_INFO": f"/api/studies/{study_id}", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO()
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, *rest: status.append(s)))
    assert status[0].startswith("200"), status
    return json.loads(body)["trials"]


def test_optuna_dashboard_sees_each_trials_constraints(tmp_path: Path) -> None:
    limits = {"max_cost_share": 0.001, "min_rewarded_share": 0.01}
    path = write_scenario(tmp_path, {"constraints": limits, "pruning": False})
    result = optimize(path, trials=3, storage=str(tmp_path / "study.db"), held_out=0)
    trials = result.study.get_trials(states=(TrialState.COMPLETE,))
    shown = _dashboard_trials(f"sqlite:///{tmp_path / 'study.db'}", result.study._study_id)
    assert len(shown) == len(trials) == 3
    for trial, seen in zip(trials, shown, strict=True):
        expected = [trial.constraints["cost_share"], trial.constraints["rewarded_share"]]
        assert seen["constraints"] == expected
        assert seen["constraints"][0] > 0  # over the cost limit: infeasible on the dashboard
    frame = result.trials_frame()  # one column per named constraint, no copies of the list
    assert sorted(c for c in frame.columns if c.startswith("constraint_")) == [
        "constraint_cost_share",
        "constraint_rewarded_share",
    ]


def test_the_best_design_is_named_for_what_it_is(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"pruning": False})
    result = optimize(path, trials=6, storage="memory", held_out=0)
    assert result.best_trial is not None
    design = load_scenario(path).design
    best = result.best_scenario_dict()
    assert best is not None
    name = best["design"]["name"]
    assert name != design.name and name.startswith(f"best of {result.study.study_name}: ")
    emails = result.best_params["design.mechanics.1.enabled"] is True
    assert name.endswith(", no email") == (not emails)
    assert "email" in name  # with or without it, the name says
    table = result.table()
    assert "tiered rebate › registered tier › rate" in table
    assert "design.mechanics" not in table
