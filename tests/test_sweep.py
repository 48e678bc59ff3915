"""Sweeps: designs of points, paired results per point, the chunked store and resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import load_small

import sim
from optimize.sweeps.design import (
    apply_values,
    check_params,
    grid_design,
    make_design,
    parse_param,
    parse_params,
)
from optimize.sweeps.store import SweepStore
from optimize.sweeps.sweep import sweep
from sim.errors import BadInput
from sim.runs.results import summarize

RATE = "design.mechanics.0.tiers.1.rate"
THRESHOLD = "design.mechanics.0.tiers.1.threshold.reseller"
ELASTICITY = "behaviour.reseller.effort_elasticity"
PEAK = "market.seasonality.peak_week"


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return load_small("quickstart", "horizon_weeks=26")


@pytest.fixture(scope="module")
def raw(scenario: sim.Scenario) -> dict:
    return scenario.model_dump(mode="json")


# -- parameters and designs -----------------------------------------------------------
def test_levels_from_lo_hi_n_are_clean_and_evenly_spaced(raw: dict) -> None:
    param = parse_param(f"{RATE}=0:0.1:6", raw)
    assert param.levels == (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)
    assert param.source == f"--param {RATE}=0:0.1:6"


def test_listed_values_keep_their_type(raw: dict) -> None:
    assert parse_param(f"{THRESHOLD}=2000,5000", raw).levels == (2000, 5000)
    assert parse_param(f"{RATE}=0,0.5", raw).levels == (0.0, 0.5)
    assert parse_param("design.mechanics.0.basis=marginal,retroactive", raw).levels == (
        "marginal",
        "retroactive",
    )


def test_integer_fields_take_integer_values(raw: dict) -> None:
    assert parse_param(f"{PEAK}=0:51:4", raw).levels == (0, 17, 34, 51)
    ranged = parse_param(f"{PEAK}=0:51", raw)
    assert ranged.integer and (ranged.low, ranged.high) == (0, 51)
    # u in [0, 1] maps to every integer 0..51 with equal width: 52 bins.
    assert ranged.scale([0.0, 0.5 / 52, 1.5 / 52, 0.999, 1.0]) == [0, 0, 1, 51, 51]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{RATE}=0.1:0", "expected low < high"),
        (f"{RATE}=0:0.1:1", "expected n >= 2"),
        (f"{RATE}=0:x", "expected a number"),
        (f"{RATE}=1,1", "expected distinct values"),
        (f"{RATE}=1,yes", "expected values of one type"),
        (f"{PEAK}=0:3:9", "expected at most 4 integer levels"),
        (f"{PEAK}=0.5:3", "expected integers"),
        (RATE, "expected dotted.key="),
    ],
)
def test_malformed_parameters_are_named(raw: dict, text: str, expected: str) -> None:
    with pytest.raises(sim.ScenarioError) as error:
        parse_param(text, raw)
    assert expected in str(error.value)
    assert str(error.value).startswith("--param ")


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("design.mechanics.0.tiers.1.rat=0,0.1", "design.mechanics.0.tiers.1.rat", "unknown key"),
        (f"{RATE}=0:1.5:3", RATE, "less than or equal to 1"),
        ("design.mechanics.7.rate=0,1", "design.mechanics.7", "list index below 2"),
    ],
)
def test_bad_paths_and_values_fail_before_any_work(
    scenario: sim.Scenario, raw: dict, text: str, field: str, expected: str
) -> None:
    with pytest.raises(sim.ScenarioError) as error:
        check_params(scenario, [parse_param(text, raw)])
    assert error.value.source == f"--param {text}"
    assert error.value.field == field
    assert expected in error.value.expected


def test_a_parameter_is_varied_once(raw: dict) -> None:
    with pytest.raises(sim.ScenarioError, match="varied twice"):
        parse_params([f"{RATE}=0,0.1", f"{RATE}=0.2,0.3"], raw)


def test_grid_is_the_product_with_the_first_parameter_slowest(raw: dict) -> None:
    params = parse_params([f"{RATE}=0,0.05", f"{THRESHOLD}=1000,2000,3000"], raw)
    table = grid_design(params).table
    assert list(table["point"]) == list(range(6))
    assert list(table[RATE]) == [0.0, 0.0, 0.0, 0.05, 0.05, 0.05]
    assert list(table[THRESHOLD]) == [1000, 2000, 3000] * 2


def test_grid_refuses_plain_ranges_and_sampled_designs_need_samples(raw: dict) -> None:
    params = parse_params([f"{RATE}=0:0.1"], raw)
    with pytest.raises(sim.ScenarioError, match="a grid needs levels"):
        make_design(params, "grid")
    with pytest.raises(sim.ScenarioError, match="needs --samples"):
        make_design(params, "lhs")
    with pytest.raises(sim.ScenarioError, match="expected one of"):
        make_design(params, "random", samples=4)


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_sampled_designs_stay_in_range_and_repeat_with_the_seed(raw: dict, kind: str) -> None:
    params = parse_params([f"{RATE}=0:0.1", f"{PEAK}=0:51", f"{THRESHOLD}=1000,2000"], raw)
    first = make_design(params, kind, samples=32, seed=3).table
    assert first.equals(make_design(params, kind, samples=32, seed=3).table)
    assert not first.equals(make_design(params, kind, samples=32, seed=4).table)
    assert first[RATE].between(0, 0.1).all()
    assert first[PEAK].between(0, 51).all() and (first[PEAK] % 1 == 0).all()
    assert set(first[THRESHOLD]) == {1000, 2000}


def test_latin_hypercube_hits_every_stratum_once(raw: dict) -> None:
    params = parse_params([f"{RATE}=0:0.1", f"{ELASTICITY}=0.4:1.2"], raw)
    n = 20
    table = make_design(params, "lhs", samples=n, seed=0).table
    for param in params:
        unit = (table[param.path] - param.low) / (param.high - param.low)
        assert sorted(np.floor(unit * n).astype(int)) == list(range(n))


# -- results --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grid_result(scenario: sim.Scenario, tmp_path_factory: pytest.TempPathFactory):
    """Two design levels x two behavioural levels: shared and separate worlds in one chunk."""
    out = tmp_path_factory.mktemp("grid")
    params = [f"{RATE}=0,0.05", f"{ELASTICITY}=0.6,1.0"]
    return sweep(scenario, params, replications=3, out=out, chunk_size=4)


def test_each_point_equals_a_paired_run_of_its_scenario(
    scenario: sim.Scenario, grid_result
) -> None:
    rows = grid_result.rows
    raw = scenario.model_dump(mode="json")
    for point in (0, 3):
        values = grid_result.design.table.set_index("point").loc[point].to_dict()
        variant = sim.Scenario.model_validate(apply_values(raw, values))
        expected = sim.run_scenario(variant, replications=3).paired()
        got = rows[rows["point"] == point].set_index("replication")[expected.columns]
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_names=False)


def test_point_summary_is_the_summary_of_its_rows(grid_result) -> None:
    rows = grid_result.rows
    for _, point in grid_result.points.iterrows():
        mine = rows[rows["point"] == point["point"]]
        expected = summarize(mine)
        for name in ("net_lift", "incremental_cost", "roi"):
            assert point[name] == pytest.approx(expected[name].mean, rel=1e-12)
            assert point[f"{name}_ci_low"] == pytest.approx(expected[name].ci_low, rel=1e-12)
        assert len(mine) == 3 and list(mine["replication"]) == [0, 1, 2]


def test_a_design_lever_without_effect_gives_identical_points(
    scenario: sim.Scenario, tmp_path
) -> None:
    # Common random numbers: with a 0 silver rate, the silver threshold changes nothing.
    result = sweep(scenario, {RATE: [0.0], THRESHOLD: [1000, 4000]}, replications=2, out=tmp_path)
    rows = result.rows.drop(columns=[THRESHOLD]).set_index(["point", "replication"])
    first, second = rows.xs(0, level="point"), rows.xs(1, level="point")
    pd.testing.assert_frame_equal(first, second, check_exact=True)


# -- store and resume -----------------------------------------------------------------
def test_the_same_sweep_into_the_same_folder_reuses_every_point(
    scenario: sim.Scenario, grid_result
) -> None:
    again = sweep(
        scenario,
        [f"{RATE}=0,0.05", f"{ELASTICITY}=0.6,1.0"],
        replications=3,
        out=grid_result.out,
        jobs=2,
    )
    assert (again.reused, again.computed) == (4, 0)
    pd.testing.assert_frame_equal(again.points, grid_result.points, check_exact=True)


def test_a_partial_folder_computes_only_the_missing_points(
    scenario: sim.Scenario, tmp_path
) -> None:
    params = {RATE: "0:0.06:4"}
    full = sweep(scenario, params, replications=2, out=tmp_path / "full", chunk_size=1)
    partial = tmp_path / "partial"
    sweep(scenario, params, replications=2, out=partial, chunk_size=1)
    # As a kill would leave it: one chunk gone, one rows file without its points file,
    # a temporary file from an interrupted atomic write.
    (partial / "points" / "chunk-00000001.parquet").unlink()
    (partial / "rows" / "chunk-00000001.parquet").unlink()
    (partial / "points" / "chunk-00000002.parquet").unlink()
    (partial / "rows" / ".chunk-00000003.parquet.tmp").write_bytes(b"half")
    (partial / "points.parquet").unlink()
    resumed = sweep(scenario, params, replications=2, out=partial, chunk_size=1)
    assert (resumed.reused, resumed.computed) == (2, 2)
    pd.testing.assert_frame_equal(resumed.points, full.points, check_exact=True)
    pd.testing.assert_frame_equal(resumed.rows, full.rows, check_exact=True)
    assert not list((partial / "rows").glob(".chunk-*"))
    assert SweepStore(partial).done() == {0, 1, 2, 3}


def test_a_folder_holding_another_sweep_is_refused(scenario: sim.Scenario, tmp_path) -> None:
    sweep(scenario, {RATE: [0.0, 0.05]}, replications=2, out=tmp_path)
    with pytest.raises(sim.ScenarioError, match="holds another sweep"):
        sweep(scenario, {RATE: [0.0, 0.05]}, replications=3, out=tmp_path)
    (tmp_path.parent / "other").mkdir(exist_ok=True)
    (tmp_path.parent / "other" / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="already exists; pass --overwrite"):
        sweep(scenario, {RATE: [0.0]}, replications=2, out=tmp_path.parent / "other")
    with pytest.raises(BadInput, match="not a partnerlab results folder"):
        sweep(
            scenario, {RATE: [0.0]}, replications=2, out=tmp_path.parent / "other", overwrite=True
        )
    assert (tmp_path.parent / "other" / "notes.txt").read_text() == "mine"


def test_the_folder_records_what_ran(grid_result) -> None:
    import json

    manifest = json.loads((grid_result.out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["kind"] == "sweep" and manifest["points"] == 4
    assert len(manifest["config_hash"]) == 64
    design = pd.read_parquet(grid_result.out / "design.parquet")
    pd.testing.assert_frame_equal(design, grid_result.design.table, check_dtype=False)
    stored = pd.read_parquet(grid_result.out / "points.parquet")
    pd.testing.assert_frame_equal(stored, grid_result.points)
