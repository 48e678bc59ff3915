"""The HTML report of results folders, through the API and ``partnerlab report``."""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from helpers import PARTNERLAB, SCENARIOS, load_small, partners_override, run_cli

import sim
from sim.cli.options import BadInput
from sim.report.html import build_report, write_report
from sim.report.page import money
from sim.runs.folders import save_compare, save_run

PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    save_run(sim.run_scenario(load_small("quickstart"), replications=3, seed=5), out, ["test"])
    return out


def test_run_report_has_the_headline_net_lift_and_its_figures(run_dir: Path) -> None:
    text = build_report(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    net = summary["net_lift"]
    headline = f"{money(net['mean'])} [95% CI {money(net['ci_low'])} to {money(net['ci_high'])}]"
    assert headline in text
    images = PNG.findall(text)
    # distribution, cumulative, by archetype, hockey stick, heatmap, tiers
    assert len(images) == 6
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert "http://" not in text and "https://" not in text  # opens offline
    assert "name: quickstart" in text  # the resolved scenario


def test_compare_report_ranks_the_designs(tmp_path: Path) -> None:
    scenarios = [load_small("quickstart"), load_small("weekly_email")]
    results = sim.compare_scenarios(scenarios, replications=3, seed=5)
    save_compare(results, tmp_path, None)
    text = build_report(tmp_path)
    best = results.ranking.iloc[0]
    if best["net_lift"].mean > 0:
        assert html.escape(f"{best['design']} beats today's program") in text
    else:
        assert html.escape("No design beats today's program") in text
    # distribution, ROI against cost, trajectories by archetype, one heatmap per design
    assert len(PNG.findall(text)) == 3 + len(scenarios)


def test_report_command_writes_the_file(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = subprocess.run(
        [str(PARTNERLAB), "report", str(run_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Net lift of <b>" in text and len(PNG.findall(text)) == 6
    assert write_report(run_dir) == run_dir / "report.html"


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (None, "manifest.json: missing"),
        ({"kind": "unknown", "files": {}}, "kind 'unknown'; expected one of"),
    ],
)
def test_bad_folders_are_bad_input(tmp_path: Path, manifest: dict | None, expected: str) -> None:
    if manifest is not None:
        (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match=re.escape(expected)):
        build_report(tmp_path)
    done = subprocess.run(
        [str(PARTNERLAB), "report", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and expected in done.stderr


def test_run_with_report_writes_it_next_to_the_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run(
        [
            str(PARTNERLAB),
            "run",
            str(SCENARIOS / "quickstart.yaml"),
            "--replications",
            "2",
            "--set",
            partners_override(),
            "--out",
            str(out),
            "--no-progress",
            "--report",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    net = json.loads((out / "summary.json").read_text())["net_lift"]
    assert f"<b>{money(net['mean'])} [95% CI" in (out / "report.html").read_text()


def test_pilot_report_shows_estimators_cost_and_every_recheck(tmp_path: Path) -> None:
    from test_pilot import SMALL_GRID, SMALL_PILOT

    out = tmp_path / "pilot"
    overrides = [arg for item in (*SMALL_PILOT, *SMALL_GRID) for arg in ("--set", item)]
    done = run_cli(
        "pilot", "scenarios/pilot_rebate.yaml", "--simulations", "3", "--no-progress",
        "--out", str(out), *overrides,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    text = build_report(out)
    assert f"pilot cost <b>{money(summary['pilot_cost'])}</b>" in text
    assert f"<b>{money(summary['net_effect'])}</b> net of program cost" in text
    for name, grades in summary["estimators"].items():
        assert f"<td>{name}" in text and f"<td>{money(grades['mde'])}</td>" in text
    assert "net lift = incremental gross profit" not in text  # the run report's note
    for check in summary["checks"]:
        row = f"{check['partners']:,} partners x {check['weeks']} weeks"
        assert row in text and row in done.stdout
        verdict = "confirmed" if check["confirmed"] else "failed the re-check"
        assert f"{row}: grid" in done.stdout and verdict in done.stdout
