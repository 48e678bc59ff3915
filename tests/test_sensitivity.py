"""Sensitivity analysis: Sobol' and Morris indices of net lift, the section, the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS, load_small, partners_override, run_cli

import sim
from optimize.sweeps.sensitivity import read_section, sensitivity
from partnerlab_cli import main

RATE = "design.mechanics.0.tiers.1.rate"
PEAK = "market.seasonality.peak_week"
#: Without seasonality the week of the peak provably changes nothing:
#: demand = demand * (1 + 0 * cos(...)) for every week.
FLAT = "market.seasonality.amplitude=0"


@pytest.fixture(scope="module")
def flat() -> sim.Scenario:
    return load_small("quickstart", FLAT, "horizon_weeks=26")


@pytest.fixture(scope="module")
def sobol(flat: sim.Scenario, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("sobol")
    params = {RATE: (0.0, 0.05), PEAK: (0, 51)}
    return sensitivity(flat, params, method="sobol", samples=8, replications=2, out=out)


def test_sobol_total_index_of_a_parameter_without_effect_is_zero(sobol) -> None:
    indices = sobol.indices.set_index("parameter")
    assert abs(indices.loc[PEAK, "ST"]) < 1e-9
    assert abs(indices.loc[PEAK, "S1"]) < 1e-9
    assert indices.loc[RATE, "ST"] > 0.5
    assert list(sobol.indices["parameter"]) == [RATE, PEAK]
    assert list(sobol.indices["rank"]) == [1, 2]
    assert (sobol.indices[["S1_conf", "ST_conf"]] >= 0).all().all()


def test_sobol_runs_saltelli_samples_with_common_random_numbers(sobol) -> None:
    # N * (D + 2) samples, every one on replications 0 and 1.
    assert len(sobol.sweep.points) == 8 * (2 + 2)
    rows = sobol.sweep.rows
    assert rows.groupby("point")["replication"].apply(list).eq([[0, 1]] * 32).all()
    # Samples that differ only in the peak week have identical paired results.
    by_rate = rows.groupby([RATE, "replication"])["net_lift"].nunique()
    assert (by_rate == 1).all()


def test_sobol_writes_its_table_and_figure(sobol) -> None:
    stored = pd.read_parquet(sobol.sweep.out / "indices.parquet")
    pd.testing.assert_frame_equal(stored, sobol.indices)
    assert sobol.figure is not None
    assert sobol.figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_morris_mu_star_is_the_mean_absolute_elementary_effect(
    flat: sim.Scenario, tmp_path: Path
) -> None:
    result = sensitivity(
        flat, [f"{RATE}=0:0.05"], method="morris", samples=4, replications=2, out=tmp_path
    )
    points = result.sweep.points.sort_values("point")
    assert len(points) == 4 * (1 + 1)
    # One parameter: each trajectory is two points; the effect is d(net lift) / d(u)
    # with u the position in the range (0..1), so mu_star is $ over the whole range.
    unit = points[RATE].to_numpy() / 0.05
    lift = points["net_lift"].to_numpy()
    effects = (lift[1::2] - lift[0::2]) / (unit[1::2] - unit[0::2])
    row = result.indices.iloc[0]
    assert row["mu_star"] == pytest.approx(np.abs(effects).mean(), rel=1e-9)
    assert row["mu"] == pytest.approx(effects.mean(), rel=1e-9)


def test_morris_ranks_a_parameter_without_effect_last(flat: sim.Scenario, tmp_path) -> None:
    result = sensitivity(
        flat,
        [f"{PEAK}=0:51", f"{RATE}=0:0.05", "behaviour.reseller.effort_elasticity=0.4:1.2"],
        method="morris",
        samples=4,
        replications=2,
        out=tmp_path,
        figure=False,
    )
    assert result.indices.iloc[-1]["parameter"] == PEAK
    assert result.indices.iloc[-1]["mu_star"] == 0
    assert (result.indices.iloc[:2]["mu_star"] > 0).all()
    assert result.figure is None


# -- the sensitivity: section ---------------------------------------------------------
def _scenario_file(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "sens.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'quickstart.yaml'}\nname: sens\n"
        f"market: {{seasonality: {{amplitude: 0}}}}\nhorizon_weeks: 26\n{section}",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("section", "field", "expected"),
    [
        ("sensitivity: {method: fast}", "sensitivity.method", "'sobol' or 'morris'"),
        ("sensitivity: {levels: 3}", "sensitivity.levels", "multiple of 2"),
        ("sensitivity: {samples: 0}", "sensitivity.samples", "greater than or equal to 1"),
        ("sensitivity: {params: [{path: a, low: 1, high: 1}]}", "sensitivity.params.0",
         "expected high > low"),
        ("sensitivity: {params: [{path: a, low: 0, high: 1, unit: x}]}",
         "sensitivity.params.0.unit", "unknown key"),
    ],
)  # fmt: skip
def test_section_errors_name_the_field(
    tmp_path: Path, section: str, field: str, expected: str
) -> None:
    path = _scenario_file(tmp_path, section)
    with pytest.raises(sim.ScenarioError) as error:
        read_section(sim.load_scenario(path), str(path))
    assert (error.value.source, error.value.field) == (str(path), field)
    assert expected in error.value.expected


def test_bad_parameter_path_in_the_section_is_named(tmp_path: Path) -> None:
    path = _scenario_file(
        tmp_path, "sensitivity:\n  params:\n    - {path: market.demandd, low: 0.5, high: 1.5}\n"
    )
    with pytest.raises(sim.ScenarioError) as error:
        sensitivity(path, figure=False, out=tmp_path / "out")
    assert error.value.source == f"{path}: sensitivity.params.0"
    assert error.value.field == "market.demandd"


def test_command_reads_the_section_and_ranks_the_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _scenario_file(
        tmp_path,
        "sensitivity:\n"
        "  method: morris\n  samples: 3\n  replications: 2\n"
        "  params:\n"
        f"    - {{path: {PEAK}, low: 0, high: 51}}\n"
        f"    - {{path: {RATE}, low: 0.0, high: 0.5}}\n",
    )
    out = tmp_path / "out"
    args = ["sensitivity", str(path), "--set", partners_override(), "--no-progress"]
    # --param replaces the section's range of the same path.
    result = run_cli(*args, "--param", f"{RATE}=0:0.05", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["method"] == "morris" and data["evaluations"] == 3 * (2 + 1)
    assert [i["parameter"] for i in data["indices"]] == [RATE, PEAK]
    assert data["indices"][0]["high"] == 0.05 and data["indices"][1]["mu_star"] == 0
    assert Path(data["figure"]).is_file()
    assert json.loads((out / "summary.json").read_text()) == data

    assert main([*args, "--param", f"{RATE}=0:0.05", "--out", str(out)]) == 0
    table = capsys.readouterr()
    assert "9 reused" in table.err
    ranked = [line.split()[:2] for line in table.out.splitlines() if line[:1].isdigit()]
    assert ranked == [["1", RATE], ["2", PEAK]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--param", f"{RATE}=0,0.05"), "expected a range lo:hi"),
        ((), "sensitivity.params: expected at least one parameter"),
        (("--param", f"{RATE}=0:0.05", "--levels", "5"), "--levels: expected an even number"),
        (("--param", f"{RATE}=0:0.05", "--method", "fast"), "invalid choice"),
    ],
)
def test_command_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple, message: str
) -> None:
    code = main(["sensitivity", str(SCENARIOS / "quickstart.yaml"), *args, "--out", str(tmp_path)])
    stderr = capsys.readouterr().err
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
