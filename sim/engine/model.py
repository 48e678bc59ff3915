"""The Mesa model: one arm (one program, or several side by side) on one world, weekly steps.

One step is one week; its phases run in the order of
:data:`sim.engine.phases.PHASES` (market, decisions, modifiers, outlook,
nudges, effort, pipeline, timing, closing, rewards, lifecycle, accounting;
``docs/model.md`` explains each). The model holds what lives across weeks:
the world, the partners' state, the open pipeline, the programs' components,
the random streams and the accounts.

Mesa agents are created only when ``model.agents`` or ``model.agents_by_type``
is first used, so the simulation itself never pays for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import mesa
import numpy as np
import numpy.typing as npt

from sim.engine.accounting import MODEL_REPORTERS, Accounts, active_share
from sim.engine.flows import Flows
from sim.engine.phases import PHASES
from sim.engine.rules import Rules
from sim.engine.stages import ProgramStages
from sim.engine.timing import TimingGame
from sim.levers.base import Component
from sim.levers.build import ProgramParts
from sim.levers.effects import Outlook
from sim.levers.roles import TimedReward
from sim.scenario.loading import with_overrides
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.market import demand_index, supply_capacity
from sim.world.pipeline import DealTerms
from sim.world.population import ramp
from sim.world.streams import Distribution, WeeklyDraws
from sim.world.world import World, build_world

FloatArray = npt.NDArray[np.float64]
Arm = Literal["baseline", "design"]

#: The random purposes of the engine itself; levers add their own (``Component.purposes``).
ENGINE_PURPOSES: dict[str, Distribution] = {
    "arrival": "uniform",
    "cycle": "uniform",
    "win": "uniform",
    "deal_value": "normal",
    "churn": "uniform",
}


class PartnerProgramModel(mesa.Model):
    """A partner program applied to a population of partners, one step per week.

    Args:
        scenario: the validated scenario (see :func:`sim.load_scenario`).
        rng: root seed of the random streams; ``None`` uses ``scenario.seed``.
        arm: which program of the scenario to run, ``"design"`` or ``"baseline"``.
        replication: which independent world of the scenario to draw; with
            a joined ``world`` (``sim.world.stacking.stack_worlds``), the
            replications it holds, in its order.
        world: a world already drawn for this (seed, replication), to share it
            between arms; it is not modified.
        programs: several programs run side by side in one world (pilots,
            experiment matrices); partner row ``i`` gets ``programs[assignment[i]]``
            and ``arm`` is then ignored. Default: everyone gets the arm's program.
        assignment: with ``programs``, an integer array over partner rows.
        record_partners: keep per-partner weekly series of revenue, gross
            profit and program cost in ``model.partner_series`` (memory grows
            with partners x weeks; off by default).
        consume_world: let the run use ``world``'s opening pipeline in place
            instead of copying it, for a world used once (saves the pipeline's
            memory, its largest part; the world must not be reused).
        override: ``dotted.key=value`` overrides applied to ``scenario`` first
            (one string or several), validated as ``--set`` is; with
            ``mesa.batch_run`` a list of them varies one field.

    The scenario is kept as ``model.spec`` because Mesa reserves
    ``model.scenario`` for its own experimental scenarios.
    """

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.integer | np.random.Generator | None = None,
        *,
        arm: Arm = "design",
        replication: int | Sequence[int] = 0,
        world: World | None = None,
        programs: Sequence[Program] | None = None,
        assignment: npt.NDArray[np.integer] | None = None,
        record_partners: bool = False,
        consume_world: bool = False,
        override: str | Sequence[str] = (),
    ) -> None:
        scenario = with_overrides(scenario, [override] if isinstance(override, str) else override)
        seed = _root_seed(scenario.seed if rng is None else rng)
        super().__init__(rng=seed)
        mesa_owned = set(vars(self))
        self.spec = scenario
        self.seed = seed
        self.arm = arm
        self.replication = replication
        self.program = scenario.design if arm == "design" else scenario.baseline
        private = world is None or consume_world
        self.world = _world_of(scenario, replication, world, seed)
        world = self.world
        self.pipeline = world.pipeline if private else world.pipeline.copy()
        self.state = world.start.carried_over()
        self.parts = self._programs(programs, assignment)
        self.rules = Rules(world)
        self.timing = TimingGame(world)
        layout = world.layout
        self.draws = WeeklyDraws(
            seed,
            replication,
            layout.draws_per_world,
            purposes=self._purposes(),
            rows=None if layout.reads_own_draws else layout.source_row,
        )
        self.horizon = scenario.horizon_weeks
        market = scenario.market
        self.demand = demand_index(market, np.arange(self.horizon))
        self.supply = supply_capacity(market, np.arange(self.horizon))
        self._returns = np.zeros((market.returns.delay_weeks + 1, world.partners))
        traits = world.traits
        self.keep = 1.0 - traits.customer_discount  # booked share of list value
        self.week = 0
        self.accounts = Accounts(layout, self.horizon, record_partners, self._always_zero())
        self.decay = {
            name: np.exp(-np.log(2.0) / getattr(traits, f"{name}_half_life_weeks"))
            for name in ("engagement", "nudge", "habituation", "wallet")
        }
        self._in_force()
        self._budgeted = any(p.ledger.guardrails.budget is not None for p in self.parts)
        # Variance of one booked $ of deal value relative to its square: keep^2 e^(sigma^2)
        self._value_spread = self.keep**2 * np.exp(traits.deal_size_sigma**2)
        # Only recruits and partners new at week 0 ramp: their rows, and everyone's rate.
        # (Ramping all rows every week cost 6% of a quickstart replication's CPU time.)
        self._ramping = np.flatnonzero(world.joined + traits.ramp_weeks > 0)
        self._ramp = np.ones(world.partners)
        self._agents_built = False
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
        self._run_data = set(vars(self)) - mesa_owned - {"datacollector"}

    def _programs(
        self, programs: Sequence[Program] | None, assignment: npt.NDArray[np.integer] | None
    ) -> list[ProgramParts]:
        """The arm's program, or each program for the partners assigned to it (in stages)."""
        if programs is None and assignment is None:
            self.stages = ProgramStages([self.program], self.world, [None])
            return self.stages.current
        if programs is None or assignment is None:
            raise ValueError("programs and assignment go together")
        assignment = np.asarray(assignment)
        if assignment.shape != (self.world.partners,) or not np.issubdtype(
            assignment.dtype, np.integer
        ):
            raise ValueError(
                f"assignment must be an integer array over the {self.world.partners} partners"
            )
        if assignment.size and (assignment.min() < 0 or assignment.max() >= len(programs)):
            raise ValueError(f"assignment values must index the {len(programs)} programs")
        reaches = [assignment == index for index in range(len(programs))]
        self.stages = ProgramStages(programs, self.world, reaches)
        return self.stages.current

    def _in_force(self) -> None:
        """What the engine keeps of the programs in force: timed rewards, deferring ledgers."""
        self.timed_rewards: list[TimedReward] = [
            r for parts in self.parts for r in parts.timed_rewards
        ]
        self.deferring = [p for p in self.parts if p.ledger.vest_weeks]  # programs that defer
        self._share: FloatArray | None = None  # see ``perceived_share``

    def _purposes(self) -> dict[str, Distribution]:
        """The random purposes this run draws: the engine's, the market's and its levers'."""
        market = self.spec.market
        purposes = dict(ENGINE_PURPOSES)
        if market.channel_conflict.rate > 0:
            purposes["conflict"] = "uniform"
        if market.returns.rate > 0:
            purposes["return"] = "uniform"
        for component in self.stages.every_component:
            purposes |= component.purposes
        return purposes

    def _always_zero(self) -> set[str]:
        """Weekly series this run can never move (no returns, deferral, clawback or contacts)."""
        ledgers = [parts.ledger for parts in self.stages.every_part]
        channels = any(parts.channels for parts in self.stages.every_part)
        zero = {
            "returned": self.spec.market.returns.rate == 0,
            "forfeited": all(not ledger.vest_weeks for ledger in ledgers),
            "deferred": all(not ledger.vest_weeks for ledger in ledgers),
            "clawed_back": not any(ledger.guardrails.clawback for ledger in ledgers),
            "contacts": not channels,
            "contact_cost": not channels,
        }
        return {name for name, never in zero.items() if never}

    @property
    def components(self) -> list[Component]:
        """Every run-time component of every program in this run."""
        return [c for parts in self.parts for c in parts.components]

    # -- Mesa agents, on demand ------------------------------------------------
    @property
    def agents(self) -> Any:
        """All partners as Mesa agents (created on first use)."""
        self._build_agents()
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        """Partners grouped by archetype class (created on first use)."""
        self._build_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """The archetype classes present."""
        self._build_agents()
        return super().agent_types

    def _build_agents(self) -> None:
        if self._agents_built:
            return
        self._agents_built = True
        for cls, rows in zip(self.world.classes, self.world.slices, strict=True):
            cls.create_agents(self, rows.stop - rows.start, row=np.arange(rows.start, rows.stop))

    # -- the week ---------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week: every phase of :data:`~sim.engine.phases.PHASES` in order."""
        if self.stages.change(self.week):
            self._in_force()
        flows = Flows(self.week)
        for phase in PHASES:
            phase.run(self, flows)
        self.week += 1
        if self.week >= self.horizon:
            self.running = False
        self.datacollector.collect(self)

    def run(self) -> PartnerProgramModel:
        """Run every week of the horizon; returns the model for chaining."""
        while self.running:
            self.step()
        return self

    def release(self) -> None:
        """Free the run's arrays now, once its results are taken; the model is unusable after.

        A Mesa model sits in reference cycles (its event schedule refers back
        to it), so only Python's cyclic garbage collector frees it, and in a
        process holding many long-lived objects (pandas, Optuna) that collector
        seldom runs: without this, a sweep's memory grows by the size of a
        batch's arrays, tens of MB, with every batch until it does.
        """
        for name in self._run_data:
            delattr(self, name)

    # -- what the phases share ---------------------------------------------------------
    def outlook(self, expected_rate: FloatArray, terms: DealTerms) -> Outlook:
        """What partners expect: booked value per week from new deals, and its variance."""
        keep, deal_value = self.keep, terms.deal_value
        return Outlook(
            week=self.week,
            pipeline=self.pipeline,
            flow=expected_rate * deal_value * keep,
            flow_var=expected_rate * deal_value**2 * self._value_spread,
            sd_floor=0.5 * deal_value * keep,
            keep=keep,
        )

    def ramp(self, week: int) -> FloatArray:
        """Each partner's opportunity rate this week relative to its full rate (recruits ramp)."""
        traits, rows = self.world.traits, self._ramping
        self._ramp[rows] = ramp(
            week,
            self.world.joined[rows],
            traits.ramp_weeks[rows],
            traits.new_partner_activity[rows],
        )
        return self._ramp

    def perceived_share(self) -> FloatArray:
        """What a reward dollar is worth to each partner under its program's guardrails.

        Deferred dollars count for less; nothing once a budget is spent.
        Without a budget (which can run out) it never changes, so it is kept.
        """
        if self._share is None or self._budgeted:
            value = self.world.traits.deferral_value
            if len(self.parts) == 1:
                self._share = self.parts[0].ledger.perceived_share(value)
            else:
                share = np.zeros(self.world.partners)
                for parts in self.parts:
                    share = np.where(parts.audience, parts.ledger.perceived_share(value), share)
                self._share = share
        return self._share

    def drift_wallet(self, signal: FloatArray) -> None:
        """Share of wallet follows what a $ of our business earns relative to others' (slowly).

        The target is ``((margin + our reward rate) / (margin + rival rate)) **
        wallet_elasticity``; the wallet moves towards it with a half-life of
        ``wallet_half_life_weeks``, and scales the partner's deal flow.
        """
        state, traits = self.state, self.world.traits
        step = 1.0 - self.decay["wallet"]
        state.attraction += step * (signal - state.attraction)
        rival = self.spec.market.competitor_reward_rate
        margin = traits.partner_margin
        # A falling rate can make the marginal reward negative; a partner still earns at
        # least a tenth of its margin on our business, so the ratio stays positive.
        ours = np.maximum(margin + state.attraction, 0.1 * margin)
        target = (ours / (margin + rival)) ** traits.wallet_elasticity
        state.wallet += step * (target - state.wallet)

    def returns_due(
        self, t: int, won: FloatArray, u: FloatArray | None, alive: npt.NDArray[np.bool_]
    ) -> FloatArray:
        """Schedule returns of this week's bookings; returns the revenue reversed this week.

        Partners who churned (not ``alive``) have no returns.
        """
        if u is None:
            return np.zeros_like(won)
        returns = self.spec.market.returns
        slots = self._returns.shape[0]
        self._returns[(t + returns.delay_weeks) % slots] += won * self.keep * (u < returns.rate)
        due = self._returns[t % slots].copy()
        self._returns[t % slots] = 0.0
        return due * alive

    # -- results ---------------------------------------------------------------------------
    def weekly_total(self, name: str) -> float:
        """Last week's total of a series over all partners (the mean for effort, engagement)."""
        return self.accounts.weekly_total(name)

    @property
    def series(self) -> FloatArray:
        """Weekly series ``[weeks, blocks, SERIES]`` (see :mod:`sim.engine.accounting`)."""
        return self.accounts.series

    @property
    def partner_series(self) -> dict[str, FloatArray]:
        """Per-partner weekly series ``[weeks, partners]``, when ``record_partners`` is on."""
        return self.accounts.partner_series

    @property
    def quarter_active_share(self) -> list[float]:
        """Share of partners in the channel with a win, in each quarter so far."""
        accounts = self.accounts
        return [
            active_share(wins, members)
            for wins, members in zip(accounts.quarter_wins, accounts.quarter_members, strict=True)
        ]

    @property
    def quarter_revenue(self) -> list[FloatArray]:
        """Revenue per partner in each quarter so far, $."""
        return self.accounts.quarter_revenue


def _world_of(
    scenario: Scenario, replication: int | Sequence[int], world: World | None, seed: int
) -> World:
    """The world to run: ``world``, checked against ``replication``, or a fresh one."""
    if isinstance(replication, int | np.integer):
        if world is None:
            return build_world(scenario, int(replication), seed=seed)
        replicas = 1
    elif world is None:
        raise ValueError("several replications run on their joined world only")
    else:
        replicas = len(replication)
    if replicas != world.layout.replicas:
        raise ValueError(f"the world holds {world.layout.replicas} replications, not {replicas}")
    return world


def _root_seed(rng: int | np.integer | np.random.Generator) -> int:
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, int | np.integer) and rng >= 0:
        return int(rng)
    raise ValueError(f"rng must be a non-negative integer seed or a numpy Generator, got {rng!r}")
