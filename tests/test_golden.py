"""Golden results: every shipped scenario's ``run --json`` is kept, bit for bit.

``tests/golden/<scenario>.json`` holds what ``partnerlab run
scenarios/<scenario>.yaml --replications 4 --seed 7 --json`` printed when the
file was generated. A change that is meant to leave every number alone (a
restructure, a faster path) must leave these files unchanged; a change that
is meant to move numbers regenerates them on purpose, in a commit that says
why::

    .venv/bin/python tests/golden/generate.py
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from helpers import SCENARIOS

import partnerlab_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
ARGS = ("--replications", "4", "--seed", "7", "--json", "--no-progress")


def run_json(scenario: Path, out: Path) -> str:
    """What ``partnerlab run SCENARIO --replications 4 --seed 7 --json`` prints."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = partnerlab_cli.main(["run", str(scenario), *ARGS, "--out", str(out)])
    assert code == 0
    return printed.getvalue()


def test_every_shipped_scenario_has_a_golden_file() -> None:
    shipped = {path.stem for path in SCENARIOS.glob("*.yaml")}
    kept = {path.stem for path in GOLDEN.glob("*.json")}
    assert shipped == kept


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
def test_run_json_is_unchanged_bit_for_bit(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    assert run_json(SCENARIOS / f"{name}.yaml", tmp_path / "out") == expected
