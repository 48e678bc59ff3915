"""The weekly step as data: an ordered list of phases, each declaring what it reads and writes.

One step is one week. The engine runs :data:`PHASES` in order; each phase is
a function of the model and the week's :class:`Flows`, the record that
carries what one phase hands to the next. A phase declares the flows it
reads and those it writes, a test checks that every read was written by an
earlier phase and that a phase touches nothing else, and ``docs/model.md``'s
step list is checked against this list.

Every update is a vectorized operation over partner rows.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from agents import ACTIVE, CHURNED, DORMANT, PROSPECT, in_channel
from sim.engine.accounting import WeekMoney
from sim.engine.flows import Engine, Flows, Phase
from sim.levers.effects import Boosts, Outcome, Outlook
from sim.levers.roles import Thresholded
from sim.levers.schedule import Rows
from sim.world.pipeline import arrivals

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def market(model: Engine, week: Flows) -> None:
    """This week's demand and supply, its random numbers; recruits join; who is in the channel."""
    week.demand = float(model.demand[week.week])
    week.supply = float(model.supply[week.week])
    week.draws = model.draws.next_week()
    state = model.state
    joining = (state.status == PROSPECT) & (model.world.joined <= week.week)
    state.status = np.where(joining, ACTIVE, state.status).astype(np.int8)
    week.alive = in_channel(state.status)


def decisions(model: Engine, week: Flows) -> None:
    """Partners start certifications and claim co-marketing funds (``Decision`` levers)."""
    for parts in model.parts:
        for decision in parts.decisions:
            decision.decide(week.week, week.draws, week.alive)


def modifiers(model: Engine, week: Flows) -> None:
    """Levers add this week's boosts: tier benefits, certification, leads, recognition."""
    week.boosts = Boosts()
    for component in model.components:
        component.boost(week.week, week.boosts)


def outlook(model: Engine, week: Flows) -> None:
    """Each partner's deal flow this week and its expected sales; levers note the expectations."""
    state, world, boosts = model.state, model.world, week.boosts
    activity = model.rules.apply("activity_multiplier", state.engagement, state.status)
    rate = world.base_rate * model.ramp(week.week)
    week.flow_rate = rate * week.demand * activity * state.wallet * (1.0 + boosts.flow)
    week.win_rate = np.minimum(world.traits.win_rate * (1.0 + boosts.win_rate), 1.0)
    deal_size = boosts.deal_size
    week.terms = world.terms
    if isinstance(deal_size, np.ndarray) and deal_size.any():
        week.terms = world.terms.boosted(deal_size)
    week.outlook = model.outlook(week.flow_rate * state.effort * week.win_rate, week.terms)
    for component in model.components:
        component.observe(week.week, week.outlook)


def nudges(model: Engine, week: Flows) -> None:
    """Channels contact their targets; contacts spike effort, habituate and drive opt-outs."""
    state, n = model.state, model.world.partners
    state.nudge_stock *= model.decay["nudge"]
    state.habituation *= model.decay["habituation"]
    week.contacts, week.contact_cost = np.zeros(n), np.zeros(n)
    due = [(p, c) for p in model.parts for c in p.channels if c.due(week.week)]
    if not due:
        return
    strength, opt_outable = np.zeros(n), np.zeros(n)
    for parts, channel in due:
        # A channel reaches its program's partners only: only that program's thresholds count.
        gap = functools.partial(_gap, week.outlook, parts.thresholded, n)
        sent = channel.contacts(week.week, week.alive, state.opted_out, gap, state.weeks_since_win)
        if not sent.any():
            continue
        week.contacts += sent
        strength += sent * channel.strength
        week.contact_cost += channel.contact_costs()
        opt_outable += sent * channel.respects_opt_out
    if week.contacts.any():
        lift, gain = model.rules.apply_pair("nudge_response", strength, state.habituation)
        state.nudge_stock += lift
        state.engagement = np.clip(state.engagement + gain * (1.0 - state.engagement), 0.0, 1.0)
        leave = model.rules.apply("opt_out_probability", opt_outable > 0, state.habituation)
        state.opted_out |= week.draws["opt_out"] < leave
        state.habituation += week.contacts


def _gap(outlook: Outlook, levers: list[Thresholded], partners: int, rows: Rows) -> FloatArray:
    """Partner ``rows``' least projected relative shortfall below a lever's threshold."""
    if levers:
        return np.minimum.reduce([lever.gap(outlook, rows) for lever in levers])
    return np.full(partners, np.inf)[rows]


def effort(model: Engine, week: Flows) -> None:
    """Partners choose effort from the program's marginal-reward signal; share of wallet drifts."""
    state, traits = model.state, model.world.traits
    week.scale = model.perceived_share()
    total = np.zeros(model.world.partners)
    for component in model.components:
        for rows, value in component.signal_parts(week.outlook) or ():
            total[rows] += value
    week.signal = total * week.scale
    chosen = model.rules.apply("choose_effort", week.signal, state.engagement, state.nudge_stock)
    state.effort = np.minimum(chosen * week.boosts.effort, traits.max_effort)
    model.drift_wallet(week.signal)


def pipeline(model: Engine, week: Flows) -> None:
    """New opportunities arrive; partners register some; contested deals lose win rate."""
    draws, boosts = week.draws, week.boosts
    index, count = arrivals(week.flow_rate * model.state.effort, draws["arrival"])
    rows = index[0]
    conflict = model.spec.market.channel_conflict
    # A registration lever in force sets every registration boost (arrays); a program that
    # brings one in later draws for it from week 0.
    if "register" in draws and np.ndim(boosts.registered_share):
        registered = draws["register"][rows] < np.asarray(boosts.registered_share)[rows]
        protected = registered * np.asarray(boosts.protection)[rows]
        uplift = 1.0 + registered * np.asarray(boosts.registration_uplift)[rows]
        delay = registered * np.asarray(boosts.approval_weeks)[rows]
    else:
        registered, protected, uplift, delay = np.zeros(rows.size, dtype=bool), 0.0, 1.0, 0.0
    contested = draws["conflict"][rows] < conflict.rate if "conflict" in draws else False
    loss = conflict.loss * contested * (1.0 - protected)
    p = week.win_rate[rows] * uplift * (1.0 - loss)
    new = week.terms.open(
        rows,
        count,
        draws["deal_value"][rows],
        draws["cycle"][rows],
        draws["win"][rows],
        win_rate=np.minimum(p, 1.0),
        delay=delay,
    )
    model.pipeline.add(week.week, new)
    n = model.world.partners
    week.registered = np.bincount(rows, weights=registered * count, minlength=n)
    expected = new.value * new.win_rate * model.keep[rows]
    week.new_pipeline = np.bincount(rows, weights=expected, minlength=n)


def timing(model: Engine, week: Flows) -> None:
    """At a reward period's end, partners pull deals forward (a discount) or push them out."""
    week.moves = model.timing.play(
        week.week,
        model.pipeline,
        model.timed_rewards,
        week.outlook,
        week.scale,
        last_week=model.horizon - 1,
    )


def closing(model: Engine, week: Flows) -> None:
    """Deals due close (some slip under a supply limit) and book revenue; returns reverse some."""
    t, alive = week.week, week.alive
    if week.supply < 1.0:
        model.pipeline.move(np.full(model.world.partners, 1.0 - week.supply), t, t + 1)
    week.won = model.pipeline.close(t) * alive  # churned partners' open deals are lost
    # Our part of the pull-forward discounts (churned partners' deals are lost, see above).
    pulled = week.moves.discount if week.moves is not None else np.zeros(model.world.partners)
    week.timing_discount = np.where(alive, pulled, 0.0)
    week.returned = model.returns_due(t, week.won, week.draws.get("return"), alive)
    week.revenue = week.won * model.keep - week.timing_discount - week.returned


def rewards(model: Engine, week: Flows) -> None:
    """Levers accrue the week's outcomes and settle what is due, under the guardrails."""
    t, n = week.week, model.world.partners
    final = t == model.horizon - 1
    week.outcome = Outcome(
        revenue=week.revenue,
        deals=week.won / model.world.deal_value,
        registered=week.registered,
        contributed=_contributions(model, t),
    )
    week.rewards, week.clawed_back, week.other_cost = np.zeros(n), np.zeros(n), np.zeros(n)
    for parts in model.parts:
        earned = np.zeros(n)
        for component in parts.components:
            component.record(t, week.outcome)
            due = component.settle(t, final)
            if due is not None:
                earned += due
            cost = component.costs(t)
            if cost is not None:
                week.other_cost += cost
        week.rewards += parts.ledger.accrue(t, earned, week.outcome.revenue)
        week.clawed_back += parts.ledger.claw_back(week.returned)
        for component in parts.components:
            shock = component.engagement_shock()
            if shock is not None:
                model.state.engagement *= shock


def _contributions(model: Engine, week: int) -> dict[str, npt.NDArray[Any]]:
    """The outcomes ``Contributor`` levers report this week, summed by name."""
    merged: dict[str, npt.NDArray[Any]] = {}
    for parts in model.parts:
        for contributor in parts.contributors:
            for name, values in contributor.contribute(week).items():
                merged[name] = values if name not in merged else merged[name] + values
    return merged


def lifecycle(model: Engine, week: Flows) -> None:
    """Engagement decays and rises on wins and payouts; lapsed partners go dormant, some churn."""
    state, traits = model.state, model.world.traits
    won, paid, alive = week.won > 0, week.rewards > 0, week.alive
    base = traits.engagement_baseline
    state.engagement = base + (state.engagement - base) * model.decay["engagement"]
    bump = traits.engagement_on_win * won + traits.engagement_on_payout * paid
    state.engagement += np.minimum(bump, 1.0) * (1.0 - state.engagement)
    state.weeks_since_win = (state.weeks_since_win + alive) * ~won  # from joining
    lapsed = state.weeks_since_win > traits.dormancy_weeks
    # A live partner is dormant after a lapse, or if it was and has not won since.
    dormant = alive & (lapsed | ((state.status == DORMANT) & ~won))
    churn = dormant & (week.draws["churn"] < traits.churn_rate)
    status = np.where(dormant, DORMANT, ACTIVE)
    status = np.where((state.status == CHURNED) | churn, CHURNED, status)
    state.status = np.where(state.status == PROSPECT, PROSPECT, status).astype(np.int8)
    state.won_this_quarter |= won
    # Deferred rewards of partners who churned are forfeited.
    week.forfeited = np.zeros(model.world.partners)
    if "forfeited" not in model.accounts.quiet:
        churned = state.status == CHURNED
        week.forfeited += sum((p.ledger.forfeit(churned) for p in model.deferring), 0.0)


def accounting(model: Engine, week: Flows) -> None:
    """Money per partner and the weekly series by block, for the results and Mesa's collector."""
    state, traits = model.state, model.world.traits
    # A timing discount cuts price, not cost: it costs its full amount in profit.
    margin = model.spec.market.gross_margin
    money = WeekMoney(
        revenue=week.revenue,
        gross_profit=(week.revenue + week.timing_discount) * margin - week.timing_discount,
        discounts=week.won * traits.customer_discount + week.timing_discount,
        rewards=week.rewards,
        contact_cost=week.contact_cost,
        other_cost=week.other_cost,
        contacts=week.contacts,
        forfeited=week.forfeited,
        clawed_back=week.clawed_back,
        returned=week.returned,
    )
    columns = {
        "open_pipeline": model.pipeline.open_expected * (state.status != CHURNED),
        "new_pipeline": week.new_pipeline,
    }
    if "deferred" not in model.accounts.quiet:
        columns["deferred"] = sum((p.ledger.deferred for p in model.deferring), 0.0 * state.effort)
    if week.moves is not None:
        columns |= {
            "pulled_forward": week.moves.pulled,
            "timing_discount": week.timing_discount,
            "pushed_out": week.moves.pushed,
            "timing_flags": week.moves.flagged.astype(np.float64),
        }
    model.accounts.book(week.week, money, state, columns)


#: The week, in order. ``reads`` and ``writes`` name fields of :class:`Flows`.
PHASES = (
    Phase("market", market, reads=(), writes=("demand", "supply", "draws", "alive")),
    Phase("decisions", decisions, reads=("draws", "alive"), writes=()),
    Phase("modifiers", modifiers, reads=(), writes=("boosts",)),
    Phase(
        "outlook",
        outlook,
        reads=("boosts", "demand"),
        writes=("flow_rate", "win_rate", "terms", "outlook"),
    ),
    Phase(
        "nudges",
        nudges,
        reads=("outlook", "alive", "draws"),
        writes=("contacts", "contact_cost"),
    ),
    Phase("effort", effort, reads=("outlook", "boosts"), writes=("scale", "signal")),
    Phase(
        "pipeline",
        pipeline,
        reads=("draws", "boosts", "flow_rate", "win_rate", "terms"),
        writes=("registered", "new_pipeline"),
    ),
    Phase("timing", timing, reads=("outlook", "scale"), writes=("moves",)),
    Phase(
        "closing",
        closing,
        reads=("supply", "alive", "moves", "draws"),
        writes=("won", "timing_discount", "returned", "revenue"),
    ),
    Phase(
        "rewards",
        rewards,
        reads=("revenue", "won", "registered", "returned"),
        writes=("outcome", "rewards", "clawed_back", "other_cost"),
    ),
    Phase(
        "lifecycle", lifecycle, reads=("won", "rewards", "alive", "draws"), writes=("forfeited",)
    ),
    Phase(
        "accounting",
        accounting,
        reads=(
            "revenue",
            "timing_discount",
            "won",
            "rewards",
            "contact_cost",
            "other_cost",
            "contacts",
            "new_pipeline",
            "forfeited",
            "clawed_back",
            "returned",
            "moves",
        ),
        writes=(),
    ),
)
