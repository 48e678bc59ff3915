"""``sim.checks`` and ``partnerlab validate``: ten named checks, one per stylized fact.

The acceptance run (600 partners, 3 paired replications, seed 0) happens
twice: once in-process and once through the real console script, which must
print the same checks as JSON and exit 0. Failing checks and bad options are
exercised in-process with quick stand-in checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from helpers import run_cli

import partnerlab_cli
import sim.checks.catalog
from sim.checks.base import Check, Setup
from sim.checks.catalog import CHECKS, validate

NAMES = (
    "threshold_pull",
    "period_end_spikes",
    "deal_timing",
    "caps_and_ratchets",
    "lump_sum_bonus",
    "recognition",
    "nudges",
    "co_marketing_funds",
    "near_miss",
    "population",
)


@pytest.fixture(scope="module")
def checks() -> list[Check]:
    return validate(seed=0, partners=600, replications=3)


def test_ten_named_checks_cover_every_fact_and_pass(checks: list[Check]) -> None:
    assert tuple(c.name for c in checks) == NAMES
    assert [c.fact for c in checks] == [str(k) for k in range(1, 11)]
    failed = [f"{c.name}: {c.figure} (expected {c.expected})" for c in checks if not c.passed]
    assert not failed
    assert all(c.figure and c.expected for c in checks)


def test_cli_prints_the_same_checks_as_json_and_exits_0(checks: list[Check]) -> None:
    done = run_cli("validate", "--json", "--no-progress")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"checks", "passed"} and data["passed"] is True
    for entry in data["checks"]:
        assert set(entry) == {"name", "passed", "figure", "expected"}
    # a fresh process measures exactly what this one did: every draw is seeded
    assert data["checks"] == [c.as_dict() for c in checks]


seen: list[Setup] = []


def quick(name: str, passed: bool) -> Callable[[Setup], Check]:
    """A stand-in check that records the setup it was given in ``seen``."""

    def check(setup: Setup) -> Check:
        seen.append(setup)
        return Check(name, "0", passed, f"figure of {name}", f"expected of {name}")

    return check


def test_a_failing_check_exits_1_and_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True), quick("bad", False)))
    assert partnerlab_cli.main(["validate", "--json", "--no-progress"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    assert [(c["name"], c["passed"]) for c in data["checks"]] == [("ok", True), ("bad", False)]
    assert partnerlab_cli.main(["validate", "--no-progress"]) == 1
    table = capsys.readouterr().out
    assert "PASS  ok (fact 0)" in table and "FAIL  bad (fact 0)" in table
    assert "measured: figure of bad" in table and "expected: expected of bad" in table
    assert "1 of 2 checks passed - FAILED" in table


def test_options_reach_every_check(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True),))
    seen.clear()
    argv = ["validate", "--seed", "5", "--partners", "100", "--replications", "2", "--no-progress"]
    assert partnerlab_cli.main(argv) == 0
    assert seen == [Setup(seed=5, partners=100, replications=2)]
    assert "1 of 1 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "value"), [("--partners", "10"), ("--seed", "-1"), ("--replications", "0")]
)
def test_bad_options_exit_2_with_one_line(monkeypatch, capsys, option: str, value: str) -> None:
    monkeypatch.setattr(sim.checks.catalog, "CHECKS", (quick("ok", True),))
    assert partnerlab_cli.main(["validate", option, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err


def test_the_command_runs_the_suite_of_sim_checks() -> None:
    assert tuple(check.__name__ for check in CHECKS) == NAMES
