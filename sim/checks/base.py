"""What every behavioural check shares: the world it runs in, its result, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.accounting import SERIES
from sim.engine.model import PartnerProgramModel
from sim.levers.bonus import BonusReward
from sim.limits import PARTNERS, REPLICATIONS, check_memory
from sim.runs.footprint import CHECK_PARTNER_BYTES, PROCESS_BYTES
from sim.scenario.loading import validate_scenario
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.world import build_world

FLAT = {"type": "tiered_rebate", "tiers": [{"name": "flat", "threshold": 0, "rate": 0.02}]}


@dataclass(frozen=True)
class Check:
    """One named check: its measured figure and its pass condition."""

    name: str
    fact: str
    passed: bool
    figure: str
    expected: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "passed": self.passed,
            "figure": self.figure,
            "expected": self.expected,
        }


@dataclass(frozen=True)
class Setup:
    """The world the checks run in, checked against the limits when it is made.

    Raises:
        ScenarioError: more partners or replications than the limits, or more
            memory than the machine has (every check keeps each partner's
            weekly outcomes under each design).
    """

    seed: int
    partners: int
    replications: int

    def __post_init__(self) -> None:
        PARTNERS.check(self.partners, "--partners")
        REPLICATIONS.check(self.replications, "--replications")
        needed = PROCESS_BYTES + self.partners * self.replications * CHECK_PARTNER_BYTES
        check_memory(
            needed, f"validate ({self.partners:,} partners, {self.replications:,} replications)"
        )

    def scenario(self, design: list[dict[str, Any]], **extra: Any) -> Scenario:
        """A default world of ``partners`` with the flat 2% rebate as baseline."""
        mix = {"reseller": 0.7, "integrator": 0.23, "alliance": 0.07}
        counts = {a: max(1, round(self.partners * share)) for a, share in mix.items()}
        raw = {
            "name": "validate",
            "seed": self.seed,
            "replications": self.replications,
            "population": {"partners": counts},
            "baseline": {"name": "flat 2%", "mechanics": [FLAT]},
            "design": {"name": "design", "mechanics": design},
            **extra,
        }
        return validate_scenario(raw, source="validate")

    def pairs(
        self, scenario: Scenario, designs: list[Program] | None = None
    ) -> list[list[PartnerProgramModel]]:
        """For each replication: the baseline, then each design, run on one world."""
        programs = designs or [scenario.design]
        out = []
        for replication in range(self.replications):
            world = build_world(scenario, replication, seed=self.seed)
            runs = []
            for program in [scenario.baseline, *programs]:
                spec = scenario.model_copy(update={"design": program})
                model = PartnerProgramModel(
                    spec, self.seed, replication=replication, world=world, record_partners=True
                )
                runs.append(model.run())
            out.append(runs)
        return out


def series(model: PartnerProgramModel, name: str) -> np.ndarray:
    """Weekly total of a series over all partners."""
    return model.series[:, :, list(SERIES).index(name)].sum(axis=1)


def pct(x: float) -> str:
    """A share as a signed percentage: ``+4.2%``."""
    return f"{100 * x:+.1f}%"


def mean_of(parts: list[np.ndarray]) -> float:
    """The mean of the values of every part together (``nan`` if there are none)."""
    values = np.concatenate(parts) if parts else np.zeros(0)
    return float(values.mean()) if values.size else float("nan")


def engagement_change(
    model: PartnerProgramModel, base: PartnerProgramModel, end: int
) -> np.ndarray:
    """Engagement change across a period end (week before to week after), minus the baseline's."""
    after = min(end + 1, model.horizon - 1)

    def delta(run: PartnerProgramModel) -> np.ndarray:
        series = run.partner_series["engagement"]
        return series[after] - series[end - 1]

    return delta(model) - delta(base)


def bonus_threshold(model: PartnerProgramModel) -> np.ndarray:
    """Each partner's threshold of the design's lump-sum bonus."""
    (bonus,) = model.parts[0].playing(BonusReward)
    return bonus.schedule.breakpoints[:, 0]
