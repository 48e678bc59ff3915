"""The results folder: atomic writes of tables, summaries and a manifest.

Every file is written to a temporary name in the same folder and renamed into
place, so a reader (or a killed run) never sees a half-written file. The
manifest is written last: a folder with a manifest is complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario.schema import Scenario

PACKAGES = ("partnerlab", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "joblib")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(temp)`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temp))
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a table as parquet, atomically."""
    atomic_write(path, lambda temp: frame.to_parquet(temp, index=False))


def default_out_dir(label: str, root: Path = Path("results")) -> Path:
    """``results/<label>-<timestamp>``, made unique if it already exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{label}-{stamp}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = root / f"{label}-{stamp}-{suffix}"
    return candidate


def git_commit() -> str | None:
    """The commit of the partnerlab checkout, if it is one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions() -> dict[str, str | None]:
    """Versions of Python and the packages that shape the results."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def manifest(
    kind: str, scenarios: list[Scenario], seed: int, replications: int, argv: list[str] | None
) -> dict[str, Any]:
    """Provenance of a results folder: what ran, on what, with which code."""
    return {
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": argv,
        "seed": seed,
        "replications": replications,
        "scenarios": [s.model_dump(mode="json") for s in scenarios],
        "versions": versions(),
        "git_commit": git_commit(),
    }


def write_tables(out_dir: Path, **frames: pd.DataFrame) -> None:
    """Write each table as ``<name>.parquet``."""
    for name, frame in frames.items():
        write_parquet(out_dir / f"{name}.parquet", frame)
