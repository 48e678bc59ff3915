"""The population a history shows: counts by archetype, recruits, regions, bands, maturity.

Calibration simulates the company's own partners, not the scenario's
population: as many partners of each archetype at week 0 as the history
has, recruits at the rate the history shows, regions and size bands in the
history's shares, and new partners (joined within their ramp before week 0)
in the history's share. The dispersion of partner sizes (``size_sigma``) is
fitted with the behavioural parameters, from the distribution of the
partners' revenue (:mod:`sim.calibration.summaries`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.calibration.history import PartnerHistory
from sim.scenario.calendar import YEAR
from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario


def population_of(history: PartnerHistory, scenario: Scenario) -> dict[str, Any]:
    """The ``population`` section and entry rates that reproduce the history's partners.

    Returns scenario fields to lay over ``scenario``: ``population`` and
    ``behaviour.<archetype>.entry_rate``.
    """
    at_start = history.joined <= 0
    archetypes = [a for a in dict.fromkeys(history.archetype.tolist())]
    counts = {a: int(np.sum(at_start & (history.archetype == a))) for a in archetypes}
    population: dict[str, Any] = {"partners": counts}
    behaviour: dict[str, Any] = {}
    years = max(history.weeks, 1) / YEAR
    for archetype in archetypes:
        recruits = int(np.sum(~at_start & (history.archetype == archetype)))
        base = max(counts[archetype], 1)
        behaviour[archetype] = {"entry_rate": min(recruits / base / years, 2.0)}
    if history.region is not None:
        names, seen = np.unique(history.region, return_counts=True)
        population["regions"] = {
            str(n): int(c) / history.partners for n, c in zip(names, seen, strict=True)
        }
    if history.size_band is not None:
        population["size_bands"] = _band_shares(history, scenario)
    ramp = {a: scenario.archetype_params(a).ramp_weeks for a in archetypes}
    recent = np.array(
        [-ramp[a] < j <= 0 for a, j in zip(history.archetype, history.joined, strict=True)]
    )
    if at_start.any() and np.isfinite(history.joined[at_start]).any():
        population["new_share"] = float(recent[at_start].mean())
    return {"population": population, "behaviour": behaviour}


def _band_shares(history: PartnerHistory, scenario: Scenario) -> dict[str, float]:
    """Share of partners in each size band, smallest band first.

    Bands the scenario names keep its order; others are ordered by the
    median revenue of their partners.
    """
    assert history.size_band is not None
    names, seen = np.unique(history.size_band, return_counts=True)
    known = list(scenario.population.size_bands)
    revenue = history.series["revenue"].sum(axis=0)
    median = {n: float(np.median(revenue[history.size_band == n])) for n in names}
    order = sorted(
        names.tolist(), key=lambda n: (known.index(n) if n in known else len(known), median[n])
    )
    share = dict(zip(names.tolist(), (seen / seen.sum()).tolist(), strict=True))
    return {str(n): share[n] for n in order}


def calibration_world(history: PartnerHistory, scenario: Scenario) -> Scenario:
    """``scenario`` with the history's population and horizon: the world calibration simulates."""
    raw = scenario.model_dump(mode="json")
    fields = population_of(history, scenario)
    raw["population"] = {**raw["population"], **fields["population"]}
    for archetype, values in fields["behaviour"].items():
        raw["behaviour"].setdefault(archetype, {}).update(values)
    raw["horizon_weeks"] = history.weeks
    return validate_scenario(raw, source=f"{history.source} (population)")
