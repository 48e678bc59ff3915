"""A self-contained HTML report of a results folder, for readers who would rather look than read.

One file, no network: figures are embedded as base64 PNG, styles are inline.
The report shows the headline numbers with their 95% CIs, the figures that fit
the kind of result (``manifest.json`` ``kind``: run, compare, optimize, sweep,
pilot) and the resolved scenario exactly as it ran. Optimization folders
already hold their figures as PNG (drawn by :mod:`optimize.search.figures`); the
report embeds those files, so ``sim`` does not import ``optimize``.
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
from sim.runs.results import METRIC_INFO, METRICS, CompareResults, RunResults
from sim.runs.store import atomic_write
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

KINDS = ("run", "compare", "optimize", "sweep", "pilot", "calibrate")
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
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInput(f"{path}: missing; expected a finished results folder") from error
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not valid JSON ({error.msg}); expected a results file") from error


def _read_parquet(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise BadInput(f"{path}: missing; expected a finished results folder")
    return pd.read_parquet(path)


def _scenarios(manifest: dict[str, Any], folder: Path) -> list[Scenario]:
    return [validate_scenario(raw, str(folder / "manifest.json")) for raw in manifest["scenarios"]]


def _metrics_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """One row per design, one column per metric (mean and CI)."""
    head = "".join(f"<th>{html.escape(_metric_label(m))}</th>" for m in METRICS)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
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
        f"<p class='headline'>Net lift of <b>{html.escape(scenario.design.name)}</b> over "
        f"<b>{html.escape(scenario.baseline.name)}</b>: "
        f"<b>{estimate(summary['net_lift'])}</b> over {summary['horizon_weeks']} weeks, "
        f"{summary['partners']} partners, {summary['replications']} paired replications.</p>"
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
        f"<p class='headline'>Best design by net lift: <b>{html.escape(best['design'])}</b>, "
        f"<b>{estimate(best['net_lift'])}</b> against {html.escape(summary['baseline'])} "
        f"({summary['replications']} paired replications, {summary['partners']} partners).</p>"
        + _metrics_table([(f"#{d['rank']} {d['design']}", d) for d in summary["designs"]])
        + "<p class='note'>Paired differences in net lift between designs (same worlds):</p>"
        + "<table><tr><th>Design</th><th>Versus</th><th>Net lift difference ($)</th></tr>"
        + "".join(
            f"<tr><td>{html.escape(d['design'])}</td><td>{html.escape(d['versus'])}</td>"
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
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in (summary["best_params"] or {}).items()
    )
    text = (
        f"<p class='headline'>Best design's net lift on held-out worlds: "
        f"<b>{estimate(held) if held else 'n/a (no feasible design)'}</b> "
        f"({summary['n_trials']} trials; in-sample best {money(summary['best_value'])}, "
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
    setting = ", ".join(f"{p} = {best[p]}" for p in params)
    text = (
        f"<p class='headline'>Best of {len(points)} points by mean net lift: <b>{setting}</b>, "
        f"net lift <b>{money(best['net_lift'])}</b> [95% CI {money(best['net_lift_ci_low'])} "
        f"to {money(best['net_lift_ci_high'])}] ({manifest['replications']} replications "
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
        f"recommended pilot: <b>{chosen['partners']} partners for {chosen['weeks']} weeks</b> "
        f"(simulated power {chosen['power']:.0%})"
        if chosen and chosen.get("partners")
        else "no recommended size (no planning grid, or no grid point reached the target power)"
    )
    text = (
        f"<p class='headline'>Pilot of {summary['weeks']} weeks, {summary['partners']:.0f} "
        f"partners: minimum detectable effect <b>{money(summary['mde'])}</b> per treated "
        f"partner (true effect {money(summary['true_effect'])}); {advice}.</p>"
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


def _calibrate(folder: Path, manifest: dict[str, Any]) -> tuple[str, Iterator[Shown]]:
    fit = _read_json(folder / "fit.json")
    rows = "".join(
        f"<tr><td>{html.escape(path)}</td><td>{p['mean']:.4g}</td>"
        f"<td>[{p['ci_low']:.4g}, {p['ci_high']:.4g}]</td>"
        f"<td>[{p['prior_low']:.4g}, {p['prior_high']:.4g}]</td>"
        f"<td>{'yes' if p['identified'] else '<b>no</b>'}</td></tr>"
        for path, p in fit["parameters"].items()
    )
    held = fit["held_out"]["coverage_90"]
    text = (
        f"<p class='headline'>Calibrated on {html.escape(str(fit['history']['file']))} "
        f"({fit['history']['periods']} {fit['history']['frequency']}s); held-out check: "
        f"<b>{'n/a' if held is None else f'{held:.0%}'}</b> of statistics inside their 90% "
        "predictive band.</p><table><tr><th>Parameter</th><th>Posterior mean</th>"
        f"<th>90% interval</th><th>Prior</th><th>Identified</th></tr>{rows}</table>"
        + "".join(f"<p class='note'>{html.escape(line)}</p>" for line in fit["identification"])
    )
    captions = {
        "statistics.png": "Each summary statistic: observed against the 50% and 90% bands of "
        "histories simulated from the posterior, per archetype.",
        "posterior.png": "Posterior against prior, per parameter.",
        "held_out.png": "The weeks held out: observed against the bands of a fit on the rest.",
    }
    shown = ((c, (folder / n).read_bytes()) for n, c in captions.items() if (folder / n).exists())
    return text, shown


SECTIONS: dict[str, Callable[[Path, dict[str, Any]], tuple[str, Iterator[Shown]]]] = {
    "run": _run,
    "compare": _compare,
    "optimize": _optimize,
    "sweep": _sweep,
    "pilot": _pilot,
    "calibrate": _calibrate,
}


def build_report(folder: Path) -> str:
    """The HTML text of the report of a results folder.

    Raises:
        BadInput: the folder is not a finished results folder of a known kind.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a folder; expected a results folder with manifest.json")
    manifest = _read_json(folder / "manifest.json")
    kind = manifest.get("kind")
    if kind not in SECTIONS:
        raise BadInput(
            f"{folder / 'manifest.json'}: kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    text, shown = SECTIONS[kind](folder, manifest)
    figures = "".join(
        f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,"
        f"{base64.b64encode(data).decode('ascii')}'><figcaption>{html.escape(caption)}"
        "</figcaption></figure>"
        for caption, data in shown
    )
    names = ", ".join(s["name"] for s in manifest["scenarios"])
    resolved = "\n---\n".join(yaml.safe_dump(s, sort_keys=False) for s in manifest["scenarios"])
    command = " ".join(manifest.get("command") or []) or "(Python API)"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>partnerlab {kind}: {html.escape(names)}</title><style>{STYLE}</style></head>"
        f"<body><h1>partnerlab {kind}: {html.escape(names)}</h1>"
        f"<p class='note'>Created {html.escape(str(manifest.get('created')))} by "
        f"<code>{html.escape(command)}</code>; seed {manifest.get('seed')}; code "
        f"{html.escape(str(manifest.get('git_commit')))}. Money is in dollars over the horizon; "
        "net lift = incremental gross profit - incremental program cost, design minus "
        "baseline on the same simulated worlds; intervals are 95% CIs over replications.</p>"
        f"<h2>Headline</h2>{text}<h2>Figures</h2>{figures}"
        f"<h2>Scenario as it ran</h2><details><summary>resolved scenario YAML</summary>"
        f"<pre>{html.escape(resolved)}</pre></details></body></html>\n"
    )


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``<folder>/report.html``)."""
    target = Path(out) if out is not None else Path(folder) / "report.html"
    text = build_report(folder)
    atomic_write(target, lambda temp: temp.write_text(text, encoding="utf-8"))
    return target
