"""Engagement channels: email, portal notifications, partner-manager calls, QBRs.

A channel has a cadence (when), a target rule (who) and a strength and cost
per contact (what). Partners' response to a contact is their archetype's
decision rule; a channel's ``strength`` scales it (an email is 1). Email and
portal contacts can be opted out of; calls and QBRs cannot, but they need
partner managers, whose capacity is limited.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, NonNegativeInt

from sim.levers.base import BoolArray, Component, FloatArray
from sim.levers.schedule import Rows
from sim.scenario.fields import Money, Rate
from sim.scenario.program import Lever
from sim.scenario.registry import component
from sim.world.world import World


class Nudge(Lever):
    """An engagement channel: a cadence, a target rule and a cost per contact."""

    example: ClassVar[Mapping[str, Any]] = {"type": "email", "every_weeks": 4}

    type: Literal["email", "portal", "call", "qbr"]
    every_weeks: Annotated[int, Field(ge=1)] = Field(4, description="cadence, weeks between sends")
    first_week: NonNegativeInt = Field(0, description="week of the first contact")
    cost_per_contact: Money = Field(1.0, description="cost of one contact, $")
    target: Literal["all", "near_threshold", "lapsing"] = Field(
        "all",
        description="all; near_threshold: projected to fall just short of a threshold; "
        "lapsing: no win for lapsing_weeks",
    )
    near_threshold_share: Rate = Field(
        0.25, description="near_threshold: projected within this share below a threshold"
    )
    lapsing_weeks: NonNegativeInt = Field(13, description="lapsing: weeks without a win")
    strength: float | None = Field(
        None, ge=0, description="response relative to an email (default by channel)"
    )
    managers: int | None = Field(None, ge=1, description="call/qbr: partner managers available")
    contacts_per_manager: int = Field(
        10, ge=1, description="call/qbr: contacts one manager makes per send week"
    )


#: Response to one contact relative to an email, by channel (Zhang, Kumar and
#: Cosguner 2017 find personal contacts several times as effective as email).
STRENGTH = {"email": 1.0, "portal": 0.5, "call": 3.0, "qbr": 5.0}
OPT_OUT = {"email": True, "portal": True, "call": False, "qbr": False}
#: Near-threshold targeting computes the whole audience's gap, a span at a time, when the
#: rows to examine are at least 1 / this of the world (gathering them would cost more).
_GATHER_SHARE = 4


@dataclass
class _Walk:
    """One replication's candidates for a call, biggest first, as far as examined."""

    candidates: npt.NDArray[np.intp]
    examined: int = 0
    found: int = 0

    @property
    def left(self) -> bool:
        """Whether candidates remain to examine."""
        return self.examined < self.candidates.size


@component(Nudge)
class Channel(Component):
    """One nudge channel: who it contacts each week, and what that costs.

    A role as well as a component: the engine's nudge phase contacts partners
    through every component that is a ``Channel``.
    """

    spec: Nudge
    purposes = {"opt_out": "uniform"}

    def __init__(self, spec: Nudge, world: World, audience: BoolArray) -> None:
        super().__init__(spec, world, audience)
        self.strength = STRENGTH[spec.type] if spec.strength is None else spec.strength
        self.respects_opt_out = OPT_OUT[spec.type]
        self.cost_per_contact = spec.cost_per_contact
        self.capacity = None if spec.managers is None else spec.managers * spec.contacts_per_manager
        self.sent = np.zeros(world.partners, dtype=bool)

    @functools.cached_property
    def priorities(self) -> list[npt.NDArray[np.intp]]:
        """Each replication's partner rows, biggest first: managers call big partners first.

        One list per joined replication (``Layout.replica_rows``): each has its own managers.
        """
        order = np.argsort(-self.world.size, kind="stable")
        layout = self.world.layout
        if layout.replicas == 1:
            return [order]
        replica = layout.replica[order]
        # Grouped by replication, biggest first within each (a stable sort keeps the order).
        grouped = order[np.argsort(replica, kind="stable")]
        counts = np.bincount(replica, minlength=layout.replicas)
        return np.split(grouped, np.cumsum(counts)[:-1])

    @functools.cached_property
    def _ranking(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """:attr:`priorities` laid end to end, and where each replication's rows start."""
        sizes = [order.size for order in self.priorities]
        return np.concatenate(self.priorities), np.cumsum([0, *sizes[:-1]])

    def due(self, week: int) -> bool:
        """Whether this is a send week."""
        spec = self.spec
        return week >= spec.first_week and (week - spec.first_week) % spec.every_weeks == 0

    def contacts(
        self,
        week: int,
        reachable: BoolArray,
        opted_out: BoolArray,
        gap: Callable[[Rows], FloatArray],
        weeks_since_win: FloatArray,
    ) -> BoolArray:
        """Partners contacted this week: eligible, reachable, targeted, within capacity.

        ``gap(rows)`` gives partner ``rows``' projected relative shortfall below
        their next threshold (``inf`` if none), for ``near_threshold`` targeting.
        """
        if not self.due(week):
            self.sent = np.zeros_like(reachable)
            return self.sent
        chosen = self.eligible & reachable
        if self.respects_opt_out:
            chosen &= ~opted_out
        spec = self.spec
        if spec.target == "near_threshold":  # within capacity already
            self.sent = self._near_threshold(chosen, gap)
            return self.sent
        if spec.target == "lapsing":
            chosen &= weeks_since_win >= spec.lapsing_weeks
        if self.capacity is not None and chosen.sum() > self.capacity:
            for order in self.priorities:
                ranked = chosen[order]
                dropped = ranked & (np.cumsum(ranked) > self.capacity)
                chosen[order[dropped]] = False
        self.sent = chosen
        return chosen

    def _near_threshold(self, chosen: BoolArray, gap: Callable[[Rows], FloatArray]) -> BoolArray:
        """The ``chosen`` partners projected within ``near_threshold_share`` below a threshold.

        With limited manager capacity only the biggest such partners are
        called (at most the capacity in each replication), so candidates are
        examined biggest first, a batch at a time, until the capacity is
        filled: the same partners as examining everyone.
        When a batch is a large share of the rows, the whole audience's gap is
        computed instead, a span at a time: contiguous arithmetic beats
        gathering that many rows, and the spans' projections are those the
        effort signals use this week.
        """
        share = self.spec.near_threshold_share
        if self.capacity is None:
            shortfall = self._audience_gap(gap)
            return chosen & (shortfall > 0) & (shortfall <= share)
        near = np.zeros_like(chosen)
        # Each replication has its own managers; every round examines the next batch of
        # each replication still short of calls, in one call of ``gap``.
        order, starts = self._ranking
        picked = chosen[order]
        counts = np.add.reduceat(picked, starts, dtype=np.int64)
        walks = [_Walk(c) for c in np.split(order[picked], np.cumsum(counts)[:-1])]
        batch = max(8 * self.capacity, 1024)
        every: FloatArray | None = None  # the audience's gap, once computed
        while walks := [w for w in walks if w.found < self.capacity and w.left]:
            pieces = [w.candidates[w.examined : w.examined + batch] for w in walks]
            examined = np.concatenate(pieces)
            if every is None and examined.size * _GATHER_SHARE >= chosen.size:
                every = self._audience_gap(gap)
            shortfall = gap(examined) if every is None else every[examined]
            hit = (shortfall > 0) & (shortfall <= share)
            ends = np.cumsum([piece.size for piece in pieces])
            for walk, piece, end in zip(walks, pieces, ends, strict=True):
                hits = piece[hit[end - piece.size : end]][: self.capacity - walk.found]
                near[hits] = True
                walk.examined, walk.found = walk.examined + batch, walk.found + hits.size
            batch *= 2
        return near

    def _audience_gap(self, gap: Callable[[Rows], FloatArray]) -> FloatArray:
        """``gap`` of the audience, a span of rows at a time; ``inf`` outside it."""
        out = np.full(self.eligible.size, np.inf)
        for span in self.spans:
            out[span] = gap(span)
        return out

    def contact_costs(self) -> FloatArray:
        """Cost of this week's contacts, per partner."""
        return self.cost_per_contact * self.sent
