"""CSV for spreadsheets (``partnerlab export``), and the ``app`` command's checks before serving."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import PARTNERLAB, load_small

import sim
from sim.report import plots
from sim.report.page import metric_header
from sim.runs.folders import save_compare, save_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    save_run(sim.run_scenario(load_small("quickstart"), replications=3, seed=5), out, ["test"])
    return out


def export(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARTNERLAB), "export", str(folder), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_runs_csv_files_hold_the_reports_numbers(run_dir: Path) -> None:
    done = export(run_dir)
    assert done.returncode == 0, done.stderr
    folder = run_dir / "csv"
    assert done.stdout.split() == [
        str(folder / f"{n}.csv") for n in ("summary", "segments", "timeseries")
    ]
    summary = pd.read_csv(folder / "summary.csv")
    data = json.loads((run_dir / "summary.json").read_text())
    total = summary[summary["Group"] == "total"].iloc[0]
    assert total["Net lift ($)"] == pytest.approx(data["net_lift"]["mean"])
    assert total["Net lift, 95% CI low ($)"] == pytest.approx(data["net_lift"]["ci_low"])
    reseller = summary[(summary["Group"] == "archetype") & (summary["Segment"] == "reseller")]
    roi = reseller[metric_header("roi")].iloc[0]
    expected = data["by_archetype"]["reseller"]["roi"]["mean"]  # null where cost does not rise
    assert math.isnan(roi) if expected is None else roi == pytest.approx(expected)
    segments = pd.read_csv(folder / "segments.csv").set_index(["Archetype", "Size band"])
    cells = plots.segment_table(pd.read_parquet(run_dir / "segments.parquet")).stack()
    for (archetype, band), value in cells.items():
        assert segments.loc[(archetype, band), "Net lift ($)"] == pytest.approx(value)
    weekly = pd.read_csv(folder / "timeseries.csv")
    runs = pd.read_parquet(run_dir / "runs.parquet").groupby("arm")["revenue"].mean()
    by_arm = weekly.groupby("Arm")["Revenue ($)"].sum()
    assert by_arm.to_dict() == pytest.approx(runs.to_dict())
    assert weekly["Week"].min() == 1


def test_a_comparisons_csv_files_have_a_row_per_design(tmp_path: Path) -> None:
    scenarios = [load_small("quickstart"), load_small("weekly_email")]
    results = sim.compare_scenarios(scenarios, replications=2, seed=5)
    save_compare(results, tmp_path / "cmp", None)
    assert export(tmp_path / "cmp", "--out", str(tmp_path / "sheets")).returncode == 0
    summary = pd.read_csv(tmp_path / "sheets" / "summary.csv")
    assert list(summary["Design"]) == list(results.ranking["design"])
    segments = pd.read_csv(tmp_path / "sheets" / "segments.csv")
    assert set(segments["Design"]) == {"quickstart", "weekly_email"}


def test_other_folders_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "pilot"}))
    done = export(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"partnerlab: error: {tmp_path / 'manifest.json'}: lists no file hashes; expected a folder "
        "written by this version of partnerlab (run the command again)"
    ]
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "pilot", "files": {}}))
    done = export(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"partnerlab: error: {tmp_path / 'manifest.json'}: kind 'pilot'; expected run or compare"
    ]
    assert not (tmp_path / "csv").exists()


def test_the_app_checks_its_scenario_and_port_before_serving(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon_weeks: -1\n")
    for args, message in (
        ([str(bad)], f"{bad}: horizon_weeks: "),
        (["--port", "70000"], "expected a port from 1 to 65535"),
    ):
        done = subprocess.run(
            [str(PARTNERLAB), "app", *args], capture_output=True, text=True, check=False, timeout=60
        )
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
