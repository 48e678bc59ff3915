"""What an optimization produced: the study, the best design, the held-out check, tables.

The best design is the best feasible trial (single objective), or the feasible
Pareto-front trial with the highest net lift (multi-objective). Its in-sample
value is biased upward (the optimizer's curse: the maximum of noisy estimates
over many designs), so it is re-run on fresh replications that no trial saw.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import optuna
import pandas as pd
import yaml
from optuna.trial import FrozenTrial, TrialState

from optimize.search.objective import MEASURES
from optimize.search.settings import SearchSettings
from optimize.search.space import SearchSpace
from sim.report.labels import describe_program, tuned_label, value_text
from sim.runs.stats import Estimate
from sim.runs.verdicts import design_notes
from sim.scenario.schema import TOOL_SECTIONS, Scenario

#: Name of the first objective for each ``search.objective``.
#: The suffix of each objective statistic's name (``net_lift_ci_low``...).
OBJECTIVE_SUFFIX = {"mean": "", "ci_low": "_ci_low", "cvar": "_cvar"}


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _estimate(e: Estimate) -> str:
    return f"{_money(e.mean)} [{_money(e.ci_low)}, {_money(e.ci_high)}]"


def named_constraints(trial: FrozenTrial) -> dict[str, float]:
    """A trial's constraints by name (not the list for optuna-dashboard, keyed "0", "1", ...)."""
    return {k: v for k, v in trial.constraints.items() if not k.isdigit()}


def net_lift_front(frame: pd.DataFrame, x: str, maximize_x: bool) -> set[int]:
    """Feasible complete trials that no other beats on net lift and on ``x`` (less, or more)."""
    rows = frame[(frame["state"] == "COMPLETE") & frame["feasible"].eq(True)]
    points = [
        (n, y, v if maximize_x else -v)
        for n, y, v in zip(rows["number"], rows["net_lift"], rows[x], strict=True)
    ]
    return {
        n
        for n, y, v in points
        if not any(y2 >= y and v2 >= v and (y2 > y or v2 > v) for _, y2, v2 in points)
    }


@dataclass
class OptimizeResult:
    """A finished (or resumed) optimization and its best design.

    Attributes:
        study: the Optuna study (all trials, in the storage).
        storage: where the study lives (URL or journal file).
        scenario: the start scenario, with its ``search:`` section.
        settings, space: the validated search section and space.
        seed: root seed of the worlds.
        replication_ids: in-sample worlds every trial was scored on.
        held_out_ids: fresh worlds for the held-out check.
        best_trial: the chosen trial (``None`` if no feasible trial completed).
        best_scenario: its design as a complete scenario (no ``search:`` section).
        held_out: held-out estimates (``net_lift``, ``incremental_cost``,
            ``incremental_gross_profit``, ``start_net_lift``, ``improvement``
            over the start design, and ``objective``); empty without a check.
    """

    study: optuna.Study
    storage: str
    scenario: Scenario
    settings: SearchSettings
    space: SearchSpace
    seed: int
    replication_ids: list[int]
    held_out_ids: list[int]
    best_trial: FrozenTrial | None
    best_scenario: Scenario | None
    held_out: dict[str, Estimate]

    # -- the study ---------------------------------------------------------------------
    @property
    def objective_names(self) -> list[str]:
        """Names of the study's objectives, in order."""
        names = [self.settings.measure + OBJECTIVE_SUFFIX[self.settings.objective]]
        return names + ([self.settings.versus] if self.settings.versus else [])

    @property
    def n_trials(self) -> int:
        """Trials in the study, whatever their state (this run's and earlier ones)."""
        return len(self.study.get_trials(deepcopy=False))

    @property
    def pareto_front(self) -> list[FrozenTrial]:
        """Feasible non-dominated trials (multi-objective mode; empty otherwise)."""
        return self.study.best_trials if self.settings.multi_objective else []

    @property
    def best_params(self) -> dict[str, Any] | None:
        """The best trial's sampled values, by Optuna parameter name."""
        return dict(self.best_trial.params) if self.best_trial else None

    @property
    def best_value(self) -> float | None:
        """The best trial's (first) objective value, in-sample."""
        return float(self.best_trial.values[0]) if self.best_trial else None

    def in_sample(self) -> dict[str, Any]:
        """The best trial's in-sample measures (net lift with its 95% CI, costs, shares)."""
        if self.best_trial is None:
            return {}
        attrs = self.best_trial.user_attrs
        out: dict[str, Any] = {
            name: Estimate(attrs[name], attrs[f"{name}_ci_low"], attrs[f"{name}_ci_high"])
            for name in ("net_lift", "net_lift_with_pipeline")
            if name in attrs
        }
        return out | {k: attrs[k] for k in MEASURES if not k.startswith("net_lift") and k in attrs}

    def notes(self) -> list[str]:
        """Plain lines when the best design loses to today's program or wins by cutting profit.

        On the held-out worlds when they ran, else in-sample.
        """
        if self.best_trial is None:
            return []
        if self.held_out:
            figures = self.held_out
        else:
            sample = self.in_sample()
            figures = {
                "net_lift": sample["net_lift"],
                "incremental_gross_profit": Estimate(
                    sample["incremental_gross_profit"], None, None
                ),
                "incremental_pipeline_value": Estimate(
                    sample.get("incremental_pipeline_value"), None, None
                ),
            }
        return design_notes(figures, self.scenario.baseline.name, "The best design found")

    def importances(self) -> dict[str, float]:
        """Parameter importances for the first objective (empty with too few trials)."""
        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(complete) < 2:
            return {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = optuna.importance.get_param_importances(
                    self.study, target=lambda t: t.values[0]
                )
        except (ValueError, RuntimeError, ZeroDivisionError):  # too few or identical trials
            return {}
        return {name: float(value) for name, value in found.items()}

    def readable_importances(self) -> dict[str, float]:
        """:meth:`importances` by readable parameter name ("tiered rebate › silver tier › rate")."""
        return {tuned_label(self.scenario, k)[0]: v for k, v in self.importances().items()}

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial: state, objectives, feasibility, constraints, measures, parameters."""
        names = self.objective_names
        rows = []
        for t in self.study.get_trials(deepcopy=False):
            values = t.values or [None] * len(names)
            row: dict[str, Any] = {"number": t.number, "state": t.state.name, "value": values[0]}
            row |= {f"value_{n}": v for n, v in zip(names[1:], values[1:], strict=True)}
            row["feasible"] = t.user_attrs.get("feasible")
            row |= {f"constraint_{k}": v for k, v in named_constraints(t).items()}
            row |= {m: t.user_attrs.get(m) for m in MEASURES}
            row["replications_run"] = t.user_attrs.get("replications_run")
            row["datetime_start"] = t.datetime_start
            row["duration_s"] = t.duration.total_seconds() if t.duration else None
            row |= {f"param_{p}": t.params.get(p) for p in self.space.names}
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        if self.settings.multi_objective:
            front = {t.number for t in self.pareto_front}
        else:
            front = net_lift_front(frame, "incremental_cost", maximize_x=False)
        frame["pareto"] = frame["number"].isin(front)
        return frame

    # -- outputs -----------------------------------------------------------------------
    def best_scenario_dict(self) -> dict[str, Any] | None:
        """The best design as a runnable scenario at the study's seed and replications."""
        if self.best_scenario is None or self.best_trial is None:
            return None
        data = self.best_scenario.model_dump(mode="json")
        for section in TOOL_SECTIONS:
            if section == "search" or data.get(section) is None:
                data.pop(section, None)
        value = self.in_sample()["net_lift"]
        # The design is named for what it is: the trial may have changed or dropped levers.
        name = describe_program(self.best_scenario.design, start=self.scenario.design)
        data["design"]["name"] = f"best of {self.study.study_name}: {name}"
        return data | {
            "name": f"{self.scenario.name}_best",
            "description": f"Best design of study {self.study.study_name} (trial "
            f"{self.best_trial.number}); in-sample net lift {_estimate(value)} $ over "
            f"replications 0-{len(self.replication_ids) - 1} at seed {self.seed}.",
            "seed": self.seed,
            "replications": len(self.replication_ids),
        }

    def best_scenario_yaml(self) -> str | None:
        """The best design as YAML, runnable with ``partnerlab run``."""
        data = self.best_scenario_dict()
        if data is None:
            return None
        header = (
            f"# Written by partnerlab optimize from {self.scenario.name}: study "
            f"{self.study.study_name}, trial {self.best_trial.number}.\n"  # type: ignore[union-attr]
            "# `partnerlab run` on this file reproduces the trial's in-sample net lift.\n"
        )
        return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def to_json(self, best_scenario_path: str | None = None) -> dict[str, Any]:
        """The JSON contract of ``partnerlab optimize --json``."""
        held = self.held_out.get("net_lift")
        data: dict[str, Any] = {
            "study": self.study.study_name,
            "storage": self.storage,
            "n_trials": self.n_trials,
            "best_params": self.best_params,
            "best_value": self.best_value,
            "held_out": {"net_lift": held.as_dict() if held else None},
            "notes": self.notes(),
            "best_scenario_path": best_scenario_path,
        }
        if self.settings.multi_objective:
            data["pareto_front"] = [
                {
                    "number": t.number,
                    "values": dict(zip(self.objective_names, t.values, strict=True)),
                    "params": dict(t.params),
                }
                for t in self.pareto_front
            ]
        return data

    def summary_json(self, best_scenario_path: str | None = None) -> dict[str, Any]:
        """The JSON contract plus the in-sample and held-out detail, settings and importances."""
        states = pd.Series([t.state.name for t in self.study.get_trials(deepcopy=False)])
        in_sample = self.in_sample()
        return self.to_json(best_scenario_path) | {
            "objectives": {
                n: d.name.lower()
                for n, d in zip(self.objective_names, self.study.directions, strict=True)
            },
            "sampler": self.settings.sampler,
            "pruning": self.settings.prunes,
            "seed": self.seed,
            "replication_ids": self.replication_ids,
            "held_out_ids": self.held_out_ids,
            "trials_by_state": {str(k): int(v) for k, v in states.value_counts().items()},
            "best_trial": self.best_trial.number if self.best_trial else None,
            "in_sample": {
                k: v.as_dict() if isinstance(v, Estimate) else v for k, v in in_sample.items()
            },
            "held_out_detail": {k: v.as_dict() for k, v in self.held_out.items()},
            "constraints": self.settings.constraints.model_dump(exclude_none=True),
            "importances": self.importances(),
        }

    def table(self, best_scenario_path: str | None = None) -> str:
        """A short human-readable report."""
        states = pd.Series([t.state.name.lower() for t in self.study.get_trials(deepcopy=False)])
        counts = ", ".join(f"{v} {k}" for k, v in states.value_counts().items())
        lines = [
            f"{self.scenario.name}: study {self.study.study_name!r} in {self.storage}",
            f"{self.n_trials} trials ({counts}); objective: {', '.join(self.objective_names)}; "
            f"sampler {self.settings.sampler}",
        ]
        if self.best_trial is None:
            return "\n".join([*lines, "no feasible trial has completed yet"])
        in_sample = self.in_sample()
        lines += [
            f"best trial #{self.best_trial.number}: in-sample net lift $ "
            f"{_estimate(in_sample['net_lift'])} over {len(self.replication_ids)} replications",
        ]
        if "incremental_pipeline_value" in in_sample:
            lines.append(
                "  change in open pipeline at the horizon (expected gross profit): $ "
                f"{_money(in_sample['incremental_pipeline_value'])}"
            )
        if self.held_out:
            h = self.held_out
            lines += [
                f"held-out ({len(self.held_out_ids)} fresh worlds): "
                f"net lift $ {_estimate(h['net_lift'])}",
                f"  starting design on the same worlds:    $ {_estimate(h['start_net_lift'])}",
                f"  improvement over the starting design:  $ {_estimate(h['improvement'])}",
                f"  change in open pipeline's expected GP: $ "
                f"{_estimate(h['incremental_pipeline_value'])}",
            ]
        lines.append("best parameters:")
        shown = [
            (label, value_text(kind, value))
            for (label, kind), value in (
                (tuned_label(self.scenario, name), value)
                for name, value in (self.best_params or {}).items()
            )
        ]
        width = max((len(label) for label, _ in shown), default=0)
        lines += [f"  {label:<{width}}  {text}" for label, text in shown]
        if best_scenario_path:
            lines.append(
                f"best scenario: {best_scenario_path} (run it: partnerlab run {best_scenario_path})"
            )
        return "\n".join([*lines, *self.notes()])
