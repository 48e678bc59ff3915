"""A self-contained HTML report of a results folder, for readers who would rather look than read.

One file, no network: figures are embedded as base64 PNG, styles are inline.
The report shows the headline numbers with their 95% CIs, the figures that fit
the kind of result (``manifest.json`` ``kind``: run, compare, optimize, sweep,
pilot; :mod:`sim.report.sections` and :mod:`sim.report.plans`) and the
resolved scenario exactly as it ran. Optimization folders already hold their
figures as PNG (drawn by :mod:`optimize.search.figures`); the report embeds
those files, so ``sim`` does not import ``optimize``.

The folder is checked first (:func:`sim.runs.store.verify_folder`): every file
must match its SHA-256 in the manifest. Every value put in the HTML is escaped
(:func:`sim.report.page.escaped`), so names, descriptions and parameter values
that hold markup show as text.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import BadInput
from sim.report.fits import calibrate_section
from sim.report.page import Section, escaped
from sim.report.plans import optimize_section, pilot_section
from sim.report.sections import compare_section, run_section, sweep_section
from sim.runs.outputs import check_file_out
from sim.runs.store import MANIFEST, atomic_write, verify_folder

KINDS = ("run", "compare", "optimize", "sweep", "pilot", "calibrate")

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.9em; }
img { max-width: 100%; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.headline { font-size: 1.3em; } .note { color: #555; }
"""

SECTIONS: dict[str, Callable[[Path, dict[str, Any]], Section]] = {
    "run": run_section,
    "compare": compare_section,
    "optimize": optimize_section,
    "sweep": sweep_section,
    "pilot": pilot_section,
    "calibrate": calibrate_section,
}


def build_report(folder: Path) -> str:
    """The HTML text of the report of a results folder.

    Raises:
        BadInput: the folder is not a finished results folder of a known kind.
    """
    folder = Path(folder)
    manifest = verify_folder(folder)
    kind = _check_manifest(manifest, folder)
    section = SECTIONS[kind](folder, manifest)
    figures = "".join(
        f"<figure><img alt='{escaped(caption)}' src='data:image/png;base64,"
        f"{base64.b64encode(data).decode('ascii')}'><figcaption>{escaped(caption)}"
        "</figcaption></figure>"
        for caption, data in section.figures
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
        f"{escaped(manifest.get('git_commit'))}. {escaped(section.note)}</p>"
        f"<h2>Headline</h2>{section.headline}<h2>Figures</h2>{figures}"
        f"<h2>Scenario as it ran</h2><details><summary>resolved scenario YAML</summary>"
        f"<pre>{escaped(resolved)}</pre></details></body></html>\n"
    )


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
