"""Programs that change during the horizon: the parts in force, and those that take over later.

A program with ``changes`` (``sim.scenario.program.Program``) runs in
stages: its own mechanics from week 0, then each change's mechanics from
its week. Every stage's components are built when the run starts, so the
run knows every random purpose it will draw; a later stage's components
start afresh in its first week, and share the program's ledger (budget,
deferred rewards), which carries on across the change.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.levers.base import BoolArray, Component
from sim.levers.build import ProgramParts, build_program
from sim.scenario.program import Program
from sim.world.world import World


class ProgramStages:
    """Each program's parts by stage; :attr:`current` holds the parts in force.

    Args:
        programs: the programs run side by side (one per arm, or per pilot group).
        world: the world they run in.
        reaches: the partners each program reaches (``None``: everyone).
    """

    def __init__(
        self, programs: Sequence[Program], world: World, reaches: Sequence[BoolArray | None]
    ) -> None:
        self.stages: list[list[tuple[int, ProgramParts]]] = []
        for program, reach in zip(programs, reaches, strict=True):
            built = [(week, build_program(stage, world, reach)) for week, stage in program.stages()]
            for _, parts in built[1:]:
                parts.ledger = built[0][1].ledger  # the guardrails carry on
            self.stages.append(built)
        self.current: list[ProgramParts] = [stages[0][1] for stages in self.stages]
        self._weeks = {week for stages in self.stages for week, _ in stages[1:]}

    @property
    def every_part(self) -> list[ProgramParts]:
        """The parts of every stage of every program."""
        return [parts for stages in self.stages for _, parts in stages]

    @property
    def every_component(self) -> list[Component]:
        """The components of every stage of every program (for their random purposes)."""
        return [c for parts in self.every_part for c in parts.components]

    def change(self, week: int) -> bool:
        """Put in force the stages that start in ``week``; whether any did."""
        if week not in self._weeks:
            return False
        for index, stages in enumerate(self.stages):
            for start, parts in stages:
                if start == week:
                    self.current[index] = parts
        return True
