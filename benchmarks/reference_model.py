"""An idiomatic per-agent Mesa version of partnerlab's core model, for benchmarks and checks.

Each partner is a :class:`ReferencePartner` (a ``mesa.Agent``) whose ``step()``
applies, to that one partner with scalar Python arithmetic, the same weekly
equations as :class:`sim.PartnerProgramModel` for the features it implements:

* opportunity arrival (a Poisson flow thinned to at most one bundle a week,
  its value scaled so the expected value is preserved), sales cycle and
  win/loss fate drawn on arrival, a ring of open deals by close week;
* effort from the partner's own margin plus the tiered rebate's
  marginal-reward signal, weighted by engagement; share of wallet drifting
  with the rebate's rate relative to other vendors';
* the tiered rebate (a per-partner schedule of slopes and retroactive jumps,
  settled at each period end);
* engagement decay and bumps, dormancy and churn.

It leaves out what the package does beyond that (nudges, other levers,
guardrails, deal timing, disappointment, partner entry, channel conflict,
returns, supply limits): a scenario run through both must not use them
(:func:`check_supported` says so).

It draws the same random numbers as the package (the same per-week blocks of
:class:`sim.world.streams.WeeklyDraws`, partner ``i`` reading entry ``i``) on the same
world (:func:`sim.build_world`), so the two give the same results up to
floating-point rounding; ``tests/test_reference_equivalence.py`` checks it.
The model draws each week's block before its agents step, as the package
does, because that is what keeps both arms' numbers common.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from agents import ACTIVE, ARCHETYPES, CHURNED, DORMANT
from sim.engine.model import ENGINE_PURPOSES
from sim.levers.rebate_ladder import TieredRebate
from sim.scenario.program import Program
from sim.scenario.schema import Scenario
from sim.world.market import demand_index
from sim.world.streams import WeeklyDraws
from sim.world.world import World, build_world

#: Overrides that switch off, in any scenario, the features the reference leaves out (channel
#: conflict, returns, deal timing, disappointment, entry); the arms must still be one tiered
#: rebate each.
SUPPORTED_MARKET = (
    "market.channel_conflict.rate=0",
    "market.returns.rate=0",
    *(
        f"behaviour.{a}.{name}=0"
        for a in ARCHETYPES
        for name in ("movable_share", "disappointment_sensitivity", "entry_rate")
    ),
)
#: The quickstart's ladder without its email: a design the reference implements.
LADDER = (
    "design.mechanics=[{type: tiered_rebate, period: quarter, basis: retroactive, tiers: ["
    "{name: registered, threshold: 0, rate: 0.0},"
    "{name: silver, threshold: {reseller: 5000, integrator: 10000, alliance: 25000}, rate: 0.02},"
    "{name: gold, threshold: {reseller: 20000, integrator: 40000, alliance: 100000}, rate: 0.035},"
    "{name: platinum, threshold: {reseller: 50000, integrator: 100000, alliance: 250000},"
    " rate: 0.05}]}]"
)
UNSUPPORTED = "the reference implements a tiered rebate only (no nudges, guardrails or markets)"
#: The engine's own random purposes: the reference draws exactly these.
_PURPOSES = ENGINE_PURPOSES
_WEEKS_PER = {"month": 4, "quarter": 13, "half": 26, "year": 52}
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def check_supported(scenario: Scenario, program: Program) -> TieredRebate:
    """The program's one tiered rebate, or ``ValueError`` if the run needs more than that."""
    market = scenario.market
    mechanics = program.mechanics
    if len(mechanics) != 1 or not isinstance(mechanics[0], TieredRebate):
        raise ValueError(f"{UNSUPPORTED}: {program.name!r} has other mechanics")
    rebate = mechanics[0]
    guards = program.guardrails
    problems = {
        "points measure": rebate.measure != "revenue",
        "channel conflict": market.channel_conflict.rate > 0,
        "returns": market.returns.rate > 0,
        "supply constraint": market.supply is not None,
        "budget, deferral or clawback": guards.budget is not None
        or guards.deferral is not None
        or guards.clawback,
        "payout cap": rebate.cap is not None,
        "applies_to or segments": rebate.applies_to is not None or rebate.segments is not None,
        **{
            f"{feature} ({name} > 0)": any(
                getattr(scenario.archetype_params(a), name) > 0
                for a, n in scenario.population.partners.items()
                if n > 0
            )
            for feature, name in (
                ("deal timing", "movable_share"),
                ("disappointment", "disappointment_sensitivity"),
                ("partner entry", "entry_rate"),
            )
        },
    }
    bad = [name for name, on in problems.items() if on]
    if bad:
        raise ValueError(f"{UNSUPPORTED}: turn off {', '.join(bad)}")
    return rebate


def ndtr(x: float) -> float:
    """The standard normal cdf."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


class Rebate:
    """One partner's tiered rebate: its schedule, the period measure and the effort signal.

    The schedule is ``R(S) = sum_k slope_k max(S - T_k, 0) + sum_k jump_k [S >= T_k]``
    with ``slope_k`` the step in rate at tier ``k`` and, on a retroactive basis,
    ``jump_k = slope_k T_k`` (the new rate applies to the whole period).
    """

    def __init__(
        self, thresholds: list[float], rates: list[float], retroactive: bool, period: int
    ) -> None:
        self.points: list[float] = []
        self.slopes: list[float] = []
        self.jumps: list[float] = []
        previous = 0.0
        for threshold, rate in zip(thresholds, rates, strict=True):
            step, previous = rate - previous, rate
            if math.isfinite(threshold):
                self.points.append(threshold)
                self.slopes.append(step)
                self.jumps.append(step * threshold if retroactive else 0.0)
        self.period = period
        self.measure = 0.0
        self.fresh: float | None = None  # signal of a typical later period, once per period

    def reward(self, measure: float) -> float:
        """The reward earned on period measure ``measure`` (never negative)."""
        earned = sum(
            s * max(measure - t, 0.0) for t, s in zip(self.points, self.slopes, strict=True)
        )
        earned += sum(j for t, j in zip(self.points, self.jumps, strict=True) if measure >= t)
        return max(earned, 0.0)

    def marginal(self, mean: float, sd: float) -> float:
        """d E[R(S)] / d mean for S ~ Normal(mean, sd): slopes passed, plus jumps within reach."""
        slope = sum(s for t, s in zip(self.points, self.slopes, strict=True) if t <= 0)
        reached = density = 0.0
        for t, s, j in zip(self.points, self.slopes, self.jumps, strict=True):
            if t <= 0:
                continue
            z = (t - mean) / sd
            reached += max(1.0 - ndtr(z), 0.0) * s
            density += math.exp(-0.5 * z * z) * _INV_SQRT_2PI * j
        return slope + reached + density / sd


class ReferencePartner(mesa.Agent):
    """A partner firm, stepped on its own: scalar state and its own ring of open deals."""

    def __init__(self, model: ReferenceModel, row: int, rebate: Rebate) -> None:
        super().__init__(model)
        world, traits = model.world, model.world.traits
        self.row = row
        for name in (
            "partner_margin",
            "effort_elasticity",
            "max_effort",
            "engagement_baseline",
            "engagement_on_win",
            "engagement_on_payout",
            "activity_engagement_weight",
            "dormancy_weeks",
            "churn_rate",
            "wallet_elasticity",
            "deal_size_sigma",
            "customer_discount",
        ):
            setattr(self, name, float(getattr(traits, name)[row]))
        self.cycle_min = float(world.terms.cycle_min[row])
        self.cycle_max = float(world.terms.cycle_max[row])
        self.value_sigma = float(world.terms.value_sigma[row])
        self.win_rate = float(world.terms.win_rate[row])
        self.base_rate = float(world.base_rate[row])
        self.joined = float(world.joined[row])
        self.ramp_weeks = float(traits.ramp_weeks[row])
        self.first_activity = float(traits.new_partner_activity[row])
        self.deal_value = float(world.terms.deal_value[row])
        self.keep = 1.0 - self.customer_discount
        self.engagement_decay = _decay(float(traits.engagement_half_life_weeks[row]))
        self.nudge_decay = _decay(float(traits.nudge_half_life_weeks[row]))
        self.wallet_decay = _decay(float(traits.wallet_half_life_weeks[row]))
        start = world.start
        self.engagement = float(start.engagement[row])
        self.effort = float(start.effort[row])
        self.nudge_stock = float(start.nudge_stock[row])
        self.status = int(start.status[row])
        self.weeks_since_win = float(start.weeks_since_win[row])
        self.wallet = float(start.wallet[row])
        self.attraction = float(start.attraction[row])
        ring = world.pipeline.ring_of(row)
        column = row - ring.rows.start
        self.ring = ring.weeks
        self.won_ring = ring.won[:, column].tolist()
        self.expected_ring = ring.expected[:, column].tolist()
        self.variance_ring = ring.variance[:, column].tolist()
        self.rebate = rebate
        self.revenue = self.rewards = 0.0
        self.weekly: dict[str, list[float]] = {name: [] for name in SERIES}

    # -- the week ----------------------------------------------------------------
    def step(self) -> None:
        """One week of this partner: signal, effort, arrivals, closing, rebate, lifecycle."""
        model, t = self.model, self.model.week
        u = {purpose: float(block[self.row]) for purpose, block in model.block.items()}
        alive = self.status != CHURNED

        flow_rate = self.base_rate * self.ramp(t) * model.demand[t] * self.activity() * self.wallet
        expected_rate = flow_rate * self.effort * self.win_rate
        flow = expected_rate * self.deal_value * self.keep
        flow_var = (
            expected_rate * (self.deal_value * self.keep) ** 2 * math.exp(self.deal_size_sigma**2)
        )
        sd_floor = 0.5 * self.deal_value * self.keep

        self.nudge_stock *= self.nudge_decay
        signal = self.signal(t, flow, flow_var, sd_floor)
        self.choose_effort(signal)
        self.drift_wallet(signal, model.spec.market.competitor_reward_rate)
        self.arrive(t, flow_rate * self.effort, u)

        won = self.close(t) * (1.0 if alive else 0.0)
        revenue = won * self.keep
        self.rebate.measure += revenue
        paid = self.settle(t, final=t == model.horizon - 1)
        self.lifecycle(won > 0, paid > 0, u["churn"])
        self.revenue += revenue
        self.rewards += paid
        for name, value in (
            ("revenue", revenue),
            ("rewards", paid),
            ("effort", self.effort),
            ("engagement", self.engagement),
            ("wallet", self.wallet),
        ):
            self.weekly[name].append(value)

    def ramp(self, t: int) -> float:
        """Opportunity rate relative to full: from ``new_partner_activity`` on joining to 1."""
        tenure = t - self.joined
        if tenure < 0:
            return 0.0
        progress = min(max(tenure / self.ramp_weeks, 0.0), 1.0)
        return self.first_activity + (1.0 - self.first_activity) * progress

    def activity(self) -> float:
        """Deal flow relative to a typical active partner: part of it follows engagement."""
        if self.status == CHURNED:
            return 0.0
        weight = self.activity_engagement_weight
        ratio = self.engagement / max(self.engagement_baseline, 1e-9)
        return 1.0 - weight + weight * ratio

    def signal(self, t: int, flow: float, flow_var: float, sd_floor: float) -> float:
        """The rebate's expected reward per extra $ of revenue from this week's effort."""
        rebate = self.rebate
        end = (t // rebate.period + 1) * rebate.period - 1
        open_mean = open_var = 0.0
        for week in range(t, min(end, t + self.ring - 1) + 1):  # no deal closes beyond the ring
            open_mean += self.expected_ring[week % self.ring]
            open_var += self.variance_ring[week % self.ring]
        open_mean *= self.keep
        open_var *= self.keep**2
        this_week, later = self.closing_shares(end - t)
        coming = this_week + later
        mean = rebate.measure + (open_mean + flow * coming)
        sd = max(math.sqrt(open_var + flow_var * coming), sd_floor)
        current = rebate.marginal(mean, sd)
        if rebate.fresh is None:
            fresh_mean = flow * rebate.period
            fresh_sd = max(math.sqrt(flow_var * rebate.period), sd_floor)
            rebate.fresh = rebate.marginal(fresh_mean, fresh_sd)
        return this_week * current + (1.0 - this_week) * rebate.fresh

    def closing_shares(self, weeks_left: int) -> tuple[float, float]:
        """Share of this week's arrivals closing within ``weeks_left`` weeks, and its sum before."""
        span = self.cycle_max - self.cycle_min + 1.0
        now = min(max((weeks_left - self.cycle_min + 1.0) / span, 0.0), 1.0)
        a = min(max(weeks_left - self.cycle_min, 0.0), span)
        before = a * (a + 1.0) / (2.0 * span) + max(weeks_left - self.cycle_min - span, 0.0)
        return now, before

    def choose_effort(self, signal: float) -> None:
        """Effort from the perceived value of a sale: own margin plus the engaged reward."""
        margin = self.partner_margin
        value = (margin + self.engagement * signal) / margin
        effort = max(value, 0.0) ** self.effort_elasticity * (1.0 + self.nudge_stock)
        self.effort = min(effort, self.max_effort)

    def drift_wallet(self, signal: float, rival: float) -> None:
        """Share of wallet moves slowly towards our reward rate relative to other vendors'."""
        pace = 1.0 - self.wallet_decay
        self.attraction += pace * (signal - self.attraction)
        margin = self.partner_margin
        ours = max(margin + self.attraction, 0.1 * margin)
        target = (ours / (margin + rival)) ** self.wallet_elasticity
        self.wallet += pace * (target - self.wallet)

    def arrive(self, t: int, rate: float, u: dict[str, float]) -> None:
        """At most one bundle of opportunities; its value, cycle and fate."""
        p_arrive = -math.expm1(-rate)
        if not u["arrival"] < p_arrive:
            return
        count = rate / p_arrive
        sigma = self.value_sigma
        value = self.deal_value * count * math.exp(sigma * u["deal_value"] - 0.5 * sigma * sigma)
        cycle = self.cycle_min + math.floor(u["cycle"] * (self.cycle_max - self.cycle_min + 1.0))
        p = min(self.win_rate, 1.0)
        slot = (t + int(cycle)) % self.ring
        expected = value * p
        if u["win"] < p:
            self.won_ring[slot] += value
        self.expected_ring[slot] += expected
        self.variance_ring[slot] += value * expected * (1.0 - p)

    def close(self, t: int) -> float:
        """Book this week's won deals (list value) and clear the slot."""
        slot = t % self.ring
        won = self.won_ring[slot]
        self.won_ring[slot] = self.expected_ring[slot] = self.variance_ring[slot] = 0.0
        return won

    def settle(self, t: int, final: bool) -> float:
        """At a period end (or the horizon) pay the rebate and start a new period."""
        rebate = self.rebate
        if not ((t + 1) % rebate.period == 0 or final):
            return 0.0
        payout = rebate.reward(rebate.measure)
        rebate.measure = 0.0
        rebate.fresh = None
        return payout

    def lifecycle(self, won: bool, paid: bool, u_churn: float) -> None:
        """Engagement decays to its baseline and rises on wins and payouts; dormancy; churn."""
        base = self.engagement_baseline
        self.engagement = base + (self.engagement - base) * self.engagement_decay
        bump = self.engagement_on_win * won + self.engagement_on_payout * paid
        self.engagement += min(bump, 1.0) * (1.0 - self.engagement)
        self.weeks_since_win = 0.0 if won else self.weeks_since_win + 1.0
        if self.status != CHURNED:
            if won:
                self.status = ACTIVE
            if self.weeks_since_win > self.dormancy_weeks:
                self.status = DORMANT
        if self.status == DORMANT and u_churn < self.churn_rate:
            self.status = CHURNED


#: Per-partner weekly series the reference records.
SERIES = ("revenue", "rewards", "effort", "engagement", "wallet")


def _decay(half_life: float) -> float:
    return math.exp(-math.log(2.0) / half_life)


class ReferenceModel(mesa.Model):
    """One arm of a scenario with partners as Mesa agents stepped one at a time.

    Args:
        scenario: a scenario whose arm is one tiered rebate (see :func:`check_supported`).
        arm: ``"design"`` or ``"baseline"``.
        replication: which world of the scenario to draw.
        seed: root seed of the random streams (default ``scenario.seed``).
        world: the world of (seed, replication), if already drawn; it is not modified.
    """

    def __init__(
        self,
        scenario: Scenario,
        arm: str = "design",
        replication: int = 0,
        seed: int | None = None,
        world: World | None = None,
    ) -> None:
        seed = scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.spec = scenario
        program = scenario.design if arm == "design" else scenario.baseline
        spec = check_supported(scenario, program)
        self.world = world if world is not None else build_world(scenario, replication, seed)
        if self.world.layout.copies != 1:
            raise ValueError("the reference runs one copy of a world")
        self.horizon = scenario.horizon_weeks
        self.demand = demand_index(scenario.market, np.arange(self.horizon)).tolist()
        self.draws = WeeklyDraws(seed, replication, self.world.partners, purposes=_PURPOSES)
        self.block: dict[str, np.ndarray] = {}
        self.week = 0
        period = _WEEKS_PER[spec.period]
        for code, rows in enumerate(self.world.slices):
            archetype = self.world.archetypes[code]
            thresholds = [_per_archetype(t.threshold, archetype) for t in spec.tiers]
            rates = [t.rate for t in spec.tiers]
            for row in range(rows.start, rows.stop):
                rebate = Rebate(thresholds, rates, spec.basis == "retroactive", period)
                ReferencePartner(self, row, rebate)

    def step(self) -> None:
        """One week: draw the week's random block, then step every partner in row order."""
        self.block = self.draws.next_week()
        self.agents.do("step")
        self.week += 1
        if self.week >= self.horizon:
            self.running = False

    def run(self, weeks: int | None = None) -> ReferenceModel:
        """Run ``weeks`` weeks (default: the rest of the horizon); returns the model."""
        stop = self.horizon if weeks is None else min(self.week + weeks, self.horizon)
        while self.running and self.week < stop:
            self.step()
        return self

    def totals(self, name: str) -> np.ndarray:
        """A per-partner attribute (``revenue``, ``rewards``, ...) as an array in row order."""
        return np.array([getattr(agent, name) for agent in self.agents])

    def series(self, name: str) -> np.ndarray:
        """A per-partner weekly series, ``[weeks, partners]``."""
        return np.array([agent.weekly[name] for agent in self.agents]).T


def _per_archetype(value: float | dict[str, float], archetype: str) -> float:
    """A scenario value for one archetype (a missing archetype has no such tier)."""
    if isinstance(value, dict):
        return float(value.get(archetype, math.inf))
    return float(value)
