"""The design's form, generated from the scenario schema: one control per field of every lever.

A lever's fields say what they are (:func:`sim.report.labels.kind_of`): money,
a rate, weeks, a count, a choice or a switch, with their bounds and
description. :func:`controls` walks the design's levers (tiers, per-archetype
thresholds, nested sections) and lists a :class:`Control` per editable value,
so a new lever, or a new field of one, appears in the app with nothing to add.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.report.labels import Kind, bounds, choices, kind_of, members
from sim.scenario.program import Program

#: Fields the form leaves alone: what a lever is and whom it reaches are part of the scenario.
SKIPPED = {"type", "applies_to", "segments", "scorecard"}


@dataclass(frozen=True)
class Control:
    """One editable value of the design: its ``--set`` path, label, kind, value and limits."""

    path: str
    label: str
    kind: Kind
    value: Any
    group: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    options: list[Any] = field(default_factory=list)

    @property
    def optional(self) -> bool:
        """Whether the field may be left empty (``None``: no cap, no budget)."""
        return self.value is None


def _label(parts: list[str]) -> str:
    return " › ".join(p.replace("_", " ") for p in parts)


def _control(path: str, parts: list[str], info: FieldInfo, value: Any, group: str) -> Control:
    low, high = bounds(info)
    kind = kind_of(info)
    return Control(
        path=path,
        label=_label(parts),
        kind=kind,
        value=value,
        group=group,
        help=info.description or "",
        low=low,
        high=high,
        options=choices(info) if kind == "choice" else [],
    )


def _section(info: FieldInfo) -> bool:
    """Whether a field holds a nested section (an optional one left out is not a number)."""
    return any(isinstance(m, type) and issubclass(m, BaseModel) for m in members(info.annotation))


def _walk(model: BaseModel, path: str, parts: list[str], group: str) -> list[Control]:
    """Controls of every editable value of ``model`` (nested models and lists included)."""
    found: list[Control] = []
    for name, info in type(model).model_fields.items():
        if name in SKIPPED:
            continue
        value = getattr(model, name)
        here, label = f"{path}.{name}", [*parts, name]
        if isinstance(value, BaseModel):
            found += _walk(value, here, label, group)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for index, item in enumerate(value):
                title = getattr(item, "name", None) or f"{name} {index + 1}"
                found += _walk(item, f"{here}.{index}", [*parts, str(title)], group)
        elif isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
            found += [
                _control(f"{here}.{key}", [*label[:-1], f"{name} ({key})"], info, v, group)
                for key, v in value.items()
            ]
        elif isinstance(value, bool | int | float | str) or (value is None and not _section(info)):
            if name != "name" or not parts:
                found.append(_control(here, label, info, value, group))
    return found


def controls(program: Program, prefix: str = "design") -> list[Control]:
    """Every editable value of a program: its name, each lever's fields, its guardrails."""
    found = [
        _control(
            f"{prefix}.name", ["design name"], Program.model_fields["name"], program.name, "design"
        )
    ]
    for index, lever in enumerate(program.mechanics):
        group = f"{index + 1}. {str(getattr(lever, 'type', 'lever')).replace('_', ' ')}"
        found += _walk(lever, f"{prefix}.mechanics.{index}", [], group)
    found += _walk(program.guardrails, f"{prefix}.guardrails", [], "guardrails")
    return found
