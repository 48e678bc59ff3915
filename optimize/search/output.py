"""The results folder of an optimization, written whole (:class:`~sim.runs.outputs.ResultsFolder`).

``trials.parquet``, ``best_scenario.yaml``, ``history.png``,
``importances.png``, ``pareto.png``, ``summary.json`` and, last,
``manifest.json`` with every file's SHA-256, in a hidden sibling renamed into place.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from optimize.search.result import OptimizeResult
from sim.runs.outputs import ResultsFolder
from sim.runs.store import atomic_write, manifest, write_json, write_parquet


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_figure(path: Path, figure: Any) -> None:
    """Save a matplotlib figure as PNG atomically and release it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    figure.clear()
    atomic_write(path, lambda temp: temp.write_bytes(buffer.getvalue()))


def save_result(
    result: OptimizeResult, out: Path, argv: list[str] | None = None, overwrite: bool = False
) -> Path | None:
    """Write the results folder; returns the best scenario's path (``None`` without one).

    Raises:
        BadInput: ``out`` exists (without ``overwrite``) or cannot be written.
    """
    # matplotlib loads here, not when the command line starts
    from optimize.search.figures import history_figure, importance_figure, pareto_figure

    frame = result.trials_frame()
    with ResultsFolder(out, overwrite) as folder:
        write_parquet(folder.path / "trials.parquet", frame)
        text = result.best_scenario_yaml()
        best_path = None if text is None else Path(out) / "best_scenario.yaml"
        if text is not None:
            write_text(folder.path / "best_scenario.yaml", text)
        maximize = result.study.directions[0].name == "MAXIMIZE"
        x = result.settings.versus or "incremental_cost"
        objective = result.objective_names[0]
        write_figure(folder.path / "history.png", history_figure(frame, objective, maximize))
        importances = importance_figure(result.readable_importances())
        write_figure(folder.path / "importances.png", importances)
        write_figure(folder.path / "pareto.png", pareto_figure(frame, x))
        shown = str(best_path) if best_path else None
        write_json(folder.path / "summary.json", result.summary_json(shown))
        replications = len(result.replication_ids)
        record = manifest("optimize", [result.scenario], result.seed, replications, argv)
        folder.commit(record | {"study": result.study.study_name, "storage": result.storage})
    return best_path
