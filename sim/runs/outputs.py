"""Where results go: names made safe, ``--out`` checked before any work, folders written whole.

A command checks its output place before it starts (:func:`check_out`,
:func:`check_file_out`): a new folder, an empty one, or with ``--overwrite``
a results folder (it holds a manifest); never a file, a device or a link in
the way, never a place it cannot write. It then writes its results to a
hidden sibling of the folder (``.<name>.partial-<pid>-...``) and renames it
into place when every file and the manifest are there
(:class:`ResultsFolder`), so a killed run leaves the folder as it was.
Folder names made from scenario names (:func:`default_out_dir`) always stay
directly under ``results/``.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sim.errors import BadInput
from sim.runs.store import MANIFEST, file_hashes, umask, write_json

#: Longest results folder name made from a scenario name.
MAX_LABEL = 80


def folder_label(name: str) -> str:
    """``name`` made safe as one folder name: letters, digits, ``.``, ``_`` and ``-`` only.

    Path separators, ``..``, control characters and spaces become ``-``; the
    result never starts with ``.`` or ``-``, is at most :data:`MAX_LABEL`
    characters, and is ``scenario`` when nothing is left.
    """
    label = re.sub(r"[^\w.-]+", "-", name).strip(".-")[:MAX_LABEL].strip(".-")
    return label or "scenario"


def default_out_dir(label: str, root: Path = Path("results")) -> Path:
    """``results/<label>-<timestamp>``, with ``label`` made safe, unique if it already exists.

    The folder is always directly under ``root``, whatever the label holds.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{folder_label(label)}-{stamp}"
    candidate = root / base
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = root / f"{base}-{suffix}"
    return candidate


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_out(out: Path, overwrite: bool = False) -> None:
    """Check a results folder can be written before any work: refuse, in one line, if not.

    The folder may be new, empty, or (with ``overwrite``) a results folder
    (it holds a manifest). Its parent folders are created, and a probe
    folder is made and removed there, so an unwritable place fails now, not
    after the simulation.

    Raises:
        BadInput: a file, a device or a link is in the way; an existing folder
            without ``overwrite``, or one that is not a results folder; or the
            place cannot be written.
    """
    where, target = _target(out, "--out")
    try:
        if target.exists():
            if not target.is_dir():
                raise BadInput(f"{where}: exists and is not a folder; expected a folder to create")
            if any(target.iterdir()):
                if not overwrite:
                    raise BadInput(
                        f"{where}: already exists; pass --overwrite to replace it, "
                        "or name a new folder"
                    )
                if not (target / MANIFEST).is_file():
                    raise BadInput(
                        f"{where}: is not a partnerlab results folder (it has no {MANIFEST}); "
                        "refusing to replace it"
                    )
    except OSError as error:
        raise BadInput(f"{where}: cannot be written ({error.strerror or error})") from None
    writable(target, where)


def check_file_out(out: Path, overwrite: bool = False, label: str = "--out") -> None:
    """Check a single output file (a report) can be written before any work.

    Raises:
        BadInput: a folder or a non-regular file is in the way, the file exists
            (without ``overwrite``), or the place cannot be written.
    """
    where, target = _target(out, label)
    try:
        if target.is_dir():
            raise BadInput(f"{where}: is a folder; expected the path of a file to write")
        if target.exists():
            if not target.is_file():
                raise BadInput(f"{where}: is not a regular file; expected a file to write")
            if not overwrite:
                raise BadInput(f"{where}: already exists; pass --overwrite to replace it")
    except OSError as error:
        raise BadInput(f"{where}: cannot be written ({error.strerror or error})") from None
    writable(target, where)


def _target(out: Path, label: str) -> tuple[str, Path]:
    """How errors name ``out``, and its absolute path; refuses NUL bytes, the root and links."""
    where = f"{label} {out}"
    if "\0" in str(out):
        raise BadInput(f"{label} {str(out)!r}: expected a path without NUL bytes")
    target = Path(os.path.abspath(out))
    if not target.name:
        raise BadInput(f"{where}: expected a name to create, not the root")
    if target.is_symlink():
        raise BadInput(f"{where}: is a symbolic link; name the place itself")
    return where, target


def writable(target: Path, where: str) -> None:
    """Create ``target``'s parent folders and prove they can be written (a probe folder).

    Raises:
        BadInput: they cannot be created or written.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=f".{target.name}.probe-", dir=target.parent))
    except OSError as error:
        raise BadInput(f"{where}: cannot be written ({error.strerror or error})") from None


class ResultsFolder:
    """A results folder written whole: files go to a hidden sibling, renamed into place on commit.

    Use it as a context manager: write files under :attr:`path`, then call
    :meth:`commit` with the manifest; leaving the block without committing
    (an error, an interrupt) removes what was written. Hidden siblings left by
    killed processes are removed when the next one opens the same folder.

    Args:
        out: the folder to write.
        overwrite: replace an existing results folder.

    Raises:
        BadInput: see :func:`check_out`.
    """

    def __init__(self, out: Path, overwrite: bool = False) -> None:
        check_out(out, overwrite)
        self.out, self.overwrite = Path(out), overwrite
        self.final = Path(os.path.abspath(out))
        self._remove_stale()
        self.path = Path(self._sibling("partial"))
        os.chmod(self.path, 0o777 & ~umask())
        self.committed = False

    def _sibling(self, kind: str) -> str:
        prefix = f".{self.final.name}.{kind}-{os.getpid()}-"
        return tempfile.mkdtemp(prefix=prefix, dir=self.final.parent)

    def _remove_stale(self) -> None:
        """Remove hidden siblings of this folder whose process is gone."""
        for kind in ("partial", "old"):
            pattern = f".{glob.escape(self.final.name)}.{kind}-*"
            for stale in self.final.parent.glob(pattern):
                pid = stale.name.rsplit(f".{kind}-", 1)[1].split("-")[0]
                if pid.isdigit() and not _alive(int(pid)):
                    shutil.rmtree(stale, ignore_errors=True)

    def __enter__(self) -> ResultsFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self, record: dict[str, Any]) -> Path:
        """Write the manifest (``record`` plus every file's SHA-256) and move the folder in place.

        Returns:
            The folder, as it was given.

        Raises:
            BadInput: something else appeared at the place meanwhile (a folder
                without ``overwrite``, a file), or the rename failed.
        """
        write_json(self.path / MANIFEST, record | {"files": file_hashes(self.path)})
        where = f"--out {self.out}"
        old = None
        try:
            folder = self.final.is_dir() and not self.final.is_symlink()
            if (folder and any(self.final.iterdir())) or (not folder and self.final.exists()):
                if not (self.overwrite and folder):
                    raise BadInput(f"{where}: appeared while the results were computed")
                old = Path(self._sibling("old"))
                os.rename(self.final, old)  # an empty folder is replaced by the rename below
            try:
                os.rename(self.path, self.final)
            except BaseException:
                if old is not None:
                    os.rename(old, self.final)
                raise
        except OSError as error:
            raise BadInput(f"{where}: cannot be moved into place ({error.strerror})") from None
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out
