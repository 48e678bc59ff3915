"""A self-contained HTML report of a results folder, for readers who would rather look than read.

One file, no network: figures are embedded as base64 PNG, styles are inline.
The report shows the headline numbers with their 95% CIs, the figures that fit
the kind of result (``manifest.json`` ``kind``: run, compare, optimize, sweep,
pilot) and the resolved scenario exactly as it ran. Optimization folders
already hold their figures as PNG (drawn by :mod:`optimize.search.figures`); the
report embeds those files, so ``sim`` does not import ``optimize``.

The folder is checked first (:func:`sim.runs.store.verify_folder`): every file
must match its SHA-256 in the manifest. Every value put in the HTML goes
through :func:`escaped`, so names, descriptions and parameter values that hold
markup show as text.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.errors import BadInput
from sim.report import plots
from sim.runs.outputs import check_file_out
from sim.runs.results import METRIC_INFO, METRICS, CompareResults, RunResults
from sim.runs.store import MANIFEST, atomic_write, verify_folder
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

KINDS = ("run", "compare", "optimize", "sweep", "pilot")
#: A figure of the report: its caption and its PNG bytes.
Shown = tuple[str, bytes]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.9em; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.headline { font-size: 1.3em; } .note { color: #555; }
"""


def escaped(value: Any) -> str:
    """Any value as HTML text: ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape(str(value))


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


def estimate(data: dict[str, float | None], unit: str = "$") -> str:
    """``mean [ci_low, ci_high]`` of an estimate's JSON, in dollars or as a ratio."""

    def show(v: float | None) -> str:
        if unit == "$":
            return money(v)
        return "n/a" if v is None else f"{v:.2f}x"

    return f"{show(data['mean'])} [95% CI {show(data['ci_low'])} to {show(data['ci_high'])}]"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{path}: missing; expected a finished results folder") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: not valid JSON; expected a results file") from error
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a JSON {type(data).__name__}; expected a JSON object")
    return data


def _read_parquet(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise BadInput(f"{path}: missing; expected a finished results folder")
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise BadInput(f"{path}: not a readable parquet table ({reason})") from None


def _scenarios(manifest: dict[str, Any], folder: Path) -> list[Scenario]:
    return [validate_scenario(raw, str(folder / MANIFEST)) for raw in manifest["scenarios"]]


def _check_manifest(manifest: dict[str, Any], folder: Path) -> str:
    """The manifest's kind, once its fields have the types the report reads."""
    path = folder / MANIFEST
    kind = manifest.get("kind")
    if kind not in SECTIONS:
        raise BadInput(f"{path}: kind {str(kind)[:40]!r}; expected one of {', '.join(KINDS)}")
    scenarios = manifest.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        raise BadInput(f"{path}: scenarios: expected a list of the scenarios that ran")
    if not all(isinstance(s, dict) for s in scenarios):
        raise BadInput(f"{path}: scenarios: expected each scenario as a JSON object")
    for field in ("seed", "replications"):
        if isinstance(manifest.get(field), bool) or not isinstance(manifest.get(field), int):
            raise BadInput(f"{path}: {field}: expected an integer")
    return str(kind)


def _metrics_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """One row per design, one column per metric (mean and CI)."""
    head = "".join(f"<th>{escaped(_metric_label(m))}</th>" for m in METRICS)
    body = "".join(
        f"<tr><td>{escaped(name)}</td>"
        + "".join(f"<td>{estimate(data[m], METRIC_INFO[m][1])}</td>" for m in METRICS)
        + "</tr>"
        for name, data in rows
    )
    return f"<table><tr><th>Design</th>{head}</tr>{body}</table>"


def _metric_label(metric: str) -> str:
    name, unit = METRIC_INFO[metric]
    return f"{name} ({unit})"


def _run(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    summary = _read_json(folder / "summary.json")
    scenario = _scenarios(manifest, folder)[0]
    results = RunResults(
        scenario,
        manifest["seed"],
        manifest["replications"],
        _read_parquet(folder, "runs"),
        _read_parquet(folder, "segments"),
        _read_parquet(folder, "timeseries"),
        pd.read_parquet(folder / "tiers.parquet")
        if (folder / "tiers.parquet").exists()
        else pd.DataFrame(),
    )
    text = (
        f"<p class='headline'>Net lift of <b>{escaped(scenario.design.name)}</b> over "
        f"<b>{escaped(scenario.baseline.name)}</b>: "
        f"<b>{estimate(summary['net_lift'])}</b> over {escaped(summary['horizon_weeks'])} weeks, "
        f"{escaped(summary['partners'])} partners, {escaped(summary['replications'])} paired "
        "replications.</p>"
        + _metrics_table([(scenario.design.name, summary)])
        + "<h3>By archetype</h3>"
        + _metrics_table(list(summary["by_archetype"].items()))
    )

    def figures() -> Iterator[Shown]:
        yield (
            "Net lift per simulated world, with its mean and 95% CI.",
            png(plots.net_lift_distribution(results)),
        )
        yield (
            "Cumulative net lift week by week (mean and 95% CI band).",
            png(plots.cumulative_net_lift(results.timeseries)),
        )
        yield (
            "Weekly sales within the quarter: design against baseline.",
            png(plots.quarter_hockey_stick(results.timeseries, design_name=scenario.design.name)),
        )
        yield (
            "Net lift by archetype and size band (mean over replications).",
            png(plots.segment_heatmap(results.segments)),
        )
        if len(results.tiers) and (results.tiers["arm"] == "design").any():
            yield (
                "Partners by tier after each evaluation period, under the design.",
                png(plots.tier_migration(results)),
            )

    return text, figures()


def _compare(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    summary = _read_json(folder / "summary.json")
    results = CompareResults(
        _scenarios(manifest, folder),
        manifest["seed"],
        manifest["replications"],
        _read_parquet(folder, "runs"),
        _read_parquet(folder, "segments"),
        _read_parquet(folder, "timeseries"),
    )
    best = summary["designs"][0]
    text = (
        f"<p class='headline'>Best design by net lift: <b>{escaped(best['design'])}</b>, "
        f"<b>{estimate(best['net_lift'])}</b> against {escaped(summary['baseline'])} "
        f"({escaped(summary['replications'])} paired replications, {escaped(summary['partners'])} "
        "partners).</p>"
        + _metrics_table([(f"#{d['rank']} {d['design']}", d) for d in summary["designs"]])
        + "<p class='note'>Paired differences in net lift between designs (same worlds):</p>"
        + "<table><tr><th>Design</th><th>Versus</th><th>Net lift difference ($)</th></tr>"
        + "".join(
            f"<tr><td>{escaped(d['design'])}</td><td>{escaped(d['versus'])}</td>"
            f"<td>{estimate(d['net_lift_difference'])}</td></tr>"
            for d in summary["differences"]
        )
        + "</table>"
    )

    def figures() -> Iterator[Shown]:
        yield (
            "Net lift per simulated world of each design, with mean and 95% CI.",
            png(plots.net_lift_distribution(results)),
        )
        yield "ROI against incremental cost (95% CIs).", png(plots.roi_vs_cost(results))
        for scenario in results.scenarios:
            yield (
                f"Net lift of {scenario.name} by segment.",
                png(plots.segment_heatmap(results.segments, scenario.name)),
            )

    return text, figures()


def _optimize(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    summary = _read_json(folder / "summary.json")
    held = summary["held_out"]["net_lift"]
    params = "".join(
        f"<tr><td>{escaped(k)}</td><td>{escaped(v)}</td></tr>"
        for k, v in (summary["best_params"] or {}).items()
    )
    text = (
        f"<p class='headline'>Best design's net lift on held-out worlds: "
        f"<b>{estimate(held) if held else 'n/a (no feasible design)'}</b> "
        f"({escaped(summary['n_trials'])} trials; in-sample best {money(summary['best_value'])}, "
        "optimistic because it was selected on those worlds).</p>"
        f"<table><tr><th>Parameter</th><th>Best value</th></tr>{params}</table>"
    )
    captions = {
        "history.png": "Optimization history: each trial's objective, best feasible so far.",
        "pareto.png": "Net lift against cost of every trial, with the Pareto front.",
        "importances.png": "Parameter importances for the objective.",
    }
    shown = ((c, (folder / n).read_bytes()) for n, c in captions.items() if (folder / n).exists())
    return text, shown


def _sweep(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    points = _read_parquet(folder, "points")
    params = [c for c in _read_parquet(folder, "design").columns if c != "point"]
    best = points.loc[cast(Any, points["net_lift"].idxmax())]
    setting = escaped(", ".join(f"{p} = {best[p]}" for p in params))
    text = (
        f"<p class='headline'>Best of {len(points)} points by mean net lift: <b>{setting}</b>, "
        f"net lift <b>{money(best['net_lift'])}</b> [95% CI {money(best['net_lift_ci_low'])} "
        f"to {money(best['net_lift_ci_high'])}] ({escaped(manifest['replications'])} replications "
        "per point; the best of many points is optimistic).</p>"
    )
    shown = iter(
        [("Net lift across the sweep's points.", png(plots.sweep_surface(points, params[:2])))]
    )
    return text, shown


def _pilot(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    summary = _read_json(folder / "summary.json")
    chosen = summary.get("recommended")
    advice = (
        f"recommended pilot: <b>{escaped(chosen['partners'])} partners for "
        f"{escaped(chosen['weeks'])} weeks</b> "
        f"(simulated power {chosen['power']:.0%})"
        if chosen and chosen.get("partners")
        else "no recommended size (no planning grid, or no grid point reached the target power)"
    )
    text = (
        f"<p class='headline'>Pilot of {escaped(summary['weeks'])} weeks, "
        f"{summary['partners']:.0f} partners: minimum detectable effect "
        f"<b>{money(summary['mde'])}</b> per treated partner "
        f"(true effect {money(summary['true_effect'])}); {advice}.</p>"
    )
    target = float((manifest["scenarios"][0].get("pilot") or {}).get("power", 0.8))
    curve_path = folder / "power.parquet"
    shown = iter(
        [
            (
                "Simulated power by pilot size and duration.",
                png(plots.power_curve(pd.read_parquet(curve_path), target)),
            )
        ]
        if curve_path.exists()
        else []
    )
    return text, shown


SECTIONS: dict[str, Callable[[Path, dict[str, Any]], tuple[str, Iterator[Shown]]]] = {
    "run": _run,
    "compare": _compare,
    "optimize": _optimize,
    "sweep": _sweep,
    "pilot": _pilot,
}


def build_report(folder: Path) -> str:
    """The HTML text of the report of a results folder.

    Raises:
        BadInput: the folder is not a finished results folder of a known kind.
    """
    folder = Path(folder)
    manifest = verify_folder(folder)
    kind = _check_manifest(manifest, folder)
    headline, shown = SECTIONS[kind](folder, manifest)
    figures = "".join(
        f"<figure><img alt='{escaped(caption)}' src='data:image/png;base64,"
        f"{base64.b64encode(data).decode('ascii')}'><figcaption>{escaped(caption)}"
        "</figcaption></figure>"
        for caption, data in shown
    )
    names = ", ".join(str(s.get("name")) for s in manifest["scenarios"])
    resolved = "\n---\n".join(yaml.safe_dump(s, sort_keys=False) for s in manifest["scenarios"])
    command = " ".join(map(str, manifest.get("command") or [])) or "(Python API)"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>partnerlab {kind}: {escaped(names)}</title><style>{STYLE}</style></head>"
        f"<body><h1>partnerlab {kind}: {escaped(names)}</h1>"
        f"<p class='note'>Created {escaped(manifest.get('created'))} by "
        f"<code>{escaped(command)}</code>; seed {escaped(manifest.get('seed'))}; code "
        f"{escaped(manifest.get('git_commit'))}. Money is in dollars over the horizon; "
        "net lift = incremental gross profit - incremental program cost, design minus "
        "baseline on the same simulated worlds; intervals are 95% CIs over replications.</p>"
        f"<h2>Headline</h2>{headline}<h2>Figures</h2>{figures}"
        f"<h2>Scenario as it ran</h2><details><summary>resolved scenario YAML</summary>"
        f"<pre>{escaped(resolved)}</pre></details></body></html>\n"
    )


def write_report(folder: Path, out: Path | None = None, overwrite: bool = False) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``<folder>/report.html``).

    The default file is the folder's own report and is replaced; an ``out``
    that exists is replaced only with ``overwrite``.

    Raises:
        BadInput: the folder does not check out (see :func:`build_report`), or
            ``out`` is a folder, exists, or cannot be written.
    """
    target = Path(out) if out is not None else Path(folder) / "report.html"
    if out is not None:
        check_file_out(target, overwrite)
    page = build_report(folder)
    try:
        atomic_write(target, lambda temp: temp.write_text(page, encoding="utf-8"))
    except OSError as error:
        raise BadInput(f"{target}: cannot be written ({error.strerror or error})") from None
    return target
