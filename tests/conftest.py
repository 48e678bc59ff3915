"""Pytest configuration: the hypothesis profile and shared fixtures."""

from __future__ import annotations

import pytest
from helpers import load_small
from hypothesis import HealthCheck, settings

from sim.scenario.schema import Scenario

settings.register_profile(
    "partnerlab",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("partnerlab")


@pytest.fixture
def small_quickstart() -> Scenario:
    """The quickstart scenario with 30/10/5 partners."""
    return load_small("quickstart")
