"""The check of the population: heavy tails and activity (``docs/model.md``, finding 10)."""

from __future__ import annotations

import numpy as np

from sim.checks.base import FLAT, Check, Setup
from sim.runs.runner import top_share


# -- 10. population -------------------------------------------------------------------------------
def population(setup: Setup) -> Check:
    """Heavy tails: the top 20% bring 75-90% of revenue; 10-40% are active in a quarter."""
    scenario = setup.scenario([FLAT])
    runs = [pair[0] for pair in setup.pairs(scenario)]
    t = float(np.mean([top_share(r.state.revenue, 0.2) for r in runs]))
    a = float(np.mean([np.mean(r.quarter_active_share) for r in runs]))
    return Check(
        "population",
        "10",
        0.75 <= t <= 0.90 and 0.10 <= a <= 0.40,
        f"top 20% of partners bring {t:.0%} of revenue; {a:.0%} active in a quarter",
        "top 20% bring 75%-90%; 10%-40% active per quarter",
    )
