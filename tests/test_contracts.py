"""Every registered lever and every registered archetype passes the shared contracts.

The contracts are in ``tests/contracts.py``; a new lever or archetype is
checked here as soon as it is registered, with its schema's ``example``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from contracts import ArchetypeContract, LeverContract

from agents import ARCHETYPES
from sim.scenario import registry


def _examples() -> dict[str, Mapping[str, Any]]:
    """Each registered lever schema's example, by schema name."""
    schemas = {registry.schema_for(tag) for tag in registry.lever_tags()}
    return {s.__name__: s.example for s in sorted(schemas, key=lambda s: s.__name__) if s}


def test_every_lever_has_an_example_of_its_own_type() -> None:
    for tag in registry.lever_tags():
        schema = registry.schema_for(tag)
        assert schema is not None and schema.example, f"{tag}: no example"
        assert registry.schema_for(schema.example["type"]) is schema


class TestEveryLever(LeverContract):
    @pytest.fixture(params=list(_examples().values()), ids=list(_examples()))
    def mechanic(self, request: pytest.FixtureRequest) -> Mapping[str, Any]:
        return request.param


class TestEveryArchetype(ArchetypeContract):
    @pytest.fixture(params=list(ARCHETYPES))
    def archetype(self, request: pytest.FixtureRequest) -> str:
        return request.param
