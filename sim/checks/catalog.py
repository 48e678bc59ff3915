"""Every behavioural check, in the order of the findings, and running them all."""

from __future__ import annotations

from collections.abc import Callable

from sim.checks.base import Check, Setup
from sim.checks.engagement import co_marketing_funds, near_miss, nudges, recognition
from sim.checks.population import population
from sim.checks.rewards import (
    caps_and_ratchets,
    deal_timing,
    lump_sum_bonus,
    period_end_spikes,
    threshold_pull,
)

CHECKS: tuple[Callable[[Setup], Check], ...] = (
    threshold_pull,
    period_end_spikes,
    deal_timing,
    caps_and_ratchets,
    lump_sum_bonus,
    recognition,
    nudges,
    co_marketing_funds,
    near_miss,
    population,
)


def validate(seed: int = 0, partners: int = 600, replications: int = 3) -> list[Check]:
    """Run every check in a world of ``partners`` over ``replications`` paired worlds."""
    setup = Setup(seed=seed, partners=partners, replications=replications)
    return [check(setup) for check in CHECKS]
