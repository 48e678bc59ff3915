"""Helpers shared by the partnerlab tests (imported as ``helpers``).

Populations are kept small (30/10/5 partners) wherever the property does not
need the default 600, so the whole suite runs in well under a few minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import sim
from sim.engine.model import ENGINE_PURPOSES
from sim.levers.build import build_program
from sim.levers.effects import Outcome, Outlook
from sim.levers.nudges import Channel
from sim.levers.period_reward import PeriodReward
from sim.scenario import registry
from sim.scenario.loading import deep_merge
from sim.scenario.schema import Scenario
from sim.world.pipeline import Pipeline
from sim.world.population import recruit_count
from sim.world.streams import Distribution

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASE_YAML = SCENARIOS / "base.yaml"
#: The console script of the venv that runs the tests.
PARTNERLAB = Path(sys.executable).parent / "partnerlab"

SMALL = {"reseller": 30, "integrator": 10, "alliance": 5}
TINY = {"reseller": 12, "integrator": 4, "alliance": 2}
ARCHETYPE_NAMES = ("reseller", "integrator", "alliance")


def world_rows(scenario: Scenario) -> dict[str, int]:
    """Partner rows of each archetype in a world of ``scenario``: its partners and its recruits."""
    return {
        name: n + recruit_count(scenario.archetype_params(name), n, scenario.horizon_weeks)
        for name, n in scenario.population.partners.items()
    }


def partners_override(counts: Mapping[str, int] = SMALL) -> str:
    """A ``--set`` string that replaces the population counts."""
    body = ", ".join(f"{name}: {n}" for name, n in counts.items())
    return f"population.partners={{{body}}}"


def load_small(name: str, *overrides: str, counts: Mapping[str, int] = SMALL) -> Scenario:
    """A shipped scenario with a small population (and any further overrides)."""
    return sim.load_scenario(SCENARIOS / f"{name}.yaml", [partners_override(counts), *overrides])


def scenario_with(
    base: Scenario | None = None, partners: Mapping[str, int] | None = None, **updates: Any
) -> Scenario:
    """A validated scenario: ``base`` (default: ``Scenario()``) with sections deep-merged.

    ``partners``, if given, replaces the population counts (not merged with them).
    """
    raw = deep_merge((base or Scenario()).model_dump(), updates)
    if partners is not None:
        raw["population"]["partners"] = dict(partners)
    return Scenario.model_validate(raw)


def quiet_behaviour(**extra: Any) -> dict[str, dict[str, Any]]:
    """Behaviour with no opt-outs, no churn and no recruits: the same partners all along."""
    quiet = {"opt_out_rate": 0.0, "churn_rate": 0.0, "entry_rate": 0.0}
    return {a: quiet | extra for a in ARCHETYPE_NAMES}


def ladder(
    tiers: list[tuple[Any, float]],
    basis: str = "retroactive",
    period: str = "quarter",
    applies_to: list[str] | None = None,
) -> dict[str, Any]:
    """A ``tiered_rebate`` mechanic from ``(threshold, rate)`` pairs."""
    spec: dict[str, Any] = {
        "type": "tiered_rebate",
        "basis": basis,
        "period": period,
        "tiers": [
            {"name": f"tier{i}", "threshold": threshold, "rate": rate}
            for i, (threshold, rate) in enumerate(tiers)
        ],
    }
    if applies_to is not None:
        spec["applies_to"] = applies_to
    return spec


def email(
    every_weeks: int = 4,
    first_week: int = 0,
    cost_per_contact: float = 1.0,
    applies_to: list[str] | None = None,
) -> dict[str, Any]:
    """An ``email`` mechanic."""
    spec: dict[str, Any] = {
        "type": "email",
        "every_weeks": every_weeks,
        "first_week": first_week,
        "cost_per_contact": cost_per_contact,
    }
    if applies_to is not None:
        spec["applies_to"] = applies_to
    return spec


def design_scenario(
    *mechanics: dict[str, Any],
    partners: Mapping[str, int] = TINY,
    baseline: list[dict[str, Any]] | None = None,
    **updates: Any,
) -> Scenario:
    """A scenario whose design has ``mechanics`` (baseline: none unless given)."""
    return scenario_with(
        partners=partners,
        design={"name": "design", "mechanics": list(mechanics)},
        baseline={"name": "baseline", "mechanics": list(baseline or [])},
        **updates,
    )


def rebate_rule(
    *ladder_args: Any, partners: Mapping[str, int] = TINY, **ladder_kwargs: Any
) -> tuple[PeriodReward, sim.World]:
    """The run-time reward of one ladder on a small world."""
    scenario = design_scenario(ladder(*ladder_args, **ladder_kwargs), partners=partners)
    return rule_of(scenario)


def rule_of(
    scenario: Scenario, audience: np.ndarray | None = None
) -> tuple[PeriodReward, sim.World]:
    """The run-time reward of the first mechanic of ``scenario``'s design, on replication 0."""
    world = sim.build_world(scenario, 0)
    parts = build_program(scenario.design, world, audience)
    reward = parts.components[0]
    assert isinstance(reward, PeriodReward)
    return reward, world


def email_channel(partners: Mapping[str, int] = TINY, **kwargs: Any) -> tuple[Channel, sim.World]:
    """The run-time channel of one email mechanic on a small world."""
    scenario = design_scenario(email(**kwargs), partners=partners)
    world = sim.build_world(scenario, 0)
    return build_program(scenario.design, world).channels[0], world


def outcome(revenue: np.ndarray) -> Outcome:
    """A week's outcome with only revenue (no deals counted, registrations or marketing)."""
    n = revenue.size
    return Outcome(
        revenue=np.asarray(revenue, dtype=np.float64),
        deals=np.zeros(n),
        registered=np.zeros(n),
    )


def outlook(
    world: sim.World, week: int, flow: float = 0.0, pipeline: Pipeline | None = None
) -> Outlook:
    """Every partner expects ``flow`` $ a week, exactly (no spread), from ``pipeline``.

    The pipeline is empty unless given.
    """
    n = world.partners
    return Outlook(
        week=week,
        pipeline=Pipeline(n, world.pipeline.ring_weeks) if pipeline is None else pipeline,
        flow=np.full(n, flow),
        flow_var=np.zeros(n),
        sd_floor=np.ones(n),
        keep=1.0 - world.traits.customer_discount,
    )


def pay(rule: PeriodReward, sales: np.ndarray, week: int = 0) -> np.ndarray:
    """The reward settled on a period measure ``sales`` (recorded, then settled as final)."""
    rule.record(week, outcome(np.asarray(sales, dtype=np.float64)))
    paid = rule.settle(week, final=True)
    assert paid is not None
    return paid


def marginal(rule: PeriodReward, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """d E[reward] / d mean for a period measure ~ Normal(mean, sd), zero where ineligible."""
    return np.where(rule.eligible, rule.schedule.marginal(mean, sd), 0.0)


def rows_of(world: sim.World, archetype: str) -> slice:
    """Partner rows of one archetype."""
    return world.slices[world.archetypes.index(archetype)]


def archetype_names(world: sim.World) -> np.ndarray:
    """The archetype name of every partner row."""
    return np.array(world.archetypes)[world.archetype]


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real ``partnerlab`` console script."""
    env = {k: v for k, v in os.environ.items() if k != "PARTNERLAB_DEBUG"}
    return subprocess.run(
        [str(PARTNERLAB), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


#: Seconds between two checks of a condition a test waits for.
CHECK_EVERY = 0.05


def wait_for(
    condition: Callable[[], object],
    what: str,
    timeout: float,
    process: subprocess.Popen | None = None,
) -> None:
    """Wait until ``condition()`` holds (a file appears, a count is reached), or fail.

    Tests wait on such events, never for a fixed time. ``condition`` is checked
    every :data:`CHECK_EVERY` seconds; with ``process``, the wait between checks
    is a wait for that process to end, and its ending first is a failure
    (the event can no longer happen).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        if process is None:
            time.sleep(CHECK_EVERY)
            continue
        try:
            process.wait(timeout=CHECK_EVERY)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"{what}: the process ended first (exit {process.returncode})")


def every_purpose() -> dict[str, Distribution]:
    """Every random purpose a run can draw: the engine's, the market's and every lever's."""
    purposes = dict(ENGINE_PURPOSES) | {"conflict": "uniform", "return": "uniform"}
    for cls in registry.components():
        purposes |= cls.purposes
    return purposes
