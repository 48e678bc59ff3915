"""Scenario fields for people: readable names of dotted paths, values in their units, design names.

The scenario schema knows what each field is: its description, its type and
its bounds. :func:`field_at` finds a path's field; :func:`kind_of` says whether
it is money, a rate, a number of weeks, a count, a choice or a switch;
:func:`path_label` and :func:`value_text` turn ``design.mechanics.0.tiers.1.rate``
and ``0.008377087771078784`` into "tiered rebate › silver tier › rate" and
"0.84%". The optimize report and the app both read fields this way.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from agents.params import PartnerParams
from sim.scenario.program import Lever, Program

Kind = Literal["money", "rate", "weeks", "count", "number", "choice", "flag", "text"]
#: Period names as adjectives.
PERIODS = {"quarter": "quarterly", "year": "annual"}
#: Optuna parameter suffixes of ``optimize`` that are not scenario fields: (suffix, label).
TUNED = {"threshold_step": "step up from the tier below", "enabled": "switched on"}


@dataclass(frozen=True)
class Found:
    """A scenario field found at a dotted path: its schema, value and where it sits."""

    info: FieldInfo
    value: Any
    names: list[str]  # readable names of the path's parts, outermost first


def _part_name(node: Any, part: str) -> str:
    """How a person names one step of a path: a lever by its type, a tier by its name."""
    if isinstance(node, Lever):
        return str(getattr(node, "type", type(node).__name__)).replace("_", " ")
    name = getattr(node, "name", None)
    if isinstance(name, str) and "tier" in type(node).__name__.lower():
        return f"{name} tier"
    return part.replace("_", " ")


def field_at(model: BaseModel, path: str) -> Found:
    """The field at ``path`` (``design.mechanics.0.tiers.1.threshold.reseller``) of ``model``.

    Raises:
        KeyError: no field has that path.
    """
    node: Any = model
    info: FieldInfo | None = None
    names: list[str] = []
    for part in path.split("."):
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                raise KeyError(path)
            info, node = fields[part], getattr(node, part)
            names.append(part.replace("_", " "))
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            names[-1:] = [_part_name(node, part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
            names[-1] += f" ({part})"
        else:
            raise KeyError(path)
    if info is None:
        raise KeyError(path)
    return Found(info, node, names)


def members(annotation: Any) -> list[Any]:
    """The types a field's annotation admits (the members of a union, else itself)."""
    if typing.get_origin(annotation) in (typing.Union, type(int | str)):
        return [m for m in typing.get_args(annotation) if m is not type(None)]
    return [annotation]


def bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    """The lowest and highest value the schema allows (``None``: unbounded)."""
    low = high = None
    metadata = list(info.metadata)
    for member in members(info.annotation):
        metadata += [m for m in getattr(member, "__metadata__", ()) if m not in metadata]
        for arg in typing.get_args(member):
            metadata += list(getattr(arg, "metadata", ()))
    for item in metadata:
        if isinstance(item, Ge | Gt):
            low = float(item.ge if isinstance(item, Ge) else item.gt)  # type: ignore[arg-type]
        if isinstance(item, Le | Lt):
            high = float(item.le if isinstance(item, Le) else item.lt)  # type: ignore[arg-type]
    return low, high


def kind_of(info: FieldInfo) -> Kind:
    """What a field holds, from its schema: money, a rate, weeks, a count, a choice, a switch."""
    first = members(info.annotation)[0]
    base = typing.get_origin(first) or first
    description = (info.description or "").lower()
    if base is bool:
        return "flag"
    if base is Literal:
        return "choice"
    if base is str:
        return "text"
    if base is int:
        return "weeks" if "week" in description and "per week" not in description else "count"
    if bounds(info) == (0.0, 1.0):
        return "rate"
    return "money" if "$" in description else "number"


def choices(info: FieldInfo) -> list[Any]:
    """The values a choice field allows."""
    return list(typing.get_args(members(info.annotation)[0]))


def value_text(kind: Kind, value: Any) -> str:
    """A value as a person reads it: ``$12,300``, ``0.84%``, ``4 weeks``, ``on``."""
    if value is None:
        return "none"
    if isinstance(value, bool) or kind == "flag":
        return "on" if value else "off"
    if kind == "money":
        return f"{'-' if value < 0 else ''}${abs(value):,.0f}"
    if kind == "rate":
        return f"{100 * value:.2f}%"
    if kind == "weeks":
        return f"{value:g} weeks"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def tuned_label(scenario: BaseModel, name: str) -> tuple[str, Kind]:
    """A tuned parameter's readable name and kind (Optuna names of ``optimize`` included)."""
    parts = name.split(".")
    for suffix, label in TUNED.items():
        if suffix in parts:
            at = parts.index(suffix)
            if suffix == "enabled":
                lever = field_at(scenario, ".".join(parts[:at])).value
                return f"{_part_name(lever, '')}: {label}", "flag"
            found = field_at(scenario, ".".join([*parts[:at], "threshold", *parts[at + 1 :]]))
            names = [n.replace("threshold", label, 1) for n in found.names]
            return _joined(names), "money"
    found = field_at(scenario, name)
    return _joined(found.names), kind_of(found.info)


def behaviour_label(path: str) -> tuple[str, Kind]:
    """A fitted parameter's readable name and kind.

    ``behaviour.reseller.deal_size`` is "reseller › deal size", money.
    """
    _, archetype, name = path.split(".")
    info = PartnerParams.model_fields[name]
    return f"{archetype} › {name.replace('_', ' ')}", kind_of(info)


def _joined(names: list[str]) -> str:
    """Readable path parts joined, without the leading "design" every tuned field has."""
    return " › ".join(names[1:] if names[:1] == ["design"] and len(names) > 1 else names)


def describe_program(program: Program, start: Program | None = None) -> str:
    """A program's levers in a few words, for a design's name.

    For example "4-tier quarterly marginal tiered rebate + email every 3
    weeks"; with ``start``, levers it no longer has are named ("no email").
    """
    phrases = []
    for lever in program.mechanics:
        words = [str(getattr(lever, "type", "lever")).replace("_", " ")]
        tiers = getattr(lever, "tiers", None)
        basis = getattr(lever, "basis", None)
        if isinstance(basis, str):
            words.insert(0, basis)
        period = getattr(lever, "period", None)
        if isinstance(period, str):
            words.insert(0, PERIODS.get(period, period))
        if isinstance(tiers, list):
            words.insert(0, f"{len(tiers)}-tier")
        every = getattr(lever, "every_weeks", None)
        if isinstance(every, int):
            words.append(f"every {every} week{'s' if every != 1 else ''}")
        phrases.append(" ".join(words))
    text = " + ".join(phrases) or "no levers"
    if start is not None:
        kept = {getattr(lever, "type", None) for lever in program.mechanics}
        dropped = [
            str(t).replace("_", " ")
            for t in dict.fromkeys(getattr(lever, "type", None) for lever in start.mechanics)
            if t not in kept
        ]
        text += "".join(f", no {name}" for name in dropped)
    return text
