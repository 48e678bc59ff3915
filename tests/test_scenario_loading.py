"""Scenario files: inheritance, list updates by index, ``--set`` overrides and errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import BASE_YAML, SCENARIOS

import sim
from sim.levers.nudges import Nudge
from sim.levers.rebate_ladder import TieredRebate
from sim.scenario.loading import ScenarioError, deep_merge, load_scenario, parse_override


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert sum(scenario.population.partners.values()) > 0


@pytest.mark.parametrize("name", ["base", "quickstart", "marginal_ladder", "aa_test", "downturn"])
def test_core_scenarios_share_the_base_world(name):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    assert scenario.population.partners == {"reseller": 420, "integrator": 140, "alliance": 40}
    assert scenario.seed == 7 and scenario.horizon_weeks == 52


def test_extends_child_overrides_parent_and_merges_mappings(tmp_path):
    write(
        tmp_path / "parent.yaml",
        """
        name: parent
        description: the parent
        seed: 3
        horizon_weeks: 20
        market: {gross_margin: 0.4, seasonality: {amplitude: 0.2, peak_week: 10}}
        """,
    )
    child = write(
        tmp_path / "child.yaml",
        """
        extends: parent.yaml
        horizon_weeks: 30
        market: {seasonality: {amplitude: 0.05}}
        """,
    )
    scenario = load_scenario(child)
    assert scenario.seed == 3  # inherited
    assert scenario.horizon_weeks == 30  # overridden
    assert scenario.market.gross_margin == 0.4  # sibling key kept
    assert scenario.market.seasonality.amplitude == 0.05  # nested key overridden
    assert scenario.market.seasonality.peak_week == 10  # nested sibling kept
    assert scenario.name == "child"  # the parent's name is not inherited
    assert scenario.description == ""  # nor its description


def test_extends_chain_of_three_and_explicit_name(tmp_path):
    write(tmp_path / "a.yaml", "seed: 1\nreplications: 3\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nseed: 2\nname: bee\n")
    (tmp_path / "sub").mkdir()
    c = write(tmp_path / "sub" / "c.yaml", "extends: ../b.yaml\nname: sea\n")  # relative to c
    scenario = load_scenario(c)
    assert (scenario.seed, scenario.replications, scenario.name) == (2, 3, "sea")


def test_extends_by_absolute_path(tmp_path):
    child = write(tmp_path / "x.yaml", f"extends: {BASE_YAML}\nseed: 99\n")
    scenario = load_scenario(child)
    assert scenario.seed == 99
    assert scenario.baseline.name == "flat 2% rebate"
    assert scenario.population.partners == {"reseller": 420, "integrator": 140, "alliance": 40}


def test_integer_keys_update_list_items():
    quick = load_scenario(SCENARIOS / "quickstart.yaml")
    marginal = load_scenario(SCENARIOS / "marginal_ladder.yaml")
    ladder_q, email_q = quick.design.mechanics
    ladder_m, email_m = marginal.design.mechanics
    assert isinstance(ladder_m, TieredRebate) and isinstance(email_m, Nudge)
    assert ladder_q.basis == "retroactive" and ladder_m.basis == "marginal"
    assert ladder_m.tiers == ladder_q.tiers  # the rest of the item is kept
    assert ladder_m.period == ladder_q.period
    assert email_m == email_q  # the other item is kept
    assert marginal.design.name == "3-tier quarterly marginal ladder + monthly email"


def test_deep_merge_by_hand():
    base = {"a": {"x": 1, "y": [1, 2]}, "l": [{"p": 1, "q": 2}, {"p": 3}], "s": 5}
    top = {"a": {"y": [9]}, "l": {1: {"q": 4}}, "t": 6}
    merged = deep_merge(base, top)
    assert merged == {
        "a": {"x": 1, "y": [9]},
        "l": [{"p": 1, "q": 2}, {"p": 3, "q": 4}],
        "s": 5,
        "t": 6,
    }
    assert base["l"][1] == {"p": 3}  # inputs untouched
    # an index past the end is not a list update: the mapping replaces the list
    assert deep_merge({"l": [1]}, {"l": {3: 2}}) == {"l": {3: 2}}


def test_circular_extends_is_an_error(tmp_path):
    a = write(tmp_path / "a.yaml", "extends: b.yaml\nseed: 1\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nseed: 2\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert info.value.field == "extends"
    assert "circular" in info.value.expected


def test_self_extends_is_an_error(tmp_path):
    a = write(tmp_path / "self.yaml", "extends: self.yaml\n")
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(a)


def test_missing_parent_is_an_error(tmp_path):
    a = write(tmp_path / "orphan.yaml", "extends: nowhere.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    assert info.value.source == str(a) and info.value.field == "extends"


def test_set_override_is_applied():
    scenario = load_scenario(
        SCENARIOS / "quickstart.yaml",
        ["design.mechanics.0.tiers.1.rate=0.03", "seed=12", "market.seasonality.amplitude=0.0"],
    )
    assert scenario.design.mechanics[0].tiers[1].rate == 0.03
    assert scenario.design.mechanics[0].tiers[2].rate == 0.035  # the rest of the ladder is kept
    assert scenario.seed == 12
    assert scenario.market.seasonality.amplitude == 0.0
    assert scenario.market.seasonality.peak_week == 47


def test_set_values_are_yaml():
    assert parse_override("a.b=0.03") == ("a.b", 0.03)
    assert parse_override("a=true") == ("a", True)
    assert parse_override("a=[1, 2]") == ("a", [1, 2])
    assert parse_override("name=x=y") == ("name", "x=y")
    scenario = load_scenario(SCENARIOS / "base.yaml", ["population.partners={reseller: 5}"])
    assert scenario.population.partners == {"reseller": 5}


def test_set_is_validated():
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIOS / "quickstart.yaml", ["design.mechanics.0.tiers.1.rate=3"])
    assert info.value.source == "--set design.mechanics.0.tiers.1.rate=3"
    assert info.value.field == "design.mechanics.0.tiers.1.rate"
    assert "less than or equal to 1" in info.value.expected


def test_unknown_set_key_names_the_set():
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIOS / "quickstart.yaml", ["design.colour=red"])
    assert info.value.source == "--set design.colour=red"
    assert info.value.field == "design.colour"
    assert info.value.expected == "unknown key"
    assert str(info.value).startswith("--set design.colour=red: design.colour:")


def test_set_list_index_out_of_range():
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIOS / "quickstart.yaml", ["design.mechanics.7.rate=1"])
    assert info.value.source.startswith("--set design.mechanics.7")
    assert "below 2" in info.value.expected


def test_set_without_equals_sign():
    with pytest.raises(ScenarioError, match="dotted.key=value"):
        load_scenario(SCENARIOS / "quickstart.yaml", ["seed"])


def test_file_error_is_blamed_on_the_file_not_on_an_unrelated_set(tmp_path):
    path = write(tmp_path / "s.yaml", f"extends: {BASE_YAML}\nhorizon_weeks: 0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["seed=3"])
    assert info.value.source == str(path)
    assert info.value.field == "horizon_weeks"


@pytest.mark.parametrize(
    ("text", "override"),
    [
        (
            "behaviour: {reseller: {cycle_weeks_min: 9, cycle_weeks_max: 3}}",
            "behaviour.reseller.win_rate=0.3",
        ),
        (
            "population: {partners: {reseller: 0, integrator: 0, alliance: 0}}",
            "population.new_share=0.1",
        ),
    ],
    ids=["behaviour", "population"],
)
def test_file_error_is_not_blamed_on_an_unrelated_set_in_the_same_section(tmp_path, text, override):
    path = write(tmp_path / "s.yaml", f"extends: {BASE_YAML}\n{text}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, [override])
    assert info.value.source == str(path)


def test_set_creating_an_incomplete_section_is_blamed_on_the_set():
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIOS / "base.yaml", ["market.shock.depth=0.3"])
    assert info.value.source == "--set market.shock.depth=0.3"


def test_set_that_causes_a_model_level_error_is_blamed():
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIOS / "base.yaml", ["behaviour.reseller.cycle_weeks_max=1"])
    assert info.value.source == "--set behaviour.reseller.cycle_weeks_max=1"
    assert info.value.field == "behaviour.reseller"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        (
            "population: {partners: {reseller: -1}}",
            "population.partners.reseller",
            "greater than or equal to 0",
        ),
        ("population: {partners: {plumber: 3}}", "population.partners", "unknown archetype"),
        (
            "population: {partners: {reseller: 0, integrator: 0, alliance: 0}}",
            "population",
            "at least one partner",
        ),
        ("horizon_weeks: 0", "horizon_weeks", "greater than or equal to 1"),
        ("replications: 0", "replications", "greater than or equal to 1"),
        ("horizon_weeks: soon", "horizon_weeks", "valid integer"),
        ("colour: red", "colour", "unknown key"),
        ("market: {gross_margin: 1.5}", "market.gross_margin", "less than or equal to 1"),
        (
            "behaviour: {reseller: {cycle_weeks_min: 9, cycle_weeks_max: 3}}",
            "behaviour.reseller",
            "cycle_weeks_max",
        ),
        ("design: {mechanics: [{type: sms}]}", "design.mechanics.0", "unknown mechanic type"),
        (
            "design: {mechanics: [{type: email, every_weeks: 0}]}",
            "design.mechanics.0.every_weeks",
            "greater than or equal to 1",
        ),
        (
            "design: {mechanics: [{type: tiered_rebate, tiers: []}]}",
            "design.mechanics.0.tiers",
            "at least 1",
        ),
        (
            "design: {mechanics: [{type: tiered_rebate, "
            "tiers: [{name: a, threshold: 0, rate: 1.2}]}]}",
            "design.mechanics.0.tiers.0.rate",
            "less than or equal to 1",
        ),
    ],
)
def test_invalid_values_name_the_file_and_field(tmp_path, text, field, expected):
    path = write(tmp_path / "bad.yaml", f"extends: {BASE_YAML}\n{text}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field == field
    assert expected in info.value.expected
    assert "\n" not in str(info.value)


def test_thresholds_must_increase(tmp_path):
    path = write(
        tmp_path / "bad.yaml",
        f"""
        extends: {BASE_YAML}
        design:
          mechanics:
            - type: tiered_rebate
              tiers:
                - {{name: a, threshold: 0, rate: 0.01}}
                - name: b
                  threshold: {{reseller: 100, integrator: 50, alliance: 300}}
                  rate: 0.02
                - name: c
                  threshold: {{reseller: 200, integrator: 40, alliance: 400}}
                  rate: 0.03
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field == "design.mechanics.0.tiers.2.threshold"
    assert "increase" in info.value.expected
    assert "40 after 50 for integrator" in info.value.expected


@pytest.mark.parametrize(
    "threshold",
    ["-5", "{reseller: -100, integrator: 50, alliance: 300}", "lots"],
    ids=["negative", "negative-per-archetype", "not-a-number"],
)
def test_bad_threshold_names_the_threshold_field(tmp_path, threshold):
    path = write(
        tmp_path / "bad.yaml",
        f"""
        extends: {BASE_YAML}
        design:
          mechanics:
            - type: tiered_rebate
              tiers:
                - {{name: a, threshold: 0, rate: 0.01}}
                - {{name: b, threshold: {threshold}, rate: 0.02}}
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field in {
        "design.mechanics.0.tiers.1.threshold",
        "design.mechanics.0.tiers.1.threshold.reseller",
    }
    assert "constrained" not in str(info.value) and "dict[" not in str(info.value)


def test_bad_threshold_is_rejected(tmp_path):
    path = write(
        tmp_path / "bad.yaml",
        f"""
        extends: {BASE_YAML}
        design:
          mechanics:
            - type: tiered_rebate
              tiers: [{{name: a, threshold: -5, rate: 0.01}}]
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field.startswith("design.mechanics.0.tiers.0.threshold")


def test_per_archetype_thresholds_need_every_eligible_archetype(tmp_path):
    path = write(
        tmp_path / "bad.yaml",
        f"""
        extends: {BASE_YAML}
        design:
          mechanics:
            - type: tiered_rebate
              tiers:
                - {{name: a, threshold: {{reseller: 100}}, rate: 0.01}}
        """,
    )
    with pytest.raises(ScenarioError, match="integrator"):
        load_scenario(path)


def test_missing_file_and_yaml_errors(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert info.value.expected == "file not found"
    bad = write(tmp_path / "syntax.yaml", "name: x\n  bad: [1,\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.field.startswith("line 2")
    assert "YAML syntax error" in info.value.expected
    top = write(tmp_path / "list.yaml", "- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(top)


def test_empty_file_gives_the_defaults(tmp_path):
    scenario = load_scenario(write(tmp_path / "empty.yaml", ""))
    assert scenario.name == "empty"
    assert scenario == sim.Scenario(name="empty")


def test_scenario_is_frozen_and_forbids_unknown_keys():
    scenario = sim.Scenario()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        scenario.seed = 3
    with pytest.raises(Exception):  # noqa: B017
        sim.Scenario.model_validate({"seeed": 3})
