"""Pilot planning: grade estimators on simulated pilots; find the pilot that can confirm a design.

The **outcome** is each pilot partner's revenue over the pilot weeks, $. The
**estimand** is the average effect on the pilot's treated partners: the mean,
over the partners an arm treated, of (revenue under the arm - revenue under
the baseline) in the same world with the same draws. The simulator knows it
for every simulated pilot, so each estimator is graded against it over many
pilots (new worlds, new assignments): bias, coverage of the 95% CI, power at
``alpha`` (Holm across arms) and mean CI width. For this estimand the error
of a difference in means depends only on the partners' baseline revenue, so
the Neyman (HC2) variance is exact when the design adds the same amount to
every partner and conservative when the lift grows with the partner.

The **planner** simulates power over a grid of pilot sizes x durations,
recommends the smallest pilot (partners x weeks) that reaches the target
power, and checks it with full pilots on fresh worlds. See ``docs/pilot.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from sim.limits import REPLICATIONS
from sim.pilot.estimators import interim_alphas, mde
from sim.pilot.plan import PilotInputError, PilotPlan
from sim.pilot.simulated import planning_grid, planning_simulations, simulate, size_label
from sim.pilot.spec import pilot_spec
from sim.runs.footprint import PILOT_PARTNER_BYTES, check_parallel, describe, per_partner_bytes
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

OUTCOME = "revenue per pilot partner over the pilot weeks, $"
ESTIMAND = "average effect on the pilot's treated partners (sample average effect on the treated)"
#: An SRM p-value below this flags a pilot (the usual, strict, threshold).
SRM_ALPHA = 0.001
#: Candidate sizes checked on fresh worlds before the planner gives up.
MAX_CHECKS = 4
#: Confidence that a recommended pilot's power reaches the target.
CONFIDENCE = 0.95


def grade(pilots: pd.DataFrame, alpha: float, power: float) -> pd.DataFrame:
    """Per arm and estimator, over the simulated pilots, against each pilot's true effect.

    Columns: ``bias`` (mean estimate minus true effect), ``coverage`` (share of
    95% CIs containing the true effect), ``power`` (share rejecting no effect
    at ``alpha`` after Holm across arms), ``mean_ci_width``, ``mean_se``,
    ``mde`` (:func:`~sim.pilot.estimators.mde` of the mean standard error) and
    ``mean_estimate``.
    """
    truth = pilots["true_effect"]
    frame = pilots.assign(
        error=pilots["estimate"] - truth,
        covers=(pilots["ci_low"] <= truth) & (truth <= pilots["ci_high"]),
        rejects=pilots["p_holm"] < alpha,
        width=pilots["ci_high"] - pilots["ci_low"],
    )
    graded = frame.groupby(["arm", "estimator"], sort=False).agg(
        bias=("error", "mean"),
        coverage=("covers", "mean"),
        power=("rejects", "mean"),
        mean_ci_width=("width", "mean"),
        mean_se=("se", "mean"),
        mean_estimate=("estimate", "mean"),
    )
    graded["mde"] = [mde(se, alpha, power) for se in graded["mean_se"]]
    return graded


def lower_bound(rejections: Any, simulations: Any) -> Any:
    """One-sided lower confidence bound (``CONFIDENCE``) of a power: the Wilson score bound."""
    return proportion_confint(rejections, simulations, alpha=2 * (1 - CONFIDENCE), method="wilson")[
        0
    ]


def power_curve(grid: pd.DataFrame, alpha: float, power: float) -> pd.DataFrame:
    """Power of the primary estimator per arm, pilot size and duration, over the grid's worlds.

    ``power_low`` is the one-sided 95% lower confidence bound of the power
    (Wilson score interval over the simulated pilots): the Monte Carlo error.
    """
    frame = grid.assign(rejects=grid["p_holm"] < alpha)
    curve = (
        frame.groupby(["arm", "size", "weeks"], sort=False)
        .agg(
            partners=("partners", "mean"),
            power=("rejects", "mean"),
            rejections=("rejects", "sum"),
            mean_se=("se", "mean"),
            true_effect=("true_effect", "mean"),
            simulations=("rejects", "size"),
        )
        .reset_index()
    )
    curve["power_low"] = lower_bound(curve["rejections"], curve["simulations"])
    curve["partners"] = curve["partners"].round().astype(int)
    curve["mde"] = [mde(se, alpha, power) for se in curve["mean_se"]]
    curve["partner_weeks"] = curve["partners"] * curve["weeks"]
    return curve


def recommend(
    plan: PilotPlan, curve: pd.DataFrame, simulations: int, first: int, jobs: int, progress: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The smallest pilot (partners x weeks) sure to reach the target power, confirmed afresh.

    A power estimated from a few hundred pilots is itself uncertain, and the
    smallest grid point that seems to pass is likely to be one that got lucky.
    So grid points whose power reaches ``pilot.power`` with 95% confidence
    (``power_low``) are tried in order of partner-weeks (then weeks), each
    re-simulated as full pilots on ``simulations`` fresh worlds (replications
    from ``first`` on); the first whose fresh power also reaches the target
    with 95% confidence is recommended (``confirmed``). After ``MAX_CHECKS``
    unconfirmed candidates, the one with the highest fresh power is returned
    unconfirmed. Returns the recommendation and every check made.
    """
    design, target = plan.labels[1], plan.spec.power
    sizes = {size_label(s): s for s in planning_grid(plan)[0]}
    rows = curve[curve["arm"] == design]
    candidates = rows[rows["power_low"] >= target].sort_values(
        ["partner_weeks", "weeks"], kind="stable"
    )
    checks = []
    for row in cast(Any, candidates.head(MAX_CHECKS).itertuples()):
        check = plan.resized(sizes[row.size], int(row.weeks))
        pilots, _ = simulate(check, simulations, False, jobs, progress, first, label="check")
        primary = pilots[(pilots["arm"] == design) & (pilots["estimator"] == plan.spec.estimator)]
        rejections = int((primary["p_holm"] < plan.spec.alpha).sum())
        fresh_low = float(lower_bound(rejections, len(primary)))
        checks.append(
            {
                "size": row.size,
                "partners": int(row.partners),
                "weeks": int(row.weeks),
                "power": float(row.power),
                "power_low": float(row.power_low),
                "verified_power": rejections / len(primary),
                "verified_power_low": fresh_low,
                "simulations": int(len(primary)),
                "confirmed": fresh_low >= target,
            }
        )
        if fresh_low >= target:
            return checks[-1], checks
    if checks:
        return max(checks, key=lambda c: c["verified_power"]), checks
    best = rows.sort_values(["power", "partner_weeks"], ascending=[False, True]).iloc[0]
    return {
        "partners": None,
        "weeks": None,
        "power": float(best["power"]),
        "best": {"partners": int(best["partners"]), "weeks": int(best["weeks"])},
    }, checks


def _number(value: Any) -> float | None:
    """A float for JSON (``None`` for NaN)."""
    value = float(value)
    return None if not np.isfinite(value) else value


@dataclass
class PilotResults:
    """A pilot plan graded over simulated pilots, with its power curve and recommendation.

    ``pilots`` has one row per simulated pilot, arm and estimator; ``grades``
    one row per arm and estimator; ``curve`` (with planning) one row per arm,
    pilot size and duration; ``checks`` the re-simulations of candidate sizes.
    """

    plan: PilotPlan
    simulations: int
    pilots: pd.DataFrame
    grades: pd.DataFrame
    curve: pd.DataFrame | None
    recommended: dict[str, Any] | None
    checks: list[dict[str, Any]]

    @property
    def design(self) -> str:
        """Label of the first design arm, the one the top-level figures describe."""
        return self.plan.labels[1]

    def arm(self, label: str) -> dict[str, Any]:
        """The figures of one arm: truth, cost, each estimator's grades, the interim look."""
        spec = self.plan.spec
        rows = self.pilots[self.pilots["arm"] == label]
        one = rows.drop_duplicates("replication")
        grades = self.grades.loc[label]
        return {
            "true_effect": float(one["true_effect"].mean()),
            "population_effect": float(one["population_effect"].mean()),
            "net_effect": float(one["net_effect"].mean()),
            "pilot_cost": float(one["pilot_cost"].mean()),
            "treated": float(one["treated"].mean()),
            "mde": float(cast(float, grades.loc[spec.estimator, "mde"])),
            "estimators": {
                name: {
                    key: _number(grades.loc[name, key])
                    for key in ("bias", "coverage", "power", "mean_ci_width", "mde")
                }
                for name in grades.index
            },
            "interim": self.interim(rows[rows["estimator"] == spec.estimator]),
        }

    def interim(self, primary: pd.DataFrame) -> dict[str, Any] | None:
        """The mid-point review of the primary estimator, with its alpha split."""
        spec = self.plan.spec
        if spec.interim is None:
            return None
        first, final = interim_alphas(spec.alpha, spec.interim.at, spec.interim.spending)
        stop = primary["interim_p_holm"] < first
        return {
            "weeks": self.plan.interim_weeks,
            "spending": spec.interim.spending,
            "alpha": first,
            "final_alpha": final,
            "mean_estimate": float(primary["interim_estimate"].mean()),
            "true_effect": float(primary["interim_true_effect"].mean()),
            "stop_rate": float(stop.mean()),
            "power": float((stop | (primary["p_holm"] < final)).mean()),
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``partnerlab pilot`` (figures of the first design arm at top level)."""
        spec = self.plan.spec
        design = self.arm(self.design)
        one = self.pilots.drop_duplicates("replication")
        data: dict[str, Any] = {
            "scenario": self.plan.scenario.name,
            "seed": self.plan.seed,
            "simulations": self.simulations,
            "partners": float(one["partners"].mean()),
            "weeks": spec.weeks,
            "outcome": OUTCOME,
            "estimand": ESTIMAND,
            "estimator": spec.estimator,
            "true_effect": design["true_effect"],
            "population_effect": design["population_effect"],
            "net_effect": design["net_effect"],
            "mde": design["mde"],
            "estimators": design["estimators"],
            "recommended": self.recommended,
            "pilot_cost": float(
                self.pilots.drop_duplicates(["replication", "arm"])
                .groupby("replication")["pilot_cost"]
                .sum()
                .mean()
            ),
            "interim": design["interim"],
            "srm": {
                "flagged": float((one["srm_p"] < SRM_ALPHA).mean()),
                "median_p_value": float(one["srm_p"].median()),
            },
            "spillover": float(one["spillover"].mean()),
        }
        if len(self.plan.labels) > 2:
            data["arms"] = {label: self.arm(label) for label in self.plan.labels[1:]}
        return data


def run_pilot(
    scenario: Scenario | str | Path,
    *,
    simulations: int | None = None,
    partners: int | None = None,
    weeks: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    progress: bool = False,
    planning: bool = True,
    source: str | None = None,
    overrides: Iterable[str] = (),
) -> PilotResults:
    """Grade the scenario's pilot over simulated pilots, and plan its size.

    Args:
        scenario: a loaded scenario, or the path of its file.
        simulations: simulated pilots (default: ``pilot.simulations``).
        partners: pilot size as a partner count (replaces ``pilot.partners``/``share``).
        weeks: pilot duration (replaces ``pilot.weeks``).
        seed: root seed (default: the scenario's).
        jobs: worker processes (-1: all cores); results are identical for any value.
        progress: progress bars on stderr.
        planning: simulate the power grid and recommend a size (if the section
            has ``planning``).
        source: the file name for error messages (default: the path, or the name).
        overrides: the ``--set`` strings the scenario was loaded with.

    Raises:
        ScenarioError: the ``pilot:`` section is invalid or does not fit the worlds.
    """
    if simulations is not None:
        REPLICATIONS.check(simulations, "--simulations")
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario, overrides)
    source = source or scenario.name
    spec = pilot_spec(
        scenario, source, overrides, partners=partners, weeks=weeks, simulations=simulations
    )
    what = describe(scenario, spec.simulations, jobs, "simulated pilots")
    jobs = check_parallel(per_partner_bytes(scenario, PILOT_PARTNER_BYTES), jobs, what)
    plan = PilotPlan(scenario, spec, scenario.seed if seed is None else seed)
    planning = planning and spec.planning is not None
    try:
        pilots, grid = simulate(plan, spec.simulations, planning, jobs, progress)
        grades = grade(pilots, spec.alpha, spec.power)
        curve = recommended = None
        checks: list[dict[str, Any]] = []
        if grid is not None:
            curve = power_curve(grid, spec.alpha, spec.power)
            planned = planning_simulations(plan, spec.simulations)
            first = max(spec.simulations, planned)
            recommended, checks = recommend(plan, curve, planned, first, jobs, progress)
    except PilotInputError as error:
        blamed = (
            "--partners" if partners is not None and error.field == "pilot.partners" else source
        )
        raise ScenarioError(blamed, error.field, error.expected) from None
    return PilotResults(plan, spec.simulations, pilots, grades, curve, recommended, checks)
