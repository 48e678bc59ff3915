"""The partner history format: one row per partner and period, held as arrays per column.

A history is a company's own record of its partners (``docs/calibration.md``):
per partner its ``partner_id``, ``archetype`` and, optionally, ``size_band``,
``region`` and ``joined`` week; per partner and period its ``revenue`` and
``deals_won``, and where known ``deals_registered``, ``mdf_claimed``, ``tier``
and ``rewards_paid``. Periods are weeks, months or quarters of the model's
calendar (a quarter is 13 weeks, its months 4, 4 and 5 weeks); period 0 starts
at the scenario's week 0.

:class:`PartnerHistory` holds it as ``[periods, partners]`` arrays, the form
the summary statistics read whether the history was read from a file
(:mod:`sim.calibration.reading`) or simulated (:mod:`sim.calibration.record`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.runs.store import atomic_write
from sim.scenario.calendar import QUARTER

FloatArray = npt.NDArray[np.float64]
Frequency = Literal["week", "month", "quarter"]
FREQUENCIES: tuple[Frequency, ...] = ("week", "month", "quarter")
#: Periods per quarter at each frequency.
PER_QUARTER: dict[str, int] = {"week": QUARTER, "month": 3, "quarter": 1}
#: Week of the quarter at which each month starts (months of 4, 4 and 5 weeks).
MONTH_STARTS = (0, 4, 8)

#: Columns every history has.
REQUIRED = ("partner_id", "archetype", "revenue", "deals_won")
#: Per-partner columns a history may have.
ATTRIBUTES = ("size_band", "region", "joined")
#: Per-period columns a history may have, where known.
OPTIONAL = ("deals_registered", "mdf_claimed", "tier", "rewards_paid")
#: Per-period columns, in file order.
SERIES = ("revenue", "deals_won", *OPTIONAL)


def period_of_week(weeks: npt.NDArray[np.integer], frequency: Frequency) -> npt.NDArray[np.int64]:
    """The period (of ``frequency``) each week falls in."""
    weeks = np.asarray(weeks, dtype=np.int64)
    if frequency == "week":
        return weeks.astype(np.int64)
    quarter, week_of_quarter = np.divmod(weeks, QUARTER)
    if frequency == "quarter":
        return quarter.astype(np.int64)
    month = np.searchsorted(np.array(MONTH_STARTS), week_of_quarter, side="right") - 1
    return (quarter * 3 + month).astype(np.int64)


def weeks_in(periods: int, frequency: Frequency) -> int:
    """Weeks covered by the first ``periods`` periods."""
    if frequency == "week":
        return periods
    per = PER_QUARTER[frequency]
    quarters, rest = divmod(periods, per)
    return quarters * QUARTER + (MONTH_STARTS[rest] if rest else 0)


def aggregate(weekly: FloatArray, frequency: Frequency) -> FloatArray:
    """Weekly rows ``[weeks, ...]`` summed into periods (a last, partial period included)."""
    if frequency == "week":
        return weekly
    period = period_of_week(np.arange(weekly.shape[0]), frequency)
    starts = np.flatnonzero(np.r_[True, np.diff(period) != 0])
    summed: FloatArray = np.add.reduceat(weekly, starts, axis=0)
    return summed


@dataclass(frozen=True)
class PartnerHistory:
    """A partner history as arrays: per partner attributes, per period and partner series.

    ``series`` maps each per-period column present to a ``[periods, partners]``
    array (zeros before a partner joins). ``joined`` is the week each partner
    joined (negative: before the history; ``-inf``: long before).
    """

    source: str
    frequency: Frequency
    partner_id: npt.NDArray[np.str_]
    archetype: npt.NDArray[np.str_]
    joined: FloatArray
    series: dict[str, FloatArray]
    size_band: npt.NDArray[np.str_] | None = None
    region: npt.NDArray[np.str_] | None = None
    returns: bool = False

    @property
    def periods(self) -> int:
        """Periods in the history."""
        return int(self.series["revenue"].shape[0])

    @property
    def weeks(self) -> int:
        """Weeks the history covers."""
        return weeks_in(self.periods, self.frequency)

    @property
    def partners(self) -> int:
        """Partners in the history."""
        return int(self.partner_id.size)

    @property
    def first_period(self) -> npt.NDArray[np.int64]:
        """The first period of each partner's rows (the one it joined in, or 0)."""
        joined = np.clip(np.nan_to_num(self.joined, neginf=0.0), 0, None).astype(np.int64)
        return np.minimum(period_of_week(joined, self.frequency), self.periods)

    def present(self) -> npt.NDArray[np.bool_]:
        """``[periods, partners]``: whether each partner is in the history (joined) in a period."""
        return np.arange(self.periods)[:, None] >= self.first_period[None, :]

    def head(self, periods: int) -> PartnerHistory:
        """The first ``periods`` periods only (the part a held-out check fits on)."""
        return replace(self, series={k: v[:periods] for k, v in self.series.items()})

    def to_frame(self) -> pd.DataFrame:
        """The history as rows, one per partner and period from its first period on."""
        present = self.present()
        period, partner = np.nonzero(present)
        columns: dict[str, object] = {
            "partner_id": self.partner_id[partner],
            "archetype": self.archetype[partner],
        }
        if self.size_band is not None:
            columns["size_band"] = self.size_band[partner]
        if self.region is not None:
            columns["region"] = self.region[partner]
        columns["joined"] = self.joined[partner]
        columns[self.frequency] = period
        for name in SERIES:
            if name in self.series:
                values = self.series[name][period, partner]
                integer = name in {"deals_won", "deals_registered", "tier"}
                columns[name] = values.round().astype(np.int64) if integer else values.round(2)
        frame = pd.DataFrame(columns)
        frame["joined"] = frame["joined"].where(np.isfinite(frame["joined"]))
        return frame.sort_values(["partner_id", self.frequency], kind="stable").reset_index(
            drop=True
        )

    def write(self, path: Path) -> None:
        """Write the history as CSV or parquet (by the file's suffix), atomically."""
        frame = self.to_frame()
        if path.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            declared = {
                b"partnerlab.frequency": self.frequency.encode(),
                b"partnerlab.returns": str(self.returns).lower().encode(),
            }
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **declared})
            atomic_write(path, lambda temp: pq.write_table(table, temp))
            return
        header = f"# frequency: {self.frequency}\n# returns: {str(self.returns).lower()}\n"

        def write_csv(temp: Path) -> None:
            with temp.open("w", encoding="utf-8", newline="") as handle:
                handle.write(header)
                frame.to_csv(handle, index=False, float_format="%.15g")

        atomic_write(path, write_csv)
