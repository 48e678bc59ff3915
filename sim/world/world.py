"""One replication's world: the partner population and the pipeline it starts with.

A world is what both arms of a replication share: who the partners are, their
traits, and the deals already open when the program starts. It is drawn from
the streams ``population`` and ``history.*`` of (seed, replication), so it is
the same whatever the design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from agents import ARCHETYPES, Partner, Traits
from sim.scenario.schema import Scenario
from sim.world.history import replay_history
from sim.world.layout import Layout
from sim.world.pipeline import DealTerms, Pipeline, cycle_cdf, cycle_cdf_sum, ring_weeks
from sim.world.population import draw_members
from sim.world.state import PartnerState
from sim.world.streams import stream

FloatArray = npt.NDArray[np.float64]


@dataclass
class World:
    """Static partner traits plus the starting dynamic state, one row per partner.

    Rows are sorted by archetype, so each archetype is a contiguous slice;
    :attr:`layout` says where each row sits when worlds are stacked.
    """

    archetypes: list[str]
    classes: list[type[Partner]]
    layout: Layout
    traits: Traits
    archetype: npt.NDArray[np.int8]  # index into ``archetypes``
    size: FloatArray  # relative firm size, median 1
    region: npt.NDArray[np.int8]
    region_names: list[str]
    is_new: npt.NDArray[np.bool_]  # new to the program: joined during the ramp, or later
    joined: FloatArray  # week joined (far in the past for established partners)
    size_band: npt.NDArray[np.int8]
    band_names: list[str]
    base_rate: FloatArray  # opportunities per week at effort 1, average demand, full ramp
    deal_value: FloatArray  # median list value of one deal, $
    terms: DealTerms
    pipeline: Pipeline  # open deals at week 0
    start: PartnerState  # behaviour state at week 0
    responder: npt.NDArray[np.bool_]  # cares about recognition (responder_share)
    prior_revenue: FloatArray  # [4, partners]: revenue by quarter of the year before week 0
    _closing: dict[int, tuple[FloatArray, FloatArray]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def partners(self) -> int:
        """Number of partner rows (all blocks)."""
        return self.size.size

    @property
    def slices(self) -> list[slice]:
        """Rows of each archetype."""
        return self.layout.slices

    def expected_revenue(self, weeks: int) -> FloatArray:
        """Each partner's booked revenue over ``weeks`` of business as usual, $.

        Its full opportunity rate at effort 1 and average demand, times its
        mean deal value, win rate and what customers keep after discounts: the
        scale of a partner's business, free of the luck of its deals.
        """
        traits = self.traits
        mean_value = self.deal_value * np.exp(traits.deal_size_sigma**2 / 2)  # lognormal mean
        weekly = self.base_rate * mean_value * traits.win_rate
        revenue: FloatArray = weekly * (1.0 - traits.customer_discount) * weeks
        return revenue

    def closing_shares(
        self, weeks_left: int, rows: slice | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Shares of this week's, and of the coming weeks', arrivals that close in time.

        Returns ``F(weeks_left)`` and ``sum_{m < weeks_left} F(m)`` with ``F`` the
        cycle-length distribution, per partner, or as two numbers for ``rows``,
        rows of one archetype. Cycles are archetype traits, so the shares are
        cached per archetype and spread over its rows.
        """
        if weeks_left not in self._closing:
            firsts = [rows.start for rows in self.slices]
            bounds = (self.traits.cycle_weeks_min[firsts], self.traits.cycle_weeks_max[firsts])
            self._closing[weeks_left] = (
                cycle_cdf(weeks_left, *bounds),
                cycle_cdf_sum(weeks_left, *bounds),
            )
        this_week, later = self._closing[weeks_left]
        if rows is not None:
            code = self.archetype[rows.start]
            return this_week[code], later[code]
        counts = [rows.stop - rows.start for rows in self.slices]
        return np.repeat(this_week, counts), np.repeat(later, counts)


def build_world(scenario: Scenario, replication: int, seed: int | None = None) -> World:
    """Draw the population, its opening pipeline and its prior year for one replication.

    ``seed`` overrides ``scenario.seed`` as the root of the random streams.
    """
    seed = scenario.seed if seed is None else seed
    counts = {a: n for a, n in scenario.population.partners.items() if n > 0}
    archetypes = [a for a in ARCHETYPES if a in counts]
    classes = [ARCHETYPES[a] for a in archetypes]
    params = [scenario.archetype_params(a) for a in archetypes]
    pop = scenario.population
    members = draw_members(
        pop, params, [counts[a] for a in archetypes], scenario.horizon_weeks, seed, replication
    )
    sizes = [m.count for m in members]
    n = sum(sizes)
    layout = Layout(tuple(sizes))
    slices = layout.slices
    traits = Traits.repeat(params, sizes)
    size = np.concatenate([m.size for m in members])
    joined = np.concatenate([m.joined for m in members])

    rho = traits.rate_size_exponent
    base_rate = traits.opportunity_rate * size**rho  # a partner's full rate, after its ramp
    deal_value = traits.deal_size * size ** (1.0 - rho)
    terms = DealTerms(
        deal_value=deal_value,
        value_sigma=traits.deal_size_sigma,
        win_rate=traits.win_rate,
        cycle_min=traits.cycle_weeks_min,
        cycle_max=traits.cycle_weeks_max,
    )
    pipeline = Pipeline(
        n,
        max(ring_weeks(p.cycle_weeks_max) for p in params),
        [(rows, ring_weeks(p.cycle_weeks_max)) for rows, p in zip(slices, params, strict=True)],
    )
    history = replay_history(
        scenario.market, traits, base_rate, joined, terms, pipeline, seed, replication
    )
    return World(
        archetypes=archetypes,
        classes=classes,
        layout=layout,
        traits=traits,
        archetype=np.repeat(np.arange(len(archetypes), dtype=np.int8), sizes),
        size=size,
        region=np.concatenate([m.region for m in members]),
        region_names=list(pop.regions),
        is_new=np.concatenate([m.is_new for m in members]),
        joined=joined,
        size_band=np.concatenate([m.size_band for m in members]),
        band_names=list(pop.size_bands),
        base_rate=base_rate,
        deal_value=deal_value,
        terms=terms,
        pipeline=pipeline,
        start=PartnerState.fresh(
            traits.engagement_baseline,
            history.status,
            history.weeks_since_win,
            scenario.market.competitor_reward_rate,
        ),
        prior_revenue=history.prior_revenue,
        responder=stream(seed, replication, "responder").random(n) < traits.responder_share,
    )
