"""Writing a run's or a comparison's results folder (``results/README.md`` lists the files).

The folder is written whole (:class:`~sim.runs.outputs.ResultsFolder`): tables
and ``summary.json`` in a hidden sibling, then ``manifest.json`` with every
file's SHA-256, then one rename into place.
"""

from __future__ import annotations

from pathlib import Path

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
    with ResultsFolder(out, overwrite) as folder:
        write_tables(
            folder.path,
            runs=results.runs,
            segments=results.segments,
            timeseries=results.timeseries,
            tiers=results.tiers,
        )
        write_json(folder.path / "summary.json", results.summary_json())
        record = manifest("run", [results.scenario], results.seed, results.replications, argv)
        return folder.commit(record)


def save_compare(
    results: CompareResults, out: Path, argv: list[str] | None = None, overwrite: bool = False
) -> Path:
    """Write a comparison's folder: tables, summary.json, then manifest.json; returns ``out``.

    Raises:
        BadInput: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    with ResultsFolder(out, overwrite) as folder:
        write_tables(
            folder.path,
            runs=results.runs,
            segments=results.segments,
            timeseries=results.timeseries,
        )
        write_json(folder.path / "summary.json", results.to_json())
        record = manifest("compare", results.scenarios, results.seed, results.replications, argv)
        return folder.commit(record)
