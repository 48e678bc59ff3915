"""The Mesa model: one arm (one program, or several side by side) on one world, weekly steps.

The weekly step, in order:

1. **Market**: this week's demand (seasonality, downturn) and supply capacity.
2. **Decisions**: partners start certifications and claim co-marketing funds.
3. **Modifiers**: program components add this week's boosts (tier benefits,
   certification, marketing leads, recognition, registration).
4. **Outlook and nudges**: each partner's expected period-end outcome; each
   channel contacts its targets (cadence, target rule, manager capacity);
   contacts cost money, add a decaying effort spike and engagement, dulled by
   habituation and turned into irritation by fatigue; some partners opt out.
5. **Effort**: each partner chooses effort from its own margin plus the
   program's marginal-reward signal, weighted by engagement and by what a
   deferred dollar is worth; share of wallet drifts with the program's reward
   rate relative to other vendors'.
6. **Pipeline**: new opportunities arrive at a rate set by size, demand,
   engagement, status, share of wallet, boosts and effort; partners register
   some deals; contested deals lose win rate unless protected.
7. **Deal timing**: in the last week of a reward period, partners pull deals
   forward (with a customer discount) or push them out, when it pays.
8. **Closing**: deals due close (part of them slip a week under a supply
   constraint) and book revenue; some booked deals are returned later.
9. **Rewards**: components accrue the week's outcomes and settle what is
   due; guardrails apply (budget, deferral, clawback); near misses and
   demotions cost engagement.
10. **Lifecycle**: engagement decays towards its baseline and rises on wins
    and payouts; partners without a win for a while go dormant; dormant
    partners may churn, losing open deals and deferred rewards.
11. **Accounting and data collection**: money per partner, weekly totals by
    archetype, and the ``DataCollector``'s model-level series.

Every update is a vectorized operation over partner rows. Mesa agents are
created only when ``model.agents`` or ``model.agents_by_type`` is first
used, so the simulation itself never pays for them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import mesa
import numpy as np
import numpy.typing as npt

from agents import CHURNED, DORMANT
from sim.components import Boosts, Outcome, Outlook
from sim.enablement import Registration
from sim.market import demand_index, supply_capacity
from sim.pipeline import arrivals
from sim.program import ProgramParts, build_program
from sim.scenario import Program, Scenario
from sim.schedule import Rows
from sim.streams import WeeklyDraws
from sim.timing import TimingGame, TimingMoves
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
    "other_cost": "$",
    "contacts": "contacts",
    "effort": "effort (1 = business as usual)",
    "engagement": "engagement (0-1)",
    "active_partners": "partners",
    "dormant_partners": "partners",
    "churned_partners": "partners",
    "open_pipeline": "$",
    "pulled_forward": "$",
    "pushed_out": "$",
    "timing_flags": "partners",
    "returned": "$",
    "forfeited": "$",
    "clawed_back": "$",
    "deferred": "$",
}
_MEAN_SERIES = ("effort", "engagement")
#: Per-partner weekly series kept when ``record_partners`` is on, $.
PARTNER_SERIES = ("revenue", "gross_profit", "program_cost", "effort", "engagement")


@dataclass
class Week:
    """One week's money and events per partner, for the accounts."""

    revenue: FloatArray
    gross_profit: FloatArray
    discounts: FloatArray
    rewards: FloatArray
    contact_cost: FloatArray
    other_cost: FloatArray
    contacts: FloatArray
    forfeited: FloatArray
    clawed_back: FloatArray
    returned: FloatArray
    moves: TimingMoves | None


def _world_of(
    scenario: Scenario, replication: int | Sequence[int], world: World | None, seed: int
) -> World:
    """The world to run: ``world``, checked against ``replication``, or a fresh one."""
    single = isinstance(replication, int | np.integer)
    if world is None:
        if not single:
            raise ValueError("several replications run on their joined world only")
        return build_world(scenario, replication, seed=seed)
    replicas = 1 if single else len(replication)
    if replicas != world.replicas:
        raise ValueError(f"the world holds {world.replicas} replications, not {replicas}")
    return world


def _decay(half_life: FloatArray) -> FloatArray:
    return np.exp(-np.log(2.0) / half_life)


class PartnerProgramModel(mesa.Model):
    """A partner program applied to a population of partners, one step per week.

    Args:
        scenario: the validated scenario (see :func:`sim.load_scenario`).
        rng: root seed of the random streams; ``None`` uses ``scenario.seed``.
        arm: which program of the scenario to run, ``"design"`` or ``"baseline"``.
        replication: which independent world of the scenario to draw; with
            a joined ``world`` (``sim.world.join_worlds``), the replications
            it holds, in its order.
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
    ) -> None:
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
        self.pipeline = self.world.pipeline if private else self.world.pipeline.copy()
        self.state = self.world.start.carried_over()
        self.parts = self._programs(programs, assignment)
        self.timing = TimingGame(self.world)
        world = self.world
        drawn = world.partners // world.copies
        self.draws = WeeklyDraws(
            seed,
            replication,
            drawn,
            purposes=self._purposes(),
            rows=world.source_row,
            sparse=_AT_ARRIVALS,
        )
        self.horizon = scenario.horizon_weeks
        market = scenario.market
        self.demand = demand_index(market, np.arange(self.horizon))
        self.supply = supply_capacity(market, np.arange(self.horizon))
        self._returns = np.zeros((market.returns.delay_weeks + 1, self.world.partners))
        self._keep = 1.0 - self.world.traits.customer_discount
        self.week = 0
        self.quarter_revenue: list[FloatArray] = []
        self.partner_series: dict[str, FloatArray] = (
            {name: np.zeros((self.horizon, self.world.partners)) for name in PARTNER_SERIES}
            if record_partners
            else {}
        )
        self._starts = self.world.starts
        self.series = np.zeros((self.horizon, len(self._starts), len(SERIES)))
        self.quarter_active_share: list[float] = []
        self._rules = {name: self._rule_groups(name) for name in _RULES}
        self._agents_built = False
        traits = self.world.traits
        self._engagement_decay = _decay(traits.engagement_half_life_weeks)
        self._nudge_decay = _decay(traits.nudge_half_life_weeks)
        self._habituation_decay = _decay(traits.habituation_half_life_weeks)
        self._wallet_decay = _decay(traits.wallet_half_life_weeks)
        self._counts = np.diff(np.append(self._starts, self.world.partners))
        self._latest = np.zeros(len(SERIES))  # last week's totals over all partners
        self._quiet = self._always_zero()
        self._rewards = [r for parts in self.parts for r in parts.period_rewards]
        self._deferring = [p for p in self.parts if p.ledger.vest_weeks]  # programs that defer
        self._our_discount = traits.pull_discount * (1.0 - traits.discount_funding)
        self._share: FloatArray | None = None  # see ``_perceived_share``
        self._budgeted = any(p.ledger.guardrails.budget is not None for p in self.parts)
        # Variance of one booked $ of deal value relative to its square: keep^2 e^(sigma^2)
        self._value_spread = self._keep**2 * np.exp(traits.deal_size_sigma**2)
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
        self._run_data = set(vars(self)) - mesa_owned - {"datacollector"}

    def _programs(
        self, programs: Sequence[Program] | None, assignment: npt.NDArray[np.integer] | None
    ) -> list[ProgramParts]:
        """The arm's program, or each program for the partners assigned to it."""
        if programs is None and assignment is None:
            return [build_program(self.program, self.world)]
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
        return [
            build_program(program, self.world, assignment == index)
            for index, program in enumerate(programs)
        ]

    def _always_zero(self) -> set[str]:
        """Weekly series this run can never move (no returns, deferral, clawback or contacts)."""
        ledgers = [parts.ledger for parts in self.parts]
        zero = {
            "returned": self.spec.market.returns.rate == 0,
            "forfeited": all(not ledger.vest_weeks for ledger in ledgers),
            "deferred": all(not ledger.vest_weeks for ledger in ledgers),
            "clawed_back": not any(ledger.guardrails.clawback for ledger in ledgers),
            "contacts": not any(parts.channels for parts in self.parts),
            "contact_cost": not any(parts.channels for parts in self.parts),
        }
        return {name for name, never in zero.items() if never}

    def _purposes(self) -> tuple[str, ...]:
        """The random purposes this run uses (each has its own stream)."""
        market = self.spec.market
        parts = self.parts
        used = {
            "opt_out": any(p.channels for p in parts),
            "register": any(isinstance(c, Registration) for c in self.components),
            "conflict": market.channel_conflict.rate > 0,
            "certify": any(p.certifications for p in parts),
            "mdf_claim": any(p.funds for p in parts),
            "return": market.returns.rate > 0,
        }
        always = ("arrival", "cycle", "win", "deal_value", "churn")
        return always + tuple(name for name, on in used.items() if on)

    @property
    def components(self) -> list[Any]:
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
        """Advance one week (see the module docstring for the order)."""
        t = self.week
        state, traits, world = self.state, self.world.traits, self.world
        draws = self.draws.next_week()
        alive = state.status != CHURNED

        for parts in self.parts:
            for certification in parts.certifications:
                certification.decide(draws["certify"], alive)
            for fund in parts.funds:
                fund.claim(t, draws["mdf_claim"], alive)
        boosts = Boosts()
        for component in self.components:
            component.boost(t, boosts)

        activity = self._apply("activity_multiplier", state.engagement, state.status)
        flow_rate = world.base_rate * self.demand[t] * activity * state.wallet * (1.0 + boosts.flow)
        win_rate = np.minimum(traits.win_rate * (1.0 + boosts.win_rate), 1.0)
        deal_size = boosts.deal_size
        boosted = isinstance(deal_size, np.ndarray) and deal_size.any()
        terms = world.terms.boosted(deal_size) if boosted else world.terms
        outlook = self._outlook(flow_rate * state.effort * win_rate, terms.deal_value)

        contacts, strength, contact_cost = self._nudge(draws, outlook, alive)
        scale = self._perceived_share()
        signal = self._signal(outlook, scale)
        effort = self._apply("choose_effort", signal, state.engagement, state.nudge_stock)
        state.effort = np.minimum(effort * boosts.effort, traits.max_effort)
        self._drift_wallet(signal)

        registered = self._arrivals(t, draws, flow_rate * state.effort, win_rate, terms, boosts)
        moves = self.timing.play(
            t,
            self.pipeline,
            self._rewards,
            outlook,
            scale,
            last_week=self.horizon - 1,
        )
        if self.supply[t] < 1.0:
            self.pipeline.move(np.full(world.partners, 1.0 - self.supply[t]), t, t + 1)
        won = self.pipeline.close(t) * alive  # churned partners' open deals are lost
        pulled = moves.pulled * alive if moves is not None else 0.0
        timing_discount = pulled * self._keep * self._our_discount  # our part of the discounts
        returned = self._returns_due(t, won, draws.get("return"), alive)
        revenue = won * self._keep - timing_discount - returned
        outcome = Outcome(
            revenue=revenue,
            deals=won / world.deal_value,
            registered=registered,
            certified=np.zeros(world.partners, dtype=bool),
            first_win=won > 0,
            marketing=np.zeros(world.partners),
        )
        rewards, forfeits, clawed, other_cost = self._settle(t, outcome, returned)
        self._lifecycle(draws, won > 0, rewards > 0, alive)
        if "forfeited" not in self._quiet:  # deferred rewards of partners who churned
            churned = state.status == CHURNED
            forfeits += sum((p.ledger.forfeit(churned) for p in self._deferring), 0.0)
        self._account(
            Week(
                revenue=revenue,
                # A timing discount cuts price, not cost: it costs its full amount in profit.
                gross_profit=(revenue + timing_discount) * self.spec.market.gross_margin
                - timing_discount,
                discounts=won * traits.customer_discount + timing_discount,
                rewards=rewards,
                contact_cost=contact_cost,
                other_cost=other_cost,
                contacts=contacts,
                forfeited=forfeits,
                clawed_back=clawed,
                returned=returned,
                moves=moves,
            )
        )
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

    # -- step phases ---------------------------------------------------------------
    def _outlook(self, expected_rate: FloatArray, deal_value: FloatArray) -> Outlook:
        """What partners expect: booked value per week from new deals, and its variance."""
        keep = self._keep
        return Outlook(
            week=self.week,
            pipeline=self.pipeline,
            flow=expected_rate * deal_value * keep,
            flow_var=expected_rate * deal_value**2 * self._value_spread,
            sd_floor=0.5 * deal_value * keep,
            keep=keep,
        )

    def _nudge(
        self, draws: dict[str, FloatArray], outlook: Outlook, reachable: npt.NDArray[np.bool_]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Contacts of every channel (to ``reachable`` partners, those not churned).

        Returns contacts, their strength and their cost.
        """
        state = self.state
        state.nudge_stock *= self._nudge_decay
        state.habituation *= self._habituation_decay
        n = self.world.partners
        contacts, strength, cost = np.zeros(n), np.zeros(n), np.zeros(n)
        due = [(p, c) for p in self.parts for c in p.channels if c.due(self.week)]
        if not due:
            return contacts, strength, cost
        opt_outable = np.zeros(n)
        for parts, channel in due:
            # A channel reaches its program's partners only: only that program's thresholds count.
            gap = functools.partial(self._gap, outlook, parts.components)
            sent = channel.contacts(
                self.week, reachable, state.opted_out, gap, state.weeks_since_win
            )
            if not sent.any():
                continue
            contacts += sent
            strength += sent * channel.strength
            cost += channel.contact_costs()
            opt_outable += sent * channel.respects_opt_out
        if contacts.any():
            lift, gain = self._apply_pair("nudge_response", strength, state.habituation)
            state.nudge_stock += lift
            state.engagement = np.clip(state.engagement + gain * (1.0 - state.engagement), 0.0, 1.0)
            leave = self._apply("opt_out_probability", opt_outable > 0, state.habituation)
            state.opted_out |= draws["opt_out"] < leave
            state.habituation += contacts
        return contacts, strength, cost

    def _gap(self, outlook: Outlook, components: list[Any], rows: Rows) -> FloatArray:
        """Partner ``rows``' least projected relative shortfall below a component's threshold."""
        gaps = [c.gap(outlook, rows) for c in components if hasattr(c, "gap")]
        if gaps:
            return np.minimum.reduce(gaps)
        return np.full(self.world.partners, np.inf)[rows]

    def _perceived_share(self) -> FloatArray:
        """What a reward dollar is worth to each partner under its program's guardrails.

        Without a budget (which can run out) it never changes, so it is kept.
        """
        if self._share is None or self._budgeted:
            self._share = self._share_now()
        return self._share

    def _share_now(self) -> FloatArray:
        value = self.world.traits.deferral_value
        if len(self.parts) == 1:
            return self.parts[0].ledger.perceived_share(value)
        share = np.zeros(self.world.partners)
        for parts in self.parts:
            share = np.where(parts.audience, parts.ledger.perceived_share(value), share)
        return share

    def _signal(self, outlook: Outlook, scale: FloatArray) -> FloatArray:
        """The program's expected reward per extra dollar of revenue from this week's effort."""
        total = np.zeros(self.world.partners)
        for component in self.components:
            for rows, value in component.signal_parts(outlook) or ():
                total[rows] += value
        return total * scale

    def _drift_wallet(self, signal: FloatArray) -> None:
        """Share of wallet follows what a $ of our business earns relative to others' (slowly).

        The target is ``((margin + our reward rate) / (margin + rival rate)) **
        wallet_elasticity``; the wallet moves towards it with a half-life of
        ``wallet_half_life_weeks``, and scales the partner's deal flow.
        """
        state, traits = self.state, self.world.traits
        state.attraction += (1.0 - self._wallet_decay) * (signal - state.attraction)
        rival = self.spec.market.competitor_reward_rate
        margin = traits.partner_margin
        # A falling rate can make the marginal reward negative; a partner still earns at
        # least a tenth of its margin on our business, so the ratio stays positive.
        ours = np.maximum(margin + state.attraction, 0.1 * margin)
        target = (ours / (margin + rival)) ** traits.wallet_elasticity
        state.wallet += (1.0 - self._wallet_decay) * (target - state.wallet)

    def _arrivals(
        self,
        t: int,
        draws: dict[str, FloatArray],
        rate: FloatArray,
        win_rate: FloatArray,
        terms: Any,
        boosts: Boosts,
    ) -> FloatArray:
        """New opportunities into the pipeline; returns deals registered per partner."""
        index, count = arrivals(rate, draws["arrival"])
        rows = index[0]
        conflict = self.spec.market.channel_conflict
        if "register" in draws:  # a registration lever sets every registration boost
            registered = draws["register"][rows] < boosts.registered_share[rows]
            protected = registered * boosts.protection[rows]
            uplift = 1.0 + registered * boosts.registration_uplift[rows]
            delay = registered * boosts.approval_weeks[rows]
        else:
            registered, protected, uplift, delay = np.zeros(rows.size, dtype=bool), 0.0, 1.0, 0.0
        contested = draws["conflict"][rows] < conflict.rate if "conflict" in draws else False
        loss = conflict.loss * contested * (1.0 - protected)
        p = win_rate[rows] * uplift * (1.0 - loss)
        new = terms.open(
            rows,
            count,
            draws["deal_value"][rows],
            draws["cycle"][rows],
            draws["win"][rows],
            win_rate=np.minimum(p, 1.0),
            delay=delay,
        )
        self.pipeline.add(t, new)
        return np.bincount(rows, weights=registered * count, minlength=self.world.partners)

    def _returns_due(
        self, t: int, won: FloatArray, u: FloatArray | None, alive: npt.NDArray[np.bool_]
    ) -> FloatArray:
        """Schedule returns of this week's bookings; returns the revenue reversed this week.

        Partners who churned (not ``alive``) have no returns.
        """
        if u is None:
            return np.zeros_like(won)
        returns = self.spec.market.returns
        slots = self._returns.shape[0]
        self._returns[(t + returns.delay_weeks) % slots] += won * self._keep * (u < returns.rate)
        due = self._returns[t % slots].copy()
        self._returns[t % slots] = 0.0
        return due * alive

    def _settle(
        self, t: int, outcome: Outcome, returned: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Accrue outcomes, settle rewards under guardrails; engagement shocks after.

        Returns rewards accrued, forfeits (none here), clawbacks and non-reward costs.
        """
        n = self.world.partners
        final = self.week == self.horizon - 1
        rewards, clawed, other = np.zeros(n), np.zeros(n), np.zeros(n)
        for parts in self.parts:
            reporters = [*parts.funds, *parts.certifications]
            for component in reporters:
                component.record(t, outcome)
            earned = np.zeros(n)
            for component in parts.components:
                if component not in reporters:
                    component.record(t, outcome)
                due = component.settle(t, final)
                if due is not None:
                    earned += due
                cost = component.costs(t)
                if cost is not None:
                    other += cost
            rewards += parts.ledger.accrue(t, earned, outcome.revenue)
            clawed += parts.ledger.claw_back(returned)
            for component in parts.components:
                component.after_settle(self.state.engagement)
        return rewards, np.zeros(n), clawed, other

    def _lifecycle(
        self,
        draws: dict[str, FloatArray],
        won: npt.NDArray[np.bool_],
        paid: npt.NDArray[np.bool_],
        alive: npt.NDArray[np.bool_],
    ) -> None:
        """Engagement decay and bumps, dormancy, churn (``alive``: not churned before)."""
        state, traits = self.state, self.world.traits
        base = traits.engagement_baseline
        state.engagement = base + (state.engagement - base) * self._engagement_decay
        bump = traits.engagement_on_win * won + traits.engagement_on_payout * paid
        state.engagement += np.minimum(bump, 1.0) * (1.0 - state.engagement)

        # Branch-free updates (masked writes are several times slower than arithmetic).
        state.weeks_since_win = (state.weeks_since_win + 1.0) * ~won
        lapsed = state.weeks_since_win > traits.dormancy_weeks
        # A live partner is dormant after a lapse, or if it was and has not won since.
        dormant = alive & (lapsed | ((state.status == DORMANT) & ~won))
        churn = dormant & (draws["churn"] < traits.churn_rate)
        # The codes are ACTIVE 0, DORMANT 1, CHURNED 2: dormant + churn + 2 x already churned.
        state.status = dormant.view(np.int8) + churn.view(np.int8) + 2 * (~alive).view(np.int8)
        state.won_this_quarter |= won

    def _account(self, week: Week) -> None:
        """Add the week to per-partner totals and to the weekly series by archetype."""
        state = self.state
        cost = (
            week.rewards - week.forfeited - week.clawed_back + week.contact_cost + week.other_cost
        )
        state.revenue += week.revenue
        state.gross_profit += week.gross_profit
        state.discounts += week.discounts
        state.program_cost += cost
        state.rewards += week.rewards
        state.contact_cost += week.contact_cost
        state.other_cost += week.other_cost
        state.forfeited += week.forfeited
        state.clawed_back += week.clawed_back
        if self.partner_series:
            for name, value in (
                ("revenue", week.revenue),
                ("gross_profit", week.gross_profit),
                ("program_cost", cost),
                ("effort", state.effort),
                ("engagement", state.engagement),
            ):
                self.partner_series[name][self.week] = value
        if (self.week + 1) % QUARTER == 0:
            booked = sum(self.quarter_revenue, np.zeros(self.world.partners))
            self.quarter_revenue.append(state.revenue - booked)
            self.quarter_active_share.append(float(state.won_this_quarter.mean()))
            state.active_quarters += state.won_this_quarter
            state.won_this_quarter[:] = False
        moves = week.moves
        columns = {
            "revenue": week.revenue,
            "gross_profit": week.gross_profit,
            "discounts": week.discounts,
            "program_cost": cost,
            "rewards": week.rewards,
            "contact_cost": week.contact_cost,
            "other_cost": week.other_cost,
            "contacts": week.contacts,
            "effort": state.effort,
            "engagement": state.engagement,
            "open_pipeline": self.pipeline.open_expected * (state.status != CHURNED),
            "returned": week.returned,
            "forfeited": week.forfeited,
            "clawed_back": week.clawed_back,
        }
        if "deferred" not in self._quiet:
            deferred = (p.ledger.deferred for p in self._deferring)
            columns["deferred"] = sum(deferred, 0.0 * state.effort)
        if moves is not None:
            columns.update(pulled_forward=moves.pulled, pushed_out=moves.pushed)
            columns["timing_flags"] = moves.flagged.astype(np.float64)
        row = self.series[self.week]
        names = [name for name in columns if name not in self._quiet]
        # Small populations: columns stacked a batch at a time, for few calls at bounded
        # memory; large ones: a column at a time, with no copy.
        per_batch = max(1, _STACKED_NUMBERS // self.world.partners)
        for first in range(0, len(names), per_batch):
            batch = names[first : first + per_batch]
            parts = [columns[name] for name in batch]
            stacked = (
                parts[0][None] if len(parts) == 1 else np.concatenate(parts).reshape(len(parts), -1)
            )
            row[:, [_SERIES_INDEX[name] for name in batch]] = np.add.reduceat(
                stacked, self._starts, axis=1
            ).T
        dormant, churned = (
            np.add.reduceat(state.status == code, self._starts, dtype=np.int64)
            for code in (DORMANT, CHURNED)
        )
        row[:, _SERIES_INDEX["dormant_partners"]] = dormant
        row[:, _SERIES_INDEX["churned_partners"]] = churned
        # Every partner is active, dormant or churned.
        row[:, _SERIES_INDEX["active_partners"]] = self._counts - dormant - churned
        self._latest = row.sum(axis=0)
        for name in _MEAN_SERIES:
            self._latest[_SERIES_INDEX[name]] /= self.world.partners
            row[:, _SERIES_INDEX[name]] /= self._counts

    def weekly_total(self, name: str) -> float:
        """Last week's total of a series over all partners (the mean for effort, engagement)."""
        return float(self._latest[_SERIES_INDEX[name]])

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


#: Random purposes read only at the rows of this week's new opportunities.
_AT_ARRIVALS = ("register", "conflict", "deal_value", "cycle", "win")
_RULES = ("choose_effort", "activity_multiplier", "nudge_response", "opt_out_probability")
_SERIES_INDEX = {name: i for i, name in enumerate(SERIES)}
#: Most numbers stacked at once to sum the weekly series by block (128 KB). Past it the
#: copy into the stack costs more than the calls it saves (a batch of 16 replications
#: sums a column at a time).
_STACKED_NUMBERS = 16_384

#: Model-level series for Mesa's DataCollector: this week's totals (means for
#: effort and engagement) over all partners.
MODEL_REPORTERS = {
    name: (lambda m, name=name: m.weekly_total(name))
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
