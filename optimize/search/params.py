"""The parameter kinds of ``search.params``: what each one tunes and how it is sampled.

Each kind is a strict, frozen pydantic model (unknown keys are errors) that
knows its Optuna parameter names, draws its values from a trial, turns drawn
values into scenario assignments, and lists its extreme values, which the
search space (``optimize.search.space``) uses to probe the scenario's
validation when it is built. ``Section`` and ``check_bounds`` are shared with
the rest of the ``search:`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

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

    if TYPE_CHECKING:  # the fields of the model it is mixed into
        path: str

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
        if isinstance(bounds, dict):
            return {archetype: bounds[archetype] for archetype in bounds}
        return {None: bounds}

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
