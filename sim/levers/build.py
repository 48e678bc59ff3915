"""Assembling a program's run-time components from its levers (through the registry).

Each lever becomes the component its schema registered (:func:`sim.levers.
registry.component`), for the partners it reaches. Components that read
other components (:attr:`~sim.levers.base.Component.reads`) are built after
the others, in YAML order among themselves, and linked to them; a lever a
program needs without listing it (:meth:`~sim.levers.base.Component.implied`)
is added last. The engine then works through :class:`ProgramParts`, which
groups the components by the roles they play.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from sim.levers.base import BoolArray, Component
from sim.levers.guardrails import Ledger
from sim.levers.nudges import Channel
from sim.levers.roles import Contributor, Decision, Thresholded, TimedReward
from sim.scenario.program import Lever, Program
from sim.scenario.registry import component_for, components
from sim.world.world import World

Role = TypeVar("Role")


def audience(world: World, lever: Lever, reach: BoolArray) -> BoolArray:
    """Partners a lever reaches: its archetypes and segments, within the program's reach."""
    mask = reach.copy()
    if lever.applies_to is not None:
        codes = [i for i, a in enumerate(world.archetypes) if a in lever.applies_to]
        mask &= np.isin(world.archetype, codes)
    segments = lever.segments
    if segments is not None:
        if segments.size_bands is not None:
            codes = [i for i, b in enumerate(world.band_names) if b in segments.size_bands]
            mask &= np.isin(world.size_band, codes)
        if segments.regions is not None:
            codes = [i for i, r in enumerate(world.region_names) if r in segments.regions]
            mask &= np.isin(world.region, codes)
        if segments.maturity is not None:
            mask &= world.is_new == (segments.maturity == "new")
    return mask


@dataclass
class ProgramParts:
    """One program's components, and those that play each role the engine calls on."""

    program: Program
    audience: BoolArray
    ledger: Ledger
    components: list[Component] = field(default_factory=list)

    def playing(self, role: type[Role]) -> list[Role]:
        """The components that play ``role``, in program order."""
        return [c for c in self.components if isinstance(c, role)]

    @property
    def channels(self) -> list[Channel]:
        """Nudge channels."""
        return self.playing(Channel)

    @property
    def timed_rewards(self) -> list[TimedReward]:
        """Rewards partners can time deals around."""
        return [c for c in self.components if isinstance(c, TimedReward)]

    @property
    def decisions(self) -> list[Decision]:
        """Components that decide at the start of the week."""
        return [c for c in self.components if isinstance(c, Decision)]

    @property
    def contributors(self) -> list[Contributor]:
        """Components that report outcomes of their own."""
        return [c for c in self.components if isinstance(c, Contributor)]

    @property
    def thresholded(self) -> list[Thresholded]:
        """Components with thresholds partners can fall just short of."""
        return [c for c in self.components if isinstance(c, Thresholded)]


def build_program(program: Program, world: World, reach: BoolArray | None = None) -> ProgramParts:
    """The run-time components of ``program`` for the partners in ``reach`` (default all)."""
    reach = np.ones(world.partners, dtype=bool) if reach is None else reach
    parts = ProgramParts(
        program, reach, Ledger(program.guardrails, reach, world.layout.replica_rows)
    )
    built = [(lever, component_for(type(lever))) for lever in program.mechanics]
    # Readers after what they read; then what the program implies without listing it.
    ordered = [pair for pair in built if not pair[1].reads] + [
        pair for pair in built if pair[1].reads
    ]
    for lever, _ in ordered:
        parts.components.append(build_component(lever, world, audience(world, lever, reach)))
    present = {type(c) for c in parts.components}
    for cls in components():
        implied = None if cls in present else cls.implied(parts.components)
        if implied is not None:
            parts.components.append(cls(implied, world, reach))
    for component in parts.components:
        if component.reads:
            component.link(_others(parts.components, component))
    return parts


def _others(found: Sequence[Component], reader: Component) -> list[Component]:
    """The components ``reader`` reads: those playing one of its roles."""
    return [c for c in found if c is not reader and isinstance(c, reader.reads)]


def build_component(lever: Lever, world: World, audience: BoolArray) -> Component:
    """The run-time component of one lever for the partners in ``audience`` (not linked)."""
    component: Component = component_for(type(lever))(lever, world, audience)
    return component
