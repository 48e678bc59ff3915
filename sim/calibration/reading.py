"""Reading a partner history file (CSV or parquet) and checking it before any work.

Every problem raises :class:`~sim.errors.HistoryError`, one line naming the
file, the row (the line of a CSV file; the data row of a parquet file) and the
column, and what was expected; the command line exits with code 2.

The period column is named by the frequency (``week``, ``month``,
``quarter``), or is ``period`` with the frequency declared in the file (a
``# frequency: month`` line before a CSV header, or the parquet metadata key
``partnerlab.frequency``) or by ``--frequency``. A ``# returns: true`` line
(metadata ``partnerlab.returns``) or ``--returns`` declares that revenue may be
negative (returned deals). Periods are integers counted from 0, or dates
(ISO ``2024-01-01``) converted to periods of the model's calendar from the
first one.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from sim.calibration.history import (
    ATTRIBUTES,
    FREQUENCIES,
    OPTIONAL,
    REQUIRED,
    Frequency,
    PartnerHistory,
    weeks_in,
)
from sim.errors import HistoryError
from sim.limits import HISTORY_BYTES, PARTNERS
from sim.runs.footprint import READ_CELL_BYTES

COUNTS = ("deals_won", "deals_registered", "tier")
#: Days per period, to turn dates into periods (a quarter is 13 weeks).
DAYS = {"week": 7, "month": 91 / 3, "quarter": 91}


class Reader:
    """One history file being read: where each data row is, and how to blame it."""

    def __init__(self, path: Path, frame: pd.DataFrame, first_line: int | None) -> None:
        self.path, self.frame = path, frame
        self.first_line = first_line  # file line of data row 0 (CSV), or None (parquet)
        self.origin: pd.Timestamp | None = None  # the first period's date, for dated periods

    def fail(self, index: int | None, column: str, expected: str) -> HistoryError:
        """The error for data row ``index`` (``None``: the file or a column as a whole)."""
        row = None
        if index is not None:
            row = index + (self.first_line if self.first_line is not None else 1)
        return HistoryError(str(self.path), row, column, expected)

    def first_bad(self, bad: np.ndarray, column: str, expected: str) -> None:
        """Raise for the first row where ``bad`` is true, showing its value."""
        where = np.flatnonzero(bad)
        if where.size:
            value = self.frame[column].iloc[int(where[0])]
            value = value.item() if isinstance(value, np.generic) else value
            raise self.fail(int(where[0]), column, f"expected {expected}, got {value!r}")


def read_history(
    path: Path,
    archetypes: Collection[str],
    frequency: Frequency | None = None,
    returns: bool | None = None,
) -> PartnerHistory:
    """Read and check a history file; ``archetypes`` are the names a row may use.

    ``frequency`` and ``returns`` override what the file declares.
    """
    path = Path(path)
    reader, declared = _load(path)
    frame = reader.frame
    frequency, period_column = _frequency(reader, declared.get("frequency"), frequency)
    allow_negative = returns if returns is not None else declared.get("returns") == "true"
    for column in (*REQUIRED, period_column):
        if column not in frame.columns:
            raise reader.fail(None, column, f"missing column; expected {_expected_columns()}")
    if frame.empty:
        raise reader.fail(None, "", "no data rows; expected one row per partner and period")
    for column in [*REQUIRED, period_column]:
        reader.first_bad(frame[column].isna().to_numpy(), column, "a value")
    ids = frame["partner_id"].astype(str).to_numpy()
    kinds = frame["archetype"].astype(str).to_numpy()
    reader.first_bad(~np.isin(kinds, list(archetypes)), "archetype", f"one of {sorted(archetypes)}")
    period = _periods(reader, period_column, frequency)
    series = {
        name: _numbers(reader, name, allow_negative=(name == "revenue" and allow_negative))
        for name in ("revenue", "deals_won", *OPTIONAL)
        if name in frame.columns
    }
    order = np.lexsort((period, ids))
    _check_rows(reader, ids, period, order)
    return _assemble(reader, frequency, ids, kinds, period, series, allow_negative)


def _expected_columns() -> str:
    return (
        f"{', '.join(REQUIRED)} and a period column (week, month, quarter or period); "
        f"optionally {', '.join(ATTRIBUTES + OPTIONAL)}"
    )


def read_bytes(path: Path) -> int:
    """Memory a history file takes once read, estimated from its size (0 if it is no file).

    Parquet says its rows and columns; a CSV cell takes at least 3 bytes of text.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except Exception:  # noqa: BLE001 - not parquet: reading it says so, in one line
            return 0
        cells = meta.num_rows * meta.num_columns
    else:
        cells = path.stat().st_size // 3
    return cells * READ_CELL_BYTES


def _load(path: Path) -> tuple[Reader, dict[str, str]]:
    """The file's rows, as text, and what it declares (frequency, returns)."""
    if not path.exists():
        raise HistoryError(str(path), None, "", "file not found; expected a CSV or parquet file")
    if not path.is_file():
        raise HistoryError(
            str(path), None, "", "not a regular file; expected a CSV or parquet file"
        )
    problem = HISTORY_BYTES.excess(path.stat().st_size)
    if problem is not None:
        raise HistoryError(str(path), None, "", problem)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as error:  # noqa: BLE001 - pyarrow's many format errors
            raise HistoryError(str(path), None, "", f"not a parquet file ({error})") from None
        meta = {
            k.decode().removeprefix("partnerlab."): v.decode()
            for k, v in (table.schema.metadata or {}).items()
            if k.decode().startswith("partnerlab.")
        }
        return Reader(path, table.to_pandas(), None), meta
    if path.suffix != ".csv":
        raise HistoryError(str(path), None, "", "expected a .csv or .parquet file")
    declared, skipped = {}, 0
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.startswith("#"):
                    break
                key, _, value = line[1:].partition(":")
                declared[key.strip().lower()] = value.strip().lower()
                skipped += 1
        frame = pd.read_csv(
            path, skiprows=skipped, dtype=str, keep_default_na=False, na_values=[""]
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise HistoryError(str(path), None, "", f"not a readable CSV file ({error})") from None
    except pd.errors.EmptyDataError:
        raise HistoryError(str(path), None, "", "empty file; expected a header row") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return Reader(path, frame, skipped + 2), declared


def _frequency(
    reader: Reader, declared: str | None, given: Frequency | None
) -> tuple[Frequency, str]:
    """The frequency of the rows and the name of their period column."""
    named = [f for f in FREQUENCIES if f in reader.frame.columns]
    if len(named) > 1:
        raise reader.fail(None, named[1], f"expected one period column, found {named}")
    if declared is not None and declared not in FREQUENCIES:
        raise reader.fail(
            None, "", f"frequency {declared!r} declared; expected one of {FREQUENCIES}"
        )
    if named:
        column = named[0]
        chosen: Frequency = given or column
        if chosen != column or (declared and declared != column):
            raise reader.fail(
                None,
                column,
                f"a {column} column with {given or declared} declared; expected one frequency",
            )
        return chosen, column
    frequency: Frequency = given or declared or "week"
    return frequency, "period"


def _periods(reader: Reader, column: str, frequency: Frequency) -> np.ndarray:
    """Each row's period index, from integers or dates."""
    text = reader.frame[column]
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        reader.first_bad(
            ((numbers < 0) | (numbers != numbers.round())).to_numpy(),
            column,
            "a period number >= 0 (integers from 0) or a date",
        )
        return numbers.to_numpy(dtype=np.int64)
    dates = pd.to_datetime(text, errors="coerce", format="ISO8601")
    reader.first_bad(dates.isna().to_numpy(), column, "a period number or an ISO date (2024-01-01)")
    reader.origin = dates.min()
    days = (dates - reader.origin).dt.days.to_numpy()
    return np.floor(days / DAYS[frequency] + 1e-9).astype(np.int64)


def _numbers(reader: Reader, column: str, allow_negative: bool) -> np.ndarray:
    """A per-period column as numbers (empty cells of optional columns are 0)."""
    raw = reader.frame[column]
    parsed = pd.to_numeric(raw, errors="coerce")
    reader.first_bad((parsed.isna() & raw.notna()).to_numpy(), column, "a number")
    values = parsed.fillna(0.0).to_numpy(dtype=np.float64)
    reader.first_bad(~np.isfinite(values), column, "a finite number")
    if not allow_negative:
        hint = " (returns are not declared: add '# returns: true')" if column == "revenue" else ""
        reader.first_bad(values < 0, column, f"a number >= 0{hint}")
    if column in COUNTS:
        reader.first_bad(values != np.round(values), column, "a whole number")
    return values


def _check_rows(reader: Reader, ids: np.ndarray, period: np.ndarray, order: np.ndarray) -> None:
    """No partner has a period twice, and each partner's periods follow without gaps."""
    same = ids[order][1:] == ids[order][:-1]
    step = np.diff(period[order])
    duplicate = np.flatnonzero(same & (step == 0))
    if duplicate.size:
        row = int(order[duplicate[0] + 1])
        raise reader.fail(
            row, "", f"partner {ids[row]!r} has period {period[row]} twice; expected one row"
        )
    gap = np.flatnonzero(same & (step > 1))
    if gap.size:
        row = int(order[gap[0] + 1])
        missing = period[order][gap[0]] + 1
        raise reader.fail(
            row,
            "",
            f"partner {ids[row]!r} has no row for period {missing}; expected one row per "
            "period from its first to its last",
        )


def _per_partner(
    reader: Reader, column: str, ids: np.ndarray, firsts: np.ndarray, inverse: np.ndarray
) -> np.ndarray | None:
    """A per-partner column, checked to hold one value per partner."""
    if column not in reader.frame.columns:
        return None
    cells = reader.frame[column]
    values = cells.astype(object).where(cells.notna(), "").astype(str).str.strip().to_numpy()
    differs = values != values[firsts][inverse]
    where = np.flatnonzero(differs)
    if where.size:
        row = int(where[0])
        raise reader.fail(
            row,
            column,
            f"expected one value per partner; partner {ids[row]!r} has "
            f"{values[firsts][inverse][row]!r} and {values[row]!r}",
        )
    return values[firsts]


def _assemble(
    reader: Reader,
    frequency: Frequency,
    ids: np.ndarray,
    kinds: np.ndarray,
    period: np.ndarray,
    series: dict[str, np.ndarray],
    returns: bool,
) -> PartnerHistory:
    """The checked rows as a :class:`PartnerHistory` (partners in order of first appearance)."""
    unique, firsts, inverse = np.unique(ids, return_index=True, return_inverse=True)
    problem = PARTNERS.excess(unique.size)
    if problem is not None:
        raise HistoryError(str(reader.path), None, "partner_id", problem)
    archetype = _per_partner(reader, "archetype", ids, firsts, inverse)
    periods = int(period.max()) + 1
    joined = _joined(reader, ids, firsts, inverse, period, frequency)
    arrays = {}
    for name, values in series.items():
        grid = np.zeros((periods, unique.size))
        grid[period, inverse] = values
        arrays[name] = grid
    return PartnerHistory(
        source=str(reader.path),
        frequency=frequency,
        partner_id=unique.astype(str),
        archetype=cast(np.ndarray, archetype),
        joined=joined,
        series=arrays,
        size_band=_per_partner(reader, "size_band", ids, firsts, inverse),
        region=_per_partner(reader, "region", ids, firsts, inverse),
        returns=returns,
    )


def _joined(
    reader: Reader,
    ids: np.ndarray,
    firsts: np.ndarray,
    inverse: np.ndarray,
    period: np.ndarray,
    frequency: Frequency,
) -> np.ndarray:
    """Each partner's joining week: the ``joined`` column, else its first row's period."""
    first_period = np.full(firsts.size, np.iinfo(np.int64).max)
    np.minimum.at(first_period, inverse, period)
    start_week = np.array([weeks_in(int(p), frequency) for p in first_period], dtype=np.float64)
    # A partner whose rows start with the history was there before it (long before, unless
    # the file says when it joined).
    fallback = np.where(first_period == 0, -np.inf, start_week)
    text = _per_partner(reader, "joined", ids, firsts, inverse)
    if text is None:
        return fallback
    numbers = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=np.float64)
    if reader.origin is not None:  # dated periods: a joining date counts in weeks from the first
        dates = pd.to_datetime(pd.Series(text), errors="coerce", format="ISO8601")
        days = (dates - reader.origin).dt.days.to_numpy(dtype=np.float64)
        numbers = np.where(np.isnan(numbers), np.floor(days / 7.0), numbers)
    bad = (text != "") & np.isnan(numbers)
    if bad.any():
        row = int(firsts[np.flatnonzero(bad)[0]])
        expected = "a week number or an ISO date" if reader.origin is not None else "a week number"
        raise reader.fail(row, "joined", f"expected {expected}, got {text[bad][0]!r}")
    late = np.isfinite(numbers) & (numbers > start_week)
    if late.any():
        row = int(firsts[np.flatnonzero(late)[0]])
        raise reader.fail(
            row,
            "joined",
            f"expected a week no later than the partner's first row (week {start_week[late][0]:g})",
        )
    return np.where(np.isnan(numbers), fallback, numbers)
