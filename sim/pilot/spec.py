"""The scenario's ``pilot:`` section: who is in a pilot, how they are assigned, how long it runs.

``partnerlab pilot`` and ``partnerlab matrix`` read it; ``run`` and ``compare``
ignore it. Every model forbids unknown keys. :func:`pilot_spec` validates the
section against the scenario it belongs to (names of archetypes, size bands
and regions; arms and allocation shares) and reports the first problem as a
:class:`~sim.scenario.loading.ScenarioError` naming ``pilot.<field>``, so the command
line prints one line and exits with code 2. ``docs/pilot.md`` is the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.scenario.calendar import QUARTER
from sim.scenario.fields import MAX_ITEMS, Strict
from sim.scenario.loading import ScenarioError, field_path, parse_override
from sim.scenario.program import Program
from sim.scenario.schema import Scenario

#: Partner fields a pilot can filter, stratify or segment by.
SegmentField = Literal["archetype", "size_band", "region", "maturity"]
#: Estimators of the average effect, in report order (see ``sim.pilot.estimators``).
EstimatorName = Literal["diff_in_means", "cuped", "diff_in_diff", "post_stratified"]
Share = Annotated[float, Field(gt=0, le=1)]
MAX_WEEKS = 104


def _archetype_and_band() -> list[SegmentField]:
    return ["archetype", "size_band"]


class Eligibility(Strict):
    """Which partners may join the pilot; a field left out does not filter."""

    archetypes: list[str] | None = Field(None, description="archetypes, e.g. [reseller]")
    size_bands: list[str] | None = Field(None, description="size bands, e.g. [medium, large]")
    regions: list[str] | None = Field(None, description="regions, e.g. [emea]")
    maturity: Literal["new", "established"] | None = Field(
        None, description="new or established partners only"
    )


class Assignment(Strict):
    """How pilot partners are split between the control arm and the design arms."""

    type: Literal["simple", "stratified", "clustered"] = Field(
        "simple",
        description="simple: complete randomization; stratified: exact balance within "
        "each stratum; clustered: whole regions to one arm",
    )
    strata: list[SegmentField] = Field(
        default_factory=_archetype_and_band,
        min_length=1,
        description="fields whose combinations are the strata (stratified assignment and "
        "the post-stratified estimator)",
    )
    allocation: list[Share] | None = Field(
        None,
        description="share of pilot partners per arm, control first (default: equal); "
        "normalized to sum to 1",
    )


class Interim(Strict):
    """The mid-point review: an interim look at the data before the pilot ends."""

    at: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.5, description="share of the pilot weeks after which the interim look happens"
    )
    spending: Literal["obrien_fleming", "bonferroni"] = Field(
        "obrien_fleming",
        description="how alpha is split between the interim and the final look",
    )


class Planning(Strict):
    """The grid of pilot sizes and durations over which power is simulated."""

    shares: list[Share] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="pilot sizes as shares of the eligible partners (default 0.1 ... 1)",
    )
    partners: list[Annotated[int, Field(ge=4)]] | None = Field(
        None, max_length=MAX_ITEMS, description="pilot sizes as partner counts (instead of shares)"
    )
    weeks: list[Annotated[int, Field(ge=2, le=MAX_WEEKS)]] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="pilot durations in weeks (default: 1, 2 and 3 times the pilot weeks)",
    )
    simulations: Annotated[int, Field(ge=2)] | None = Field(
        None, description="simulated pilots per grid point (default: min(simulations, 200))"
    )

    @model_validator(mode="after")
    def _one_kind_of_size(self) -> Planning:
        if self.shares is not None and self.partners is not None:
            raise ValueError("expected the planning sizes as shares or as partners, not both")
        return self


class Level(Strict):
    """One level of a matrix factor: changes made to the matrix's base program."""

    set: dict[str, Any] = Field(
        default_factory=dict,
        description="dotted paths inside the program and their values, "
        "e.g. {mechanics.0.basis: marginal}",
    )
    add: list[dict[str, Any]] = Field(
        default_factory=list, description="mechanics appended to the program"
    )


class Factor(Strict):
    """A two-level lever of the experiment matrix; the first level is coded -1."""

    name: str = Field(description="factor name, e.g. reward")
    levels: dict[str, Level] = Field(description="exactly two levels, by name")

    @model_validator(mode="after")
    def _two_levels(self) -> Factor:
        if len(self.levels) != 2:
            raise ValueError(f"expected exactly two levels, got {len(self.levels)}")
        return self


class Matrix(Strict):
    """A two-level factorial (or fractional factorial) experiment over levers."""

    base: Literal["design", "baseline"] = Field(
        "design", description="the program that the factor levels modify"
    )
    factors: list[Factor] = Field(min_length=1, max_length=5, description="the levers")
    generators: dict[str, list[str]] = Field(
        default_factory=dict,
        description="fractional factorial: a factor's level is the product of these factors' "
        "levels, e.g. {email: [reward, thresholds]}",
    )
    segments: list[SegmentField] = Field(
        default_factory=_archetype_and_band,
        description="fields whose combinations are the segments of the by-segment effects",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Matrix:
        names = [f.name for f in self.factors]
        if len(set(names)) != len(names):
            raise ValueError(f"expected distinct factor names, got {names}")
        for generated, parents in self.generators.items():
            if generated not in names or any(p not in names for p in parents):
                raise ValueError(f"expected generators that name factors among {names}")
            if generated in parents or len(parents) < 2:
                raise ValueError(
                    f"expected the generator of {generated!r} to be two or more other factors"
                )
            if any(p in self.generators for p in parents):
                raise ValueError("expected generators made of base (not generated) factors")
        return self


class PilotSpec(Strict):
    """The ``pilot:`` section of a scenario."""

    eligibility: Eligibility = Field(default_factory=Eligibility)
    partners: Annotated[int, Field(ge=4)] | None = Field(
        None, description="pilot size as a partner count, all arms together"
    )
    share: Share | None = Field(
        None, description="pilot size as a share of the eligible partners (default 1)"
    )
    assignment: Assignment = Field(default_factory=Assignment)
    arms: list[Program] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ITEMS,
        description="the designs tested against the baseline (default: design)",
    )
    weeks: Annotated[int, Field(ge=2, le=MAX_WEEKS)] = Field(
        QUARTER, description="pilot duration in weeks"
    )
    pre_weeks: Literal[13, 26, 39, 52] = Field(
        13, description="weeks before the pilot used as the pre-period (whole quarters)"
    )
    interim: Interim | None = Field(default_factory=Interim)
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = Field(0.05, description="two-sided test level")
    power: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.8, description="power the planner looks for"
    )
    estimator: EstimatorName = Field("cuped", description="the primary estimator")
    simulations: Annotated[int, Field(ge=2)] = Field(
        200, description="simulated pilots (new worlds and assignments each)"
    )
    planning: Planning | None = Field(default_factory=Planning)
    matrix: Matrix | None = Field(None, description="an experiment matrix over levers")

    @model_validator(mode="after")
    def _one_size(self) -> PilotSpec:
        if self.partners is not None and self.share is not None:
            raise ValueError("expected the pilot size as partners or as share, not both")
        if self.assignment.type == "clustered" and self.estimator == "post_stratified":
            raise ValueError(
                "expected another estimator: post-stratification needs partner-level assignment"
            )
        return self

    def programs(self, scenario: Scenario) -> list[Program]:
        """Control (the scenario's baseline) then each design arm."""
        return [scenario.baseline, *(self.arms or [scenario.design])]

    def shares(self, scenario: Scenario) -> list[float]:
        """Allocation shares of the arms, control first, summing to 1."""
        count = len(self.programs(scenario))
        raw = self.assignment.allocation or [1.0] * count
        return [s / sum(raw) for s in raw]


def pilot_spec(
    scenario: Scenario, source: str, overrides: Iterable[str] = (), **updates: Any
) -> PilotSpec:
    """Validate the scenario's ``pilot:`` section (with command-line ``updates``).

    Args:
        scenario: the loaded scenario; its section may be absent (all defaults).
        source: the file name used in error messages.
        overrides: the ``--set`` strings the scenario was loaded with, so an error
            in a value set on the command line names that ``--set``.
        updates: top-level fields of the section to replace, e.g. ``weeks=26``;
            ``None`` values are ignored.

    Raises:
        ScenarioError: the section is malformed or does not fit the scenario.
    """
    raw = dict(scenario.pilot or {})
    raw.update({k: v for k, v in updates.items() if v is not None})
    if "partners" in updates and updates["partners"] is not None:
        raw.pop("share", None)
    blame = blamer(source, overrides)
    try:
        spec = PilotSpec.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = "pilot." + field_path(first["loc"]) if first["loc"] else "pilot"
        raise ScenarioError(blame(field), field, _expected(first)) from None
    _check_names(spec, scenario, blame)
    return spec


def _expected(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required field is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] != "value_error":
        message += f" (got {error.get('input')!r})"
    return message[0].lower() + message[1:]


def blamer(source: str, overrides: Iterable[str]) -> Callable[[str], str]:
    """Who to name for an error at a field: the ``--set`` that wrote it, or the file."""
    set_keys = {parse_override(item)[0]: item for item in overrides}

    def blame(field: str) -> str:
        for key, item in set_keys.items():
            if field == key or field.startswith(key + ".") or key.startswith(field + "."):
                return f"--set {item}"
        return source

    return blame


def _check_names(spec: PilotSpec, scenario: Scenario, blame: Callable[[str], str]) -> None:
    """Names in the section must exist in the scenario; arms and allocation must agree."""
    population = scenario.population
    known = {
        "archetypes": [a for a, n in population.partners.items() if n > 0],
        "size_bands": list(population.size_bands),
        "regions": list(population.regions),
    }
    for name, allowed in known.items():
        for index, value in enumerate(getattr(spec.eligibility, name) or []):
            if value not in allowed:
                field = f"pilot.eligibility.{name}.{index}"
                raise ScenarioError(
                    blame(field), field, f"expected one of {allowed}, got {value!r}"
                )
    arms = len(spec.programs(scenario))
    allocation = spec.assignment.allocation
    if allocation is not None and len(allocation) != arms:
        field = "pilot.assignment.allocation"
        raise ScenarioError(
            blame(field),
            field,
            f"expected {arms} shares (control first, then each arm), got {len(allocation)}",
        )
    if spec.assignment.type == "clustered" and len(population.regions) < 2 * arms:
        field = "pilot.assignment.type"
        raise ScenarioError(
            blame(field),
            field,
            f"expected at least 2 regions per arm for clustered assignment; the population "
            f"has {len(population.regions)} regions for {arms} arms",
        )
