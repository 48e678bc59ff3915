"""Posterior predictive bands: each statistic observed against what the fitted model simulates.

Draws of the posterior are simulated once each, on fresh replications
(numbered from :data:`~sim.calibration.evaluate.PREDICTIVE_REPLICATION`), so
the bands hold both the parameters' uncertainty and the simulation's noise:
the 50% and 90% bands of a statistic are where half, and nine tenths, of
histories of the calibrated model would put it. The share of observed
statistics inside their 90% bands is the check's *coverage* (about 0.9 for a
model that fits; the held-out check computes it on the weeks the fit did not
see).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.calibration.emulator import DEFINED
from sim.calibration.evaluate import PREDICTIVE_REPLICATION, Simulator, run_pairs, stat_array
from sim.calibration.fit import Posterior
from sim.calibration.history import weeks_in

#: The quantiles of each band: 90% outer, 50% inner.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Check:
    """Observed statistics against their predictive bands, one row per statistic.

    ``bands`` has columns ``archetype``, ``statistic``, ``observed``, ``q05``,
    ``q25``, ``median``, ``q75``, ``q95`` and ``inside_90``.
    """

    bands: pd.DataFrame
    weeks: tuple[int, int]  # the window, in weeks [start, stop)

    @property
    def coverage_90(self) -> float | None:
        """Share of statistics whose observed value lies in its 90% band."""
        return float(self.bands["inside_90"].mean()) if len(self.bands) else None


def band(draws: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The :data:`QUANTILES` of a statistic over ``draws`` simulated histories.

    Quantiles at the Weibull positions ``p (n + 1)``: a further history of the
    same model then falls inside the 5%-95% band 90% of the time, whatever
    ``n``, where the usual interpolation makes the band too narrow for few
    draws (86% with 40).
    """
    return np.quantile(draws, QUANTILES, method="weibull")


def predictive_bands(
    simulator: Simulator,
    posterior: Posterior,
    observed: dict[str, float],
    window: str,
    count: int,
    jobs: int = 1,
    progress: bool = False,
) -> Check:
    """Simulate ``count`` posterior draws and band each statistic of ``window``."""
    draws = posterior.values
    chosen = np.linspace(0, len(draws) - 1, count).round().astype(int)
    values = [posterior.space.values(draws[i]) for i in chosen]
    replications = [PREDICTIVE_REPLICATION + k for k in range(count)]
    done = run_pairs(simulator, values, replications, jobs, progress, f"predictive ({window})")
    names = [n for n, v in observed.items() if np.isfinite(v)]
    stats = stat_array([d[window] for d in done], names)
    rows = []
    for k, name in enumerate(names):
        column = stats[:, k][np.isfinite(stats[:, k])]
        if column.size < DEFINED * count or column.std() == 0:
            continue
        q = band(column)
        archetype, statistic = name.split(".", 1)
        value = observed[name]
        rows.append(
            {
                "archetype": archetype,
                "statistic": statistic,
                "observed": value,
                **dict(zip(("q05", "q25", "median", "q75", "q95"), q.tolist(), strict=True)),
                "inside_90": bool(q[0] <= value <= q[-1]),
            }
        )
    start, stop = simulator.windows[window]
    weeks = (weeks_in(start, simulator.frequency), weeks_in(stop, simulator.frequency))
    return Check(pd.DataFrame(rows), weeks)
