"""The program a scenario describes: levers, what every lever's YAML has in common, guardrails.

A program is a list of mechanics plus guardrails. Every mechanic is one YAML
mapping picked by its ``type:`` (see :mod:`sim.scenario.registry`) and may be
restricted to some partners with ``applies_to`` (archetypes) and ``segments``
(size bands, regions, maturity). Money is in dollars, time in weeks; "per
archetype" values are one number or a mapping ``{reseller: .., integrator:
.., alliance: ..}``. ``docs/scenarios.md`` is the reference; ``docs/model.md``
explains what each lever does.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    PlainValidator,
    SerializeAsAny,
    field_validator,
    model_validator,
)

from agents import ARCHETYPES
from sim.scenario.calendar import Period
from sim.scenario.fields import (
    MAX_ITEMS,
    SUBFIELD,
    Money,
    Name,
    PerArchetype,
    Rate,
    Strict,
    for_archetype,
    known_archetypes,
)
from sim.scenario.registry import lever_tags, register_schema, schema_for

__all__ = ["Period"]


class Segments(Strict):
    """Which partners, beyond archetype, a lever reaches; empty means all."""

    size_bands: list[str] | None = Field(None, description="size bands, e.g. [large]")
    regions: list[str] | None = Field(None, description="regions, e.g. [emea]")
    maturity: Literal["new", "established"] | None = Field(None, description="new or established")


class Lever(Strict):
    """Fields every mechanic has: who it applies to.

    A subclass with a ``type`` literal field is a lever a scenario can name:
    defining it registers its tags (:mod:`sim.scenario.registry`).
    """

    #: A small mapping of this lever at work (the contract tests run it; docs show it).
    example: ClassVar[Mapping[str, Any]] = {}

    applies_to: list[str] | None = Field(None, description="archetypes reached (default all)")
    segments: Segments | None = Field(None, description="segments reached (default all)")

    _check_applies = field_validator("applies_to")(known_archetypes)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Register the lever's ``type:`` tags, once pydantic has built its fields."""
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("type")
        if field is not None and typing.get_origin(field.annotation) is Literal:
            register_schema(cls, typing.get_args(field.annotation))

    def missing_archetypes(self, archetypes: Sequence[str]) -> str | None:
        """Why this lever lacks a per-archetype value it needs for ``archetypes``, if it does.

        ``archetypes`` are those the population holds; a lever needs values
        for those it applies to. Returns ``"@sub.field: expected ..."`` or ``None``.
        """
        return None

    def reached(self, archetypes: Sequence[str]) -> list[str]:
        """Which of ``archetypes`` this lever applies to."""
        return [a for a in archetypes if self.applies_to is None or a in self.applies_to]


class Scorecard(Strict):
    """Points for a points-measured lever: a weighted scorecard of partner outcomes."""

    revenue: float = Field(1.0, ge=0, description="points per $1,000 of revenue")
    certifications: float = Field(0.0, ge=0, description="points per certification earned")
    registered_deals: float = Field(0.0, ge=0, description="points per registered deal")
    co_marketing: float = Field(
        0.0, ge=0, description="points per $1,000 of co-marketing (MDF-funded) spend"
    )


class Measured(Lever):
    """A lever judged on a period measure: revenue, or points from a scorecard."""

    period: Period = Field("quarter", description="evaluation period")
    measure: Literal["revenue", "points"] = Field("revenue", description="what is measured")
    scorecard: Scorecard | None = Field(None, description="points weights (measure: points)")

    @model_validator(mode="after")
    def _scorecard_for_points(self) -> Measured:
        if self.measure == "points" and self.scorecard is None:
            raise ValueError(f"{SUBFIELD}scorecard: expected a scorecard when measure is points")
        return self


def check_increasing(thresholds: list[PerArchetype], label: str) -> None:
    """Thresholds of a ladder must increase, for every archetype they name."""
    named = {a for t in thresholds if isinstance(t, dict) for a in t}
    for archetype in [a for a in ARCHETYPES if a in named] or [""]:
        try:
            values = [for_archetype(t, archetype) for t in thresholds]
        except KeyError:
            continue  # an archetype some tiers leave out: see ``missing_thresholds``
        for index, (lower, upper) in enumerate(zip(values, values[1:], strict=False)):
            if upper <= lower:
                who = f" for {archetype}" if archetype else ""
                raise ValueError(
                    f"{SUBFIELD}{label}s.{index + 1}.threshold: expected thresholds that "
                    f"increase; got {upper:g} after {lower:g}{who}"
                )


def missing_thresholds(
    thresholds: list[PerArchetype], archetypes: Iterable[str], label: str
) -> str | None:
    """The first tier without a threshold for one of ``archetypes``, as a sub-field message."""
    for archetype in archetypes:
        for index, threshold in enumerate(thresholds):
            if isinstance(threshold, dict) and archetype not in threshold:
                return (
                    f"{SUBFIELD}{label}s.{index}.threshold: expected a threshold for "
                    f"{archetype!r}, which the population holds and the lever reaches"
                )
    return None


def _mechanic(value: Any) -> Lever:
    """A mechanic's mapping validated by the schema its ``type:`` names."""
    if isinstance(value, Lever):
        return value
    tag = value.get("type") if isinstance(value, Mapping) else None
    schema = schema_for(tag) if isinstance(tag, str) else None
    if schema is None:
        raise ValueError(f"unknown mechanic type; expected one of {lever_tags()}")
    return typing.cast(Lever, schema.model_validate(value))


#: One mechanic of a program: any registered lever, picked by its ``type:``.
Mechanic = Annotated[SerializeAsAny[Lever], PlainValidator(_mechanic)]


class Deferral(Strict):
    """Part of every payout held back and paid later; forfeited if the partner churns."""

    share: Rate = Field(description="share of each payout deferred")
    periods: Annotated[int, Field(ge=1)] = Field(1, description="quarters until it vests")


class Guardrails(Strict):
    """Program-wide limits on rewards."""

    budget: Money | None = Field(None, description="total rewards over the horizon; accruals stop")
    deferral: Deferral | None = Field(None, description="deferred share of payouts")
    clawback: bool = Field(False, description="claw back rewards paid on returned deals")


class ProgramChange(Strict):
    """The program as it changed at a given week: new mechanics, the same guardrails."""

    week: Annotated[int, Field(ge=1)] = Field(description="first week of the new mechanics")
    mechanics: list[Mechanic] = Field(
        default_factory=list, description="the program's mechanics from that week on"
    )


class Program(Strict):
    """A partner program: the rules that turn outcomes into rewards, plus nudges.

    ``changes`` lets the program change during the horizon (a ladder introduced
    in week 52, say): from each change's week on, its mechanics replace the
    ones before, built afresh (periods count from week 0 as always); the
    guardrails, and what they hold (budget spent, deferred rewards), carry on.
    """

    name: Name = Field("program", description="label used in tables and plots")
    # Each mechanic is validated strictly by the schema its ``type:`` names; the list itself
    # takes YAML mappings, from a file or from Python (``Program(mechanics=[{...}])``).
    mechanics: list[Mechanic] = Field(
        default_factory=list,
        strict=False,
        max_length=MAX_ITEMS,
        description="components, any order",
    )
    guardrails: Guardrails = Field(default_factory=Guardrails)
    changes: list[ProgramChange] = Field(
        default_factory=list, description="later mechanics, by the week they start"
    )

    @model_validator(mode="after")
    def _changes_in_order(self) -> Program:
        weeks = [change.week for change in self.changes]
        for index, (before, after) in enumerate(zip(weeks, weeks[1:], strict=False)):
            if after <= before:
                raise ValueError(
                    f"{SUBFIELD}changes.{index + 1}.week: expected weeks that increase; "
                    f"got {after} after {before}"
                )
        return self

    def stages(self) -> list[tuple[int, Program]]:
        """``(first week, program)`` of each stage: the program, then each change, in order."""
        first = self.model_copy(update={"changes": []})
        later = [
            (change.week, first.model_copy(update={"mechanics": change.mechanics}))
            for change in self.changes
        ]
        return [(0, first), *later]

    def final(self) -> Program:
        """The program as it stands after its last change (itself without changes)."""
        return self.stages()[-1][1]

    def missing_archetypes(self, archetypes: Sequence[str]) -> str | None:
        """The first mechanic lacking a per-archetype value for the population, as a message."""
        for (_, stage), prefix in zip(
            self.stages(),
            ["", *(f"changes.{i}." for i in range(len(self.changes)))],
            strict=True,
        ):
            for index, lever in enumerate(stage.mechanics):
                missing = lever.missing_archetypes(lever.reached(archetypes))
                if missing is not None:
                    return f"{SUBFIELD}{prefix}mechanics.{index}.{missing.removeprefix(SUBFIELD)}"
        return None
