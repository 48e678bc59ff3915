"""What every section of a scenario shares: strict models, rates, money, names, archetype values.

Sections are strict: a count is an integer (``true`` and ``"5"`` are not),
a number is finite, and unknown keys are errors. "Per archetype" values are
one number for every archetype or a mapping ``{reseller: .., integrator: ..,
alliance: ..}``; archetype names are checked against the archetype registry
when a scenario is validated, so an archetype registered after import is known.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agents import ARCHETYPES

#: A validator message that starts with this marker names a sub-field first:
#: ``"@tiers.2.threshold: expected ..."``; error reports append it to the path.
SUBFIELD = "@"

#: The largest size of any number in a scenario (a trillion): money, weeks, counts and seeds.
MAX_NUMBER = 10**12
#: Longest name (of a scenario, a program, a tier).
MAX_NAME = 200
#: Most items of a list that multiplies the work (mechanics, tiers, pilot arms and sizes).
MAX_ITEMS = 100
#: Shares that must sum to 1 (regions, size bands) may miss it by this much.
SHARE_TOLERANCE = 1e-3

Rate = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]
PerArchetype = Money | dict[str, Money]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, types strict, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty name")
    if len(value) > MAX_NAME:
        raise ValueError(f"expected a name of at most {MAX_NAME} characters")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("expected a name without control characters (newlines, tabs, NUL)")
    return value


#: A name shown in tables, reports and folder names: text on one line.
Name = Annotated[str, AfterValidator(_name)]


def plain_values(value: Any, path: str = "") -> None:
    """Check every number under ``value`` is finite and within :data:`MAX_NUMBER`, text has no NUL.

    Applied to a whole scenario before its sections are validated, the tool
    sections (``search``, ``pilot``, ``sensitivity``) included, so a value
    that would overflow later is refused at load time, with its field path.

    Raises:
        ValueError: a sub-field message (``"@path: expected ..."``).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            plain_values(key, path)
            plain_values(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            plain_values(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not (abs(value) <= MAX_NUMBER):  # False for NaN too; ints of any size compare
            raise ValueError(f"{SUBFIELD}{path}: expected a finite number between -10^12 and 10^12")
    elif isinstance(value, str) and "\0" in value:
        raise ValueError(f"{SUBFIELD}{path}: expected text without NUL bytes")


def shares(values: dict[str, float]) -> dict[str, float]:
    """Shares that sum to 1, within :data:`SHARE_TOLERANCE` (the world uses them normalized)."""
    total = sum(values.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"expected shares that sum to 1, got a sum of {total:g}")
    return values


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
