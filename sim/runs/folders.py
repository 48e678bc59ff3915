"""Writing a run's or a comparison's results folder (``results/README.md`` lists the files).

The folder is written whole (:class:`~sim.runs.outputs.ResultsFolder`): tables
and ``summary.json`` in a hidden sibling, then ``manifest.json`` with every
file's SHA-256, then one rename into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.outputs import ResultsFolder
from sim.runs.results import CompareResults, RunResults
from sim.runs.store import manifest, write_json, write_tables


def save_run(
    results: RunResults, out: Path, argv: list[str] | None = None, overwrite: bool = False
) -> Path:
    """Write a run's folder: tables, summary.json, then manifest.json; returns ``out``.

    Raises:
        BadInput: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    tables = {**_tables(results), "tiers": results.tiers}
    record = manifest("run", [results.scenario], results.seed, results.replications, argv)
    return _save(out, overwrite, tables, results.summary_json(), record)


def save_compare(
    results: CompareResults, out: Path, argv: list[str] | None = None, overwrite: bool = False
) -> Path:
    """Write a comparison's folder: tables, summary.json, then manifest.json; returns ``out``.

    Raises:
        BadInput: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    record = manifest("compare", results.scenarios, results.seed, results.replications, argv)
    return _save(out, overwrite, _tables(results), results.to_json(), record)


def _tables(results: RunResults | CompareResults) -> dict[str, pd.DataFrame]:
    """The tables every paired result has."""
    return {"runs": results.runs, "segments": results.segments, "timeseries": results.timeseries}


def _save(
    out: Path,
    overwrite: bool,
    tables: dict[str, pd.DataFrame],
    summary: dict[str, Any],
    record: dict[str, Any],
) -> Path:
    """The folder written whole: tables, ``summary.json``, then the manifest on commit."""
    with ResultsFolder(out, overwrite) as folder:
        write_tables(folder.path, **tables)
        write_json(folder.path / "summary.json", summary)
        return folder.commit(record)
