"""Spreadsheet output: a results folder's summary, segments and weekly series as CSV files.

Strategists live in spreadsheets. Columns are named as in the report, with
their units (``Net lift ($)``, ``Net lift, 95% CI low ($)``), one row per
segment, design or week, so a file opens in any spreadsheet ready to read.
``partnerlab export`` writes them for run and compare folders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.accounting import SERIES
from sim.errors import BadInput
from sim.report.page import metric_header, metrics_in, read_json, read_parquet, scenarios
from sim.runs.outputs import check_file_out
from sim.runs.results import METRIC_INFO, paired_differences, summarize
from sim.runs.store import EXPORTS, atomic_write, verify_folder

#: Weekly money series in the CSV (the rest are counts and indices, in ``timeseries.parquet``).
WEEKLY = ("revenue", "gross_profit", "program_cost", "rewards", "open_pipeline")


def _cells(data: Mapping[str, Any], metrics: Sequence[str]) -> dict[str, float | None]:
    """Mean and 95% CI of each metric, as named columns."""
    cells: dict[str, float | None] = {}
    for m in metrics:
        name, unit = METRIC_INFO[m]
        cells[metric_header(m)] = data[m]["mean"]
        cells[f"{name}, 95% CI low ({unit})"] = data[m]["ci_low"]
        cells[f"{name}, 95% CI high ({unit})"] = data[m]["ci_high"]
    return cells


def _table(rows: Sequence[tuple[dict[str, Any], Mapping[str, Any]]]) -> pd.DataFrame:
    """One row per entry: its keys, then each metric's mean and 95% CI."""
    metrics = metrics_in([data for _, data in rows])
    return pd.DataFrame([keys | _cells(data, metrics) for keys, data in rows])


def summary_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A run's ``summary.json`` (total, by archetype, by size band) or a comparison's designs."""
    if "designs" in summary:
        return _table(
            [({"Rank": str(d["rank"]), "Design": d["design"]}, d) for d in summary["designs"]]
        )
    rows = [({"Group": "total", "Segment": "all partners"}, summary)]
    for key, group in (("by_archetype", "archetype"), ("by_size_band", "size band")):
        rows += [({"Group": group, "Segment": k}, v) for k, v in summary.get(key, {}).items()]
    return _table(rows)


def summary_csv(summary: Mapping[str, Any]) -> str:
    """:func:`summary_frame` as CSV text."""
    return summary_frame(summary).to_csv(index=False)


def segments_frame(segments: pd.DataFrame, designs: Sequence[str]) -> pd.DataFrame:
    """Per design, archetype and size band: every metric, mean and 95% CI over replications."""
    rows = []
    pairs: Any = list(zip(segments["archetype"], segments["size_band"], strict=True))
    cells = segments.assign(segment=pairs)
    for design in designs:
        diff = paired_differences(cells, design, by="segment")
        for (archetype, band), group in diff.groupby(level="segment", sort=False):
            data = {k: e.as_dict() for k, e in summarize(group).items()}
            keys = {"Design": design, "Archetype": archetype, "Size band": band}
            rows.append((keys, data))
    return _table(rows)


def timeseries_frame(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Weekly money by arm and archetype, mean over replications (week 1 is the first)."""
    means = timeseries.groupby(["arm", "archetype", "week"], sort=False)[list(WEEKLY)].mean()
    frame = means.reset_index()
    frame["week"] += 1
    names = {c: f"{c.replace('_', ' ').capitalize()} ({SERIES[c]})" for c in WEEKLY}
    return frame.rename(columns={"arm": "Arm", "archetype": "Archetype", "week": "Week"} | names)


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """Writes ``frame`` as CSV to the path it is given (for :func:`atomic_write`)."""

    def write(temp: Path) -> None:
        frame.to_csv(temp, index=False)

    return write


def export_folder(folder: Path, out: Path | None = None, overwrite: bool = False) -> list[Path]:
    """Write ``summary.csv``, ``segments.csv`` and ``timeseries.csv`` of a run or compare folder.

    Returns the files written (in ``out``, default ``<folder>/csv``, whose
    files are replaced; files in ``out`` only with ``overwrite``).

    Raises:
        BadInput: the folder is not a finished run or compare folder whose files
            match its manifest, or an output file exists or cannot be written.
    """
    folder = Path(folder)
    manifest = verify_folder(folder)
    kind = manifest.get("kind")
    if kind not in ("run", "compare"):
        raise BadInput(f"{folder / 'manifest.json'}: kind {kind!r}; expected run or compare")
    designs = ["design"] if kind == "run" else [s.name for s in scenarios(manifest, folder)]
    frames = {
        "summary": summary_frame(read_json(folder / "summary.json")),
        "segments": segments_frame(read_parquet(folder, "segments"), designs),
        "timeseries": timeseries_frame(read_parquet(folder, "timeseries")),
    }
    target = Path(out) if out is not None else folder / EXPORTS
    for name in frames:
        check_file_out(target / f"{name}.csv", overwrite or out is None)
    written = []
    for name, frame in frames.items():
        path = target / f"{name}.csv"
        atomic_write(path, _csv_writer(frame))
        written.append(path)
    return written
