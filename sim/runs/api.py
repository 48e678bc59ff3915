"""The simulator's entry points: run one design, or compare several, against a baseline."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sim.limits import REPLICATIONS
from sim.runs.footprint import check_replications
from sim.runs.results import CompareResults, RunResults, tables, tier_table
from sim.runs.runner import ReplicationOutput, replicate
from sim.scenario.loading import ScenarioError, load_scenario, with_overrides
from sim.scenario.program import Program
from sim.scenario.schema import Scenario


def _resolve(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _replication_ids(count: int, ids: Sequence[int] | None) -> list[int]:
    if ids is None:
        REPLICATIONS.check(count, "--replications")
    chosen = list(range(count)) if ids is None else [int(i) for i in ids]
    if not chosen or min(chosen) < 0 or len(set(chosen)) != len(chosen):
        raise ValueError(f"expected at least one distinct non-negative replication, got {chosen}")
    REPLICATIONS.check(len(chosen), "replication_ids")
    return chosen


def over_assumptions(
    spec: Scenario,
    arms: dict[str, Program],
    root: int,
    ids: Sequence[int],
    assumptions: Sequence[Mapping[str, float]] | None,
    jobs: int,
    progress: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[ReplicationOutput], dict[int, int] | None]:
    """Every arm on ``ids``, or, with parameter sets, on fresh replications for each set.

    Set ``k`` runs on replications ``k * (max(ids) + 1) + i``: every set has its
    own worlds, and within each, the arms share every random draw. Returns
    the outputs and, with sets, each replication's set.
    """
    if not assumptions:
        return replicate(
            spec, arms, root, ids, jobs=jobs, progress=progress, on_progress=on_progress
        ), None
    outputs: list[ReplicationOutput] = []
    draw_of: dict[int, int] = {}
    for k, values in enumerate(assumptions):
        drawn = with_overrides(spec, [f"{path}={value!r}" for path, value in values.items()])
        moved = [k * (max(ids) + 1) + i for i in ids]
        outputs += replicate(drawn, arms, root, moved, jobs=jobs, progress=progress)
        draw_of |= dict.fromkeys(moved, k)
    return outputs, draw_of


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: bool = False,
    replication_ids: Sequence[int] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    assumptions: Sequence[Mapping[str, float]] | None = None,
) -> RunResults:
    """Run the scenario's design against its baseline over paired replications.

    Args:
        scenario: a validated :class:`~sim.scenario.schema.Scenario` or a path to its file.
        replications: number of independent worlds (default: the scenario's).
        seed: root seed (default: the scenario's).
        jobs: worker processes for replications (-1: all cores); results are
            identical for any value.
        progress: show a progress bar on stderr.
        replication_ids: which worlds to run, by index (overrides
            ``replications``); e.g. fresh worlds for a held-out check, or one
            world at a time for pruning.
        on_progress: called with (replications done, total) after each batch.
        assumptions: parameter sets (``path -> value``, e.g. draws of a
            calibration's posterior), each run on ``replications`` worlds of
            its own; the results then split net lift's variance between the
            parameters and the simulation's noise (``RunResults.uncertainty``).
    """
    spec = _resolve(scenario)
    ids = _replication_ids(
        spec.replications if replications is None else replications, replication_ids
    )
    root = spec.seed if seed is None else seed
    spec = spec.model_copy(update={"replications": len(ids), "seed": root})
    arms = {"baseline": spec.baseline, "design": spec.design}
    count = check_replications(spec, len(arms), len(ids) * len(assumptions or [None]), jobs)
    outputs, draw_of = over_assumptions(
        spec, arms, root, ids, assumptions, count, progress, on_progress
    )
    runs, segments, timeseries = tables(outputs)
    return RunResults(
        spec, root, len(outputs), runs, segments, timeseries, tier_table(outputs), draw_of
    )


def compare_scenarios(
    scenarios: Sequence[Scenario | str | Path],
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: bool = False,
    sources: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    assumptions: Sequence[Mapping[str, float]] | None = None,
) -> CompareResults:
    """Rank several designs against the same baseline on the same worlds.

    The scenarios must differ only in their design (and name or description);
    the first one's baseline, world and settings are used for all. ``sources``
    names each scenario in errors (default: the file path, or the name);
    ``on_progress(done, total)`` is called after each batch of replications.

    Raises:
        ScenarioError: the scenarios do not share a world, or names collide.
    """
    specs = [_resolve(s) for s in scenarios]
    if len(specs) < 1:
        raise ValueError("compare needs at least one scenario")
    names = (
        list(sources)
        if sources is not None
        else [
            s if isinstance(s, str | Path) else spec.name
            for s, spec in zip(scenarios, specs, strict=True)
        ]
    )
    first = specs[0]
    reference = first.world_key()
    for spec, source in zip(specs[1:], names[1:], strict=True):
        if spec.world_key() != reference:
            field = next(k for k in reference if spec.world_key()[k] != reference[k])
            raise ScenarioError(
                str(source),
                field,
                f"expected the same value as in {names[0]}, to compare designs on the same worlds",
            )
    names = [s.name for s in specs]
    if len(set(names)) != len(names) or "baseline" in names:
        raise ScenarioError(
            ",".join(names), "name", "expected distinct names other than 'baseline'"
        )
    ids = _replication_ids(first.replications if replications is None else replications, None)
    root = first.seed if seed is None else seed
    arms = {"baseline": first.baseline} | {s.name: s.design for s in specs}
    base = first.model_copy(update={"replications": len(ids), "seed": root})
    count = check_replications(base, len(arms), len(ids) * len(assumptions or [None]), jobs)
    outputs, draw_of = over_assumptions(
        base, arms, root, ids, assumptions, count, progress, on_progress
    )
    runs, segments, timeseries = tables(outputs)
    return CompareResults(specs, root, len(outputs), runs, segments, timeseries, draw_of)
