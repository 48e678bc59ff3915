"""Per-partner arrays of behavioural parameters: each archetype's parameters over its rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

FloatArray = npt.NDArray[np.float64]


class Traits:
    """Per-partner arrays of behavioural parameters, one entry per partner row.

    Built once per world by repeating each archetype's parameters over its
    rows, so that a decision rule shared by several archetypes runs as one
    vectorized call. ``traits.win_rate`` is the column of ``win_rate``; every
    column is a float array over partner rows (``nan`` where an archetype
    lacks a parameter of another's).
    """

    def __init__(self, columns: Mapping[str, FloatArray]) -> None:
        self._columns = dict(columns)

    @classmethod
    def repeat(cls, params: Sequence[BaseModel], counts: Sequence[int]) -> Traits:
        """Each archetype's parameters ``params[k]`` repeated over its ``counts[k]`` rows."""
        names = dict.fromkeys(name for p in params for name in type(p).model_fields)
        return cls(
            {
                name: np.repeat(np.array([float(getattr(p, name, np.nan)) for p in params]), counts)
                for name in names
            }
        )

    def spread(self, slices: Sequence[slice], onto: Sequence[slice]) -> Traits:
        """These traits, whose archetype ``k`` fills ``slices[k]``, repeated over ``onto[k]``.

        Traits are constant within an archetype, so a stacked world's traits
        repeat each archetype's values over its larger slice.
        """
        firsts = [s.start for s in slices]
        counts = [s.stop - s.start for s in onto]
        return Traits({name: np.repeat(v[firsts], counts) for name, v in self._columns.items()})

    @property
    def names(self) -> list[str]:
        """The parameters held."""
        return list(self._columns)

    def __getattr__(self, name: str) -> FloatArray:
        try:
            return self.__dict__["_columns"][name]
        except KeyError:
            raise AttributeError(f"no behavioural parameter {name!r}") from None
