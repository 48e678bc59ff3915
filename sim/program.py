"""Assembling a program's run-time components from its levers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.channels import Channel
from sim.components import BoolArray, Component
from sim.enablement import CertificationProgram, MarketingFund, Registration
from sim.incentives import (
    Milestones,
    PeriodReward,
    RecognitionProgram,
    SpiffReward,
    TierLadder,
)
from sim.ledger import Ledger
from sim.levers import (
    Accelerator,
    Bonus,
    Certification,
    DealRegistration,
    GrowthRebate,
    MarketDevelopmentFund,
    Milestone,
    Nudge,
    Program,
    Recognition,
    Spiff,
    TieredRebate,
    TierStatus,
)
from sim.world import World

_SIMPLE = {
    Milestone: Milestones,
    Spiff: SpiffReward,
    Recognition: RecognitionProgram,
    DealRegistration: Registration,
    Certification: CertificationProgram,
    Nudge: Channel,
}


def _audience(world: World, lever: object, reach: BoolArray) -> BoolArray:
    """Partners a lever reaches: its archetypes and segments, within the program's reach."""
    mask = reach.copy()
    applies_to = getattr(lever, "applies_to", None)
    if applies_to is not None:
        codes = [i for i, a in enumerate(world.archetypes) if a in applies_to]
        mask &= np.isin(world.archetype, codes)
    segments = getattr(lever, "segments", None)
    if segments is not None:
        if segments.size_bands is not None:
            codes = [i for i, b in enumerate(world.band_names) if b in segments.size_bands]
            mask &= np.isin(world.size_band, codes)
        if segments.regions is not None:
            codes = [i for i, r in enumerate(world.region_names) if r in segments.regions]
            mask &= np.isin(world.region, codes)
        if segments.maturity is not None:
            mask &= world.is_new == (segments.maturity == "new")
    return mask


@dataclass
class ProgramParts:
    """One program's components, grouped by the hooks the model calls on them."""

    program: Program
    audience: BoolArray
    ledger: Ledger
    components: list[Component] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    period_rewards: list[PeriodReward] = field(default_factory=list)
    funds: list[MarketingFund] = field(default_factory=list)
    certifications: list[CertificationProgram] = field(default_factory=list)


def build_program(program: Program, world: World, reach: BoolArray | None = None) -> ProgramParts:
    """The run-time components of ``program`` for the partners in ``reach`` (default all)."""
    reach = np.ones(world.partners, dtype=bool) if reach is None else reach
    parts = ProgramParts(program, reach, Ledger(program.guardrails, reach, world.replica_rows))
    ladders: list[TierLadder] = []
    fund_specs: list[tuple[MarketDevelopmentFund, BoolArray]] = []
    for lever in program.mechanics:
        audience = _audience(world, lever, reach)
        if isinstance(lever, TieredRebate | GrowthRebate | Accelerator | Bonus):
            reward = PeriodReward(lever, world, audience)
            parts.period_rewards.append(reward)
            parts.components.append(reward)
        elif isinstance(lever, TierStatus):
            ladder = TierLadder(lever, world, audience)
            ladders.append(ladder)
            parts.components.append(ladder)
        elif isinstance(lever, MarketDevelopmentFund):
            fund_specs.append((lever, audience))
        else:
            component = _SIMPLE[type(lever)](lever, world, audience)
            parts.components.append(component)
            if isinstance(component, Channel):
                parts.channels.append(component)
            if isinstance(component, CertificationProgram):
                parts.certifications.append(component)
    if not fund_specs and any(ladder.mdf.any() for ladder in ladders):
        fund_specs.append((MarketDevelopmentFund(type="mdf", accrual_rate=0.0), reach))
    rates = [ladder.mdf_rate for ladder in ladders]
    for spec, audience in fund_specs:
        fund = MarketingFund(spec, world, audience, rates)
        parts.funds.append(fund)
        parts.components.append(fund)
    return parts
