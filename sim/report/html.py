"""A self-contained HTML report of a results folder, for readers who would rather look than read.

One file, no network: figures are embedded as base64 PNG, styles are inline.
The report shows the headline numbers with their 95% CIs, the figures that fit
the kind of result (``manifest.json`` ``kind``: run, compare, optimize, sweep,
pilot; :mod:`sim.report.sections` and :mod:`sim.report.plans`) and the
resolved scenario exactly as it ran. Optimization folders already hold their
figures as PNG (drawn by :mod:`optimize.search.figures`); the report embeds
those files, so ``sim`` does not import ``optimize``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import BadInput
from sim.report.page import Section, read_json
from sim.report.plans import optimize_section, pilot_section
from sim.report.sections import compare_section, run_section, sweep_section
from sim.runs.store import atomic_write

KINDS = ("run", "compare", "optimize", "sweep", "pilot")

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
}


def build_report(folder: Path) -> str:
    """The HTML text of the report of a results folder.

    Raises:
        BadInput: the folder is not a finished results folder of a known kind.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a folder; expected a results folder with manifest.json")
    manifest = read_json(folder / "manifest.json")
    kind = manifest.get("kind")
    if kind not in SECTIONS:
        raise BadInput(
            f"{folder / 'manifest.json'}: kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    section = SECTIONS[kind](folder, manifest)
    figures = "".join(
        f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,"
        f"{base64.b64encode(data).decode('ascii')}'><figcaption>{html.escape(caption)}"
        "</figcaption></figure>"
        for caption, data in section.figures
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
        f"{html.escape(str(manifest.get('git_commit')))}. {html.escape(section.note)}</p>"
        f"<h2>Headline</h2>{section.headline}<h2>Figures</h2>{figures}"
        f"<h2>Scenario as it ran</h2><details><summary>resolved scenario YAML</summary>"
        f"<pre>{html.escape(resolved)}</pre></details></body></html>\n"
    )


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``<folder>/report.html``)."""
    target = Path(out) if out is not None else Path(folder) / "report.html"
    text = build_report(folder)
    atomic_write(target, lambda temp: temp.write_text(text, encoding="utf-8"))
    return target
