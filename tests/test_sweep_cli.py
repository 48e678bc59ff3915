"""``partnerlab sweep`` from the command line: output, reuse, bad input, and a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import PARTNERLAB, ROOT, SCENARIOS, partners_override, run_cli, wait_for

from partnerlab_cli import main

QUICKSTART = str(SCENARIOS / "quickstart.yaml")
RATE = "design.mechanics.0.tiers.1.rate"
MEDIUM = {"reseller": 105, "integrator": 35, "alliance": 10}
THRESHOLD = "design.mechanics.0.tiers.1.threshold.reseller"
SMALL_SWEEP = (
    "sweep",
    QUICKSTART,
    "--set",
    partners_override(),
    "--param",
    f"{RATE}=0:0.1:3",
    "--param",
    f"{THRESHOLD}=2000,10000",
    "--replications",
    "2",
    "--no-progress",
)


def test_sweep_prints_the_table_as_json_and_reuses_every_point_the_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(*SMALL_SWEEP, "--json", "--out", str(tmp_path))
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert (data["points_total"], data["reused"], data["computed"]) == (6, 0, 6)
    assert data["design"] == "grid" and data["replications"] == 2
    point = data["points"][4]
    assert point["params"] == {RATE: 0.1, THRESHOLD: 2000}
    for metric in ("net_lift", "incremental_gross_profit", "incremental_cost", "roi"):
        low, mean, high = (point[metric][k] for k in ("ci_low", "mean", "ci_high"))
        assert low <= mean <= high
    assert data["best"]["net_lift"]["mean"] == max(p["net_lift"]["mean"] for p in data["points"])
    assert json.loads((tmp_path / "summary.json").read_text())["points"] == data["points"]

    assert main([*SMALL_SWEEP, "--json", "--out", str(tmp_path)]) == 0
    second = capsys.readouterr()
    again = json.loads(second.out)
    assert (again["reused"], again["computed"]) == (6, 0)
    assert again["points"] == data["points"]
    assert "6 reused from" in second.err


def test_sweep_table_shows_parameters_and_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*SMALL_SWEEP, "--out", str(tmp_path)]) == 0
    stdout = capsys.readouterr().out
    assert "grid sweep of 6 points" in stdout
    header = next(line for line in stdout.splitlines() if line.startswith("point"))
    assert header.split()[:3] == ["point", "tiers.1.rate", "threshold.reseller"]
    assert "net lift $" in header and "return" in header and "pipeline value $" in header
    assert f"results written to {tmp_path}" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--param", "design.mechanics.0.tiers.1.rat=0,0.1"),
            "--param design.mechanics.0.tiers.1.rat=0,0.1: design.mechanics.0.tiers.1.rat: "
            "unknown key",
        ),
        (("--param", f"{RATE}=0:2:3"), f"--param {RATE}=0:2:3: {RATE}: "),
        (("--param", f"{RATE}=0:0.1"), "a grid needs levels"),
        (("--param", f"{RATE}=0:0.1", "--design", "lhs"), "--design lhs needs --samples N"),
        (("--param", f"{RATE}=0,0.1", "--scheduler", "tcp://x:1"), "needs --backend dask"),
        (("--param", f"{RATE}=0,0.1", "--backend", "spark"), "invalid choice"),
        ((), "expected at least one --param"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple, message: str
) -> None:
    code = main(["sweep", QUICKSTART, *args, "--out", str(tmp_path / "out")])
    stderr = capsys.readouterr().err
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert not (tmp_path / "out").exists()


def test_a_killed_sweep_resumes_to_the_table_of_an_uninterrupted_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 20 points, one per chunk: long enough to kill mid-way (each point is 2
    # paired replications of 150 partners).
    args = [
        "sweep", QUICKSTART, "--set", partners_override(MEDIUM), "--param",
        f"{RATE}=0:0.1:20", "--replications", "2", "--chunk-size", "1", "--no-progress",
        "--json",
    ]  # fmt: skip
    killed = tmp_path / "killed"
    env = {k: v for k, v in os.environ.items() if k != "PARTNERLAB_DEBUG"}
    process = subprocess.Popen(
        [str(PARTNERLAB), *args, "--out", str(killed)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def chunks() -> int:
        return len(list((killed / "points").glob("chunk-*.parquet")))

    wait_for(lambda: chunks() >= 3, "3 finished chunks in the results folder", 240, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    finished = chunks()
    assert 3 <= finished < 20
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"

    resumed = run_cli(*args, "--out", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    data = json.loads(resumed.stdout)
    assert (data["reused"], data["computed"]) == (finished, 20 - finished)

    # The uninterrupted run, in this process.
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    assert json.loads(capsys.readouterr().out)["points"] == data["points"]
    for table in ("points.parquet", "rows"):
        pd.testing.assert_frame_equal(
            _by_point(pd.read_parquet(killed / table)),
            _by_point(pd.read_parquet(tmp_path / "whole" / table)),
            check_exact=True,
        )


def _by_point(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["point", "replication"] if "replication" in frame else ["point"]
    return frame.sort_values(keys, ignore_index=True)
