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
"""

from optimize.objective import Evaluation, Evaluator
from optimize.optimizer import optimize
from optimize.output import save_result
from optimize.result import OptimizeResult
from optimize.sensitivity import SensitivityResult, sensitivity
from optimize.settings import BadSetting, SearchSettings, read_search
from optimize.space import SearchSpace
from optimize.sweep import SweepResult, sweep

__all__ = [
    "BadSetting",
    "Evaluation",
    "Evaluator",
    "OptimizeResult",
    "SearchSettings",
    "SearchSpace",
    "SensitivityResult",
    "SweepResult",
    "optimize",
    "read_search",
    "save_result",
    "sensitivity",
    "sweep",
]
