"""Designs of sweep points: which scenario fields vary, and to which values.

A parameter names a scenario field by its dotted path and says how it varies:

* ``path=v1,v2,...``: explicit levels (each read as YAML: numbers or words);
* ``path=lo:hi:n``: ``n`` evenly spaced levels from ``lo`` to ``hi``;
* ``path=lo:hi``: a continuous range, for sampled designs.

A design turns parameters into a table of points (one row per point, one
column per parameter): ``grid`` is the Cartesian product of levels; ``lhs``
(Latin hypercube) and ``sobol`` (scrambled Sobol' sequence) draw ``samples``
points from :mod:`scipy.stats.qmc`, seeded, so the same command gives the same
points. Sampled designs map a unit coordinate ``u`` in [0, 1) to a value: a
range scales it, a list of levels picks level ``floor(u * k)``.

A field that holds an integer in the scenario (``market.seasonality.peak_week``,
``behaviour.reseller.dormancy_weeks``) only takes integer values: an integer
range draws every integer from ``lo`` to ``hi`` with equal probability.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import qmc

from optimize.choices import DESIGNS
from sim.limits import SWEEP_POINTS
from sim.scenario.loading import ScenarioError, apply_override, validate_scenario
from sim.scenario.reading import yaml_value
from sim.scenario.schema import Scenario

#: A parameter as the API accepts it: ``"path=spec"``, or ``path -> spec or levels``.
ParamsLike = Sequence["str | Param"] | Mapping[str, "str | Sequence[Any]"]


@dataclass(frozen=True)
class Param:
    """One varied scenario field: explicit ``levels``, or a ``low``-``high`` range.

    Attributes:
        path: dotted path of the scenario field, e.g. ``design.mechanics.0.tiers.1.rate``.
        levels: the values a grid takes, in order (``None`` for a plain range).
        low: lower end of a range (``None`` for explicit levels).
        high: upper end of a range.
        integer: whether the field holds an integer (values are then integers).
        source: where the parameter was declared, for error messages.
    """

    path: str
    levels: tuple[Any, ...] | None
    low: float | None
    high: float | None
    integer: bool
    source: str

    def error(self, field: str, expected: str) -> ScenarioError:
        """A one-line input error that names this parameter."""
        return ScenarioError(self.source, field or self.path, expected)

    def scale(self, unit: npt.ArrayLike) -> list[Any]:
        """Map unit coordinates in [0, 1] to values of this parameter."""
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.levels is not None:
            k = len(self.levels)
            return [self.levels[i] for i in np.minimum(k - 1, np.floor(u * k)).astype(int)]
        assert self.low is not None and self.high is not None
        if self.integer:
            span = self.high - self.low + 1
            return [int(v) for v in np.minimum(self.high, self.low + np.floor(u * span))]
        return [float(v) for v in self.low + u * (self.high - self.low)]

    def candidates(self) -> tuple[Any, ...]:
        """Values to validate before any work: every level, or both ends of the range."""
        if self.levels is not None:
            return self.levels
        return tuple(self.scale([0.0, 1.0]))

    def describe(self) -> dict[str, Any]:
        """The JSON form, for manifests and reports."""
        if self.levels is not None:
            return {"path": self.path, "levels": list(self.levels), "integer": self.integer}
        return {"path": self.path, "low": self.low, "high": self.high, "integer": self.integer}


@dataclass(frozen=True)
class Design:
    """Points to run: ``table`` has a ``point`` column and one column per parameter path."""

    kind: str
    params: tuple[Param, ...]
    table: pd.DataFrame

    @property
    def paths(self) -> list[str]:
        """The parameter paths, in column order."""
        return [p.path for p in self.params]

    def __len__(self) -> int:
        return len(self.table)


def current_value(raw: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in a scenario dict, or ``None`` where the path does not exist."""
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def integer_field(raw: Mapping[str, Any], path: str) -> bool:
    """Whether the scenario dict holds an integer at ``path`` (so values must be integers)."""
    value = current_value(raw, path)
    return isinstance(value, int) and not isinstance(value, bool)


def _number(text: str, param: str, path: str) -> float:
    value = yaml_value(text, param)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(param, path, f"expected a number in lo:hi or lo:hi:n, got {text!r}")
    return float(value)


def _as_integers(values: Iterable[float], source: str, path: str) -> tuple[int, ...]:
    out = []
    for value in values:
        if not float(value).is_integer():
            raise ScenarioError(source, path, f"expected integers (the field is one), got {value}")
        out.append(int(value))
    return tuple(out)


def _clean(value: float) -> float:
    """A float rounded to 12 significant digits: 0.06, not 0.060000000000000005."""
    return float(f"{value:.12g}")


def _levels(items: list[Any], source: str, path: str, integer: bool) -> tuple[Any, ...]:
    if len(set(map(repr, items))) != len(items):
        raise ScenarioError(source, path, f"expected distinct values, got {items}")
    numbers = [v for v in items if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) != len(items):
        raise ScenarioError(source, path, f"expected values of one type, got {items}")
    if integer and numbers:
        return _as_integers(numbers, source, path)
    if any(isinstance(v, float) for v in numbers):
        return tuple(float(v) for v in numbers)
    if not numbers and len({type(v) for v in items}) > 1:
        raise ScenarioError(source, path, f"expected values of one type, got {items}")
    return tuple(items)


def parse_param(text: str, raw: Mapping[str, Any], source: str | None = None) -> Param:
    """Read ``path=v1,v2,...``, ``path=lo:hi:n`` or ``path=lo:hi`` against a scenario dict.

    Args:
        text: the parameter as written on the command line.
        raw: the scenario as a dict (``scenario.model_dump(mode="json")``); its
            value at ``path`` tells whether the field is an integer.
        source: where the parameter was declared (default ``--param TEXT``).

    Raises:
        ScenarioError: the text is malformed (the path itself is checked by
            :func:`check_params`).
    """
    source = source or f"--param {text}"
    path, sep, spec = text.partition("=")
    path = path.strip()
    if not sep or not path or not spec.strip():
        raise ScenarioError(source, "", "expected dotted.key=v1,v2,... or lo:hi:n or lo:hi")
    integer = integer_field(raw, path)
    parts = spec.split(":")
    if len(parts) in (2, 3):
        low, high = (_number(p, source, path) for p in parts[:2])
        if len(parts) == 2:
            return make_range(raw, path, low, high, source)
        if not high > low:
            raise ScenarioError(source, path, f"expected lo < hi, got {parts[0]}:{parts[1]}")
        try:
            count = int(parts[2])
        except ValueError:
            count = 0
        if count < 2:
            raise ScenarioError(source, path, f"expected n >= 2 in lo:hi:n, got {parts[2]!r}")
        SWEEP_POINTS.check(count, source)
        grid = [_clean(v) for v in np.linspace(low, high, count)]
        if integer:
            grid = [float(round(v)) for v in grid]
            if len(set(grid)) < count:
                raise ScenarioError(
                    source, path, f"expected at most {int(high - low) + 1} integer levels"
                )
        return Param(path, _levels(grid, source, path, integer), None, None, integer, source)
    if len(parts) > 3:
        raise ScenarioError(source, path, f"expected lo:hi or lo:hi:n, got {spec!r}")
    items = [yaml_value(item, source) if item.strip() else None for item in spec.split(",")]
    if any(item is None for item in items):
        raise ScenarioError(source, path, f"expected comma-separated values, got {spec!r}")
    return Param(path, _levels(items, source, path, integer), None, None, integer, source)


def make_range(raw: Mapping[str, Any], path: str, low: float, high: float, source: str) -> Param:
    """A range parameter of the scenario dict ``raw``: integer where the field is one."""
    if not high > low:
        raise ScenarioError(source, path, f"expected low < high, got {low:g} and {high:g}")
    integer = integer_field(raw, path)
    if integer:
        low, high = _as_integers((low, high), source, path)
    return Param(path, None, low, high, integer, source)


def parse_params(params: ParamsLike, raw: Mapping[str, Any]) -> tuple[Param, ...]:
    """Parameters from ``["path=spec", ...]`` or ``{path: spec or [levels]}``; paths distinct."""
    items: list[Param] = []
    if isinstance(params, Mapping):
        for path, spec in params.items():
            text = spec if isinstance(spec, str) else ",".join(map(str, spec))
            items.append(parse_param(f"{path}={text}", raw, source=f"params[{path!r}]"))
    else:
        items = [p if isinstance(p, Param) else parse_param(p, raw) for p in params]
    if not items:
        raise ScenarioError("--param", "", "expected at least one parameter to vary")
    seen: set[str] = set()
    for param in items:
        if param.path in seen:
            raise param.error(param.path, "is varied twice; give each parameter once")
        seen.add(param.path)
    return tuple(items)


def apply_values(raw: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of the scenario dict with each ``path: value`` set."""
    out = copy.deepcopy(dict(raw))
    for path, value in values.items():
        apply_override(out, path, value)
    return out


def check_params(scenario: Scenario, params: Sequence[Param]) -> None:
    """Validate each parameter alone at each level (or both ends of its range).

    Catches a misspelt path or an impossible value before any work starts; a
    combination can still be invalid (say, tier thresholds that cross), which
    :func:`point_scenario` reports when it meets it.

    Raises:
        ScenarioError: naming the parameter, the field and what was expected.
    """
    raw = scenario.model_dump(mode="json")
    for param in params:
        for value in param.candidates():
            try:
                validate_scenario(apply_values(raw, {param.path: value}), param.source)
            except ScenarioError as error:
                raise param.error(error.field, f"{error.expected} (value {value!r})") from None


def point_scenario(raw: Mapping[str, Any], values: Mapping[str, Any], source: str) -> Scenario:
    """The validated scenario of one point: the base dict with the point's values set."""
    try:
        return validate_scenario(apply_values(raw, values), source)
    except ScenarioError as error:
        where = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise ScenarioError(source, error.field, f"{error.expected} (at {where})") from None


def _table(params: Sequence[Param], columns: Sequence[Sequence[Any]]) -> pd.DataFrame:
    count = len(columns[0]) if columns else 0
    data: dict[str, Any] = {"point": np.arange(count, dtype=np.int64)}
    for param, column in zip(params, columns, strict=True):
        data[param.path] = list(column)
    return pd.DataFrame(data)


def grid_design(params: Sequence[Param]) -> Design:
    """Every combination of levels, the first parameter varying slowest."""
    for param in params:
        if param.levels is None:
            raise param.error(
                param.path,
                "a grid needs levels (v1,v2,... or lo:hi:n); lo:hi needs --design lhs or sobol",
            )
    SWEEP_POINTS.check(math.prod(len(p.levels or ()) for p in params), "--param (a grid)")
    combos = list(itertools.product(*(p.levels or () for p in params)))
    return Design("grid", tuple(params), _table(params, list(zip(*combos, strict=True))))


def unit_design(kind: str, params: Sequence[Param], unit: npt.NDArray[np.float64]) -> Design:
    """Points from unit coordinates ``unit[point, param]`` in [0, 1]."""
    columns = [param.scale(unit[:, j]) for j, param in enumerate(params)]
    return Design(kind, tuple(params), _table(params, columns))


def sampled_design(
    kind: Literal["lhs", "sobol"], params: Sequence[Param], samples: int, seed: int
) -> Design:
    """``samples`` points of a Latin hypercube or a scrambled Sobol' sequence, seeded.

    Sobol' points keep their balance properties when ``samples`` is a power of 2.
    """
    if samples < 1:
        raise ScenarioError("--samples", "", f"expected at least 1 sample, got {samples}")
    SWEEP_POINTS.check(samples, "--samples")
    d = len(params)
    engine = qmc.LatinHypercube(d, rng=seed) if kind == "lhs" else qmc.Sobol(d, rng=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        unit = engine.random(samples)
    return unit_design(kind, params, unit)


def make_design(
    params: Sequence[Param], kind: str = "grid", samples: int | None = None, seed: int = 0
) -> Design:
    """The design of ``kind`` (``grid``, ``lhs`` or ``sobol``) over ``params``.

    Raises:
        ScenarioError: unknown kind, missing ``samples`` for a sampled design,
            or a range parameter in a grid.
    """
    if kind == "grid":
        if samples is not None:
            raise ScenarioError("--samples", "", "applies to --design lhs or sobol, not grid")
        return grid_design(params)
    if kind in ("lhs", "sobol"):
        if samples is None:
            raise ScenarioError("--samples", "", f"--design {kind} needs --samples N")
        return sampled_design(kind, params, samples, seed)  # type: ignore[arg-type]
    raise ScenarioError("--design", "", f"expected one of {list(DESIGNS)}, got {kind!r}")
