"""Where studies live: Optuna storages, and recovery of trials whose worker died.

* default: an SQLite file, ``results/optuna.db`` (one process), or a journal
  file, ``results/optuna.journal``, with several worker processes;
* ``--storage`` takes any SQLAlchemy URL (``sqlite:///...``,
  ``postgresql://user@host/db`` for several machines), a file path (``*.db``
  or ``*.sqlite`` is SQLite, anything else a journal file), or ``memory``.

Every finished trial is committed when it ends, so a killed run loses only the
trials that were running. Those stay ``RUNNING`` in the storage until they are
recovered: RDB storages record a heartbeat, and Optuna fails trials whose
heartbeat stopped and re-queues them (``RetryHeartbeatStaleTrialCallback``);
on every storage, a new run fails and re-queues the running trials of dead
worker processes on its own host at once (each trial records ``host:pid``).
"""

from __future__ import annotations

import datetime
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
import sqlalchemy.exc
from optuna.exceptions import ExperimentalWarning
from optuna.storages import (
    BaseStorage,
    InMemoryStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
)
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from optimize.search.objective import WORKER_ATTR
from optimize.search.settings import BadSetting
from sim.runs.lifeline import dead

DEFAULT_SQLITE = Path("results") / "optuna.db"
DEFAULT_JOURNAL = Path("results") / "optuna.journal"
HEARTBEAT_SECONDS = 15
GRACE_SECONDS = 60
MAX_RETRY = 2
#: Attempts to open a database whose tables another process may be creating.
OPEN_ATTEMPTS = 5
_SQLITE_SUFFIXES = {".db", ".sqlite", ".sqlite3"}


@dataclass(frozen=True)
class StorageSpec:
    """A resolved storage: ``kind`` (``rdb``, ``journal``, ``memory``) and its URL or file."""

    kind: str
    location: str

    @property
    def multiprocess(self) -> bool:
        """Whether several processes can share it (not SQLite, not memory)."""
        return self.kind == "journal" or (
            self.kind == "rdb" and not self.location.startswith("sqlite")
        )

    def __str__(self) -> str:
        return self.location


def resolve_storage(text: str | None, jobs: int) -> StorageSpec:
    """The storage named by ``text`` (default by ``jobs``), checked for ``jobs`` processes.

    Raises:
        BadSetting: SQLite or memory with several processes.
    """
    if text is None:
        spec = (
            StorageSpec("rdb", f"sqlite:///{DEFAULT_SQLITE}")
            if jobs == 1
            else StorageSpec("journal", str(DEFAULT_JOURNAL))
        )
    elif text == "memory":
        spec = StorageSpec("memory", "memory")
    elif "://" in text:
        spec = StorageSpec("rdb", text)
    elif Path(text).suffix in _SQLITE_SUFFIXES:
        spec = StorageSpec("rdb", f"sqlite:///{text}")
    else:
        spec = StorageSpec("journal", text)
    if jobs > 1 and not spec.multiprocess:
        raise BadSetting(
            f"storage {spec}: expected a journal file or a server database (PostgreSQL, MySQL) "
            f"for {jobs} worker processes; SQLite and memory serve one process"
        )
    return spec


def open_storage(spec: StorageSpec) -> BaseStorage:
    """Open the storage (creating its folder); RDB storages get a heartbeat.

    Raises:
        BadSetting: the URL is malformed, its driver is missing, or it cannot be reached.
    """
    if spec.kind == "memory":
        return InMemoryStorage()
    if spec.kind == "journal":
        Path(spec.location).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(spec.location))
    if spec.location.startswith("sqlite:///"):
        Path(spec.location.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        return _rdb_storage(spec.location)
    except ImportError as error:
        driver = error.name or "a database driver"
        hint = (
            ' (for postgresql:// install "psycopg[binary]")'
            if "postgresql" in spec.location
            else ""
        )
        raise BadSetting(f"storage {spec}: needs {driver}{hint}") from None
    except Exception as error:  # noqa: BLE001 - SQLAlchemy's many URL and connection errors
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BadSetting(f"storage {spec}: expected a reachable database URL ({reason})") from None


def _rdb_storage(url: str) -> RDBStorage:
    """Optuna's RDB storage at ``url``, with a heartbeat.

    The first process to open a new database creates Optuna's tables. Processes
    that start at the same moment collide while doing so (a table or a schema
    version already there); each then opens the database again, up to
    :data:`OPEN_ATTEMPTS` times, and finds the tables made.
    """
    attempt = 1
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                return RDBStorage(
                    url,
                    heartbeat_interval=HEARTBEAT_SECONDS,
                    grace_period=GRACE_SECONDS,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(MAX_RETRY),
                )
        except sqlalchemy.exc.DatabaseError as error:
            collided = isinstance(error, sqlalchemy.exc.IntegrityError) or "already exists" in str(
                error
            )
            if not collided or attempt == OPEN_ATTEMPTS:
                raise
        time.sleep(0.1 * attempt)
        attempt += 1


#: Age after which a running trial that never named its worker counts as abandoned.
UNNAMED_GRACE_SECONDS = 2.0


def recover_stale_trials(study: optuna.Study) -> list[int]:
    """Fail and re-queue the running trials of dead workers on this host.

    Returns:
        The numbers of the trials failed (each is re-queued once per retry
        allowance, with its parameters, as Optuna's heartbeat retry does).
    """
    host = socket.gethostname()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        retry = RetryHeartbeatStaleTrialCallback(MAX_RETRY)
    failed = []
    now = datetime.datetime.now()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR)
        if worker is None:
            # Killed between creating the trial and naming its worker: a live worker names
            # itself within milliseconds, so a nameless trial this old has no owner.
            started = trial.datetime_start
            if started is None or (now - started).total_seconds() < UNNAMED_GRACE_SECONDS:
                continue
        else:
            worker_host, _, pid = str(worker).rpartition(":")
            if worker_host != host or not pid.isdigit() or not dead(int(pid)):
                continue
        try:
            study.tell(trial.number, state=TrialState.FAIL)
        except (ValueError, RuntimeError):  # finished meanwhile by someone else
            continue
        failed.append(trial.number)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            retry(study, study.get_trials(deepcopy=False)[trial.number])
    return failed
