"""The design's evaluations in an Optuna study: what makes a calibration resumable.

Each design point, once all its seed replicates are simulated, is added to
an Optuna study (SQLite, ``OUT/study.db``) as a complete trial: its parameter
values, and as user attributes its round, its index in the round and the
statistics of every replicate. A killed calibration loses only the batch it
was simulating; run again with the same ``--out``, it finds the points
already done and simulates the rest. The study's name carries a fingerprint
of the history, the world and the settings, so a changed setup starts afresh.
The trial's value is the point's distance to the data in units of
simulation noise, so ``study.best_trial`` is the closest point simulated.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.calibration.emulator import Space

#: Per replicate: window -> statistic -> value.
Summary = dict[str, dict[str, float]]


class DesignStore:
    """Completed design points of one calibration setup, in an Optuna study."""

    def __init__(self, folder: Path, fingerprint: str, space: Space) -> None:
        import optuna
        from optuna.distributions import FloatDistribution

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        folder.mkdir(parents=True, exist_ok=True)
        self.space = space
        self.distributions = {
            path: FloatDistribution(p.low, p.high, log=p.log)
            for path, p in zip(space.paths, space.priors, strict=True)
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.study = optuna.create_study(
                study_name=f"calibrate-{fingerprint[:16]}",
                storage=f"sqlite:///{folder / 'study.db'}",
                direction="minimize",
                load_if_exists=True,
            )
        self._done: dict[tuple[int, int], list[Summary]] = {
            (t.user_attrs["round"], t.user_attrs["index"]): _restore(t.user_attrs["summaries"])
            for t in self.study.get_trials(deepcopy=False)
            if t.state.name == "COMPLETE" and "round" in t.user_attrs
        }

    def get(self, round_: int, index: int) -> list[Summary] | None:
        """The replicates' statistics of a point already simulated, if it was."""
        return self._done.get((round_, index))

    def add(
        self,
        round_: int,
        index: int,
        values: Sequence[float],
        summaries: list[Summary],
        distance: float,
    ) -> None:
        """Record a simulated point (all its replicates) as a complete trial."""
        import optuna

        params = {
            path: min(max(float(v), d.low), d.high)
            for (path, d), v in zip(self.distributions.items(), values, strict=True)
        }
        trial = optuna.trial.create_trial(
            params=params,
            distributions=dict(self.distributions),
            value=distance if math.isfinite(distance) else 1e300,
            user_attrs={"round": round_, "index": index, "summaries": _portable(summaries)},
        )
        self.study.add_trial(trial)
        self._done[(round_, index)] = summaries

    def best(self) -> dict[str, float] | None:
        """The parameters of the point closest to the data, if any point was simulated."""
        try:
            return dict(self.study.best_trial.params)
        except ValueError:
            return None


def _portable(summaries: list[Summary]) -> list[Mapping[str, Mapping[str, float | None]]]:
    """Statistics as JSON can hold them (``nan`` as ``None``)."""
    return [
        {
            w: {k: (v if math.isfinite(v) else None) for k, v in s.items()}
            for w, s in windows.items()
        }
        for windows in summaries
    ]


def _restore(stored: Any) -> list[Summary]:
    return [
        {
            w: {k: (math.nan if v is None else float(v)) for k, v in s.items()}
            for w, s in windows.items()
        }
        for windows in stored
    ]
