"""``history``: the partner history a scenario's world produces under its baseline.

The scenario's own population (its counts, and the recruits its entry rates
bring) lives ``weeks`` weeks under the baseline, with its changes; the file
holds what a company's records would: revenue and deals won per partner and
period, rewards paid, and registrations and MDF claims where the program has
them. It is how to try calibration without data, and how tests know the
truth: the scenario's behavioural parameters made it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sim.calibration.history import Frequency, PartnerHistory
from sim.calibration.record import simulate_histories
from sim.errors import BadInput
from sim.levers.deal_registration import DealRegistration
from sim.levers.mdf import MarketDevelopmentFund
from sim.limits import check_memory
from sim.runs.footprint import describe, histories_bytes
from sim.scenario.schema import Scenario

SUFFIXES = (".csv", ".parquet")


def recorded_columns(scenario: Scenario) -> tuple[str, ...]:
    """The per-period columns a history of this scenario's baseline holds."""
    levers = [lever for _, stage in scenario.baseline.stages() for lever in stage.mechanics]
    columns = ["revenue", "deals_won"]
    if any(isinstance(lever, DealRegistration) for lever in levers):
        columns.append("deals_registered")
    if any(isinstance(lever, MarketDevelopmentFund) for lever in levers) or any(
        getattr(tier, "mdf_rate", 0) for lever in levers for tier in getattr(lever, "tiers", [])
    ):
        columns.append("mdf_claimed")
    if levers:
        columns.append("rewards_paid")
    return tuple(columns)


def generate_history(
    scenario: Scenario,
    weeks: int,
    *,
    seed: int | None = None,
    replication: int = 0,
    frequency: Frequency = "week",
) -> PartnerHistory:
    """The baseline's history of one world of ``scenario`` over ``weeks`` weeks."""
    spec = scenario.model_copy(update={"horizon_weeks": weeks})
    columns = recorded_columns(spec)
    check_memory(histories_bytes(spec, 1, len(columns), 1), describe(spec, 1, 1, "history"))
    root = scenario.seed if seed is None else seed
    (history,) = simulate_histories(spec, [{}], [replication], root, frequency, columns)
    return dataclasses.replace(history, source=scenario.name, returns=spec.market.returns.rate > 0)


def write_history(history: PartnerHistory, out: Path) -> None:
    """Write a history file; its suffix says the format.

    Raises:
        BadInput: the suffix is neither ``.csv`` nor ``.parquet``.
    """
    if out.suffix not in SUFFIXES:
        raise BadInput(f"{out}: expected a file name ending in .csv or .parquet")
    history.write(out)
