"""Archetype decision rules applied to their partners' rows, one vectorized call per group.

A decision rule (``choose_effort``, ``nudge_response``, ...) is a classmethod
of the archetype's :class:`~agents.Partner` class that works on arrays. Runs
of consecutive archetypes that share a rule's implementation are one group,
so three archetypes with the same effort rule make one call a week, not three.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.world.world import World

FloatArray = npt.NDArray[np.float64]
#: The decision rules the engine calls, by name.
RULES = ("choose_effort", "activity_multiplier", "nudge_response", "opt_out_probability")


class Rules:
    """The world's archetypes' decision rules, grouped by implementation."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._groups = {name: self._grouped(name) for name in RULES}

    def _grouped(self, name: str) -> list[tuple[Callable[..., Any], slice]]:
        """Runs of consecutive archetypes that share the implementation of rule ``name``."""
        groups: list[tuple[Callable[..., Any], slice]] = []
        for cls, rows in zip(self.world.classes, self.world.slices, strict=True):
            method = getattr(cls, name)
            if groups and getattr(groups[-1][0], "__func__", None) is method.__func__:
                groups[-1] = (groups[-1][0], slice(groups[-1][1].start, rows.stop))
            else:
                groups.append((method, rows))
        return groups

    def apply(self, name: str, *arrays: npt.NDArray[Any]) -> FloatArray:
        """Rule ``name`` on every partner, each group on its rows of ``arrays``."""
        groups = self._groups[name]
        traits = self.world.traits
        if len(groups) == 1:
            rule, rows = groups[0]
            result: FloatArray = rule(traits, rows, *(a[rows] for a in arrays))
            return result
        out = np.empty(self.world.partners)
        for rule, rows in groups:
            out[rows] = rule(traits, rows, *(a[rows] for a in arrays))
        return out

    def apply_pair(self, name: str, *arrays: npt.NDArray[Any]) -> tuple[FloatArray, FloatArray]:
        """Rule ``name``, which returns two arrays, on every partner."""
        first, second = np.empty(self.world.partners), np.empty(self.world.partners)
        for rule, rows in self._groups[name]:
            first[rows], second[rows] = rule(self.world.traits, rows, *(a[rows] for a in arrays))
        return first, second
