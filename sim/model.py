"""The Mesa model: one arm (one program) run on one world, one step per week.

The weekly step, in order:

1. **Market**: this week's demand index (seasonality, shock).
2. **Nudges**: each channel contacts partners; contacts cost money, add a
   decaying effort spike and some engagement, dulled by habituation; a few
   contacted partners opt out of further contact.
3. **Effort**: each partner chooses effort from its own margin plus the
   program's marginal-reward signal (sum over incentives), weighted by its
   engagement.
4. **Pipeline**: new opportunities arrive at a rate set by size, demand,
   engagement, status and effort; deals due this week close and book revenue.
5. **Rewards**: incentives accrue this week's revenue and pay at their
   settlement dates (and accrue the open period at the horizon).
6. **Lifecycle**: engagement decays towards its baseline and rises on wins
   and payouts; partners without a win for a while go dormant; dormant
   partners may churn, losing their open deals.
7. **Accounting and data collection**: revenue, discounts, gross profit and
   program cost per partner; weekly totals by archetype; Mesa's
   ``DataCollector`` reads the model-level series.

Every update is a vectorized operation over partner rows. Mesa agents are
created only when ``model.agents`` or ``model.agents_by_type`` is first
used, so the simulation itself never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import mesa
import numpy as np
import numpy.typing as npt

from agents import ACTIVE, CHURNED, DORMANT
from sim.market import demand_index
from sim.mechanics import Outlook, build_mechanics
from sim.pipeline import arrivals
from sim.scenario import Program, Scenario
from sim.streams import WeeklyDraws
from sim.world import QUARTER, World, build_world

FloatArray = npt.NDArray[np.float64]
Arm = Literal["baseline", "design"]

#: Weekly series recorded per archetype, with their units.
SERIES = {
    "revenue": "$",
    "gross_profit": "$",
    "discounts": "$",
    "program_cost": "$",
    "rewards": "$",
    "contact_cost": "$",
    "contacts": "contacts",
    "effort": "effort (1 = business as usual)",
    "engagement": "engagement (0-1)",
    "active_partners": "partners",
    "dormant_partners": "partners",
    "churned_partners": "partners",
    "open_pipeline": "$",
}
_MEAN_SERIES = ("effort", "engagement")
#: Per-partner weekly series kept when ``record_partners`` is on, $.
PARTNER_SERIES = ("revenue", "gross_profit", "program_cost")


def _decay(half_life: FloatArray) -> FloatArray:
    return np.exp(-np.log(2.0) / half_life)


class PartnerProgramModel(mesa.Model):
    """A partner program applied to a population of partners, one step per week.

    Args:
        scenario: the validated scenario (see :func:`sim.load_scenario`).
        rng: root seed of the random streams; ``None`` uses ``scenario.seed``.
        arm: which program of the scenario to run, ``"design"`` or ``"baseline"``.
        replication: which independent world of the scenario to draw.
        world: a world already drawn for this (seed, replication), to share it
            between arms; it is not modified.
        programs: several programs run side by side in one world (pilots,
            experiment matrices); partner row ``i`` gets ``programs[assignment[i]]``
            and ``arm`` is then ignored. Default: everyone gets the arm's program.
        assignment: with ``programs``, an integer array over partner rows.
        record_partners: keep per-partner weekly series of revenue, gross
            profit and program cost in ``model.partner_series`` (memory grows
            with partners x weeks; off by default).

    The scenario is kept as ``model.spec`` because Mesa reserves
    ``model.scenario`` for its own experimental scenarios.
    """

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.integer | np.random.Generator | None = None,
        *,
        arm: Arm = "design",
        replication: int = 0,
        world: World | None = None,
        programs: Sequence[Program] | None = None,
        assignment: npt.NDArray[np.integer] | None = None,
        record_partners: bool = False,
    ) -> None:
        seed = _root_seed(scenario.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.spec = scenario
        self.seed = seed
        self.arm = arm
        self.replication = replication
        self.program = scenario.design if arm == "design" else scenario.baseline
        self.world = world if world is not None else build_world(scenario, replication, seed=seed)
        self.pipeline = self.world.pipeline.copy()
        self.state = self.world.start.carried_over()
        self.incentives, self.channels = self._mechanics(programs, assignment)
        self.draws = WeeklyDraws(seed, replication, self.world.partners)
        self.horizon = scenario.horizon_weeks
        self.demand = demand_index(scenario.market, np.arange(self.horizon))
        self.week = 0
        self.quarter_revenue: list[FloatArray] = []
        self.partner_series: dict[str, FloatArray] = (
            {name: np.zeros((self.horizon, self.world.partners)) for name in PARTNER_SERIES}
            if record_partners
            else {}
        )
        self.series = np.zeros((self.horizon, len(self.world.archetypes), len(SERIES)))
        self.quarter_active_share: list[float] = []
        self._rules = {name: self._rule_groups(name) for name in _RULES}
        self._agents_built = False
        traits = self.world.traits
        self._engagement_decay = _decay(traits.engagement_half_life_weeks)
        self._nudge_decay = _decay(traits.nudge_half_life_weeks)
        self._habituation_decay = _decay(traits.habituation_half_life_weeks)
        self._value_moment = self.world.deal_value**2 * np.exp(traits.deal_size_sigma**2)
        self._sd_floor = 0.5 * self.world.deal_value
        self._frame = np.empty((len(SERIES), self.world.partners))
        self._counts = np.diff(np.append(self.world.starts, self.world.partners))
        self.totals = dict.fromkeys(SERIES, 0.0)
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)

    def _mechanics(
        self, programs: Sequence[Program] | None, assignment: npt.NDArray[np.integer] | None
    ) -> tuple[list[Any], list[Any]]:
        """The components of the arm's program, or of each program for its assigned partners."""
        if programs is None and assignment is None:
            return build_mechanics(self.program, self.world)
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
        incentives: list[Any] = []
        channels: list[Any] = []
        for index, program in enumerate(programs):
            parts = build_mechanics(program, self.world, assignment == index)
            incentives += parts[0]
            channels += parts[1]
        return incentives, channels

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
        """Advance one week (see the module docstring for the order)."""
        t = self.week
        state, traits, world = self.state, self.world.traits, self.world
        draws = self.draws.next_week()
        demand = self.demand[t]

        contacts, contact_cost = self._nudge(draws)
        flow_rate = (
            world.base_rate
            * demand
            * self._apply("activity_multiplier", state.engagement, state.status)
        )
        signal = self._signal(flow_rate)
        state.effort = self._apply("choose_effort", signal, state.engagement, state.nudge_stock)

        index, count = arrivals(flow_rate * state.effort, draws["arrival"])
        rows = index[0]
        new = world.terms.open(
            rows, count, draws["deal_value"][rows], draws["cycle"][rows], draws["win"][rows]
        )
        self.pipeline.add(t, new, traits.win_rate)
        won = self.pipeline.close(t) * (state.status != CHURNED)  # churned: open deals are lost
        discounts = won * traits.customer_discount
        revenue = won - discounts
        gross_profit = revenue * self.spec.market.gross_margin

        final = self.week == self.horizon - 1
        rewards = np.zeros(world.partners)
        for incentive in self.incentives:
            incentive.record(t, revenue)
            rewards += incentive.settle(t, final)

        self._lifecycle(draws, won > 0, rewards > 0)
        self._account(revenue, gross_profit, discounts, rewards, contact_cost, contacts)
        self.week += 1
        if self.week >= self.horizon:
            self.running = False
        self.datacollector.collect(self)

    def run(self) -> PartnerProgramModel:
        """Run every week of the horizon; returns the model for chaining."""
        while self.running:
            self.step()
        return self

    # -- step phases ---------------------------------------------------------------
    def _nudge(self, draws: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
        state = self.state
        state.nudge_stock *= self._nudge_decay
        state.habituation *= self._habituation_decay
        n = self.world.partners
        contacts, cost = np.zeros(n), np.zeros(n)
        reachable = ~state.opted_out & (state.status != CHURNED)
        for channel in self.channels:
            sent = channel.contacts(self.week, reachable)
            contacts += sent
            cost += sent * channel.cost_per_contact
        if not self.channels:
            return contacts, cost
        contacted = contacts > 0
        lift, gain = self._apply_pair("nudge_response", contacted, state.habituation)
        state.nudge_stock += lift
        state.engagement += gain * (1.0 - state.engagement)
        leave = self._apply("opt_out_probability", contacted, state.habituation)
        state.opted_out |= draws["opt_out"] < leave
        state.habituation += contacts
        return contacts, cost

    def _signal(self, flow_rate: FloatArray) -> FloatArray:
        if not self.incentives:
            return np.zeros(self.world.partners)
        traits, state = self.world.traits, self.state
        expected_rate = flow_rate * state.effort * traits.win_rate
        outlook = Outlook(
            week=self.week,
            pipeline=self.pipeline,
            flow=expected_rate * self.world.deal_value,
            flow_var=expected_rate * self._value_moment,
            sd_floor=self._sd_floor,
        )
        return sum((i.signal(outlook) for i in self.incentives), np.zeros(self.world.partners))

    def _lifecycle(
        self, draws: dict[str, FloatArray], won: npt.NDArray[np.bool_], paid: npt.NDArray[np.bool_]
    ) -> None:
        state, traits = self.state, self.world.traits
        base = traits.engagement_baseline
        state.engagement = base + (state.engagement - base) * self._engagement_decay
        bump = traits.engagement_on_win * won + traits.engagement_on_payout * paid
        state.engagement += np.minimum(bump, 1.0) * (1.0 - state.engagement)

        state.weeks_since_win = np.where(won, 0.0, state.weeks_since_win + 1.0)
        alive = state.status != CHURNED
        lapsed = state.weeks_since_win > traits.dormancy_weeks
        state.status = np.where(alive & won, ACTIVE, state.status).astype(np.int8)
        state.status = np.where(alive & lapsed, DORMANT, state.status).astype(np.int8)
        churn = (state.status == DORMANT) & (draws["churn"] < traits.churn_rate)
        state.status[churn] = CHURNED
        state.won_this_quarter |= won

    def _account(
        self,
        revenue: FloatArray,
        gross_profit: FloatArray,
        discounts: FloatArray,
        rewards: FloatArray,
        contact_cost: FloatArray,
        contacts: FloatArray,
    ) -> None:
        state = self.state
        cost = rewards + contact_cost
        state.revenue += revenue
        state.gross_profit += gross_profit
        state.discounts += discounts
        state.program_cost += cost
        state.rewards += rewards
        state.contact_cost += contact_cost
        if self.partner_series:
            for name, values in (
                ("revenue", revenue),
                ("gross_profit", gross_profit),
                ("program_cost", cost),
            ):
                self.partner_series[name][self.week] = values
        if (self.week + 1) % QUARTER == 0:
            booked = sum(self.quarter_revenue, np.zeros(self.world.partners))
            self.quarter_revenue.append(state.revenue - booked)
            self.quarter_active_share.append(float(state.won_this_quarter.mean()))
            state.active_quarters += state.won_this_quarter
            state.won_this_quarter[:] = False
        frame = self._frame
        for j, column in enumerate(
            (
                revenue,
                gross_profit,
                discounts,
                cost,
                rewards,
                contact_cost,
                contacts,
                state.effort,
                state.engagement,
                state.status == ACTIVE,
                state.status == DORMANT,
                state.status == CHURNED,
                self.pipeline.open_expected * (state.status != CHURNED),
            )
        ):
            frame[j] = column
        sums = np.add.reduceat(frame, self.world.starts, axis=1)
        self.totals = dict(zip(SERIES, sums.sum(axis=1).tolist(), strict=True))
        for name in _MEAN_SERIES:
            sums[_SERIES_INDEX[name]] /= self._counts
            self.totals[name] /= self.world.partners
        self.series[self.week] = sums.T

    # -- dispatch of archetype decision rules -------------------------------------
    def _rule_groups(self, name: str) -> list[tuple[Callable[..., Any], slice]]:
        """Runs of consecutive archetypes that share the implementation of rule ``name``."""
        groups: list[tuple[Callable[..., Any], slice]] = []
        for cls, rows in zip(self.world.classes, self.world.slices, strict=True):
            method = getattr(cls, name)
            if groups and getattr(groups[-1][0], "__func__", None) is method.__func__:
                groups[-1] = (groups[-1][0], slice(groups[-1][1].start, rows.stop))
            else:
                groups.append((method, rows))
        return groups

    def _apply(self, name: str, *arrays: FloatArray) -> FloatArray:
        groups = self._rules[name]
        traits = self.world.traits
        if len(groups) == 1:
            rule, rows = groups[0]
            return rule(traits, rows, *(a[rows] for a in arrays))
        out = np.empty(self.world.partners)
        for rule, rows in groups:
            out[rows] = rule(traits, rows, *(a[rows] for a in arrays))
        return out

    def _apply_pair(self, name: str, *arrays: FloatArray) -> tuple[FloatArray, FloatArray]:
        first, second = np.empty(self.world.partners), np.empty(self.world.partners)
        for rule, rows in self._rules[name]:
            first[rows], second[rows] = rule(self.world.traits, rows, *(a[rows] for a in arrays))
        return first, second


_RULES = ("choose_effort", "activity_multiplier", "nudge_response", "opt_out_probability")
_SERIES_INDEX = {name: i for i, name in enumerate(SERIES)}

#: Model-level series for Mesa's DataCollector: this week's totals (means for
#: effort and engagement) over all partners.
MODEL_REPORTERS = {
    name: (lambda m, name=name: m.totals[name])
    for name in (
        "revenue",
        "gross_profit",
        "program_cost",
        "effort",
        "engagement",
        "active_partners",
    )
}


def _root_seed(rng: int | np.integer | np.random.Generator) -> int:
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, (int, np.integer)) and rng >= 0:
        return int(rng)
    raise ValueError(f"rng must be a non-negative integer seed or a numpy Generator, got {rng!r}")
