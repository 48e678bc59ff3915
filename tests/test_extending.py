"""Extending partnerlab: a lever and an archetype defined here, in the test file alone.

``docs/architecture.md`` says a new lever is one module and a new archetype
one class; these tests hold it to that. The lever (``stretch_bonus``) is a
period reward with a random purpose and a decision of its own, so it takes
part in effort, deal timing, settlement and the random streams through the
registry and its roles only. The archetype (``distributor``) has a parameter
and a decision rule of its own. Both pass the shared contracts, and the
shipped scenarios still load and run with them registered.

Both are defined at module level (so that they pickle into worker
processes) and registered only while a test uses them.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import mesa
import numpy as np
import numpy.typing as npt
import pytest
from contracts import ArchetypeContract, LeverContract
from helpers import SCENARIOS
from pydantic import Field

import partnerlab_cli
import sim
from agents import ARCHETYPES, Partner, PartnerParams, Traits
from sim.errors import ScenarioError
from sim.levers.period_reward import PeriodReward
from sim.levers.roles import Decision, TimedReward
from sim.levers.schedule import Schedule
from sim.scenario import registry
from sim.scenario.fields import Rate
from sim.scenario.program import Lever, Period
from sim.world.streams import Draws


# -- a lever, in this file alone -----------------------------------------------------------
class StretchBonus(Lever):
    """A lump sum for beating last year's same period by a stretch; some payouts are audited."""

    example: ClassVar[Mapping[str, Any]] = {"type": "stretch_bonus", "amount": 800}

    type: Literal["stretch_bonus"]
    period: Period = Field("quarter", description="evaluation period")
    stretch: float = Field(1.2, gt=0, description="target: this x last year's same period")
    amount: float = Field(ge=0, description="bonus paid, $")
    audit_rate: Rate = Field(0.1, description="share of period ends a partner is audited")


@registry.component(StretchBonus)
class StretchReward(PeriodReward, Decision):
    """Pays ``amount`` at a period end to partners over ``stretch x`` last year; audited lose it."""

    spec: StretchBonus
    purposes = {"stretch_audit": "uniform"}
    renews = True

    def build_schedule(self) -> Schedule:
        target = np.where(self.eligible, self.spec.stretch * self.prior(), np.inf)
        target = np.maximum(target, 1.0)[None]  # partners with no history need a first sale
        return Schedule.by_breakpoint(target, 0.0, self.spec.amount)

    def decide(self, week: int, draws: Draws, alive: npt.NDArray[np.bool_]) -> None:
        self.audited = draws["stretch_audit"] < self.spec.audit_rate

    def settle(self, week: int, final: bool) -> npt.NDArray[np.float64] | None:
        paid = super().settle(week, final)
        return None if paid is None else np.where(self.audited, 0.0, paid)


STRETCH_TAGS = ("stretch_bonus",)
registry.unregister(StretchBonus)  # registered only while a test uses it (see ``stretch``)


# -- an archetype, in this file alone --------------------------------------------------------
class DistributorParams(PartnerParams):
    """A distributor's parameters: the shared ones plus its stock sensitivity."""

    stock_sensitivity: float = Field(
        0.5, ge=0, le=1, description="share of deal flow that follows engagement via stock"
    )


class Distributor(Partner):
    """A two-tier distributor: many mid-size deals, short cycles, thin margin."""

    archetype: ClassVar[str] = "distributor"
    Params: ClassVar[type[PartnerParams]] = DistributorParams
    defaults: ClassVar[dict[str, Any]] = {
        "opportunity_rate": 0.3,
        "deal_size": 15_000.0,
        "cycle_weeks_min": 1,
        "cycle_weeks_max": 4,
        "partner_margin": 0.06,
        "effort_elasticity": 0.6,
    }

    @classmethod
    def activity_multiplier(
        cls,
        traits: Traits,
        rows: slice,
        engagement: npt.NDArray[np.float64],
        status: npt.NDArray[np.int8],
    ) -> npt.NDArray[np.float64]:
        """Deal flow follows engagement through the stock the distributor keeps of our goods."""
        weight = traits.stock_sensitivity[rows]
        ratio = engagement / np.maximum(traits.engagement_baseline[rows], 1e-9)
        return (1.0 - weight + weight * ratio) * (status != 2)


del ARCHETYPES["distributor"]  # registered only while a test uses it (see ``distributor``)


@pytest.fixture
def stretch() -> Iterator[type[StretchBonus]]:
    registry.register_schema(StretchBonus, STRETCH_TAGS)
    registry.component(StretchBonus)(StretchReward)
    yield StretchBonus
    registry.unregister(StretchBonus)


@pytest.fixture
def distributor() -> Iterator[str]:
    ARCHETYPES["distributor"] = Distributor
    yield "distributor"
    del ARCHETYPES["distributor"]


# -- the lever --------------------------------------------------------------------------------
STRETCH_YAML = """
extends: {base}
name: stretch
population: {{partners: {{reseller: 30, integrator: 10, alliance: 5}}}}
design:
  name: flat 2% + stretch bonus
  mechanics:
    - {{type: tiered_rebate, tiers: [{{name: flat, threshold: 0, rate: 0.02}}]}}
    - {{type: stretch_bonus, stretch: 1.1, amount: 1500, audit_rate: 0.2}}
"""


def test_a_lever_defined_in_a_test_runs_end_to_end_from_yaml(stretch, tmp_path: Path) -> None:
    path = tmp_path / "stretch.yaml"
    path.write_text(STRETCH_YAML.format(base=SCENARIOS / "base.yaml"), encoding="utf-8")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = partnerlab_cli.main(
            ["run", str(path), "--replications", "2", "--json", "--out", str(tmp_path / "out")]
        )
    assert code == 0
    scenario = sim.load_scenario(path)
    model = sim.PartnerProgramModel(scenario).run()
    (reward,) = [c for c in model.components if isinstance(c, StretchReward)]
    assert reward in model.timed_rewards  # a period threshold: it takes part in deal timing
    assert isinstance(reward, TimedReward)
    assert "stretch_audit" in model.draws.purposes  # its random purpose is drawn
    assert (
        model.state.rewards.sum()
        > sim.PartnerProgramModel(scenario, arm="baseline").run().state.rewards.sum()
    )  # it pays


def test_a_lever_gone_from_the_registry_is_an_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "stretch.yaml"
    path.write_text(STRETCH_YAML.format(base=SCENARIOS / "base.yaml"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown mechanic type"):
        sim.load_scenario(path)


class TestTheLeverDefinedHere(LeverContract):
    @pytest.fixture
    def mechanic(self, stretch: type[StretchBonus]) -> Mapping[str, Any]:
        return stretch.example


# -- the archetype ----------------------------------------------------------------------------
def test_shipped_scenarios_load_and_run_with_a_fourth_archetype_registered(distributor) -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        sim.load_scenario(path)
    scenario = sim.load_scenario(
        SCENARIOS / "quickstart.yaml", ["population.partners={reseller: 30, integrator: 10}"]
    )
    assert sim.run_scenario(scenario, replications=2).summary["total"]["net_lift"].mean


def test_a_scenario_with_distributors_runs_with_their_own_rule(distributor) -> None:
    counts = "population.partners={reseller: 30, integrator: 10, alliance: 5, distributor: 20}"
    with pytest.raises(ScenarioError, match="distributor") as info:
        sim.load_scenario(SCENARIOS / "quickstart.yaml", [counts])
    assert info.value.field == "design.mechanics.0.tiers.1.threshold"
    thresholds = [
        f"design.mechanics.0.tiers.{k}.threshold.distributor={t}"
        for k, t in ((1, 8000), (2, 30000), (3, 80000))
    ]
    scenario = sim.load_scenario(
        SCENARIOS / "quickstart.yaml",
        [counts, *thresholds, "behaviour.distributor.stock_sensitivity=0.8"],
    )
    assert scenario.archetype_params("distributor").stock_sensitivity == 0.8
    results = sim.run_scenario(scenario, replications=2)
    assert set(results.summary["by_archetype"]) == {
        "reseller",
        "integrator",
        "alliance",
        "distributor",
    }
    model = sim.PartnerProgramModel(scenario)
    assert {type(a).__name__ for a in model.agents} >= {"Distributor", "Reseller"}


def test_unknown_archetype_parameters_are_rejected(distributor) -> None:
    with pytest.raises(ScenarioError, match="behaviour.distributor.stock"):
        sim.load_scenario(SCENARIOS / "base.yaml", ["behaviour.distributor.stock=1"])


class TestTheArchetypeDefinedHere(ArchetypeContract):
    @pytest.fixture
    def archetype(self, distributor: str) -> str:
        return distributor


# -- Mesa's batch tools, with processes ----------------------------------------------------------
def test_batch_run_in_two_processes_equals_one_process() -> None:
    scenario = sim.load_scenario(
        SCENARIOS / "quickstart.yaml", ["population.partners={reseller: 30, integrator: 10}"]
    )
    parameters = {"scenario": scenario, "arm": ["baseline", "design"]}
    options = {"rng": [1, 2], "max_steps": 12, "data_collection_period": -1}
    serial = mesa.batch_run(sim.PartnerProgramModel, parameters, number_processes=1, **options)
    parallel = mesa.batch_run(sim.PartnerProgramModel, parameters, number_processes=2, **options)
    key = lambda row: (row["arm"], row["rng"])  # noqa: E731
    assert sorted(map(key, serial)) == sorted(map(key, parallel))
    for a, b in zip(sorted(serial, key=key), sorted(parallel, key=key), strict=True):
        assert a["revenue"] == b["revenue"] and a["program_cost"] == b["program_cost"]


def test_batch_run_varies_a_field_through_overrides() -> None:
    scenario = sim.load_scenario(
        SCENARIOS / "quickstart.yaml", ["population.partners={reseller: 30, integrator: 10}"]
    )
    rates = ["design.mechanics.0.tiers.3.rate=0.02", "design.mechanics.0.tiers.3.rate=0.09"]
    rows = mesa.batch_run(
        sim.PartnerProgramModel,
        {"scenario": scenario, "override": rates},
        rng=[4],
        max_steps=26,
        number_processes=2,
        data_collection_period=-1,
    )
    costs = {row["override"]: row["program_cost"] for row in rows}
    alone = sim.PartnerProgramModel(scenario, rng=4, override=rates[1])
    for _ in range(26):
        alone.step()
    assert costs[rates[1]] == alone.weekly_total("program_cost")
    assert costs[rates[0]] != costs[rates[1]]
