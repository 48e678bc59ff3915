"""The results folder of a sweep: parquet chunks, a manifest, and resume.

Layout of the folder::

    manifest.json               what runs: command, config and its hash, status
    design.parquet              every planned point: ``point`` + one column per parameter
    rows/chunk-<point>.parquet  one row per (point, replication): paired differences
    points/chunk-<point>.parquet one row per point: mean and 95% CI of each metric
    points.parquet              every point summary, by point (when the sweep completes)

Results arrive in chunks of points; each chunk is written atomically, its rows
file before its points file, and a point counts as done only when its points
file exists. A killed sweep therefore keeps every finished chunk, and running
the same sweep into the same folder computes only the points that are missing.
The manifest is written when a sweep starts (``"status": "running"``) and again
when it completes (``"status": "complete"``, with every file's SHA-256, so
``partnerlab report`` can check the folder; :meth:`SweepStore.seal` lists
files added later, such as ``summary.json``); its ``config_hash`` identifies
what determines the results (scenario, points, replications, seed), never how
they were computed (jobs, backend), so a sweep may resume on another backend.
A folder that holds anything else is refused, unless ``overwrite`` replaces a
results folder; ``overwrite`` also starts the same sweep over.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.runs.outputs import check_out, writable
from sim.runs.store import MANIFEST, file_hashes, write_json, write_parquet
from sim.scenario.loading import ScenarioError


def config_hash(config: Mapping[str, Any], table: pd.DataFrame) -> str:
    """SHA-256 of a sweep's config and its table of points (stable across runs)."""
    body = json.dumps(
        {"config": config, "points": table.to_dict(orient="split", index=False)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class SweepStore:
    """A sweep's results folder: open (or resume) it, write chunks, then finish it.

    Args:
        out: the folder; created if missing. It must be empty or hold the same
            sweep (same config hash).
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.rows_dir = self.out / "rows"
        self.points_dir = self.out / "points"

    def _chunks(self, folder: Path) -> dict[str, Path]:
        return {p.name: p for p in folder.glob("chunk-*.parquet")} if folder.is_dir() else {}

    def _check_folder(self, digest: str, overwrite: bool) -> None:
        """Resume the same sweep; refuse another one or other files (unless ``overwrite``)."""
        path = self.out / MANIFEST
        if overwrite or not path.is_file():
            check_out(self.out, overwrite)  # new, empty, or a results folder to replace
            if path.is_file():
                shutil.rmtree(self.out)
            return
        try:
            held = json.loads(path.read_text(encoding="utf-8")).get("config_hash")
        except (OSError, ValueError, AttributeError):
            held = None
        if held != digest:
            raise ScenarioError(
                f"--out {self.out}",
                MANIFEST,
                f"holds another sweep or results (config hash {str(held)[:12]}, this "
                f"sweep {digest[:12]}); use a new folder, the same command, or --overwrite",
            )
        writable(self.out / MANIFEST, f"--out {self.out}")

    def _clean(self) -> None:
        """Remove what a killed run left half-done: temporary files, rows without points."""
        for folder in (self.out, self.rows_dir, self.points_dir):
            if folder.is_dir():
                for temp in folder.glob(".*"):
                    if temp.is_file():
                        temp.unlink(missing_ok=True)
        points = self._chunks(self.points_dir)
        for name, path in self._chunks(self.rows_dir).items():
            if name not in points:
                path.unlink()
        rows = self._chunks(self.rows_dir)
        for name, path in points.items():
            if name not in rows:
                path.unlink()

    def open(
        self, manifest: dict[str, Any], design: pd.DataFrame, overwrite: bool = False
    ) -> set[int]:
        """Start the sweep or resume it; returns the points already done.

        Args:
            manifest: provenance with a ``config_hash`` key; written with
                ``"status": "running"``.
            design: the planned points (``point`` + parameter columns).
            overwrite: replace the results folder there, even the same sweep.

        Raises:
            ScenarioError: the folder holds another sweep, or other files.
            BadInput: the folder cannot be written.
        """
        self._check_folder(manifest["config_hash"], overwrite)
        self._clean()
        self.rows_dir.mkdir(parents=True, exist_ok=True)
        self.points_dir.mkdir(parents=True, exist_ok=True)
        if not (self.out / "design.parquet").exists():
            write_parquet(self.out / "design.parquet", design)
        write_json(self.out / MANIFEST, manifest | {"status": "running"})
        return self.done()

    def done(self) -> set[int]:
        """Points whose chunk is complete on disk."""
        done: set[int] = set()
        for path in self._chunks(self.points_dir).values():
            done.update(int(p) for p in pq.read_table(path, columns=["point"])["point"].to_pylist())
        return done

    def write_chunk(self, rows: pd.DataFrame, points: pd.DataFrame) -> None:
        """Write one chunk: its rows, then its point summaries (each atomically)."""
        name = f"chunk-{int(points['point'].min()):08d}.parquet"
        write_parquet(self.rows_dir / name, rows)
        write_parquet(self.points_dir / name, points)

    def points(self) -> pd.DataFrame:
        """Every finished point summary, by point."""
        frames = [pd.read_parquet(p) for p in sorted(self._chunks(self.points_dir).values())]
        return pd.concat(frames, ignore_index=True).sort_values("point", ignore_index=True)

    def rows(self) -> pd.DataFrame:
        """Every finished (point, replication) row, by point and replication."""
        table = pd.read_parquet(self.rows_dir)
        return table.sort_values(["point", "replication"], ignore_index=True)

    def finish(self, manifest: dict[str, Any]) -> pd.DataFrame:
        """Write ``points.parquet``, then the manifest: ``"status": "complete"`` and file hashes."""
        points = self.points()
        write_parquet(self.out / "points.parquet", points)
        write_json(self.out / MANIFEST, manifest | {"status": "complete"})
        self.seal()
        return points

    def seal(self) -> None:
        """List every file of the folder with its SHA-256 in the manifest (after adding files)."""
        record = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
        write_json(self.out / MANIFEST, record | {"files": file_hashes(self.out)})
