"""The search space: the design parameters a scenario's ``search.params`` tunes.

Every parameter names a dotted scenario path (``design.mechanics.0.tiers.1.rate``),
so any lever the schema has can be tuned without code. Kinds:

* ``float`` and ``int``: a range, optionally on a log scale or with a step;
* ``choice``: one of a list of values of one type;
* ``ladder``: the thresholds of a tier list, as a first threshold plus positive
  increments (one set per archetype if the bounds are given per archetype),
  so every sampled ladder increases;
* ``lever``: a list item (a mechanic, a tier) switched on or off; parameters
  inside a switched-off item are not sampled.

A :class:`SearchSpace` checks the parameters against the scenario when it is
built (paths exist, bounds are sound, and the design is valid at every bound),
then turns sampled values into validated scenarios. It never mutates a
scenario: values are applied to ``model_dump(mode="json")`` with
:func:`sim.scenario.loading.apply_override` and re-validated.

The parameter kinds are in ``optimize.search.params``.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from optuna.trial import BaseTrial

from optimize.search.params import LadderParam, LeverParam, Values
from sim.scenario.loading import ScenarioError, apply_override, validate_scenario
from sim.scenario.schema import TOOL_SECTIONS, Scenario


def parts(path: str) -> list[str]:
    """A dotted path split into its keys and list indices."""
    return path.split(".")


def inside(path: str, item: str) -> bool:
    """Whether ``path`` is ``item`` or lies within it."""
    return parts(path)[: len(parts(item))] == parts(item)


def lookup(tree: Any, path: str) -> Any:
    """The value at a dotted path of a dumped scenario.

    Raises:
        KeyError: with a message saying which part of the path does not exist.
    """
    node, walked = tree, cast(list[str], [])
    for part in parts(path):
        where = ".".join(walked) or "the scenario"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(f"{where} has {len(node)} items; got {part!r}")
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                raise KeyError(f"{where} has no key {part!r} (keys: {', '.join(map(str, node))})")
            node = node[part]
        else:
            raise KeyError(f"{where} is a value, not a section; cannot go into {part!r}")
        walked.append(part)
    return node


def _is_tier_threshold(path: str) -> bool:
    keys = parts(path)
    return any(
        keys[i] == "tiers" and keys[i + 1].isdigit() and keys[i + 2] == "threshold"
        for i in range(len(keys) - 2)
    )


def _removal_order(path: str) -> list[int]:
    """Sort key: later list items (and items nested in them) are removed first."""
    return [int(p) if p.isdigit() else -1 for p in parts(path)]


class SearchSpace:
    """The tuned parameters of a scenario, checked against it and applied to it.

    Args:
        scenario: the validated scenario the search starts from.
        params: the validated ``search.params``.
        source: file name used in error messages.

    Raises:
        ScenarioError: a path does not exist, parameters overlap, or a design at
            some bound fails the scenario's validation (named ``search.params.<i>``).
    """

    def __init__(self, scenario: Scenario, params: list[Any], source: str) -> None:
        self.source = source
        self.base = scenario.model_dump(mode="json") | dict.fromkeys(TOOL_SECTIONS)
        self.params = [self._bind(i, p) for i, p in enumerate(params)]
        self._check_names()
        self._probe()

    # -- checks ------------------------------------------------------------------------
    def _error(self, index: int | None, expected: str, field: str = "") -> ScenarioError:
        where = "search.params" + ("" if index is None else f".{index}") + field
        return ScenarioError(self.source, where, expected)

    def _bind(self, index: int, param: Any) -> Any:
        """Check the parameter's path against the scenario; a ladder learns its tier count."""
        if not inside(param.path, "design") or param.path == "design":
            raise self._error(index, "expected a path under design (the program tuned)", ".path")
        try:
            value = lookup(self.base, param.path)
        except KeyError as error:
            message = f"expected a path in the scenario; {error.args[0]}"
            raise self._error(index, message, ".path") from None
        *parent, last = parts(param.path)
        if isinstance(param, LeverParam):
            if not (last.isdigit() and isinstance(lookup(self.base, ".".join(parent)), list)):
                raise self._error(index, "expected the path of a list item", ".path")
        elif isinstance(param, LadderParam):
            if not (isinstance(value, list) and all("threshold" in tier for tier in value)):
                raise self._error(index, "expected the path of a tier list", ".path")
            if param.from_tier >= len(value):
                raise self._error(index, f"expected a tier index below {len(value)}", ".from_tier")
            tuned = len(value) - param.from_tier
            if tuned > 1 and param.increment is None:
                message = f"expected increment bounds: the ladder tunes {tuned} tiers"
                raise self._error(index, message, ".increment")
            return param.with_tiers(tuned)
        elif _is_tier_threshold(param.path):
            raise self._error(
                index,
                "expected a ladder parameter for tier thresholds, so they stay ordered",
                ".path",
            )
        return param

    def _check_names(self) -> None:
        seen: set[str] = set()
        for index, param in enumerate(self.params):
            for name in param.names:
                if name in seen:
                    raise self._error(
                        index, f"expected one parameter per path; {name} is tuned twice"
                    )
                seen.add(name)

    def _probe(self) -> None:
        """Validate designs at each parameter's bounds, then at all lows, all highs, all off."""
        for index, param in enumerate(self.params):
            for values in param.extremes():
                self._try(values, index)
        numbers = [p.extremes() for p in self.params if not isinstance(p, LeverParam)]
        for end in (0, 1):  # every parameter's first extreme is its low, the second its high
            self._try({k: v for ends in numbers for k, v in ends[end].items()}, None)
        self._try({p.names[0]: False for p in self.params if isinstance(p, LeverParam)}, None)

    def _try(self, values: Values, index: int | None) -> None:
        try:
            self.build(values)
        except ScenarioError as error:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise self._error(
                index,
                f"expected bounds the scenario accepts; at {shown}: "
                f"{error.field}: {error.expected}",
            ) from None

    # -- sampling ----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every Optuna parameter name of the space."""
        return [name for param in self.params for name in param.names]

    def active(self, values: Values) -> list[Any]:
        """Parameters that apply given the lever values (none inside a dropped item)."""
        dropped: list[str] = []
        out = []
        for param in sorted(self.params, key=lambda p: len(parts(p.path))):
            if any(inside(param.path, item) for item in dropped):
                continue
            out.append(param)
            if isinstance(param, LeverParam) and values.get(param.names[0], True) is False:
                dropped.append(param.path)
        return out

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample the levers, then every parameter that applies; returns Optuna name -> value."""
        values: dict[str, Any] = {}
        for param in self.active({}):
            if isinstance(param, LeverParam) and param in self.active(values):
                values |= param.draw(trial)
        for param in self.active(values):
            if not isinstance(param, LeverParam):
                values |= param.draw(trial)
        return values

    def suggest(self, trial: BaseTrial) -> Scenario:
        """Sample a design from an Optuna trial, as a validated scenario."""
        return self.build(self.draw(trial))

    def build(self, values: Values) -> Scenario:
        """The scenario with ``values`` applied; parameters without values keep the start.

        Raises:
            ScenarioError: the design is invalid (never for values within the bounds).
        """
        return validate_scenario(self.raw(values), source=f"{self.source} (search)")

    def raw(self, values: Values) -> dict[str, Any]:
        """The scenario dict with ``values`` applied, before validation."""
        raw = copy.deepcopy(self.base)
        dropped = []
        for param in self.active(values):
            if isinstance(param, LeverParam):
                if values.get(param.names[0], True) is False:
                    dropped.append(param.path)
            elif all(name in values for name in param.names):
                for key, value in param.assignments(values).items():
                    apply_override(raw, key, copy.deepcopy(value))
        for path in sorted(dropped, key=_removal_order, reverse=True):
            *parent, index = parts(path)
            del lookup(raw, ".".join(parent))[int(index)]
        return raw
