"""The results folder of an optimization, every file written atomically.

``trials.parquet``, ``best_scenario.yaml``, ``history.png``,
``importances.png``, ``pareto.png``, ``summary.json`` and, last,
``manifest.json`` (a folder with a manifest is complete).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from optimize.search.result import OptimizeResult
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


def save_result(result: OptimizeResult, out: Path, argv: list[str] | None = None) -> Path | None:
    """Write the results folder; returns the best scenario's path (``None`` without one)."""
    # matplotlib loads here, not when the command line starts
    from optimize.search.figures import history_figure, importance_figure, pareto_figure

    frame = result.trials_frame()
    write_parquet(out / "trials.parquet", frame)
    best_path = None
    text = result.best_scenario_yaml()
    if text is not None:
        best_path = out / "best_scenario.yaml"
        write_text(best_path, text)
    maximize = result.study.directions[0].name == "MAXIMIZE"
    x = result.settings.versus or "incremental_cost"
    write_figure(out / "history.png", history_figure(frame, result.objective_names[0], maximize))
    write_figure(out / "importances.png", importance_figure(result.readable_importances()))
    write_figure(out / "pareto.png", pareto_figure(frame, x))
    shown = str(best_path) if best_path else None
    write_json(out / "summary.json", result.summary_json(shown))
    record = manifest("optimize", [result.scenario], result.seed, len(result.replication_ids), argv)
    write_json(
        out / "manifest.json",
        record | {"study": result.study.study_name, "storage": result.storage},
    )
    return best_path
