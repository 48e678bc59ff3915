"""Gathering by runs of consecutive indices.

A stacked world (one copy of the drawn partners per arm) repeats each
archetype's rows once per copy, so its gathers are a few runs of consecutive
rows: copying those slices is several times faster than a fancy-index gather.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def runs(index: npt.NDArray[np.integer]) -> list[slice]:
    """``index`` as slices of consecutive indices, in order."""
    breaks = np.flatnonzero(np.diff(index) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, index.size]
    return [slice(int(index[a]), int(index[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


def take_runs(
    array: npt.NDArray[np.float64],
    pieces: list[slice],
    out: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """``array[:, index]`` for the ``index`` whose :func:`runs` are ``pieces`` (into ``out``)."""
    return np.concatenate([array[:, piece] for piece in pieces], axis=1, out=out)


def joined_slices(pieces: list[slice]) -> list[slice]:
    """``pieces`` (in order, not overlapping) with each run of touching slices made one."""
    out: list[slice] = []
    for piece in pieces:
        if out and out[-1].stop == piece.start:
            out[-1] = slice(out[-1].start, piece.stop)
        else:
            out.append(piece)
    return out
