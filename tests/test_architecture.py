"""The code keeps the shape ``docs/architecture.md`` describes.

* Imports go one way, package by package: a package imports only packages
  below it (``LAYERS``); in particular levers never import the engine,
  nothing under ``sim`` but ``sim.cli`` imports the command line, and
  ``agents`` imports nothing of ``sim``. No module imports itself back
  through others (no cycles).
* No module is longer than 400 lines.
* The weekly step is data: every flow a phase reads was written by an
  earlier phase, a phase touches no flow it does not declare, and
  ``docs/model.md`` lists the phases in their order.
* ``partnerlab --help`` imports none of the heavy libraries, and ``run`` only
  what a run needs.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, load_small

import sim
from sim.engine.flows import Flows
from sim.engine.phases import PHASES

PACKAGES = ("agents", "sim", "optimize")
#: Packages from the bottom up; a package may import those of a lower layer only.
LAYERS = (
    ("agents",),
    ("sim.errors", "sim.exports", "sim.limits"),
    ("sim.scenario",),
    ("sim.world",),
    ("sim.levers",),
    ("sim.engine",),
    ("sim.runs",),
    ("sim.pilot", "sim.checks", "sim.calibration"),
    ("sim.report",),
    ("sim.app",),  # the what-if page, on the report and the run API
    ("optimize.choices",),
    ("optimize.search",),
    ("optimize.sweeps",),
    ("sim", "optimize"),  # the packages' faces: lazy re-exports of the public API
    ("sim.cli",),
    ("optimize.cli",),
)
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path) -> set[str]:
    """The project modules a file imports (type-checking imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found |= {n for n in names if n.split(".")[0] in PACKAGES}
    return found


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer of LAYERS"
    return rank


def test_imports_go_one_way() -> None:
    known = modules()
    upward = []
    for module, path in known.items():
        for target in imports(path):
            if target not in known:
                continue  # a name imported from a module, counted by its module
            if layer_of(target) > layer_of(module):
                upward.append(f"{module} -> {target}")
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_module_imports_itself_back() -> None:
    known = modules()
    graph = {m: {t for t in imports(p) if t in known and t != m} for m, p in known.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycle = trail[trail.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


# -- the weekly step as data --------------------------------------------------------------
FLOWS = {f.name for f in dataclasses.fields(Flows)} - {"week"}


def test_every_flow_a_phase_reads_was_written_before() -> None:
    written: set[str] = set()
    for phase in PHASES:
        unknown = (set(phase.reads) | set(phase.writes)) - FLOWS
        assert not unknown, f"{phase.name}: no such flows {unknown}"
        missing = set(phase.reads) - written
        assert not missing, f"{phase.name} reads {missing} before any phase writes them"
        written |= set(phase.writes)
    assert written == FLOWS, f"flows no phase writes: {FLOWS - written}"


class Watched(Flows):
    """Flows that remember which fields a phase reads and writes."""

    def __init__(self, week: int) -> None:
        super().__init__(week)
        object.__setattr__(self, "read", set())
        object.__setattr__(self, "written", set())

    def __getattribute__(self, name: str) -> Any:
        if name in FLOWS:
            object.__getattribute__(self, "read").add(name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in FLOWS:
            object.__getattribute__(self, "written").add(name)
        object.__setattr__(self, name, value)


@pytest.mark.parametrize(
    "name", ["quickstart", "growth_joint_marketing", "outcome_ladder", "manager_outreach"]
)
def test_each_phase_touches_only_the_flows_it_declares(name: str) -> None:
    model = sim.PartnerProgramModel(load_small(name, "horizon_weeks=27"))
    for week in range(model.horizon):
        flows = Watched(week)
        for phase in PHASES:
            flows.read.clear()
            flows.written.clear()
            phase.run(model, flows)
            assert flows.written <= set(phase.writes), (phase.name, flows.written)
            reads = flows.read - flows.written
            assert reads <= set(phase.reads), (phase.name, reads - set(phase.reads))
        model.week += 1


def test_docs_list_the_phases_in_their_order() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = re.split(r"^## (?:\d+\. )?The weekly step", text, flags=re.M)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. \*\*(\w+)\*\*", section, flags=re.M)
    assert listed == [phase.name for phase in PHASES]


# -- fast start ----------------------------------------------------------------------------
HEAVY = ("optuna", "dask", "SALib", "statsmodels", "seaborn", "matplotlib", "solara")


def imported_by(code: str) -> set[str]:
    """Top-level modules a fresh interpreter has imported after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return {name.split(".")[0] for name in out.stdout.split()}


def test_help_imports_no_heavy_library() -> None:
    loaded = imported_by("import partnerlab_cli; partnerlab_cli.build_parser()")
    assert not loaded & {*HEAVY, "numpy", "pandas", "mesa"}, loaded & {*HEAVY, "numpy", "pandas"}


def test_a_run_imports_only_what_a_run_needs(tmp_path: Path) -> None:
    code = (
        "import partnerlab_cli; partnerlab_cli.main(['run', 'scenarios/quickstart.yaml', "
        "'--replications', '1', '--no-progress', '--set', 'horizon_weeks=2', "
        f"'--out', {str(tmp_path / 'out')!r}])"
    )
    assert not imported_by(code) & set(HEAVY)


def test_the_architecture_doc_gives_each_phase_its_flows() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    row = r"^\|\s*(\d+)\s*\|\s*(\w+)\s*\|([^|]*)\|([^|]*)\|$"
    rows = re.findall(row, text, flags=re.M)

    def flows(cell: str) -> set[str]:
        return {name.strip() for name in cell.split(",") if name.strip()}

    documented = [(name, flows(reads), flows(writes)) for _, name, reads, writes in rows]
    declared = [(p.name, set(p.reads), set(p.writes)) for p in PHASES]
    assert documented == declared
