"""docs/pilot.md documents every field of the `pilot:` section, and only real ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.pilot import spec as schema

PILOT_MD = Path(__file__).resolve().parents[1] / "docs" / "pilot.md"
MODELS = (
    schema.PilotSpec,
    schema.Eligibility,
    schema.Assignment,
    schema.Interim,
    schema.Planning,
    schema.Matrix,
    schema.Factor,
    schema.Level,
)


def section_rows(model: type[BaseModel]) -> dict[str, str]:
    """First cell -> the whole row, for the table under the heading naming ``model``."""
    lines = PILOT_MD.read_text(encoding="utf-8").splitlines()
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith("#") and f"`{model.__name__}`" in line
        ),
        None,
    )
    assert start is not None, f"docs/pilot.md has no heading naming `{model.__name__}`"
    rows: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        match = re.match(r"\|\s*`([a-z_]+)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_row(model: type[BaseModel]) -> None:
    rows = section_rows(model)
    assert set(rows) == set(model.model_fields), (
        f"docs/pilot.md, {model.__name__}: missing {set(model.model_fields) - set(rows)}, "
        f"stale {set(rows) - set(model.model_fields)}"
    )


def test_numeric_defaults_are_the_code_defaults() -> None:
    rows = section_rows(schema.PilotSpec)
    for name in ("weeks", "pre_weeks", "alpha", "power", "simulations"):
        default = schema.PilotSpec.model_fields[name].default
        cells = [c.strip() for c in rows[name].strip("|").split("|")]
        assert cells[2].startswith(f"{default:g}"), (name, cells[2], default)
