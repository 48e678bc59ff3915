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
:func:`sim.loading.apply_override` and re-validated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from optuna.trial import BaseTrial
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from sim.loading import ScenarioError, apply_override, validate_scenario
from sim.scenario import TOOL_SECTIONS, Scenario

#: Sampled values: Optuna parameter name -> value.
Values = Mapping[str, Any]


class Section(BaseModel):
    """Base of the ``search:`` models: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_bounds(low: float, high: float, log: bool, step: float | None) -> None:
    """Reject empty or inverted bounds, non-positive log bounds, and log with a step."""
    if not low < high:
        raise ValueError(f"expected low < high; got low {low:g}, high {high:g}")
    if log and low <= 0:
        raise ValueError(f"expected positive bounds on a log scale; got low {low:g}")
    if log and step is not None:
        raise ValueError("expected either log or step, not both")


class Range(Section):
    """Bounds of one number: ``low`` to ``high``, optionally on a log scale or in steps."""

    low: float = Field(description="lowest value")
    high: float = Field(description="highest value")
    log: bool = Field(False, description="sample on a log scale (bounds must be positive)")
    step: PositiveFloat | None = Field(None, description="grid step from low (not with log)")

    @model_validator(mode="after")
    def _sound(self) -> Range:
        check_bounds(self.low, self.high, self.log, self.step)
        return self

    def suggest(self, trial: BaseTrial, name: str) -> float:
        """Draw this range's value as parameter ``name``."""
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)


class OnePath:
    """Behaviour shared by parameters that set one scenario field (float, int, choice).

    A plain mixin (no annotations, so pydantic adds no fields): it reads the
    ``path``, ``low`` and ``high`` fields of the model it is mixed into.
    """

    @property
    def names(self) -> list[str]:
        """Optuna parameter names: the path itself."""
        return [self.path]

    def assignments(self, values: Values) -> dict[str, Any]:
        """Scenario path -> value, for the sampled values."""
        return {self.path: values[self.path]}

    def extremes(self) -> list[dict[str, Any]]:
        """Values at the bounds, to probe the scenario's validation."""
        return [{self.path: self.low}, {self.path: self.high}]  # type: ignore[attr-defined]


class FloatParam(OnePath, Range):
    """A real-valued field tuned within ``[low, high]``."""

    type: Literal["float"]
    path: str = Field(description="dotted scenario path, e.g. design.mechanics.0.tiers.1.rate")

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample the parameter; returns Optuna name -> value."""
        return {self.path: self.suggest(trial, self.path)}


class IntParam(OnePath, Section):
    """An integer field tuned within ``[low, high]``."""

    type: Literal["int"]
    path: str = Field(description="dotted scenario path, e.g. design.mechanics.1.every_weeks")
    low: int = Field(description="lowest value")
    high: int = Field(description="highest value")
    log: bool = Field(False, description="sample on a log scale (bounds must be positive)")
    step: PositiveInt = Field(1, description="grid step from low (only 1 with log)")

    @model_validator(mode="after")
    def _sound(self) -> IntParam:
        check_bounds(self.low, self.high, self.log, None if self.step == 1 else self.step)
        return self

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample the parameter; returns Optuna name -> value."""
        value = trial.suggest_int(self.path, self.low, self.high, step=self.step, log=self.log)
        return {self.path: value}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


class ChoiceParam(OnePath, Section):
    """A field set to one of ``choices``, all of one type (numbers, strings or booleans)."""

    type: Literal["choice"]
    path: str = Field(description="dotted scenario path, e.g. design.mechanics.0.basis")
    choices: list[StrictBool | StrictInt | StrictFloat | StrictStr | None] = Field(
        description="the values to choose from (at least two)"
    )

    @model_validator(mode="after")
    def _one_type(self) -> ChoiceParam:
        if len(self.choices) < 2:
            raise ValueError(f"expected at least two choices; got {len(self.choices)}")
        kinds = list(dict.fromkeys(_kind(c) for c in self.choices))
        if len(kinds) > 1:
            raise ValueError(f"expected choices of one type; got {' and '.join(kinds)} values")
        if len({repr(c) for c in self.choices}) < len(self.choices):
            raise ValueError("expected distinct choices")
        return self

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample the parameter; returns Optuna name -> value."""
        return {self.path: trial.suggest_categorical(self.path, list(self.choices))}

    def extremes(self) -> list[dict[str, Any]]:
        """Every choice, to probe the scenario's validation."""
        return [{self.path: choice} for choice in self.choices]


Bounds = Range | dict[str, Range]


class LadderParam(Section):
    """Increasing tier thresholds: a first threshold plus positive increments.

    ``first`` and ``increment`` are one range for every archetype, or a
    mapping archetype -> range to sample thresholds per archetype. Tiers
    before ``from_tier`` keep their thresholds (e.g. a base tier at 0).
    """

    type: Literal["ladder"]
    path: str = Field(description="dotted path of a tier list, e.g. design.mechanics.0.tiers")
    from_tier: NonNegativeInt = Field(1, description="index of the first tier tuned")
    first: Bounds = Field(description="threshold of tier from_tier, $ (one range or per archetype)")
    increment: Bounds | None = Field(
        None, description="gap to each next tier's threshold, $ (positive; needed for 2+ tiers)"
    )
    _tiers: int = PrivateAttr(0)  # tiers tuned, set by SearchSpace from the scenario

    @model_validator(mode="after")
    def _positive(self) -> LadderParam:
        first = self._ranges(self.first)
        step = self._ranges(self.increment) if self.increment is not None else {}
        if (
            isinstance(self.first, dict)
            and isinstance(self.increment, dict)
            and first.keys() != step.keys()
        ):
            raise ValueError("@increment: expected the same archetypes as first")
        for archetype, bounds in first.items():
            if bounds.low < 0:
                raise ValueError(f"@{_at('first', archetype)}: expected thresholds >= 0")
        for archetype, bounds in step.items():
            if bounds.low <= 0:
                raise ValueError(f"@{_at('increment', archetype)}: expected positive increments")
        return self

    @staticmethod
    def _ranges(bounds: Bounds) -> dict[str | None, Range]:
        return dict(bounds) if isinstance(bounds, dict) else {None: bounds}

    def with_tiers(self, count: int) -> LadderParam:
        """A copy that tunes ``count`` tiers from ``from_tier`` on."""
        bound = self.model_copy()
        bound._tiers = count
        return bound

    @property
    def archetypes(self) -> list[str | None]:
        """Archetypes with their own thresholds, or ``[None]`` for one threshold per tier."""
        for bounds in (self.first, self.increment):
            if isinstance(bounds, dict):
                return list(bounds)
        return [None]

    def _rungs(self) -> list[tuple[int, str | None, str, Range]]:
        """(tier, archetype, Optuna name, range) of every sampled number, in order."""
        out = []
        for tier in range(self.from_tier, self.from_tier + self._tiers):
            first = tier == self.from_tier
            for archetype in self.archetypes:
                bounds = self._ranges(self.first if first else self.increment)  # type: ignore[arg-type]
                name = f"{self.path}.{tier}.{'threshold' if first else 'threshold_step'}"
                name += f".{archetype}" if archetype else ""
                out.append((tier, archetype, name, bounds.get(archetype) or bounds[None]))
        return out

    @property
    def names(self) -> list[str]:
        """Optuna names: ``<path>.<tier>.threshold[.<archetype>]`` then ``...threshold_step``."""
        return [name for _, _, name, _ in self._rungs()]

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample the first threshold and the increments; returns Optuna name -> value."""
        return {name: bounds.suggest(trial, name) for _, _, name, bounds in self._rungs()}

    def assignments(self, values: Values) -> dict[str, Any]:
        """Each tuned tier's threshold: the first plus the increments so far."""
        running: dict[str | None, float] = dict.fromkeys(self.archetypes, 0.0)
        out: dict[str, Any] = {}
        for tier, archetype, name, _ in self._rungs():
            running[archetype] += values[name]
            out[f"{self.path}.{tier}.threshold"] = (
                running[None] if None in running else dict(running)
            )
        return out

    def extremes(self) -> list[dict[str, Any]]:
        """The lowest and the highest ladder, then one probe per later tier.

        Each later probe puts the highest possible threshold below that tier
        and adds the smallest increment, so a gap lost to rounding shows.
        """
        rungs = self._rungs()
        out = [{name: getattr(b, end) for _, _, name, b in rungs} for end in ("low", "high")]
        for last in range(self.from_tier + 1, self.from_tier + self._tiers):
            out.append({name: b.high if tier < last else b.low for tier, _, name, b in rungs})
        return out


def _at(field: str, archetype: str | None) -> str:
    return f"{field}.{archetype}.low" if archetype else f"{field}.low"


class LeverParam(Section):
    """A list item (a mechanic, a tier) that the design includes or drops."""

    type: Literal["lever"]
    path: str = Field(description="dotted path of a list item, e.g. design.mechanics.1")

    @property
    def names(self) -> list[str]:
        """Optuna parameter name: ``<path>.enabled``."""
        return [f"{self.path}.enabled"]

    def draw(self, trial: BaseTrial) -> dict[str, Any]:
        """Sample on or off; returns Optuna name -> value."""
        return {self.names[0]: trial.suggest_categorical(self.names[0], [True, False])}

    def extremes(self) -> list[dict[str, Any]]:
        """Off: the design without the item."""
        return [{self.names[0]: False}]


Param = Annotated[
    FloatParam | IntParam | ChoiceParam | LadderParam | LeverParam, Field(discriminator="type")
]
PARAM_TYPES = ("float", "int", "choice", "ladder", "lever")


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
    node, walked = tree, []
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
