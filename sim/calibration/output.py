"""The calibration folder: the calibrated scenario, the posterior draws, the fit, the figures.

* ``calibrated.yaml``: a scenario that ``extends:`` the input with the
  history's population (every partner it holds, as the world stands at the
  history's end), the posterior means, and as baseline the program in force
  at the end of the history;
* ``posterior.parquet``: the posterior draws, one column per parameter;
* ``fit.json``: each parameter's mean, 90% interval, prior and whether the
  data identify it, in numbers and in words; the held-out check; the fit's
  statistics against their bands;
* ``statistics.png``, ``posterior.png``, ``held_out.png``: the figures
  (:mod:`sim.calibration.figures`); ``partnerlab report`` renders the folder;
* ``study.db``: the search's evaluations (what a re-run resumes from);
* ``manifest.json``: ``"status": "running"`` from the start, then
  provenance, ``"status": "complete"`` and every file's SHA-256, last.

Every file is written atomically; nothing is written outside the folder. A
folder that holds a finished calibration, or anything but a calibration, is
refused before any work unless ``--overwrite`` replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibration.calibrate import Calibration
from sim.calibration.population import population_of
from sim.calibration.sampler import IDENTIFIED_RATIO, Marginal, marginal
from sim.errors import BadInput
from sim.runs.outputs import check_out, writable
from sim.runs.store import MANIFEST, atomic_write, file_hashes, manifest, write_json, write_parquet

KIND = "calibrate"
#: Above this share of the prior's width a parameter is "not identified", below it "weakly".
WEAK_RATIO = 0.8


def marginals(result: Calibration) -> dict[str, Marginal]:
    """Each parameter's posterior summary, by path."""
    posterior = result.posterior
    values, unit = posterior.values, posterior.unit
    return {
        path: marginal(values[:, i], unit[:, i]) for i, path in enumerate(posterior.space.paths)
    }


def identification(result: Calibration) -> list[str]:
    """One plain sentence per parameter: what the data say about it.

    First, one per archetype whose history the fit does not reproduce: its
    parameters' intervals are then no finding, whatever their width.
    """
    out = []
    for block, fit in result.posterior.misfits.items():
        if not fit.reproduced:
            out.append(
                f"{block}: the fit does NOT reproduce this archetype's history (distance "
                f"{fit.distance:.0f}, where a model that fits stays below {fit.limit:.0f}), so its "
                "intervals below are not findings; statistics.png shows what it misses."
            )
    for path, m in marginals(result).items():
        interval = f"90% interval [{m.ci_low:.4g}, {m.ci_high:.4g}]"
        if m.identified:
            narrower = 1.0 / max(m.width_ratio, 1e-9)
            out.append(
                f"{path}: identified; {interval} is {narrower:.1f}x narrower than the prior."
            )
        elif m.width_ratio < WEAK_RATIO:
            out.append(
                f"{path}: only weakly identified; its {interval} is {m.width_ratio:.0%} as wide "
                "as the prior: the data narrow it a little, not enough to rely on."
            )
        else:
            out.append(
                f"{path}: NOT identified by this history: its posterior is about as wide as its "
                f"prior ({m.width_ratio:.0%} of it), so its value comes from the prior, not the "
                "data. A history with more variation in what the program pays would tell more."
            )
    return out


def to_json(result: Calibration, out: Path) -> dict[str, Any]:
    """The public JSON of ``partnerlab calibrate --json``."""
    priors = dict(zip(result.posterior.space.paths, result.posterior.space.priors, strict=True))
    held = result.held_out.coverage_90 if result.held_out is not None else None
    return {
        "parameters": {
            path: {
                "mean": m.mean,
                "ci_low": m.ci_low,
                "ci_high": m.ci_high,
                "prior_low": priors[path].low,
                "prior_high": priors[path].high,
                "identified": m.identified,
                "reproduced": result.posterior.reproduces(path),
            }
            for path, m in marginals(result).items()
        },
        "held_out": {"coverage_90": held},
        "out": str(out),
    }


def fit_json(result: Calibration, out: Path) -> dict[str, Any]:
    """Everything ``fit.json`` holds: the JSON contract plus the detail behind it."""
    data = to_json(result, out)
    for path, m in marginals(result).items():
        data["parameters"][path]["width_ratio"] = m.width_ratio
    history = result.history
    held = result.held_out
    data["held_out"] |= {
        "weeks": list(held.weeks) if held is not None else None,
        "statistics": _rows(held.bands) if held is not None else [],
    }
    data |= {
        "identification": identification(result),
        "identified_below": IDENTIFIED_RATIO,
        "history": {
            "file": history.source,
            "frequency": history.frequency,
            "periods": history.periods,
            "weeks": history.weeks,
            "partners": {
                a: int(n)
                for a, n in zip(*np.unique(history.archetype, return_counts=True), strict=True)
            },
        },
        "fit": {"coverage_90": result.fit.coverage_90, "statistics": _rows(result.fit.bands)},
        "best_point": result.best,
        "design": {
            "points": result.points,
            "rounds": result.settings.rounds,
            "seeds": result.settings.seeds,
        },
        "effective_sample_size": {b: s.ess for b, s in result.posterior.samples.items()},
        "misfit": {
            b: {"distance": m.distance, "limit": m.limit, "reproduced": m.reproduced}
            for b, m in result.posterior.misfits.items()
        },
        "statistics_used": {b: f.stats for b, f in result.posterior.fits.items()},
    }
    return data


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def calibrated_scenario(
    result: Calibration, out: Path, scenario_path: Path | None
) -> dict[str, Any]:
    """The mapping of ``calibrated.yaml``: the input extended with what the data say."""
    history, scenario = result.history, result.scenario
    fields = population_of(history, scenario)
    population = fields["population"]
    population["partners"] = {
        a: int(n) for a, n in zip(*np.unique(history.archetype, return_counts=True), strict=True)
    }
    ramp = np.array([scenario.archetype_params(a).ramp_weeks for a in history.archetype])
    population["new_share"] = float(np.mean(history.joined > history.weeks - ramp))
    behaviour: dict[str, dict[str, float]] = {
        a: {k: float(v) for k, v in values.items()} for a, values in fields["behaviour"].items()
    }
    for path, m in marginals(result).items():
        _, archetype, name = path.split(".")
        behaviour.setdefault(archetype, {})[name] = float(f"{m.mean:.6g}")
    raw: dict[str, Any] = {}
    if scenario_path is not None:
        raw["extends"] = os.path.relpath(scenario_path.resolve(), out.resolve())
    else:
        raw = scenario.model_dump(mode="json", exclude={"calibrate"})
    raw |= {
        "name": f"{scenario.name}-calibrated",
        "description": f"{scenario.name} calibrated on {history.source}",
        "population": population,
        "behaviour": behaviour,
    }
    if scenario.baseline.changes:
        raw["baseline"] = scenario.baseline.final().model_dump(mode="json")
    raw["calibrate"] = None
    return raw


def _resuming(out: Path, overwrite: bool) -> bool:
    """Whether ``out`` holds an unfinished calibration to resume (never with ``overwrite``)."""
    path = Path(out) / MANIFEST
    try:
        held = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return False
    return (
        not overwrite
        and isinstance(held, dict)
        and held.get("kind") == KIND
        and held.get("status") == "running"
    )


def check_folder(out: Path, overwrite: bool = False) -> None:
    """Check, before any work, that the calibration can be written to ``out``; writes nothing there.

    Raises:
        BadInput: the folder holds a finished calibration or other files
            (without ``overwrite``), or it cannot be written.
    """
    if _resuming(out, overwrite):
        writable(Path(out) / MANIFEST, f"--out {out}")  # the study there holds what was done
    else:
        check_out(Path(out), overwrite)  # new, empty, or a results folder to replace


def open_folder(out: Path, overwrite: bool = False) -> None:
    """Start a calibration folder (``"status": "running"``), or resume the unfinished one there.

    Raises:
        BadInput: see :func:`check_folder`.
    """
    check_folder(out, overwrite)
    if _resuming(out, overwrite):
        return
    path = Path(out) / MANIFEST
    if path.is_file():
        shutil.rmtree(out)
    Path(out).mkdir(parents=True, exist_ok=True)
    write_json(path, {"kind": KIND, "status": "running"})


def write_calibration(
    result: Calibration, out: Path, scenario_path: Path | None, argv: list[str] | None
) -> None:
    """Write the folder, the manifest last (with every file's hash); figures need matplotlib."""
    from sim.calibration.figures import write_figures

    space = result.posterior.space
    write_parquet(
        out / "posterior.parquet", pd.DataFrame(result.posterior.values, columns=list(space.paths))
    )
    text = yaml.safe_dump(calibrated_scenario(result, out, scenario_path), sort_keys=False)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    header = f"# Written by partnerlab calibrate at {stamp} from {result.history.source}.\n"
    atomic_write(
        out / "calibrated.yaml", lambda temp: temp.write_text(header + text, encoding="utf-8")
    )
    write_json(out / "fit.json", fit_json(result, out))
    write_figures(result, out)
    record = manifest(KIND, [result.scenario], result.settings.seed, result.settings.seeds, argv)
    write_json(out / MANIFEST, record | {"status": "complete", "files": file_hashes(out)})


def read_posterior(folder: Path, count: int) -> list[dict[str, float]]:
    """``count`` draws of a calibration's posterior (evenly spaced), as ``path -> value``.

    Raises:
        BadInput: the folder holds no ``posterior.parquet`` of a finished calibration.
    """
    path = Path(folder) / "posterior.parquet"
    if not (Path(folder) / "manifest.json").exists() or not path.exists():
        raise BadInput(f"{folder}: expected a finished calibration folder with posterior.parquet")
    frame = pd.read_parquet(path)
    if frame.empty or not all(c.startswith("behaviour.") for c in frame.columns):
        raise BadInput(f"{path}: expected posterior draws, one behaviour.* column per parameter")
    rows = np.linspace(0, len(frame) - 1, min(count, len(frame))).round().astype(int)
    return [{c: float(v) for c, v in frame.iloc[r].items()} for r in rows]
