"""Runs of consecutive indices, as slices.

A stacked world's rows come in a few runs of consecutive rows (one per
archetype and copy): handling them as slices is several times faster than
fancy indexing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def runs(index: npt.NDArray[np.integer]) -> list[slice]:
    """``index`` as slices of consecutive indices, in order."""
    breaks = np.flatnonzero(np.diff(index) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, index.size]
    return [slice(int(index[a]), int(index[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


def joined_slices(pieces: list[slice]) -> list[slice]:
    """``pieces`` (in order, not overlapping) with each run of touching slices made one."""
    out: list[slice] = []
    for piece in pieces:
        if out and out[-1].stop == piece.start:
            out[-1] = slice(out[-1].start, piece.stop)
        else:
            out.append(piece)
    return out
