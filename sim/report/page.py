"""Pieces of the HTML report: reading a results folder, figures as PNG, money and tables.

A report section (:mod:`sim.report.sections`, :mod:`sim.report.plans`) reads
its folder with these helpers and returns a :class:`Section`: headline HTML,
figures (caption and PNG bytes, drawn lazily) and the note that explains its
numbers.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.errors import BadInput
from sim.runs.results import METRIC_INFO
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

#: A figure of the report: its caption and its PNG bytes.
Shown = tuple[str, bytes]

NET_LIFT_NOTE = (
    "Money is in dollars over the horizon; net lift = incremental gross profit - incremental "
    "program cost, design minus baseline on the same simulated worlds; intervals are 95% CIs "
    "over replications."
)


@dataclass
class Section:
    """What one kind of results folder shows: headline, figures and the note on its numbers."""

    headline: str
    figures: Iterator[Shown]
    note: str = NET_LIFT_NOTE


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def money(value: float | None) -> str:
    """``$12,345`` (``n/a`` when undefined)."""
    if value is None:
        return "n/a"
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


def estimate(data: Mapping[str, float | None], unit: str = "$") -> str:
    """``mean [ci_low, ci_high]`` of an estimate's JSON, in dollars or as a ratio."""

    def show(v: float | None) -> str:
        if unit == "$":
            return money(v)
        return "n/a" if v is None else f"{v:.2f}x"

    return f"{show(data['mean'])} [95% CI {show(data['ci_low'])} to {show(data['ci_high'])}]"


def read_json(path: Path) -> dict[str, Any]:
    """A results file's JSON (``BadInput`` naming the file if it is missing or broken)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{path}: missing; expected a finished results folder") from error
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not valid JSON ({error.msg}); expected a results file") from error


def read_parquet(folder: Path, name: str) -> pd.DataFrame:
    """``<folder>/<name>.parquet`` (``BadInput`` if it is missing)."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise BadInput(f"{path}: missing; expected a finished results folder")
    return pd.read_parquet(path)


def scenarios(manifest: dict[str, Any], folder: Path) -> list[Scenario]:
    """The scenarios a folder's manifest records, validated."""
    return [validate_scenario(raw, str(folder / "manifest.json")) for raw in manifest["scenarios"]]


def metrics_in(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The metrics every row has, in :data:`METRIC_INFO` order: whatever the results provide."""
    return [
        m
        for m in METRIC_INFO
        if all(isinstance(row.get(m), Mapping) and "mean" in row[m] for row in rows)
    ]


def metrics_table(rows: Sequence[tuple[str, Mapping[str, Any]]], first: str = "Design") -> str:
    """One row per design (or segment), one column per metric the rows have (mean and CI)."""
    metrics = metrics_in([data for _, data in rows])
    head = "".join(f"<th>{html.escape(metric_header(m))}</th>" for m in metrics)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{estimate(data[m], METRIC_INFO[m][1])}</td>" for m in metrics)
        + "</tr>"
        for name, data in rows
    )
    return f"<table><tr><th>{html.escape(first)}</th>{head}</tr>{body}</table>"


def metric_header(metric: str) -> str:
    """``Net lift ($)``: a metric's name and unit."""
    name, unit = METRIC_INFO[metric]
    return f"{name} ({unit})"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain HTML table of text cells (escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
