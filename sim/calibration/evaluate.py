"""Simulating parameter sets: seed replicates per set, on common random numbers, in batches.

Every parameter set is simulated on the same replications (the *design
replications*, numbered from :data:`DESIGN_REPLICATION` so that they never
coincide with the replications ``partnerlab history`` draws), and each
simulated history is summarized over the windows calibration needs (the
whole history, and its first part for the held-out check). Pairs of
(parameter set, replication) run in batches of one vectorized pass, and the
batches in parallel with joblib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.calibration.history import Frequency
from sim.calibration.record import Values, simulate_histories
from sim.calibration.summaries import Context, summaries
from sim.runs.runner import batches, gather
from sim.scenario.schema import Scenario
from sim.world.population import recruit_count

FloatArray = npt.NDArray[np.float64]
#: First replication of the design, of the noise replicates, of the predictive simulations.
DESIGN_REPLICATION = 1_000_000
NOISE_REPLICATION = 2_000_000
PREDICTIVE_REPLICATION = 3_000_000


@dataclass(frozen=True)
class Simulator:
    """How to simulate and summarize a history like the observed one.

    Args:
        scenario: the calibration world (the history's population and horizon).
        context: the program change and thresholds the statistics need.
        frequency: the observed history's frequency.
        columns: the per-period columns the observed history has.
        windows: named windows of periods ``[start, stop)`` to summarize.
        seed: root seed of the simulated worlds.
    """

    scenario: Scenario
    context: Context
    frequency: Frequency
    columns: tuple[str, ...]
    windows: dict[str, tuple[int, int]]
    seed: int

    @property
    def partners(self) -> int:
        """Partner rows of one simulated world (recruits included)."""
        horizon = self.scenario.horizon_weeks
        return sum(
            n + recruit_count(self.scenario.archetype_params(a), n, horizon)
            for a, n in self.scenario.population.partners.items()
        )

    def summarize(
        self, values: Sequence[Values], replications: Sequence[int]
    ) -> list[dict[str, dict[str, float]]]:
        """Each pair's statistics by window: ``[{window: {statistic: value}}]``."""
        histories = simulate_histories(
            self.scenario, values, replications, self.seed, self.frequency, self.columns
        )
        return [
            {name: summaries(h, self.context, window) for name, window in self.windows.items()}
            for h in histories
        ]


def run_pairs(
    simulator: Simulator,
    values: Sequence[Values],
    replications: Sequence[int],
    jobs: int = 1,
    progress: bool = False,
    label: str = "simulations",
) -> list[dict[str, dict[str, float]]]:
    """Statistics of every (values, replication) pair, in order, in batches and in parallel."""
    groups = batches(range(len(values)), simulator.partners, 1, jobs)
    tasks = [([values[i] for i in g], [replications[i] for i in g]) for g in groups]
    return gather(simulator.summarize, tasks, jobs, progress, label, "sim", len(values))


def stat_array(summaries_: Sequence[dict[str, float]], names: Sequence[str]) -> FloatArray:
    """Statistics ``names`` of each summary as rows (``nan`` where undefined)."""
    return np.array([[s.get(n, np.nan) for n in names] for s in summaries_], dtype=np.float64)
