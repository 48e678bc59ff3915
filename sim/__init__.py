"""The partnerlab simulator: scenarios, the Mesa model, paired runs and results.

Public API (mirrors the command line):

* :func:`load_scenario`: read and validate a scenario file;
* :func:`run_scenario`: a design against its baseline, paired replications;
* :func:`compare_scenarios`: several designs against one baseline;
* :class:`PartnerProgramModel`: the Mesa model of one arm.

The names are imported on first use, so that ``import sim.cli`` (the command
line) does not load the simulator; ``docs/architecture.md`` maps the packages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.exports import on_first_use

if TYPE_CHECKING:
    from sim.engine.accounting import SERIES as SERIES
    from sim.engine.model import PartnerProgramModel as PartnerProgramModel
    from sim.errors import ScenarioError as ScenarioError
    from sim.runs.api import compare_scenarios as compare_scenarios
    from sim.runs.api import run_scenario as run_scenario
    from sim.runs.results import (
        METRIC_INFO as METRIC_INFO,
    )
    from sim.runs.results import (
        METRICS as METRICS,
    )
    from sim.runs.results import (
        CompareResults as CompareResults,
    )
    from sim.runs.results import (
        RunResults as RunResults,
    )
    from sim.scenario.loading import load_scenario as load_scenario
    from sim.scenario.program import Program as Program
    from sim.scenario.schema import Scenario as Scenario
    from sim.world.world import World as World
    from sim.world.world import build_world as build_world

#: Public name -> the module that defines it.
_PUBLIC = {
    "METRICS": "sim.runs.results",
    "METRIC_INFO": "sim.runs.results",
    "SERIES": "sim.engine.accounting",
    "CompareResults": "sim.runs.results",
    "PartnerProgramModel": "sim.engine.model",
    "Program": "sim.scenario.program",
    "RunResults": "sim.runs.results",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.errors",
    "World": "sim.world.world",
    "build_world": "sim.world.world",
    "compare_scenarios": "sim.runs.api",
    "load_scenario": "sim.scenario.loading",
    "run_scenario": "sim.runs.api",
}
__all__ = sorted(_PUBLIC)

__getattr__ = on_first_use(__name__, _PUBLIC, globals())
