"""Results of paired runs as pandas tables, and their paired-difference summaries.

Tables (long format, ready for seaborn):

* ``runs``: one row per (replication, arm), totals over all partners;
* ``segments``: one row per (replication, arm, archetype, size_band);
* ``timeseries``: one row per (replication, arm, week, archetype).

Net lift of a design over the baseline, per replication, is
``(GP_design - GP_baseline) - (cost_design - cost_baseline)`` on the same
partners, horizon and draws; summaries give the mean and a 95% CI over
replications.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.accounting import SERIES
from sim.runs.runner import TOTALS, ReplicationOutput
from sim.runs.stats import UNDEFINED, Estimate, VarianceSplit, mean_ci, ratio_ci, variance_split
from sim.runs.verdicts import design_notes, ranking_notes, return_wording
from sim.scenario.schema import Scenario

#: The metrics of every summary's JSON (and the optimizer's): net lift first.
METRICS = (
    "net_lift",
    "incremental_gross_profit",
    "incremental_cost",
    "roi",
    "incremental_pipeline_value",
)
#: name -> (label, unit): one place for tables, JSON and plot labels.
METRIC_INFO = {
    "net_lift": ("Net lift", "$"),
    "incremental_gross_profit": ("Incremental gross profit", "$"),
    "incremental_cost": ("Incremental program cost", "$"),
    "incremental_revenue": ("Incremental revenue", "$"),
    "incremental_pipeline": ("Change in open pipeline at the horizon (expected deal value)", "$"),
    "incremental_pipeline_value": (
        "Change in open pipeline at the horizon (expected gross profit)",
        "$",
    ),
    "net_lift_with_pipeline": ("Net lift plus the change in open pipeline's value", "$"),
    "roi": ("ROI (incremental GP / incremental cost, where cost rises)", "x"),
}


def tables(outputs: list[ReplicationOutput]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ``runs``, ``segments`` and ``timeseries`` tables of a list of replications."""
    segment_rows, series_frames, run_rows = [], [], []
    for out in outputs:
        cells = list(itertools.product(out.archetypes, out.bands))
        for arm, result in out.arms.items():
            for (archetype, band), row in zip(cells, result.totals, strict=True):
                segment_rows.append((out.replication, arm, archetype, band, *row))
            weeks, n_arch, _ = result.series.shape
            frame = pd.DataFrame(result.series.reshape(weeks * n_arch, -1), columns=list(SERIES))
            frame.insert(0, "archetype", np.tile(out.archetypes, weeks))
            frame.insert(0, "week", np.repeat(np.arange(weeks), n_arch))
            frame.insert(0, "arm", arm)
            frame.insert(0, "replication", out.replication)
            series_frames.append(frame)
            totals = result.totals.sum(axis=0)
            run_rows.append(
                (
                    out.replication,
                    arm,
                    *totals,
                    result.top20_revenue_share,
                    result.quarterly_active_share,
                )
            )
    segments = pd.DataFrame(
        segment_rows, columns=["replication", "arm", "archetype", "size_band", *TOTALS]
    )
    runs = pd.DataFrame(
        run_rows,
        columns=["replication", "arm", *TOTALS, "top20_revenue_share", "quarterly_active_share"],
    )
    return runs, segments, pd.concat(series_frames, ignore_index=True)


def tier_table(outputs: list[ReplicationOutput]) -> pd.DataFrame:
    """Partners by tier level after each evaluation period, one row per arm and period.

    Rows are (replication, arm, period, tier, partners); the table is empty when
    no arm has a tiered lever. Level 0 is "no tier".
    """
    rows = [
        (out.replication, arm, period, tier, int(count))
        for out in outputs
        for arm, result in out.arms.items()
        if result.tiers is not None
        for period, counts in enumerate(result.tiers)
        for tier, count in enumerate(counts)
    ]
    return pd.DataFrame(rows, columns=["replication", "arm", "period", "tier", "partners"])


def paired_differences(
    segments: pd.DataFrame, design: str, baseline: str = "baseline", by: str | None = None
) -> pd.DataFrame:
    """Per-replication differences design minus baseline (optionally per ``by`` group).

    Columns: ``incremental_revenue``, ``incremental_gross_profit``,
    ``incremental_cost``, ``net_lift``, ``incremental_pipeline`` (expected
    value of deals still open at the horizon: effort that has not booked yet),
    ``incremental_pipeline_value`` (the gross profit those deals are expected
    to bring) and ``net_lift_with_pipeline`` (net lift plus that value).
    """
    keys = ["replication", "arm"] + ([by] if by else [])
    columns = ["revenue", "gross_profit", "program_cost", "open_pipeline", "pipeline_gross_profit"]
    sums = segments.groupby(keys, sort=True)[columns].sum()
    arms = sums.unstack("arm")
    diff = pd.DataFrame(
        {
            "incremental_revenue": arms[("revenue", design)] - arms[("revenue", baseline)],
            "incremental_gross_profit": arms[("gross_profit", design)]
            - arms[("gross_profit", baseline)],
            "incremental_cost": arms[("program_cost", design)] - arms[("program_cost", baseline)],
        }
    )
    diff["net_lift"] = diff["incremental_gross_profit"] - diff["incremental_cost"]
    diff["incremental_pipeline"] = (
        arms[("open_pipeline", design)] - arms[("open_pipeline", baseline)]
    )
    diff["incremental_pipeline_value"] = (
        arms[("pipeline_gross_profit", design)] - arms[("pipeline_gross_profit", baseline)]
    )
    diff["net_lift_with_pipeline"] = diff["net_lift"] + diff["incremental_pipeline_value"]
    return diff


#: Summed differences summarized by their mean and CI.
_MEANS = (
    "net_lift",
    "incremental_gross_profit",
    "incremental_cost",
    "incremental_revenue",
    "incremental_pipeline",
    "incremental_pipeline_value",
    "net_lift_with_pipeline",
)


def summarize(diff: pd.DataFrame) -> dict[str, Estimate]:
    """Mean and 95% CI of each metric over replications.

    ROI is defined only where the design costs more than the baseline on
    average: GP over a saving is not a return (:mod:`sim.runs.verdicts`).
    """
    out = {name: mean_ci(diff[name]) for name in _MEANS}
    cost = out["incremental_cost"].mean
    if cost is not None and cost > 0:
        out["roi"] = ratio_ci(diff["incremental_gross_profit"], diff["incremental_cost"])
    else:
        out["roi"] = UNDEFINED
    return out


def _grouped(diff: pd.DataFrame, by: str) -> dict[str, dict[str, Estimate]]:
    return {str(k): summarize(g) for k, g in diff.groupby(level=by, sort=False)}


def summary_tree(
    segments: pd.DataFrame, design: str, order: dict[str, list[str]]
) -> dict[str, Any]:
    """Summary in total, by archetype and by size band, groups in ``order``."""
    total = summarize(paired_differences(segments, design))
    tree: dict[str, Any] = {"total": total}
    for by, key in (("archetype", "by_archetype"), ("size_band", "by_size_band")):
        groups = _grouped(paired_differences(segments, design, by=by), by)
        tree[key] = {name: groups[name] for name in order[by] if name in groups}
    return tree


def _as_json(estimates: dict[str, Estimate]) -> dict[str, Any]:
    return {name: estimates[name].as_dict() for name in METRICS} | {
        "return_wording": return_wording(estimates)
    }


@dataclass
class RunResults:
    """A design run against its baseline over paired replications."""

    scenario: Scenario
    seed: int
    replications: int
    runs: pd.DataFrame
    segments: pd.DataFrame
    timeseries: pd.DataFrame
    tiers: pd.DataFrame = field(default_factory=pd.DataFrame)  # see ``tier_table``
    draw_of: dict[int, int] | None = None  # replication -> parameter set (``assumptions``)
    summary: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        order = {
            "archetype": list(dict.fromkeys(self.segments["archetype"])),
            "size_band": list(self.scenario.population.size_bands),
        }
        self.summary = summary_tree(self.segments, "design", order)

    @property
    def partners(self) -> int:
        """Partners in each world."""
        return int(sum(self.scenario.population.partners.values()))

    @property
    def notes(self) -> list[str]:
        """Plain lines when the design loses to today's program or wins by cutting profit."""
        return design_notes(self.summary["total"], self.scenario.baseline.name)

    def paired(self, by: str | None = None) -> pd.DataFrame:
        """Per-replication paired differences, design minus baseline."""
        return paired_differences(self.segments, "design", by=by)

    @property
    def uncertainty(self) -> VarianceSplit | None:
        """Net lift over parameter sets: its interval and the parameters' share of variance."""
        return uncertainty_of(self.paired()["net_lift"], self.draw_of)

    def to_json(self) -> dict[str, Any]:
        """The public JSON contract of ``partnerlab run`` (plus ``parameter_uncertainty``)."""
        total = self.summary["total"]
        out = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": self.replications,
            "partners": self.partners,
            "horizon_weeks": self.scenario.horizon_weeks,
            **_as_json(total),
            "by_archetype": {k: _as_json(v) for k, v in self.summary["by_archetype"].items()},
            "notes": self.notes,
        }
        split = self.uncertainty
        if split is not None:
            out["parameter_uncertainty"] = {"net_lift": split.as_dict()}
        return out

    def summary_json(self) -> dict[str, Any]:
        """The JSON contract plus the size-band breakdown and the calibration figures."""
        return self.to_json() | {
            "by_size_band": {k: _as_json(v) for k, v in self.summary["by_size_band"].items()},
            "incremental_revenue": self.summary["total"]["incremental_revenue"].as_dict(),
            "incremental_pipeline": self.summary["total"]["incremental_pipeline"].as_dict(),
            "net_lift_with_pipeline": self.summary["total"]["net_lift_with_pipeline"].as_dict(),
            "baseline_world": world_figures(self.runs, "baseline"),
        }


def uncertainty_of(net_lift: pd.Series, draw_of: dict[int, int] | None) -> VarianceSplit | None:
    """Net lift per replication split by parameter set (``None`` without sets)."""
    if draw_of is None:
        return None
    groups = [draw_of[int(r)] for r in net_lift.index.get_level_values("replication")]
    return variance_split(net_lift.to_numpy(), groups)


def world_figures(runs: pd.DataFrame, arm: str) -> dict[str, float | None]:
    """Calibration figures of one arm, averaged over replications.

    A figure that is undefined is ``None`` (JSON ``null``): the quarterly
    active share of a horizon shorter than a quarter, say.
    """
    rows = runs[runs["arm"] == arm]
    columns = ("revenue", "program_cost", "top20_revenue_share", "quarterly_active_share")
    means = {name: float(rows[name].mean()) for name in columns}
    return {name: value if math.isfinite(value) else None for name, value in means.items()}


@dataclass
class CompareResults:
    """Several designs against one baseline, on the same worlds."""

    scenarios: list[Scenario]
    seed: int
    replications: int
    runs: pd.DataFrame
    segments: pd.DataFrame
    timeseries: pd.DataFrame
    draw_of: dict[int, int] | None = None  # replication -> parameter set (``assumptions``)
    ranking: pd.DataFrame = field(init=False)
    differences: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.scenarios]
        paired = {name: paired_differences(self.segments, name) for name in names}
        rows: list[dict[str, Any]] = []
        for name in names:
            estimates = summarize(paired[name])
            metrics = (*METRICS, "incremental_pipeline", "net_lift_with_pipeline")
            rows.append({"design": name, **{m: estimates[m] for m in metrics}})
        ranking = pd.DataFrame(rows)
        ranking["_mean"] = [r["net_lift"].mean for r in rows]
        ranking = ranking.sort_values("_mean", ascending=False, kind="stable")
        ranking.insert(0, "rank", range(1, len(ranking) + 1))
        self.ranking = ranking.drop(columns="_mean").reset_index(drop=True)
        ordered = list(self.ranking["design"])
        pairs = []
        for a, b in itertools.combinations(ordered, 2):
            difference = mean_ci(paired[a]["net_lift"] - paired[b]["net_lift"])
            pairs.append({"design": a, "versus": b, "net_lift_difference": difference})
        self.differences = pd.DataFrame(pairs, columns=["design", "versus", "net_lift_difference"])

    def _records(self) -> list[dict[str, Any]]:
        """The ranking's rows, best first."""
        return [{str(k): v for k, v in row.items()} for row in self.ranking.to_dict("records")]

    @property
    def notes(self) -> list[str]:
        """Plain lines when no design beats today's program or the best one cuts profit."""
        ranked = [(r["design"], r) for r in self._records()]
        return ranking_notes(ranked, self.scenarios[0].baseline.name)

    def uncertainty(self, design: str) -> VarianceSplit | None:
        """One design's net lift over parameter sets (see :attr:`RunResults.uncertainty`)."""
        return uncertainty_of(paired_differences(self.segments, design)["net_lift"], self.draw_of)

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``partnerlab compare`` (plus ``parameter_uncertainty`` per design)."""
        out = self._json()
        if self.draw_of is not None:
            for entry in out["designs"]:
                split = self.uncertainty(entry["design"])
                assert split is not None
                entry["parameter_uncertainty"] = {"net_lift": split.as_dict()}
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "baseline": self.scenarios[0].baseline.name,
            "seed": self.seed,
            "replications": self.replications,
            "partners": int(sum(self.scenarios[0].population.partners.values())),
            "horizon_weeks": self.scenarios[0].horizon_weeks,
            "designs": [
                {
                    "rank": int(r["rank"]),
                    "design": r["design"],
                    **{m: r[m].as_dict() for m in METRICS},
                    "return_wording": return_wording(r),
                }
                for r in self._records()
            ],
            "notes": self.notes,
            "differences": [
                {
                    "design": r["design"],
                    "versus": r["versus"],
                    "net_lift_difference": r["net_lift_difference"].as_dict(),
                }
                for r in self.differences.to_dict("records")
            ],
        }
