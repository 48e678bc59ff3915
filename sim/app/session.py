"""What the app does, without its page: load scenarios, edit a design, run it, write files.

Everything here is plain Python on the simulator's public pieces, so the page
(:mod:`sim.app.page`) only lays it out and the tests drive it without a
browser. Edits are ``--set`` strings, validated exactly as ``partnerlab run
--set`` validates them, so the app shows the command line's error messages.
A design is saved as a complete scenario (every default filled in), so
``partnerlab run`` on the downloaded file gives the app's numbers to the
dollar.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.engine.model import PartnerProgramModel
from sim.errors import ScenarioError
from sim.report.html import build_report
from sim.runs.api import compare_scenarios, run_scenario
from sim.runs.folders import save_run
from sim.runs.results import CompareResults, RunResults
from sim.scenario.loading import load_scenario, with_overrides
from sim.scenario.schema import TOOL_SECTIONS, Scenario

#: Designs compared side by side at most.
MAX_COMPARED = 4
Progress = Callable[[int, int], None]


def scenario_folder(scenario: Path | None = None) -> Path:
    """Where the shipped scenarios are: the given file's folder, ``./scenarios``, or the repo's."""
    if scenario is not None:
        return Path(scenario).resolve().parent
    here = Path("scenarios")
    if here.is_dir():
        return here.resolve()
    return Path(__file__).resolve().parents[2] / "scenarios"


def shipped(folder: Path) -> dict[str, Path]:
    """The scenario files of ``folder`` by name (file stem), sorted."""
    return {path.stem: path for path in sorted(Path(folder).glob("*.yaml"))}


def load_upload(name: str, data: bytes, folder: Path) -> Scenario:
    """A scenario file uploaded to the app, validated as ``partnerlab run`` would.

    ``extends:`` may name only a file of ``folder`` (the shipped scenarios), so
    an upload cannot read anything else on the machine. Errors name the
    uploaded file, the field and what was expected.

    Raises:
        ScenarioError: the file is not a valid scenario.
    """
    name = Path(name).name or "upload.yaml"
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise ScenarioError(name, "", f"expected a UTF-8 YAML scenario file ({error})") from None
    if not isinstance(raw, dict):
        raise ScenarioError(name, "", "expected a mapping of scenario fields at the top level")
    parent = raw.get("extends")
    if parent is not None:
        target = (Path(folder) / str(parent)).resolve()
        if target.parent != Path(folder).resolve() or not target.is_file():
            raise ScenarioError(
                name, "extends", f"expected a file of {folder} (uploads extend shipped scenarios)"
            )
        raw["extends"] = str(target)
    with tempfile.TemporaryDirectory() as temp:
        path = Path(temp) / name
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        try:
            return load_scenario(path)
        except ScenarioError as error:
            raise ScenarioError(name, error.field, error.expected) from None


def as_override(path: str, value: Any) -> str:
    """A ``--set`` string for one edited field (JSON is YAML, so the value reads back exactly)."""
    return f"{path}={json.dumps(value)}"


def edited(scenario: Scenario, edits: Mapping[str, Any]) -> Scenario:
    """``scenario`` with the edited fields, validated like ``partnerlab run --set``.

    Raises:
        ScenarioError: an edit breaks the scenario (the message names the ``--set``).
    """
    return with_overrides(scenario, [as_override(path, value) for path, value in edits.items()])


def scenario_yaml(scenario: Scenario, source: str) -> str:
    """The scenario as a complete YAML file that ``partnerlab run`` reproduces exactly."""
    data = scenario.model_dump(mode="json")
    for section in TOOL_SECTIONS:
        data.pop(section, None)
    header = (
        f"# Written by partnerlab app from {source}.\n"
        f"# `partnerlab run` on this file reproduces the app's numbers "
        f"({scenario.replications} replications, seed {scenario.seed}).\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def partner_outcomes(scenario: Scenario, replication: int = 0) -> pd.DataFrame:
    """What each partner of one world is paid under the baseline and the design.

    One row per partner: ``archetype``, ``size_band``, ``payout_baseline``,
    ``payout_design``, ``payout_change`` and ``net_change`` (the vendor's
    gross profit minus program cost on that partner, design minus baseline).
    Both arms run on the world of ``replication`` with the same draws, as in
    :func:`sim.runs.api.run_scenario`, so the rows add up to that world's totals.
    """
    money = {}
    for arm in ("baseline", "design"):
        model = PartnerProgramModel(
            scenario, rng=scenario.seed, arm=arm, replication=replication
        ).run()
        state, world = model.state, model.world
        money[arm] = (state.rewards.copy(), state.gross_profit - state.program_cost)
        model.release()
    return pd.DataFrame(
        {
            "archetype": np.array(world.archetypes)[world.archetype],
            "size_band": np.array(world.band_names)[world.size_band],
            "payout_baseline": money["baseline"][0],
            "payout_design": money["design"][0],
            "payout_change": money["design"][0] - money["baseline"][0],
            "net_change": money["design"][1] - money["baseline"][1],
        }
    )


@dataclass(eq=False)
class Outcome:
    """A design's run: the paired results, and one world's partner by partner.

    Outcomes compare by identity: the page redraws a figure only for a new run.
    """

    results: RunResults
    partners: pd.DataFrame


def run_design(scenario: Scenario, on_progress: Progress | None = None) -> Outcome:
    """Run the design against its baseline (the scenario's replications and seed)."""
    results = run_scenario(scenario, on_progress=on_progress)
    return Outcome(results, partner_outcomes(scenario))


def compare_designs(
    designs: Sequence[tuple[str, Scenario]], on_progress: Progress | None = None
) -> CompareResults:
    """Up to :data:`MAX_COMPARED` designs of one scenario on the same worlds, by label.

    Raises:
        ScenarioError: too many designs, or designs whose worlds differ.
    """
    if not 1 <= len(designs) <= MAX_COMPARED:
        raise ScenarioError("compare", "", f"expected 1 to {MAX_COMPARED} designs")
    scenarios = [s.model_copy(update={"name": label}) for label, s in designs]
    return compare_scenarios(
        scenarios, sources=[label for label, _ in designs], on_progress=on_progress
    )


def report_html(results: RunResults) -> str:
    """The HTML report of a run, as ``partnerlab run --report`` writes it."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "run"
        save_run(results, folder, ["partnerlab", "app"])
        return build_report(folder)
