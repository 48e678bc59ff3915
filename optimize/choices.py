"""Names the command line and the library share, kept light so ``partnerlab --help`` is fast.

The command line offers these as choices and defaults without importing
Optuna, pandas or SALib; the modules that use them import them from here.
"""

from __future__ import annotations

from typing import Literal

#: Optuna samplers ``optimize`` can use.
SAMPLERS = ("tpe", "gp", "cmaes", "random", "nsga2")
#: New trials a run of ``optimize`` starts when neither --trials nor --timeout is given.
DEFAULT_TRIALS = 40

DesignKind = Literal["grid", "lhs", "sobol"]
#: Designs of points a sweep can run.
DESIGNS: tuple[DesignKind, ...] = ("grid", "lhs", "sobol")

Backend = Literal["loky", "dask"]
#: Where a sweep's points run: local processes, or a Dask cluster.
BACKENDS: tuple[Backend, ...] = ("loky", "dask")
