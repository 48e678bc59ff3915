"""Every behavioural check, in the order of the findings, and running them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sim.checks.base import Check, Setup
from sim.checks.disappointment import near_miss
from sim.checks.engagement import co_marketing_funds, nudges, recognition
from sim.checks.population import population
from sim.checks.rewards import caps_and_ratchets, period_end_spikes, threshold_pull
from sim.checks.timing import deal_timing, lump_sum_bonus

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


def validate(setup: Setup, checks: Iterable[Callable[[Setup], Check]] = CHECKS) -> list[Check]:
    """Run ``checks`` (every check by default) in the setup's world."""
    return [check(setup) for check in checks]
