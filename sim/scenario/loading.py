"""Reading scenario files: YAML, ``extends:`` inheritance, ``--set`` overrides, clear errors.

Every failure raises :class:`~sim.errors.ScenarioError`, which names the file, the field
path and what was expected, in one line, so the command line can print it and
exit with code 2. The file named is the one that holds the bad field: a
parent reached through ``extends:`` when the value came from it (its value is
then not repeated in the message), a ``--set`` when an override broke it.
Files are read by :mod:`sim.scenario.reading` (size, nesting and alias limits).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.fields import SUBFIELD
from sim.scenario.reading import MAX_DEPTH, read_yaml, yaml_value
from sim.scenario.schema import Scenario

#: A chain of scenario files, the named file first: (where it is, its own mapping).
Chain = Sequence[tuple[str, Mapping[str, Any]]]
#: Longest chain of ``extends:`` (a file, its parent, the parent's parent, ...).
MAX_EXTENDS = 32
#: What ``extends:`` may name: scenario files, nothing else.
SCENARIO_SUFFIXES = (".yaml", ".yml")


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
    chain = read_chain(path)
    raw = merge_chain(chain)
    raw.setdefault("name", path.stem)
    file_raw = copy.deepcopy(raw)
    set_paths: dict[str, str] = {}
    for item in overrides:
        key, value = parse_override(item)
        apply_override(raw, key, value)
        set_paths[key] = item
    if not set_paths:
        return validate_scenario(raw, source=str(path), chain=chain)
    try:
        return Scenario.model_validate(raw)
    except ValidationError:
        # Blame the file if it is invalid on its own; otherwise an override broke it.
        validate_scenario(file_raw, source=str(path), chain=chain)
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
    raw: Mapping[str, Any],
    source: str,
    set_paths: Mapping[str, str] | None = None,
    chain: Chain | None = None,
) -> Scenario:
    """Validate a merged scenario dict; errors name ``source``.

    With ``set_paths`` (key -> ``--set`` item), the overrides are known to be
    at fault and the error names the one nearest the failing field. With
    ``chain`` (the files ``raw`` was merged from, see :func:`read_chain`), the
    error names the file that holds the failing field, and repeats the value
    only if that is ``source`` itself.
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
        blamed, echo = source, True
        if set_paths:
            key = max(set_paths, key=lambda k: _shared_prefix(k, field))
            blamed = f"--set {set_paths[key]}"
        elif chain:
            held = holder(chain, field)
            blamed, echo = chain[held][0], held == 0
        if echo and "input" in first and first["type"] not in QUIET_ERRORS:
            expected += f" (got {_shown(first['input'])})"
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


#: Pydantic errors whose message says all there is: the value it got is not repeated.
QUIET_ERRORS = {"value_error", "assertion_error", "extra_forbidden", "missing"}


def _expected(error: Mapping[str, Any]) -> str:
    """What a pydantic error expected, without the value it got."""
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    message = message.removeprefix("Value error, ")
    if message.startswith(SUBFIELD):
        return message
    return message[0].lower() + message[1:] if message else kind


def _shown(value: Any) -> str:
    """A value as an error repeats it: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def read_chain(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each file of an ``extends:`` chain with its own mapping, the named file first.

    ``extends:`` names a regular ``.yaml`` or ``.yml`` file, relative to the
    file that holds it (or absolute); the ``extends`` key itself is removed.

    Raises:
        ScenarioError: a file cannot be read, ``extends:`` names something
            other than a scenario file, or the chain is circular or too long.
    """
    chain: list[tuple[str, dict[str, Any]]] = []
    seen: set[Path] = set()
    current = path
    while True:
        if len(chain) == MAX_EXTENDS:
            raise ScenarioError(str(current), "extends", f"expected at most {MAX_EXTENDS} files")
        data = read_yaml(current)
        seen.add(current.resolve())
        parent = data.pop("extends", None)
        chain.append((str(current), data))
        if parent is None:
            return chain
        if not isinstance(parent, str) or "\0" in parent or not parent.strip():
            raise ScenarioError(
                str(current), "extends", "expected the path of another scenario file"
            )
        following = current.parent / parent
        if following.suffix.lower() not in SCENARIO_SUFFIXES:
            raise ScenarioError(
                str(current), "extends", f"expected a .yaml or .yml scenario file, got {parent!r}"
            )
        if following.resolve() in seen:
            raise ScenarioError(str(current), "extends", "circular inheritance")
        if not os.path.exists(following):  # False for any path that cannot be looked up
            raise ScenarioError(str(current), "extends", f"file not found: {following}")
        current = following


def merge_chain(chain: Chain) -> dict[str, Any]:
    """The files of :func:`read_chain` laid over one another, the named file on top.

    Parents' ``name`` and ``description`` are not inherited.
    """
    merged: dict[str, Any] = {}
    for index, (_, data) in enumerate(reversed(chain)):
        merged.pop("name", None)
        merged.pop("description", None)
        merged = deep_merge(merged, data) if index else copy.deepcopy(dict(data))
    return merged


def holder(chain: Chain, field: str) -> int:
    """Which file of an ``extends:`` chain (by index, named file 0) holds ``field``.

    The file that reaches deepest along the field's path holds it (the named
    file on a tie). A list or a plain value replaces what parents had under
    its path, so parents do not reach below one.
    """
    parts = field.split(".") if field else []
    best, best_depth, cap = 0, -1, len(parts)
    for index, (_, data) in enumerate(chain):
        depth, replaced = _reach(data, parts)
        if min(depth, cap) > best_depth:
            best, best_depth = index, min(depth, cap)
        if replaced is not None:
            cap = min(cap, replaced - 1)
    return best


def _reach(data: Mapping[str, Any], parts: Sequence[str]) -> tuple[int, int | None]:
    """How many leading ``parts`` a file's mapping holds, and after how many a non-mapping."""
    node: Any = data
    replaced: int | None = None
    for depth, part in enumerate(parts):
        if isinstance(node, dict):
            key: Any = int(part) if part.isdigit() and int(part) in node else part
            if key not in node:
                return depth, replaced
            node = node[key]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return depth, replaced
        if replaced is None and not isinstance(node, dict):
            replaced = depth + 1
    return len(parts), replaced


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
    """Split ``dotted.key=value``; the value is read as YAML (as plain text if it is not YAML).

    Raises:
        ScenarioError: no ``=``, no key, or a value that breaks the YAML rules
            of :mod:`sim.scenario.reading` (nesting, aliases, NUL bytes).
    """
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ScenarioError("--set", item, "expected dotted.key=value")
    return key.strip(), yaml_value(text, f"--set {item}")


def apply_override(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``raw[dotted.key] = value``, creating mappings on the way; list items by index."""
    node: Any = raw
    parts = key.split(".")
    if len(parts) > MAX_DEPTH:
        raise ScenarioError(
            f"--set {key}", "", f"expected a dotted key of at most {MAX_DEPTH} parts"
        )
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
