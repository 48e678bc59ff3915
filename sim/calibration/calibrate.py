"""``calibrate``: fit a scenario's partners to a company's history, with a held-out check.

The steps: read and check the history and the settings before any work;
build the calibration world (the history's population, its horizon and the
scenario's baseline with its changes); summarize the history; run the
design rounds (resuming from ``OUT/study.db``); sample the posterior; fit
again on the history's first part and check how well it predicts the rest;
simulate posterior draws for the fit's bands. :mod:`sim.calibration.output`
writes the folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents import ARCHETYPES
from sim.calibration.check import Check, predictive_bands
from sim.calibration.emulator import Space
from sim.calibration.evaluate import Simulator
from sim.calibration.fit import (
    Design,
    Posterior,
    Regions,
    distance,
    first_round,
    next_round,
    posterior_of,
    simulate_noise,
    simulate_round,
)
from sim.calibration.history import PER_QUARTER, Frequency, PartnerHistory, period_of_week
from sim.calibration.population import calibration_world
from sim.calibration.reading import read_bytes, read_history
from sim.calibration.settings import CalibrationSettings, read_settings
from sim.calibration.store import DesignStore
from sim.calibration.summaries import context_of, summaries
from sim.errors import HistoryError
from sim.limits import check_memory
from sim.runs.footprint import PROCESS_BYTES, describe, histories_bytes
from sim.scenario.schema import Scenario

#: Fewest periods of history a held-out check leaves to fit on, in quarters.
MIN_FIT_QUARTERS = 2


@dataclass(frozen=True)
class Calibration:
    """A finished calibration: the history, the settings, the posterior and the checks."""

    history: PartnerHistory
    scenario: Scenario  # the scenario calibrated (as given)
    world: Scenario  # the calibration world: the history's population
    settings: CalibrationSettings
    posterior: Posterior
    fit: Check  # the fitted statistics against the posterior predictive bands
    held_out: Check | None  # the last part, predicted by a fit on the rest
    best: dict[str, float] | None  # the design point closest to the data
    points: int  # design points simulated


def calibrate(
    history_path: Path,
    scenario: Scenario,
    out: Path,
    *,
    source: str = "scenario",
    params: tuple[str, ...] = (),
    frequency: Frequency | None = None,
    returns: bool | None = None,
    jobs: int = 1,
    progress: bool = False,
    start: Callable[[], None] | None = None,
) -> Calibration:
    """Fit the ``calibrate:`` parameters (and ``params``, ``KEY=lo:hi``) to a history file.

    The search's evaluations live in an Optuna study in ``out`` (a re-run
    resumes from it); ``start()`` is called once the inputs are valid, before
    anything is written there (the command line starts its results folder).

    Raises:
        ScenarioError: the settings or a prior are invalid, or the reading or the
            simulations would take more memory than the machine has.
        HistoryError: the history file is invalid.
    """
    settings = read_settings(scenario, source, params)
    reading = read_bytes(history_path)
    check_memory(PROCESS_BYTES + reading, f"reading {history_path}")
    history = read_history(history_path, list(ARCHETYPES), frequency, returns)
    priors = settings.priors(list(dict.fromkeys(history.archetype.tolist())))
    for path in priors:
        if path.split(".")[1] not in set(history.archetype.tolist()):
            raise HistoryError(
                str(history_path),
                None,
                "archetype",
                f"expected partners of {path.split('.')[1]}, whose {path} is fitted",
            )
    space = Space.of(priors)
    world = calibration_world(history, scenario)
    # the most histories one call simulates: a group of points' seeds, the noise, the predictive
    pairs = max(8 * max(jobs, 1) * settings.seeds, settings.noise, settings.predictive)
    simulations = histories_bytes(world, pairs, len(history.series), jobs)
    check_memory(reading + simulations, describe(world, pairs, jobs, "simulated histories"))
    held = _held_out_periods(history, settings)
    windows = {"full": (0, history.periods), "head": (0, history.periods - held)}
    context = context_of(world)
    simulator = Simulator(
        world, context, history.frequency, tuple(history.series), windows, settings.seed
    )
    observed = summaries(history, context)
    observed_head = summaries(history, context, windows["head"])
    if start is not None:
        start()
    store = DesignStore(out, _fingerprint(history, world, settings, space), space)
    rng = np.random.default_rng(settings.seed)
    design, posterior, regions = _rounds(
        store, simulator, space, settings, observed, jobs, progress, rng
    )
    fit_check = predictive_bands(
        simulator, posterior, observed, "full", settings.predictive, jobs, progress
    )
    held_out = None
    if held:
        head_posterior = posterior_of(
            design, space, observed_head, "head", settings.draws, rng, regions
        )
        tail = {"tail": (history.periods - held, history.periods)}
        observed_tail = summaries(history, context, tail["tail"])
        tail_simulator = Simulator(
            world, context, history.frequency, tuple(history.series), tail, settings.seed
        )
        held_out = predictive_bands(
            tail_simulator,
            head_posterior,
            observed_tail,
            "tail",
            settings.predictive,
            jobs,
            progress,
        )
    return Calibration(
        history,
        scenario,
        world,
        settings,
        posterior,
        fit_check,
        held_out,
        store.best(),
        len(design.unit),
    )


def _rounds(
    store: DesignStore,
    simulator: Simulator,
    space: Space,
    settings: CalibrationSettings,
    observed: dict[str, float],
    jobs: int,
    progress: bool,
    rng: np.random.Generator,
) -> tuple[Design, Posterior, Regions | None]:
    """Every design round, each around the last one's posterior.

    Returns the design, the final posterior and the regions its emulators were
    fitted in (those of the last round's design; ``None`` after one round).
    """
    units, rounds, found = [], [], []
    posterior: Posterior | None = None
    regions: Regions | None = None
    for round_ in range(settings.rounds):
        unit = (
            first_round(space, settings.points, settings.seed)
            if posterior is None
            else next_round(
                posterior, settings.points, np.random.default_rng([settings.seed, round_])
            )
        )
        done = simulate_round(
            store, simulator, round_, unit, settings.seeds, observed, jobs, progress
        )
        found += done
        units.append(unit)
        rounds.append(np.full(len(unit), round_))
        centre = (
            unit[int(np.nanargmin([distance(d, observed) for d in done]))]
            if posterior is None
            else posterior.unit.mean(axis=0)
        )
        noise = simulate_noise(store, simulator, round_, centre, settings.noise, jobs, progress)
        design = Design(np.vstack(units), np.concatenate(rounds), list(found), noise)
        regions = posterior.proposal if posterior is not None else None
        posterior = posterior_of(design, space, observed, "full", settings.draws, rng, regions)
    assert posterior is not None
    return design, posterior, regions


def _held_out_periods(history: PartnerHistory, settings: CalibrationSettings) -> int:
    """Periods held out for the check; the history must leave enough to fit on."""
    if settings.held_out_weeks == 0:
        return 0
    held = int(
        history.periods
        - period_of_week(np.array([history.weeks - settings.held_out_weeks]), history.frequency)[0]
    )
    if history.periods - held < MIN_FIT_QUARTERS * PER_QUARTER[history.frequency]:
        raise HistoryError(
            history.source,
            None,
            "",
            f"{history.periods} {history.frequency}s of history; expected at least "
            f"{MIN_FIT_QUARTERS} quarters besides the {settings.held_out_weeks} weeks held out",
        )
    return held


def _fingerprint(
    history: PartnerHistory, world: Scenario, settings: CalibrationSettings, space: Space
) -> str:
    """A digest of what shapes the design's simulations: a changed setup starts a new study."""
    digest = hashlib.sha256()
    for array in history.series.values():
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(world.world_key(), sort_keys=True, default=str).encode())
    digest.update(settings.model_dump_json(exclude={"draws", "predictive"}).encode())
    digest.update(repr(space).encode())
    return digest.hexdigest()
