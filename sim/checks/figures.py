"""What a check reports: each figure with its 95% CI, the bound it must meet, and the verdict.

A figure passes when its whole interval lies inside its bound (strictly: an
interval of exactly zero is not ``> 0``); a check passes when every figure
with a bound does. Figures without a bound are reported, not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.runs.stats import Estimate
from sim.runs.verdicts import dollars


@dataclass(frozen=True)
class Bound:
    """Where a figure's 95% interval must lie: above ``low`` and below ``high``."""

    low: float = -np.inf
    high: float = np.inf

    def verdict(self, estimate: Estimate) -> bool | None:
        """``True`` inside, ``False`` outside, ``None`` while the interval straddles a bound.

        Inside means strictly: an interval of exactly zero is not ``> 0``.
        """
        low, high = estimate.ci_low, estimate.ci_high
        if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
            return None
        if low > self.low and high < self.high:
            return True
        if high <= self.low or low >= self.high:
            return False
        return None

    @property
    def checked(self) -> bool:
        """Whether there is a bound at all (a figure without one is reported only)."""
        return bool(np.isfinite(self.low) or np.isfinite(self.high))

    def describe(self, unit: str) -> str:
        """The bound in words: ``> 0``, ``in [1%, 10%]``; ``reported`` when there is none."""
        fmt = (lambda v: f"{100 * v:g}%") if unit == "%" else (lambda v: f"{v:g}")
        if np.isfinite(self.low) and np.isfinite(self.high):
            return f"in [{fmt(self.low)}, {fmt(self.high)}]"
        if np.isfinite(self.low):
            return f"> {fmt(self.low)}"
        if np.isfinite(self.high):
            return f"< {fmt(self.high)}"
        return "reported, not checked"


@dataclass(frozen=True)
class Figure:
    """One measured figure of a check: its name, unit and the bound its interval must meet."""

    label: str
    unit: str  # "%" for shares, "$", or a word such as "weeks"
    bound: Bound


@dataclass(frozen=True)
class Check:
    """One named check: what it measured, with 95% CIs, and whether every CI met its bound."""

    name: str
    fact: str  # the finding of docs/model.md it checks
    passed: bool
    estimates: dict[str, Estimate]
    figures: tuple[Figure, ...]
    replications: int
    literature: str  # what the evidence says
    moved_by: tuple[str, ...]  # the parameters that move the figures

    @property
    def figure(self) -> str:
        """The figures in words: ``label mean [low, high]`` each."""
        return "; ".join(f"{f.label} {self.show(f)}" for f in self.figures)

    def show(self, figure: Figure) -> str:
        """One figure's mean and 95% CI in its unit: ``4.2% [3.1%, 5.3%]``."""
        return show_estimate(self.estimates[figure.label], figure.unit)

    @property
    def expected(self) -> str:
        """The pass conditions in words."""
        return "; ".join(f"{f.label} {f.bound.describe(f.unit)} (95% CI)" for f in self.figures)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "fact": self.fact,
            "passed": self.passed,
            "figure": self.figure,
            "expected": self.expected,
            "replications": self.replications,
            "estimates": {
                f.label: self.estimates[f.label].as_dict()
                | {
                    "unit": f.unit,
                    "bound_low": _finite(f.bound.low),
                    "bound_high": _finite(f.bound.high),
                }
                for f in self.figures
            },
            "literature": self.literature,
            "moved_by": list(self.moved_by),
        }


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def show_estimate(estimate: Estimate, unit: str) -> str:
    """A mean and its 95% CI in a unit: ``4.2% [3.1%, 5.3%]``, ``$12,000 [...]``, ``0.53 [...]``."""

    def one(value: float | None) -> str:
        if value is None:
            return "n/a"
        if unit == "%":
            return f"{100 * value:.1f}%"
        if unit == "$":
            return dollars(value)
        return f"{value:.3g}"

    return f"{one(estimate.mean)} [{one(estimate.ci_low)}, {one(estimate.ci_high)}]"
