"""The partnerlab simulator: scenarios, the Mesa model, paired runs and results.

Public API (mirrors the command line):

* :func:`load_scenario`: read and validate a scenario file;
* :func:`run_scenario`: a design against its baseline, paired replications;
* :func:`compare_scenarios`: several designs against one baseline;
* :class:`PartnerProgramModel`: the Mesa model of one arm.
"""

from sim.experiments import compare_scenarios, run_scenario
from sim.loading import ScenarioError, load_scenario
from sim.model import SERIES, PartnerProgramModel
from sim.results import METRIC_INFO, METRICS, CompareResults, RunResults
from sim.scenario import Program, Scenario
from sim.world import World, build_world

__all__ = [
    "METRICS",
    "METRIC_INFO",
    "SERIES",
    "CompareResults",
    "PartnerProgramModel",
    "Program",
    "RunResults",
    "Scenario",
    "ScenarioError",
    "World",
    "build_world",
    "compare_scenarios",
    "load_scenario",
    "run_scenario",
]
