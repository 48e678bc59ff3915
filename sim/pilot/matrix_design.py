"""The design of an experiment matrix: its cells, the cells a fraction runs, the estimable terms.

The factors of ``pilot.matrix`` are levers with two levels each: every
combination of levels is a :class:`Cell` with the program it makes from the
matrix's base program; a fractional factorial runs only the cells that its
generators keep, which leaves some terms aliased with others. A
:class:`MatrixDesign` holds all of it, with the pilot plan, for running and
estimating the matrix (``sim.pilot.matrix``).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from sim.pilot.plan import PilotPlan
from sim.pilot.spec import Level, Matrix
from sim.scenario.loading import ScenarioError, apply_override, field_path
from sim.scenario.program import Program
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Term = tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One combination of factor levels and the program it makes."""

    name: str
    levels: dict[str, str]
    signs: dict[str, int]  # -1 for a factor's first level, +1 for its second
    program: Program


def term_name(term: Term) -> str:
    """``reward`` for a main effect, ``reward:email`` for an interaction."""
    return ":".join(term)


def build_cells(scenario: Scenario, matrix: Matrix, blame: Callable[[str], str]) -> list[Cell]:
    """Every cell of the full factorial, each with its validated program.

    Raises:
        ScenarioError: a level's changes do not make a valid program (the
            program is checked after each level, so the error names the level).
    """
    base = getattr(scenario, matrix.base).model_dump(mode="json")
    cells = []
    for signs in itertools.product((-1, 1), repeat=len(matrix.factors)):
        raw = base
        levels = {}
        for index, (factor, sign) in enumerate(zip(matrix.factors, signs, strict=True)):
            name, level = list(factor.levels.items())[(sign + 1) // 2]
            levels[factor.name] = name
            raw = _apply_level(raw, level, blame, f"pilot.matrix.factors.{index}.levels.{name}")
        label = ", ".join(f"{f}={v}" for f, v in levels.items())
        program = Program.model_validate(raw | {"name": label})
        cells.append(Cell(label, levels, dict(zip(levels, signs, strict=True)), program))
    return cells


def _apply_level(
    raw: dict[str, Any], level: Level, blame: Callable[[str], str], where: str
) -> dict[str, Any]:
    """A copy of program ``raw`` with a level's dotted changes and added mechanics, checked."""
    out = copy.deepcopy(raw)
    for key, value in level.set.items():
        try:
            apply_override(out, key, value)
        except ScenarioError as error:
            field = f"{where}.set.{key}"
            raise ScenarioError(blame(field), field, error.expected) from None
    out["mechanics"] = list(out.get("mechanics", [])) + copy.deepcopy(level.add)
    try:
        Program.model_validate(out)
    except ValidationError as error:
        first = error.errors()[0]
        expected = f"expected a level that makes a valid program; {field_path(first['loc'])}: "
        raise ScenarioError(blame(where), where, expected + str(first["msg"]).lower()) from None
    return out


def run_cells(cells: list[Cell], matrix: Matrix) -> list[Cell]:
    """The cells the (fractional) design runs: generated factors follow their generators."""
    return [
        c
        for c in cells
        if all(
            c.signs[g] == int(np.prod([c.signs[p] for p in parents]))
            for g, parents in matrix.generators.items()
        )
    ]


def estimable_terms(
    run: list[Cell], factors: Sequence[str]
) -> tuple[list[Term], dict[str, list[str]]]:
    """Terms the run cells can estimate, and what each one is aliased with.

    Terms are every main effect and interaction, lowest order first; a term
    whose sign pattern over the run cells repeats an earlier term's (up to
    sign) or is constant is not estimable: it is listed among that earlier
    term's aliases (or the intercept's, ``"(intercept)"``).
    """
    kept: list[Term] = []
    patterns: list[FloatArray] = [np.ones(len(run))]
    aliases: dict[str, list[str]] = {}
    for order in range(1, len(factors) + 1):
        for term in itertools.combinations(factors, order):
            pattern = term_signs(run, term).astype(np.float64)
            match = next(
                (i for i, p in enumerate(patterns) if abs(float(p @ pattern)) == len(run)), None
            )
            if match is None:
                kept.append(term)
                patterns.append(pattern)
            else:
                owner = "(intercept)" if match == 0 else term_name(kept[match - 1])
                aliases.setdefault(owner, []).append(term_name(term))
    return kept, aliases


def term_signs(cells: Sequence[Cell], term: Term) -> IntArray:
    """The +-1 pattern of ``term`` (product of its factors' signs) over ``cells``."""
    return np.array([int(np.prod([c.signs[f] for f in term])) for c in cells], dtype=np.int64)


@dataclass(frozen=True)
class MatrixDesign:
    """Everything a simulated matrix needs: the plan, the cells and the terms."""

    plan: PilotPlan
    matrix: Matrix
    cells: list[Cell]  # full factorial, for the truth
    run: list[Cell]  # the cells the experiment runs
    terms: list[Term]
    aliases: dict[str, list[str]]
