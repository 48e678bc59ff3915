"""Global sensitivity of net lift to design and behavioural parameters (SALib).

Parameters are scenario fields with ranges, declared in the scenario's
``sensitivity:`` section and/or given as ``path=lo:hi``. SALib samples the unit
hypercube (Sobol': Saltelli's scheme, ``samples * (D + 2)`` points; Morris:
``samples`` trajectories of ``D + 1`` points on ``levels`` levels); each
sample is a sweep point (:func:`optimize.sweeps.sweep.run_design`: chunked, resumable,
loky or Dask), and its model output is the mean paired net lift over the same
replications for every sample (common random numbers), so the output is a
deterministic function of the parameters. SALib then estimates:

* ``sobol``: first-order ``S1`` and total ``ST`` indices (shares of the
  variance of net lift) with bootstrap 95% half-widths ``S1_conf``, ``ST_conf``;
* ``morris``: ``mu_star`` (mean absolute elementary effect, $ of net lift per
  full range of the parameter), its 95% half-width ``mu_star_conf``, ``mu`` and
  ``sigma`` (spread of the effects: interactions or non-linearity).

Parameters are ranked by ``ST`` (Sobol') or ``mu_star`` (Morris).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from optimize.sweeps.design import Param, check_params, make_range, parse_param, unit_design
from optimize.sweeps.store import SweepStore
from optimize.sweeps.sweep import SweepResult, resolve, run_design
from sim.limits import SWEEP_POINTS
from sim.runs.store import write_parquet
from sim.scenario.loading import ScenarioError, field_path
from sim.scenario.schema import Scenario

Method = Literal["sobol", "morris"]
#: Default base samples: Sobol' runs ``N * (D + 2)`` points, Morris ``N * (D + 1)``.
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}
#: Bootstrap resamples for the confidence intervals.
RESAMPLES = 1000
#: Columns of the indices table per method, after ``parameter``, ``low`` and ``high``.
INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
}
RANK_BY = {"sobol": "ST", "morris": "mu_star"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeSpec(_Section):
    """One parameter of the ``sensitivity:`` section: a scenario field and its range."""

    path: str = Field(min_length=1, description="dotted path of a scenario field")
    low: float = Field(description="lower end of the range")
    high: float = Field(description="upper end of the range")

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.high > self.low:
            raise ValueError(f"expected high > low, got {self.low:g} and {self.high:g}")
        return self


class SensitivitySection(_Section):
    """The scenario's ``sensitivity:`` section (every key optional)."""

    method: Method = Field("morris", description="sobol or morris")
    samples: Annotated[int, Field(ge=1)] | None = Field(
        None, description="base samples (sobol) or trajectories (morris)"
    )
    levels: Annotated[int, Field(ge=2, multiple_of=2)] = Field(
        4, description="grid levels of a Morris trajectory (even)"
    )
    replications: Annotated[int, Field(ge=1)] | None = Field(
        None, description="replications per sample (default: the scenario's)"
    )
    params: list[RangeSpec] = Field(default_factory=list, description="parameters and ranges")


def read_section(scenario: Scenario, source: str) -> SensitivitySection:
    """The validated ``sensitivity:`` section (defaults where the scenario has none).

    Raises:
        ScenarioError: naming ``source``, ``sensitivity.<field>`` and what was expected.
    """
    try:
        return SensitivitySection.model_validate(scenario.sensitivity or {})
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ScenarioError(source, field_path(("sensitivity", *first["loc"])), message) from None


def _params(
    scenario: Scenario,
    section: SensitivitySection,
    source: str,
    extra: Sequence[str] | Mapping[str, tuple[float, float]],
) -> list[Param]:
    """The section's ranges, then ``extra`` ones (which replace a range of the same path)."""
    raw = scenario.model_dump(mode="json")
    chosen: dict[str, Param] = {}
    for i, spec in enumerate(section.params):
        where = f"{source}: sensitivity.params.{i}"
        chosen[spec.path] = make_range(raw, spec.path, spec.low, spec.high, where)
    if isinstance(extra, Mapping):
        for path, (low, high) in extra.items():
            chosen[path] = make_range(raw, path, low, high, f"params[{path!r}]")
    else:
        for text in extra:
            param = parse_param(text, raw)
            if param.levels is not None:
                raise param.error(param.path, "expected a range lo:hi for a sensitivity analysis")
            chosen[param.path] = param
    if not chosen:
        raise ScenarioError(
            source, "sensitivity.params", "expected at least one parameter (or --param path=lo:hi)"
        )
    return list(chosen.values())


@dataclass
class SensitivityResult:
    """Sensitivity indices of net lift, ranked, with the sweep of samples behind them.

    Attributes:
        indices: one row per parameter, most influential first: ``rank``,
            ``parameter``, ``low``, ``high`` and the method's indices.
        sweep: the samples that were run (``sweep.points`` has each sample's
            parameter values and mean net lift).
        figure: the bar chart, if one was drawn.
    """

    method: Method
    samples: int
    levels: int | None
    indices: pd.DataFrame
    sweep: SweepResult
    figure: Path | None

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``partnerlab sensitivity``."""
        records = self.indices.astype(object).where(self.indices.notna(), None)
        run = self.sweep
        return {
            "scenario": run.scenario.name,
            "method": self.method,
            "samples": self.samples,
            "levels": self.levels,
            "evaluations": len(run.points),
            "replications": run.replications,
            "seed": run.seed,
            "output": "mean paired net lift over replications, $",
            "indices": records.to_dict(orient="records"),
            "reused": run.reused,
            "computed": run.computed,
            "seconds": round(run.seconds, 3),
            "out": str(run.out),
            "figure": str(self.figure) if self.figure else None,
        }


def _sample(
    method: Method, problem: dict[str, Any], samples: int, levels: int, seed: int
) -> np.ndarray:
    if method == "sobol":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*power of 2.*")
            return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, samples, num_levels=levels, seed=seed)


def _analyze(
    method: Method,
    problem: dict[str, Any],
    unit: np.ndarray,
    output: np.ndarray,
    levels: int,
    seed: int,
) -> dict[str, Any]:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "sobol":
            return sobol_analyze.analyze(
                problem, output, calc_second_order=False, num_resamples=RESAMPLES, seed=seed
            )
        return morris_analyze.analyze(
            problem, unit, output, num_resamples=RESAMPLES, num_levels=levels, seed=seed
        )


def index_table(method: Method, params: Sequence[Param], found: Mapping[str, Any]) -> pd.DataFrame:
    """SALib's results as a ranked table (NaN indices rank last)."""
    table = pd.DataFrame(
        {
            "parameter": [p.path for p in params],
            "low": [p.low for p in params],
            "high": [p.high for p in params],
            **{name: np.asarray(found[name], dtype=np.float64) for name in INDEX_COLUMNS[method]},
        }
    )
    table = table.sort_values(RANK_BY[method], ascending=False, na_position="last", kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


def sensitivity(
    scenario: Scenario | str | Path,
    params: Sequence[str] | Mapping[str, tuple[float, float]] = (),
    *,
    method: Method | None = None,
    samples: int | None = None,
    levels: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    figure: bool = True,
    **options: Any,
) -> SensitivityResult:
    """Sobol' or Morris sensitivity of mean paired net lift to parameter ranges.

    Args:
        scenario: a validated scenario or the path of its file; its
            ``sensitivity:`` section gives defaults for everything below.
        params: extra ranges, ``["path=lo:hi", ...]`` or ``{path: (lo, hi)}``;
            they replace a section range of the same path.
        method: ``"sobol"`` or ``"morris"`` (default: the section's, else morris).
        samples: base samples (Sobol', ideally a power of 2) or trajectories (Morris).
        levels: Morris grid levels (even; default 4).
        replications: replications behind each sample's mean net lift.
        seed: root seed of the replications and of SALib's sampling.
        figure: draw ``sensitivity.png`` in the results folder.
        **options: ``out``, ``jobs``, ``backend``, ``scheduler``,
            ``chunk_size``, ``progress``, ``argv``: see :func:`optimize.sweeps.sweep.run_design`.

    Raises:
        ScenarioError: an invalid section, parameter path or range.
    """
    source = str(scenario) if not isinstance(scenario, Scenario) else scenario.name
    spec = resolve(scenario)
    section = read_section(spec, source)
    chosen = _params(spec, section, source, params)
    check_params(spec, chosen)
    how: Method = method or section.method
    if how not in DEFAULT_SAMPLES:
        raise ScenarioError("--method", "", f"expected sobol or morris, got {how!r}")
    count = (section.samples or DEFAULT_SAMPLES[how]) if samples is None else samples
    if count < 1:
        raise ScenarioError("--samples", "", f"expected at least 1, got {count}")
    grid = section.levels if levels is None else levels
    if grid < 2 or grid % 2:
        raise ScenarioError("--levels", "", f"expected an even number >= 2, got {grid}")
    runs = count * (len(chosen) + (2 if how == "sobol" else 1))
    SWEEP_POINTS.check(runs, f"--samples {count} ({how}: {runs:,} points)")
    root = spec.seed if seed is None else seed
    problem = {
        "num_vars": len(chosen),
        "names": [p.path for p in chosen],
        "bounds": [[0.0, 1.0]] * len(chosen),
    }
    unit = _sample(how, problem, count, grid, root)
    reps = replications or section.replications or spec.replications
    run = run_design(
        spec,
        unit_design(how, chosen, unit),
        replications=reps,
        seed=root,
        label="sensitivity",
        **options,
    )
    output = run.points.sort_values("point")["net_lift"].to_numpy(dtype=np.float64)
    indices = index_table(how, chosen, _analyze(how, problem, unit, output, grid, root))
    write_parquet(run.out / "indices.parquet", indices)
    picture = None
    if figure:  # imported here: seaborn and matplotlib take a second to load
        from optimize.sweeps.sensitivity_plot import plot_indices

        picture = plot_indices(indices, how, spec.name, run.out / "sensitivity.png")
    SweepStore(run.out).seal()
    return SensitivityResult(how, count, grid if how == "morris" else None, indices, run, picture)
