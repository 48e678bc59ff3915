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
from sim.runs.store import MANIFEST
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


def escaped(value: Any) -> str:
    """Any value as HTML text: ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape(str(value))


def notes(summary: Mapping[str, Any]) -> str:
    """A summary's plain lines (it loses to today's program, wins by cutting profit...), in bold."""
    return "".join(f"<p><b>{escaped(line)}</b></p>" for line in summary.get("notes") or [])


def read_json(path: Path) -> dict[str, Any]:
    """A results file's JSON object (``BadInput`` naming the file if missing, broken or not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{path}: missing; expected a finished results folder") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: not valid JSON; expected a results file") from error
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a JSON {type(data).__name__}; expected a JSON object")
    return data


def read_parquet(folder: Path, name: str) -> pd.DataFrame:
    """``<folder>/<name>.parquet`` (``BadInput`` if it is missing or unreadable)."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise BadInput(f"{path}: missing; expected a finished results folder")
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise BadInput(f"{path}: not a readable parquet table ({reason})") from None


def scenarios(manifest: dict[str, Any], folder: Path) -> list[Scenario]:
    """The scenarios a folder's manifest records, validated."""
    return [validate_scenario(raw, str(folder / MANIFEST)) for raw in manifest["scenarios"]]


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
    head = "".join(f"<th>{escaped(metric_header(m))}</th>" for m in metrics)
    body = "".join(
        f"<tr><td>{escaped(name)}</td>"
        + "".join(f"<td>{estimate(data[m], METRIC_INFO[m][1])}</td>" for m in metrics)
        + "</tr>"
        for name, data in rows
    )
    return f"<table><tr><th>{escaped(first)}</th>{head}</tr>{body}</table>"


def metric_header(metric: str) -> str:
    """``Net lift ($)``: a metric's name and unit."""
    name, unit = METRIC_INFO[metric]
    return f"{name} ({unit})"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain HTML table of text cells (escaped)."""
    head = "".join(f"<th>{escaped(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escaped(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
