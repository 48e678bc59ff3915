"""What every program component sees and returns each week.

A program is a list of components built from its levers. Each week the model
calls, in order, the hooks of every component (``docs/model.md`` gives the
week's full order):

1. ``boost``: add this week's modifiers (win rate, deal size, flow, effort);
2. ``signal``: the expected extra reward, in dollars, of one more dollar of
   revenue from this week's effort;
3. ``record``: accrue this week's outcomes;
4. ``settle``: rewards due now (before guardrails), and program costs that are
   not rewards (contacts, training, processing);
5. ``after_settle``: engagement shocks such as near misses and demotions.

The base class does nothing; a lever overrides the hooks it needs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.pipeline import Pipeline
from sim.world import World

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A signal given on spans of rows: (rows, the values of those rows); zero elsewhere.
SignalParts = list[tuple[slice, FloatArray]]


@dataclass
class Outlook:
    """What a partner knows at the start of a week about its coming sales.

    ``flow`` is the expected booked value per week of new opportunities at
    current effort, ``flow_var`` its variance per week.
    """

    week: int
    pipeline: Pipeline
    flow: FloatArray
    flow_var: FloatArray
    sd_floor: FloatArray
    keep: FloatArray  # booked share of list value (1 - customer discount)
    _cache: dict[tuple[int, slice | None], tuple[FloatArray, FloatArray]] = field(
        default_factory=dict
    )
    #: Each component's projection of its period this week (see ``Component.project``).
    projections: dict[object, Projection] = field(default_factory=dict)

    def pipeline_until(
        self, last_week: int, rows: slice | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Expected booked value and variance of open deals closing this week to ``last_week``.

        For every partner, or for ``rows``, one block of the world's rows.
        """
        key = (last_week, rows)
        if key not in self._cache:
            mean, var = self.pipeline.outlook(self.week, last_week, rows)
            keep = self.keep if rows is None else self.keep[rows]
            self._cache[key] = (mean * keep, var * keep**2)
        return self._cache[key]


@dataclass(frozen=True)
class Projection:
    """A period measure as a partner sees it this week."""

    mean: FloatArray  # expected measure at the period end
    sd: FloatArray  # its standard deviation
    revenue: FloatArray  # expected revenue still to book in the period, $
    this_week: FloatArray  # share of this week's new deals that close in the period
    # (one number when the projection is of one block of rows)


@dataclass
class Boosts:
    """This week's modifiers, relative gains added up across components (0 = none).

    Each starts as a number (no modifier, for every partner) and becomes a
    per-partner array once a component adds to it, so weeks without
    modifiers cost nothing.
    """

    win_rate: FloatArray | float = 0.0
    deal_size: FloatArray | float = 0.0
    flow: FloatArray | float = 0.0
    effort: FloatArray | float = 1.0  # multiplicative factor, 1 = none
    registered_share: FloatArray | float = 0.0  # share of new deals registered
    registration_uplift: FloatArray | float = 0.0  # relative win-rate gain of a registered deal
    protection: FloatArray | float = 0.0  # share of the conflict loss a registered deal avoids
    approval_weeks: FloatArray | float = 0.0


@dataclass
class Outcome:
    """This week's outcomes per partner, as components accrue them."""

    revenue: FloatArray  # booked revenue net of customer discounts and returns, $
    deals: FloatArray  # won deals booked
    registered: FloatArray  # deals registered this week
    certified: BoolArray  # certifications completed this week
    first_win: BoolArray  # first won deal of a partner with no revenue last year
    marketing: FloatArray  # co-marketing spend this week (ours and the partner's), $


class Component:
    """A lever at run time. Hooks return ``None`` when they have nothing to add."""

    def __init__(self, world: World, audience: BoolArray) -> None:
        self.world = world
        self.eligible = audience
        self._in_period: dict[int, list[tuple[slice, float]]] = {}  # by weeks left
        self._whole: dict[slice, bool] = {}  # whether a span lies wholly in the audience

    def boost(self, week: int, boosts: Boosts) -> None:
        """Add this component's modifiers for the week."""

    def signal(self, outlook: Outlook) -> FloatArray | None:
        """Expected reward per extra dollar of revenue from this week's effort."""
        return None

    def signal_parts(self, outlook: Outlook) -> SignalParts | None:
        """:meth:`signal` as values on spans of rows, zero elsewhere (``None``: no signal).

        The model adds the parts to the week's total signal. A lever whose
        signal is zero outside its audience gives its spans only, so the rest
        of the rows cost nothing; by default the whole signal is one part.
        """
        value = self.signal(outlook)
        return None if value is None else [(slice(None), value)]

    def on_spans(
        self, compute: Callable[[slice], npt.NDArray[Any]], dtype: type = np.float64
    ) -> npt.NDArray[Any]:
        """``compute(rows)`` on each span of the audience (:attr:`blocks`), 0 elsewhere.

        For what is zero outside the audience: the rest of the rows cost nothing.
        """
        out = np.zeros(self.world.partners, dtype=dtype)
        for rows in self.blocks:
            out[rows] = compute(rows)
        return out

    def audience_only(self, rows: slice, value: FloatArray) -> FloatArray:
        """``value`` of the span ``rows``, zero for its partners outside the audience."""
        if rows not in self._whole:
            self._whole[rows] = bool(self.eligible[rows].all())
        return value if self._whole[rows] else np.where(self.eligible[rows], value, 0.0)

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue this week's outcomes."""

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Rewards earned now, before guardrails (``final``: the horizon's last week)."""
        return None

    def costs(self, week: int) -> FloatArray | None:
        """Program costs this week that are not rewards to partners."""
        return None

    def after_settle(self, engagement: FloatArray) -> None:
        """Change engagement in place after settlement (near misses, demotions)."""

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier level of each partner after each evaluation (0 = none), if the lever has tiers."""
        return None

    def project(
        self,
        outlook: Outlook,
        period_weeks: int,
        measure: FloatArray,
        weight: float | None,
        rows: slice | None = None,
    ) -> Projection:
        """Where this week's period measure is heading, as partners see it.

        The measure so far, plus ``weight`` x the revenue expected to book by
        the period end: open deals due by then and new deals that arrive and
        close in time; its sd adds the pipeline's and the new flow's variances
        (at least half a deal). ``weight=None`` says the measure is the
        period's revenue, which every lever with periods of ``period_weeks``
        shares. For every partner, or for ``rows``, one block of the world's
        rows (``measure`` stays every partner's). Computed once per week per
        component (or per period length for revenue) and rows, since effort
        signals and near-threshold targeting all need it.
        """
        key = ("revenue", period_weeks, rows) if weight is None else (id(self), rows)
        seen = outlook.projections.get(key)
        if seen is None:
            end = (outlook.week // period_weeks + 1) * period_weeks - 1
            open_mean, open_var = outlook.pipeline_until(end, rows)
            this_week, later = self.world.closing_shares(end - outlook.week, rows)
            coming = this_week + later
            every = slice(None) if rows is None else rows
            flow, flow_var = outlook.flow[every], outlook.flow_var[every]
            revenue = open_mean + flow * coming
            sd = np.maximum(np.sqrt(open_var + flow_var * coming), outlook.sd_floor[every])
            if weight is None:
                seen = Projection(measure[every] + revenue, sd, revenue, this_week)
            else:  # points: revenue in points
                seen = Projection(
                    measure[every] + weight * revenue, weight * sd, revenue, this_week
                )
            outlook.projections[key] = seen
        return seen

    @functools.cached_property
    def blocks(self) -> list[slice]:
        """Spans of rows of one archetype with partners in the audience (``World.spans``)."""
        return self.world.spans(self.eligible)

    def closing_in_period(self, week: int, period_weeks: int) -> list[tuple[slice, float]]:
        """This component's blocks where this week's new deals can close within the period.

        Each with the share of them that does (a block shares its archetype's cycles).
        """
        weeks_left = (week // period_weeks + 1) * period_weeks - 1 - week
        if weeks_left not in self._in_period:
            shares = [self.world.closing_shares(weeks_left, rows)[0] for rows in self.blocks]
            closing = zip(self.blocks, shares, strict=True)
            self._in_period[weeks_left] = [(rows, float(s)) for rows, s in closing if s > 0]
        return self._in_period[weeks_left]


class SpanSignal(Component):
    """A component whose effort signal is zero outside its audience's spans.

    It gives its signal as :meth:`signal_parts`, so the rest of the rows
    cost nothing; :meth:`signal` lays the parts over every row.
    """

    def signal(self, outlook: Outlook) -> FloatArray | None:
        """Expected reward per extra dollar of revenue from this week's effort."""
        parts = self.signal_parts(outlook)
        if parts is None:
            return None
        out = np.zeros(self.world.partners)
        for rows, value in parts:
            out[rows] = value
        return out

    def signal_parts(self, outlook: Outlook) -> SignalParts | None:
        """The signal on the audience's spans; subclasses give it."""
        raise NotImplementedError


def per_archetype(
    world: World, value: float | dict[str, float], missing: float = np.inf
) -> FloatArray:
    """A per-archetype scenario value broadcast over partner rows (``missing`` if absent)."""
    out = np.full(world.partners, missing, dtype=np.float64)
    for code, archetype in enumerate(world.archetypes):
        rows = world.slices[code]
        if isinstance(value, dict):
            out[rows] = value.get(archetype, missing)
        else:
            out[rows] = value
    return out
