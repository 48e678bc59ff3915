"""The documentation stays true to the code.

* ``docs/model.md``: every behavioural parameter of :class:`agents.PartnerParams`
  has a table row with the default of every archetype, the shared
  ``PartnerParams`` default and the allowed range; every such row agrees with
  the code.
* ``docs/scenarios.md``: every field of every scenario section has a row in its
  section's table, with its default and allowed range; the behaviour table
  lists every parameter with each archetype's default; every shipped scenario
  file is listed.

Adding a parameter or a field without documenting it, or changing a default or
a bound without updating the docs, fails here.
"""

from __future__ import annotations

import math
import re
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types as at
import pytest
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from agents import ARCHETYPES, PartnerParams
from sim.scenario import registry, schema
from sim.scenario.program import Lever

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = ROOT / "docs" / "model.md"
SCENARIOS_MD = ROOT / "docs" / "scenarios.md"
#: Sections that must always be found (guards the discovery against finding nothing).
CORE_SECTIONS = ("Scenario", "Population", "Market", "Seasonality", "Shock", "Program")
NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


# -- the scenario schema --------------------------------------------------------------
def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models inside a type annotation (unions, lists, dicts, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
    return found


def section_models() -> list[type[BaseModel]]:
    """Every section model reachable from ``Scenario`` and every registered lever's schema.

    The behaviour parameters have their own tables. New sections and levers
    are found automatically, so they must be documented.
    """
    seen: list[type[BaseModel]] = []
    levers = [registry.schema_for(tag) for tag in registry.lever_tags()]
    todo: list[type[BaseModel]] = [schema.Scenario, *dict.fromkeys(m for m in levers if m)]
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo += _models_in(info.annotation)
    return [m for m in seen if not issubclass(m, PartnerParams) and m is not Lever]


# -- reading markdown tables ------------------------------------------------------------
def cells(line: str) -> list[str]:
    """The cells of a markdown table row (no outer pipes, stripped)."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every table as (the heading above it, header cells, body rows)."""
    found, heading, lines = [], "", text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line
        if is_row(line) and i + 1 < len(lines) and set(lines[i + 1].strip()) <= set("|-: "):
            header = cells(line)
            body = []
            i += 2
            while i < len(lines) and is_row(lines[i]):
                body.append(cells(lines[i]))
                i += 1
            found.append((heading, header, body))
            continue
        i += 1
    return found


def name_of(cell: str) -> str:
    """A row's first cell without formatting: ``"`win_rate`"`` -> ``"win_rate"``."""
    return cell.strip().strip("`*").strip()


def first_number(cell: str) -> float | None:
    match = NUMBER.search(cell.replace("−", "-"))
    return float(match.group().replace(",", "")) if match else None


def compact(text: str) -> str:
    return re.sub(r"[\s,`]", "", text)


# -- rendering what the code says ------------------------------------------------------
def num(value: Any) -> str:
    """A number as the docs write it: thousands separators, no trailing zeros."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    return format(value, ",.12g")


def bounds(info: FieldInfo) -> str | None:
    """A field's numeric bounds in the docs' notation: ``[0, 1]``, ``(0, 4]``, ``> 0``, ``≥ 1``."""
    low = high = None
    for m in info.metadata:
        if isinstance(m, at.Ge):
            low = ("[", m.ge, "≥")
        elif isinstance(m, at.Gt):
            low = ("(", m.gt, ">")
        elif isinstance(m, at.Le):
            high = ("]", m.le, "≤")
        elif isinstance(m, at.Lt):
            high = (")", m.lt, "<")
    if low and high:
        return f"{low[0]}{num(low[1])}, {num(high[1])}{high[0]}"
    if low:
        return f"{low[2]} {num(low[1])}"
    if high:
        return f"{high[2]} {num(high[1])}"
    return None


def same_number(cell: str, expected: float) -> bool:
    found = first_number(cell)
    return found is not None and math.isclose(found, float(expected), rel_tol=1e-9, abs_tol=1e-12)


def resolved_defaults() -> dict[str, PartnerParams]:
    return {name: cls.params_model()() for name, cls in ARCHETYPES.items()}


# -- docs/model.md ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_tables() -> list[tuple[str, list[str], list[list[str]]]]:
    return tables(MODEL_MD.read_text(encoding="utf-8"))


def parameter_rows(
    found: list[tuple[str, list[str], list[list[str]]]], name: str
) -> list[tuple[list[str], list[str]]]:
    """(header, row) of every table row whose first cell is the parameter ``name``."""
    return [(header, row) for _, header, body in found for row in body if name_of(row[0]) == name]


def column(header: list[str], label: str) -> int:
    matches = [i for i, h in enumerate(header) if label in h.lower()]
    assert matches, f"no column {label!r} in table header {header}"
    return matches[0]


@pytest.mark.parametrize("name", list(PartnerParams.model_fields))
def test_model_card_gives_every_parameter_with_its_defaults(model_tables, name: str) -> None:
    rows = parameter_rows(model_tables, name)
    assert rows, f"docs/model.md has no table row for the parameter `{name}`"
    defaults = resolved_defaults()
    info = PartnerParams.model_fields[name]
    for header, row in rows:
        assert len(row) == len(header), f"`{name}`: row and header differ in length: {row}"
        for archetype, params in defaults.items():
            cell = row[column(header, archetype)]
            expected = getattr(params, name)
            assert same_number(cell, expected), (
                f"docs/model.md: `{name}` for {archetype} says {cell!r}; the code's default is "
                f"{num(expected)}"
            )
        shared = row[column(header, "partnerparams")]
        assert same_number(shared, info.default), (
            f"docs/model.md: `{name}` shared default says {shared!r}; PartnerParams has "
            f"{num(info.default)}"
        )
        expected_range = bounds(info)
        if expected_range:
            cell = row[column(header, "range")]
            assert compact(expected_range) in compact(cell), (
                f"docs/model.md: `{name}` range says {cell!r}; the code allows {expected_range}"
            )


def test_model_card_rows_name_only_real_parameters(model_tables) -> None:
    """A parameter table row for a removed or renamed parameter is stale."""
    for _, header, body in model_tables:
        if not any("partnerparams" in h.lower() for h in header):
            continue
        for row in body:
            assert name_of(row[0]) in PartnerParams.model_fields, (
                f"docs/model.md documents `{name_of(row[0])}`, which PartnerParams does not have"
            )


# -- docs/scenarios.md -------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenario_tables() -> list[tuple[str, list[str], list[list[str]]]]:
    return tables(SCENARIOS_MD.read_text(encoding="utf-8"))


def section_table(
    found: list[tuple[str, list[str], list[list[str]]]], model: type[BaseModel]
) -> tuple[list[str], list[list[str]]]:
    """The table under the heading that names the section model (``— `Population` ``)."""
    tag = f"`{model.__name__}`"
    matches = [(h, b) for heading, h, b in found if heading.startswith("#") and tag in heading]
    assert matches, f"docs/scenarios.md has no section heading naming {tag}"
    return matches[0]


def documented_default(info: FieldInfo) -> list[str] | float | None:
    """What the default cell must contain: strings to find, a number, or None (not checked)."""
    if info.is_required():
        return ["required"]
    value = info.get_default(call_default_factory=True)
    if value is None:
        return ["null"]
    if isinstance(value, BaseModel):
        return None
    if isinstance(value, dict) and any(isinstance(v, BaseModel) for v in value.values()):
        return None  # per-archetype sections (behaviour) have tables of their own
    if isinstance(value, dict):
        return [f"{key}: {num(v)}" for key, v in value.items()]
    if isinstance(value, list):
        return ["[]"] if not value else None
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, str):
        return [f'"{value}"']
    return float(value)


def test_section_discovery_finds_the_core_sections() -> None:
    names = {m.__name__ for m in section_models()}
    missing = [name for name in CORE_SECTIONS if name not in names]
    assert not missing, f"section models not found from Scenario: {missing}"


@pytest.mark.parametrize("model", section_models(), ids=lambda m: m.__name__)
def test_scenario_reference_gives_every_field(scenario_tables, model: type[BaseModel]) -> None:
    header, body = section_table(scenario_tables, model)
    rows = {name_of(row[0]): row for row in body}
    missing = [name for name in model.model_fields if name not in rows]
    assert not missing, f"docs/scenarios.md, {model.__name__}: no row for {missing}"
    stale = [name for name in rows if name not in model.model_fields]
    assert not stale, f"docs/scenarios.md, {model.__name__}: rows for unknown fields {stale}"
    default_col, allowed_col = column(header, "default"), column(header, "allowed")
    for name, info in model.model_fields.items():
        row = rows[name]
        expected = documented_default(info)
        cell = row[default_col]
        if isinstance(expected, float):
            assert same_number(cell, expected), (
                f"docs/scenarios.md: {model.__name__}.{name} default says {cell!r}; "
                f"the code has {num(expected)}"
            )
        elif expected is not None:
            for part in expected:
                assert compact(part).lower() in compact(cell).lower(), (
                    f"docs/scenarios.md: {model.__name__}.{name} default says {cell!r}; "
                    f"expected it to contain {part!r}"
                )
        expected_range = bounds(info)
        if expected_range:
            assert compact(expected_range) in compact(row[allowed_col]), (
                f"docs/scenarios.md: {model.__name__}.{name} allowed says {row[allowed_col]!r}; "
                f"the code allows {expected_range}"
            )


@pytest.mark.parametrize("name", list(PartnerParams.model_fields))
def test_scenario_reference_gives_every_behaviour_parameter(scenario_tables, name: str) -> None:
    header, body = section_table(scenario_tables, PartnerParams)
    rows = [row for row in body if name_of(row[0]) == name]
    assert rows, f"docs/scenarios.md: the behaviour table has no row for `{name}`"
    for archetype, params in resolved_defaults().items():
        cell = rows[0][column(header, archetype)]
        assert same_number(cell, getattr(params, name)), (
            f"docs/scenarios.md: behaviour.{archetype}.{name} says {cell!r}; the code's default "
            f"is {num(getattr(params, name))}"
        )


def test_scenario_reference_lists_every_shipped_scenario() -> None:
    text = SCENARIOS_MD.read_text(encoding="utf-8")
    shipped = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    missing = [name for name in shipped if f"`{name}`" not in text]
    assert not missing, f"docs/scenarios.md does not list the shipped scenarios {missing}"


def test_the_number_check_is_strict() -> None:
    """Guards the helpers: formatting is forgiven, a different value is not."""
    assert same_number("8,000", 8000.0)
    assert same_number("`0.004`", 0.004)
    assert same_number("26 (two quarters)", 26)
    assert not same_number("0.35", 0.3)
    assert not same_number("n/a", 1.0)
    assert bounds(Field(1.0, gt=0, le=4)) == "(0, 4]"
    assert bounds(Field(1, ge=1)) == "≥ 1"
    assert bounds(Field(0.5, ge=0, lt=1)) == "[0, 1)"
