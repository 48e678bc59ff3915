"""The lever registry: every ``type:`` a scenario can name, its schema and its run-time component.

A lever module defines a schema (a :class:`~sim.scenario.program.Lever` with a
``type`` literal; defining it registers its tags here) and a run-time
component class decorated with :func:`component` (which registers it for its
schema). Everything that depends on the set of levers is derived from here
at validation or build time: the ``mechanics:`` union of a scenario, the list
of types in error messages and docs, the program builder, the random
purposes a run draws, and the roles each component plays.

The built-in levers are the modules of this package; they are imported the
first time the registry is read (:func:`discover`), so a lever is one module
and nothing else lists it. A lever defined elsewhere (a user's module, a test)
registers the same way, as soon as its module is imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

#: YAML tag -> schema class, in the order the schemas were defined.
_SCHEMAS: dict[str, type[BaseModel]] = {}
#: Schema class -> run-time component class.
_COMPONENTS: dict[type[BaseModel], type[Any]] = {}
_DISCOVERED: list[bool] = []

ComponentClass = TypeVar("ComponentClass", bound=type[Any])


def register_schema(schema: type[BaseModel], tags: tuple[str, ...]) -> None:
    """Register a lever schema under its ``type:`` tags (done by ``Lever`` subclasses)."""
    for tag in tags:
        known = _SCHEMAS.get(tag)
        if known is not None and known.__qualname__ != schema.__qualname__:
            raise ValueError(f"lever type {tag!r} is already taken by {known.__qualname__}")
        _SCHEMAS[tag] = schema


def component(schema: type[BaseModel]) -> Callable[[ComponentClass], ComponentClass]:
    """Class decorator: the run-time component that carries out levers of ``schema``."""

    def register(cls: ComponentClass) -> ComponentClass:
        _COMPONENTS[schema] = cls
        return cls

    return register


def discover() -> None:
    """Import every module of ``sim.levers`` once, so the built-in levers are registered."""
    if _DISCOVERED:
        return
    _DISCOVERED.append(True)
    package = importlib.import_module("sim.levers")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def schema_for(tag: str) -> type[BaseModel] | None:
    """The schema of a ``type:`` tag, or ``None`` if no lever has it."""
    discover()
    return _SCHEMAS.get(tag)


def lever_tags() -> list[str]:
    """Every ``type:`` a scenario can name, sorted."""
    discover()
    return sorted(_SCHEMAS)


def component_for(schema: type[BaseModel]) -> type[Any]:
    """The run-time component class of a lever schema."""
    discover()
    try:
        return _COMPONENTS[schema]
    except KeyError:
        raise LookupError(f"lever schema {schema.__qualname__} has no run-time component") from None


def components() -> list[type[Any]]:
    """Every registered component class, in registration order."""
    discover()
    return list(dict.fromkeys(_COMPONENTS.values()))


def unregister(schema: type[BaseModel]) -> None:
    """Forget a lever: its tags and its component (a plugin's or a test's, when done)."""
    for tag in [tag for tag, known in _SCHEMAS.items() if known is schema]:
        del _SCHEMAS[tag]
    _COMPONENTS.pop(schema, None)
