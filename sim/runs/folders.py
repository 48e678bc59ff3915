"""Writing a run's or a comparison's results folder (``results/README.md`` lists the files).

Tables first, then ``summary.json``, then ``manifest.json``: a folder with a
manifest is complete.
"""

from __future__ import annotations

from pathlib import Path

from sim.runs.results import CompareResults, RunResults
from sim.runs.store import manifest, write_json, write_tables


def save_run(results: RunResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a run's folder: tables, summary.json, then manifest.json."""
    write_tables(
        out,
        runs=results.runs,
        segments=results.segments,
        timeseries=results.timeseries,
        tiers=results.tiers,
    )
    write_json(out / "summary.json", results.summary_json())
    write_json(
        out / "manifest.json",
        manifest("run", [results.scenario], results.seed, results.replications, argv),
    )


def save_compare(results: CompareResults, out: Path, argv: list[str] | None = None) -> None:
    """Write a comparison's folder: tables, summary.json, then manifest.json."""
    write_tables(out, runs=results.runs, segments=results.segments, timeseries=results.timeseries)
    write_json(out / "summary.json", results.to_json())
    write_json(
        out / "manifest.json",
        manifest("compare", results.scenarios, results.seed, results.replications, argv),
    )
