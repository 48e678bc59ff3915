"""The files of a results folder: atomic writes, the manifest with every file's hash, checks.

Every file is written to a temporary name in the same folder and renamed into
place (:func:`atomic_write`), so a reader never sees a half-written file. The
manifest records what ran (command, resolved scenarios, seed, versions, git
commit) and the SHA-256 of every other file (:func:`file_hashes`);
:func:`verify_folder` refuses a folder whose files do not match it. Whole
folders are written by :class:`sim.runs.outputs.ResultsFolder`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import stat
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from sim.errors import BadInput
from sim.scenario.schema import Scenario

MANIFEST = "manifest.json"
#: Files of a results folder its manifest does not list: itself, and the report drawn from it.
UNLISTED = frozenset({MANIFEST, "report.html"})
#: The folder of a results folder that ``partnerlab export`` writes its CSV files to.
EXPORTS = "csv"
#: Largest manifest ``report`` reads, in bytes.
MAX_MANIFEST_BYTES = 64 << 20
PACKAGES = ("partnerlab", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "joblib")


def umask() -> int:
    """The process's file mode creation mask (read without changing it)."""
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
        os.chmod(temp, 0o666 & ~umask())
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


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def derived(name: str) -> bool:
    """Whether a folder's file (relative path) is drawn from its results: manifest, report, CSV."""
    return name in UNLISTED or PurePosixPath(name).parts[:1] == (EXPORTS,)


def file_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file in ``folder`` but :data:`UNLISTED`, sorted."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and not derived(name):
            found[name] = sha256(path)
    return found


def read_manifest(folder: Path) -> dict[str, Any]:
    """A results folder's manifest, a JSON object.

    Raises:
        BadInput: the folder or its manifest is missing, not a regular file
            (a pipe is refused unread), too large, not JSON, or not an object.
    """
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a folder; expected a results folder with {MANIFEST}")
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(f"{path}: not a regular file; expected a results manifest")
        if info.st_size > MAX_MANIFEST_BYTES:
            raise BadInput(f"{path}: larger than {MAX_MANIFEST_BYTES:,} bytes; expected a manifest")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{path}: missing; expected a finished results folder") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
        raise BadInput(f"{path}: not valid JSON ({reason}); expected a results manifest") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{path}: a JSON {type(data).__name__}; expected a results manifest (a JSON object)"
        )
    return data


def verify_folder(folder: Path) -> dict[str, Any]:
    """The manifest of a finished results folder whose files match it exactly.

    Every file the manifest lists must be there with its SHA-256, and nothing
    else may be (but folders and the report): no other file, link, pipe or
    device. So a folder mixing two runs, a truncated file or a half-finished
    sweep is refused, and nothing outside the folder is read. The folder is
    walked only as far as its first unexpected entry.

    Raises:
        BadInput: naming the first entry that does not match, or the unfinished folder.
    """
    manifest = read_manifest(folder)
    path = folder / MANIFEST
    status = manifest.get("status", "complete")
    if status != "complete":
        raise BadInput(
            f"{path}: status {status!r}; expected a finished folder (run the same command "
            "again to finish it)"
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in listed.items()
    ):
        raise BadInput(
            f"{path}: lists no file hashes; expected a folder written by this version of "
            "partnerlab (run the command again)"
        )
    try:
        for entry in folder.rglob("*"):
            name = entry.relative_to(folder).as_posix()
            if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
                raise BadInput(f"{folder}: {name}: not a regular file or folder")
            if entry.is_file() and name not in listed and not derived(name):
                raise BadInput(f"{folder}: {name}: not in {MANIFEST}; expected only its files")
        for name, digest in listed.items():
            parts = PurePosixPath(name).parts
            if not parts or parts[0] == "/" or ".." in parts:
                raise BadInput(f"{path}: {name!r}: expected a file inside the folder")
            if not (folder / name).is_file() or derived(name):
                raise BadInput(f"{folder}: {name}: missing; {MANIFEST} lists it")
            if sha256(folder / name) != digest:
                raise BadInput(
                    f"{folder}: {name}: does not match its SHA-256 in {MANIFEST}; the folder "
                    "changed after it was written"
                )
    except OSError as error:
        raise BadInput(f"{folder}: cannot be read ({error.strerror or error})") from None
    return manifest
