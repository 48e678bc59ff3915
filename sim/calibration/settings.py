"""What to fit: the ``calibrate:`` section of a scenario and ``--param KEY=lo:hi`` options.

A parameter is ``behaviour.<archetype>.<name>``, a behavioural parameter that
is a number (not a count of weeks) and does not shape the rows of a world
(``entry_rate`` comes from the history). Its prior is uniform on
``[low, high]``, or on the log scale with ``log: true`` (for rates and money,
where the order of magnitude is what is unknown). The dispersion of partner
sizes, ``size_sigma``, is fitted for every archetype of the history unless
``fit_size: false``.

Every problem raises :class:`~sim.errors.ScenarioError` naming
``calibrate.<field>`` (or ``--param``), exit code 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, model_validator

from agents import ARCHETYPES, PartnerParams
from sim.errors import ScenarioError
from sim.scenario.loading import field_path
from sim.scenario.schema import Scenario

#: Behavioural parameters calibration can fit: numbers that leave a world's rows alone.
FITTABLE = tuple(
    name
    for name, info in PartnerParams.model_fields.items()
    if info.annotation is float and name != "entry_rate"
)
#: The prior of ``size_sigma`` when it is fitted without one given.
SIZE_PRIOR = (0.3, 2.5)


class Prior(BaseModel):
    """A uniform prior on ``[low, high]``, on the log scale with ``log: true``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float = Field(description="lowest value")
    high: float = Field(description="highest value")
    log: bool = Field(False, description="uniform on the log scale (both bounds > 0)")

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not self.high > self.low:
            raise ValueError(f"expected high > low, got [{self.low:g}, {self.high:g}]")
        if self.log and self.low <= 0:
            raise ValueError(f"expected low > 0 on the log scale, got {self.low:g}")
        return self

    def to_unit(self, value: float) -> float:
        """``value`` on the prior's scale, mapped to [-1, 1]."""
        low, high = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        x = math.log(value) if self.log else value
        return 2.0 * (x - low) / (high - low) - 1.0


class CalibrationSettings(BaseModel):
    """The validated ``calibrate:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    params: dict[str, Prior] = Field(default_factory=dict, description="path -> prior")
    fit_size: bool = Field(True, description="fit size_sigma of every archetype")
    seeds: Annotated[int, Field(ge=2, le=32)] = Field(
        4, description="replications per evaluation, on common random numbers"
    )
    points: Annotated[int, Field(ge=8, le=2000)] = Field(
        48, description="parameter sets simulated per round"
    )
    rounds: Annotated[int, Field(ge=1, le=6)] = Field(
        3, description="rounds of the design, each around the last round's posterior"
    )
    noise: Annotated[int, Field(ge=10, le=1000)] = Field(
        80, description="independent replicates per round for the statistics' covariance"
    )
    draws: Annotated[int, Field(ge=100, le=100_000)] = Field(
        4000, description="posterior draws kept"
    )
    held_out_weeks: Annotated[int, Field(ge=0)] = Field(
        13, description="weeks at the history's end predicted by a fit on the rest (0: no check)"
    )
    predictive: Annotated[int, Field(ge=10, le=1000)] = Field(
        40, description="posterior draws simulated for fit bands and the held-out check"
    )
    seed: NonNegativeInt = Field(0, description="seed of the design and of the sampler")

    def priors(self, archetypes: Sequence[str]) -> dict[str, Prior]:
        """Every fitted parameter's prior: the given ones, plus ``size_sigma`` per archetype."""
        out = dict(self.params)
        if self.fit_size:
            for archetype in archetypes:
                out.setdefault(
                    f"behaviour.{archetype}.size_sigma",
                    Prior(low=SIZE_PRIOR[0], high=SIZE_PRIOR[1]),
                )
        return out


def parse_param(item: str) -> tuple[str, Prior]:
    """``KEY=lo:hi`` (or ``KEY=lo:hi:log``) as a path and its prior."""
    key, sep, text = item.partition("=")
    parts = text.split(":")
    try:
        if not sep or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
            raise ValueError("expected KEY=lo:hi or KEY=lo:hi:log")
        return key.strip(), Prior(low=float(parts[0]), high=float(parts[1]), log=len(parts) == 3)
    except (ValueError, ValidationError) as error:
        message = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise ScenarioError("--param", item, message.removeprefix("Value error, ")) from None


def read_settings(
    scenario: Scenario, source: str, params: Sequence[str] = ()
) -> CalibrationSettings:
    """The scenario's ``calibrate:`` section with ``--param`` priors laid over it, checked."""
    raw: dict[str, Any] = dict(scenario.calibrate or {})
    try:
        settings = CalibrationSettings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(["calibrate", *(str(p) for p in first["loc"])])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ScenarioError(source, field_path(field.split(".")), message) from None
    given = dict(parse_param(item) for item in params)
    settings = settings.model_copy(update={"params": {**settings.params, **given}})
    for path, prior in settings.params.items():
        where = ("--param", path) if path in given else (source, f"calibrate.params.{path}")
        check_param(path, prior, scenario, *where)
    return settings


def check_param(path: str, prior: Prior, scenario: Scenario, source: str, field: str) -> None:
    """A fittable behavioural parameter of an archetype, whose prior the schema accepts."""
    parts = path.split(".")
    if len(parts) != 3 or parts[0] != "behaviour" or parts[1] not in ARCHETYPES:
        raise ScenarioError(
            source,
            field,
            f"expected behaviour.<archetype>.<parameter>, one of {sorted(ARCHETYPES)}",
        )
    archetype, name = parts[1], parts[2]
    if name not in FITTABLE:
        raise ScenarioError(
            source, field, f"expected a fittable parameter, one of {', '.join(FITTABLE)}"
        )
    model = type(scenario.archetype_params(archetype))
    for end in (prior.low, prior.high):
        try:
            model.model_validate(scenario.archetype_params(archetype).model_dump() | {name: end})
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise ScenarioError(
                source, field, f"expected a prior the parameter accepts; at {end:g}: {reason}"
            ) from None
