"""Summary statistics of a history, per archetype: what calibration matches.

The same function reads a company's history and every simulated one, so
they are compared like with like. Each statistic is a number per archetype,
near-normal across simulated histories (shares, logs of rates and means,
correlations), and ``nan`` where the history cannot define it (too few
partners or wins); calibration uses those defined in the data and in the
simulations. What each one identifies is in ``docs/calibration.md``:

* ``wins``: log share of partner-periods with a won deal (deal flow);
* ``deal_size``: log revenue per period with a win (deal size);
* ``top20``: revenue share of the top fifth of partners (concentration);
* ``spread``: standard deviation of log revenue of partners who sold (size dispersion);
* ``active``: share of partners with a win, per quarter;
* ``period_end``: revenue in the last period of each quarter relative to an even spread;
* ``lapsed``: share of partners who won in the first half and not in the second (dormancy);
* ``persistence``: correlation of partners' log revenue between the two halves (growth persistence);
* ``change_revenue``, ``change_wins``, ``change_registered``: log ratio after to before
  the program change (registrations are made when deals arrive, so they show the
  response before long sales cycles close);
* ``bunching``: partner-quarters just above a tier threshold less those just below, as a share;
* ``registered``, ``mdf``: registrations per won deal and MDF claimed per revenue (log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.calibration.history import PER_QUARTER, PartnerHistory, period_of_week, weeks_in
from sim.runs.runner import top_share
from sim.scenario.fields import for_archetype
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
#: Fewest partners (or partners with sales) a distribution statistic is computed on.
MIN_PARTNERS = 8
#: Fewest won deals that statistics of deal size, timing and registrations are computed on.
MIN_WINS = 5
#: Relative band around a tier threshold that counts as "just below" or "just above".
BAND = 0.15


@dataclass(frozen=True)
class Context:
    """What the statistics need besides the history: the program's change and thresholds.

    ``change_week``: the week the baseline's first change starts (``None``:
    none). ``thresholds``: per archetype, the quarterly revenue thresholds of
    the baseline's tiered levers, each with the week from which it applies.
    """

    change_week: int | None = None
    thresholds: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


def summaries(
    history: PartnerHistory, context: Context, window: tuple[int, int] | None = None
) -> dict[str, float]:
    """Every statistic of every archetype, as ``"archetype.statistic" -> value``.

    ``window`` is a range of periods ``[start, stop)`` (default: the whole history).
    """
    start, stop = window or (0, history.periods)
    present = history.present()[start:stop]
    out: dict[str, float] = {}
    for archetype in dict.fromkeys(history.archetype.tolist()):
        columns = history.archetype == archetype
        part = _Part(history, columns, present[:, columns], start, stop)
        for name, value in part.statistics(context, archetype).items():
            out[f"{archetype}.{name}"] = value
    return out


class _Part:
    """One archetype's partners over a window of periods."""

    def __init__(
        self,
        history: PartnerHistory,
        columns: npt.NDArray[np.bool_],
        present: npt.NDArray[np.bool_],
        start: int,
        stop: int,
    ) -> None:
        self.history, self.present, self.start = history, present, start
        self.series = {k: v[start:stop, columns] for k, v in history.series.items()}
        self.revenue = self.series["revenue"]
        self.won = self.series["deals_won"] > 0
        self.per_quarter = PER_QUARTER[history.frequency]

    def statistics(self, context: Context, archetype: str) -> dict[str, float]:
        exposure = max(float(self.present.sum()), 1.0)
        wins = float(self.won.sum())
        few = wins < MIN_WINS  # too few wins for statistics of what they bring
        stats = {
            "wins": float(np.log((wins + 0.5) / exposure)),
            "deal_size": np.nan if few else float(np.log(max(self.revenue.sum(), 1.0) / wins)),
            **self._distribution(),
            "active": self._active(),
            "period_end": np.nan if few else self._period_end(),
            **self._halves(),
        }
        if context.change_week is not None:
            stats |= self._change(context.change_week)
        if context.thresholds.get(archetype):
            stats["bunching"] = self._bunching(context.thresholds[archetype])
        if "deals_registered" in self.series:
            registered = self.series["deals_registered"].sum()
            deals = self.series["deals_won"].sum()
            stats["registered"] = np.nan if few else float(np.log((registered + 0.5) / deals))
        if "mdf_claimed" in self.series:
            claimed = self.series["mdf_claimed"].sum()
            stats["mdf"] = float(np.log((claimed + 1.0) / (self.revenue.sum() + 1.0)))
        return stats

    def _distribution(self) -> dict[str, float]:
        totals = self.revenue.sum(axis=0)
        sold = totals[totals > 0]
        if totals.size < MIN_PARTNERS or sold.size < MIN_PARTNERS:
            return {"top20": np.nan, "spread": np.nan}
        return {"top20": top_share(totals, 0.2), "spread": float(np.log(sold).std())}

    def _quarters(self) -> list[slice]:
        """The window's whole quarters, as slices of its periods."""
        first = -(-self.start // self.per_quarter) * self.per_quarter - self.start
        stops = range(first + self.per_quarter, self.revenue.shape[0] + 1, self.per_quarter)
        return [slice(s - self.per_quarter, s) for s in stops]

    def _active(self) -> float:
        shares = [
            self.won[q].any(axis=0)[self.present[q].any(axis=0)].mean()
            for q in self._quarters()
            if self.present[q].any()
        ]
        return float(np.mean(shares)) if shares else np.nan

    def _period_end(self) -> float:
        quarters = self._quarters()
        if self.per_quarter == 1 or not quarters:
            return np.nan
        total = sum(float(self.revenue[q].sum()) for q in quarters)
        last = sum(float(self.revenue[q.stop - 1].sum()) for q in quarters)
        weeks_in_last = 1.0 if self.per_quarter == 13 else 5.0
        return last / max(total, 1.0) * 13.0 / weeks_in_last

    def _halves(self) -> dict[str, float]:
        half = self.revenue.shape[0] // 2
        whole = self.present.all(axis=0)
        first, second = (
            self.revenue[:half, whole].sum(axis=0),
            self.revenue[half:, whole].sum(axis=0),
        )
        won_first, won_second = (
            self.won[:half, whole].any(axis=0),
            self.won[half:, whole].any(axis=0),
        )
        if whole.sum() < MIN_PARTNERS or not won_first.any():
            return {"lapsed": np.nan, "persistence": np.nan}
        a, b = np.log1p(np.maximum(first, 0)), np.log1p(np.maximum(second, 0))
        persistence = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else np.nan
        return {
            "lapsed": float((won_first & ~won_second).sum() / won_first.sum()),
            "persistence": persistence,
        }

    def _change(self, week: int) -> dict[str, float]:
        cut = int(period_of_week(np.array([week]), self.history.frequency)[0]) - self.start
        if cut < self.per_quarter or self.revenue.shape[0] - cut < self.per_quarter:
            return {}
        before, after = slice(0, cut), slice(cut, None)

        def rate(values: npt.NDArray[np.float64 | np.bool_], rows: slice) -> float:
            return (float(values[rows].sum()) + 0.5) / max(float(self.present[rows].sum()), 1.0)

        out = {
            "change_revenue": float(np.log(rate(self.revenue, after) / rate(self.revenue, before))),
            "change_wins": float(np.log(rate(self.won, after) / rate(self.won, before))),
        }
        registered = self.series.get("deals_registered")
        if registered is not None and registered[before].sum() > 0:
            # Registrations are made as deals arrive: the response shows before deals close.
            out["change_registered"] = float(
                np.log(rate(registered, after) / rate(registered, before))
            )
        return out

    def _bunching(self, thresholds: Sequence[tuple[int, float]]) -> float:
        above = below = 0
        for q in self._quarters():
            week = _week_of(self.start + q.start, self.history)
            levels = [t for since, t in thresholds if since <= week and t > 0]
            if not levels:
                continue
            totals = self.revenue[q].sum(axis=0)[self.present[q].all(axis=0)]
            for level in levels:
                ratio = totals / level
                above += int(((ratio >= 1) & (ratio < 1 + BAND)).sum())
                below += int(((ratio >= 1 - BAND) & (ratio < 1)).sum())
        return (above - below) / (above + below + 1.0)


def _week_of(period: int, history: PartnerHistory) -> int:
    """The first week of a period."""
    return weeks_in(period, history.frequency)


def context_of(scenario: Scenario) -> Context:
    """The baseline's first change and its tiered levers' quarterly revenue thresholds.

    A lever counts when it has ``tiers`` with thresholds, is judged per quarter
    on revenue, and reaches the archetype; its thresholds apply from the week
    its stage starts.
    """
    stages = scenario.baseline.stages()
    change = stages[1][0] if len(stages) > 1 else None
    thresholds: dict[str, list[tuple[int, float]]] = {}
    for archetype in scenario.population.partners:
        for week, program in stages:
            for lever in program.mechanics:
                tiers = getattr(lever, "tiers", None)
                quarterly = getattr(lever, "period", None) == "quarter"
                on_revenue = getattr(lever, "measure", "revenue") == "revenue"
                if not tiers or not quarterly or not on_revenue or not lever.reached([archetype]):
                    continue
                for tier in tiers:
                    value = getattr(tier, "threshold", None)
                    if value is not None and (not isinstance(value, dict) or archetype in value):
                        thresholds.setdefault(archetype, []).append(
                            (week, for_archetype(value, archetype))
                        )
    return Context(change, thresholds)
