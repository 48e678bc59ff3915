"""Optimization of partner program designs with Optuna.

Public API (mirrors ``partnerlab optimize``):

* :func:`optimize`: search a scenario's ``search:`` space, resume a stored
  study, pick the best feasible design and check it on fresh replications;
* :class:`OptimizeResult`: the study, the best design and its held-out check;
* :class:`SearchSpace` and :func:`read_search`: the validated ``search:``
  section, to sample or rebuild designs;
* :class:`Evaluator`: scores a design on fixed worlds (common random numbers).
* :func:`sweep`: a design of points (grid, Latin hypercube, Sobol'), each
  paired against the baseline, streamed to a resumable results folder;
* :func:`sensitivity`: Sobol' or Morris indices of net lift (SALib).

The names are imported on first use, so that the command line starts without
Optuna, Dask or SALib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.exports import on_first_use

if TYPE_CHECKING:
    from optimize.search.objective import Evaluation as Evaluation
    from optimize.search.objective import Evaluator as Evaluator
    from optimize.search.optimizer import optimize as optimize
    from optimize.search.output import save_result as save_result
    from optimize.search.result import OptimizeResult as OptimizeResult
    from optimize.search.settings import (
        BadSetting as BadSetting,
    )
    from optimize.search.settings import (
        SearchSettings as SearchSettings,
    )
    from optimize.search.settings import (
        read_search as read_search,
    )
    from optimize.search.space import SearchSpace as SearchSpace
    from optimize.sweeps.sensitivity import (
        SensitivityResult as SensitivityResult,
    )
    from optimize.sweeps.sensitivity import (
        sensitivity as sensitivity,
    )
    from optimize.sweeps.sweep import SweepResult as SweepResult
    from optimize.sweeps.sweep import sweep as sweep

#: Public name -> the module that defines it.
_PUBLIC = {
    "BadSetting": "optimize.search.settings",
    "Evaluation": "optimize.search.objective",
    "Evaluator": "optimize.search.objective",
    "OptimizeResult": "optimize.search.result",
    "SearchSettings": "optimize.search.settings",
    "SearchSpace": "optimize.search.space",
    "SensitivityResult": "optimize.sweeps.sensitivity",
    "SweepResult": "optimize.sweeps.sweep",
    "optimize": "optimize.search.optimizer",
    "read_search": "optimize.search.settings",
    "save_result": "optimize.search.output",
    "sensitivity": "optimize.sweeps.sensitivity",
    "sweep": "optimize.sweeps.sweep",
}
__all__ = sorted(_PUBLIC)

__getattr__ = on_first_use(__name__, _PUBLIC, globals())
