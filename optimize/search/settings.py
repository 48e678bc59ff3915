"""The ``search:`` section of a scenario: what to tune, what to maximize, under which limits.

``partnerlab optimize`` reads it; the simulator keeps it as an opaque mapping.
Validation is strict (unknown keys are errors) and every problem is reported
as one :class:`~sim.scenario.loading.ScenarioError` naming ``search.<field>``.
"""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, NonNegativeInt, ValidationError, model_validator
from scipy.stats import qmc

from optimize.search.params import PARAM_TYPES, Param, Section, check_bounds
from optimize.search.space import SearchSpace, lookup
from sim.scenario.loading import ScenarioError, apply_override, field_path, validate_scenario
from sim.scenario.schema import TOOL_SECTIONS, Scenario

Share = Annotated[float, Field(gt=0, le=1)]
#: Top-level fields an ensemble may not vary: the design is what is tuned, and
#: the run settings define the worlds.
_NOT_ASSUMPTIONS = {"design", "name", "description", "seed", "replications", *TOOL_SECTIONS}


class BadSetting(ValueError):
    """An optimization setting the user must fix (the command reports it with exit code 2)."""


class Ensemble(Section):
    """Behavioural assumptions drawn from ranges (Latin hypercube) for a CVaR objective."""

    members: Annotated[int, Field(ge=2, le=256)] = Field(8, description="assumption sets drawn")
    seed: NonNegativeInt = Field(0, description="seed of the Latin hypercube draw")
    ranges: dict[str, tuple[float, float]] = Field(
        min_length=1,
        description="dotted scenario path -> [low, high], e.g. "
        "behaviour.reseller.effort_elasticity: [0.5, 1.0]",
    )
    fixed: list[dict[str, float]] | None = Field(
        None,
        description="the members themselves (path -> value), e.g. draws of a calibration's "
        "posterior (optimize --posterior); ranges then span them",
    )

    @classmethod
    def of_draws(cls, draws: list[dict[str, float]]) -> Ensemble:
        """An ensemble whose members are ``draws`` (a calibration's posterior)."""
        ranges = {}
        for path in draws[0]:
            low, high = min(d[path] for d in draws), max(d[path] for d in draws)
            ranges[path] = (low, max(high, low + 1e-9 * max(abs(low), 1.0)))  # never empty
        return cls(members=len(draws), ranges=ranges, fixed=draws)

    @model_validator(mode="after")
    def _sound(self) -> Ensemble:
        for path, (low, high) in self.ranges.items():
            try:
                check_bounds(low, high, False, None)
            except ValueError as error:
                raise ValueError(f"@ranges.{path}: {error}") from None
        return self

    def draws(self, base: dict[str, Any]) -> list[dict[str, Any]]:
        """``members`` override sets, path -> value; integer fields get integers."""
        if self.fixed is not None:
            return [dict(member) for member in self.fixed]
        unit = qmc.LatinHypercube(d=len(self.ranges), rng=np.random.default_rng(self.seed))
        points = unit.random(self.members)
        out = []
        for row in points:
            member = {}
            for (path, (low, high)), u in zip(self.ranges.items(), row, strict=True):
                value = low + u * (high - low)
                member[path] = round(value) if isinstance(lookup(base, path), int) else value
            out.append(member)
        return out


class Constraints(Section):
    """Budget and fairness limits; a design beyond any of them is infeasible (kept, marked)."""

    max_cost_share: Share | None = Field(
        None, description="program cost of the design at most this share of channel revenue"
    )
    min_rewarded_share: Share | None = Field(
        None, description="at least this share of active partners earns some reward"
    )
    max_payout_per_partner: Annotated[float, Field(gt=0)] | None = Field(
        None, description="rewards paid per partner over the horizon at most this, $"
    )


class SearchSettings(Section):
    """The validated ``search:`` section."""

    params: list[Param] = Field(min_length=1, description="design parameters to tune")
    objective: Literal["mean", "ci_low", "cvar"] = Field(
        "mean",
        description="mean: mean paired net lift; ci_low: its lower 95% bound; "
        "cvar: mean net lift of the worst cvar_alpha share of the ensemble",
    )
    measure: Literal["net_lift", "net_lift_with_pipeline"] = Field(
        "net_lift",
        description="what the objective counts: net_lift over the horizon, or "
        "net_lift_with_pipeline, which adds the change in the gross profit expected from "
        "deals still open at the horizon (so a design that starves the pipeline pays for it)",
    )
    cvar_alpha: Annotated[float, Field(gt=0, le=1)] = Field(
        0.25, description="tail share averaged by the cvar objective"
    )
    ensemble: Ensemble | None = Field(None, description="assumption ranges (objective cvar)")
    versus: Literal["incremental_cost", "rewarded_share"] | None = Field(
        None, description="second objective: multi-objective mode with a Pareto front"
    )
    constraints: Constraints = Field(default_factory=Constraints)
    pruning: bool | None = Field(
        None,
        description="stop clearly worse trials early (WilcoxonPruner); default on "
        "in single-objective mode",
    )
    sampler: Literal["tpe", "gp", "cmaes", "random", "nsga2"] = Field(
        "tpe", description="Optuna sampler"
    )
    held_out: NonNegativeInt = Field(16, description="fresh replications for the held-out check")

    @model_validator(mode="after")
    def _coherent(self) -> SearchSettings:
        if (self.objective == "cvar") != (self.ensemble is not None):
            raise ValueError("@ensemble: expected an ensemble exactly when the objective is cvar")
        if self.versus and self.pruning:
            raise ValueError(
                "@pruning: expected false in multi-objective mode (WilcoxonPruner is "
                "single-objective)"
            )
        return self

    @property
    def multi_objective(self) -> bool:
        """Whether a second objective is set."""
        return self.versus is not None

    @property
    def prunes(self) -> bool:
        """Whether trials are pruned: on by default in single-objective mode."""
        return not self.multi_objective if self.pruning is None else self.pruning

    def fingerprint(self) -> dict[str, Any]:
        """The settings that shape trial values (not the sampler, pruning or held-out)."""
        return self.model_dump(mode="json", exclude={"sampler", "pruning", "held_out"})


def read_search(scenario: Scenario, source: str) -> tuple[SearchSettings, SearchSpace]:
    """Validate a scenario's ``search:`` section and build its space.

    Raises:
        ScenarioError: the section is missing or invalid (``search.<field>: expected ...``).
    """
    if not scenario.search:
        raise ScenarioError(
            source, "search", "expected a search section with params (see docs/optimize.md)"
        )
    try:
        settings = SearchSettings.model_validate(scenario.search)
    except ValidationError as error:
        raise _scenario_error(error, source) from None
    if settings.ensemble is not None:
        _check_ensemble(settings.ensemble, scenario, source)
    return settings, SearchSpace(scenario, settings.params, source)


_TAG = re.compile(r"^(Range|dict\[.*\]|function-.*|tuple\[.*\])$")


def _scenario_error(error: ValidationError, source: str) -> ScenarioError:
    first = error.errors()[0]
    loc = [
        p for p in first["loc"] if not (isinstance(p, str) and (p in PARAM_TYPES or _TAG.match(p)))
    ]
    field = "search." + field_path(loc) if loc else "search"
    kind, message = first["type"], first["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required field is missing"
    elif kind in {"union_tag_invalid", "union_tag_not_found"}:
        field, message = (
            field + ".type",
            f"expected a parameter type, one of {', '.join(PARAM_TYPES)}",
        )
    elif message.startswith("@"):
        sub, _, message = message[1:].partition(": ")
        field = f"{field}.{sub}"
    elif "input" in first and kind not in {"value_error", "assertion_error"}:
        message = f"{message[:1].lower()}{message[1:]} (got {first['input']!r})"
    return ScenarioError(source, field, message)


def _check_ensemble(ensemble: Ensemble, scenario: Scenario, source: str) -> None:
    """Ranges name numeric assumptions outside the design, valid at both ends."""
    base = scenario.model_dump(mode="json") | dict.fromkeys(TOOL_SECTIONS)
    for path, (low, high) in ensemble.ranges.items():
        field = f"search.ensemble.ranges.{path}"
        try:
            value = lookup(base, path)
        except KeyError as error:
            raise ScenarioError(
                source, field, f"expected a path in the scenario; {error.args[0]}"
            ) from None
        if path.split(".")[0] in _NOT_ASSUMPTIONS:
            raise ScenarioError(
                source, field, "expected an assumption outside the design and run settings"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, field, f"expected a numeric field; it holds {value!r}")
        for end in (low, high):
            raw = copy.deepcopy(base)
            apply_override(raw, path, round(end) if isinstance(value, int) else end)
            try:
                validate_scenario(raw, source)
            except ScenarioError as error:
                raise ScenarioError(
                    source,
                    field,
                    f"expected a range the scenario accepts; at {end:g}: {error.expected}",
                ) from None
