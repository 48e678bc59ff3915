"""One replication's world: the partner population and the pipeline it starts with.

A world is what both arms of a replication share: who the partners are, their
traits, and the deals already open when the program starts. It is drawn from
the streams ``population`` and ``history.*`` of (seed, replication), so it is
the same whatever the design.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from agents import ACTIVE, ARCHETYPES, DORMANT, Partner, Traits
from sim.indexing import joined_slices
from sim.market import demand_index
from sim.pipeline import DealTerms, Opportunities, Pipeline, arrivals, cycle_cdf, cycle_cdf_sum
from sim.scenario import Scenario
from sim.state import PartnerState
from sim.streams import stream

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class World:
    """Static partner traits plus the starting dynamic state, one row per partner.

    Rows are sorted by archetype, so each archetype is a contiguous slice.
    """

    archetypes: list[str]
    classes: list[type[Partner]]
    slices: list[slice]
    traits: Traits
    archetype: npt.NDArray[np.int8]  # index into ``archetypes``
    size: FloatArray  # relative firm size, median 1
    region: npt.NDArray[np.int8]
    region_names: list[str]
    is_new: npt.NDArray[np.bool_]
    size_band: npt.NDArray[np.int8]
    band_names: list[str]
    base_rate: FloatArray  # opportunities per week at effort 1, average demand
    deal_value: FloatArray  # median list value of one deal, $
    terms: DealTerms
    pipeline: Pipeline  # open deals at week 0
    start: PartnerState  # behaviour state at week 0
    responder: npt.NDArray[np.bool_]  # cares about recognition (responder_share)
    prior_revenue: FloatArray  # [4, partners]: revenue by quarter of the year before week 0
    copies: int = 1  # blocks per archetype: (arm, replication) pairs, see ``stack_worlds``
    source_row: IntArray | None = None  # which random draw each row reads
    copy: npt.NDArray[np.int64] | None = None  # which block each row belongs to
    replicas: int = 1  # replications joined (``join_worlds``); a row's is ``copy % replicas``
    _closing: dict[int, tuple[FloatArray, FloatArray]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def partners(self) -> int:
        """Number of partner rows (all copies)."""
        return self.size.size

    def closing_shares(
        self, weeks_left: int, rows: slice | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Shares of this week's, and of the coming weeks', arrivals that close in time.

        Returns ``F(weeks_left)`` and ``sum_{m < weeks_left} F(m)`` with ``F`` the
        cycle-length distribution, per partner, or as two numbers for ``rows``,
        one block of :attr:`blocks`. Cycles are archetype traits, so the shares
        are cached per archetype and spread over its rows.
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

    @functools.cached_property
    def blocks(self) -> list[slice]:
        """Rows of each (archetype, copy) block; archetype traits are constant within one."""
        bounds = [*self.starts.tolist(), self.partners]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def spans(self, rows: npt.NDArray[np.bool_]) -> list[slice]:
        """The blocks with a partner in ``rows``, touching ones of one archetype made one.

        A span shares its archetype's traits, so weekly arithmetic that needs
        them does one vectorized pass per span, however many arms and
        replications are stacked.
        """
        spans = []
        for archetype in self.slices:
            kept = [b for b in self.blocks if archetype.start <= b.start < archetype.stop]
            spans += joined_slices([b for b in kept if rows[b].any()])
        return spans

    @functools.cached_property
    def replica(self) -> IntArray:
        """Which joined replication each row belongs to (all 0 unless worlds were joined)."""
        if self.copy is None:
            return np.zeros(self.partners, dtype=np.int64)
        return self.copy % self.replicas

    @functools.cached_property
    def replica_rows(self) -> list[npt.NDArray[np.bool_]]:
        """Each joined replication's rows: partners compete, and budgets run out, within one."""
        if self.replicas == 1:
            return [np.ones(self.partners, dtype=bool)]
        return [self.replica == r for r in range(self.replicas)]

    @property
    def starts(self) -> IntArray:
        """First row of each (archetype, copy) block, for ``np.add.reduceat``."""
        firsts = []
        for rows in self.slices:
            width = (rows.stop - rows.start) // self.copies
            firsts += [rows.start + c * width for c in range(self.copies)]
        return np.array(firsts, dtype=np.int64)


def join_worlds(worlds: Sequence[World]) -> World:
    """Several replications' worlds as one, so that they run in one vectorized pass.

    Within each archetype's slice come replication 0's partners, then
    replication 1's, and so on: each (archetype, replication) is a block
    (``copy`` is the replication's position). ``source_row`` indexes the
    replications' random draws laid end to end: partner ``i`` of the world at
    position ``r`` reads draw ``r * n + i`` (``n`` partners per world).
    """
    return stack_worlds(worlds, 1)


def stack_world(world: World, copies: int) -> World:
    """The world repeated ``copies`` times, so that several arms run in one vectorized pass.

    Within each archetype's slice the copies follow one another, so every
    archetype stays contiguous. ``source_row`` maps each row to the draw it
    reads, so every copy sees the same numbers.
    """
    return stack_worlds([world], copies)


def stack_worlds(worlds: Sequence[World], copies: int) -> World:
    """Replications' worlds joined (:func:`join_worlds`), then repeated ``copies`` times.

    One copy per arm: within each archetype's slice come arm 0's blocks, one
    per replication in order, then arm 1's, and so on; arm ``a``'s block of
    replication ``r`` is copy ``a * len(worlds) + r``. Every row is copied
    once, straight from its world, as runs of consecutive rows. One world
    and one copy is that world itself.
    """
    first, count = worlds[0], len(worlds)
    if count == copies == 1:
        return first
    if any(w.slices != first.slices or w.copies != 1 for w in worlds):
        raise ValueError("only unstacked worlds of one population can be joined or stacked")
    n = first.partners
    # (world, its rows) of each run of the result, in order
    pieces = [(r, s) for s in first.slices for _ in range(copies) for r in range(count)]
    source_row = np.concatenate([np.arange(s.start, s.stop) + r * n for r, s in pieces])
    copy = np.concatenate(
        [
            np.full(s.stop - s.start, a * count + r)
            for s in first.slices
            for a in range(copies)
            for r in range(count)
        ]
    )
    slices = [slice(s.start * count * copies, s.stop * count * copies) for s in first.slices]

    def take(get: Callable[[World], npt.NDArray[Any]]) -> npt.NDArray[Any]:
        values = [get(w) for w in worlds]
        return np.concatenate([values[r][..., s] for r, s in pieces], axis=-1)

    starting_fields = [f for f in fields(first.start) if f.init]  # its money starts at zero
    # Traits are each archetype's parameters repeated over its rows (``Traits``): repeat
    # them over the larger slices.
    traits = Traits.__new__(Traits)
    firsts, counts = [s.start for s in first.slices], [s.stop - s.start for s in slices]
    for name, values in vars(first.traits).items():
        setattr(traits, name, np.repeat(values[firsts], counts))
    return World(
        archetypes=first.archetypes,
        classes=first.classes,
        slices=slices,
        traits=traits,
        archetype=take(lambda w: w.archetype),
        size=take(lambda w: w.size),
        region=take(lambda w: w.region),
        region_names=first.region_names,
        is_new=take(lambda w: w.is_new),
        size_band=take(lambda w: w.size_band),
        band_names=first.band_names,
        base_rate=take(lambda w: w.base_rate),
        deal_value=take(lambda w: w.deal_value),
        terms=DealTerms(
            deal_value=take(lambda w: w.terms.deal_value),
            value_sigma=take(lambda w: w.terms.value_sigma),
            win_rate=take(lambda w: w.terms.win_rate),
            cycle_min=take(lambda w: w.terms.cycle_min),
            cycle_max=take(lambda w: w.terms.cycle_max),
        ),
        pipeline=Pipeline.joined([w.pipeline for w in worlds], copies),
        start=PartnerState(
            **{f.name: take(lambda w, f=f: getattr(w.start, f.name)) for f in starting_fields}
        ),
        responder=take(lambda w: w.responder),
        prior_revenue=take(lambda w: w.prior_revenue),
        copies=count * copies,
        source_row=source_row,
        copy=copy,
        replicas=count,
    )


QUARTER = 13
PRIOR_WEEKS = 4 * QUARTER


#: Longest approval delay a deal registration may add (see ``sim.levers``).
MAX_APPROVAL_WEEKS = 13


def ring_weeks(cycle_weeks_max: int) -> int:
    """Length of a pipeline ring: longer than any cycle plus any approval delay.

    At least 16 weeks, so deals can always be pulled forward by up to 13 weeks.
    """
    return cycle_weeks_max + MAX_APPROVAL_WEEKS + 2


def build_world(scenario: Scenario, replication: int, seed: int | None = None) -> World:
    """Draw the population, its opening pipeline and its prior year for one replication.

    ``seed`` overrides ``scenario.seed`` as the root of the random streams.
    """
    seed = scenario.seed if seed is None else seed
    counts = {a: n for a, n in scenario.population.partners.items() if n > 0}
    archetypes = [a for a in ARCHETYPES if a in counts]
    classes = [ARCHETYPES[a] for a in archetypes]
    sizes = [counts[a] for a in archetypes]
    params = [scenario.archetype_params(a) for a in archetypes]
    n = sum(sizes)
    bounds = np.cumsum([0, *sizes])
    slices = [slice(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    traits = Traits(params, sizes)

    rng = stream(seed, replication, "population")
    size = np.exp(traits.size_sigma * rng.standard_normal(n))
    pop = scenario.population
    region_shares = np.array(list(pop.regions.values()))
    region = rng.choice(len(region_shares), size=n, p=region_shares / region_shares.sum())
    is_new = rng.random(n) < pop.new_share
    size_band = _size_bands(size, slices, np.array(list(pop.size_bands.values())))

    rho = traits.rate_size_exponent
    base_rate = traits.opportunity_rate * size**rho
    base_rate = np.where(is_new, base_rate * traits.new_partner_activity, base_rate)
    deal_value = traits.deal_size * size ** (1.0 - rho)

    world = World(
        archetypes=archetypes,
        classes=classes,
        slices=slices,
        traits=traits,
        archetype=np.repeat(np.arange(len(archetypes), dtype=np.int8), sizes),
        size=size,
        region=region.astype(np.int8),
        region_names=list(pop.regions),
        is_new=is_new,
        size_band=size_band,
        band_names=list(pop.size_bands),
        base_rate=base_rate,
        deal_value=deal_value,
        terms=DealTerms(
            deal_value=deal_value,
            value_sigma=traits.deal_size_sigma,
            win_rate=traits.win_rate,
            cycle_min=traits.cycle_weeks_min,
            cycle_max=traits.cycle_weeks_max,
        ),
        pipeline=Pipeline(
            n,
            max(ring_weeks(p.cycle_weeks_max) for p in params),
            [(rows, ring_weeks(p.cycle_weeks_max)) for rows, p in zip(slices, params, strict=True)],
        ),
        start=PartnerState.fresh(
            traits.engagement_baseline, np.full(n, ACTIVE, dtype=np.int8), np.zeros(n)
        ),
        prior_revenue=np.zeros((4, n)),
        responder=stream(seed, replication, "responder").random(n) < traits.responder_share,
    )
    _replay_history(world, scenario, replication, seed)
    return world


def _size_bands(size: FloatArray, slices: list[slice], shares: FloatArray) -> npt.NDArray[np.int8]:
    """Band of each partner by its size rank within its archetype."""
    cuts = np.cumsum(shares / shares.sum())[:-1]
    band = np.zeros(size.size, dtype=np.int8)
    for rows in slices:  # one vectorized pass per archetype, not per partner
        count = rows.stop - rows.start
        rank = np.empty(count)
        rank[np.argsort(size[rows], kind="stable")] = (np.arange(count) + 0.5) / count
        band[rows] = np.searchsorted(cuts, rank, side="right")
    return band


def _replay_history(world: World, scenario: Scenario, replication: int, seed: int) -> None:
    """Open the deals in the pipeline at week 0 and record the year before it.

    Opportunities of the ``ring - 1 + 52`` weeks before week 0 are drawn at
    business-as-usual flow (effort 1, baseline engagement), one vectorized pass
    per chunk of weeks. Deals closing from week 0 on are the opening pipeline;
    deals won before it date each partner's last win (partners without a win
    in ``dormancy_weeks`` start dormant) and, over the 52 weeks before week 0,
    give last year's revenue by quarter (growth rewards and pilot pre-periods
    compare against it). Channel conflict and returns apply in expectation.
    """
    pipeline, traits = world.pipeline, world.traits
    ring = pipeline.ring_weeks
    streams = {
        p: stream(seed, replication, f"history.{p}")
        for p in ("arrival", "deal_value", "cycle", "win")
    }
    span = ring - 1 + PRIOR_WEEKS  # every deal open at week 0 or booked in the prior year
    last_win = np.full(world.partners, -float(span))
    chunk = max(1, min(span, 4_000_000 // max(world.partners, 1)))  # bounded memory
    # The market's channel conflict and returns, in expectation, as in the simulated weeks.
    conflict, returns = scenario.market.channel_conflict, scenario.market.returns
    win_rate = world.terms.win_rate * (1.0 - conflict.rate * conflict.loss)
    kept = (1.0 - traits.customer_discount) * (1.0 - returns.rate)
    for first in range(-span, 0, chunk):
        weeks = np.arange(first, min(first + chunk, 0))
        rate = world.base_rate * demand_index(scenario.market, weeks)[:, None]
        index, count = arrivals(rate, streams["arrival"].random(rate.shape))
        k = count.size
        new = world.terms.open(
            index[1],
            count,
            streams["deal_value"].standard_normal(k),
            streams["cycle"].random(k),
            streams["win"].random(k),
            win_rate=win_rate[index[1]],
        )
        arrival = weeks[index[0]]
        close = arrival + new.cycle
        past = new.won & (close < 0)
        np.maximum.at(last_win, new.rows[past], close[past])
        last_year = past & (close >= -PRIOR_WEEKS)
        rows = new.rows[last_year]
        quarter = (close[last_year] + PRIOR_WEEKS) // QUARTER
        booked = new.value[last_year] * kept[rows]
        np.add.at(world.prior_revenue, (quarter, rows), booked)
        future = close >= 0
        pipeline.add(arrival[future], _only(new, future))
    since_win = -last_win - 1.0
    status = np.where(since_win > traits.dormancy_weeks, DORMANT, ACTIVE).astype(np.int8)
    world.start = PartnerState.fresh(
        traits.engagement_baseline, status, since_win, scenario.market.competitor_reward_rate
    )


def _only(new: Opportunities, keep: npt.NDArray[np.bool_]) -> Opportunities:
    """The opportunities of ``new`` where ``keep``."""
    return Opportunities(
        rows=new.rows[keep],
        value=new.value[keep],
        cycle=new.cycle[keep],
        won=new.won[keep],
        win_rate=new.win_rate[keep],
    )
