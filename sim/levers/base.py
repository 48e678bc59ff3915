"""The run-time component of a lever: what every lever does each week, by default nothing.

A program is a list of components built from its levers
(:mod:`sim.levers.build`). Each week the engine calls the hooks of every
component, in the order of the phases (:mod:`sim.engine.phases`, written
out in ``docs/model.md``):

1. ``boost``: add this week's modifiers (win rate, deal size, flow, effort);
2. ``signal_parts``: the expected extra reward, in dollars, of one more
   dollar of revenue from this week's effort;
3. ``record``: accrue this week's outcomes;
4. ``settle``: rewards due now (before guardrails); ``costs``: program
   costs that are not rewards (contacts, training, processing);
5. ``engagement_shock``: a factor on engagement after settlement (near
   misses, demotions).

A lever overrides the hooks it needs. What only some levers do is a *role*
(:mod:`sim.levers.roles`): a component declares it by inheriting it, and the
engine finds the components that play a role by that, never by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from sim.levers.effects import Boosts, Outcome, Outlook, Projection
from sim.scenario.calendar import weeks_left
from sim.scenario.program import Lever
from sim.world.streams import Distribution
from sim.world.world import World

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A signal given on spans of rows: (rows, the values of those rows); zero elsewhere.
SignalParts = list[tuple[slice, FloatArray]]


class Component:
    """A lever at run time, for the partners of its audience. Hooks return ``None`` for nothing.

    Args:
        spec: the lever's validated YAML.
        world: the (possibly stacked) world it runs in.
        audience: the partners it reaches.
    """

    #: Random purposes this lever makes a run draw (name -> distribution).
    purposes: ClassVar[Mapping[str, Distribution]] = {}
    #: Roles of other components of its program this one reads (see :meth:`link`); the
    #: program builds it after them.
    reads: ClassVar[tuple[type, ...]] = ()

    def __init__(self, spec: Lever, world: World, audience: BoolArray) -> None:
        self.spec = spec
        self.world = world
        self.eligible = audience
        self._in_period: dict[int, list[tuple[slice, float]]] = {}  # by weeks left
        self._whole: dict[slice, bool] = {}  # whether a span lies wholly in the audience

    @classmethod
    def implied(cls, components: Sequence[Component]) -> Lever | None:
        """A lever of this kind that a program with ``components`` needs without listing it."""
        return None

    def link(self, others: Sequence[Component]) -> None:
        """Take what it reads from the program's other components (those playing :attr:`reads`)."""

    # -- weekly hooks ---------------------------------------------------------------------
    def observe(self, week: int, outlook: Outlook) -> None:
        """Note what partners expect this week (what a period is set to pay, say)."""

    def boost(self, week: int, boosts: Boosts) -> None:
        """Add this component's modifiers for the week."""

    def signal_parts(self, outlook: Outlook) -> SignalParts | None:
        """Expected reward per extra dollar of revenue from this week's effort, on spans of rows.

        Zero outside the spans given (``None``: no signal). A lever whose
        signal is zero outside its audience gives its spans only, so the
        rest of the rows cost nothing.
        """
        return None

    def record(self, week: int, outcome: Outcome) -> None:
        """Accrue this week's outcomes."""

    def settle(self, week: int, final: bool) -> FloatArray | None:
        """Rewards earned now, before guardrails (``final``: the horizon's last week)."""
        return None

    def costs(self, week: int) -> FloatArray | None:
        """Program costs this week that are not rewards to partners."""
        return None

    def engagement_shock(self) -> FloatArray | None:
        """A factor on each partner's engagement after this week's settlement (near misses)."""
        return None

    def tier_history(self) -> list[npt.NDArray[np.int64]] | None:
        """Tier level of each partner after each evaluation (0 = none), if the lever has tiers."""
        return None

    # -- helpers for the audience's spans ---------------------------------------------------
    def signal(self, outlook: Outlook) -> FloatArray:
        """:meth:`signal_parts` laid over every row (zero elsewhere)."""
        out = np.zeros(self.world.partners)
        for rows, value in self.signal_parts(outlook) or ():
            out[rows] = value
        return out

    @functools.cached_property
    def spans(self) -> list[slice]:
        """Spans of rows of one archetype with partners in the audience (``Layout.spans``)."""
        return self.world.layout.spans(self.eligible)

    def on_spans(
        self, compute: Callable[[slice], npt.NDArray[Any]], dtype: type = np.float64
    ) -> npt.NDArray[Any]:
        """``compute(rows)`` on each span of the audience (:attr:`spans`), 0 elsewhere.

        For what is zero outside the audience: the rest of the rows cost nothing.
        """
        out: npt.NDArray[Any] = np.zeros(self.world.partners, dtype=dtype)
        for rows in self.spans:
            out[rows] = compute(rows)
        return out

    def audience_only(self, rows: slice, value: FloatArray) -> FloatArray:
        """``value`` of the span ``rows``, zero for its partners outside the audience."""
        if rows not in self._whole:
            self._whole[rows] = bool(self.eligible[rows].all())
        return value if self._whole[rows] else np.where(self.eligible[rows], value, 0.0)

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
        shares. For every partner, or for ``rows``, one span of the world's
        rows (``measure`` stays every partner's). Computed once per week per
        component (or per period length for revenue) and rows, since effort
        signals and near-threshold targeting all need it.
        """
        key = ("revenue", period_weeks, rows) if weight is None else (id(self), rows)
        seen = outlook.projections.get(key)
        if seen is None:
            left = weeks_left(outlook.week, period_weeks)
            open_mean, open_var = outlook.pipeline_until(outlook.week + left, rows)
            this_week, later = self.world.closing_shares(left, rows)
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

    def closing_in_period(self, week: int, period_weeks: int) -> list[tuple[slice, float]]:
        """This component's spans where this week's new deals can close within the period.

        Each with the share of them that does (a span shares its archetype's cycles).
        """
        left = weeks_left(week, period_weeks)
        if left not in self._in_period:
            shares = [self.world.closing_shares(left, rows)[0] for rows in self.spans]
            closing = zip(self.spans, shares, strict=True)
            self._in_period[left] = [(rows, float(s)) for rows, s in closing if s > 0]
        return self._in_period[left]


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
