"""What every section of a scenario shares: strict models, rates, money and per-archetype values.

"Per archetype" values are one number for every archetype or a mapping
``{reseller: .., integrator: .., alliance: ..}``; archetype names are checked
against the archetype registry when a scenario is validated, so an
archetype registered after import is known.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from agents import ARCHETYPES

#: A validator message that starts with this marker names a sub-field first:
#: ``"@tiers.2.threshold: expected ..."``; error reports append it to the path.
SUBFIELD = "@"

Rate = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]
PerArchetype = Money | dict[str, Money]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def known_archetypes(names: Any) -> Any:
    """Validate archetype names (a list, or the keys of a mapping) against the registry."""
    for name in names or []:
        if name not in ARCHETYPES:
            raise ValueError(f"unknown archetype {name!r}; expected one of {sorted(ARCHETYPES)}")
    return names


def per_archetype_names(value: Any) -> Any:
    """Validate the archetype names of a per-archetype value (a number passes as it is)."""
    return known_archetypes(value) if isinstance(value, dict) else value


def for_archetype(value: float | dict[str, float], archetype: str) -> float:
    """The value of a per-archetype field for one archetype (``KeyError`` if absent)."""
    return value[archetype] if isinstance(value, dict) else value
