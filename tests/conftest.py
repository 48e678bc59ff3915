"""Pytest configuration: the hypothesis profile and shared fixtures."""

from __future__ import annotations

import os

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


def _server(variable: str, what: str) -> str:
    """The address of a real server the tests use, from the environment.

    ``.ci/run`` starts the servers and exports their addresses (``.ci/servers.sh``).
    In CI (``CI`` set) a missing address is a failure, never a skip.
    """
    address = os.environ.get(variable, "")
    if address:
        return address
    if os.environ.get("CI"):
        pytest.fail(f"{variable} is not set: in CI, .ci/run starts {what} and exports it")
    pytest.skip(f"no {what}: set {variable} (source .ci/servers.sh, docs/scaling.md)")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL database (``PARTNERLAB_TEST_POSTGRES``)."""
    return _server("PARTNERLAB_TEST_POSTGRES", "a PostgreSQL server")


@pytest.fixture(scope="session")
def dask_scheduler() -> str:
    """Address of a real Dask scheduler with workers (``PARTNERLAB_TEST_DASK``)."""
    return _server("PARTNERLAB_TEST_DASK", "a Dask scheduler")
