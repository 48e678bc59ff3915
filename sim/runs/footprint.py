"""How much memory a job will hold, estimated before it starts (checked by ``sim.limits``).

The estimate is an upper bound built from figures measured on the shipped
scenarios (``tests/test_limits.py`` checks it against the peak memory of real
runs): every process holds Python with its libraries; a process running
paired replications holds its batch of partner rows (state, weekly draws and
flows, the pipeline ring of open deals); the main process holds the weekly
series of every replication until the results tables are built. Pilots,
experiment matrices and behavioural checks keep more per partner (each
partner's outcomes under every program), so they count a larger figure per
partner.
"""

from __future__ import annotations

from sim.limits import check_memory, workers
from sim.runs.runner import batches
from sim.scenario.schema import Scenario
from sim.world.pipeline import ring_weeks

#: Python, numpy, pandas, Mesa and pydantic loaded in one process (measured: 230 MB).
PROCESS_BYTES = 320 * 2**20
#: Per partner row of a vectorized pass, besides its pipeline ring (measured: 2.5-3.3 KB).
ROW_BYTES = 4096
#: Per partner row and week of the pipeline ring (measured: 30 bytes).
RING_WEEK_BYTES = 48
#: Per (replication, arm, week, archetype) of the weekly series held for the results (700 bytes).
SERIES_ROW_BYTES = 1024
#: Per partner of a simulated pilot or experiment in flight (measured: 17 KB).
PILOT_PARTNER_BYTES = 32 * 1024
#: Per partner, replication of a batch and year of ``partnerlab validate``, which records
#: every partner's weekly outcomes under each design (measured: 73 KB: 1,200 partners, 1.0 GB).
CHECK_PARTNER_BYTES = 128 * 1024


def check_bytes(scenario: Scenario, batch: int, years: int) -> int:
    """Peak memory of a behavioural check: a batch of replications, each partner's weeks recorded.

    The longest checks run ``years`` years with every partner's weekly
    outcomes recorded under each of their programs.
    """
    return PROCESS_BYTES + partners(scenario) * batch * years * CHECK_PARTNER_BYTES


#: Per partner, week and recorded column of a simulated history (the recorder's series and the
#: history made from them; measured: see tests/test_limits.py).
HISTORY_CELL_BYTES = 24
#: Per cell of a history file read into memory (text columns as Python strings; measured: 90).
READ_CELL_BYTES = 128


def histories_bytes(scenario: Scenario, pairs: int, columns: int, jobs: int) -> int:
    """Peak bytes of ``pairs`` simulated histories of ``scenario``, ``columns`` recorded, ``jobs``.

    The histories run in the batches of :func:`sim.runs.runner.batches`, each
    worker holding one batch's rows and their recorded weekly series.
    """
    groups = batches(range(pairs), partners(scenario), 1, jobs)
    rows = max(len(group) for group in groups) * partners(scenario)
    per_row = ROW_BYTES + RING_WEEK_BYTES * ring(scenario)
    per_row += HISTORY_CELL_BYTES * scenario.horizon_weeks * columns
    worker = PROCESS_BYTES + rows * per_row
    return worker if jobs == 1 else PROCESS_BYTES + min(jobs, len(groups)) * worker


def partners(scenario: Scenario) -> int:
    """Partners in one world of ``scenario``."""
    return sum(scenario.population.partners.values())


def ring(scenario: Scenario) -> int:
    """Weeks of the longest pipeline ring among the archetypes the population holds."""
    held = [a for a, n in scenario.population.partners.items() if n > 0]
    return max(ring_weeks(scenario.archetype_params(a).cycle_weeks_max) for a in held)


def replications_bytes(scenario: Scenario, arms: int, replications: int, jobs: int) -> int:
    """Peak bytes of paired replications of ``scenario`` with ``arms`` programs in ``jobs``.

    Replications run in the batches of :func:`sim.runs.runner.batches`; with
    one job the main process runs them, with several each worker holds one
    batch at a time.
    """
    groups = batches(range(replications), partners(scenario), arms, jobs)
    rows = max(len(group) for group in groups) * partners(scenario) * arms
    worker = PROCESS_BYTES + rows * (ROW_BYTES + RING_WEEK_BYTES * ring(scenario))
    held = sum(1 for count in scenario.population.partners.values() if count > 0)
    results = replications * arms * scenario.horizon_weeks * held * SERIES_ROW_BYTES
    if jobs == 1:
        return worker + results
    return PROCESS_BYTES + results + min(jobs, len(groups)) * worker


def worlds_bytes(scenario: Scenario, worlds: int) -> int:
    """Bytes of ``worlds`` worlds of ``scenario`` kept in memory (an optimizer's cache)."""
    return worlds * partners(scenario) * (ROW_BYTES + RING_WEEK_BYTES * ring(scenario))


def check_replications(
    scenario: Scenario, arms: int, replications: int, jobs: int, what: str = ""
) -> int:
    """Check the job count and the memory of paired replications; returns the worker count.

    Raises:
        ScenarioError: too many jobs, or more memory than the limit (see :mod:`sim.limits`).
    """
    count = workers(jobs)
    needed = replications_bytes(scenario, arms, replications, count)
    check_memory(needed, what or describe(scenario, replications, count))
    return count


def check_parallel(per_process: int, jobs: int, what: str) -> int:
    """Check jobs and memory of ``jobs`` processes holding ``per_process`` bytes each.

    With several processes the main one waits for them, holding its libraries.
    Returns the worker count (``-1`` resolved to the cores).

    Raises:
        ScenarioError: too many jobs, or more memory than the limit.
    """
    count = workers(jobs)
    check_memory(per_process * count + (PROCESS_BYTES if count > 1 else 0), what)
    return count


def per_partner_bytes(scenario: Scenario, per_partner: int, in_flight: int = 1) -> int:
    """Bytes of one process holding ``in_flight`` worlds at ``per_partner`` bytes a partner."""
    return PROCESS_BYTES + in_flight * partners(scenario) * per_partner


def describe(scenario: Scenario, count: int, jobs: int, unit: str = "replications") -> str:
    """The job as a memory error names it: scenario, partners, replications (``unit``), jobs."""
    parts = [f"{partners(scenario):,} partners", f"{count:,} {unit}"]
    if jobs != 1:
        parts.append(f"--jobs {jobs}")
    return f"{scenario.name} ({', '.join(parts)})"
