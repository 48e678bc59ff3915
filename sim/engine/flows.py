"""What the phases of one week hand on to each other, and what they use of the model.

:class:`Flows` is the record the phases fill in, in phase order; a
:class:`Phase` names the flows it reads and writes; :class:`Engine` is the
part of the model (:class:`~sim.engine.model.PartnerProgramModel`) that the
phases use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sim.engine.accounting import Accounts
from sim.engine.rules import Rules
from sim.engine.timing import TimingGame, TimingMoves
from sim.levers.base import Component
from sim.levers.build import ProgramParts
from sim.levers.effects import Boosts, Outcome, Outlook
from sim.levers.roles import TimedReward
from sim.scenario.schema import Scenario
from sim.world.pipeline import DealTerms, Pipeline
from sim.world.state import PartnerState
from sim.world.streams import Draws, WeeklyDraws
from sim.world.world import World

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Engine(Protocol):
    """What the phases use of the model (:class:`~sim.engine.model.PartnerProgramModel`)."""

    spec: Scenario
    world: World
    state: PartnerState
    pipeline: Pipeline
    parts: list[ProgramParts]
    rules: Rules
    timing: TimingGame
    draws: WeeklyDraws
    accounts: Accounts
    horizon: int
    demand: FloatArray
    supply: FloatArray
    keep: FloatArray
    decay: dict[str, FloatArray]
    timed_rewards: list[TimedReward]
    deferring: list[ProgramParts]

    @property
    def components(self) -> list[Component]:
        """Every component of every program in the run."""
        ...

    def outlook(self, expected_rate: FloatArray, terms: DealTerms) -> Outlook:
        """What partners expect of the week's new deals and their open pipeline."""
        ...

    def ramp(self, week: int) -> FloatArray:
        """Each partner's opportunity rate this week relative to its full rate (recruits ramp)."""
        ...

    def perceived_share(self) -> FloatArray:
        """What a reward dollar is worth to each partner under the guardrails."""
        ...

    def drift_wallet(self, signal: FloatArray) -> None:
        """Move share of wallet towards what the program's rate makes attractive."""
        ...

    def returns_due(
        self, t: int, won: FloatArray, u: FloatArray | None, alive: BoolArray
    ) -> FloatArray:
        """Schedule returns of this week's bookings; the revenue reversed this week."""
        ...


@dataclass
class Flows:
    """What the phases of one week hand on to each other, filled in phase order."""

    week: int
    demand: float = field(init=False)  # multiplier on opportunity flow
    supply: float = field(init=False)  # share of due deals that can close
    draws: Draws = field(init=False)
    alive: BoolArray = field(init=False)  # not churned at the start of the week
    boosts: Boosts = field(init=False)
    flow_rate: FloatArray = field(init=False)  # opportunities per week at effort 1
    win_rate: FloatArray = field(init=False)
    terms: DealTerms = field(init=False)
    outlook: Outlook = field(init=False)
    contacts: FloatArray = field(init=False)
    contact_cost: FloatArray = field(init=False)
    scale: FloatArray = field(init=False)  # what a reward dollar is worth to each partner
    signal: FloatArray = field(init=False)  # expected reward per extra $ of revenue
    registered: FloatArray = field(init=False)  # deals registered this week
    new_pipeline: FloatArray = field(init=False)  # expected booked value of new opportunities
    moves: TimingMoves | None = field(init=False)
    won: FloatArray = field(init=False)  # won list value booked this week
    timing_discount: FloatArray = field(init=False)  # our part of pull-forward discounts, $
    returned: FloatArray = field(init=False)  # revenue reversed by returns, $
    revenue: FloatArray = field(init=False)  # booked, net of discounts and returns, $
    outcome: Outcome = field(init=False)
    rewards: FloatArray = field(init=False)  # accrued after guardrails, $
    clawed_back: FloatArray = field(init=False)
    other_cost: FloatArray = field(init=False)
    forfeited: FloatArray = field(init=False)


@dataclass(frozen=True)
class Phase:
    """One phase of the week: its name, what it does, and the flows it reads and writes."""

    name: str
    run: Callable[[Engine, Flows], None]
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The first line of the phase function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]
