"""Reading scenario files: YAML, ``extends:`` inheritance, ``--set`` overrides, clear errors.

Every failure raises :class:`~sim.errors.ScenarioError`, which names the file, the field
path and what was expected, in one line, so the command line can print it and
exit with code 2.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.fields import SUBFIELD
from sim.scenario.schema import Scenario


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: ``dotted.key=value`` strings applied after inheritance; values
            are parsed as YAML (``0.03``, ``true``, ``[1, 2]``).

    Raises:
        ScenarioError: the file is missing or malformed, or a value is invalid.
    """
    path = Path(path)
    raw = _resolve(path, chain=())
    raw.setdefault("name", path.stem)
    file_raw = copy.deepcopy(raw)
    set_paths: dict[str, str] = {}
    for item in overrides:
        key, value = parse_override(item)
        apply_override(raw, key, value)
        set_paths[key] = item
    if not set_paths:
        return validate_scenario(raw, source=str(path))
    try:
        return Scenario.model_validate(raw)
    except ValidationError:
        # Blame the file if it is invalid on its own; otherwise an override broke it.
        validate_scenario(file_raw, source=str(path))
        return validate_scenario(raw, source=str(path), set_paths=set_paths)


def with_overrides(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """``scenario`` with ``dotted.key=value`` overrides applied and validated (as ``--set``)."""
    items = list(overrides)
    if not items:
        return scenario
    raw = scenario.model_dump()
    set_paths: dict[str, str] = {}
    for item in items:
        key, value = parse_override(item)
        apply_override(raw, key, value)
        set_paths[key] = item
    return validate_scenario(raw, source=scenario.name, set_paths=set_paths)


def validate_scenario(
    raw: Mapping[str, Any], source: str, set_paths: Mapping[str, str] | None = None
) -> Scenario:
    """Validate a merged scenario dict; errors name ``source``.

    With ``set_paths`` (key -> ``--set`` item), the overrides are known to be
    at fault and the error names the one nearest the failing field.
    """
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        # The most specific error first: in a union (a number or a mapping per archetype),
        # the branch that got furthest names the field at fault.
        first = max(error.errors(), key=lambda e: len(field_path(e["loc"]).split(".")))
        field = field_path(first["loc"])
        expected = _expected(first)
        if expected.startswith(SUBFIELD):
            sub, _, expected = expected[len(SUBFIELD) :].partition(": ")
            field = f"{field}.{sub}" if field else sub
        blamed = source
        if set_paths:
            key = max(set_paths, key=lambda k: _shared_prefix(k, field))
            blamed = f"--set {set_paths[key]}"
        more = error.error_count() - 1
        if more:
            expected += f" (and {more} more error{'s' if more > 1 else ''})"
        raise ScenarioError(blamed, field, expected) from None


def _shared_prefix(key: str, field: str) -> int:
    """How many leading dotted parts two paths share."""
    count = 0
    for a, b in zip(key.split("."), field.split("."), strict=False):
        if a != b:
            break
        count += 1
    return count


def field_path(loc: Iterable[str | int]) -> str:
    """A pydantic error location as a dotted path, without union member names."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and _is_union_member(p))]
    return ".".join(parts)


def _is_union_member(part: str) -> bool:
    """Pydantic puts union member names in locations (``constrained-float``, ``dict[...]``)."""
    return not part.replace("_", "a").isalnum()


def _expected(error: Mapping[str, Any]) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    message = message.removeprefix("Value error, ")
    if message.startswith(SUBFIELD):
        return message
    if "input" in error and kind not in {"value_error", "assertion_error"}:
        message += f" (got {error['input']!r})"
    return message[0].lower() + message[1:] if message else kind


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except OSError as error:
        raise ScenarioError(str(path), "", f"cannot be read ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ScenarioError(str(path), where, f"YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "", "expected a mapping of scenario fields at the top level")
    return data


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The file's mapping merged onto its ``extends:`` parent, recursively."""
    resolved = path.resolve()
    if resolved in chain:
        raise ScenarioError(str(path), "extends", "circular inheritance")
    data = _read_yaml(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise ScenarioError(str(path), "extends", "expected the path of another scenario file")
    parent_path = path.parent / parent_name
    if not parent_path.exists():
        raise ScenarioError(str(path), "extends", f"file not found: {parent_path}")
    parent = _resolve(parent_path, (*chain, resolved))
    parent.pop("name", None)
    parent.pop("description", None)
    return deep_merge(parent, data)


def deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` laid over ``base``: mappings merge key by key, anything else replaces.

    A mapping with integer keys laid over a list updates the items at those
    indices (``mechanics: {0: {basis: marginal}}`` changes one field of the
    first mechanic and keeps the rest).
    """
    merged = copy.deepcopy(base)
    for key, value in top.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict):
            merged[key] = deep_merge(old, value)
        elif isinstance(value, Mapping) and isinstance(old, list) and _indexed(value, len(old)):
            merged[key] = [
                deep_merge(item, value[i])
                if i in value and isinstance(item, dict)
                else copy.deepcopy(value.get(i, item))
                for i, item in enumerate(old)
            ]
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _indexed(update: Mapping[Any, Any], length: int) -> bool:
    return bool(update) and all(isinstance(k, int) and 0 <= k < length for k in update)


def parse_override(item: str) -> tuple[str, Any]:
    """Split ``dotted.key=value``; the value is read as YAML."""
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ScenarioError("--set", item, "expected dotted.key=value")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    return key.strip(), value


def apply_override(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``raw[dotted.key] = value``, creating mappings on the way; list items by index."""
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    f"--set {key}", where, f"expected a list index below {len(node)}"
                )
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
        else:
            raise ScenarioError(f"--set {key}", where, "cannot set a key inside a plain value")
        if last:
            node[index] = value
        else:
            if isinstance(node, dict) and index not in node:
                node[index] = {}
            node = node[index]
