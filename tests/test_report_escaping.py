"""Markup in every string a user controls shows as text in every kind of HTML report.

Scenario names and descriptions, program (design and baseline) names, tier
names, region and size band names, sweep parameter values and optimized
choices all carry a ``<script>`` payload; each report (run, compare,
optimize, sweep, pilot, calibration) must hold only the tags the report itself
writes and show every payload escaped.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from helpers import SCENARIOS

import partnerlab_cli
import sim
from sim.report.html import build_report

#: One payload per field, so each can be found escaped in the page.
PAYLOAD = "<script>alert('{0}')</script><img src=x onerror=alert(1)>&"
#: The tags the report writes itself.
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "code",
    "table", "tr", "th", "td", "figure", "img", "figcaption", "details", "summary", "pre",
    "ul", "li",
}  # fmt: skip
SMALL = {"reseller": 24, "integrator": 6, "alliance": 3}


def payload(field: str) -> str:
    return PAYLOAD.format(field)


class Tags(HTMLParser):
    """Every start tag and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def check_page(page: str, fields: list[str]) -> None:
    parser = Tags()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= ALLOWED
    for tag, attrs in parser.tags:
        assert all(name in {"lang", "charset", "class", "alt", "src"} for name, _ in attrs), tag
        if tag == "img":
            assert dict(attrs)["src"].startswith("data:image/png;base64,")  # type: ignore[union-attr]
    assert "<script" not in page.lower() and "<img src=x" not in page
    for field in fields:
        assert escaped(field) in page, f"{field} is not shown escaped"


def escaped(field: str) -> str:
    """The payload of ``field`` as the page must show it."""
    text = payload(field).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("'", "&#x27;")


def scenario_file(folder: Path, name: str, **extra: object) -> Path:
    """A small quickstart world, written whole, with markup in every name it holds."""
    data = sim.load_scenario(SCENARIOS / "quickstart.yaml").model_dump(mode="json")
    data["design"]["mechanics"][0]["tiers"][1]["name"] = payload("tier")
    data |= {
        "name": payload(name),
        "description": payload(f"{name} description"),
        "horizon_weeks": 13,
        "replications": 2,
        "population": data["population"]
        | {
            "partners": SMALL,
            "regions": {payload("region"): 0.5, "emea": 0.5},
            "size_bands": {"small": 0.6, payload("band"): 0.4},
        },
        "baseline": data["baseline"] | {"name": payload("baseline")},
        "design": data["design"] | {"name": payload(f"{name} design")},
        **extra,
    }
    path = folder / f"{len(list(folder.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def command(*args: str) -> None:
    assert partnerlab_cli.main([*args, "--no-progress", "--json"]) == 0


def test_run_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    path = scenario_file(tmp_path / "in", "run")
    command("run", str(path), "--out", str(tmp_path / "out"))
    fields = ["run", "run description", "run design", "baseline", "tier", "region", "band"]
    check_page(build_report(tmp_path / "out"), fields)


def test_compare_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    first = scenario_file(tmp_path / "in", "first")
    second = scenario_file(tmp_path / "in", "second")
    command("compare", str(first), str(second), "--out", str(tmp_path / "out"))
    fields = ["first", "second", "first design", "second design", "baseline", "tier"]
    check_page(build_report(tmp_path / "out"), fields)


def test_sweep_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    path = scenario_file(tmp_path / "in", "sweep")
    levels = f"design.name={payload('level a')},{payload('level b')}"
    command("sweep", str(path), "--param", levels, "--out", str(tmp_path / "out"))
    page = build_report(tmp_path / "out")
    check_page(page, ["sweep", "tier"])
    assert escaped("level a") in page or escaped("level b") in page  # the best point


def test_optimize_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    search = {
        "params": [
            {"type": "choice", "path": "design.name", "choices": [payload("x"), payload("y")]},
            {"type": "float", "path": "design.mechanics.0.tiers.1.rate", "low": 0.0, "high": 0.03},
        ],
        "held_out": 2,
    }
    path = scenario_file(tmp_path / "in", "optimize", search=search)
    command(
        "optimize", str(path), "--trials", "3", "--storage", "memory", "--out", str(tmp_path / "o")
    )
    best = json.loads((tmp_path / "o" / "summary.json").read_text())["best_params"]["design.name"]
    chosen = "x" if best == payload("x") else "y"
    check_page(build_report(tmp_path / "o"), ["optimize", chosen, "tier"])


def test_pilot_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    pilot = {"partners": 12, "weeks": 4, "pre_weeks": 13, "simulations": 2, "planning": None}
    path = scenario_file(tmp_path / "in", "pilot", pilot=pilot)
    command("pilot", str(path), "--out", str(tmp_path / "out"))
    check_page(build_report(tmp_path / "out"), ["pilot", "pilot design", "baseline", "region"])


def test_calibration_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.calibration.generate import generate_history

    (tmp_path / "in").mkdir()
    small = {"points": 8, "seeds": 2, "rounds": 1, "noise": 10, "predictive": 10, "draws": 200}
    path = scenario_file(tmp_path / "in", "calibrate", horizon_weeks=39, calibrate=small)
    history = tmp_path / "in" / "history.parquet"
    generate_history(sim.load_scenario(path), 39, seed=1).write(history)
    command(
        "calibrate", str(history), "--scenario", str(path),
        "--param", "behaviour.reseller.deal_size=2000:30000:log", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    check_page(build_report(tmp_path / "out"), ["calibrate", "calibrate description"])
