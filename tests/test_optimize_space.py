"""The search space: every sampled design is valid, and bad spaces are one clear error."""

from __future__ import annotations

import copy
from typing import Any

import optuna
import pytest
from helpers import SCENARIOS
from hypothesis import given
from hypothesis import strategies as st
from optuna.trial import FixedTrial

import sim
from optimize.search.params import ChoiceParam, FloatParam, IntParam, LadderParam, LeverParam
from optimize.search.settings import read_search
from optimize.search.space import SearchSpace
from sim.scenario.loading import ScenarioError

QUICKSTART = SCENARIOS / "quickstart.yaml"
ARCHETYPES = ("reseller", "integrator", "alliance")
LADDER = {
    "type": "ladder",
    "path": "design.mechanics.0.tiers",
    "first": {
        "reseller": {"low": 1000, "high": 40000, "log": True},
        "integrator": {"low": 2000, "high": 80000, "log": True},
        "alliance": {"low": 5000, "high": 200000, "log": True},
    },
    "increment": {"low": 500, "high": 100000, "log": True},
}
#: Every parameter kind, including a lever on a tier inside the ladder and a
#: parameter inside a lever'd mechanic (conditional).
SEARCH: dict[str, Any] = {
    "params": [
        LADDER,
        {"type": "float", "path": "design.mechanics.0.tiers.0.rate", "low": 0.0, "high": 0.02},
        {
            "type": "float",
            "path": "design.mechanics.0.tiers.1.rate",
            "low": 0.0,
            "high": 0.04,
            "step": 0.005,
        },
        {
            "type": "float",
            "path": "design.mechanics.0.tiers.3.rate",
            "low": 0.001,
            "high": 0.1,
            "log": True,
        },
        {
            "type": "choice",
            "path": "design.mechanics.0.basis",
            "choices": ["retroactive", "marginal"],
        },
        {"type": "lever", "path": "design.mechanics.0.tiers.3"},
        {"type": "lever", "path": "design.mechanics.1"},
        {"type": "int", "path": "design.mechanics.1.every_weeks", "low": 1, "high": 13},
        {"type": "choice", "path": "design.mechanics.1.cost_per_contact", "choices": [1, 2.5, 4]},
    ]
}


def scenario_with_search(search: dict[str, Any]) -> sim.Scenario:
    raw = sim.load_scenario(QUICKSTART).model_dump(mode="json")
    raw["search"] = search
    return sim.scenario.loading.validate_scenario(raw, "test.yaml")


def space_of(search: dict[str, Any]) -> SearchSpace:
    return read_search(scenario_with_search(search), "test.yaml")[1]


SPACE = space_of(SEARCH)


def _value(param: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Hypothesis values for one parameter, anywhere within its bounds."""
    if isinstance(param, FloatParam):
        if param.step:
            steps = round((param.high - param.low) / param.step)
            return st.integers(0, steps).map(lambda k: {param.path: param.low + k * param.step})
        return st.floats(param.low, param.high).map(lambda v: {param.path: v})
    if isinstance(param, IntParam):
        return st.integers(param.low, param.high).map(lambda v: {param.path: v})
    if isinstance(param, ChoiceParam):
        return st.sampled_from(param.choices).map(lambda v: {param.path: v})
    if isinstance(param, LeverParam):
        return st.booleans().map(lambda v: {param.names[0]: v})
    assert isinstance(param, LadderParam)
    rungs = param._rungs()
    return st.tuples(*(st.floats(b.low, b.high) for *_, b in rungs)).map(
        lambda vs: {name: v for (_, _, name, _), v in zip(rungs, vs, strict=True)}
    )


values_strategy = st.tuples(*(_value(p) for p in SPACE.params)).map(
    lambda parts: {k: v for part in parts for k, v in part.items()}
)


def thresholds(tier: dict[str, Any], archetype: str) -> float:
    value = tier["threshold"]
    return value[archetype] if isinstance(value, dict) else value


@given(values_strategy)
def test_every_design_in_the_space_is_valid(values: dict[str, Any]) -> None:
    design = SPACE.build(values).design.model_dump(mode="json")
    ladder = design["mechanics"][0]
    tiers = ladder["tiers"]
    assert len(tiers) == (4 if values["design.mechanics.0.tiers.3.enabled"] else 3)
    for archetype in ARCHETYPES:
        ts = [thresholds(t, archetype) for t in tiers]
        assert all(b > a for a, b in zip(ts, ts[1:], strict=False))
        assert ts[1] == values[f"design.mechanics.0.tiers.1.threshold.{archetype}"]
    assert ladder["basis"] == values["design.mechanics.0.basis"]
    assert tiers[1]["rate"] == values["design.mechanics.0.tiers.1.rate"]
    emails = [m for m in design["mechanics"] if m["type"] == "email"]
    if values["design.mechanics.1.enabled"]:
        assert emails[0]["every_weeks"] == values["design.mechanics.1.every_weeks"]
    else:
        assert emails == []


@given(values_strategy)
def test_a_fixed_trial_samples_the_same_design(values: dict[str, Any]) -> None:
    """Optuna's suggest path (conditional: nothing inside a dropped item) builds the same design."""
    active = {n for p in SPACE.active(values) for n in p.names}
    trial = FixedTrial({k: v for k, v in values.items() if k in active})
    assert SPACE.suggest(trial) == SPACE.build(values)


def test_optuna_samples_only_valid_designs_and_skips_parameters_of_dropped_items() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(60):
        trial = study.ask()
        SPACE.suggest(trial)
        if trial.params["design.mechanics.1.enabled"]:
            assert "design.mechanics.1.every_weeks" in trial.params
        else:
            assert "design.mechanics.1.every_weeks" not in trial.params
        if not trial.params["design.mechanics.0.tiers.3.enabled"]:
            assert "design.mechanics.0.tiers.3.rate" not in trial.params
        study.tell(trial, 0.0)


def test_the_start_design_is_rebuilt_without_the_search_section() -> None:
    start = SPACE.build({})
    assert start.search is None
    assert start.design == sim.load_scenario(QUICKSTART).design


def test_ladder_thresholds_are_the_first_plus_the_increments() -> None:
    space = space_of({"params": [{**LADDER, "first": {"low": 100, "high": 200}}]})
    values = dict.fromkeys(space.names, 150.0)
    tiers = space.build(values).design.mechanics[0].tiers
    assert [t.threshold for t in tiers] == [0.0, 150.0, 300.0, 450.0]


BAD_SPACES = [
    (
        [{"type": "float", "path": "design.mechanics.0.tiers.1.ratee", "low": 0, "high": 1}],
        "search.params.0.path",
        "no key 'ratee'",
    ),
    (
        [{"type": "float", "path": "design.mechanics.5.every_weeks", "low": 1, "high": 2}],
        "search.params.0.path",
        "has 2 items",
    ),
    (
        [{"type": "float", "path": "market.demand", "low": 0.5, "high": 2}],
        "search.params.0.path",
        "under design",
    ),
    (
        [{"type": "float", "path": "design.mechanics.0.tiers.1.rate", "low": 0.03, "high": 0.01}],
        "search.params.0",
        "low < high",
    ),
    (
        [{"type": "int", "path": "design.mechanics.1.every_weeks", "low": 4, "high": 4}],
        "search.params.0",
        "low < high",
    ),
    (
        [
            {
                "type": "float",
                "path": "design.mechanics.0.tiers.1.rate",
                "low": 0,
                "high": 0.1,
                "log": True,
            }
        ],
        "search.params.0",
        "positive bounds on a log scale",
    ),
    (
        [{"type": "choice", "path": "design.mechanics.0.basis", "choices": ["marginal", 3]}],
        "search.params.0",
        "one type",
    ),
    (
        [{"type": "choice", "path": "design.mechanics.0.basis", "choices": []}],
        "search.params.0",
        "at least two",
    ),
    (
        [{"type": "float", "path": "design.mechanics.0.tiers.1.rate", "low": 0, "high": 1.5}],
        "search.params.0",
        "less than or equal to 1",
    ),
    (
        [{"type": "float", "path": "design.mechanics.0.tiers.1.threshold", "low": 1, "high": 9}],
        "search.params.0.path",
        "ladder",
    ),
    (
        [{**LADDER, "increment": {"low": 0, "high": 10}}],
        "search.params.0.increment.low",
        "positive",
    ),
    ([{**LADDER, "first": {"low": 0, "high": 100}}], "search.params.0", "increase"),
    (
        [{"type": "lever", "path": "design.mechanics.0.tiers.1.rate"}],
        "search.params.0.path",
        "list item",
    ),
    (
        [
            {"type": "lever", "path": "design.mechanics.0.tiers.0"},
            {"type": "lever", "path": "design.mechanics.0.tiers.1"},
            {"type": "lever", "path": "design.mechanics.0.tiers.2"},
            {"type": "lever", "path": "design.mechanics.0.tiers.3"},
        ],
        "search.params",
        "at least 1 item",
    ),
    ([{"type": "slider", "path": "design.mechanics.0.basis"}], "search.params.0.type", "one of"),
    (
        [
            {
                "type": "float",
                "path": "design.mechanics.0.tiers.1.rate",
                "low": 0,
                "high": 0.1,
                "hgih": 2,
            }
        ],
        "search.params.0.hgih",
        "unknown key",
    ),
    ([], "search.params", "at least 1 item"),
]


@pytest.mark.parametrize(("params", "field", "expected"), BAD_SPACES)
def test_bad_spaces_name_the_field_and_what_is_expected(
    params: list[dict[str, Any]], field: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as raised:
        space_of({"params": copy.deepcopy(params)})
    assert raised.value.source == "test.yaml"
    assert raised.value.field == field
    assert expected in raised.value.expected
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("search", "field", "expected"),
    [
        ({"objective": "cvar"}, "search.ensemble", "ensemble exactly when"),
        ({"objective": "median"}, "search.objective", "'mean', 'ci_low' or 'cvar'"),
        ({"versus": "incremental_cost", "pruning": True}, "search.pruning", "multi-objective"),
        (
            {"constraints": {"max_cost_share": 1.5}},
            "search.constraints.max_cost_share",
            "less than",
        ),
        (
            {"objective": "cvar", "ensemble": {"ranges": {"behaviour.reseller.nope": [0, 1]}}},
            "search.ensemble.ranges.behaviour.reseller.nope",
            "no key 'nope'",
        ),
        (
            {"objective": "cvar", "ensemble": {"ranges": {"design.mechanics.0.basis": [0, 1]}}},
            "search.ensemble.ranges.design.mechanics.0.basis",
            "outside the design",
        ),
        (
            {
                "objective": "cvar",
                "ensemble": {"ranges": {"behaviour.reseller.effort_elasticity": [1, 0.5]}},
            },
            "search.ensemble.ranges.behaviour.reseller.effort_elasticity",
            "low < high",
        ),
    ],
)
def test_bad_search_settings_are_reported(
    search: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as raised:
        space_of({"params": [SEARCH["params"][1]], **search})
    assert raised.value.field == field
    assert expected in raised.value.expected


def test_a_scenario_without_a_search_section_is_reported() -> None:
    with pytest.raises(ScenarioError, match="search: expected a search section"):
        read_search(sim.load_scenario(QUICKSTART), "quickstart.yaml")


def test_ensemble_members_cover_the_ranges_and_keep_integer_fields_integer() -> None:
    settings, space = read_search(
        scenario_with_search(
            {
                "params": [SEARCH["params"][1]],
                "objective": "cvar",
                "ensemble": {
                    "members": 6,
                    "ranges": {
                        "behaviour.reseller.effort_elasticity": [0.5, 1.0],
                        "behaviour.reseller.dormancy_weeks": [10, 30],
                    },
                },
            }
        ),
        "test.yaml",
    )
    members = settings.ensemble.draws(space.base)  # type: ignore[union-attr]
    assert len(members) == 6
    elasticities = sorted(m["behaviour.reseller.effort_elasticity"] for m in members)
    # a Latin hypercube puts one member in each sixth of the range
    assert [int((e - 0.5) / 0.5 * 6) for e in elasticities] == list(range(6))
    assert all(isinstance(m["behaviour.reseller.dormancy_weeks"], int) for m in members)
