"""Roles: what only some levers do, declared by inheriting the role.

A role is a :class:`~sim.levers.base.Component` with abstract methods of
its own; a lever's component inherits the roles it plays.

The engine and the program builder find the components that play a role with
``isinstance``, never by a lever's name, so a new lever takes part in a phase
by inheriting its role:

* :class:`Decision`: takes a decision for its partners at the start of the
  week, drawing from its own random purpose (training take-up, fund claims);
* :class:`Contributor`: reports outcomes of its own (certifications, marketing
  spend) for other components to accrue, by name, before any accrues;
* :class:`Thresholded`: has thresholds a partner can be projected to fall
  just short of (near-threshold targeting of nudges);
* :class:`TimedReward`: a reward with a period threshold, so partners can
  move deals across its period ends (the deal-timing game);
* :class:`MdfAccrual`: gives co-marketing funds accrual (a tier's MDF rate),
  which a fund reads;
* :class:`Channel` (in :mod:`sim.levers.nudges`): contacts partners.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from sim.levers.base import Component
from sim.levers.effects import Outlook
from sim.levers.schedule import ALL, Rows
from sim.world.streams import Draws

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Decision(Component, ABC):
    """Decides for its partners at the start of the week."""

    @abstractmethod
    def decide(self, week: int, draws: Draws, alive: BoolArray) -> None:
        """Take this week's decisions for the partners still in the channel (``alive``)."""


class Contributor(Component, ABC):
    """Reports outcomes of its own each week, by name, for other components to accrue."""

    #: The names of the outcomes it contributes (``Outcome.get``).
    outcomes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def contribute(self, week: int) -> Mapping[str, npt.NDArray[Any]]:
        """This week's contributed outcomes, by name (arrays over partner rows)."""


class Thresholded(Component, ABC):
    """Has thresholds partners can be projected to fall just short of."""

    @abstractmethod
    def gap(self, outlook: Outlook, rows: Rows = ALL) -> FloatArray:
        """Relative shortfall of the projected measure below the next threshold (inf if none).

        For partner ``rows`` only, if given.
        """


class TimedReward(Thresholded):
    """A reward with a period threshold: partners can move deals across its period ends.

    The deal-timing game (:mod:`sim.engine.timing`) values a move by what the
    reward pays with and without it.
    """

    #: Period measure so far, per partner (points or $).
    measure: FloatArray
    #: Measure per $ of revenue.
    weight: float

    @abstractmethod
    def is_period_end(self, week: int) -> bool:
        """Whether ``week`` is the last week of one of its periods."""

    @abstractmethod
    def earned(self, extra: FloatArray | float = 0.0, rows: Rows = ALL) -> FloatArray:
        """The reward on the period so far, plus ``extra`` revenue booked now (of ``rows``)."""

    @abstractmethod
    def carry_rate(self, outlook: Outlook) -> FloatArray:
        """Reward per $ of revenue moved from the next period into this one, in the next.

        The expected marginal reward of the next period at its projected
        measure (the open deals due in it and the new deals that will close
        in it), plus what booking the dollar this period changes of the next
        period's rule (a ratchet raises the next quota).
        """

    @abstractmethod
    def next_threshold(self, measure: FloatArray, rows: Rows = ALL) -> FloatArray:
        """The lowest threshold above ``measure`` that pays more (``inf`` if none)."""


class MdfAccrual(Component, ABC):
    """Gives its partners co-marketing fund accrual, a share of revenue."""

    @property
    @abstractmethod
    def accrues_mdf(self) -> bool:
        """Whether any partner can ever accrue funds from it."""

    @abstractmethod
    def mdf_rate(self) -> FloatArray:
        """MDF accrual per $ of revenue, per partner."""
