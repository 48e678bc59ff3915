"""Do the behavioural facts hold under designs and worlds the project does not ship?

Runs the checks whose designs can vary (``sim.checks``) on variants: other
thresholds, rates, cap levels and quotas, horizons of two and three years,
other seeds and partner counts. Each line is one variant of one check:
PASS or FAIL (every figure's 95% CI inside its bound), the replications it
used and its figures. ``benchmarks/validate_robustness.py`` covers every
check at the default designs over seeds 1-10 and 300 to 5,000 partners.

Usage::

    .venv/bin/python benchmarks/behaviour_variants.py [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.checks.base import Setup
from sim.checks.figures import Check
from sim.checks.rewards import caps_and_ratchets, period_end_spikes, threshold_pull
from sim.checks.timing import deal_timing

#: (label, check, its design options, world: (partners, seed, years)).
Variant = tuple[str, Callable[..., Check], dict[str, Any], tuple[int, int, int]]
VARIANTS: list[Variant] = [
    ("bonus at the 40th percentile", threshold_pull, {"at": 0.4}, (600, 1, 2)),
    ("bonus at the 80th percentile, 10%", threshold_pull, {"at": 0.8, "share": 0.1}, (600, 2, 2)),
    ("tiers at 40/70%, 104 weeks", period_end_spikes, {"tiers": (0.4, 0.7)}, (600, 1, 2)),
    ("tiers at 60/90%, 156 weeks", period_end_spikes, {"tiers": (0.6, 0.9)}, (600, 2, 3)),
    (
        "rates 0/2/4%, bonus 3% at 70%, 156 weeks",
        period_end_spikes,
        {"rates": (0.0, 0.02, 0.04), "bonus_at": 0.7, "share": 0.03},
        (600, 3, 3),
    ),
    (
        "1,000 partners, rates 1/4/8%",
        period_end_spikes,
        {"rates": (0.01, 0.04, 0.08)},
        (1000, 4, 2),
    ),
    ("quota at 40%, 1% to 25%", deal_timing, {"quota_at": 0.4}, (600, 1, 2)),
    (
        "quota at 60%, 0% to 20%, 156 weeks",
        deal_timing,
        {"quota_at": 0.6, "rates": (0.0, 0.2)},
        (600, 2, 3),
    ),
    ("300 partners, 1% to 30%", deal_timing, {"rates": (0.01, 0.3)}, (300, 3, 2)),
    ("cap at 75%", caps_and_ratchets, {"cap_at": 0.75}, (600, 1, 2)),
    ("cap at 85%, 156 weeks", caps_and_ratchets, {"cap_at": 0.85}, (600, 2, 3)),
    ("rates 1%/6%, 1,000 partners", caps_and_ratchets, {"rates": (0.01, 0.06)}, (1000, 3, 2)),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    rows = []
    for label, check, options, (partners, seed, years) in VARIANTS:
        setup = replace(Setup.default(partners, seed=seed), years=years)
        result = check(setup, **options)
        mark = "PASS" if result.passed else "FAIL"
        world = f"{partners} partners, seed {seed}, {52 * years} weeks"
        print(f"{mark}  {result.name:<18} {label} ({world}): {result.figure}", flush=True)
        rows.append({"variant": label, "world": world} | result.as_dict())
    failed = [r["variant"] for r in rows if not r["passed"]]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} variants pass; failing: {failed or 'none'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
