"""Simulated histories: the baseline of a scenario run week by week, recorded per partner.

:func:`simulate_histories` runs many (parameter set, replication) pairs in one
vectorized pass: each pair is one world drawn with its own behavioural
parameters, from the streams of its replication, so two parameter sets on the
same replication share every random draw (common random numbers). The worlds
are joined as replications are (:func:`sim.world.stacking.stack_worlds`), with
each world's own traits; only parameters that leave the rows and the pipeline
rings alone can differ (:data:`sim.calibration.settings.FITTABLE`).

Each week the recorder reads what the model booked: revenue, whether a deal
was won, rewards accrued and, where the program has them, registrations, MDF
claims and tiers. Deal counts are the won list value over the partner's
median deal value, rounded, at least one in a week with a win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from agents import PartnerParams, Traits, in_channel
from sim.calibration.history import Frequency, PartnerHistory, aggregate
from sim.engine.model import PartnerProgramModel
from sim.levers.deal_registration import Registration
from sim.levers.mdf import MarketingFund
from sim.scenario.schema import Scenario
from sim.world.population import ESTABLISHED
from sim.world.stacking import stack_worlds
from sim.world.world import World, build_world

FloatArray = npt.NDArray[np.float64]
#: Behavioural values of one parameter set: archetype -> parameter -> value.
Values = Mapping[str, Mapping[str, float]]


def with_values(scenario: Scenario, values: Values) -> Scenario:
    """``scenario`` with some behavioural parameters replaced (values already checked)."""
    if not values:
        return scenario
    behaviour: dict[str, PartnerParams] = dict(scenario.behaviour)
    for archetype, changed in values.items():
        behaviour[archetype] = behaviour[archetype].model_copy(update=dict(changed))
    return scenario.model_copy(update={"behaviour": behaviour})


def joined_world(worlds: Sequence[World]) -> World:
    """Worlds of one population joined in one pass, each keeping its own traits."""
    stacked = stack_worlds(worlds, 1)
    if len(worlds) == 1:
        return stacked
    names = worlds[0].traits.names
    columns = {
        name: np.concatenate(
            [getattr(w.traits, name)[rows] for rows in worlds[0].slices for w in worlds]
        )
        for name in names
    }
    return dataclasses.replace(stacked, traits=Traits(columns))


class Recorder:
    """Per-partner weekly series of one model's run: what a history file would hold."""

    def __init__(self, model: PartnerProgramModel, columns: Sequence[str]) -> None:
        self.model = model
        weeks, n = model.horizon, model.world.partners
        self.columns = [c for c in columns if c != "tier"]
        self.series = {name: np.zeros((weeks, n)) for name in self.columns}
        self._revenue = np.zeros(n)
        self._rewards = np.zeros(n)
        self._claimed = np.zeros(n)
        self._unit = model.world.deal_value * model.keep

    def run(self) -> dict[str, FloatArray]:
        """Run every week, recording each; the weekly series by column."""
        model = self.model
        while model.running:
            week = model.week
            model.step()
            self._record(week)
        return self.series

    def _record(self, week: int) -> None:
        state = self.model.state
        revenue = state.revenue - self._revenue
        self._revenue = state.revenue.copy()
        won = (state.weeks_since_win == 0) & in_channel(state.status)
        out = self.series
        out["revenue"][week] = revenue
        out["deals_won"][week] = won * np.maximum(np.round(np.maximum(revenue, 0) / self._unit), 1)
        if "rewards_paid" in out:
            out["rewards_paid"][week] = state.rewards - self._rewards
            self._rewards = state.rewards.copy()
        components = self.model.components
        if "deals_registered" in out:
            registered = sum(
                (c.processed for c in components if isinstance(c, Registration)), 0.0 * revenue
            )
            out["deals_registered"][week] = np.where(
                registered > 0, np.maximum(np.round(registered), 1.0), 0.0
            )
        if "mdf_claimed" in out:
            claimed = sum(
                (
                    c.claimed
                    for c in self.model.stages.every_component
                    if isinstance(c, MarketingFund)
                ),
                0.0 * revenue,
            )
            out["mdf_claimed"][week] = claimed - self._claimed
            self._claimed = claimed


def simulate_histories(
    scenario: Scenario,
    values: Sequence[Values],
    replications: Sequence[int],
    seed: int,
    frequency: Frequency,
    columns: Sequence[str] = ("revenue", "deals_won"),
) -> list[PartnerHistory]:
    """The baseline's history of each (parameter set, replication) pair, in one pass.

    ``values[k]`` runs on world ``replications[k]``; pairs are joined into one
    vectorized run. Returns one history per pair, in order.
    """
    specs = [with_values(scenario, v) for v in values]
    worlds = [
        build_world(spec, replication, seed=seed)
        for spec, replication in zip(specs, replications, strict=True)
    ]
    joined = joined_world(worlds)
    model = PartnerProgramModel(
        specs[0],
        seed,
        arm="baseline",
        replication=list(replications) if len(worlds) > 1 else replications[0],
        world=joined,
        consume_world=len(worlds) > 1,
    )
    weekly = Recorder(model, columns).run()
    model.release()
    return [
        _history(world, {k: v[:, joined.layout.copy_rows(i)] for k, v in weekly.items()}, frequency)
        for i, world in enumerate(worlds)
    ]


def _history(world: World, weekly: dict[str, FloatArray], frequency: Frequency) -> PartnerHistory:
    """One world's recorded weeks as a history of ``frequency`` periods."""
    n = world.partners
    joined = np.where(world.joined <= ESTABLISHED, -np.inf, world.joined)
    return PartnerHistory(
        source="simulated",
        frequency=frequency,
        partner_id=np.array([f"P{i:05d}" for i in range(n)]),
        archetype=np.array(world.archetypes)[world.archetype],
        joined=joined,
        series={k: aggregate(v, frequency) for k, v in weekly.items()},
        size_band=np.array(world.band_names)[world.size_band],
        region=np.array(world.region_names)[world.region],
    )
