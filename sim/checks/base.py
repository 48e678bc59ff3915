"""What every behavioural check shares: the world it runs in, paired runs, and powered estimates.

A check runs designs on the same worlds (common random numbers), computes one
or more figures per replication from the simulated outcomes, and states each
with a 95% confidence interval over replications. It passes on the intervals,
not on the points: every interval must lie on the right side of its bound.
Replications come in batches until every interval is decided (on one side of
its bound) or a check's most replications are spent, so a check uses as many
worlds as its effect needs (:func:`measure`).

The designs a check runs are set from the world it runs in (thresholds at
quantiles of the partners' own revenue, say), so the checks run on any
population: the default one, or a user's (``partnerlab validate SCENARIO``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.checks.figures import Check, Figure
from sim.engine.accounting import MEAN_SERIES, SERIES
from sim.engine.model import PartnerProgramModel
from sim.levers.base import Component
from sim.limits import PARTNERS, REPLICATIONS, check_memory
from sim.runs import footprint
from sim.runs.stats import mean_ci
from sim.scenario.calendar import QUARTER
from sim.scenario.loading import validate_scenario
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.stacking import stack_worlds
from sim.world.world import World, build_world

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def flat(rate: float) -> dict[str, Any]:
    """A flat rebate of ``rate`` on all revenue."""
    return {"type": "tiered_rebate", "tiers": [{"name": "flat", "threshold": 0, "rate": rate}]}


#: Today's program in the checks: a flat 2% rebate.
FLAT = flat(0.02)
_SERIES = {name: i for i, name in enumerate(SERIES)}
#: Default mix of archetypes when a number of partners is asked for.
MIX = {"reseller": 0.7, "integrator": 0.23, "alliance": 0.07}


@dataclass
class Arm:
    """One program's run on one replication's world: its rows of a stacked model."""

    model: PartnerProgramModel
    copy: int  # the block copy of the stacked world holding these rows
    program: int  # the program's place in the run

    @property
    def rows(self) -> BoolArray:
        """This arm's rows of the stacked world."""
        return self.model.world.layout.copy_rows(self.copy)

    def total(self, name: str) -> float:
        """A money total of the state over this arm's partners (``revenue``, ``rewards``...)."""
        return float(getattr(self.model.state, name)[self.rows].sum())

    def net(self) -> float:
        """Gross profit less program cost over this arm's partners, $ (its net lift's parts)."""
        return self.total("gross_profit") - self.total("program_cost")

    def state(self, name: str) -> npt.NDArray[Any]:
        """A state array over this arm's partners."""
        values: npt.NDArray[Any] = getattr(self.model.state, name)[self.rows]
        return values

    def weekly(self, name: str) -> FloatArray:
        """A weekly series that is a sum (money, counts), summed over this arm's partners."""
        return self.weekly_by_archetype(name).sum(axis=1)

    def weekly_by_archetype(self, name: str) -> FloatArray:
        """A weekly series that is a sum, by archetype ``[weeks, archetypes]``."""
        if name in MEAN_SERIES:
            raise ValueError(f"{name} is a mean over partners: use partners({name!r})")
        copies = self.model.world.layout.copies
        by_archetype: FloatArray = self.model.series[:, self.copy :: copies, _SERIES[name]]
        return by_archetype

    def partners(self, name: str) -> FloatArray:
        """A per-partner weekly series ``[weeks, partners]`` (runs that record them)."""
        return self.model.partner_series[name][:, self.rows]

    def world(self, name: str) -> npt.NDArray[Any]:
        """A world array over this arm's partners (``size``, ``responder``, ``size_band``...)."""
        values: npt.NDArray[Any] = getattr(self.model.world, name)[self.rows]
        return values

    def playing[C: Component](self, role: type[C]) -> list[C]:
        """This arm's program's components of a kind."""
        return self.model.parts[self.program].playing(role)


#: One replication's arms, in the order of the programs run.
Arms = list[Arm]


@dataclass
class Setup:
    """The world the checks run in, and how many replications they may use.

    Args:
        scenario: the world (population, market, behaviour); its programs are
            replaced by each check's.
        seed: the root seed.
        batch: replications added at a time.
        most: the most replications a check runs.
        years: the horizon of the checks that look across period ends (spikes,
            timing, caps, lump sums), in years: the last period of a horizon
            moves no deal, so they need at least two.
    """

    scenario: Scenario
    seed: int = 0
    batch: int = 4
    most: int = 24
    years: int = 2

    def __post_init__(self) -> None:
        """Refuse a world or a number of replications past the limits, or past the memory.

        A batch of replications runs at once, each world once per program,
        every partner's weekly outcomes recorded over ``years`` years.

        Raises:
            ScenarioError: more partners or replications than the limits, or
                more memory than the machine has.
        """
        people = footprint.partners(self.scenario)
        PARTNERS.check(people, "--partners")
        REPLICATIONS.check(self.most, "--max-replications")
        needed = footprint.check_bytes(self.scenario, self.batch, self.years)
        check_memory(needed, f"validate ({people:,} partners, {self.batch} replications at once)")

    @classmethod
    def default(cls, partners: int = 600, seed: int = 0, **options: Any) -> Setup:
        """The default world of ``partners`` partners (archetypes in the default mix)."""
        PARTNERS.check(partners, "--partners")
        counts = {a: max(1, round(partners * share)) for a, share in MIX.items()}
        raw = {"name": "validate", "population": {"partners": counts}}
        return cls(validate_scenario(raw, source="validate"), seed=seed, **options)

    def world_scenario(self, horizon: int) -> Scenario:
        """The setup's world over ``horizon`` weeks, with today's flat 2% rebate as baseline."""
        return self.with_programs(horizon, [FLAT], [FLAT])

    def with_programs(
        self,
        horizon: int,
        baseline: Sequence[Mapping[str, Any]],
        design: Sequence[Mapping[str, Any]],
        behaviour: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """The setup's world over ``horizon`` weeks with these programs.

        ``behaviour`` sets parameters for every archetype of the population
        (switching a mechanism off, for a control).
        """
        raw = self.scenario.model_dump(exclude={"search", "pilot", "sensitivity"})
        raw |= {
            "horizon_weeks": horizon,
            "seed": self.seed,
            "baseline": {"name": "baseline", "mechanics": list(baseline)},
            "design": {"name": "design", "mechanics": list(design)},
        }
        if behaviour:
            own = raw.get("behaviour") or {}
            raw["behaviour"] = {
                name: (own.get(name) or {}) | dict(behaviour)
                for name in raw["population"]["partners"]
            }
        return validate_scenario(raw, source=f"validate ({self.scenario.name})")

    def first_world(self, scenario: Scenario) -> World:
        """Replication 0's world, for setting a check's design from the partners' own figures."""
        return build_world(scenario, 0, seed=self.seed)

    def run(
        self,
        scenario: Scenario,
        programs: Sequence[Program],
        replications: Sequence[int],
        record_partners: bool = False,
    ) -> list[Arms]:
        """Every program on each replication's world in one vectorized pass; arms by replication."""
        worlds = [build_world(scenario, r, seed=self.seed) for r in replications]
        stacked = stack_worlds(worlds, len(programs))
        count = len(replications)
        model = PartnerProgramModel(
            scenario,
            self.seed,
            replication=replications[0] if count == 1 else list(replications),
            world=stacked,
            programs=list(programs),
            assignment=stacked.layout.copy // count,
            record_partners=record_partners,
            consume_world=stacked is not worlds[0],
        ).run()
        return [
            [Arm(model, program * count + i, program) for program in range(len(programs))]
            for i in range(count)
        ]


Statistic = Callable[[Arms], Mapping[str, float]]


@dataclass(frozen=True)
class Trial:
    """Programs run on one kind of world: their arms come in this order in a replication."""

    scenario: Scenario
    programs: tuple[Program, ...]

    @classmethod
    def of(cls, scenario: Scenario, *programs: Program) -> Trial:
        """These programs (the scenario's baseline and design if none) on the scenario's world."""
        return cls(scenario, programs or (scenario.baseline, scenario.design))


def measure(
    name: str,
    fact: str,
    setup: Setup,
    trials: Sequence[Trial],
    statistic: Statistic,
    figures: Sequence[Figure],
    *,
    literature: str,
    moved_by: Sequence[str],
    record_partners: bool = True,
    most: int | None = None,
) -> Check:
    """Run batches of replications until every figure's 95% CI is on one side of its bound.

    ``statistic`` maps one replication's arms (one per program of each
    trial, in order, on that replication's worlds) to each figure's value. At least two batches run,
    and at most ``most`` replications (the setup's by default). The check
    passes if every figure's interval lies within its bound.
    """
    limit = setup.most if most is None else most
    values: dict[str, list[float]] = {f.label: [] for f in figures}
    done = 0
    while True:
        batch = list(range(done, min(done + setup.batch, limit)))
        runs = [setup.run(t.scenario, t.programs, batch, record_partners) for t in trials]
        for arms in zip(*runs, strict=True):
            for label, value in statistic([arm for trial in arms for arm in trial]).items():
                values[label].append(value)
        done += len(batch)
        estimates = {label: mean_ci(np.asarray(v)) for label, v in values.items()}
        verdicts = [f.bound.verdict(estimates[f.label]) for f in figures if f.bound.checked]
        decided = all(v is not None for v in verdicts) and done >= 2 * setup.batch
        if decided or done >= limit:
            return Check(
                name=name,
                fact=fact,
                passed=all(v is True for v in verdicts),
                estimates=estimates,
                figures=tuple(figures),
                replications=done,
                literature=literature,
                moved_by=tuple(moved_by),
            )


def program(name: str, *mechanics: Mapping[str, Any]) -> Program:
    """A program of these mechanics."""
    return Program.model_validate({"name": name, "mechanics": list(mechanics)})


def thresholds(setup: Setup, weeks: int, quantile: float) -> dict[str, float]:
    """Each archetype's ``quantile`` of its partners' quarterly revenue, $ (a design's threshold).

    From replication 0's world over ``weeks``: the expected quarterly revenue
    of each partner of week 0 at business as usual (its scale, not the luck
    of last year's few deals, which for partners with long cycles is often
    nothing).
    """
    world = setup.first_world(setup.world_scenario(weeks))
    revenue = world.expected_revenue(QUARTER)
    out = {}
    for code, name in enumerate(world.archetypes):
        own = revenue[(world.archetype == code) & (world.joined <= 0)]
        out[name] = round(max(float(np.quantile(own, quantile)), 1.0), 2)
    return out


def times(values: Mapping[str, float], factor: float) -> dict[str, float]:
    """Per-archetype values times ``factor``."""
    return {name: round(value * factor, 2) for name, value in values.items()}


def pooled_mean(groups: Sequence[FloatArray]) -> float:
    """The mean of the finite values of every group together (``nan`` if there are none)."""
    values = np.concatenate(groups) if groups else np.zeros(0)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def by_archetype(arm: Arm, values: Mapping[str, float]) -> FloatArray:
    """Per-archetype values spread over the arm's partners."""
    world = arm.model.world
    table = np.array([values[name] for name in world.archetypes])
    spread: FloatArray = table[arm.world("archetype")]
    return spread
